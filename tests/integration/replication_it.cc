// Replication between real pykv-server processes: full synchronisation while the primary
// keeps taking writes, the stream (expiry, transactions), partial resynchronisation after
// a lost link and after a promotion, WAIT, min-replicas-to-write, read-only replicas over
// RESP and HTTP, ROLE and INFO replication in Redis's format, and the errors of REPLICAOF,
// SYNC and WAIT. Every wait is bounded; data is compared with DEBUG DIGEST.
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "integration/http_client.h"
#include "integration/replication_helpers.h"
#include "integration/server_harness.h"

namespace pykv::it {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

}  // namespace

TEST_CASE("replication: full sync of 100000 keys while writes continue, then identical data") {
  if (ReferenceMode()) return;
  TestServer primary;
  TestServer replica;
  Conn p = primary.Connect();
  Conn r = replica.Connect();
  const int keys = static_cast<int>(Scaled(100000, 30000));
  FillKeys(p, "k:", keys, /*with_ttl_every=*/7);
  CHECK(Cmd(p, {"DBSIZE"}) == Int(keys));

  CHECK(Cmd(r, {"REPLICAOF", "127.0.0.1", std::to_string(primary.port())}) == Ok());
  // Writes go on during the whole synchronisation: new keys, overwrites, deletes.
  int batch = 0;
  while (!LinkUp(r) && batch < 2000) {
    for (int i = 0; i < 50; ++i) {
      const int n = batch * 50 + i;
      Append(p.get(), {"SET", "live:" + std::to_string(n), std::to_string(n)});
      Append(p.get(), {"INCR", "counter"});
      Append(p.get(), {"DEL", "k:" + std::to_string(n % keys)});
    }
    for (int i = 0; i < 150; ++i) REQUIRE_FALSE(GetReply(p.get()).is_error());
    ++batch;
  }
  REQUIRE(WaitLinkUp(r));
  Cmd(p, {"SET", "last", "write"});
  REQUIRE(WaitInSync(p, r));
  CHECK(Cmd(r, {"GET", "last"}) == Bulk("write"));
  CHECK(Cmd(r, {"DBSIZE"}) == Cmd(p, {"DBSIZE"}));
  CHECK(Digest(r) == Digest(p));
  CHECK(Cmd(r, {"GET", "counter"}) == Cmd(p, {"GET", "counter"}));
  // The last key with a TTL is one the writes above never deleted.
  const int with_ttl = (keys - 1) / 7 * 7;
  CHECK(Cmd(r, {"TTL", "k:" + std::to_string(with_ttl)}).integer > 0);

  // Both logs tell the story as Redis's do.
  const std::string plog = ReadLog(primary);
  const std::string rlog = ReadLog(replica);
  CHECK(Contains(plog, "asks for synchronization"));
  CHECK(Contains(plog, "Starting BGSAVE for SYNC with target: disk"));
  CHECK(Contains(plog, "Synchronization with replica 127.0.0.1:" + std::to_string(replica.port()) +
                           " succeeded"));
  CHECK(Contains(rlog, "Connecting to MASTER 127.0.0.1:" + std::to_string(primary.port())));
  CHECK(Contains(rlog, "Full resync from master:"));
  CHECK(Contains(rlog, "MASTER <-> REPLICA sync: Finished with success"));
  // A replica's log lines carry the S role column.
  CHECK(Contains(rlog, ":S "));
}

