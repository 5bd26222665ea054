// Reading pykv-cli's HTTP mode command lines: options, Redis's error texts, KEYS patterns.
#include "cli/http_command.h"

#include <doctest/doctest.h>

#include <string>
#include <vector>

namespace pykv::cli {
namespace {

using Kind = HttpCommand::Kind;

StatusOr<HttpCommand> Parse(std::vector<std::string> argv) {
  return ParseHttpCommand(argv);
}
std::string ErrorOf(std::vector<std::string> argv) {
  StatusOr<HttpCommand> c = ParseHttpCommand(argv);
  return c.ok() ? "<ok>" : c.status().message();
}

TEST_CASE("http command: SET with its options") {
  auto c = Parse({"set", "k", "v"});
  REQUIRE(c.ok());
  CHECK(c->kind == Kind::kSet);
  CHECK(c->keys == std::vector<std::string>{"k"});
  CHECK(c->value == "v");
  CHECK_FALSE(c->ttl_ms.has_value());
  CHECK_FALSE(c->nx);
  CHECK_FALSE(c->xx);

  c = Parse({"SET", "k", "v", "ex", "10"});
  REQUIRE(c.ok());
  CHECK(c->ttl_ms == 10000);
  c = Parse({"SET", "k", "v", "PX", "1500", "NX"});
  REQUIRE(c.ok());
  CHECK(c->ttl_ms == 1500);
  CHECK(c->nx);
  c = Parse({"SET", "k", "v", "xx", "keepttl"});
  REQUIRE(c.ok());
  CHECK(c->xx);
  CHECK_FALSE(c->ttl_ms.has_value());
}

TEST_CASE("http command: SET errors use Redis's texts") {
  CHECK(ErrorOf({"SET", "k"}) == "ERR wrong number of arguments for 'set' command");
  CHECK(ErrorOf({"SET", "k", "v", "EX"}) == "ERR syntax error");
  CHECK(ErrorOf({"SET", "k", "v", "EX", "1", "PX", "5"}) == "ERR syntax error");
  CHECK(ErrorOf({"SET", "k", "v", "NX", "XX"}) == "ERR syntax error");
  CHECK(ErrorOf({"SET", "k", "v", "KEEPTTL", "EX", "5"}) == "ERR syntax error");
  CHECK(ErrorOf({"SET", "k", "v", "EX", "1", "KEEPTTL"}) == "ERR syntax error");
  CHECK(ErrorOf({"SET", "k", "v", "BOGUS"}) == "ERR syntax error");
  CHECK(ErrorOf({"SET", "k", "v", "EX", "ten"}) == "ERR value is not an integer or out of range");
  CHECK(ErrorOf({"SET", "k", "v", "EX", "0"}) == "ERR invalid expire time in 'set' command");
  CHECK(ErrorOf({"SET", "k", "v", "PX", "-5"}) == "ERR invalid expire time in 'set' command");
  CHECK(ErrorOf({"SET", "k", "v", "EX", "9223372036854775807"}) ==
        "ERR invalid expire time in 'set' command");
  CHECK(ErrorOf({"SET", "k", "v", "get"}) == "ERR SET GET is not supported in HTTP mode");
}

TEST_CASE("http command: UPDATE takes EX/PX but not SET's conditions") {
  auto c = Parse({"update", "k", "v", "EX", "3"});
  REQUIRE(c.ok());
  CHECK(c->kind == Kind::kUpdate);
  CHECK(c->ttl_ms == 3000);
  CHECK(ErrorOf({"UPDATE", "k", "v", "NX"}) == "ERR syntax error");
  CHECK(ErrorOf({"UPDATE", "k"}) == "ERR wrong number of arguments for 'update' command");
}

TEST_CASE("http command: GET, DEL, EXISTS, TTL, PTTL arities") {
  CHECK(Parse({"get", "k"})->kind == Kind::kGet);
  CHECK(ErrorOf({"GET"}) == "ERR wrong number of arguments for 'get' command");
  CHECK(ErrorOf({"GET", "a", "b"}) == "ERR wrong number of arguments for 'get' command");
  auto c = Parse({"DEL", "a", "b", "c"});
  REQUIRE(c.ok());
  CHECK(c->kind == Kind::kDel);
  CHECK(c->keys == std::vector<std::string>{"a", "b", "c"});
  CHECK(ErrorOf({"del"}) == "ERR wrong number of arguments for 'del' command");
  CHECK(Parse({"exists", "a", "b"})->kind == Kind::kExists);
  CHECK(Parse({"ttl", "a"})->kind == Kind::kTtl);
  CHECK(Parse({"PTTL", "a"})->kind == Kind::kPttl);
}

TEST_CASE("http command: LIST takes a literal prefix, KEYS a glob") {
  auto c = Parse({"LIST"});
  REQUIRE(c.ok());
  CHECK(c->kind == Kind::kList);
  CHECK(c->prefix.empty());
  CHECK_FALSE(c->pattern.has_value());

  c = Parse({"list", "user:*"});
  REQUIRE(c.ok());
  CHECK(c->prefix == "user:*");
  CHECK_FALSE(c->pattern.has_value());

  c = Parse({"keys", "user:[ab]*"});
  REQUIRE(c.ok());
  CHECK(c->prefix == "user:");
  CHECK(c->pattern == "user:[ab]*");
  CHECK(ErrorOf({"KEYS", "a", "b"}) == "ERR wrong number of arguments for 'keys' command");

  CHECK(GlobLiteralPrefix("abc") == "abc");
  CHECK(GlobLiteralPrefix("a?c") == "a");
  CHECK(GlobLiteralPrefix("a\\*c") == "a");
  CHECK(GlobLiteralPrefix("*") == "");
}

TEST_CASE("http command: unknown commands name what HTTP mode supports") {
  CHECK(ErrorOf({"INCR", "x"}) ==
        "ERR unknown command 'INCR' in HTTP mode (supported: SET, GET, DEL, UPDATE, LIST, KEYS, "
        "EXISTS, TTL, PTTL, PING)");
  CHECK(ErrorOf({}) == "ERR empty command");
}

}  // namespace
}  // namespace pykv::cli
