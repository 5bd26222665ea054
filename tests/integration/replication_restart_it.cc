// Replication across restarts with appendonly yes: a server takes its replication id and
// offset back from its AOF (the position the base recorded plus the bytes replayed after
// it), so that a replica killed with -9, or a primary shut down and started again, goes
// on by partial resynchronisation (PSYNC <replid> <offset+1> answered +CONTINUE) instead of
// a full one. Real pykv-server processes; each restarted server keeps its data directory
// (persistence_helpers.h's DataDir); every wait is bounded; data is compared with DEBUG
// DIGEST.
#include <sys/wait.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "integration/persistence_helpers.h"
#include "integration/replication_helpers.h"
#include "integration/server_harness.h"

namespace pykv::it {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

std::vector<std::string> AofArgs(const DataDir& d, std::vector<std::string> extra = {}) {
  std::vector<std::string> args = {"--dir", d.path(),        "--appendonly",
                                   "yes",   "--appendfsync", "always"};
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

long long StatsField(const Conn& c, const std::string& field) {
  const std::string v = InfoField(Info(c.get(), "stats"), field);
  return v.empty() ? -1 : std::stoll(v);
}

std::string ReplField(const Conn& c, const std::string& field) {
  return InfoField(Info(c.get(), "replication"), field);
}

// Changes of several kinds, so that the stream the replica missed is more than SETs.
void MixedWrites(const Conn& p, const std::string& tag) {
  FillKeys(p, tag + ":", 200, /*with_ttl_every=*/5);
  CHECK(Cmd(p, {"DEL", tag + ":1", tag + ":2", tag + ":3"}) == Int(3));
  CHECK(Cmd(p, {"INCRBY", "counter", "7"}).is_int());
  CHECK(Cmd(p, {"MULTI"}) == Ok());
  CHECK(Cmd(p, {"SET", tag + ":tx", "in a transaction"}) == St("QUEUED"));
  CHECK(Cmd(p, {"APPEND", "k:10", "+appended"}) == St("QUEUED"));
  CHECK(Cmd(p, {"EXEC"}).is_array());
  CHECK(Cmd(p, {"SET", tag + ":ttl", "v", "PX", "3600000"}) == Ok());
}

}  // namespace

TEST_CASE(
    "replication restart: a replica killed with -9 continues by partial resync from its AOF") {
  if (ReferenceMode()) return;  // Redis 7 restores this from an RDB, not from its AOF
  TestServer primary;
  Conn p = primary.Connect();
  const std::string pport = std::to_string(primary.port());
  FillKeys(p, "k:", 1000, /*with_ttl_every=*/10);

  DataDir data;
  const std::vector<std::string> replica_args = AofArgs(data, {"--replicaof", "127.0.0.1", pport});
  auto replica = std::make_unique<TestServer>(replica_args);
  Conn r = ConnectLoaded(*replica);
  REQUIRE(WaitInSync(p, r));
  // Streamed after the full synchronisation: in the replica's incremental file, after the
  // base its first rewrite wrote.
  MixedWrites(p, "streamed");
  REQUIRE(WaitInSync(p, r));
  REQUIRE_MESSAGE(WaitRewriteDone(r.get(), 1), Info(r.get(), "persistence"));
  CHECK_FALSE(ReadManifest(data).base.empty());
  const std::string replid = ReplField(p, "master_replid");
  const std::string offset_at_kill = ReplField(r, "slave_repl_offset");
  CHECK(ReplField(r, "master_replid") == replid);
  CHECK(StatsField(p, "sync_full") == 1);
  CHECK(StatsField(p, "sync_partial_ok") == 0);
  // The replica's first PSYNC named its own fresh history: an error, as Redis counts it.
  CHECK(StatsField(p, "sync_partial_err") == 1);

  r.reset();
  replica->Kill9();
  KillOrphanRewriteChild(*replica);
  // What the replica misses while it is down; the primary's backlog keeps it.
  MixedWrites(p, "missed");
  const std::string digest = Digest(p);

  auto again = std::make_unique<TestServer>(replica_args);
  Conn r2 = ConnectLoaded(*again);
  REQUIRE_MESSAGE(WaitInSync(p, r2, milliseconds(30000)), again->LogTail(30));
  CHECK(Digest(r2) == digest);
  CHECK(Cmd(r2, {"DBSIZE"}) == Cmd(p, {"DBSIZE"}));
  CHECK(Cmd(r2, {"GET", "missed:tx"}) == Bulk("in a transaction"));
  CHECK(ReplField(r2, "master_replid") == replid);

  const std::string plog = ReadLog(primary);
  const std::string rlog = ReadLog(*again);
  // The restarted replica said where its AOF left it, and asked to continue from there.
  CHECK_MESSAGE(Contains(rlog, "Replication ID " + replid + " and offset " + offset_at_kill +
                                   " taken up again from the AOF"),
                rlog);
  CHECK(Contains(rlog, "Trying a partial resynchronization (request " + replid + ":" +
                           std::to_string(std::stoll(offset_at_kill) + 1) + ")."));
  CHECK(Contains(rlog, "Successful partial resynchronization with master."));
  CHECK_FALSE(Contains(rlog, "Full resync from master"));
  CHECK(Contains(plog, "Partial resynchronization request from 127.0.0.1:" +
                           std::to_string(again->port()) + " accepted"));
  CHECK(CountOf(plog, "Starting BGSAVE for SYNC") == 1);
  CHECK(StatsField(p, "sync_full") == 1);
  CHECK(StatsField(p, "sync_partial_ok") == 1);
  CHECK(StatsField(p, "sync_partial_err") == 1);

  // The stream goes on from there.
  CHECK(Cmd(p, {"SET", "after", "restart"}) == Ok());
  REQUIRE(WaitInSync(p, r2));
  CHECK(Cmd(r2, {"GET", "after"}) == Bulk("restart"));
  CHECK(Digest(r2) == Digest(p));
}

TEST_CASE("replication restart: a primary shut down and started again keeps its history") {
  if (ReferenceMode()) return;
  DataDir pdata;
  // No PING may be journaled between the last check and the shutdown, or the replica
  // might not have it when the primary goes: the test would then see a full resync that
  // is right, not the partial one it looks for.
  const std::vector<std::string> primary_extra = {"--repl-ping-replica-period", "3600"};
  auto primary = std::make_unique<TestServer>(AofArgs(pdata, primary_extra));
  const std::string pport = std::to_string(primary->port());
  Conn p = ConnectLoaded(*primary);
  FillKeys(p, "k:", 1000, /*with_ttl_every=*/10);
  TestServer replica({"--replicaof", "127.0.0.1", pport});
  Conn r = replica.Connect();
  REQUIRE(WaitInSync(p, r));
  // The base records the history of the moment (the first replica began a new one).
  BgRewriteAndWait(p.get());
  MixedWrites(p, "before");
  REQUIRE(WaitInSync(p, r));
  const std::string replid = ReplField(p, "master_replid");
  const std::string offset = ReplField(p, "master_repl_offset");
  REQUIRE(ReplField(r, "slave_repl_offset") == offset);
  const std::string digest = Digest(p);

  CHECK_FALSE(Cmd(p, {"SHUTDOWN"}).ok());  // no reply: the connection closes
  p.reset();
  const std::optional<int> status = primary->WaitExit(milliseconds(20000));
  REQUIRE(status.has_value());
  CHECK(WIFEXITED(*status));
  CHECK(WEXITSTATUS(*status) == 0);
  REQUIRE(WaitFor([&] { return !LinkUp(r); }, seconds(10)));

  // Same directory, same port: the replica's `replicaof` still names it.
  std::vector<std::string> extra = primary_extra;
  extra.insert(extra.end(), {"--port", pport});
  auto restarted = std::make_unique<TestServer>(AofArgs(pdata, extra));
  Conn p2 = ConnectLoaded(*restarted);
  CHECK(Digest(p2) == digest);
  // As Redis after loading its RDB: the offset goes on, the history restored is kept as
  // the secondary id, valid up to that offset, under a new id (a crash could have lost
  // writes a replica already has, so the old id must not reach past what was restored).
  CHECK(ReplField(p2, "master_replid2") == replid);
  CHECK(ReplField(p2, "second_repl_offset") == std::to_string(std::stoll(offset) + 1));
  CHECK(ReplField(p2, "master_replid") != replid);
  CHECK(std::stoll(ReplField(p2, "master_repl_offset")) >= std::stoll(offset));

  REQUIRE_MESSAGE(WaitInSync(p2, r, milliseconds(30000)), restarted->LogTail(30));
  CHECK(Digest(r) == digest);
  const std::string plog = ReadLog(*restarted);
  const std::string rlog = ReadLog(replica);
  CHECK(Contains(
      plog, "Replication ID " + replid + " and offset " + offset + " taken up again from the AOF"));
  CHECK(Contains(plog, "Partial resynchronization request from 127.0.0.1:" +
                           std::to_string(replica.port()) + " accepted"));
  CHECK_FALSE(Contains(plog, "Starting BGSAVE for SYNC"));
  CHECK(Contains(rlog, "Master replication ID changed to " + ReplField(p2, "master_replid")));
  // One full synchronisation at the start, one partial after the restart.
  CHECK(CountOf(rlog, "Full resync from master") == 1);
  CHECK(CountOf(rlog, "Successful partial resynchronization with master.") == 1);
  CHECK(StatsField(p2, "sync_full") == 0);
  CHECK(StatsField(p2, "sync_partial_ok") == 1);
  CHECK(StatsField(p2, "sync_partial_err") == 0);
  CHECK(ReplField(r, "master_replid") == ReplField(p2, "master_replid"));

  CHECK(Cmd(p2, {"SET", "after", "restart"}) == Ok());
  REQUIRE(WaitInSync(p2, r));
  CHECK(Cmd(r, {"GET", "after"}) == Bulk("restart"));
  CHECK(Digest(r) == Digest(p2));
}

TEST_CASE("replication restart: a promoted replica's AOF records its new history") {
  if (ReferenceMode()) return;
  TestServer primary;
  Conn p = primary.Connect();
  FillKeys(p, "k:", 100, /*with_ttl_every=*/0);
  DataDir data;
  auto node = std::make_unique<TestServer>(
      AofArgs(data, {"--replicaof", "127.0.0.1", std::to_string(primary.port())}));
  Conn a = ConnectLoaded(*node);
  REQUIRE(WaitInSync(p, a));
  const std::string old_id = ReplField(a, "master_replid");
  CHECK(Cmd(a, {"REPLICAOF", "NO", "ONE"}) == Ok());
  const std::string new_id = ReplField(a, "master_replid");
  REQUIRE(new_id != old_id);
  CHECK(Cmd(a, {"SET", "after", "promotion"}) == Ok());
  // The promotion makes a rewrite whose base names the new history.
  REQUIRE(WaitFor(
      [&] {
        const std::string pers = Info(a.get(), "persistence");
        return InfoField(pers, "aof_rewrite_in_progress") == "0" &&
               InfoField(pers, "aof_last_bgrewrite_status") == "ok" &&
               CountOf(ReadLog(*node), "AOF rewrite finished successfully") >= 2;
      },
      seconds(20)));
  const int port = node->port();
  a.reset();
  node->Stop();
  node = std::make_unique<TestServer>(AofArgs(data, {"--port", std::to_string(port)}));
  a = ConnectLoaded(*node);
  // Restarted as a primary: the loaded history is the promoted one (kept as replid2), not
  // the old primary's, which a replica of that old primary could otherwise claim.
  CHECK(ReplField(a, "master_replid2") == new_id);
  CHECK(ReplField(a, "master_replid") != old_id);
  CHECK(Cmd(a, {"GET", "after"}) == Bulk("promotion"));
}

}  // namespace pykv::it