TEST_CASE("replication: the stream carries expiry, transactions, and deletes of expired keys") {
  if (ReferenceMode()) return;
  ReplicaPair pair;
  Conn& p = pair.p;
  Conn& r = pair.r;
  CHECK(Cmd(p, {"SET", "ttl", "v", "EX", "100"}) == Ok());
  CHECK(Cmd(p, {"MULTI"}) == Ok());
  Cmd(p, {"INCR", "a"});
  Cmd(p, {"INCRBYFLOAT", "f", "1.5"});
  Cmd(p, {"APPEND", "s", "xy"});
  CHECK(Cmd(p, {"EXEC"}).is_array());
  REQUIRE(WaitInSync(p, r));
  CHECK(Cmd(r, {"GET", "a"}) == Bulk("1"));
  CHECK(Cmd(r, {"GET", "f"}) == Bulk("1.5"));
  CHECK(Cmd(r, {"GET", "s"}) == Bulk("xy"));
  const long long ttl = Cmd(r, {"PTTL", "ttl"}).integer;
  CHECK(ttl > 90000);
  CHECK(ttl <= 100000);

  // With the primary's active expiry off, an expired key stays on both: the replica reads
  // it as missing yet keeps it until the primary's DEL arrives.
  CHECK(Cmd(p, {"DEBUG", "SET-ACTIVE-EXPIRE", "0"}) == Ok());
  CHECK(Cmd(p, {"SET", "short", "v", "PX", "50"}) == Ok());
  REQUIRE(WaitInSync(p, r));
  std::this_thread::sleep_for(milliseconds(120));
  CHECK(Cmd(r, {"GET", "short"}) == Nil());
  CHECK(Cmd(r, {"EXISTS", "short"}) == Int(0));
  const long long replica_keys = Cmd(r, {"DBSIZE"}).integer;
  CHECK(Cmd(p, {"GET", "short"}) == Nil());  // the primary expires it, and sends DEL
  REQUIRE(WaitInSync(p, r));
  CHECK(Cmd(r, {"DBSIZE"}).integer == replica_keys - 1);
  CHECK(Digest(r) == Digest(p));
}

TEST_CASE("replication: a replica refuses writes over RESP and HTTP and serves reads") {
  if (ReferenceMode()) return;
  TestServer primary;
  ServerOptions ro;
  ro.http = true;
  TestServer replica(ro);
  Conn p = primary.Connect();
  Conn r = replica.Connect();
  HttpConn h(replica.http_port());
  // Before it follows anyone, /health names a primary.
  HttpReply health = h.Request("GET", "/health");
  CHECK(health.status == 200);
  CHECK(Contains(health.body, "\"role\":\"master\""));
  CHECK_FALSE(Contains(health.body, "master_link_status"));

  CHECK(Cmd(p, {"SET", "k", "v"}) == Ok());
  CHECK(Cmd(r, {"REPLICAOF", "127.0.0.1", std::to_string(primary.port())}) == Ok());
  REQUIRE(WaitInSync(p, r));
  CHECK(Cmd(r, {"GET", "k"}) == Bulk("v"));
  CHECK(Cmd(r, {"SET", "k", "x"}) == Err("READONLY You can't write against a read only replica."));
  CHECK(Cmd(r, {"DEL", "k"}) == Err("READONLY You can't write against a read only replica."));
  CHECK(Cmd(r, {"MULTI"}) == Ok());
  CHECK(Cmd(r, {"INCR", "n"}) == Err("READONLY You can't write against a read only replica."));
  CHECK(Cmd(r, {"EXEC"}).is_error());

  HttpReply get = h.Request("GET", "/kv/k");
  CHECK(get.status == 200);
  CHECK(Contains(get.body, "\"value\":\"v\""));
  HttpReply put = h.Request("PUT", "/kv/k", "{\"value\":\"x\"}");
  CHECK(put.status == 409);
  CHECK(Contains(put.body, "READONLY You can't write against a read only replica."));
  HttpReply post = h.Request("POST", "/kv/", "{\"key\":\"new\",\"value\":\"x\"}");
  CHECK(post.status == 409);
  CHECK(h.Request("DELETE", "/kv/k").status == 409);
  health = h.Request("GET", "/health");
  CHECK(health.status == 200);
  CHECK(Contains(health.body, "\"role\":\"slave\""));
  CHECK(Contains(health.body, "\"master_link_status\":\"up\""));
  CHECK(Contains(health.body, "\"master_port\":" + std::to_string(primary.port())));
  CHECK(Cmd(p, {"GET", "k"}) == Bulk("v"));

  // The primary gone, the link goes down and /health says so; reads still work.
  primary.Stop();
  REQUIRE(WaitFor([&] { return !LinkUp(r); }, seconds(10)));
  health = h.Request("GET", "/health");
  CHECK(Contains(health.body, "\"master_link_status\":\"down\""));
  CHECK(Cmd(r, {"GET", "k"}) == Bulk("v"));
  // replica-serve-stale-data no: only the stale-ok commands run.
  CHECK(Cmd(r, {"CONFIG", "SET", "replica-serve-stale-data", "no"}) == Ok());
  CHECK(Cmd(r, {"GET", "k"}) ==
        Err("MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'."));
  CHECK(Cmd(r, {"PING"}) == St("PONG"));
  CHECK(Cmd(r, {"INFO", "replication"}).is_bulk());
  // replica-read-only no: local writes are allowed (and not passed on).
  CHECK(Cmd(r, {"CONFIG", "SET", "replica-serve-stale-data", "yes"}) == Ok());
  CHECK(Cmd(r, {"CONFIG", "SET", "replica-read-only", "no"}) == Ok());
  CHECK(Cmd(r, {"SET", "local", "1"}) == Ok());
}

