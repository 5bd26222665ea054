// DESIGN.md's propagation rules ("One write path"), proven with the RecordingSink: what
// reaches the AOF and the replicas is one replayable form per change, nothing for reads,
// errors and no-op writes, DEL for keys the keyspace removed, MULTI/EXEC around
// transactions.
#include <doctest/doctest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "common/numbers.h"
#include "resp/command_encoder.h"
#include "resp/request_parser.h"
#include "unit/commands/command_test_fixture.h"

namespace pykv::cmd::testing {
namespace {

using Commands = std::vector<std::vector<std::string>>;

std::string At(int64_t ms) {
  return Int64ToString(ms);
}

TEST_CASE_FIXTURE(CommandTest, "SET propagates once, as received") {
  CHECK(Run({"SET", "k", "v"}) == kOk);
  CHECK(propagated() == Commands{{"SET", "k", "v"}});
}

TEST_CASE_FIXTURE(CommandTest, "reads, errors and refused writes propagate nothing") {
  Run({"SET", "k", "v"});
  ClearPropagated();
  Run({"GET", "k"});
  Run({"MGET", "k", "x"});
  Run({"STRLEN", "k"});
  Run({"EXISTS", "k"});
  Run({"TTL", "k"});
  Run({"SET", "k", "v", "NX"});  // failed SET NX
  Run({"SET", "x", "v", "XX"});  // failed SET XX
  Run({"SETNX", "k", "v"});
  Run({"MSETNX", "k", "1", "y", "2"});
  Run({"INCR", "k"});                 // not an integer
  Run({"SET", "k", "v", "EX", "0"});  // invalid expire
  Run({"SET", "k"});                  // arity
  Run({"NOSUCHCOMMAND", "k"});        // unknown command
  Run({"DEL", "nokey"});
  Run({"PERSIST", "k"});
  Run({"EXPIRE", "nokey", "10"});
  Run({"SETRANGE", "k", "0", ""});
  Run({"GETEX", "k"});
  Run({"GETDEL", "nokey"});
  CHECK(propagated().empty());
}

TEST_CASE_FIXTURE(CommandTest, "relative expiries become absolute PXAT") {
  const int64_t now = clock.NowMs();
  Run({"SET", "k", "v", "EX", "10"});
  Run({"SET", "k", "v", "PX", "2500", "GET"});
  Run({"SETEX", "k", "3", "v"});
  Run({"PSETEX", "k", "700", "v"});
  Run({"SET", "k", "v", "XX", "EX", "1"});
  CHECK(propagated() == Commands{{"SET", "k", "v", "PXAT", At(now + 10'000)},
                                 {"SET", "k", "v", "PXAT", At(now + 2'500)},
                                 {"SET", "k", "v", "PXAT", At(now + 3'000)},
                                 {"SET", "k", "v", "PXAT", At(now + 700)},
                                 {"SET", "k", "v", "PXAT", At(now + 1'000)}});
}

TEST_CASE_FIXTURE(CommandTest, "absolute expiries and KEEPTTL are kept; conditions are dropped") {
  const int64_t now = clock.NowMs();
  Run(Argv{"SET", "k", "v", "EXAT", At(now / 1000 + 100)});
  Run(Argv{"SET", "k", "v", "PXAT", At(now + 5)});
  Run({"SET", "k", "v2", "KEEPTTL"});
  Run({"SET", "k", "v3", "XX", "GET"});
  Run({"SET", "n", "v", "NX"});
  CHECK(propagated() == Commands{{"SET", "k", "v", "PXAT", At((now / 1000 + 100) * 1000)},
                                 {"SET", "k", "v", "PXAT", At(now + 5)},
                                 {"SET", "k", "v2", "KEEPTTL"},
                                 {"SET", "k", "v3"},
                                 {"SET", "n", "v"}});
}

TEST_CASE_FIXTURE(CommandTest, "INCRBYFLOAT propagates the result as SET ... KEEPTTL") {
  Run({"SET", "f", "10.5", "EX", "100"});
  ClearPropagated();
  CHECK(Run({"INCRBYFLOAT", "f", "0.1"}) == Bulk("10.6"));
  CHECK(propagated() == Commands{{"SET", "f", "10.6", "KEEPTTL"}});
  CHECK(Run({"TTL", "f"}) == Int(100));
}

TEST_CASE_FIXTURE(CommandTest, "other string writes") {
  Run({"SET", "k", "1", "EX", "100"});
  ClearPropagated();
  const int64_t now = clock.NowMs();
  Run({"INCR", "k"});
  Run({"APPEND", "k", "0"});
  Run({"GETSET", "k", "x"});
  Run({"GETEX", "k", "EX", "5"});
  Run({"GETEX", "k", "PERSIST"});
  Run({"GETDEL", "k"});
  Run({"MSET", "a", "1", "b", "2"});
  CHECK(propagated() == Commands{{"INCR", "k"},
                                 {"APPEND", "k", "0"},
                                 {"SET", "k", "x"},
                                 {"PEXPIREAT", "k", At(now + 5'000)},
                                 {"PERSIST", "k"},
                                 {"DEL", "k"},
                                 {"MSET", "a", "1", "b", "2"}});
}

TEST_CASE_FIXTURE(CommandTest, "EXPIRE family propagates as PEXPIREAT, or DEL for the past") {
  const int64_t now = clock.NowMs();
  Run({"SET", "k", "v"});
  ClearPropagated();
  Run({"EXPIRE", "k", "10"});
  Run({"PEXPIRE", "k", "20000", "GT"});
  Run(Argv{"EXPIREAT", "k", At(now / 1000 + 30)});
  Run(Argv{"PEXPIREAT", "k", At(now + 40'000)});
  Run({"EXPIRE", "k", "-1"});
  CHECK(propagated() == Commands{{"PEXPIREAT", "k", At(now + 10'000)},
                                 {"PEXPIREAT", "k", At(now + 20'000)},
                                 {"PEXPIREAT", "k", At((now / 1000 + 30) * 1000)},
                                 {"PEXPIREAT", "k", At(now + 40'000)},
                                 {"DEL", "k"}});
}

TEST_CASE_FIXTURE(CommandTest, "a key found expired propagates DEL") {
  Run({"SET", "k", "v", "PX", "100"});
  clock.AdvanceMs(101);
  ClearPropagated();
  CHECK(Run({"GET", "k"}) == kNil);
  CHECK(propagated() == Commands{{"DEL", "k"}});
  // Only once.
  Run({"GET", "k"});
  CHECK(propagated() == Commands{{"DEL", "k"}});
}

TEST_CASE_FIXTURE(CommandTest, "an expiry noticed by a write goes out before the write") {
  Run({"SET", "k", "v", "PX", "100"});
  clock.AdvanceMs(101);
  ClearPropagated();
  Run({"SET", "k", "new", "NX"});
  CHECK(propagated() == Commands{{"DEL", "k"}, {"SET", "k", "new"}});
}

TEST_CASE_FIXTURE(CommandTest, "the active expiry cycle propagates DEL") {
  Run({"SET", "a", "v", "PX", "100"});
  Run({"SET", "b", "v", "PX", "100"});
  Run({"SET", "c", "v"});
  clock.AdvanceMs(101);
  ClearPropagated();
  keyspace.ActiveExpireCycle(1'000'000);
  Commands got = propagated();
  std::sort(got.begin(), got.end());
  CHECK(got == Commands{{"DEL", "a"}, {"DEL", "b"}});
}

TEST_CASE_FIXTURE(CommandTest, "an evicted key propagates DEL ahead of the write that evicted it") {
  keyspace.set_limits({/*maxkeys=*/2, /*maxmemory=*/0, store::EvictionPolicy::kAllKeysLru});
  Run({"SET", "a", "1"});
  Run({"SET", "b", "2"});
  Run({"GET", "a"});  // b is now the least recently used
  Run({"SET", "c", "3"});
  CHECK(propagated() ==
        Commands{{"SET", "a", "1"}, {"SET", "b", "2"}, {"DEL", "b"}, {"SET", "c", "3"}});
  CHECK(Run({"DBSIZE"}) == Int(2));
  CHECK(Run({"EXISTS", "a", "b", "c"}) == Int(2));
}

TEST_CASE_FIXTURE(CommandTest, "MULTI/EXEC propagates as MULTI, the writes, EXEC") {
  const int64_t now = clock.NowMs();
  Run({"MULTI"});
  Run({"SET", "a", "1"});
  Run({"GET", "a"});
  Run({"INCR", "a"});
  Run({"SET", "b", "v", "EX", "5"});
  Run({"INCR", "b"});  // fails at run time: not propagated
  Run({"SET", "x", "v", "NX"});
  Run({"SET", "x", "w", "NX"});  // refused: not propagated
  CHECK(propagated().empty());   // nothing before EXEC
  Run({"EXEC"});
  CHECK(propagated() == Commands{{"MULTI"},
                                 {"SET", "a", "1"},
                                 {"INCR", "a"},
                                 {"SET", "b", "v", "PXAT", At(now + 5'000)},
                                 {"SET", "x", "v"},
                                 {"EXEC"}});
}

TEST_CASE_FIXTURE(CommandTest, "EXEC of only reads (or only failed writes) propagates nothing") {
  Run({"SET", "a", "1"});
  ClearPropagated();
  Run({"MULTI"});
  Run({"GET", "a"});
  Run({"EXISTS", "a"});
  Run({"SET", "a", "2", "NX"});
  Run({"INCRBYFLOAT", "a", "x"});
  CHECK(Run({"EXEC"}) == Arr({Bulk("1"), Int(1), kNil, Err("ERR value is not a valid float")}));
  CHECK(propagated().empty());
  // Empty, aborted and discarded transactions neither.
  Run({"MULTI"});
  Run({"EXEC"});
  Run({"MULTI"});
  Run({"SET", "a", "2"});
  Run({"DISCARD"});
  Run({"MULTI"});
  Run({"SET", "a"});
  Run({"SET", "a", "3"});
  Run({"EXEC"});
  CHECK(propagated().empty());
}

TEST_CASE_FIXTURE(CommandTest, "a watched EXEC that aborts propagates nothing") {
  TestClient other;
  Run({"WATCH", "a"});
  RunAs(other, {"SET", "a", "1"});
  ClearPropagated();
  Run({"MULTI"});
  Run({"SET", "a", "2"});
  CHECK(Run({"EXEC"}) == kNilArray);
  CHECK(propagated().empty());
}

TEST_CASE_FIXTURE(CommandTest, "the AOF loader's commands are applied but not propagated") {
  TestClient loader;
  loader.state.kind = ClientKind::kAofLoader;
  RunAs(loader, {"SET", "a", "1"});
  RunAs(loader, {"INCRBYFLOAT", "a", "1.5"});
  RunAs(loader, {"PEXPIREAT", "a", "99999999999999"});
  CHECK(propagated().empty());
  CHECK(Run({"GET", "a"}) == Bulk("2.5"));
}

TEST_CASE_FIXTURE(
    CommandTest, "a primary's stream is applied but not propagated: the link passes its bytes on") {
  TestClient primary;
  primary.state.kind = ClientKind::kPrimaryLink;
  RunAs(primary, {"SET", "a", "1", "EX", "10"});
  RunAs(primary, {"MULTI"});
  RunAs(primary, {"INCR", "n"});
  RunAs(primary, {"EXEC"});
  CHECK(propagated().empty());
  CHECK(Run({"GET", "a"}) == Bulk("1"));
  CHECK(Run({"GET", "n"}) == Bulk("1"));
}

TEST_CASE_FIXTURE(CommandTest, "key family writes propagate as received") {
  Run({"SET", "a", "1"});
  ClearPropagated();
  Run({"COPY", "a", "b"});
  Run({"RENAME", "b", "c"});
  Run({"RENAMENX", "c", "d"});
  Run({"UNLINK", "d"});
  Run({"FLUSHDB"});
  CHECK(propagated() == Commands{{"COPY", "a", "b"},
                                 {"RENAME", "b", "c"},
                                 {"RENAMENX", "c", "d"},
                                 {"UNLINK", "d"},
                                 {"FLUSHDB"}});
}

TEST_CASE_FIXTURE(CommandTest, "replaying the propagated stream rebuilds the same data set") {
  // Record a workload, then replay what was propagated into a fresh keyspace later in
  // time: the result must match, TTL instants included.
  Run({"SET", "a", "1", "EX", "100"});
  Run({"INCRBYFLOAT", "a", "0.25"});
  Run({"SET", "b", "x"});
  Run({"EXPIRE", "b", "50"});
  Run({"APPEND", "b", "y"});
  Run({"SETEX", "c", "30", "z"});
  Run({"MULTI"});
  Run({"INCR", "n"});
  Run({"GETEX", "c", "PX", "12345"});
  Run({"EXEC"});
  Run({"SET", "gone", "v", "PX", "10"});
  clock.AdvanceMs(11);
  Run({"GET", "gone"});
  const Commands stream = propagated();

  FakeClock later(clock.NowMs() + 3'000);
  CommandClock later_command_clock(&later);
  store::Keyspace replay_ks(&later_command_clock, {7});
  NullSink null_sink;
  FakeServerContext replay_server;
  Dispatcher replay(&replay_ks, &replay_server, &null_sink, &later_command_clock);
  ClientState loader;
  loader.kind = ClientKind::kAofLoader;
  resp::ReplyWriter discard;
  for (const auto& argv : stream) {
    std::vector<std::string_view> views(argv.begin(), argv.end());
    CHECK(replay.Execute(loader, discard, Args(views.data(), views.size())) ==
          Dispatcher::Outcome::kDone);
  }
  CHECK(replay_ks.size() == keyspace.size());
  for (const char* key : {"a", "b", "c", "n"}) {
    CAPTURE(key);
    const store::Entry* want = keyspace.Peek(key);
    const store::Entry* got = replay_ks.Peek(key);
    REQUIRE(want != nullptr);
    REQUIRE(got != nullptr);
    CHECK(got->value() == want->value());
    CHECK(got->expire_at_ms() == want->expire_at_ms());
  }
  CHECK(replay_ks.Peek("gone") == nullptr);
}

// What a session does: the request's bytes ride along while it runs.
std::string RunEncoded(CommandTest& t, std::string_view request) {
  resp::ParserLimits limits;
  resp::RequestParser parser(&limits);
  parser.Append(request);
  REQUIRE(parser.Next() == resp::RequestParser::Result::kCommand);
  t.client.state.request_encoding = parser.last_bytes();
  std::vector<std::string_view> argv(parser.argv().begin(), parser.argv().end());
  (void)t.dispatcher.Execute(t.client.state, t.client.writer, Args(argv.data(), argv.size()));
  t.client.state.request_encoding = {};
  std::string reply = t.client.out.ToString();
  t.client.out.Clear();
  return reply;
}

TEST_CASE_FIXTURE(CommandTest,
                  "a change that is the request itself goes out as the client's bytes") {
  const std::string set = resp::EncodeCommand(std::vector<std::string_view>{"SET", "k", "v"});
  CHECK(RunEncoded(*this, set) == kOk);
  // Rewritten to PXAT: encoded afresh.
  CHECK(RunEncoded(*this, resp::EncodeCommand(
                              std::vector<std::string_view>{"SET", "k", "v", "EX", "10"})) == kOk);
  // Inside EXEC the changes are the queued commands, not the EXEC request.
  CHECK(RunEncoded(*this, resp::EncodeCommand(std::vector<std::string_view>{"MULTI"})) == kOk);
  CHECK(RunEncoded(*this, resp::EncodeCommand(std::vector<std::string_view>{"INCR", "n"})) ==
        kQueued);
  CHECK(RunEncoded(*this, resp::EncodeCommand(std::vector<std::string_view>{"EXEC"})) ==
        Arr({Int(1)}));
  // Bytes that are not this argv's are never used.
  client.state.request_encoding = set;
  CHECK(Run({"DEL", "k"}) == Int(1));
  client.state.request_encoding = {};
  REQUIRE(sink.encodings.size() == 6);
  CHECK(sink.encodings[0] == set);
  CHECK(sink.commands[1] == Argv{"SET", "k", "v", "PXAT", At(clock.NowMs() + 10'000)});
  CHECK(sink.encodings[1].empty());
  CHECK(sink.commands[2] == Argv{"MULTI"});
  CHECK(sink.commands[3] == Argv{"INCR", "n"});
  CHECK(sink.commands[4] == Argv{"EXEC"});
  CHECK(sink.encodings[2].empty());
  CHECK(sink.encodings[3].empty());
  CHECK(sink.encodings[4].empty());
  CHECK(sink.commands[5] == Argv{"DEL", "k"});
  CHECK(sink.encodings[5].empty());
}

}  // namespace
}  // namespace pykv::cmd::testing
