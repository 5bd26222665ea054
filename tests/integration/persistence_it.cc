// Persistence end to end, with the real binary: restarts restore every key, value and
// absolute expiry (plain, after BGREWRITEAOF, after several rewrites, after SAVE), expired
// keys stay dead, rewrites shrink the AOF, clients get -LOADING while a big AOF loads, torn
// tails are cut (a torn MULTI whole), damage before the tail stops the start with the file,
// offset and repair command, pykv-check-aof finds and fixes, a full disk gives -MISCONF and
// loses nothing acknowledged, and appendonly can be turned on at run time.
//
// Every test case is named "persist: ..." (filter with -tc='persist*'). They are PyKV-only
// (file layout, pykv-check-aof) and skip themselves in reference mode.
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <random>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "integration/persistence_helpers.h"
#include "integration/server_harness.h"

namespace pykv::it {
namespace {

using std::chrono::milliseconds;

#define SKIP_IN_REFERENCE_MODE()                                        \
  do {                                                                  \
    if (ReferenceMode()) {                                              \
      MESSAGE("PyKV-only persistence test: skipped in reference mode"); \
      return;                                                           \
    }                                                                   \
  } while (0)

// A random value of 0..max_len bytes, binary (NUL, CR, LF and high bytes included).
std::string RandomValue(std::mt19937_64& rng, size_t max_len) {
  size_t len = std::uniform_int_distribution<size_t>(0, max_len)(rng);
  std::string v(len, '\0');
  for (char& ch : v) ch = static_cast<char>(rng() & 0xFF);
  return v;
}

// Writes a varied data set under `tag:` through many kinds of write command, so that each
// one's AOF form is replayed at the next start. TTLs are long (they must not run out during
// the test) and absolute times are compared exactly before/after.
void Populate(redisContext* c, const std::string& tag, std::mt19937_64& rng) {
  const std::string p = tag + ":";
  const int64_t now = NowMs();
  for (int i = 0; i < 150; ++i)
    Must(c, {"SET", p + "s:" + std::to_string(i), RandomValue(rng, 400)});
  Must(c, {"SET", p + "big", std::string(256 * 1024, 'B') + RandomValue(rng, 100)});
  Must(c, {"SET", p + "empty", ""});
  Must(c, {"SET", p + "bin\r\nkey" + std::string(1, '\0') + "x", "v\r\n$3\r\n*1"});
  for (int i = 0; i < 20; ++i) {
    Must(c, {"SET", p + "ex:" + std::to_string(i), "v", "EX", std::to_string(100000 + i)});
  }
  Must(c, {"SET", p + "px", "v", "PX", "50000000"});
  Must(c, {"SET", p + "exat", "v", "EXAT", std::to_string(now / 1000 + 200000)});
  Must(c, {"SET", p + "pxat", "v", "PXAT", std::to_string(now + 123456789)});
  Must(c, {"SET", p + "expire", "v"});
  Must(c, {"EXPIRE", p + "expire", "90000"});
  Must(c, {"SET", p + "pexpireat", "v"});
  Must(c, {"PEXPIREAT", p + "pexpireat", std::to_string(now + 7777777)});
  Must(c, {"SET", p + "expireat", "v"});
  Must(c, {"EXPIREAT", p + "expireat", std::to_string(now / 1000 + 300000)});
  Must(c, {"SET", p + "persist", "v", "EX", "1000"});
  Must(c, {"PERSIST", p + "persist"});
  Must(c, {"SET", p + "keepttl", "v1", "EX", "5000"});
  Must(c, {"SET", p + "keepttl", "v2", "KEEPTTL"});
  for (int i = 0; i < 30; ++i) Must(c, {"INCR", p + "ctr"});
  Must(c, {"INCRBY", p + "ctr", "1000"});
  Must(c, {"DECRBY", p + "ctr", "7"});
  Must(c, {"DECR", p + "ctr"});
  for (int i = 0; i < 3; ++i) Must(c, {"INCRBYFLOAT", p + "flt", "2.5"});
  Must(c, {"SET", p + "fltttl", "1", "EX", "40000"});
  Must(c, {"INCRBYFLOAT", p + "fltttl", "0.25"});
  for (int i = 0; i < 40; ++i) Must(c, {"APPEND", p + "app", "piece-" + std::to_string(i) + ";"});
  Must(c, {"SET", p + "rng", "hello world"});
  Must(c, {"SETRANGE", p + "rng", "6", "PyKV!"});
  Must(c, {"SETRANGE", p + "rng", "20", "x"});
  Must(c, {"MSET", p + "m1", "a", p + "m2", "b", p + "m3", "c"});
  Must(c, {"MSETNX", p + "n1", "1", p + "n2", "2"});
  Must(c, {"SET", p + "del", "v"});
  Must(c, {"DEL", p + "del"});
  Must(c, {"SET", p + "unlink", "v"});
  Must(c, {"UNLINK", p + "unlink"});
  Must(c, {"SET", p + "getdel", "v"});
  Must(c, {"GETDEL", p + "getdel"});
  Must(c, {"SET", p + "getex", "v"});
  Must(c, {"GETEX", p + "getex", "EX", "60000"});
  Must(c, {"SET", p + "getexp", "v", "EX", "60000"});
  Must(c, {"GETEX", p + "getexp", "PERSIST"});
  Must(c, {"SET", p + "ren-src", "moved", "EX", "80000"});
  Must(c, {"RENAME", p + "ren-src", p + "ren-dst"});
  Must(c, {"SET", p + "cp", "copied", "PX", "9000000"});
  Must(c, {"COPY", p + "cp", p + "cp2"});
  Must(c, {"SET", p + "gs", "old"});
  Must(c, {"GETSET", p + "gs", "new"});
  Must(c, {"SETNX", p + "nx", "1"});
  Must(c, {"SETEX", p + "setex", "70000", "v"});
  Must(c, {"PSETEX", p + "psetex", "70000000", "v"});
  Must(c, {"SET", p + "expired", "gone", "PX", "1"});
  // Reclaimed by a GET once its time has passed (until then DBSIZE and DEBUG DIGEST count
  // it, as Redis's do), so that captures taken later are stable.
  CHECK(WaitFor([&] { return Cmd(c, {"GET", p + "expired"}).is_nil(); }, milliseconds(5000)));
  Must(c, {"SET", p + "pastexp", "gone"});
  Must(c, {"PEXPIREAT", p + "pastexp", "1000"});  // in the past: deletes
  CHECK(Cmd(c, {"MULTI"}) == Ok());
  CHECK(Cmd(c, {"SET", p + "tx1", "1"}) == St("QUEUED"));
  CHECK(Cmd(c, {"INCR", p + "tx2"}) == St("QUEUED"));
  CHECK(Cmd(c, {"APPEND", p + "tx3", "abc"}) == St("QUEUED"));
  CHECK(Cmd(c, {"EXPIRE", p + "tx1", "50000"}) == St("QUEUED"));
  Reply exec = Cmd(c, {"EXEC"});
  CHECK(exec.is_array());
  CHECK(exec.elements.size() == 4);
}

// Overwrites, deletes and re-times some of what Populate(tag) wrote.
void Mutate(redisContext* c, const std::string& tag, std::mt19937_64& rng) {
  const std::string p = tag + ":";
  for (int i = 0; i < 150; i += 3)
    Must(c, {"SET", p + "s:" + std::to_string(i), RandomValue(rng, 200)});
  for (int i = 1; i < 150; i += 7) Must(c, {"DEL", p + "s:" + std::to_string(i)});
  for (int i = 2; i < 150; i += 11) Must(c, {"EXPIRE", p + "s:" + std::to_string(i), "123456"});
  Must(c, {"PERSIST", p + "px"});
  Must(c, {"INCRBY", p + "ctr", "5"});
  Must(c, {"APPEND", p + "app", "more;"});
  Must(c, {"DEL", p + "big"});
}

// ---- restart restores everything ----

TEST_CASE("persist: plain restart restores every key, value and TTL") {
  SKIP_IN_REFERENCE_MODE();
  DataDir d;
  std::mt19937_64 rng(101);
  DataSet before;
  {
    auto srv = StartAof(d);
    Conn c = ConnectLoaded(*srv);
    Must(c.get(), {"SET", "junk", "before-flushall"});
    Must(c.get(), {"FLUSHALL"});
    Populate(c.get(), "a", rng);
    before = Capture(c.get());
    CHECK(before.dbsize > 200);
    CHECK(PersistenceField(c.get(), "aof_enabled") == "1");
    CHECK(PersistenceField(c.get(), "aof_last_write_status") == "ok");
    CHECK(StopClean(*srv));
  }
  {
    auto srv = StartAof(d);
    Conn c = ConnectLoaded(*srv);
    CheckSameData(before, Capture(c.get()), "after a clean restart");
    CHECK(Cmd(c, {"EXISTS", "junk", "a:expired", "a:pastexp", "a:del", "a:getdel"}) == Int(0));
    // More writes, then kill -9: under appendfsync always, all of it was on disk.
    Populate(c.get(), "b", rng);
    Mutate(c.get(), "a", rng);
    before = Capture(c.get());
    srv->Kill9();
  }
  {
    auto srv = StartAof(d);
    Conn c = ConnectLoaded(*srv);
    CheckSameData(before, Capture(c.get()), "after kill -9 and restart");
  }
}

TEST_CASE("persist: the AOF gets a request's canonical encoding, whatever framing bytes it had") {
  SKIP_IN_REFERENCE_MODE();
  DataDir d;
  // Redis's framing skips the byte after a header's CR and the two after a payload
  // unread: this SET parses as SET k v. The AOF must hold SET k v, not these bytes.
  const std::string sloppy = "*3\r\n$3\r\nSET\r\n$1\rXk\r\n$1\r\nvxy";
  {
    auto srv = StartAof(d);
    RawConn raw(srv->port());
    REQUIRE(raw.connected());
    REQUIRE(raw.Send(sloppy + Resp({"SET", "plain", "1"})));
    CHECK(raw.ReadReply() == "+OK\r\n");
    CHECK(raw.ReadReply() == "+OK\r\n");
    CHECK(StopClean(*srv));
  }
  const std::string aof = ReadBytes(LastIncrPath(d));
  CHECK(aof.find(Resp({"SET", "k", "v"})) != std::string::npos);
  CHECK(aof.find(Resp({"SET", "plain", "1"})) != std::string::npos);
  CHECK(aof.find("vxy") == std::string::npos);
  CHECK(aof.find("\rX") == std::string::npos);
  auto srv = StartAof(d);
  Conn c = ConnectLoaded(*srv);
  CHECK(Cmd(c, {"GET", "k"}) == Bulk("v"));
  CHECK(Cmd(c, {"GET", "plain"}) == Bulk("1"));
}

TEST_CASE("persist: restart after BGREWRITEAOF restores every key, value and TTL") {
  SKIP_IN_REFERENCE_MODE();
  DataDir d;
  std::mt19937_64 rng(202);
  DataSet before;
  {
    auto srv = StartAof(d);
    Conn c = ConnectLoaded(*srv);
    Populate(c.get(), "a", rng);
    Must(c.get(),
         {"SET", "huge", RandomValue(rng, 1) + std::string(6 << 20, 'h') + RandomValue(rng, 1000)});
    BgRewriteAndWait(c.get());
    CHECK(PersistenceField(c.get(), "aof_rewrites") == "1");
    Must(c.get(), {"SET", "huge2", std::string(3 << 20, 'i') + RandomValue(rng, 1000)});
    before = Capture(c.get());
    ManifestFiles m = ReadManifest(d);
    CHECK(m.base.ends_with(".base.pkv"));
    REQUIRE(m.incrs.size() == 1);
    // Only the files the manifest names are left.
    CHECK(ListDir(d.aof_dir()) ==
          std::vector<std::string>{m.base, m.incrs[0], "appendonly.aof.manifest"});
    CHECK(StopClean(*srv));
  }
  {
    auto srv = StartAof(d);
    Conn c = ConnectLoaded(*srv);
    CheckSameData(before, Capture(c.get()), "after BGREWRITEAOF and a restart");
    // The restored base and an incr on top of it, then a crash.
    Mutate(c.get(), "a", rng);
    before = Capture(c.get());
    srv->Kill9();
  }
  {
    auto srv = StartAof(d);
    Conn c = ConnectLoaded(*srv);
    CheckSameData(before, Capture(c.get()), "after writes on a rewritten AOF and kill -9");
  }
}

TEST_CASE("persist: restart after several rewrites with writes in between") {
  SKIP_IN_REFERENCE_MODE();
  DataDir d;
  std::mt19937_64 rng(303);
  DataSet before;
  {
    auto srv = StartAof(d);
    Conn c = ConnectLoaded(*srv);
    for (int round = 0; round < 4; ++round) {
      const std::string tag = "r" + std::to_string(round);
      Populate(c.get(), tag, rng);
      if (round > 0) Mutate(c.get(), "r" + std::to_string(round - 1), rng);
      long long rewrites = InfoInt(c.get(), "persistence", "aof_rewrites");
      CHECK(Cmd(c, {"BGREWRITEAOF"}) == St("Background append only file rewriting started"));
      // Writes while the child runs go to the new incremental file.
      for (int i = 0; i < 50; ++i) {
        Must(c.get(), {"SET", tag + ":during:" + std::to_string(i), RandomValue(rng, 64)});
      }
      Must(c.get(), {"INCR", tag + ":ctr"});
      CHECK(WaitRewriteDone(c.get(), rewrites + 1));
      CHECK(PersistenceField(c.get(), "aof_last_bgrewrite_status") == "ok");
      Must(c.get(), {"SET", tag + ":after", "x", "PX", "99999999"});
    }
    CHECK(PersistenceField(c.get(), "aof_rewrites") == "4");
    ManifestFiles m = ReadManifest(d);
    CHECK(!m.base.empty());
    CHECK(m.incrs.size() == 1);
    CHECK(ListDir(d.aof_dir()).size() == 3);  // base, incr, manifest: old generations deleted
    before = Capture(c.get());
    srv->Kill9();
  }
  {
    auto srv = StartAof(d);
    Conn c = ConnectLoaded(*srv);
    CheckSameData(before, Capture(c.get()), "after four rewrites and kill -9");
    CHECK(StopClean(*srv));
  }
  {
    auto srv = StartAof(d);
    Conn c = ConnectLoaded(*srv);
    CheckSameData(before, Capture(c.get()), "after a second (clean) restart");
  }
}

TEST_CASE("persist: restart after SAVE and BGSAVE") {
  SKIP_IN_REFERENCE_MODE();
  DataDir d;
  std::mt19937_64 rng(404);
  DataSet before;
  {
    auto srv = StartAof(d);
    Conn c = ConnectLoaded(*srv);
    Populate(c.get(), "a", rng);
    long long last_save = Cmd(c, {"LASTSAVE"}).integer;
    CHECK(Cmd(c, {"SAVE"}) == Ok());
    CHECK(Cmd(c, {"LASTSAVE"}).integer >= last_save);
    CHECK(PersistenceField(c.get(), "aof_rewrites") == "1");
    CHECK(!ReadManifest(d).base.empty());
    Populate(c.get(), "b", rng);
    CHECK(Cmd(c, {"BGSAVE"}) == St("Background saving started"));
    CHECK(WaitRewriteDone(c.get(), 2));
    Mutate(c.get(), "a", rng);
    before = Capture(c.get());
    CHECK(StopClean(*srv));
  }
  {
    auto srv = StartAof(d);
    Conn c = ConnectLoaded(*srv);
    CheckSameData(before, Capture(c.get()), "after SAVE, BGSAVE and a restart");
  }
}

TEST_CASE("persist: expired keys are not resurrected by a restart") {
  SKIP_IN_REFERENCE_MODE();
  DataDir d;
  const int64_t ttl_ms = static_cast<int64_t>(Scaled(300, 1000));
  int64_t expire_at = 0;
  {
    auto srv = StartAof(d);
    Conn c = ConnectLoaded(*srv);
    expire_at = NowMs() + ttl_ms;
    const std::string at = std::to_string(expire_at);
    // In the base snapshot...
    Must(c.get(), {"SET", "base:short", "v", "PXAT", at});
    Must(c.get(), {"SET", "base:long", "v", "EX", "100000"});
    CHECK(Cmd(c, {"SAVE"}) == Ok());
    // ...and in the incremental file, set by SET PX and by PEXPIREAT on an existing key.
    Must(c.get(), {"SET", "incr:short", "v", "PXAT", at});
    Must(c.get(), {"SET", "incr:pexpire", "v"});
    Must(c.get(), {"PEXPIREAT", "incr:pexpire", at});
    Must(c.get(), {"SET", "incr:long", "v", "EX", "100000"});
    CHECK(StopClean(*srv));
  }
  // The keys did reach the files (with their TTL).
  ManifestFiles m = ReadManifest(d);
  REQUIRE(!m.base.empty());
  CHECK(ReadBytes(d.aof_file(m.base)).find("base:short") != std::string::npos);
  CHECK(ReadBytes(LastIncrPath(d)).find("incr:short") != std::string::npos);
  // Wait, server down, until the TTLs have run out.
  REQUIRE(WaitFor([&] { return NowMs() > expire_at + 20; }, milliseconds(ttl_ms + 5000)));
  for (int restart = 0; restart < 2; ++restart) {
    INFO("restart " << restart);
    auto srv = StartAof(d);
    Conn c = ConnectLoaded(*srv);
    CHECK(Cmd(c, {"EXISTS", "base:short", "incr:short", "incr:pexpire"}) == Int(0));
    CHECK(Cmd(c, {"GET", "base:short"}) == Nil());
    CHECK(Cmd(c, {"GET", "incr:short"}) == Nil());
    CHECK(Cmd(c, {"GET", "incr:pexpire"}) == Nil());
    CHECK(Cmd(c, {"EXISTS", "base:long", "incr:long"}) == Int(2));
    Reply keys = Cmd(c, {"KEYS", "*"});
    std::vector<std::string> names = keys.Strings();
    std::sort(names.begin(), names.end());
    CHECK(names == std::vector<std::string>{"base:long", "incr:long"});
    CHECK(Cmd(c, {"DBSIZE"}) == Int(2));
    CHECK(StopClean(*srv));
  }
}

TEST_CASE("persist: a rewrite shrinks the AOF of a key overwritten many times") {
  SKIP_IN_REFERENCE_MODE();
  DataDir d;
  const int n = 3000;
  std::string last;
  {
    auto srv = StartAof(d, "no", {"--auto-aof-rewrite-percentage", "0"});
    Conn c = ConnectLoaded(*srv);
    for (int start = 0; start < n; start += 500) {
      for (int i = start; i < start + 500; ++i) {
        last = FillValue("hot", static_cast<size_t>(i), 100);
        Append(c.get(), {"SET", "hot", last});
      }
      for (int i = start; i < start + 500; ++i) CHECK(GetReply(c.get()).ok());
    }
    Must(c.get(), {"SET", "other", "x"});
    long long size_before = InfoInt(c.get(), "persistence", "aof_current_size");
    int64_t disk_before = AofBytesOnDisk(d);
    CHECK(size_before >= n * 100);
    CHECK(disk_before >= n * 100);
    BgRewriteAndWait(c.get());
    long long size_after = InfoInt(c.get(), "persistence", "aof_current_size");
    int64_t disk_after = AofBytesOnDisk(d);
    MESSAGE("aof_current_size " << size_before << " -> " << size_after << ", on disk "
                                << disk_before << " -> " << disk_after);
    CHECK(size_after > 0);
    CHECK(size_after * 20 < size_before);
    CHECK(disk_after * 20 < disk_before);
    CHECK(InfoInt(c.get(), "persistence", "aof_base_size") == size_after);
    CHECK(Cmd(c, {"GET", "hot"}) == Bulk(last));
    CHECK(StopClean(*srv));
  }
  {
    auto srv = StartAof(d);
    Conn c = ConnectLoaded(*srv);
    CHECK(Cmd(c, {"GET", "hot"}) == Bulk(last));
    CHECK(Cmd(c, {"GET", "other"}) == Bulk("x"));
    CHECK(Cmd(c, {"DBSIZE"}) == Int(2));
  }
}

// ---- LOADING ----

TEST_CASE("persist: clients get -LOADING while a big AOF loads, PING and INFO work") {
  SKIP_IN_REFERENCE_MODE();
  DataDir d;
  // About 1 s of loading in a release build (~430k commands/s), and about as long under the
  // sanitizers: long enough that a client polling from the first PING sees it.
  const size_t n = Scaled(400000, 200000);
  const std::vector<std::string> args = {"--auto-aof-rewrite-percentage", "0"};
  const std::string last_key = "load:" + std::to_string(n - 1);
  const std::string last_value = FillValue("load:", n - 1, 40);
  {
    auto srv = StartAof(d, "no", args);
    Conn c = ConnectLoaded(*srv);
    REQUIRE(FillKeys(c.get(), "load:", n, 40));
    CHECK(Cmd(c, {"DBSIZE"}) == Int(static_cast<long long>(n)));
    CHECK(StopClean(*srv));
  }
  // A pure incremental log (no base): every command is replayed.
  ManifestFiles m = ReadManifest(d);
  CHECK(m.base.empty());
  CHECK(FileSize(LastIncrPath(d)) > static_cast<int64_t>(n) * 40);

  auto srv = StartAof(d, "no", args);  // returns at the first PONG
  Conn c = srv->Connect();
  bool saw_loading_error = false, saw_loading_info = false, bad_info = false;
  std::string unexpected;
  auto t0 = std::chrono::steady_clock::now();
  bool loaded = WaitFor(
      [&] {
        Reply pong = Cmd(c, {"PING"});
        if (pong != St("PONG")) unexpected += "PING -> " + pong.Describe() + "\n";
        std::string info = Info(c.get(), "persistence");
        if (InfoField(info, "loading") == "1") {
          saw_loading_info = true;
          long long total = std::atoll(InfoField(info, "loading_total_bytes").c_str());
          long long done = std::atoll(InfoField(info, "loading_loaded_bytes").c_str());
          if (total <= 0 || done < 0 || done > total ||
              InfoField(info, "loading_loaded_perc").empty()) {
            bad_info = true;
          }
        }
        Reply r = Cmd(c, {"GET", last_key});
        if (r.is_error()) {
          if (r.str == "LOADING PyKV is loading the dataset in memory") {
            saw_loading_error = true;
          } else {
            unexpected += "GET -> " + r.Describe() + "\n";
          }
          return false;
        }
        // Never a partial data set: nil would mean GET ran before the load finished.
        if (!(r == Bulk(last_value))) unexpected += "GET -> " + r.Describe() + "\n";
        return true;
      },
      milliseconds(60000), milliseconds(2));
  auto took = std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - t0);
  MESSAGE("loading " << n << " keys: data served after " << took.count() << " ms; -LOADING seen: "
                     << saw_loading_error << ", INFO loading:1 seen: " << saw_loading_info);
  CHECK(loaded);
  CHECK_MESSAGE(unexpected.empty(), unexpected);
  CHECK_FALSE(bad_info);
  CHECK_MESSAGE((saw_loading_error || saw_loading_info),
                "loading " << n << " keys was never observed (-LOADING or INFO loading:1)");
  CHECK(Cmd(c, {"DBSIZE"}) == Int(static_cast<long long>(n)));
  CHECK(PersistenceField(c.get(), "loading") == "0");
  CHECK(Cmd(c, {"GET", "load:0"}) == Bulk(FillValue("load:", 0, 40)));
  CHECK(ReadBytes(srv->log_path()).find("DB loaded from append only file") != std::string::npos);
}

// ---- torn tails ----

TEST_CASE("persist: a torn command at the tail is cut at start-up with a warning") {
  SKIP_IN_REFERENCE_MODE();
  DataDir d;
  {
    auto srv = StartAof(d);
    Conn c = ConnectLoaded(*srv);
    for (int i = 0; i < 50; ++i)
      Must(c.get(), {"SET", "k" + std::to_string(i), "v" + std::to_string(i)});
    CHECK(StopClean(*srv));
  }
  const std::string incr = LastIncrPath(d);
  const std::string name = std::filesystem::path(incr).filename().string();
  struct Tail {
    const char* what;
    std::string bytes;
    std::string key;  // a key the torn bytes would set
  };
  // Each start cuts what the previous step appended, then the next tail is added.
  std::vector<Tail> tails = {
      {"a partial SET", "*3\r\n$3\r\nSET\r\n$1\r\nk", "k"},
      {"a partial bulk length", "*3\r\n$3\r\nSET\r\n$4\r\ntorn\r\n$100", "torn"},
      // Complete, but its batch annotation never made it: not trusted.
      {"a complete SET without its annotation", Resp({"SET", "noann", "1"}), "noann"},
      {"a SET with a truncated annotation",
       Resp({"SET", "halfann", "1"}) + Annotation(Resp({"SET", "halfann", "1"})).substr(0, 15),
       "halfann"},
  };
  for (const Tail& t : tails) {
    INFO("torn tail: " << std::string(t.what));
    const int64_t size0 = FileSize(incr);
    REQUIRE(size0 > 0);
    AppendBytes(incr, t.bytes);
    auto srv = StartAof(d);
    Conn c = ConnectLoaded(*srv);
    // The file was cut back to where the good data ends, before anything new is written.
    CHECK(FileSize(incr) == size0);
    for (int i = 0; i < 50; ++i) {
      CHECK(Cmd(c, {"GET", "k" + std::to_string(i)}) == Bulk("v" + std::to_string(i)));
    }
    CHECK(Cmd(c, {"EXISTS", t.key}) == Int(0));
    CHECK(Cmd(c, {"DBSIZE"}) == Int(50));
    std::string log = ReadBytes(srv->log_path());
    CHECK_MESSAGE(
        log.find("torn write at the end of the append only file " + name) != std::string::npos,
        log);
    CHECK(log.find("Truncated it at offset " + std::to_string(size0) + ", dropping " +
                   std::to_string(t.bytes.size()) + " bytes") != std::string::npos);
    CHECK(StopClean(*srv));
  }
  // With aof-load-truncated no a torn tail stops the start, and the file is left alone.
  {
    const int64_t size0 = FileSize(incr);
    const std::string torn = "*2\r\n$4\r\nINCR\r\n$3\r\nctr";
    AppendBytes(incr, torn);
    ToolResult r = RunServerExpectingFailure(d, {"--aof-load-truncated", "no"});
    const std::string text = r.out + r.err;
    INFO("server output:\n" << text);
    CHECK_FALSE(r.timed_out);
    CHECK(r.exit_code != 0);
    CHECK_FALSE(HasSanitizerReport(r));
    CHECK(text.find(name) != std::string::npos);
    CHECK(text.find("aof-load-truncated") != std::string::npos);
    CHECK(text.find("pykv-check-aof") != std::string::npos);
    CHECK(FileSize(incr) == size0 + static_cast<int64_t>(torn.size()));
    // The default (yes) cuts it.
    auto srv = StartAof(d);
    CHECK(FileSize(incr) == size0);
    CHECK(StopClean(*srv));
  }
  // The repaired file loads cleanly: no warning any more.
  auto srv = StartAof(d);
  Conn c = ConnectLoaded(*srv);
  CHECK(Cmd(c, {"DBSIZE"}) == Int(50));
  CHECK(ReadBytes(srv->log_path()).find("torn write") == std::string::npos);
}

TEST_CASE(
    "persist: a torn MULTI/EXEC at the tail is dropped whole (Redis 7.0 loses later writes)") {
  SKIP_IN_REFERENCE_MODE();
  bool annotated = false;
  SUBCASE("without an annotation") {
    annotated = false;
  }
  SUBCASE("with a valid annotation after the open MULTI") {
    annotated = true;
  }
  DataDir d;
  {
    auto srv = StartAof(d);
    Conn c = ConnectLoaded(*srv);
    Must(c.get(), {"SET", "a", "1"});
    CHECK(Cmd(c, {"MULTI"}) == Ok());
    CHECK(Cmd(c, {"SET", "tx", "done"}) == St("QUEUED"));
    CHECK(Cmd(c, {"EXEC"}).is_array());
    Must(c.get(), {"SET", "b", "2"});
    CHECK(StopClean(*srv));
  }
  const std::string incr = LastIncrPath(d);
  const int64_t size0 = FileSize(incr);
  std::string torn = Resp({"MULTI"}) + Resp({"SET", "mk", "1"}) + Resp({"INCR", "mctr"});
  if (annotated) torn += Annotation(torn);
  AppendBytes(incr, torn);
  {
    auto srv = StartAof(d);
    Conn c = ConnectLoaded(*srv);
    CHECK(FileSize(incr) == size0);  // cut before the MULTI
    CHECK(Cmd(c, {"EXISTS", "mk", "mctr"}) == Int(0));
    CHECK(Cmd(c, {"GET", "a"}) == Bulk("1"));
    CHECK(Cmd(c, {"GET", "tx"}) == Bulk("done"));
    CHECK(Cmd(c, {"GET", "b"}) == Bulk("2"));
    CHECK(ReadBytes(srv->log_path()).find("torn write at the end of the append only file") !=
          std::string::npos);
    // Acknowledged after the restart: must survive the next one (Redis 7.0 leaves the open
    // MULTI in the file, so these would be swallowed by it and lost).
    Must(c.get(), {"SET", "after1", "v1"});
    Must(c.get(), {"INCR", "after-ctr"});
    srv->Kill9();
  }
  {
    auto srv = StartAof(d);
    Conn c = ConnectLoaded(*srv);
    CHECK(Cmd(c, {"GET", "after1"}) == Bulk("v1"));
    CHECK(Cmd(c, {"GET", "after-ctr"}) == Bulk("1"));
    CHECK(Cmd(c, {"EXISTS", "mk", "mctr"}) == Int(0));
    CHECK(Cmd(c, {"GET", "a"}) == Bulk("1"));
    CHECK(ReadBytes(srv->log_path()).find("torn write") == std::string::npos);
    Must(c.get(), {"SET", "after2", "v2"});
    CHECK(StopClean(*srv));
  }
  {
    auto srv = StartAof(d);
    Conn c = ConnectLoaded(*srv);
    CHECK(Cmd(c, {"MGET", "a", "b", "tx", "after1", "after2", "mk"}) ==
          Arr({Bulk("1"), Bulk("2"), Bulk("done"), Bulk("v1"), Bulk("v2"), Nil()}));
  }
}

// ---- damage before the tail ----

// The refusal must name the file, an offset and the repair tool.
void CheckRefusal(const ToolResult& r, const std::string& file_name, int64_t max_offset = -1) {
  const std::string text = r.out + r.err;
  INFO("server output:\n" << text);
  CHECK_FALSE(r.timed_out);
  CHECK(r.exit_code != 0);
  CHECK_FALSE(HasSanitizerReport(r));
  CHECK(text.find(file_name) != std::string::npos);
  CHECK(text.find("pykv-check-aof") != std::string::npos);
  size_t at = text.find("at offset ");
  CHECK(at != std::string::npos);
  if (at != std::string::npos && max_offset >= 0) {
    long long offset = std::atoll(text.c_str() + at + 10);
    CHECK(offset <= max_offset);
  }
}

TEST_CASE("persist: a flipped byte inside a value in an early batch stops the start") {
  SKIP_IN_REFERENCE_MODE();
  DataDir d;
  {
    auto srv = StartAof(d);
    Conn c = ConnectLoaded(*srv);
    // Three batches (one per round trip under always).
    Must(c.get(), {"SET", "v1", "first-value-AAAAAAAAAAAAAAAA"});
    Must(c.get(), {"SET", "v2", "second-value"});
    Must(c.get(), {"SET", "v3", "third-value"});
    CHECK(StopClean(*srv));
  }
  const std::string incr = LastIncrPath(d);
  const std::string name = std::filesystem::path(incr).filename().string();
  const std::string data = ReadBytes(incr);
  size_t pos = data.find("first-value-AAAA");
  REQUIRE(pos != std::string::npos);
  pos += 14;  // an 'A' inside the value: the RESP framing stays valid
  REQUIRE(data.find("#pykv-crc32") > pos);
  FlipByte(incr, pos);

  ToolResult r = RunServerExpectingFailure(d);
  CheckRefusal(r, name, static_cast<int64_t>(pos));

  ToolResult chk = RunCheckAof({d.manifest()});
  INFO("pykv-check-aof output:\n" << chk.out << chk.err);
  CHECK(chk.exit_code == 1);
  CHECK(chk.out.find("First bad offset") != std::string::npos);
  CHECK(chk.out.find(name) != std::string::npos);
  CHECK(chk.out.find("damage before the tail") != std::string::npos);
  ToolResult chk_file = RunCheckAof({incr});
  CHECK(chk_file.exit_code == 1);
  CHECK(chk_file.out.find("First bad offset") != std::string::npos);
  // The file was not touched by the refused start: flipping the byte back repairs it.
  FlipByte(incr, pos);
  CHECK(ReadBytes(incr) == data);
  auto srv = StartAof(d);
  Conn c = ConnectLoaded(*srv);
  CHECK(Cmd(c, {"MGET", "v1", "v2", "v3"}) ==
        Arr({Bulk("first-value-AAAAAAAAAAAAAAAA"), Bulk("second-value"), Bulk("third-value")}));
}

TEST_CASE("persist: bad framing before the tail stops the start") {
  SKIP_IN_REFERENCE_MODE();
  DataDir d;
  {
    auto srv = StartAof(d);
    Conn c = ConnectLoaded(*srv);
    Must(c.get(), {"SET", "v1", "one"});
    Must(c.get(), {"SET", "v2", "two"});
    Must(c.get(), {"SET", "v3", "three"});
    CHECK(StopClean(*srv));
  }
  const std::string incr = LastIncrPath(d);
  std::string data = ReadBytes(incr);
  REQUIRE(data.rfind("*3\r\n", 0) == 0);
  FlipByte(incr, 0, '*' ^ '!');  // the first command no longer starts with '*'
  ToolResult r = RunServerExpectingFailure(d);
  CheckRefusal(r, std::filesystem::path(incr).filename().string());
  ToolResult chk = RunCheckAof({d.manifest()});
  CHECK(chk.exit_code == 1);
}

TEST_CASE("persist: several incremental files replay in order, only the last may end torn") {
  SKIP_IN_REFERENCE_MODE();
  DataDir d;
  {
    auto srv = StartAof(d);
    Conn c = ConnectLoaded(*srv);
    Must(c.get(), {"SET", "a", "1"});
    Must(c.get(), {"SET", "z", "from-incr-1"});
    CHECK(StopClean(*srv));
  }
  ManifestFiles m = ReadManifest(d);
  REQUIRE(m.incrs.size() == 1);
  REQUIRE(m.base.empty());
  const std::string first = d.aof_file(m.incrs[0]);
  // A second incremental file, written the way the server writes one (batch + annotation),
  // as a rewrite start leaves it.
  const std::string second_name = "appendonly.aof.7.incr.aof";
  std::string batch = Resp({"SET", "z", "from-incr-2"}) + Resp({"INCR", "n"});
  WriteBytes(d.aof_file(second_name), batch + Annotation(batch));
  const std::string manifest = ReadBytes(d.manifest());
  AppendBytes(d.manifest(), "file " + second_name + " seq 7 type i\n");
  {
    auto srv = StartAof(d);
    Conn c = ConnectLoaded(*srv);
    CHECK(Cmd(c, {"MGET", "a", "z", "n"}) == Bulks({"1", "from-incr-2", "1"}));
    Must(c.get(), {"SET", "b", "2"});  // appended to the last file
    CHECK(StopClean(*srv));
  }
  CHECK(ReadBytes(d.aof_file(second_name)).find("$1\r\nb\r\n") != std::string::npos);
  // A torn end of the first file is damage before the tail: the start stops.
  const int64_t size0 = FileSize(first);
  const std::string torn = "*3\r\n$3\r\nSET\r\n$1\r\nk";
  AppendBytes(first, torn);
  ToolResult r = RunServerExpectingFailure(d);
  CheckRefusal(r, m.incrs[0]);
  CHECK(FileSize(first) == size0 + static_cast<int64_t>(torn.size()));  // not cut
  ToolResult chk = RunCheckAof({d.manifest()});
  INFO("pykv-check-aof:\n" << chk.out << chk.err);
  CHECK(chk.exit_code == 1);
  CHECK(chk.out.find(m.incrs[0]) != std::string::npos);
  // --fix refuses to cut a file that is not the last one.
  const std::string yes = StdinFile(d, "yes.txt", "y\n");
  CHECK(RunCheckAof({"--fix", d.manifest()}, yes).exit_code == 1);
  CHECK(FileSize(first) == size0 + static_cast<int64_t>(torn.size()));
}

TEST_CASE("persist: a damaged base snapshot stops the start") {
  SKIP_IN_REFERENCE_MODE();
  DataDir d;
  {
    auto srv = StartAof(d);
    Conn c = ConnectLoaded(*srv);
    REQUIRE(FillKeys(c.get(), "b:", 2000, 100));
    CHECK(Cmd(c, {"SAVE"}) == Ok());
    Must(c.get(), {"SET", "after", "x"});
    CHECK(StopClean(*srv));
  }
  ManifestFiles m = ReadManifest(d);
  REQUIRE(!m.base.empty());
  const std::string base = d.aof_file(m.base);
  const std::string data = ReadBytes(base);
  REQUIRE(data.size() > 100000);
  // A byte inside a value in the middle of the snapshot.
  size_t pos = data.find(FillValue("b:", 1000, 100).substr(0, 20));
  REQUIRE(pos != std::string::npos);
  pos += 10;
  FlipByte(base, pos);

  ToolResult r = RunServerExpectingFailure(d);
  CheckRefusal(r, m.base);

  ToolResult chk = RunCheckAof({d.manifest()});
  INFO("pykv-check-aof output:\n" << chk.out << chk.err);
  CHECK(chk.exit_code == 1);
  CHECK(chk.out.find("First bad offset") != std::string::npos);
  CHECK(chk.out.find(m.base) != std::string::npos);
  ToolResult chk_file = RunCheckAof({base});
  CHECK(chk_file.exit_code == 1);

  FlipByte(base, pos);
  auto srv = StartAof(d);
  Conn c = ConnectLoaded(*srv);
  CHECK(Cmd(c, {"DBSIZE"}) == Int(2001));
  CHECK(Cmd(c, {"GET", "b:1000"}) == Bulk(FillValue("b:", 1000, 100)));
}

TEST_CASE("persist: a manifest naming a missing file stops the start") {
  SKIP_IN_REFERENCE_MODE();
  DataDir d;
  {
    auto srv = StartAof(d);
    Conn c = ConnectLoaded(*srv);
    Must(c.get(), {"SET", "a", "1"});
    BgRewriteAndWait(c.get());
    Must(c.get(), {"SET", "b", "2"});
    CHECK(StopClean(*srv));
  }
  ManifestFiles m = ReadManifest(d);
  REQUIRE(!m.base.empty());
  REQUIRE(m.incrs.size() == 1);
  const std::string manifest_text = ReadBytes(d.manifest());

  SUBCASE("the base file is gone") {
    const std::string base = d.aof_file(m.base);
    const std::string saved = ReadBytes(base);
    REQUIRE(std::filesystem::remove(base));
    CheckRefusal(RunServerExpectingFailure(d), m.base);
    ToolResult chk = RunCheckAof({d.manifest()});
    CHECK(chk.exit_code == 1);
    CHECK(chk.out.find(m.base) != std::string::npos);
    WriteBytes(base, saved);
  }
  SUBCASE("the incremental file is gone") {
    const std::string incr = d.aof_file(m.incrs[0]);
    const std::string saved = ReadBytes(incr);
    REQUIRE(std::filesystem::remove(incr));
    CheckRefusal(RunServerExpectingFailure(d), m.incrs[0]);
    CHECK(RunCheckAof({d.manifest()}).exit_code == 1);
    WriteBytes(incr, saved);
  }
  SUBCASE("the manifest names a file that never existed") {
    const std::string ghost = "appendonly.aof.99.incr.aof";
    AppendBytes(d.manifest(), "file " + ghost + " seq 99 type i\n");
    CheckRefusal(RunServerExpectingFailure(d), ghost);
    CHECK(RunCheckAof({d.manifest()}).exit_code == 1);
    WriteBytes(d.manifest(), manifest_text);
  }
  // Everything put back: the data set is whole.
  CHECK(ReadBytes(d.manifest()) == manifest_text);
  auto srv = StartAof(d);
  Conn c = ConnectLoaded(*srv);
  CHECK(Cmd(c, {"MGET", "a", "b"}) == Bulks({"1", "2"}));
}

TEST_CASE("persist: a damaged manifest stops the start, pykv-check-aof --fix leaves it alone") {
  SKIP_IN_REFERENCE_MODE();
  DataDir d;
  {
    auto srv = StartAof(d);
    Conn c = ConnectLoaded(*srv);
    Must(c.get(), {"SET", "a", "1"});
    CHECK(StopClean(*srv));
  }
  const std::string good = ReadBytes(d.manifest());
  REQUIRE(good.rfind("file ", 0) == 0);
  const std::string yes = StdinFile(d, "yes.txt", "y\n");
  const std::vector<std::pair<const char*, std::string>> damages = {
      {"a line cut short", good.substr(0, good.find(" type "))},
      {"a bad seq", "file appendonly.aof.1.incr.aof seq x type i\n"},
      {"a bad type", "file appendonly.aof.1.incr.aof seq 1 type z\n"},
  };
  for (const auto& [what, text] : damages) {
    INFO("manifest damage: " << std::string(what));
    WriteBytes(d.manifest(), text);
    ToolResult r = RunServerExpectingFailure(d);
    INFO("server output:\n" << r.out << r.err);
    CHECK_FALSE(r.timed_out);
    CHECK(r.exit_code != 0);
    CHECK_FALSE(HasSanitizerReport(r));
    CHECK((r.out + r.err).find("appendonly.aof.manifest") != std::string::npos);
    CHECK((r.out + r.err).find("Invalid AOF manifest") != std::string::npos);
    // The tool knows it is a manifest (not an old-style RESP AOF to cut)...
    ToolResult chk = RunCheckAof({d.manifest()});
    INFO("pykv-check-aof:\n" << chk.out << chk.err);
    CHECK(chk.exit_code == 1);
    CHECK(chk.out.find("Invalid AOF manifest") != std::string::npos);
    // ...and --fix never truncates it (that would lose the list of files).
    ToolResult fix = RunCheckAof({"--fix", d.manifest()}, yes);
    INFO("pykv-check-aof --fix:\n" << fix.out << fix.err);
    CHECK(fix.exit_code == 1);
    CHECK(ReadBytes(d.manifest()) == text);
  }
  WriteBytes(d.manifest(), good);
  auto srv = StartAof(d);
  Conn c = ConnectLoaded(*srv);
  CHECK(Cmd(c, {"GET", "a"}) == Bulk("1"));
}

TEST_CASE("persist: pykv-check-aof --fix cuts a torn tail after confirmation") {
  SKIP_IN_REFERENCE_MODE();
  DataDir d;
  {
    auto srv = StartAof(d);
    Conn c = ConnectLoaded(*srv);
    Must(c.get(), {"SET", "x", "1"});
    Must(c.get(), {"SET", "y", "2"});
    CHECK(StopClean(*srv));
  }
  const std::string incr = LastIncrPath(d);
  const std::string name = std::filesystem::path(incr).filename().string();
  const std::string yes = StdinFile(d, "yes.txt", "y\n");
  const std::string no = StdinFile(d, "no.txt", "n\n");
  struct Tail {
    const char* what;
    std::string bytes;
  };
  std::vector<Tail> tails = {
      {"a partial command", "*3\r\n$3\r\nSET\r\n$1\r\nk"},
      {"an open MULTI with an annotated batch",
       [] {
         std::string t = Resp({"MULTI"}) + Resp({"SET", "mk", "1"});
         return t + Annotation(t);
       }()},
  };
  for (const Tail& t : tails) {
    INFO("torn tail: " << std::string(t.what));
    const int64_t size0 = FileSize(incr);
    AppendBytes(incr, t.bytes);
    const int64_t torn_size = FileSize(incr);

    ToolResult check = RunCheckAof({d.manifest()});
    INFO("check:\n" << check.out << check.err);
    CHECK(check.exit_code == 1);
    CHECK(check.out.find("First bad offset " + std::to_string(size0) + " in " + name) !=
          std::string::npos);
    CHECK(check.out.find("ok_up_to=" + std::to_string(size0)) != std::string::npos);

    ToolResult refused = RunCheckAof({"--fix", d.manifest()}, no);
    INFO("--fix, answered n:\n" << refused.out << refused.err);
    CHECK(refused.exit_code == 1);
    CHECK(refused.out.find("Continue? [y/N]:") != std::string::npos);
    CHECK(FileSize(incr) == torn_size);

    ToolResult fixed = RunCheckAof({"--fix", d.manifest()}, yes);
    INFO("--fix, answered y:\n" << fixed.out << fixed.err);
    CHECK(fixed.exit_code == 0);
    CHECK(fixed.out.find("Continue? [y/N]:") != std::string::npos);
    CHECK(fixed.out.find("Successfully truncated") != std::string::npos);
    CHECK(FileSize(incr) == size0);

    ToolResult valid = RunCheckAof({d.manifest()});
    CHECK(valid.exit_code == 0);
    CHECK(valid.out.find("All AOF files and manifest are valid") != std::string::npos);
  }
  // A single file given directly works the same.
  const int64_t size0 = FileSize(incr);
  AppendBytes(incr, "*2\r\n$4\r\nINCR");
  CHECK(RunCheckAof({incr}).exit_code == 1);
  CHECK(RunCheckAof({"--fix", incr}, yes).exit_code == 0);
  CHECK(FileSize(incr) == size0);

  auto srv = StartAof(d);
  Conn c = ConnectLoaded(*srv);
  CHECK(Cmd(c, {"MGET", "x", "y", "mk"}) == Arr({Bulk("1"), Bulk("2"), Nil()}));
  CHECK(ReadBytes(srv->log_path()).find("torn write") == std::string::npos);
}

// ---- disk full ----

// A small tmpfs mounted for the test's lifetime (unmounted even when the test fails).
class TmpfsMount {
 public:
  explicit TmpfsMount(size_t bytes) {
    std::string tmpl = (std::filesystem::temp_directory_path() / "pykv-tmpfs-XXXXXX").string();
    if (mkdtemp(tmpl.data()) == nullptr) return;
    path_ = tmpl;
    std::string opts = "size=" + std::to_string(bytes);
    if (mount("tmpfs", path_.c_str(), "tmpfs", 0, opts.c_str()) == 0) {
      mounted_ = true;
    } else {
      error_ = std::strerror(errno);
    }
    failures_at_start_ = FailedAssertions();
  }
  ~TmpfsMount() {
    if (mounted_ && (FailedAssertions() > failures_at_start_ || std::uncaught_exceptions() > 0)) {
      // Keep the files for a post-mortem: the mount goes away.
      std::string keep = path_ + "-kept";
      std::error_code ec;
      std::filesystem::copy(path_, keep, std::filesystem::copy_options::recursive, ec);
      std::cerr << "[pykv-it] test failed: tmpfs contents copied to " << keep << "\n";
    }
    if (mounted_) umount2(path_.c_str(), MNT_DETACH);
    if (!path_.empty()) rmdir(path_.c_str());
  }
  TmpfsMount(const TmpfsMount&) = delete;
  TmpfsMount& operator=(const TmpfsMount&) = delete;