TEST_CASE("replication: WAIT counts acknowledging replicas, times out, and blocks one client") {
  if (ReferenceMode()) return;
  TestServer primary;
  TestServer replica1;
  TestServer replica2;
  Conn p = primary.Connect();
  Conn r1 = replica1.Connect();
  Conn r2 = replica2.Connect();
  // No replica yet: WAIT 0 answers at once, WAIT 1 after its timeout.
  CHECK(Cmd(p, {"SET", "a", "1"}) == Ok());
  CHECK(Cmd(p, {"WAIT", "0", "0"}) == Int(0));
  CHECK(Cmd(p, {"WAIT", "1", "100"}) == Int(0));
  for (Conn* r : {&r1, &r2}) {
    CHECK(Cmd(*r, {"REPLICAOF", "127.0.0.1", std::to_string(primary.port())}) == Ok());
  }
  REQUIRE(WaitInSync(p, r1));
  REQUIRE(WaitInSync(p, r2));
  CHECK(Cmd(p, {"SET", "b", "2"}) == Ok());
  CHECK(Cmd(p, {"WAIT", "2", "10000"}) == Int(2));
  // Asking for more replicas than there are: the count when the timeout ends.
  CHECK(Cmd(p, {"SET", "c", "3"}) == Ok());
  CHECK(Cmd(p, {"WAIT", "3", "300"}) == Int(2));

  // While one client waits, the others are served.
  replica2.Stop();
  CHECK(Cmd(p, {"SET", "d", "4"}) == Ok());
  Append(p.get(), {"WAIT", "2", "1500"});
  Append(p.get(), {"GET", "d"});  // pipelined behind WAIT: runs after its reply
  Conn other = primary.Connect();
  CHECK(Cmd(other, {"PING"}) == St("PONG"));
  CHECK(Cmd(other, {"SET", "e", "5"}) == Ok());
  CHECK(GetReply(p.get()) == Int(1));
  CHECK(GetReply(p.get()) == Bulk("4"));

  // The errors, as Redis words them.
  CHECK(Cmd(p, {"WAIT", "1", "-1"}) == Err("ERR timeout is negative"));
  CHECK(Cmd(p, {"WAIT", "x", "0"}) == Err("ERR value is not an integer or out of range"));
  CHECK(Cmd(p, {"WAIT", "1", "x"}) == Err("ERR timeout is not an integer or out of range"));
  CHECK(
      Cmd(r1, {"WAIT", "1", "0"}).str.rfind("ERR WAIT cannot be used with replica instances.", 0) ==
      0);
  // Inside EXEC it answers at once.
  CHECK(Cmd(p, {"MULTI"}) == Ok());
  Cmd(p, {"SET", "f", "6"});
  Cmd(p, {"WAIT", "5", "0"});
  Reply exec = Cmd(p, {"EXEC"});
  REQUIRE(exec.is_array());
  REQUIRE(exec.elements.size() == 2);
  CHECK(exec.elements[1].is_int());
}

