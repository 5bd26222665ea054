#include "persistence/aof_loader.h"

#include <doctest/doctest.h>

#include <fstream>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "aof_test_files.h"
#include "common/clock.h"
#include "common/numbers.h"
#include "faulty_file_ops.h"
#include "store/keyspace.h"
#include "store/snapshot.h"

namespace pykv::persistence {
namespace {

using testing::Batch;
using testing::Cmd;
using testing::ScopedTempDir;

constexpr int64_t kNow = 1'700'000'000'000;

// Stands in for the dispatcher in loading mode: logs every command, applies SET/DEL/INCR
// to the keyspace, queues between MULTI and EXEC.
struct FakeDispatcher {
  store::Keyspace* ks;
  std::vector<std::string> log;
  bool in_multi = false;
  std::vector<std::vector<std::string>> queued;

  void Apply(const std::vector<std::string>& a) {
    const std::string name = ToLower(a[0]);
    if (name == "set") {
      ks->Set(a[1], a[2]);
    } else if (name == "del") {
      ks->Delete(a[1]);
    } else if (name == "incr") {
      const store::Entry* e = ks->Find(a[1]);
      int64_t v = 0;
      if (e != nullptr) REQUIRE(ParseInt64(e->value(), &v));
      ks->Set(a[1], std::to_string(v + 1));
    }
  }

  void operator()(std::span<const std::string_view> argv) {
    std::vector<std::string> a(argv.begin(), argv.end());
    std::string joined;
    for (const std::string& s : a) joined += (joined.empty() ? "" : " ") + s;
    log.push_back(joined);
    const std::string name = ToLower(a[0]);
    if (name == "multi") {
      REQUIRE_FALSE(in_multi);
      in_multi = true;
    } else if (name == "exec") {
      REQUIRE(in_multi);
      for (const auto& q : queued) Apply(q);
      queued.clear();
      in_multi = false;
    } else if (in_multi) {
      queued.push_back(a);
    } else {
      Apply(a);
    }
  }
};

void WriteFile(const std::string& path, std::string_view data) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(data.data(), static_cast<std::streamsize>(data.size()));
  REQUIRE(out.good());
}

std::string ReadFile(const std::string& path) {
  StatusOr<std::string> s = ReadWholeFile(FileOps::Posix(), path);
  REQUIRE_MESSAGE(s.ok(), s.status().message());
  return *s;
}

std::string IncrName(uint64_t seq) {
  return Manifest::IncrName("appendonly.aof", seq);
}
std::string BaseName(uint64_t seq) {
  return Manifest::BaseName("appendonly.aof", seq);
}

// Writes a manifest naming the given base (optional) and incremental files.
void WriteManifest(const ScopedTempDir& dir, std::optional<std::string> base,
                   const std::vector<std::string>& incrs) {
  Manifest m;
  uint64_t seq = 1;
  if (base) m.base = AofFileInfo{*base, seq++, 'b'};
  for (const std::string& n : incrs) m.incrs.push_back({n, seq++, 'i'});
  WriteFile(dir.File(Manifest::ManifestName("appendonly.aof")), m.Serialize());
}

std::string Snapshot(const std::vector<std::tuple<std::string, std::string, int64_t>>& recs,
                     const std::optional<ReplicationPosition>& position = std::nullopt) {
  std::string out;
  store::SnapshotEncoder enc([&](std::string_view b) {
    out.append(b);
    return Status::Ok();
  });
  REQUIRE(enc.Begin(kNow, recs.size(), position).ok());
  for (const auto& [k, v, e] : recs) REQUIRE(enc.Add(k, v, e).ok());
  REQUIRE(enc.Finish().ok());
  return out;
}

struct Fixture {
  ScopedTempDir dir;
  FakeClock clock{kNow};
  store::Keyspace ks{&clock, {7}};
  FakeDispatcher disp{&ks};
  AofLoaderOptions opts;

