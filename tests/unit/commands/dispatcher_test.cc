// The dispatcher's checks, in Redis 7.0's order and with its replies: CLIENT PAUSE holds a
// command only after it passed every check; memory limits refuse queueing inside MULTI;
// secrets never reach MONITOR or SLOWLOG; every error reply is counted by code; what is
// refused while loading.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "commands/errors.h"
#include "unit/commands/command_test_fixture.h"

namespace pykv::cmd::testing {
namespace {

const std::string kPostponed = "<postponed>";

struct PauseTest : CommandTest {
  TestClient other;
};
using Strings = std::vector<std::string>;

TEST_CASE_FIXTURE(PauseTest,
                  "CLIENT PAUSE WRITE holds writes, and EXEC of a transaction with writes") {
  dispatcher.set_pause(Dispatcher::PauseMode::kWrite);
  CHECK(Run({"SET", "a", "1"}) == kPostponed);
  CHECK(Run({"GET", "a"}) == kNil);
  CHECK(Run({"PING"}) == Simple("PONG"));
  // A command that fails its checks is answered at once, as Redis does.
  CHECK(Run({"SET", "a"}) == Err("ERR wrong number of arguments for 'set' command"));
  CHECK(Run({"NOSUCH"}).rfind("-ERR unknown command 'NOSUCH'", 0) == 0);
  // Inside MULTI a write is held before it is even queued.
  CHECK(Run({"MULTI"}) == kOk);
  CHECK(Run({"GET", "a"}) == kQueued);
  CHECK(Run({"SET", "a", "2"}) == kPostponed);
  CHECK(Run({"EXEC"}) == Arr({kNil}));
  // A transaction queued before the pause: EXEC is held because of what it would run.
  dispatcher.set_pause(Dispatcher::PauseMode::kNone);
  CHECK(Run({"MULTI"}) == kOk);
  CHECK(Run({"SET", "a", "2"}) == kQueued);
  dispatcher.set_pause(Dispatcher::PauseMode::kWrite);
  CHECK(Run({"EXEC"}) == kPostponed);
  CHECK(RunAs(other, {"GET", "a"}) == kNil);  // nothing ran
  dispatcher.set_pause(Dispatcher::PauseMode::kNone);
  CHECK(Run({"EXEC"}) == Arr({kOk}));
  CHECK(Run({"GET", "a"}) == Bulk("2"));
}

TEST_CASE_FIXTURE(CommandTest,
                  "CLIENT PAUSE ALL holds every valid command, never internal clients") {
  dispatcher.set_pause(Dispatcher::PauseMode::kAll);
  CHECK(Run({"PING"}) == kPostponed);
  CHECK(Run({"CLIENT", "UNPAUSE"}) == kPostponed);  // as in Redis 7.0: only the timeout ends it
  CHECK(Run({"GET"}) == Err("ERR wrong number of arguments for 'get' command"));
  TestClient loader;
  loader.state.kind = ClientKind::kAofLoader;
  CHECK(RunAs(loader, {"SET", "k", "v"}) == kOk);
  dispatcher.set_pause(Dispatcher::PauseMode::kNone);
  CHECK(Run({"GET", "k"}) == Bulk("v"));
}

TEST_CASE_FIXTURE(CommandTest, "over maxmemory MULTI queues nothing and EXEC aborts") {
  Run({"SET", "big", std::string(4096, 'x')});
  keyspace.set_limits({/*maxkeys=*/0, /*maxmemory=*/1, store::EvictionPolicy::kNoEviction});
  CHECK(Run({"MULTI"}) == kOk);
  CHECK(Run({"SET", "x", "1"}) == Err(err::kOom));
  CHECK(Run({"GET", "x"}) == Err(err::kOom));  // queueing itself takes memory
  CHECK(Run({"EXEC"}) == Err("EXECABORT Transaction discarded because of previous errors."));
  // Outside MULTI reads still work.
  CHECK(Run({"GET", "big"}) == Bulk(std::string(4096, 'x')));
  // A transaction queued while there was room: EXEC is refused when it would add data.
  keyspace.set_limits({0, 0, store::EvictionPolicy::kNoEviction});
  CHECK(Run({"MULTI"}) == kOk);
  CHECK(Run({"SET", "x", "1"}) == kQueued);
  keyspace.set_limits({0, 1, store::EvictionPolicy::kNoEviction});
  CHECK(Run({"EXEC"}) ==
        Err("EXECABORT Transaction discarded because of: OOM command not allowed when used "
            "memory > 'maxmemory'."));
  CHECK(Run({"EXISTS", "x"}) == Int(0));
  // DISCARD always gets through.
  CHECK(Run({"MULTI"}) == kOk);
  CHECK(Run({"DISCARD"}) == kOk);
}

TEST_CASE_FIXTURE(CommandTest, "the maxkeys refusal names maxkeys, not maxmemory") {
  keyspace.set_limits({/*maxkeys=*/2, /*maxmemory=*/0, store::EvictionPolicy::kNoEviction});
  CHECK(Run({"SET", "a", "1"}) == kOk);
  CHECK(Run({"SET", "b", "1"}) == kOk);
  CHECK(Run({"SET", "c", "1"}) == Err(err::kOomKeys));
  CHECK(err::kOomKeys == "OOM command not allowed when the number of keys > 'maxkeys'.");
  CHECK(Run({"SET", "a", "2"}) == Err(err::kOomKeys));  // deny-oom, as Redis refuses it too
  CHECK(Run({"GET", "a"}) == Bulk("1"));
  // Lowered below the key count with nothing to evict: still the maxkeys error.
  keyspace.set_limits({1, 0, store::EvictionPolicy::kVolatileLru});
  CHECK(Run({"SET", "d", "1"}) == Err(err::kOomKeys));
  // maxmemory keeps its own text.
  keyspace.set_limits({0, 1, store::EvictionPolicy::kNoEviction});
  CHECK(Run({"SET", "d", "1"}) == Err(err::kOom));
}

TEST_CASE_FIXTURE(CommandTest, "passwords are redacted from MONITOR and SLOWLOG") {
  server.monitors = 1;
  server.requirepass = "s3cret";
  dispatcher.slowlog().Configure(/*slower_than_us=*/0, /*max_len=*/16);
  CHECK(Run({"AUTH", "s3cret"}) == kOk);
  CHECK(Run({"AUTH", "default", "s3cret"}) == kOk);
  CHECK(Run({"AUTH", "default", "wrong"}).rfind("-WRONGPASS", 0) == 0);
  Run({"HELLO", "2", "AUTH", "default", "s3cret", "SETNAME", "n"});
  Run({"CONFIG", "SET", "requirepass", "new", "maxmemory", "0"});
  Run({"SET", "k", "s3cret"});  // a value is not a secret
  const std::vector<Strings> want_monitor = {
      {"AUTH", "(redacted)"},
      {"AUTH", "(redacted)", "(redacted)"},
      {"AUTH", "(redacted)", "(redacted)"},
      {"HELLO", "2", "AUTH", "(redacted)", "(redacted)", "SETNAME", "n"},
      // CONFIG is an admin command: never fed to MONITOR.
      {"SET", "k", "s3cret"},
  };
  CHECK(server.monitored == want_monitor);
  std::vector<Strings> logged;
  for (const SlowLogEntry& e : dispatcher.slowlog().entries()) logged.push_back(e.args);
  const std::vector<Strings> want_slowlog = {
      {"SET", "k", "s3cret"},
      {"CONFIG", "SET", "requirepass", "(redacted)", "maxmemory", "0"},
      {"HELLO", "2", "AUTH", "(redacted)", "(redacted)", "SETNAME", "n"},
      {"AUTH", "(redacted)", "(redacted)"},
      {"AUTH", "(redacted)", "(redacted)"},
      {"AUTH", "(redacted)"},
  };
  CHECK(logged == want_slowlog);
}

TEST_CASE_FIXTURE(CommandTest, "INFO errorstats counts every error reply by code") {
  Run({"SET", "s", "abc"});
  Run({"INCR", "s"});                 // handler error
  Run({"SET", "a", "b", "EX", "0"});  // handler error
  Run({"GET"});                       // refused: arity
  Run({"NOSUCH"});                    // refused: unknown
  Run({"MULTI"});
  Run({"GET"});
  Run({"EXEC"});  // EXECABORT
  Run({"MULTI"});
  Run({"INCR", "s"});
  Run({"EXEC"});  // the INCR inside fails: counted once, against INCR
  const auto& codes = dispatcher.stats().errors.codes();
  CHECK(codes.size() == 2);
  CHECK(codes.at("ERR") == 6);
  CHECK(codes.at("EXECABORT") == 1);
  CHECK(dispatcher.table().Find("incr")->stats.failed_calls == 2);
  CHECK(dispatcher.table().Find("exec")->stats.failed_calls == 0);
}

TEST_CASE_FIXTURE(CommandTest, "while loading, saving and rewriting answer -LOADING as in Redis") {
  // A rewrite of a half-loaded data set would be wrong; before, the refusal came later and
  // claimed the AOF was off.
  dispatcher.set_loading(true);
  for (const char* c : {"BGSAVE", "BGREWRITEAOF", "SAVE"}) {
    CAPTURE(c);
    CHECK(Run({c}) == Err(std::string(err::kLoading)));
  }
  CHECK(Run({"PING"}) == Simple("PONG"));  // PyKV answers PING while loading (Redis: -LOADING)
  dispatcher.set_loading(false);
}

}  // namespace
}  // namespace pykv::cmd::testing