TEST_CASE("replication: min-replicas-to-write refuses writes without enough good replicas") {
  if (ReferenceMode()) return;
  TestServer primary;
  TestServer replica;
  Conn p = primary.Connect();
  CHECK(Cmd(p, {"CONFIG", "SET", "min-replicas-to-write", "1"}) == Ok());
  CHECK(Cmd(p, {"SET", "k", "v"}) == Err("NOREPLICAS Not enough good replicas to write."));
  CHECK(Cmd(p, {"GET", "k"}) == Nil());
  Conn r = replica.Connect();
  CHECK(Cmd(r, {"REPLICAOF", "127.0.0.1", std::to_string(primary.port())}) == Ok());
  REQUIRE(WaitLinkUp(r));
  REQUIRE(WaitFor([&] { return Cmd(p, {"SET", "k", "v"}) == Ok(); }, seconds(10)));
  REQUIRE(WaitInSync(p, r));
  CHECK(Cmd(r, {"GET", "k"}) == Bulk("v"));
  CHECK(Cmd(p, {"CONFIG", "GET", "min-slaves-to-write"}) == Bulks({"min-slaves-to-write", "1"}));
}

TEST_CASE("replication: promotion keeps the history, and the other replica continues from it") {
  if (ReferenceMode()) return;
  TestServer primary;
  TestServer a;
  TestServer b;
  Conn p = primary.Connect();
  Conn ca = a.Connect();
  Conn cb = b.Connect();
  FillKeys(p, "x:", 2000, 0);
  for (Conn* r : {&ca, &cb}) {
    CHECK(Cmd(*r, {"REPLICAOF", "127.0.0.1", std::to_string(primary.port())}) == Ok());
  }
  REQUIRE(WaitInSync(p, ca));
  REQUIRE(WaitInSync(p, cb));
  const std::string old_replid = InfoField(Info(p.get(), "replication"), "master_replid");
  primary.Stop();
  REQUIRE(WaitFor([&] { return !LinkUp(cb); }, seconds(10)));

  CHECK(Cmd(ca, {"REPLICAOF", "NO", "ONE"}) == Ok());
  const std::string ainfo = Info(ca.get(), "replication");
  CHECK(InfoField(ainfo, "role") == "master");
  CHECK(InfoField(ainfo, "master_replid2") == old_replid);
  CHECK(InfoField(ainfo, "master_replid") != old_replid);
  CHECK(std::stoll(InfoField(ainfo, "second_repl_offset")) ==
        std::stoll(InfoField(ainfo, "master_repl_offset")) + 1);
  CHECK(Cmd(ca, {"SET", "after", "promotion"}) == Ok());
  CHECK(Contains(ReadLog(a), "MASTER MODE enabled (user request from 'id="));

  CHECK(Cmd(cb, {"REPLICAOF", "127.0.0.1", std::to_string(a.port())}) == Ok());
  REQUIRE(WaitInSync(ca, cb));
  CHECK(Cmd(cb, {"GET", "after"}) == Bulk("promotion"));
  CHECK(Digest(cb) == Digest(ca));
  CHECK(Contains(ReadLog(a), "Partial resynchronization request from 127.0.0.1:" +
                                 std::to_string(b.port()) + " accepted"));
  CHECK(Contains(ReadLog(b), "Successful partial resynchronization with master."));
  CHECK_FALSE(Contains(ReadLog(a), "Starting BGSAVE for SYNC"));
  // The promoted node's new id is the replica's too.
  CHECK(InfoField(Info(cb.get(), "replication"), "master_replid") ==
        InfoField(Info(ca.get(), "replication"), "master_replid"));
}

