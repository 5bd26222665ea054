// Transactions (transactions.cc and the dispatcher's queueing): MULTI/EXEC/DISCARD, errors
// while queueing (EXECABORT), errors while executing, and WATCH invalidated by another
// client's write, by expiry and by FLUSHALL.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "unit/commands/command_test_fixture.h"

namespace pykv::cmd::testing {
namespace {

using namespace std::string_literals;
using Commands = std::vector<std::vector<std::string>>;

// Redis 7.0.15's replies to these single-client sequences, recorded from a real server.
// clang-format off
const std::vector<RedisCase> kRedisCases = {
    {"MULTI/EXEC basics", {
        {{"EXEC"}, "-ERR EXEC without MULTI\r\n"s},
        {{"DISCARD"}, "-ERR DISCARD without MULTI\r\n"s},
        {{"MULTI"}, "+OK\r\n"s},
        {{"MULTI"}, "-ERR MULTI calls can not be nested\r\n"s},
        {{"SET", "a", "1"}, "+QUEUED\r\n"s},
        {{"INCR", "a"}, "+QUEUED\r\n"s},
        {{"GET", "a"}, "+QUEUED\r\n"s},
        {{"EXEC"}, "*3\r\n+OK\r\n:2\r\n$1\r\n2\r\n"s},
        {{"EXEC"}, "-ERR EXEC without MULTI\r\n"s},
        {{"MULTI"}, "+OK\r\n"s},
        {{"EXEC"}, "*0\r\n"s},
        {{"MULTI", "x"}, "-ERR wrong number of arguments for 'multi' command\r\n"s},
        {{"EXEC", "x"}, "-EXECABORT Transaction discarded because of: wrong number of arguments for 'exec' command\r\n"s},
        {{"DISCARD", "x"}, "-ERR wrong number of arguments for 'discard' command\r\n"s},
        {{"MULTI"}, "+OK\r\n"s},
        {{"GET", "a"}, "+QUEUED\r\n"s},
        {{"DISCARD"}, "+OK\r\n"s},
        {{"EXEC"}, "-ERR EXEC without MULTI\r\n"s},
    }},
    {"queued-command errors abort EXEC", {
        {{"MULTI"}, "+OK\r\n"s},
        {{"SET", "a"}, "-ERR wrong number of arguments for 'set' command\r\n"s},
        {{"NOPE"}, "-ERR unknown command 'NOPE', with args beginning with: \r\n"s},
        {{"GET", "a"}, "+QUEUED\r\n"s},
        {{"EXEC"}, "-EXECABORT Transaction discarded because of previous errors.\r\n"s},
        {{"GET", "a"}, "$-1\r\n"s},
        {{"MULTI"}, "+OK\r\n"s},
        {{"SET", "a", "1"}, "+QUEUED\r\n"s},
        {{"COMMAND", "nope"}, "-ERR unknown subcommand 'nope'. Try COMMAND HELP.\r\n"s},
        {{"EXEC"}, "-EXECABORT Transaction discarded because of previous errors.\r\n"s},
        {{"EXISTS", "a"}, ":0\r\n"s},
        {{"MULTI"}, "+OK\r\n"s},
        {{"OBJECT", "encoding"}, "-ERR wrong number of arguments for 'object|encoding' command\r\n"s},
        {{"EXEC"}, "-EXECABORT Transaction discarded because of previous errors.\r\n"s},
    }},
    {"runtime errors inside EXEC do not stop it", {
        {{"MULTI"}, "+OK\r\n"s},
        {{"SET", "s", "abc"}, "+QUEUED\r\n"s},
        {{"INCR", "s"}, "+QUEUED\r\n"s},
        {{"GET", "s"}, "+QUEUED\r\n"s},
        {{"EXPIRE", "s", "abc"}, "+QUEUED\r\n"s},
        {{"PING"}, "+QUEUED\r\n"s},
        {{"EXEC"}, "*5\r\n+OK\r\n-ERR value is not an integer or out of range\r\n$3\r\nabc\r\n-ERR value is not an integer or out of range\r\n+PONG\r\n"s},
        {{"MULTI"}, "+OK\r\n"s},
        {{"SET", "n", "1"}, "+QUEUED\r\n"s},
        {{"SET", "k", "v", "EX", "0"}, "+QUEUED\r\n"s},
        {{"INCR", "n"}, "+QUEUED\r\n"s},
        {{"EXEC"}, "*3\r\n+OK\r\n-ERR invalid expire time in 'set' command\r\n:2\r\n"s},
    }},
    {"WATCH and friends", {
        {{"WATCH"}, "-ERR wrong number of arguments for 'watch' command\r\n"s},
        {{"UNWATCH"}, "+OK\r\n"s},
        {{"UNWATCH", "x"}, "-ERR wrong number of arguments for 'unwatch' command\r\n"s},
        {{"WATCH", "a", "b"}, "+OK\r\n"s},
        {{"MULTI"}, "+OK\r\n"s},
        {{"WATCH", "x"}, "-ERR WATCH inside MULTI is not allowed\r\n"s},
        {{"UNWATCH"}, "+QUEUED\r\n"s},
        {{"PING"}, "+QUEUED\r\n"s},
        {{"EXEC"}, "*2\r\n+OK\r\n+PONG\r\n"s},
        {{"WATCH", "a"}, "+OK\r\n"s},
        {{"SET", "a", "own"}, "+OK\r\n"s},
        {{"MULTI"}, "+OK\r\n"s},
        {{"PING"}, "+QUEUED\r\n"s},
        {{"EXEC"}, "*-1\r\n"s},
        {{"WATCH", "a"}, "+OK\r\n"s},
        {{"UNWATCH"}, "+OK\r\n"s},
        {{"SET", "a", "x"}, "+OK\r\n"s},
        {{"MULTI"}, "+OK\r\n"s},
        {{"PING"}, "+QUEUED\r\n"s},
        {{"EXEC"}, "*1\r\n+PONG\r\n"s},
        {{"WATCH", "a"}, "+OK\r\n"s},
        {{"MULTI"}, "+OK\r\n"s},
        {{"DISCARD"}, "+OK\r\n"s},
        {{"SET", "a", "y"}, "+OK\r\n"s},
        {{"MULTI"}, "+OK\r\n"s},
        {{"PING"}, "+QUEUED\r\n"s},
        {{"EXEC"}, "*1\r\n+PONG\r\n"s},
        {{"MULTI"}, "+OK\r\n"s},
        {{"EXEC", "x"}, "-EXECABORT Transaction discarded because of: wrong number of arguments for 'exec' command\r\n"s},
        {{"EXEC"}, "-ERR EXEC without MULTI\r\n"s},
        {{"WATCH", "a"}, "+OK\r\n"s},
        {{"MULTI"}, "+OK\r\n"s},
        {{"SET", "a", "z"}, "+QUEUED\r\n"s},
        {{"EXEC", "x"}, "-EXECABORT Transaction discarded because of: wrong number of arguments for 'exec' command\r\n"s},
        {{"EXEC"}, "-ERR EXEC without MULTI\r\n"s},
        {{"GET", "a"}, "$1\r\ny\r\n"s},
    }},
};
// clang-format on

TEST_CASE_FIXTURE(CommandTest, "transactions answer exactly as Redis 7.0 does") {
  CheckAgainstRedis(*this, kRedisCases);
}

// A second client, for WATCH.
struct TwoClients : CommandTest {
  TestClient other;
  std::string Other(std::initializer_list<std::string_view> argv) { return RunAs(other, argv); }
  // MULTI, PING, EXEC on the default client: the EXEC reply.
  std::string TryExec() {
    REQUIRE(Run({"MULTI"}) == kOk);
    REQUIRE(Run({"PING"}) == kQueued);
    return Run({"EXEC"});
  }
};
const std::string kPonged = Arr({Simple("PONG")});

TEST_CASE_FIXTURE(TwoClients, "commands queue and run in order at EXEC") {
  CHECK(Run({"MULTI"}) == kOk);
  CHECK(Run({"SET", "k", "1"}) == kQueued);
  CHECK(Run({"INCRBY", "k", "5"}) == kQueued);
  // Nothing has run yet: another client sees no key.
  CHECK(Other({"GET", "k"}) == kNil);
  CHECK(Run({"GET", "k"}) == kQueued);
  CHECK(Run({"EXEC"}) == Arr({kOk, Int(6), Bulk("6")}));
  CHECK(Other({"GET", "k"}) == Bulk("6"));
}

TEST_CASE_FIXTURE(TwoClients, "DISCARD drops the queue and the watches") {
  Run({"WATCH", "k"});
  Run({"MULTI"});
  Run({"SET", "k", "1"});
  CHECK(Run({"DISCARD"}) == kOk);
  CHECK(Run({"GET", "k"}) == kNil);
  Other({"SET", "k", "2"});
  CHECK(TryExec() == kPonged);  // the watch went with DISCARD
}

TEST_CASE_FIXTURE(TwoClients, "a queueing error aborts the whole transaction") {
  Run({"MULTI"});
  Run({"SET", "a", "1"});
  CHECK(Run({"INCR"}) == Err("ERR wrong number of arguments for 'incr' command"));
  Run({"SET", "b", "1"});
  CHECK(Run({"EXEC"}) == Err("EXECABORT Transaction discarded because of previous errors."));
  CHECK(Run({"EXISTS", "a", "b"}) == Int(0));
  // The client is out of the transaction afterwards.
  CHECK(Run({"SET", "a", "1"}) == kOk);
}

TEST_CASE_FIXTURE(TwoClients, "commands refused inside MULTI poison it") {
  server.persistence_error = "";
  Run({"MULTI"});
  CHECK(Run({"SAVE"}) == Err("ERR Command not allowed inside a transaction"));
  CHECK(Run({"EXEC"}) == Err("EXECABORT Transaction discarded because of previous errors."));
}

TEST_CASE_FIXTURE(TwoClients, "MONITOR is queued by MULTI but refused by EXEC, as in Redis 7.0") {
  Run({"MULTI"});
  CHECK(Run({"MONITOR"}) == kQueued);
  CHECK(Run({"EXEC"}) == "*1\r\n-ERR MONITOR isn't allowed for DENY BLOCKING client\r\n");
  CHECK(server.monitors == 0);
}

TEST_CASE_FIXTURE(TwoClients, "WATCH: another client's write makes EXEC return null") {
  Run({"SET", "k", "1"});
  CHECK(Run({"WATCH", "k"}) == kOk);
  Other({"SET", "k", "2"});
  CHECK(Run({"MULTI"}) == kOk);
  CHECK(Run({"SET", "k", "mine"}) == kQueued);
  CHECK(Run({"EXEC"}) == kNilArray);
  CHECK(Run({"GET", "k"}) == Bulk("2"));
  // EXEC forgets the watches, aborted or not.
  Other({"SET", "k", "3"});
  CHECK(TryExec() == kPonged);
}

TEST_CASE_FIXTURE(TwoClients, "WATCH: which writes count") {
  Run({"SET", "w", "1"});
  SUBCASE("writing the same value counts") {
    Run({"WATCH", "w"});
    Other({"SET", "w", "1"});
    CHECK(TryExec() == kNilArray);
  }
  SUBCASE("creating a watched missing key counts, even if deleted again") {
    Run({"WATCH", "m"});
    Other({"SET", "m", "1"});
    Other({"DEL", "m"});
    CHECK(TryExec() == kNilArray);
  }
  SUBCASE("a TTL change counts") {
    Run({"WATCH", "w"});
    Other({"EXPIRE", "w", "100"});
    CHECK(TryExec() == kNilArray);
  }
  SUBCASE("the client's own write counts") {
    Run({"WATCH", "w"});
    Run({"INCR", "w"});
    CHECK(TryExec() == kNilArray);
  }
  SUBCASE("other keys, reads, failed writes and no-op deletes do not count") {
    Run({"WATCH", "w", "zz"});
    Other({"SET", "other", "1"});
    Other({"GET", "w"});
    Other({"SET", "w", "x", "NX"});
    Other({"DEL", "zz"});
    Other({"EXPIRE", "zz", "10"});
    CHECK(TryExec() == kPonged);
  }
  SUBCASE("UNWATCH forgets") {
    Run({"WATCH", "w"});
    Run({"UNWATCH"});
    Other({"SET", "w", "2"});
    CHECK(TryExec() == kPonged);
  }
}

TEST_CASE_FIXTURE(TwoClients, "WATCH: a watched key expiring makes EXEC return null") {
  SUBCASE("even when nothing looked at the key") {
    Run({"SET", "t", "v", "PX", "100"});
    Run({"WATCH", "t"});
    clock.AdvanceMs(200);
    CHECK(TryExec() == kNilArray);
  }
  SUBCASE("when another client noticed the expiry") {
    Run({"SET", "t", "v", "PX", "100"});
    Run({"WATCH", "t"});
    clock.AdvanceMs(200);
    CHECK(Other({"GET", "t"}) == kNil);
    CHECK(TryExec() == kNilArray);
  }
  SUBCASE("when the active expiry cycle removed it") {
    Run({"SET", "t", "v", "PX", "100"});
    Run({"WATCH", "t"});
    clock.AdvanceMs(200);
    keyspace.ActiveExpireCycle(1'000'000);
    CHECK(keyspace.size() == 0);
    CHECK(TryExec() == kNilArray);
  }
  SUBCASE("but not a key already expired when watched") {
    Run({"SET", "t", "v", "PX", "10"});
    clock.AdvanceMs(20);
    Run({"WATCH", "t"});
    CHECK(TryExec() == kPonged);
  }
  SUBCASE("nor a TTL still running") {
    Run({"SET", "t", "v", "PX", "1000"});
    Run({"WATCH", "t"});
    clock.AdvanceMs(500);
    CHECK(TryExec() == kPonged);
  }
}

TEST_CASE_FIXTURE(TwoClients, "WATCH: FLUSHALL and FLUSHDB make EXEC return null") {
  Run({"SET", "k", "v"});
  Run({"WATCH", "k"});
  Other({"FLUSHALL"});
  CHECK(TryExec() == kNilArray);
  Run({"SET", "k", "v"});
  Run({"WATCH", "k"});
  Other({"FLUSHDB"});
  CHECK(TryExec() == kNilArray);
}

TEST_CASE_FIXTURE(TwoClients, "WATCH: a flush leaves a watched key that did not exist alone") {
  // Redis 7.0: FLUSHALL breaks only the watches of keys it removed.
  Run({"SET", "other", "v"});
  Run({"WATCH", "missing"});
  Other({"FLUSHALL"});
  CHECK(TryExec() != kNilArray);
  // An expired but not yet removed key is still in the table: the flush removes it.
  Run({"SET", "t", "v", "PX", "10"});
  Run({"WATCH", "t"});
  server.active_expire = false;
  clock.AdvanceMs(20);
  Other({"FLUSHDB"});
  CHECK(TryExec() == kNilArray);
}

TEST_CASE_FIXTURE(TwoClients, "WATCH by several clients on one key") {
  TestClient third;
  Run({"SET", "k", "0"});
  Run({"WATCH", "k"});
  Other({"WATCH", "k"});
  // The first to commit wins; the other sees the change.
  Other({"MULTI"});
  Other({"INCR", "k"});
  CHECK(Other({"EXEC"}) == Arr({Int(1)}));
  CHECK(TryExec() == kNilArray);
  // A client closing drops its watches without disturbing others.
  Run({"WATCH", "k"});
  RunAs(third, {"WATCH", "k"});
  dispatcher.OnClientClosed(third.state);
  CHECK(TryExec() == kPonged);
}

TEST_CASE_FIXTURE(TwoClients, "the transaction is per client") {
  Run({"MULTI"});
  CHECK(Other({"SET", "k", "1"}) == kOk);
  CHECK(Other({"EXEC"}) == Err("ERR EXEC without MULTI"));
  CHECK(Run({"GET", "k"}) == kQueued);
  CHECK(Run({"EXEC"}) == Arr({Bulk("1")}));
}

}  // namespace
}  // namespace pykv::cmd::testing
