// Error replies that come from argument checks inside handlers (not the command table's
// arity), and the quoting of names in errors, byte for byte as Redis 7.0.15 sends them.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "unit/commands/command_test_fixture.h"

namespace pykv::cmd::testing {
namespace {

using namespace std::string_literals;

// Recorded from redis-server 7.0.15, one command at a time.
// clang-format off
const std::vector<RedisCase> kRedisCases = {
    {"handler-checked argument counts and values", {
        {{"CONFIG", "SET", "hz", "5", "timeout"}, "-ERR syntax error\r\n"s},
        {{"CLIENT", "PAUSE", "-1"}, "-ERR timeout is negative\r\n"s},
        {{"CLIENT", "PAUSE", "a", "b", "c", "d"}, "-ERR unknown subcommand or wrong number of arguments for 'PAUSE'. Try CLIENT HELP.\r\n"s},
        {{"CLIENT", "pause", "a", "b", "c", "d"}, "-ERR unknown subcommand or wrong number of arguments for 'pause'. Try CLIENT HELP.\r\n"s},
        {{"SLOWLOG", "GET", "1", "2"}, "-ERR unknown subcommand or wrong number of arguments for 'GET'. Try SLOWLOG HELP.\r\n"s},
        {{"MEMORY", "USAGE", "a", "SAMPLES", "-1"}, "-ERR syntax error\r\n"s},
        {{"MEMORY", "USAGE", "a", "SAMPLES", "x"}, "-ERR value is not an integer or out of range\r\n"s},
        {{"CLIENT", "LIST", "ID", "abc"}, "-ERR Invalid client ID\r\n"s},
        {{"CLIENT", "LIST", "TYPE", "normal", "ID", "1"}, "-ERR syntax error\r\n"s},
        {{"CLIENT", "LIST", "TYPE", "nosuch"}, "-ERR Unknown client type 'nosuch'\r\n"s},
        {{"CLIENT", "LIST", "FOO"}, "-ERR syntax error\r\n"s},
        {{"CLIENT", "KILL", "USER", "nouser"}, "-ERR No such user 'nouser'\r\n"s},
        {{"CLIENT", "KILL", "ID", "0"}, "-ERR client-id should be greater than 0\r\n"s},
    }},
    {"names in errors end at a NUL byte, as Redis's %s does", {
        {{"GET\0X"s, "a"}, "-ERR unknown command 'GET', with args beginning with: 'a' \r\n"s},
        {{"OBJECT", "f\0oo"s}, "-ERR unknown subcommand 'f'. Try OBJECT HELP.\r\n"s},
    }},
};
// clang-format on

TEST_CASE_FIXTURE(CommandTest, "error texts match Redis 7.0") {
  CheckAgainstRedis(*this, kRedisCases);
}

TEST_CASE_FIXTURE(CommandTest, "CLIENT LIST ID with ids that name no client lists nothing") {
  // Redis answers an empty list, not an error, for ids no client has (0, -1, gone).
  CHECK(Run({"CLIENT", "LIST", "ID", "0"}).rfind("-", 0) == std::string::npos);
  CHECK(Run({"CLIENT", "LIST", "ID", "-1", "0"}).rfind("-", 0) == std::string::npos);
}

}  // namespace
}  // namespace pykv::cmd::testing