TEST_CASE("replication: REPLICAOF, ROLE and INFO replication answer as Redis does") {
  if (ReferenceMode()) return;
  ReplicaPair pair;
  Conn& p = pair.p;
  Conn& r = pair.r;
  const std::string pport = std::to_string(pair.primary.port());
  CHECK(Cmd(r, {"REPLICAOF", "127.0.0.1", pport}) ==
        St("OK Already connected to specified master"));
  CHECK(Cmd(r, {"REPLICAOF", "127.0.0.1", "99999"}) == Err("ERR Invalid master port"));
  CHECK(Cmd(r, {"REPLICAOF", "a"}) == Err("ERR wrong number of arguments for 'replicaof' command"));
  CHECK(Cmd(p, {"REPLICAOF", "NO", "ONE"}) == Ok());  // a primary stays one
  CHECK(Cmd(r, {"CONFIG", "GET", "replicaof"}) == Bulks({"replicaof", "127.0.0.1 " + pport}));

  CHECK(Cmd(p, {"SET", "k", "v"}) == Ok());
  REQUIRE(WaitInSync(p, r));
  // ROLE, as Redis: master, offset, [[ip, port, offset]]; slave, host, port, state, offset.
  Reply prole = Cmd(p, {"ROLE"});
  REQUIRE(prole.elements.size() == 3);
  CHECK(prole.elements[0] == Bulk("master"));
  CHECK(prole.elements[1].is_int());
  REQUIRE(prole.elements[2].elements.size() == 1);
  CHECK(prole.elements[2].elements[0].Strings()[0] == "127.0.0.1");
  CHECK(prole.elements[2].elements[0].Strings()[1] == std::to_string(pair.replica.port()));
  Reply rrole = Cmd(r, {"ROLE"});
  REQUIRE(rrole.elements.size() == 5);
  CHECK(rrole.elements[0] == Bulk("slave"));
  CHECK(rrole.elements[1] == Bulk("127.0.0.1"));
  CHECK(rrole.elements[2] == Int(pair.primary.port()));
  CHECK(rrole.elements[3] == Bulk("connected"));
  CHECK(rrole.elements[4].integer == prole.elements[1].integer);

  // INFO replication: Redis's fields, in Redis's order.
  const std::string pinfo = Info(p.get(), "replication");
  CHECK(FieldNames(pinfo) ==
        std::vector<std::string>{"role", "connected_slaves", "slave0", "master_failover_state",
                                 "master_replid", "master_replid2", "master_repl_offset",
                                 "second_repl_offset", "repl_backlog_active", "repl_backlog_size",
                                 "repl_backlog_first_byte_offset", "repl_backlog_histlen"});
  CHECK(Contains(pinfo, "slave0:ip=127.0.0.1,port=" + std::to_string(pair.replica.port()) +
                            ",state=online,offset="));
  CHECK(InfoField(pinfo, "master_replid").size() == 40);
  const std::string rinfo = Info(r.get(), "replication");
  CHECK(FieldNames(rinfo) == std::vector<std::string>{"role",
                                                      "master_host",
                                                      "master_port",
                                                      "master_link_status",
                                                      "master_last_io_seconds_ago",
                                                      "master_sync_in_progress",
                                                      "slave_read_repl_offset",
                                                      "slave_repl_offset",
                                                      "slave_priority",
                                                      "slave_read_only",
                                                      "replica_announced",
                                                      "connected_slaves",
                                                      "master_failover_state",
                                                      "master_replid",
                                                      "master_replid2",
                                                      "master_repl_offset",
                                                      "second_repl_offset",
                                                      "repl_backlog_active",
                                                      "repl_backlog_size",
                                                      "repl_backlog_first_byte_offset",
                                                      "repl_backlog_histlen"});
  CHECK(InfoField(rinfo, "master_replid") == InfoField(pinfo, "master_replid"));
  // run_id: 40 hex characters, as sentinel expects.
  const std::string run_id = InfoField(Info(p.get(), "server"), "run_id");
  CHECK(run_id.size() == 40);
  // The replica's connection on the primary: flag S, type replica, kept by KILL TYPE normal.
  CHECK(Contains(Cmd(p, {"CLIENT", "LIST", "TYPE", "replica"}).str, "flags=S"));
  CHECK(Cmd(p, {"CLIENT", "KILL", "TYPE", "normal"}).is_int());
  CHECK(Contains(Cmd(p, {"CLIENT", "LIST", "TYPE", "slave"}).str, "flags=S"));
  // CONFIG REWRITE keeps the replica's primary.
  CHECK(Cmd(r, {"CONFIG", "REWRITE"}).is_error());  // started without a config file
}