  bool mounted() const { return mounted_; }
  const std::string& path() const { return path_; }
  const std::string& error() const { return error_; }

 private:
  std::string path_;
  std::string error_;
  bool mounted_ = false;
  int failures_at_start_ = 0;
};

// A test that needs a small disk runs only where it can mount one (root). Elsewhere it says
// so; under CI, where it always can, not running is a failure.
bool UsableOrSkipped(const TmpfsMount& fs) {
  if (fs.mounted()) return true;
  if (std::getenv("CI") != nullptr) FAIL("cannot mount a tmpfs under CI: " << fs.error());
  WARN_MESSAGE(false, "cannot mount a tmpfs (" << fs.error() << "): the test did not run");
  return false;
}

TEST_CASE("persist: CONFIG SET appendonly yes on a full disk retries until the base fits") {
  SKIP_IN_REFERENCE_MODE();
  TmpfsMount fs(2 * 1024 * 1024);
  if (!UsableOrSkipped(fs)) return;
  DataDir d(fs.path());
  const std::string ballast = fs.path() + "/ballast";
  WriteBytes(ballast, std::string(1536 * 1024, 'b'));
  auto srv = std::make_unique<TestServer>(
      std::vector<std::string>{"--dir", d.path(), "--appendonly", "no"});
  Conn c = ConnectLoaded(*srv);
  // About 1 MB of data: its base cannot fit in the half megabyte left.
  for (int i = 0; i < 1000; ++i) {
    const std::string key = "big:" + std::to_string(i);
    Must(c.get(), {"SET", key, FillValue(key, static_cast<size_t>(i), 1000)});
  }
  CHECK(Cmd(c, {"CONFIG", "SET", "appendonly", "yes"}) == Ok());
  REQUIRE(WaitFor([&] { return PersistenceField(c.get(), "aof_last_bgrewrite_status") == "err"; },
                  milliseconds(20000)));
  // No manifest while the data set is not on disk: a restart now would find no AOF
  // rather than part of one.
  CHECK_FALSE(Exists(d.manifest()));
  CHECK(PersistenceField(c.get(), "aof_enabled") == "1");
  std::filesystem::remove(ballast);
  // The cron retries (about once a second) and now the base fits.
  REQUIRE(WaitFor(
      [&] {
        return PersistenceField(c.get(), "aof_last_bgrewrite_status") == "ok" &&
               PersistenceField(c.get(), "aof_rewrite_in_progress") == "0";
      },
      milliseconds(20000)));
  CHECK(Exists(d.manifest()));
  Must(c.get(), {"SET", "after", "retry"});
  const DataSet before = Capture(c.get());
  CHECK(StopClean(*srv));
  srv = StartAof(d);
  Conn c2 = ConnectLoaded(*srv);
  CheckSameData(before, Capture(c2.get()), "after the initial rewrite was retried");
  CHECK(StopClean(*srv));
}

TEST_CASE("persist: automatic rewrites that keep failing back off instead of forking each tick") {
  SKIP_IN_REFERENCE_MODE();
  TmpfsMount fs(2 * 1024 * 1024);
  if (!UsableOrSkipped(fs)) return;
  DataDir d(fs.path());
  auto srv = StartAof(
      d, "everysec", {"--auto-aof-rewrite-percentage", "0", "--auto-aof-rewrite-min-size", "64kb"});
  Conn c = ConnectLoaded(*srv);
  for (int i = 0; i < 600; ++i) {
    const std::string key = "big:" + std::to_string(i);
    Must(c.get(), {"SET", key, FillValue(key, static_cast<size_t>(i), 1000)});
  }
  // Leave less room than a base of the ~600 KB data set needs; nothing else is written,
  // so only the rewrite child meets the full disk.
  const std::string ballast = fs.path() + "/ballast";
  const auto space = std::filesystem::space(fs.path());
  REQUIRE(space.available > 300 * 1024);
  WriteBytes(ballast, std::string(space.available - 300 * 1024, 'b'));
  CHECK(Cmd(c, {"CONFIG", "SET", "auto-aof-rewrite-percentage", "100"}) == Ok());
  REQUIRE(
      WaitFor([&] { return PersistenceField(c.get(), "aof_rewrites_consecutive_failures") == "3"; },
              milliseconds(20000)));
  // At hz 10 the cron would have tried about 25 more times in these 2.5 s.
  std::this_thread::sleep_for(milliseconds(2500));
  CHECK(PersistenceField(c.get(), "aof_rewrites_consecutive_failures") == "3");
  CHECK(PersistenceField(c.get(), "aof_rewrite_in_progress") == "0");
  CHECK(ReadBytes(srv->log_path()).find("next try in 1 minutes") != std::string::npos);
  // BGREWRITEAOF is not limited: once there is room it succeeds and the count resets.
  std::filesystem::remove(ballast);
  CHECK(Cmd(c, {"BGREWRITEAOF"}) == St("Background append only file rewriting started"));
  REQUIRE(WaitFor(
      [&] {
        return PersistenceField(c.get(), "aof_rewrite_in_progress") == "0" &&
               PersistenceField(c.get(), "aof_last_bgrewrite_status") == "ok";
      },
      milliseconds(20000)));
  CHECK(PersistenceField(c.get(), "aof_rewrites_consecutive_failures") == "0");
  CHECK(StopClean(*srv));
}

TEST_CASE("persist: a full disk gives MISCONF, loses nothing acknowledged, and recovers") {
  SKIP_IN_REFERENCE_MODE();
  TmpfsMount fs(2 * 1024 * 1024);
  if (!UsableOrSkipped(fs)) return;
  DataDir d(fs.path());
  const std::string ballast = fs.path() + "/ballast";
  WriteBytes(ballast, std::string(1024 * 1024, 'b'));
  REQUIRE(FileSize(ballast) == 1024 * 1024);

  auto srv = StartAof(d, "always", {"--auto-aof-rewrite-percentage", "0"});
  Conn ctl = srv->Connect();
  Conn w = srv->Connect(60);  // the writer's last reply may be held until space is freed

  // A writer thread: SETs 1 KB values until told to stop or refused. The write whose batch
  // hits ENOSPC has its reply held until the AOF holds it.
  std::atomic<bool> stop{false};
  std::vector<std::string> acked;
  std::vector<std::pair<std::string, Reply>> other;  // refused or no reply
  std::thread writer([&] {
    for (int i = 0; !stop.load(); ++i) {
      std::string key = "full:" + std::to_string(i);
      Reply r = Cmd(w, {"SET", key, FillValue(key, static_cast<size_t>(i), 1000)});
      if (r.ok()) {
        acked.push_back(key);
      } else {
        other.emplace_back(key, r);
        break;
      }
    }
  });
  // On an early exit: unblock the writer (its reply may be held) and join it.
  struct Joiner {
    std::thread& t;
    std::atomic<bool>& stop;
    redisContext* conn;
    ~Joiner() {
      stop = true;
      if (!t.joinable()) return;
      shutdown(conn->fd, SHUT_RDWR);
      t.join();
    }
  } joiner{writer, stop, w.get()};

  bool failing =
      WaitFor([&] { return PersistenceField(ctl.get(), "aof_last_write_status") == "err"; },
              milliseconds(30000));
  stop = true;
  REQUIRE_MESSAGE(failing, "the disk never filled up; INFO:\n" << Info(ctl.get(), "persistence"));
  std::string info = Info(ctl.get(), "persistence");
  CHECK(InfoField(info, "aof_last_write_error") == "No space left on device");

  // Writes are refused, reads work.
  CHECK(Cmd(ctl, {"SET", "refused", "x"}) ==
        Err("MISCONF Errors writing to the AOF file: No space left on device"));
  CHECK(Cmd(ctl, {"INCR", "refused-ctr"}) ==
        Err("MISCONF Errors writing to the AOF file: No space left on device"));
  // As in Redis, PING reports the disk error too (health checks see it); reads go on.
  CHECK(Cmd(ctl, {"PING"}) ==
        Err("MISCONF Errors writing to the AOF file: No space left on device"));
  CHECK(Cmd(ctl, {"ECHO", "alive"}) == Bulk("alive"));
  // (the writer thread is blocked on its held reply or done: `acked` is not written now)
  size_t acked_while_failing = 0;
  {
    // Reading `acked` concurrently is not safe; read keys from the server instead.
    Reply keys = Cmd(ctl, {"KEYS", "full:*"});
    REQUIRE(keys.is_array());
    acked_while_failing = keys.elements.size();
    CHECK(acked_while_failing > 100);
    Reply v = Cmd(ctl, {"GET", "full:0"});
    CHECK(v == Bulk(FillValue("full:0", 0, 1000)));
  }

  // A rewrite may not be able to start (the current file cannot be flushed): then it is an
  // error reply with an error code, recorded in INFO as Redis 7.0 does
  // (aof_lastbgrewrite_status = C_ERR when the new incr file cannot be opened), and the
  // server goes on.
  Reply rw = Cmd(ctl, {"BGREWRITEAOF"});
  if (rw.is_error()) {
    CHECK_MESSAGE(rw.str.rfind("ERR ", 0) == 0, "BGREWRITEAOF on a full disk -> " << rw.Describe());
    CHECK(PersistenceField(ctl.get(), "aof_last_bgrewrite_status") == "err");
  } else {
    CHECK(rw == St("Background append only file rewriting started"));
  }
  CHECK(WaitFor([&] { return PersistenceField(ctl.get(), "aof_rewrite_in_progress") == "0"; },
                milliseconds(30000)));
  CHECK(Cmd(ctl, {"ECHO", "alive"}) == Bulk("alive"));

  // Free space: within the retry interval writes are accepted again.
  REQUIRE(std::filesystem::remove(ballast));
  bool recovered = WaitFor(
      [&] {
        return Cmd(ctl, {"SET", "recovered", "yes"}).ok();
      },
      milliseconds(15000), milliseconds(50));
  CHECK(recovered);
  CHECK(PersistenceField(ctl.get(), "aof_last_write_status") == "ok");
  CHECK(Cmd(ctl, {"PING"}) == St("PONG"));
  writer.join();
  MESSAGE("full disk: the writer got "
          << acked.size() << " OK replies, then "
          << (other.empty() ? std::string("stopped") : other[0].second.Describe()) << "; "
          << acked_while_failing << " keys existed while writes were refused");
  CHECK(acked.size() > 100);
  // The write whose batch failed was held, not refused: it was acknowledged once durable
  // (a -MISCONF for it would also be correct if it was not applied; no reply is not).
  for (const auto& [key, r] : other) {
    CHECK_MESSAGE(r.is_error(), key << " -> " << r.Describe());
    if (r.is_error()) CHECK(r.str.rfind("MISCONF", 0) == 0);
  }
  for (const std::string& k : acked) {
    Reply v = Cmd(ctl, {"GET", k});
    if (!(v == Bulk(FillValue(k, std::stoul(k.substr(5)), 1000)))) {
      FAIL_CHECK("acknowledged " << k << " reads " << v.Describe());
      break;
    }
  }
  CHECK(Cmd(ctl, {"EXISTS", "refused", "refused-ctr"}) == Int(0));
  Must(ctl.get(), {"SET", "after", "1"});
  // Rewrites work again (the base then holds everything; the tmpfs has room for it).
  BgRewriteAndWait(ctl.get());

  // Everything acknowledged is in the AOF.
  CHECK(StopClean(*srv));
  srv.reset();
  srv = StartAof(d);
  Conn c = ConnectLoaded(*srv);
  for (const std::string& k : acked) {
    Reply v = Cmd(c, {"GET", k});
    if (!(v == Bulk(FillValue(k, std::stoul(k.substr(5)), 1000)))) {
      FAIL_CHECK("after restart, acknowledged " << k << " reads " << v.Describe());
      break;
    }
  }
  CHECK(Cmd(c, {"MGET", "recovered", "after", "refused"}) == Arr({Bulk("yes"), Bulk("1"), Nil()}));
  CHECK(Cmd(c, {"DBSIZE"}).integer == static_cast<long long>(acked.size()) + 2);
  CHECK(StopClean(*srv));
}

// ---- switching the AOF on at run time, DEBUG RELOAD, concurrent BGREWRITEAOF ----

TEST_CASE("persist: CONFIG SET appendonly yes at run time writes the data set to the AOF") {
  SKIP_IN_REFERENCE_MODE();
  DataDir d;
  std::mt19937_64 rng(505);
  DataSet before;
  {
    auto srv = std::make_unique<TestServer>(
        std::vector<std::string>{"--dir", d.path(), "--appendonly", "no"});
    Conn c = ConnectLoaded(*srv);
    Populate(c.get(), "a", rng);
    CHECK(PersistenceField(c.get(), "aof_enabled") == "0");
    CHECK_FALSE(Exists(d.manifest()));
    CHECK(Cmd(c, {"CONFIG", "SET", "appendonly", "yes"}) == Ok());
    CHECK(Cmd(c, {"CONFIG", "GET", "appendonly"}) == Bulks({"appendonly", "yes"}));
    CHECK(PersistenceField(c.get(), "aof_enabled") == "1");
    // The data set is written by a child; the manifest appears only once it is complete.
    REQUIRE(WaitFor([&] { return PersistenceField(c.get(), "aof_rewrite_in_progress") == "0"; },
                    milliseconds(30000)));
    CHECK(PersistenceField(c.get(), "aof_last_bgrewrite_status") == "ok");
    CHECK(Exists(d.manifest()));
    CHECK_FALSE(ReadManifest(d).base.empty());  // it started with a rewrite
    // Writes after the switch go to the AOF as usual.
    Populate(c.get(), "b", rng);
    Mutate(c.get(), "a", rng);
    before = Capture(c.get());
    CHECK(StopClean(*srv));
  }
  {
    auto srv = StartAof(d);
    Conn c = ConnectLoaded(*srv);
    CheckSameData(before, Capture(c.get()), "after CONFIG SET appendonly yes and a restart");
    // Switching it off: later writes are not logged; the files keep the data as of then.
    CHECK(Cmd(c, {"CONFIG", "SET", "appendonly", "no"}) == Ok());
    CHECK(PersistenceField(c.get(), "aof_enabled") == "0");
    Must(c.get(), {"SET", "unlogged", "1"});
    CHECK(StopClean(*srv));
  }
  {
    auto srv = StartAof(d);
    Conn c = ConnectLoaded(*srv);
    CheckSameData(before, Capture(c.get()), "after CONFIG SET appendonly no and a restart");
    CHECK(Cmd(c, {"EXISTS", "unlogged"}) == Int(0));
  }
}

TEST_CASE("persist: SHUTDOWN while CONFIG SET appendonly yes is still writing keeps the data") {
  SKIP_IN_REFERENCE_MODE();
  DataDir d;
  const int keys = static_cast<int>(Scaled(200'000, 20'000));
  {
    auto srv = std::make_unique<TestServer>(
        std::vector<std::string>{"--dir", d.path(), "--appendonly", "no"});
    Conn c = ConnectLoaded(*srv);
    // Big enough that the child is usually still writing when SHUTDOWN comes; either way
    // (child done, or the base written in the foreground) the data must all be there.
    for (int i = 0; i < keys; i += 1000) {
      std::vector<std::string> mset = {"MSET"};
      for (int j = i; j < i + 1000; ++j) {
        mset.push_back("k" + std::to_string(j));
        mset.push_back("v" + std::to_string(j));
      }
      Must(c.get(), mset);
    }
    CHECK(Cmd(c, {"CONFIG", "SET", "appendonly", "yes"}) == Ok());
    Must(c.get(), {"SET", "after", "switch"});
    // While the initial base is incomplete the files do not hold the data set: a reload
    // from them is refused rather than losing it.
    const Reply reload = Cmd(c, {"DEBUG", "LOADAOF"});
    if (reload.is_error()) {
      CHECK(reload.str.find("initial AOF") != std::string::npos);
    }
    CHECK(Cmd(c, {"DBSIZE"}) == Int(keys + 1));
    CHECK(StopClean(*srv));
  }
  {
    auto srv = StartAof(d);
    Conn c = ConnectLoaded(*srv);
    CHECK(Cmd(c, {"DBSIZE"}) == Int(keys + 1));
    CHECK(Cmd(c, {"GET", "k0"}) == Bulk("v0"));
    CHECK(Cmd(c, {"GET", "k" + std::to_string(keys - 1)}) == Bulk("v" + std::to_string(keys - 1)));
    CHECK(Cmd(c, {"GET", "after"}) == Bulk("switch"));
  }
}

TEST_CASE("persist: CONFIG SET appendonly yes replaces the files of an earlier run") {
  SKIP_IN_REFERENCE_MODE();
  DataDir d;
  {
    auto srv = StartAof(d);
    Conn c = ConnectLoaded(*srv);
    Must(c.get(), {"SET", "old", "1"});
    Must(c.get(), {"SET", "shared", "old"});
    CHECK(StopClean(*srv));
  }
  {
    // The AOF is off: the earlier run's files are not loaded...
    auto srv = std::make_unique<TestServer>(
        std::vector<std::string>{"--dir", d.path(), "--appendonly", "no"});
    Conn c = srv->Connect();
    CHECK(Cmd(c, {"DBSIZE"}) == Int(0));
    Must(c.get(), {"SET", "new", "1"});
    Must(c.get(), {"SET", "shared", "new"});
    // ...and turning it on writes this server's data set in their place.
    CHECK(Cmd(c, {"CONFIG", "SET", "appendonly", "yes"}) == Ok());
    Must(c.get(), {"SET", "after", "1"});
    CHECK(StopClean(*srv));
  }
  auto srv = StartAof(d);
  Conn c = ConnectLoaded(*srv);
  CHECK(Cmd(c, {"MGET", "old", "new", "shared", "after"}) ==
        Arr({Nil(), Bulk("1"), Bulk("new"), Bulk("1")}));
  CHECK(Cmd(c, {"DBSIZE"}) == Int(3));
  // Only what the manifest names is left.
  ManifestFiles m = ReadManifest(d);
  std::vector<std::string> want = {"appendonly.aof.manifest"};
  if (!m.base.empty()) want.push_back(m.base);
  want.insert(want.end(), m.incrs.begin(), m.incrs.end());
  std::sort(want.begin(), want.end());
  CHECK(ListDir(d.aof_dir()) == want);
}

TEST_CASE("persist: DEBUG RELOAD and DEBUG LOADAOF keep the data set") {
  SKIP_IN_REFERENCE_MODE();
  DataDir d;
  std::mt19937_64 rng(606);
  auto srv = StartAof(d);
  Conn c = ConnectLoaded(*srv);
  Populate(c.get(), "a", rng);
  DataSet before = Capture(c.get());
  long long rewrites = InfoInt(c.get(), "persistence", "aof_rewrites");
  CHECK(Cmd(c, {"DEBUG", "RELOAD"}) == Ok());
  CHECK(InfoInt(c.get(), "persistence", "aof_rewrites") == rewrites + 1);
  CheckSameData(before, Capture(c.get()), "after DEBUG RELOAD");
  Populate(c.get(), "b", rng);
  before = Capture(c.get());
  CHECK(Cmd(c, {"DEBUG", "LOADAOF"}) == Ok());
  CheckSameData(before, Capture(c.get()), "after DEBUG LOADAOF");
  Mutate(c.get(), "b", rng);
  before = Capture(c.get());
  CHECK(Cmd(c, {"DEBUG", "RELOAD"}) == Ok());
  CHECK(Cmd(c, {"DEBUG", "LOADAOF"}) == Ok());
  CheckSameData(before, Capture(c.get()), "after DEBUG RELOAD + LOADAOF");
  CHECK(StopClean(*srv));
  srv = StartAof(d);
  c = ConnectLoaded(*srv);
  CheckSameData(before, Capture(c.get()), "after a restart");
}

TEST_CASE("persist: BGREWRITEAOF while one runs is refused or scheduled") {
  SKIP_IN_REFERENCE_MODE();
  DataDir d;
  const size_t n = Scaled(200000, 60000);
  auto srv = StartAof(d, "no", {"--auto-aof-rewrite-percentage", "0"});
  Conn c = ConnectLoaded(*srv);
  REQUIRE(FillKeys(c.get(), "big:", n, 60));
  long long rewrites = InfoInt(c.get(), "persistence", "aof_rewrites");
  // Both in one read: the second arrives while the first's child is surely running.
  Append(c.get(), {"BGREWRITEAOF"});
  Append(c.get(), {"INFO", "persistence"});
  Append(c.get(), {"BGREWRITEAOF"});
  Append(c.get(), {"BGSAVE"});
  Reply first = GetReply(c.get());
  Reply info = GetReply(c.get());
  Reply second = GetReply(c.get());
  Reply bgsave = GetReply(c.get());
  CHECK(first == St("Background append only file rewriting started"));
  CHECK(InfoField(info.str, "aof_rewrite_in_progress") == "1");
  const bool scheduled = second == St("Background append only file rewriting scheduled");
  CHECK_MESSAGE((scheduled || second == Err("ERR Background append only file rewriting already "
                                            "in progress")),
                second.Describe());
  CHECK_MESSAGE((bgsave.is_error() || bgsave == St("Background saving scheduled")),
                bgsave.Describe());
  CHECK(WaitRewriteDone(c.get(), rewrites + (scheduled ? 2 : 1)));
  CHECK(PersistenceField(c.get(), "aof_last_bgrewrite_status") == "ok");
  // A new one is accepted once the first is done.
  BgRewriteAndWait(c.get());
  // SHUTDOWN while a rewrite runs: the child is stopped, its temp file removed, nothing lost.
  CHECK(Cmd(c, {"BGREWRITEAOF"}) == St("Background append only file rewriting started"));
  CHECK(StopClean(*srv));
  for (const std::string& name : ListDir(d.aof_dir())) CHECK(name.rfind("temp-", 0) != 0);
  CHECK(RunCheckAof({d.manifest()}).exit_code == 0);
  srv = StartAof(d);
  c = ConnectLoaded(*srv);
  CHECK(Cmd(c, {"DBSIZE"}) == Int(static_cast<long long>(n)));
  CHECK(Cmd(c, {"GET", "big:77"}) == Bulk(FillValue("big:", 77, 60)));
}

}  // namespace
}  // namespace pykv::it
