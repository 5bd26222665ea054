// Failover by Debian's unmodified redis-sentinel 7.0: a primary and a replica (both PyKV, or
// both redis-server for the reference case), three sentinels with quorum 2. A writer confirms
// each key with WAIT 1; the primary is killed with SIGKILL; the sentinels promote the replica;
// every confirmed key must be on the new primary, which takes writes; the old primary, brought
// back on its old port and directory, is turned into a replica of the new one by the
// sentinels and catches up. The time from the kill to the first write the new primary accepts
// is printed for both servers, for comparison only (no timing assertion: the machine is shared).
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "integration/replication_helpers.h"
#include "integration/server_harness.h"
#include "support/temp_files.h"

namespace pykv::it {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using Program = ServerOptions::Program;
using SteadyClock = std::chrono::steady_clock;

constexpr const char* kMaster = "pykv";

std::string Addr(int port) {
  return "127.0.0.1:" + std::to_string(port);
}

// A data server as sentinel needs it: a config file (sentinel sends CONFIG REWRITE with every
// SLAVEOF) and an AOF, so a killed primary comes back with its old, possibly diverging, data.
// appendfsync always: under everysec Redis may answer writes before they reach the file (when
// an fsync is slow), so a SIGKILL could lose acknowledged keys and the count checked after
// the restart would depend on the disk.
ServerOptions DataServer(Program program, int port = 0, std::string dir = "") {
  ServerOptions o;
  o.program = program;
  o.config_text = "loglevel verbose\n";
  // After the harness's own options (the reference server gets --appendonly no).
  o.args = {"--appendonly", "yes", "--appendfsync", "always"};
  o.port = port;
  o.dir = std::move(dir);
  return o;
}

std::unique_ptr<TestServer> StartSentinel(int primary_port) {
  ServerOptions o;
  o.program = Program::kSentinel;
  const std::string m = kMaster;
  o.config_text = "sentinel monitor " + m + " 127.0.0.1 " + std::to_string(primary_port) +
                  " 2\n"
                  "sentinel down-after-milliseconds " +
                  m + " 1000\nsentinel failover-timeout " + m + " 5000\nsentinel parallel-syncs " +
                  m + " 1\n";
  return std::make_unique<TestServer>(o);
}

// The sentinel's answer to GET-MASTER-ADDR-BY-NAME as "host:port", or "" when it has none.
std::string MasterAddress(const TestServer& sentinel) {
  Conn c = sentinel.TryConnect(2);
  if (c == nullptr) return "";
  Reply r = Cmd(c, {"SENTINEL", "GET-MASTER-ADDR-BY-NAME", kMaster});
  if (r.elements.size() != 2) return "";
  return r.elements[0].str + ":" + r.elements[1].str;
}

// SENTINEL REPLICAS / SENTINELS: one field map (flat name, value list) per instance.
std::vector<std::vector<std::string>> Instances(const TestServer& sentinel,
                                                const std::string& what) {
  std::vector<std::vector<std::string>> out;
  Conn c = sentinel.TryConnect(2);
  if (c == nullptr) return out;
  Reply r = Cmd(c, {"SENTINEL", what, kMaster});
  for (const Reply& e : r.elements) out.push_back(e.Strings());
  return out;
}

std::string FieldOf(const std::vector<std::string>& flat, const std::string& name) {
  for (size_t i = 0; i + 1 < flat.size(); i += 2) {
    if (flat[i] == name) return flat[i + 1];
  }
  return "";
}

// True when nothing listens on 127.0.0.1:port (a bind succeeds), so a server restarted there
// is ours and not some other test's.
bool PortFree(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return false;
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const bool ok = bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0;
  close(fd);
  return ok;
}

// SENTINEL MASTER: the sentinel's fields for the master (flat name, value list).
std::vector<std::string> MasterFields(const TestServer& sentinel) {
  Conn c = sentinel.TryConnect(2);
  if (c == nullptr) return {};
  return Cmd(c, {"SENTINEL", "MASTER", kMaster}).Strings();
}

// Waits until every sentinel has named `addr` as the master, with no flag but "master", for
// `quiet` without a break. Right after a sentinel switches to the new master it keeps the old
// connection's reconnect throttle (up to a ping period, 1 s) while its down-after clock starts
// at once; with down-after-milliseconds 1000 it may then declare the promoted replica down
// and fail over again, to whatever replica it lists: the old primary, if it is already back.
bool WaitSettled(const std::vector<std::unique_ptr<TestServer>>& sentinels, const std::string& addr,
                 milliseconds quiet) {
  auto calm_since = SteadyClock::now();
  return WaitFor(
      [&] {
        for (const auto& s : sentinels) {
          const std::vector<std::string> f = MasterFields(*s);
          if (FieldOf(f, "ip") + ":" + FieldOf(f, "port") != addr ||
              FieldOf(f, "flags") != "master") {
            calm_since = SteadyClock::now();
            return false;
          }
        }
        return SteadyClock::now() - calm_since >= quiet;
      },
      seconds(60), milliseconds(100));
}

// The role a server reports: "master", or "slave <host>:<port> <link state>".
std::string RoleOf(const TestServer& s) {
  Conn c = s.TryConnect(2);
  if (c == nullptr) return "";
  Reply r = Cmd(c, {"ROLE"});
  if (r.elements.empty()) return "";
  if (r.elements[0].str != "slave" || r.elements.size() < 4) return r.elements[0].str;
  return "slave " + r.elements[1].str + ":" + std::to_string(r.elements[2].integer) + " " +
         r.elements[3].str;
}

void Failover(Program program, const std::string& label) {
  auto primary = std::make_unique<TestServer>(DataServer(program));
  TestServer replica(DataServer(program));
  const int old_port = primary->port();
  const std::string old_dir = primary->dir();
  const std::string old_addr = Addr(old_port);
  const std::string new_addr = Addr(replica.port());
  {
    Conn r = replica.Connect();
    REQUIRE(Cmd(r, {"REPLICAOF", "127.0.0.1", std::to_string(old_port)}) == Ok());
    REQUIRE(WaitLinkUp(r));
  }
  std::vector<std::unique_ptr<TestServer>> sentinels;
  for (int i = 0; i < 3; ++i) sentinels.push_back(StartSentinel(old_port));

  // Every sentinel has found the replica (from the primary's INFO) and the two other
  // sentinels (from hello messages published on the primary).
  for (const auto& s : sentinels) {
    REQUIRE_MESSAGE(WaitFor(
                        [&] {
                          return Instances(*s, "REPLICAS").size() == 1 &&
                                 Instances(*s, "SENTINELS").size() == 2;
                        },
                        seconds(30), milliseconds(100)),
                    "sentinel on " << s->port() << " sees " << Instances(*s, "REPLICAS").size()
                                   << " replica(s), " << Instances(*s, "SENTINELS").size()
                                   << " other sentinel(s)\n"
                                   << s->LogTail(40));
    CHECK(MasterAddress(*s) == old_addr);
    CHECK(FieldOf(Instances(*s, "REPLICAS")[0], "name") == new_addr);
  }

  // The writer confirms each key with WAIT 1 and keeps going until the primary dies.
  std::mutex mu;
  std::vector<int> confirmed;
  std::atomic<int> unconfirmed{0};
  std::thread writer([&, port = old_port] {
    Conn c = TryConnectPort(port, 5);
    if (c == nullptr) return;
    for (int i = 0; i < 1000000; ++i) {
      const std::string n = std::to_string(i);
      if (!Cmd(c, {"SET", "k:" + n, "v" + n}).ok()) return;
      Reply w = Cmd(c, {"WAIT", "1", "1000"});
      if (!w.is_int()) return;
      if (w.integer != 1) {
        ++unconfirmed;
        continue;
      }
      std::lock_guard<std::mutex> lock(mu);
      confirmed.push_back(i);
    }
  });
  auto confirmed_count = [&] {
    std::lock_guard<std::mutex> lock(mu);
    return confirmed.size();
  };
  const bool enough = WaitFor([&] { return confirmed_count() >= 500; }, seconds(60));
  const auto killed_at = SteadyClock::now();
  primary->Kill9();
  writer.join();
  REQUIRE_MESSAGE(enough, "only " << confirmed_count() << " keys confirmed");

  // Clients ask a sentinel where the primary is and write there; the failover is over for
  // them when such a write is accepted.
  std::string named;
  bool written = false;
  const auto deadline = SteadyClock::now() + seconds(static_cast<int>(60 * TimeScale()));
  while (!written && SteadyClock::now() < deadline) {
    named = MasterAddress(*sentinels[0]);
    if (!named.empty() && named != old_addr) {
      Conn c = TryConnectPort(std::stoi(named.substr(named.rfind(':') + 1)), 2);
      written = c != nullptr && Cmd(c, {"SET", "after-failover", "yes"}).ok();
    }
    if (!written) std::this_thread::sleep_for(milliseconds(20));
  }
  const auto failover_ms =
      std::chrono::duration_cast<milliseconds>(SteadyClock::now() - killed_at).count();
  REQUIRE_MESSAGE(written, "no write accepted; sentinel names '" << named << "'\n"
                                                                 << sentinels[0]->LogTail(40)
                                                                 << replica.LogTail(30));
  MESSAGE(label << ": kill -9 of the primary to the first write accepted by the new primary: "
                << failover_ms << " ms (" << confirmed.size() << " keys confirmed by WAIT, "
                << unconfirmed.load() << " not)");
  CHECK(named == new_addr);
  REQUIRE_MESSAGE(WaitSettled(sentinels, new_addr, seconds(3)),
                  "the sentinels do not agree on " << new_addr << " as a healthy master\n"
                                                   << sentinels[0]->LogTail(40));

  // Every key WAIT confirmed survived the failover.
  Conn np = replica.Connect();
  CHECK(RoleOf(replica) == "master");
  {
    std::lock_guard<std::mutex> lock(mu);
    size_t missing = 0;
    for (int i : confirmed) Append(np.get(), {"GET", "k:" + std::to_string(i)});
    for (int i : confirmed) {
      if (GetReply(np.get()) != Bulk("v" + std::to_string(i))) ++missing;
    }
    CHECK(missing == 0);
  }
  CHECK(Cmd(np, {"GET", "after-failover"}) == Bulk("yes"));
  for (int i = 0; i < 100; ++i) {
    REQUIRE(Cmd(np, {"SET", "new:" + std::to_string(i), std::to_string(i)}) == Ok());
  }

  // The old primary comes back where the sentinels knew it, with its AOF, as a master (once
  // the sentinels have settled, see WaitSettled); the sentinels turn it into a replica of the
  // new primary and it catches up.
  REQUIRE_MESSAGE(PortFree(old_port), "port " << old_port << " was taken meanwhile");
  TestServer back(DataServer(program, old_port, old_dir));
  {
    Conn b = back.Connect();
    REQUIRE(InfoField(Info(b.get(), "server"), "process_id") == std::to_string(back.pid()));
    // Its AOF brought back every key it had, and maybe one the replica never got.
    const long long keys = Cmd(b, {"DBSIZE"}).integer;
    CHECK_MESSAGE(keys >= static_cast<long long>(confirmed.size()), label << " restarted with "
                                                                          << keys << " keys\n"
                                                                          << back.LogTail(40));
  }
  const std::string expected_role = "slave " + new_addr + " connected";
  CHECK_MESSAGE(
      WaitFor([&] { return RoleOf(back) == expected_role; }, seconds(60), milliseconds(100)),
      "the old primary's role: " << RoleOf(back) << "\n"
                                 << sentinels[0]->LogTail(40) << back.LogTail(30));
  Conn b = back.Connect();
  const std::string binfo = Info(b.get(), "replication");
  CHECK(InfoField(binfo, "role") == "slave");
  CHECK(InfoField(binfo, "master_port") == std::to_string(replica.port()));
  CHECK(WaitInSync(np, b));
  CHECK(Digest(b) == Digest(np));
  CHECK(Cmd(b, {"GET", "new:99"}) == Bulk("99"));
  // Sentinel sent CONFIG REWRITE with each SLAVEOF: both roles survive a restart.
  CHECK(Contains(testing::ReadFile(back.config_path()),
                 "\nreplicaof 127.0.0.1 " + std::to_string(replica.port()) + "\n"));
  CHECK_FALSE(Contains(testing::ReadFile(replica.config_path()), "replicaof"));
  // And the sentinels list it as a replica of the new primary.
  CHECK(WaitFor(
      [&] {
        for (const auto& r : Instances(*sentinels[0], "REPLICAS")) {
          if (FieldOf(r, "name") == old_addr && FieldOf(r, "master-link-status") == "ok")
            return true;
        }
        return false;
      },
      seconds(30), milliseconds(100)));

  sentinels.clear();
  back.Stop();
  primary.reset();
}

}  // namespace

TEST_CASE("sentinel: three redis-sentinels fail a PyKV primary over to its replica") {
  if (ReferenceMode()) return;  // the reference case below runs the same with redis-server
  Failover(Program::kPyKV, "PyKV");
}

TEST_CASE("sentinel: reference: the same failover with redis-server") {
  Failover(Program::kRedis, "redis-server");
}

}  // namespace pykv::it