TEST_CASE("replication: SYNC from a plain client gets the snapshot as one bulk, then the stream") {
  if (ReferenceMode()) return;
  TestServer primary;
  Conn p = primary.Connect();
  CHECK(Cmd(p, {"SET", "k", "v"}) == Ok());
  RawConn raw(primary.port());
  REQUIRE(raw.Send(Resp({"SYNC"})));
  // Newlines may come first (keepalive), then "$<len>\r\n" and the snapshot's bytes.
  std::string got;
  REQUIRE(WaitFor(
      [&] {
        raw.Pump(milliseconds(50));
        got = raw.pending();
        const size_t dollar = got.find('$');
        if (dollar == std::string::npos) return false;
        const size_t crlf = got.find("\r\n", dollar);
        if (crlf == std::string::npos) return false;
        const size_t len = std::stoul(got.substr(dollar + 1, crlf - dollar - 1));
        return got.size() >= crlf + 2 + len;
      },
      seconds(10)));
  const size_t dollar = got.find('$');
  CHECK(got.substr(0, dollar).find_first_not_of('\n') == std::string::npos);
  const size_t crlf = got.find("\r\n", dollar);
  CHECK(got.substr(crlf + 2, 8) == "PYKVSNAP");
  const size_t len = std::stoul(got.substr(dollar + 1, crlf - dollar - 1));
  const std::string after_snapshot = got.substr(crlf + 2 + len);
  // The stream names the database first, then carries the writes.
  CHECK(Cmd(p, {"SET", "k2", "v2"}) == Ok());
  REQUIRE(WaitFor(
      [&] {
        raw.Pump(milliseconds(50));
        return Contains(raw.pending(), "k2");
      },
      seconds(10)));
  const std::string stream = raw.pending().substr(crlf + 2 + len);
  CHECK(stream.rfind(Resp({"SELECT", "0"}), 0) == 0);
  CHECK(Contains(stream, Resp({"SET", "k2", "v2"})));
  CHECK(Contains(Cmd(p, {"CLIENT", "LIST"}).str, "flags=S"));
  // A replica client may not issue REPLICAOF, and PSYNC without a RESP connection to
  // a replica that lost its primary is refused: see the other cases.
}

TEST_CASE("replication: replicas that ask while a snapshot is written share it") {
  if (ReferenceMode()) return;
  TestServer primary;
  Conn p = primary.Connect();
  // Enough data that the snapshot child is still writing when the second request arrives
  // (both are sent back to back, microseconds apart).
  FillKeys(p, "k:", static_cast<int>(Scaled(200000, 100000)), 0);
  RawConn a(primary.port());
  RawConn b(primary.port());
  REQUIRE(a.Send(Resp({"PSYNC", "?", "-1"})));
  REQUIRE(b.Send(Resp({"PSYNC", "?", "-1"})));
  std::string la, lb;
  REQUIRE(WaitFor(
      [&] {
        a.Pump(milliseconds(20));
        b.Pump(milliseconds(20));
        return Contains(a.pending(), "\r\n") && Contains(b.pending(), "\r\n");
      },
      seconds(20)));
  la = a.pending().substr(0, a.pending().find("\r\n"));
  lb = b.pending().substr(0, b.pending().find("\r\n"));
  // One history, one offset: the same snapshot.
  CHECK(la.rfind("+FULLRESYNC ", 0) == 0);
  CHECK(la == lb);
  const std::string log = ReadLog(primary);
  CHECK(CountOf(log, "Starting BGSAVE for SYNC") == 1);
  CHECK(Contains(log, "Waiting for end of BGSAVE for SYNC"));
}

}  // namespace pykv::it
