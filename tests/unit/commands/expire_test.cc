// The expire family (expire.cc): Redis 7.0 option rules, error texts, TTL arithmetic and
// the PEXPIREAT/DEL propagation DESIGN.md asks for.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "common/numbers.h"
#include "unit/commands/command_test_fixture.h"

namespace pykv::cmd::testing {
namespace {

using namespace std::string_literals;

using Commands = std::vector<std::vector<std::string>>;

// Redis 7.0.15's replies to these sequences, recorded from a real server. The clock there
// was real, so only replies that do not depend on the exact millisecond are recorded.
// clang-format off
const std::vector<RedisCase> kRedisCases = {
    {"EXPIRE family basics", {
        {{"SET", "k", "v"}, "+OK\r\n"s},
        {{"EXPIRE", "k", "100"}, ":1\r\n"s},
        {{"TTL", "k"}, ":100\r\n"s},
        {{"PEXPIRE", "k", "100000"}, ":1\r\n"s},
        {{"TTL", "k"}, ":100\r\n"s},
        {{"PERSIST", "k"}, ":1\r\n"s},
        {{"PERSIST", "k"}, ":0\r\n"s},
        {{"TTL", "k"}, ":-1\r\n"s},
        {{"PTTL", "k"}, ":-1\r\n"s},
        {{"EXPIRETIME", "k"}, ":-1\r\n"s},
        {{"PEXPIRETIME", "k"}, ":-1\r\n"s},
        {{"TTL", "nokey"}, ":-2\r\n"s},
        {{"PTTL", "nokey"}, ":-2\r\n"s},
        {{"EXPIRETIME", "nokey"}, ":-2\r\n"s},
        {{"PEXPIRETIME", "nokey"}, ":-2\r\n"s},
        {{"EXPIRE", "nokey", "10"}, ":0\r\n"s},
        {{"PERSIST", "nokey"}, ":0\r\n"s},
        {{"EXPIREAT", "k", "4102444800"}, ":1\r\n"s},
        {{"EXPIRETIME", "k"}, ":4102444800\r\n"s},
        {{"PEXPIRETIME", "k"}, ":4102444800000\r\n"s},
        {{"PEXPIREAT", "k", "4102444800123"}, ":1\r\n"s},
        {{"PEXPIRETIME", "k"}, ":4102444800123\r\n"s},
        {{"EXPIRETIME", "k"}, ":4102444800\r\n"s},
        {{"PEXPIREAT", "k", "4102444800499"}, ":1\r\n"s},
        {{"EXPIRETIME", "k"}, ":4102444800\r\n"s},
        {{"PEXPIREAT", "k", "4102444800500"}, ":1\r\n"s},
        {{"EXPIRETIME", "k"}, ":4102444801\r\n"s},
        {{"TTL"}, "-ERR wrong number of arguments for 'ttl' command\r\n"s},
        {{"TTL", "a", "b"}, "-ERR wrong number of arguments for 'ttl' command\r\n"s},
        {{"EXPIRE", "k"}, "-ERR wrong number of arguments for 'expire' command\r\n"s},
        {{"PERSIST"}, "-ERR wrong number of arguments for 'persist' command\r\n"s},
        {{"EXPIRETIME", "a", "b"}, "-ERR wrong number of arguments for 'expiretime' command\r\n"s},
    }},
    {"EXPIRE option errors", {
        {{"SET", "k", "v"}, "+OK\r\n"s},
        {{"EXPIRE", "k", "100", "NX", "XX"}, "-ERR NX and XX, GT or LT options at the same time are not compatible\r\n"s},
        {{"EXPIRE", "k", "100", "XX", "NX"}, "-ERR NX and XX, GT or LT options at the same time are not compatible\r\n"s},
        {{"EXPIRE", "k", "100", "NX", "GT"}, "-ERR NX and XX, GT or LT options at the same time are not compatible\r\n"s},
        {{"EXPIRE", "k", "100", "lt", "nx"}, "-ERR NX and XX, GT or LT options at the same time are not compatible\r\n"s},
        {{"EXPIRE", "k", "100", "GT", "LT"}, "-ERR GT and LT options at the same time are not compatible\r\n"s},
        {{"EXPIRE", "k", "100", "FOO"}, "-ERR Unsupported option FOO\r\n"s},
        {{"EXPIRE", "k", "abc", "FOO"}, "-ERR Unsupported option FOO\r\n"s},
        {{"EXPIRE", "nokey", "100", "NX", "XX"}, "-ERR NX and XX, GT or LT options at the same time are not compatible\r\n"s},
        {{"EXPIRE", "k", "abc"}, "-ERR value is not an integer or out of range\r\n"s},
        {{"EXPIRE", "nokey", "abc"}, "-ERR value is not an integer or out of range\r\n"s},
        {{"EXPIRE", "k", "1.5"}, "-ERR value is not an integer or out of range\r\n"s},
        {{"EXPIRE", "k", ""}, "-ERR value is not an integer or out of range\r\n"s},
        {{"EXPIRE", "k", "100", "XX", "GT"}, ":0\r\n"s},
        {{"TTL", "k"}, ":-1\r\n"s},
        {{"EXPIRE", "k", "100", "NX", "NX"}, ":1\r\n"s},
        {{"TTL", "k"}, ":100\r\n"s},
        {{"PEXPIRE", "k", "100", "gt", "lt"}, "-ERR GT and LT options at the same time are not compatible\r\n"s},
        {{"EXPIREAT", "k", "100", "FOO"}, "-ERR Unsupported option FOO\r\n"s},
        {{"PEXPIREAT", "k", "100", "nx", "xx"}, "-ERR NX and XX, GT or LT options at the same time are not compatible\r\n"s},
        {{"EXPIRE", "k", "100", "GT", "FOO", "NX"}, "-ERR Unsupported option FOO\r\n"s},
        {{"EXPIRE", "k", "100", "NX", "XX", "FOO"}, "-ERR Unsupported option FOO\r\n"s},
    }},
    {"invalid expire times", {
        {{"SET", "k", "v"}, "+OK\r\n"s},
        {{"EXPIRE", "k", "9223372036854775807"}, "-ERR invalid expire time in 'expire' command\r\n"s},
        {{"EXPIRE", "k", "-9223372036854775808"}, "-ERR invalid expire time in 'expire' command\r\n"s},
        {{"EXPIRE", "k", "9223372036854775"}, "-ERR invalid expire time in 'expire' command\r\n"s},
        {{"EXPIRE", "k", "9223372036854776"}, "-ERR invalid expire time in 'expire' command\r\n"s},
        {{"PEXPIRE", "k", "9223372036854775807"}, "-ERR invalid expire time in 'pexpire' command\r\n"s},
        {{"EXPIREAT", "k", "9223372036854775807"}, "-ERR invalid expire time in 'expireat' command\r\n"s},
        {{"EXPIREAT", "k", "9223372036854776"}, "-ERR invalid expire time in 'expireat' command\r\n"s},
        {{"PEXPIRE", "k", "9223372036854775000"}, "-ERR invalid expire time in 'pexpire' command\r\n"s},
        {{"TTL", "k"}, ":-1\r\n"s},
        {{"PEXPIREAT", "k", "9223372036854775807"}, ":1\r\n"s},
        {{"PEXPIRETIME", "k"}, ":9223372036854775807\r\n"s},
        {{"EXPIRETIME", "k"}, ":9223372036854776\r\n"s},
        {{"EXPIRE", "k", "99999999999999999999"}, "-ERR value is not an integer or out of range\r\n"s},
    }},
    {"NX XX GT LT", {
        {{"SET", "k", "v"}, "+OK\r\n"s},
        {{"EXPIRE", "k", "100", "XX"}, ":0\r\n"s},
        {{"TTL", "k"}, ":-1\r\n"s},
        {{"EXPIRE", "k", "100", "GT"}, ":0\r\n"s},
        {{"TTL", "k"}, ":-1\r\n"s},
        {{"EXPIRE", "k", "100", "LT"}, ":1\r\n"s},
        {{"TTL", "k"}, ":100\r\n"s},
        {{"EXPIRE", "k", "200", "NX"}, ":0\r\n"s},
        {{"TTL", "k"}, ":100\r\n"s},
        {{"EXPIRE", "k", "50", "GT"}, ":0\r\n"s},
        {{"EXPIRE", "k", "100", "GT"}, ":0\r\n"s},
        {{"EXPIRE", "k", "150", "GT"}, ":1\r\n"s},
        {{"TTL", "k"}, ":150\r\n"s},
        {{"EXPIRE", "k", "150", "LT"}, ":0\r\n"s},
        {{"EXPIRE", "k", "200", "LT"}, ":0\r\n"s},
        {{"EXPIRE", "k", "20", "lt"}, ":1\r\n"s},
        {{"TTL", "k"}, ":20\r\n"s},
        {{"EXPIRE", "k", "30", "XX", "GT"}, ":1\r\n"s},
        {{"TTL", "k"}, ":30\r\n"s},
        {{"EXPIRE", "k", "300", "xx"}, ":1\r\n"s},
        {{"TTL", "k"}, ":300\r\n"s},
        {{"PERSIST", "k"}, ":1\r\n"s},
        {{"EXPIRE", "k", "10", "nx"}, ":1\r\n"s},
        {{"TTL", "k"}, ":10\r\n"s},
    }},
    {"past times delete", {
        {{"SET", "k", "v"}, "+OK\r\n"s},
        {{"EXPIRE", "k", "0"}, ":1\r\n"s},
        {{"EXISTS", "k"}, ":0\r\n"s},
        {{"SET", "k", "v"}, "+OK\r\n"s},
        {{"EXPIRE", "k", "-10"}, ":1\r\n"s},
        {{"EXISTS", "k"}, ":0\r\n"s},
        {{"SET", "k", "v"}, "+OK\r\n"s},
        {{"PEXPIRE", "k", "0"}, ":1\r\n"s},
        {{"EXISTS", "k"}, ":0\r\n"s},
        {{"SET", "k", "v"}, "+OK\r\n"s},
        {{"EXPIREAT", "k", "1"}, ":1\r\n"s},
        {{"EXISTS", "k"}, ":0\r\n"s},
        {{"SET", "k", "v"}, "+OK\r\n"s},
        {{"PEXPIREAT", "k", "-1"}, ":1\r\n"s},
        {{"EXISTS", "k"}, ":0\r\n"s},
        {{"SET", "k", "v", "EX", "100"}, "+OK\r\n"s},
        {{"EXPIRE", "k", "-1", "LT"}, ":1\r\n"s},
        {{"EXISTS", "k"}, ":0\r\n"s},
        {{"SET", "k", "v", "EX", "100"}, "+OK\r\n"s},
        {{"EXPIRE", "k", "-1", "GT"}, ":0\r\n"s},
        {{"EXISTS", "k"}, ":1\r\n"s},
        {{"SET", "k", "v"}, "+OK\r\n"s},
        {{"EXPIRE", "k", "0", "XX"}, ":0\r\n"s},
        {{"EXISTS", "k"}, ":1\r\n"s},
    }},
};
// clang-format on

TEST_CASE_FIXTURE(CommandTest, "expire commands answer exactly as Redis 7.0 does") {
  CheckAgainstRedis(*this, kRedisCases);
}

TEST_CASE_FIXTURE(CommandTest, "EXPIRE family sets TTLs in the right unit") {
  const int64_t now = clock.NowMs();
  Run({"SET", "k", "v"});
  CHECK(Run({"EXPIRE", "k", "100"}) == Int(1));
  CHECK(Run({"TTL", "k"}) == Int(100));
  CHECK(Run({"PTTL", "k"}) == Int(100'000));
  CHECK(Run({"PEXPIRE", "k", "1500"}) == Int(1));
  CHECK(Run({"PTTL", "k"}) == Int(1500));
  CHECK(Run({"TTL", "k"}) == Int(2));  // rounded to the nearest second, as Redis does
  CHECK(Run({"PEXPIRE", "k", "1499"}) == Int(1));
  CHECK(Run({"TTL", "k"}) == Int(1));
  CHECK(Run(Argv{"EXPIREAT", "k", std::to_string(now / 1000 + 50)}) == Int(1));
  CHECK(Run({"EXPIRETIME", "k"}) == Int(now / 1000 + 50));
  CHECK(Run({"PEXPIRETIME", "k"}) == Int((now / 1000 + 50) * 1000));
  CHECK(Run(Argv{"PEXPIREAT", "k", std::to_string(now + 1234)}) == Int(1));
  CHECK(Run({"PEXPIRETIME", "k"}) == Int(now + 1234));
  CHECK(Run({"EXPIRETIME", "k"}) == Int((now + 1234 + 500) / 1000));
  CHECK(Run({"PTTL", "k"}) == Int(1234));
}

TEST_CASE_FIXTURE(CommandTest, "TTL family on missing keys and keys without a TTL") {
  for (const char* cmd : {"TTL", "PTTL", "EXPIRETIME", "PEXPIRETIME"}) {
    CAPTURE(cmd);
    CHECK(Run({cmd, "nokey"}) == Int(-2));
    Run({"SET", "plain", "v"});
    CHECK(Run({cmd, "plain"}) == Int(-1));
  }
  CHECK(Run({"EXPIRE", "nokey", "10"}) == Int(0));
  CHECK(Run({"PERSIST", "nokey"}) == Int(0));
  CHECK(Run({"PERSIST", "plain"}) == Int(0));
}

TEST_CASE_FIXTURE(CommandTest, "the key expires when its time passes") {
  Run({"SET", "k", "v"});
  Run({"PEXPIRE", "k", "100"});
  clock.AdvanceMs(100);
  CHECK(Run({"GET", "k"}) == Bulk("v"));  // alive through its expiry millisecond
  CHECK(Run({"PTTL", "k"}) == Int(0));
  clock.AdvanceMs(1);
  CHECK(Run({"GET", "k"}) == kNil);
  CHECK(Run({"TTL", "k"}) == Int(-2));
}

TEST_CASE_FIXTURE(CommandTest, "PERSIST removes the TTL") {
  Run({"SET", "k", "v", "EX", "10"});
  CHECK(Run({"PERSIST", "k"}) == Int(1));
  CHECK(Run({"TTL", "k"}) == Int(-1));
  CHECK(Run({"PERSIST", "k"}) == Int(0));
  clock.AdvanceMs(20'000);
  CHECK(Run({"GET", "k"}) == Bulk("v"));
}

TEST_CASE_FIXTURE(CommandTest, "option errors, in Redis's order") {
  Run({"SET", "k", "v"});
  CHECK(Run({"EXPIRE", "k", "100", "NX", "XX"}) ==
        Err("ERR NX and XX, GT or LT options at the same time are not compatible"));
  CHECK(Run({"EXPIRE", "k", "100", "NX", "GT"}) ==
        Err("ERR NX and XX, GT or LT options at the same time are not compatible"));
  CHECK(Run({"EXPIRE", "k", "100", "lt", "nx"}) ==
        Err("ERR NX and XX, GT or LT options at the same time are not compatible"));
  CHECK(Run({"EXPIRE", "k", "100", "GT", "LT"}) ==
        Err("ERR GT and LT options at the same time are not compatible"));
  CHECK(Run({"EXPIRE", "k", "100", "FOO"}) == Err("ERR Unsupported option FOO"));
  // Options are checked before the number, and before the key is looked up.
  CHECK(Run({"EXPIRE", "k", "abc", "FOO"}) == Err("ERR Unsupported option FOO"));
  CHECK(Run({"EXPIRE", "nokey", "100", "NX", "XX"}) ==
        Err("ERR NX and XX, GT or LT options at the same time are not compatible"));
  CHECK(Run({"EXPIRE", "k", "abc"}) == Err("ERR value is not an integer or out of range"));
  CHECK(Run({"EXPIRE", "nokey", "abc"}) == Err("ERR value is not an integer or out of range"));
  CHECK(Run({"EXPIRE", "k", "1.5"}) == Err("ERR value is not an integer or out of range"));
  CHECK(Run({"EXPIRE", "k"}) == Err("ERR wrong number of arguments for 'expire' command"));
  // XX with GT is allowed.
  CHECK(Run({"EXPIRE", "k", "100", "XX", "GT"}) == Int(0));
  CHECK(Run({"TTL", "k"}) == Int(-1));
}

TEST_CASE_FIXTURE(CommandTest, "invalid expire times") {
  Run({"SET", "k", "v"});
  CHECK(Run({"EXPIRE", "k", "9223372036854775807"}) ==
        Err("ERR invalid expire time in 'expire' command"));
  CHECK(Run({"EXPIRE", "k", "-9223372036854775808"}) ==
        Err("ERR invalid expire time in 'expire' command"));
  CHECK(Run({"PEXPIRE", "k", "9223372036854775807"}) ==
        Err("ERR invalid expire time in 'pexpire' command"));
  CHECK(Run({"EXPIREAT", "k", "9223372036854775807"}) ==
        Err("ERR invalid expire time in 'expireat' command"));
  CHECK(Run({"expireat", "k", "9223372036854776"}) ==
        Err("ERR invalid expire time in 'expireat' command"));
  CHECK(Run({"PEXPIRE", "k", "9223372036854775000"}) ==
        Err("ERR invalid expire time in 'pexpire' command"));
  CHECK(Run({"TTL", "k"}) == Int(-1));
  // The largest absolute millisecond time is fine.
  CHECK(Run({"PEXPIREAT", "k", "9223372036854775807"}) == Int(1));
  CHECK(Run({"PEXPIRETIME", "k"}) == Int(9223372036854775807));
}

TEST_CASE_FIXTURE(CommandTest, "NX and XX") {
  Run({"SET", "k", "v"});
  CHECK(Run({"EXPIRE", "k", "100", "XX"}) == Int(0));
  CHECK(Run({"TTL", "k"}) == Int(-1));
  CHECK(Run({"EXPIRE", "k", "100", "NX"}) == Int(1));
  CHECK(Run({"EXPIRE", "k", "200", "NX"}) == Int(0));
  CHECK(Run({"TTL", "k"}) == Int(100));
  CHECK(Run({"EXPIRE", "k", "200", "xx"}) == Int(1));
  CHECK(Run({"TTL", "k"}) == Int(200));
}

TEST_CASE_FIXTURE(CommandTest, "GT and LT treat a key without TTL as infinite") {
  Run({"SET", "k", "v"});
  CHECK(Run({"EXPIRE", "k", "100", "GT"}) == Int(0));
  CHECK(Run({"TTL", "k"}) == Int(-1));
  CHECK(Run({"EXPIRE", "k", "100", "LT"}) == Int(1));
  CHECK(Run({"TTL", "k"}) == Int(100));
  CHECK(Run({"EXPIRE", "k", "50", "GT"}) == Int(0));
  CHECK(Run({"EXPIRE", "k", "100", "GT"}) == Int(0));  // equal is not greater
  CHECK(Run({"EXPIRE", "k", "150", "GT"}) == Int(1));
  CHECK(Run({"TTL", "k"}) == Int(150));
  CHECK(Run({"EXPIRE", "k", "150", "LT"}) == Int(0));
  CHECK(Run({"EXPIRE", "k", "200", "LT"}) == Int(0));
  CHECK(Run({"EXPIRE", "k", "20", "LT"}) == Int(1));
  CHECK(Run({"TTL", "k"}) == Int(20));
  CHECK(Run({"EXPIRE", "k", "30", "XX", "GT"}) == Int(1));
  CHECK(Run({"TTL", "k"}) == Int(30));
}

TEST_CASE_FIXTURE(CommandTest, "a time at or before now deletes the key and propagates DEL") {
  const int64_t now = clock.NowMs();
  for (const Argv& argv : std::vector<Argv>{{"EXPIRE", "k", "0"},
                                            {"EXPIRE", "k", "-10"},
                                            {"PEXPIRE", "k", "0"},
                                            {"EXPIREAT", "k", "1"},
                                            {"PEXPIREAT", "k", std::to_string(now)}}) {
    CAPTURE(argv[0]);
    Run({"SET", "k", "v"});
    ClearPropagated();
    CHECK(Run(argv) == Int(1));
    CHECK(Run({"EXISTS", "k"}) == Int(0));
    CHECK(propagated() == Commands{{"DEL", "k"}});
  }
  // One millisecond ahead is a TTL, not a deletion.
  Run({"SET", "k", "v"});
  CHECK(Run(Argv{"PEXPIREAT", "k", std::to_string(now + 1)}) == Int(1));
  CHECK(Run({"PTTL", "k"}) == Int(1));
}

TEST_CASE_FIXTURE(CommandTest, "every EXPIRE form propagates as PEXPIREAT with the absolute time") {
  const int64_t now = clock.NowMs();
  Run({"SET", "k", "v"});
  ClearPropagated();
  Run({"EXPIRE", "k", "10"});
  Run({"PEXPIRE", "k", "2500", "GT"});
  Run(Argv{"EXPIREAT", "k", std::to_string(now / 1000 + 100)});
  Run(Argv{"PEXPIREAT", "k", std::to_string(now + 99'000), "LT"});
  // The GT did not apply (2.5s is less than 10s), so it propagated nothing.
  CHECK(propagated() == Commands{{"PEXPIREAT", "k", Int64ToString(now + 10'000)},
                                 {"PEXPIREAT", "k", Int64ToString((now / 1000 + 100) * 1000)},
                                 {"PEXPIREAT", "k", Int64ToString(now + 99'000)}});
}

TEST_CASE_FIXTURE(CommandTest, "failed or read-only expire commands propagate nothing") {
  Run({"SET", "k", "v"});
  ClearPropagated();
  Run({"EXPIRE", "nokey", "10"});
  Run({"EXPIRE", "k", "10", "XX"});
  Run({"EXPIRE", "k", "abc"});
  Run({"EXPIRE", "k", "10", "NX", "XX"});
  Run({"TTL", "k"});
  Run({"PTTL", "k"});
  Run({"EXPIRETIME", "k"});
  Run({"PERSIST", "k"});  // no TTL to remove
  CHECK(propagated().empty());
  Run({"EXPIRE", "k", "10"});
  ClearPropagated();
  Run({"PERSIST", "k"});
  CHECK(propagated() == Commands{{"PERSIST", "k"}});
}

TEST_CASE_FIXTURE(CommandTest, "internal clients store a past expiry instead of deleting") {
  // The AOF loader replays a PEXPIREAT already in the past: the key must stay until the
  // source's own DEL (Redis does the same while loading). The keyspace's expiry is off
  // while loading, as the server sets it.
  keyspace.set_expire_enabled(false);
  TestClient loader;
  loader.state.kind = ClientKind::kAofLoader;
  const int64_t now = clock.NowMs();
  RunAs(loader, {"SET", "k", "v"});
  std::string past = Int64ToString(now - 1000);
  RunAs(loader, {"PEXPIREAT", "k", past});
  CHECK(propagated().empty());
  CHECK(keyspace.size() == 1);
  keyspace.set_expire_enabled(true);
  CHECK(Run({"EXISTS", "k"}) == Int(0));
  // The expiry noticed later is propagated as DEL by the keyspace listener.
  CHECK(propagated() == Commands{{"DEL", "k"}});
}

TEST_CASE_FIXTURE(CommandTest,
                  "a replica's primary link stores a past expiry and waits for the primary's DEL") {
  keyspace.set_expire_enabled(false);
  TestClient primary;
  primary.state.kind = ClientKind::kPrimaryLink;
  RunAs(primary, {"SET", "k", "v"});
  RunAs(primary, {"EXPIRE", "k", "-5"});
  CHECK(keyspace.size() == 1);
  CHECK(Run({"EXISTS", "k"}) == Int(0));  // logically expired: read as missing
  CHECK(keyspace.size() == 1);
  RunAs(primary, {"DEL", "k"});
  CHECK(keyspace.size() == 0);
  CHECK(propagated().empty());
}

}  // namespace
}  // namespace pykv::cmd::testing
