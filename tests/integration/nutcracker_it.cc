// Two PyKV shards behind twemproxy (Debian's nutcracker, as conf/nutcracker.yml sets it
// up): keys spread over both servers, each on exactly one; MGET, MSET and DEL split across
// the shards; a command nutcracker does not support (MULTI) closes the client's connection;
// with one shard down its keys fail and the other shard's keys still work.
// nutcracker is a required test dependency (tools/install-deps.sh): without it these
// cases fail.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <map>
#include <string>
#include <vector>

#include "integration/server_harness.h"
#include "support/temp_files.h"

namespace pykv::it {
namespace {

using pykv::testing::ReadFile;
using pykv::testing::TempDir;
using pykv::testing::WriteFile;
using std::chrono::milliseconds;

// nutcracker's path: PATH first, then the sbin directories Debian installs it in, which a
// non-root PATH often lacks. Empty when it is nowhere.
std::string NutcrackerBinary() {
  std::vector<std::string> dirs;
  if (const char* path = std::getenv("PATH")) {
    std::string p = path;
    size_t start = 0;
    while (start <= p.size()) {
      size_t end = p.find(':', start);
      if (end == std::string::npos) end = p.size();
      if (end > start) dirs.push_back(p.substr(start, end - start));
      start = end + 1;
    }
  }
  dirs.insert(dirs.end(), {"/usr/sbin", "/usr/local/sbin", "/sbin"});
  for (const auto& d : dirs) {
    std::string candidate = d + "/nutcracker";
    if (access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return "";
}

// A nutcracker process serving one pool, `pykv`, over the given PyKV servers, started in
// a temp dir of its own and stopped (SIGTERM, then SIGKILL) by the destructor. Its config
// is conf/nutcracker.yml's, with free ports; the servers carry names (shard-1, ...) so the
// hash ring does not depend on the ports the test happened to get.
class Nutcracker {
 public:
  explicit Nutcracker(const std::vector<int>& server_ports)
      : failures_at_start_(FailedAssertions()) {
    const std::string bin = NutcrackerBinary();
    REQUIRE_MESSAGE(!bin.empty(),
                    "nutcracker (twemproxy) is not installed: run tools/install-deps.sh");
    port_ = FreeTcpPort();
    const int stats_port = FreeTcpPort();
    std::string conf = "pykv:\n  listen: 127.0.0.1:" + std::to_string(port_) +
                       "\n"
                       "  redis: true\n"
                       "  hash: fnv1a_64\n"
                       "  distribution: ketama\n"
                       "  auto_eject_hosts: false\n"
                       "  server_retry_timeout: 2000\n"
                       "  server_failure_limit: 1\n"
                       "  timeout: 5000\n"
                       "  servers:\n";
    for (size_t i = 0; i < server_ports.size(); ++i) {
      conf += "   - 127.0.0.1:" + std::to_string(server_ports[i]) + ":1 shard-" +
              std::to_string(i + 1) + "\n";
    }
    WriteFile(ConfPath(), conf);

    // The stats listener defaults to 0.0.0.0:22222; tests bind loopback on free ports only.
    std::vector<std::string> argv = {
        bin,  "-c",       ConfPath(), "-o", LogPath(), "-s", std::to_string(stats_port),
        "-a", "127.0.0.1"};
    pid_ = SpawnCaptured(argv, dir_.File("stdout.log"));
    REQUIRE_MESSAGE(pid_ >= 0, "fork failed");
    // nutcracker answers PING itself, so a PONG says it listens, not that a shard is up.
    bool up = WaitFor(
        [&] {
          if (!Running()) return true;
          Conn c = TryConnectPort(port_, 1);
          return c != nullptr && Cmd(c, {"PING"}) == St("PONG");
        },
        milliseconds(10000), milliseconds(20));
    REQUIRE_MESSAGE((up && Running()), "nutcracker did not start on port " << port_ << "\n"
                                                                           << LogTail());
  }

  ~Nutcracker() {
    if (Running()) {
      kill(pid_, SIGTERM);
      if (!WaitFor([&] { return !Running(); }, milliseconds(5000))) {
        kill(pid_, SIGKILL);
        waitpid(pid_, &status_, 0);
        exited_ = true;
      }
    }
    if (FailedAssertions() > failures_at_start_) std::cerr << LogTail() << std::flush;
  }
  Nutcracker(const Nutcracker&) = delete;
  Nutcracker& operator=(const Nutcracker&) = delete;

  int port() const { return port_; }
  Conn Connect() const {
    Conn c = TryConnectPort(port_);
    REQUIRE_MESSAGE(c != nullptr, "cannot connect to nutcracker on port " << port_);
    return c;
  }

  bool Running() {
    if (pid_ <= 0 || exited_) return false;
    if (waitpid(pid_, &status_, WNOHANG) == pid_) exited_ = true;
    return !exited_;
  }

  std::string LogTail() const {
    std::string log = ReadFile(LogPath());
    if (log.size() > 4000) log = "..." + log.substr(log.size() - 4000);
    return "---- nutcracker config ----\n" + ReadFile(ConfPath()) + "---- nutcracker log ----\n" +
           log + "---- nutcracker stdout/stderr ----\n" + ReadFile(dir_.File("stdout.log"));
  }

 private:
  std::string ConfPath() const { return dir_.File("nutcracker.yml"); }
  std::string LogPath() const { return dir_.File("nutcracker.log"); }

  TempDir dir_{"pykv-nutcracker"};
  int failures_at_start_;
  int port_ = 0;
  pid_t pid_ = -1;
  int status_ = 0;
  bool exited_ = false;
};

// The number comes before a suffix: under fnv1a_64 (32 bits in nutcracker) keys that differ
// only in their last byte hash into one narrow arc of the ring, so "user:0" to "user:39"
// fall into four such arcs and may well all belong to one shard.
std::string Key(int i) {
  return "user:" + std::to_string(i) + ":profile";
}
std::string Value(int i) {
  return "value-" + std::to_string(i * 7919);
}

// Which server holds each key (0 or 1), asked of both directly; -1 when the key is on
// neither or on both, or holds the wrong value.
std::map<std::string, int> Placement(const Conn& a, const Conn& b, int n) {
  std::map<std::string, int> where;
  for (int i = 0; i < n; ++i) {
    Reply ra = Cmd(a, {"GET", Key(i)});
    Reply rb = Cmd(b, {"GET", Key(i)});
    int w = -1;
    if (ra == Bulk(Value(i)) && rb.is_nil()) w = 0;
    if (rb == Bulk(Value(i)) && ra.is_nil()) w = 1;
    where[Key(i)] = w;
  }
  return where;
}

TEST_CASE("nutcracker: keys spread over two PyKV shards, MGET MSET and DEL across them") {
  TestServer s1;
  TestServer s2;
  Conn d1 = s1.Connect();
  Conn d2 = s2.Connect();
  Nutcracker proxy({s1.port(), s2.port()});
  Conn c = proxy.Connect();

  constexpr int kKeys = 200;
  for (int i = 0; i < kKeys; ++i) REQUIRE(Cmd(c, {"SET", Key(i), Value(i)}) == Ok());
  for (int i = 0; i < kKeys; ++i) CHECK(Cmd(c, {"GET", Key(i)}) == Bulk(Value(i)));

  // Each key is on exactly one shard, and both shards hold some.
  std::map<std::string, int> where = Placement(d1, d2, kKeys);
  int on_first = 0;
  for (const auto& [key, w] : where) {
    CHECK_MESSAGE(w >= 0, key << " is not on exactly one shard with its value");
    if (w == 0) ++on_first;
  }
  Reply n1 = Cmd(d1, {"DBSIZE"});
  Reply n2 = Cmd(d2, {"DBSIZE"});
  REQUIRE(n1.is_int());
  REQUIRE(n2.is_int());
  CHECK(n1.integer > 0);
  CHECK(n2.integer > 0);
  CHECK(n1.integer + n2.integer == kKeys);
  CHECK(n1.integer == on_first);

  // One MGET over every key (and a missing one) comes back whole and in order.
  std::vector<std::string> mget = {"MGET"};
  std::vector<Reply> expected;
  for (int i = 0; i < kKeys; ++i) {
    mget.push_back(Key(i));
    expected.push_back(Bulk(Value(i)));
  }
  mget.push_back("no-such-key");
  expected.push_back(Nil());
  CHECK(Cmd(c, mget) == Arr(expected));

  // MSET splits too: each pair lands on the shard its key hashes to.
  std::vector<std::string> mset = {"MSET"};
  for (int i = 0; i < kKeys; i += 10) {
    mset.push_back(Key(i));
    mset.push_back("updated-" + std::to_string(i));
  }
  CHECK(Cmd(c, mset) == Ok());
  for (int i = 0; i < kKeys; i += 10) {
    CHECK(Cmd(c, {"GET", Key(i)}) == Bulk("updated-" + std::to_string(i)));
    const Conn& home = where[Key(i)] == 0 ? d1 : d2;
    CHECK(Cmd(home, {"GET", Key(i)}) == Bulk("updated-" + std::to_string(i)));
  }
  CHECK(Cmd(d1, {"DBSIZE"}).integer + Cmd(d2, {"DBSIZE"}).integer == kKeys);

  // One DEL over every key: nutcracker adds up the shards' counts.
  std::vector<std::string> del = {"DEL"};
  for (int i = 0; i < kKeys; ++i) del.push_back(Key(i));
  del.push_back("no-such-key");
  CHECK(Cmd(c, del) == Int(kKeys));
  CHECK(Cmd(d1, {"DBSIZE"}) == Int(0));
  CHECK(Cmd(d2, {"DBSIZE"}) == Int(0));
  CHECK(Cmd(c, {"GET", Key(0)}) == Nil());

  // What nutcracker does not support it does not forward: it closes the client's connection.
  CHECK(Cmd(c, {"MULTI"}).type == 0);
  Conn again = proxy.Connect();
  CHECK(Cmd(again, {"SET", Key(1), "v"}) == Ok());
  CHECK(Cmd(again, {"GET", Key(1)}) == Bulk("v"));
}

TEST_CASE("nutcracker: with one shard stopped its keys fail and the other shard's keys work") {
  TestServer s1;
  TestServer s2;
  Conn d1 = s1.Connect();
  Conn d2 = s2.Connect();
  Nutcracker proxy({s1.port(), s2.port()});
  Conn c = proxy.Connect();

  constexpr int kKeys = 40;
  for (int i = 0; i < kKeys; ++i) REQUIRE(Cmd(c, {"SET", Key(i), Value(i)}) == Ok());
  std::map<std::string, int> where = Placement(d1, d2, kKeys);
  std::vector<int> live, dead;  // keys on s1 (kept running) and on s2 (stopped)
  for (int i = 0; i < kKeys; ++i) {
    REQUIRE(where[Key(i)] >= 0);
    (where[Key(i)] == 0 ? live : dead).push_back(i);
  }
  REQUIRE_FALSE(live.empty());
  REQUIRE_FALSE(dead.empty());

  d2.reset();
  s2.Stop();
  REQUIRE_FALSE(s2.Running());

  for (int i : dead) {
    Reply r = Cmd(c, {"GET", Key(i)});
    CHECK_MESSAGE(r.is_error(), Key(i) << " on the stopped shard: " << r.Describe());
  }
  // Those were error replies: the client's connection to nutcracker is still good.
  REQUIRE(c->err == 0);
  for (int i : live) {
    CHECK(Cmd(c, {"GET", Key(i)}) == Bulk(Value(i)));
    CHECK(Cmd(c, {"SET", Key(i), "after"}) == Ok());
    CHECK(Cmd(d1, {"GET", Key(i)}) == Bulk("after"));
  }
  // A fresh client is served the same way.
  Conn fresh = proxy.Connect();
  CHECK(Cmd(fresh, {"GET", Key(live.front())}) == Bulk("after"));
  CHECK(Cmd(fresh, {"GET", Key(dead.front())}).is_error());
}

}  // namespace
}  // namespace pykv::it