  Fixture() {
    opts.aof_dir = dir.path();
    opts.progress_log_interval_s = 0;
  }
  std::unique_ptr<AofLoader> MakeLoader() {
    return std::make_unique<AofLoader>(
        FileOps::Posix(), &ks, [this](std::span<const std::string_view> a) { disp(a); }, opts);
  }
  Status Load(std::unique_ptr<AofLoader>* keep = nullptr) {
    std::unique_ptr<AofLoader> l = MakeLoader();
    Status s = l->LoadAll();
    if (keep != nullptr) *keep = std::move(l);
    return s;
  }
  std::string Get(std::string_view key) {
    const store::Entry* e = ks.Peek(key);
    return e == nullptr ? "<nil>" : std::string(e->value());
  }
};

TEST_CASE("AofLoader: no directory or no manifest means an empty data set") {
  Fixture f;
  f.opts.aof_dir = f.dir.File("missing");
  std::unique_ptr<AofLoader> l = f.MakeLoader();
  REQUIRE(l->Start().ok());
  CHECK(l->done());
  CHECK_FALSE(l->found_manifest());
  StatusOr<bool> done = l->Step(0);
  REQUIRE(done.ok());
  CHECK(*done);

  Fixture g;  // the directory exists but holds no manifest
  REQUIRE(g.Load().ok());
  CHECK(g.ks.size() == 0);
}

TEST_CASE("AofLoader: base, then the incremental files in manifest order") {
  Fixture f;
  WriteFile(f.dir.File(BaseName(1)), Snapshot({{"k1", "base", -1},
                                               {"k2", "base2", kNow + 60'000},
                                               {"gone", "expired", kNow - 1},
                                               {"k4", "base4", -1}}));
  WriteFile(f.dir.File(IncrName(2)), Batch(Cmd({"SET", "k1", "incr1"}) + Cmd({"SET", "k3", "x"})) +
                                         Batch(Cmd({"INCR", "n"})));
  WriteFile(f.dir.File(IncrName(3)),
            Batch(Cmd({"SET", "k1", "incr2"}) + Cmd({"DEL", "k3"}) + Cmd({"INCR", "n"})));
  WriteManifest(f.dir, BaseName(1), {IncrName(2), IncrName(3)});

  std::unique_ptr<AofLoader> l;
  Status s = f.Load(&l);
  REQUIRE_MESSAGE(s.ok(), s.message());
  CHECK(f.disp.log == std::vector<std::string>{"SET k1 incr1", "SET k3 x", "INCR n", "SET k1 incr2",
                                               "DEL k3", "INCR n"});
  CHECK(f.Get("k1") == "incr2");
  CHECK(f.Get("k2") == "base2");
  CHECK(f.ks.Peek("k2")->expire_at_ms() == kNow + 60'000);
  CHECK(f.Get("k3") == "<nil>");
  CHECK(f.Get("k4") == "base4");
  CHECK(f.Get("n") == "2");
  // Expired keys are not resurrected.
  CHECK(f.ks.Peek("gone") == nullptr);
  CHECK(f.ks.size() == 4);
  const AofLoadProgress& p = l->progress();
  CHECK(p.base_keys == 3);
  CHECK(p.base_expired == 1);
  CHECK(p.commands == 6);
  CHECK(p.bytes_done == p.bytes_total);
  CHECK(p.file_index == p.file_count);
  CHECK(p.file_count == 3);
  CHECK(l->truncations().empty());
}

// Three files; the last holds two batches. Returns the last file's name and the offset
// where its last batch starts.
struct TornSetup {
  std::string incr_last;
  std::string full;
  size_t last_batch;
  std::vector<std::string> before;  // the log up to the last batch
};

TornSetup WriteTornSetup(Fixture& f, std::string_view last_batch) {
  TornSetup t;
  WriteFile(f.dir.File(BaseName(1)), Snapshot({{"b", "base", -1}}));
  WriteFile(f.dir.File(IncrName(2)), Batch(Cmd({"SET", "a", "1"})));
  t.incr_last = IncrName(3);
  t.full = Batch(Cmd({"SET", "c", "3"}) + Cmd({"INCR", "n"}));
  t.last_batch = t.full.size();
  t.full += last_batch;
  WriteManifest(f.dir, BaseName(1), {IncrName(2), t.incr_last});
  t.before = {"SET a 1", "SET c 3", "INCR n"};
  return t;
}

TEST_CASE("AofLoader: a torn last batch is cut at every byte, the rest intact") {
  const std::string last =
      Batch(Cmd({"SET", "d", std::string(40, 'v')}) + Cmd({"DEL", "a"}) + Cmd({"SET", "e", "5"}));
  for (size_t chunk : {size_t{7}, size_t{1 << 20}}) {
    Fixture probe;
    const TornSetup t = WriteTornSetup(probe, last);
    for (size_t cut = t.last_batch + 1; cut < t.full.size(); ++cut) {
      CAPTURE(cut);
      CAPTURE(chunk);
      Fixture f;
      f.opts.chunk_bytes = chunk;
      WriteTornSetup(f, last);
      WriteFile(f.dir.File(t.incr_last), std::string_view(t.full).substr(0, cut));
      std::unique_ptr<AofLoader> l;
      Status s = f.Load(&l);
      REQUIRE_MESSAGE(s.ok(), s.message());
      // Nothing of the torn batch was handed over; everything before it was.
      CHECK(f.disp.log == t.before);
      CHECK(f.Get("a") == "1");
      CHECK(f.Get("b") == "base");
      CHECK(f.Get("d") == "<nil>");
      CHECK(ReadFile(f.dir.File(t.incr_last)) == t.full.substr(0, t.last_batch));
      REQUIRE(l->truncations().size() == 1);
      CHECK(l->truncations()[0].file == t.incr_last);
      CHECK(l->truncations()[0].offset == t.last_batch);
      CHECK(l->truncations()[0].dropped == cut - t.last_batch);
    }
  }
  // Untouched, the same files load whole.
  Fixture f;
  const TornSetup t = WriteTornSetup(f, last);
  WriteFile(f.dir.File(t.incr_last), t.full);
  REQUIRE(f.Load().ok());
  CHECK(f.disp.log.size() == 6);
  CHECK(f.Get("a") == "<nil>");
  CHECK(f.Get("e") == "5");
}

TEST_CASE("AofLoader: without aof-load-truncated a torn tail stops the start") {
  Fixture f;
  f.opts.load_truncated = false;
  const TornSetup t = WriteTornSetup(f, Batch(Cmd({"SET", "d", "4"})));
  WriteFile(f.dir.File(t.incr_last), t.full.substr(0, t.full.size() - 3));
  Status s = f.Load();
  REQUIRE_FALSE(s.ok());
  CHECK(s.code() == Status::Code::kCorruption);
  CHECK(s.message().find("Unexpected end of file reading the append only file " + t.incr_last +
                         " at offset " + std::to_string(t.last_batch)) == 0);
  CHECK(s.message().find("aof-load-truncated") != std::string::npos);
  CHECK(ReadFile(f.dir.File(t.incr_last)).size() == t.full.size() - 3);  // untouched
}

TEST_CASE("AofLoader: a torn MULTI ... EXEC is dropped whole") {
  const std::string tx =
      Batch(Cmd({"MULTI"}) + Cmd({"SET", "x", "1"}) + Cmd({"INCR", "n"}) + Cmd({"EXEC"}));
  Fixture probe;
  const TornSetup t = WriteTornSetup(probe, tx);
  for (size_t cut = t.last_batch + 1; cut < t.full.size(); ++cut) {
    CAPTURE(cut);
    Fixture f;
    f.opts.chunk_bytes = 5;
    WriteTornSetup(f, tx);
    WriteFile(f.dir.File(t.incr_last), std::string_view(t.full).substr(0, cut));
    REQUIRE(f.Load().ok());
    CHECK(f.disp.log == t.before);  // not even the MULTI was handed over
    CHECK_FALSE(f.disp.in_multi);
    CHECK(ReadFile(f.dir.File(t.incr_last)).size() == t.last_batch);
  }

  // The Redis 7.0 case: a file without checksums whose MULTI lost its EXEC. Redis leaves
  // the MULTI in the file; PyKV cuts the file before it.
  Fixture f;
  const std::string head = Cmd({"SET", "a", "1"}) + Cmd({"SET", "b", "2"});
  WriteFile(f.dir.File(IncrName(1)),
            head + Cmd({"MULTI"}) + Cmd({"SET", "a", "changed"}) + Cmd({"INCR", "n"}));
  WriteManifest(f.dir, std::nullopt, {IncrName(1)});
  std::unique_ptr<AofLoader> l;
  REQUIRE(f.Load(&l).ok());
  CHECK(f.disp.log == std::vector<std::string>{"SET a 1", "SET b 2"});
  CHECK(ReadFile(f.dir.File(IncrName(1))) == head);
  REQUIRE(l->truncations().size() == 1);
  CHECK(l->truncations()[0].reason.find("MULTI") != std::string::npos);
  // Appending after the cut and loading again works (what the server does next).
  {
    std::ofstream out(f.dir.File(IncrName(1)), std::ios::binary | std::ios::app);
    out << Batch(Cmd({"SET", "c", "3"}));
  }
  Fixture g;
  g.opts.aof_dir = f.dir.path();
  REQUIRE(g.Load().ok());
  CHECK(g.disp.log == std::vector<std::string>{"SET a 1", "SET b 2", "SET c 3"});
}

TEST_CASE("AofLoader: a Redis-style file torn inside its last command") {
  const std::string head = Cmd({"SET", "a", "1"}) + "#TS:1700000000\r\n" + Cmd({"SET", "b", "2"});
  const std::string full = head + Cmd({"SET", "c", "three"});
  for (size_t cut = head.size() + 1; cut < full.size(); ++cut) {
    CAPTURE(cut);
    Fixture f;
    f.opts.chunk_bytes = 4;
    WriteFile(f.dir.File(IncrName(1)), std::string_view(full).substr(0, cut));
    WriteManifest(f.dir, std::nullopt, {IncrName(1)});
    REQUIRE(f.Load().ok());
    CHECK(f.disp.log == std::vector<std::string>{"SET a 1", "SET b 2"});
    CHECK(ReadFile(f.dir.File(IncrName(1))) == head);
  }
}

TEST_CASE("AofLoader: Redis-written files without checksums load (RESP base too)") {
  Fixture f;
  WriteFile(f.dir.File("appendonly.aof.1.base.aof"),
            Cmd({"SET", "a", "base"}) + Cmd({"SET", "b", "base"}));
  WriteFile(f.dir.File(IncrName(2)), "#TS:1700000000\r\n" + Cmd({"SET", "a", "incr"}) +
                                         Cmd({"MULTI"}) + Cmd({"INCR", "n"}) + Cmd({"EXEC"}));
  WriteManifest(f.dir, "appendonly.aof.1.base.aof", {IncrName(2)});
  std::unique_ptr<AofLoader> l;
  Status s = f.Load(&l);
  REQUIRE_MESSAGE(s.ok(), s.message());
  CHECK(f.Get("a") == "incr");
  CHECK(f.Get("b") == "base");
  CHECK(f.Get("n") == "1");
  CHECK(l->truncations().empty());
}

TEST_CASE("AofLoader: a flipped byte in a value of a middle batch stops the start") {
  Fixture f;
  WriteFile(f.dir.File(IncrName(1)), Batch(Cmd({"SET", "a", "1"})));
  const std::string b1 = Batch(Cmd({"SET", "x", "first"}));
  const std::string b2 = Batch(Cmd({"SET", "y", "some value"}) + Cmd({"INCR", "n"}));
  std::string last = b1 + b2 + Batch(Cmd({"SET", "z", "last"}));
  last[b1.size() + last.substr(b1.size()).find("some value") + 2] ^= 0x20;
  WriteFile(f.dir.File(IncrName(2)), last);
  WriteManifest(f.dir, std::nullopt, {IncrName(1), IncrName(2)});
  Status s = f.Load();
  REQUIRE_FALSE(s.ok());
  CHECK(s.code() == Status::Code::kCorruption);
  CHECK(s.message().find("Bad file format reading the append only file " + IncrName(2) +
                         " at offset " + std::to_string(b1.size()) + ": checksum mismatch") == 0);
  CHECK(s.message().find("pykv-check-aof --fix " + f.dir.File(IncrName(2))) != std::string::npos);
  CHECK(ReadFile(f.dir.File(IncrName(2))) == last);  // nothing cut

  // The same damage in a file that is not the last one.
  Fixture g;
  WriteFile(g.dir.File(IncrName(1)), last);
  WriteFile(g.dir.File(IncrName(2)), Batch(Cmd({"SET", "a", "1"})));
  WriteManifest(g.dir, std::nullopt, {IncrName(1), IncrName(2)});
  s = g.Load();
  REQUIRE_FALSE(s.ok());
  CHECK(s.message().find(IncrName(1) + " at offset " + std::to_string(b1.size())) !=
        std::string::npos);
}

TEST_CASE("AofLoader: a torn tail in a file that is not the last one is damage") {
  Fixture f;
  const std::string a = Batch(Cmd({"SET", "a", "1"}));
  WriteFile(f.dir.File(IncrName(1)), a + Batch(Cmd({"SET", "b", "2"})).substr(0, 10));
  WriteFile(f.dir.File(IncrName(2)), Batch(Cmd({"SET", "c", "3"})));
  WriteManifest(f.dir, std::nullopt, {IncrName(1), IncrName(2)});
  Status s = f.Load();
  REQUIRE_FALSE(s.ok());
  CHECK(s.message().find(IncrName(1) + " at offset " + std::to_string(a.size())) !=
        std::string::npos);
  CHECK(s.message().find("only the last file") != std::string::npos);
}

TEST_CASE("AofLoader: a file named by the manifest is missing") {
  Fixture f;
  WriteFile(f.dir.File(IncrName(1)), Batch(Cmd({"SET", "a", "1"})));
  WriteManifest(f.dir, BaseName(9), {IncrName(1), IncrName(2)});
  std::unique_ptr<AofLoader> l = f.MakeLoader();
  Status s = l->Start();
  REQUIRE_FALSE(s.ok());
  CHECK(s.code() == Status::Code::kCorruption);
  CHECK(s.message().find(BaseName(9)) != std::string::npos);
  CHECK(s.message().find("does not exist") != std::string::npos);
  CHECK_FALSE(l->Step(1000).ok());

  Fixture g;
  WriteFile(g.dir.File(IncrName(1)), Batch(Cmd({"SET", "a", "1"})));
  WriteManifest(g.dir, std::nullopt, {IncrName(1), IncrName(2)});
  s = g.Load();
  REQUIRE_FALSE(s.ok());
  CHECK(s.message().find(IncrName(2)) != std::string::npos);
}

TEST_CASE("AofLoader: a damaged base snapshot stops the start; an RDB base is refused") {
  Fixture f;
  std::string base = Snapshot({{"a", "1", -1}, {"b", "2", -1}});
  base[base.size() / 2] ^= 0x01;
  WriteFile(f.dir.File(BaseName(1)), base);
  WriteManifest(f.dir, BaseName(1), {});
  Status s = f.Load();
  REQUIRE_FALSE(s.ok());
  CHECK(s.code() == Status::Code::kCorruption);
  CHECK(s.message().find("Bad file format reading the append only file " + BaseName(1)) == 0);
  CHECK(s.message().find("cannot be repaired") != std::string::npos);

  Fixture g;
  const std::string whole = Snapshot({{"a", "1", -1}});
  WriteFile(g.dir.File(BaseName(1)), whole.substr(0, whole.size() - 1));
  WriteManifest(g.dir, BaseName(1), {});
  CHECK(g.Load().code() == Status::Code::kCorruption);

  Fixture h;
  WriteFile(h.dir.File("appendonly.aof.1.base.rdb"), "REDIS0011\xfa\x09redis-ver");
  WriteManifest(h.dir, "appendonly.aof.1.base.rdb", {});
  CHECK(h.Load().code() == Status::Code::kUnsupported);
}

TEST_CASE("AofLoader: tiny budgets and chunks still finish, progress is monotonic") {
  Fixture ref;
  std::string base_data;
  {
    std::vector<std::tuple<std::string, std::string, int64_t>> recs;
    for (int i = 0; i < 3000; ++i) recs.emplace_back("k" + std::to_string(i), "v", -1);
    base_data = Snapshot(recs);
  }
  std::string incr;
  for (int b = 0; b < 50; ++b) {
    std::string batch;
    for (int i = 0; i < 40; ++i) batch += Cmd({"SET", "k" + std::to_string(b * 40 + i), "new"});
    incr += Batch(batch);
  }
  auto setup = [&](Fixture& f) {
    WriteFile(f.dir.File(BaseName(1)), base_data);
    WriteFile(f.dir.File(IncrName(2)), incr);
    WriteFile(f.dir.File(IncrName(3)), incr);
    WriteManifest(f.dir, BaseName(1), {IncrName(2), IncrName(3)});
  };
  setup(ref);
  REQUIRE(ref.Load().ok());

  Fixture f;
  f.opts.chunk_bytes = 3;
  setup(f);
  std::unique_ptr<AofLoader> l = f.MakeLoader();
  REQUIRE(l->Start().ok());
  AofLoadProgress prev = l->progress();
  CHECK(prev.bytes_total == base_data.size() + 2 * incr.size());
  int steps = 0;
  for (;;) {
    StatusOr<bool> done = l->Step(0);
    REQUIRE(done.ok());
    ++steps;
    const AofLoadProgress& p = l->progress();
    CHECK(p.bytes_done >= prev.bytes_done);
    CHECK(p.bytes_done <= p.bytes_total);
    CHECK(p.commands >= prev.commands);
    CHECK(p.base_keys >= prev.base_keys);
    CHECK(p.file_index >= prev.file_index);
    prev = p;
    if (*done) break;
    REQUIRE(steps < 10'000'000);
  }
  CHECK(steps > 100);
  CHECK(prev.bytes_done == prev.bytes_total);
  CHECK(prev.commands == 4000);
  CHECK(prev.base_keys == 3000);
  CHECK(f.disp.log == ref.disp.log);
  CHECK(f.ks.size() == ref.ks.size());
  CHECK(l->done());
  StatusOr<bool> again = l->Step(0);
  REQUIRE(again.ok());
  CHECK(*again);
}

TEST_CASE("AofLoader: the first batch after a Redis prefix, damaged at the tail") {
  Fixture f;
  const std::string redis = Cmd({"SET", "r", "1"}) + Cmd({"SET", "s", "2"});
  std::string pykv = Batch(Cmd({"SET", "p", "3"}));
  pykv[pykv.find("3\r\n#")] = '4';  // the value: only the checksum sees it
  WriteFile(f.dir.File(IncrName(1)), redis + pykv);
  WriteManifest(f.dir, std::nullopt, {IncrName(1)});
  std::unique_ptr<AofLoader> l;
  Status s = f.Load(&l);
  REQUIRE_MESSAGE(s.ok(), s.message());
  // The Redis-written commands stay; the damaged batch was never handed over.
  CHECK(f.disp.log == std::vector<std::string>{"SET r 1", "SET s 2"});
  CHECK(ReadFile(f.dir.File(IncrName(1))) == redis);

  // Bad framing before the file's first annotation cannot be told from garbage in a
  // Redis-written file: that stops the start, as in Redis.
  Fixture g;
  std::string framing = Batch(Cmd({"SET", "p", "3"}));
  framing[0] = '?';
  WriteFile(g.dir.File(IncrName(1)), redis + framing);
  WriteManifest(g.dir, std::nullopt, {IncrName(1)});
  CHECK(g.Load().code() == Status::Code::kCorruption);
}

// ---- the replication position ----

const ReplicationPosition kBasePosition{"7f3a9c0b5d1e2f4a6b8c0d2e4f6a8b0c1d3e5f7a", 100'000};

TEST_CASE("AofLoader: the position loaded is the base's offset plus the bytes replayed") {
  // A Redis-style middle file (a #TS line, no checksums) and an annotated last one with a
  // transaction: only command bytes count, never annotation lines.
  const std::string c1 = Cmd({"SET", "k1", "v1"});
  const std::string c2 = Cmd({"SET", "k2", std::string(300, 'x')});
  const std::string c3 = Cmd({"PING"});
  const std::string tx = Cmd({"MULTI"}) + Cmd({"INCR", "n"}) + Cmd({"EXEC"});
  const std::string c4 = Cmd({"DEL", "k1"});
  const uint64_t commands_bytes = c1.size() + c2.size() + c3.size() + tx.size() + c4.size();
  for (size_t chunk : {size_t{1}, size_t{7}, size_t{1 << 20}}) {
    CAPTURE(chunk);
    Fixture f;
    f.opts.chunk_bytes = chunk;
    WriteFile(f.dir.File(BaseName(1)), Snapshot({{"b", "base", -1}}, kBasePosition));
    WriteFile(f.dir.File(IncrName(1)), "#TS:1700000000\r\n" + c1 + c2);
    WriteFile(f.dir.File(IncrName(2)), Batch(c3 + tx) + Batch(c4));
    WriteManifest(f.dir, BaseName(1), {IncrName(1), IncrName(2)});
    std::unique_ptr<AofLoader> l = f.MakeLoader();
    REQUIRE(l->Start().ok());
    CHECK_FALSE(l->loaded_position().has_value());  // not before loading is done
    for (;;) {
      StatusOr<bool> done = l->Step(1000);
      REQUIRE_MESSAGE(done.ok(), done.status().message());
      if (*done) break;
    }
    CHECK(f.disp.log.size() == 7);
    CHECK(l->progress().command_bytes == commands_bytes);
    const std::optional<ReplicationPosition> pos = l->loaded_position();
    REQUIRE(pos.has_value());
    CHECK(pos->replid == kBasePosition.replid);
    CHECK(pos->offset == kBasePosition.offset + commands_bytes);
  }
}

TEST_CASE("AofLoader: a torn tail that is cut off does not count in the position") {
  const std::string kept = Cmd({"SET", "a", "1"}) + Cmd({"SET", "b", "2"});
  const std::string last = Cmd({"SET", "c", "3"}) + Cmd({"SET", "d", "4"});
  const std::string full = Batch(kept) + Batch(last);
  for (size_t cut = Batch(kept).size(); cut <= full.size(); ++cut) {
    CAPTURE(cut);
    Fixture f;
    WriteFile(f.dir.File(BaseName(1)), Snapshot({}, kBasePosition));
    WriteFile(f.dir.File(IncrName(1)), std::string_view(full).substr(0, cut));
    WriteManifest(f.dir, BaseName(1), {IncrName(1)});
    std::unique_ptr<AofLoader> l;
    Status s = f.Load(&l);
    REQUIRE_MESSAGE(s.ok(), s.message());
    const bool whole = cut == full.size();
    CHECK(f.disp.log.size() == (whole ? 4u : 2u));
    const std::optional<ReplicationPosition> pos = l->loaded_position();
    REQUIRE(pos.has_value());
    // Torn anywhere, the last batch is cut off and only what was kept counts.
    CHECK(pos->offset == kBasePosition.offset + kept.size() + (whole ? last.size() : 0));
  }
}

TEST_CASE("AofLoader: a base alone gives its own position") {
  Fixture f;
  WriteFile(f.dir.File(BaseName(1)), Snapshot({{"a", "1", -1}}, kBasePosition));
  WriteFile(f.dir.File(IncrName(1)), "");
  WriteManifest(f.dir, BaseName(1), {IncrName(1)});
  std::unique_ptr<AofLoader> l;
  REQUIRE(f.Load(&l).ok());
  REQUIRE(l->loaded_position().has_value());
  CHECK(*l->loaded_position() == kBasePosition);
}

TEST_CASE("AofLoader: no position without a base that records one") {
  const std::string incr = Batch(Cmd({"SET", "a", "1"}));
  SUBCASE("no base") {
    Fixture f;
    WriteFile(f.dir.File(IncrName(1)), incr);
    WriteManifest(f.dir, std::nullopt, {IncrName(1)});
    std::unique_ptr<AofLoader> l;
    REQUIRE(f.Load(&l).ok());
    CHECK(l->progress().command_bytes == Cmd({"SET", "a", "1"}).size());
    CHECK_FALSE(l->loaded_position().has_value());
  }
  SUBCASE("a base without a position") {
    Fixture f;
    WriteFile(f.dir.File(BaseName(1)), Snapshot({{"b", "1", -1}}));
    WriteFile(f.dir.File(IncrName(1)), incr);
    WriteManifest(f.dir, BaseName(1), {IncrName(1)});
    std::unique_ptr<AofLoader> l;
    REQUIRE(f.Load(&l).ok());
    CHECK_FALSE(l->loaded_position().has_value());
  }
  SUBCASE("a RESP base (Redis-written)") {
    Fixture f;
    WriteFile(f.dir.File("appendonly.aof.1.base.aof"), Cmd({"SET", "b", "1"}));
    WriteFile(f.dir.File(IncrName(1)), incr);
    WriteManifest(f.dir, "appendonly.aof.1.base.aof", {IncrName(1)});
    std::unique_ptr<AofLoader> l;
    REQUIRE(f.Load(&l).ok());
    CHECK_FALSE(l->loaded_position().has_value());
  }
  SUBCASE("no manifest") {
    Fixture f;
    std::unique_ptr<AofLoader> l;
    REQUIRE(f.Load(&l).ok());
    CHECK_FALSE(l->loaded_position().has_value());
  }
}

}  // namespace
}  // namespace pykv::persistence
