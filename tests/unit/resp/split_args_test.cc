#include "resp/split_args.h"

#include <doctest/doctest.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pykv::resp {
namespace {

using namespace std::string_literals;
using Args = std::vector<std::string>;

// Empty optional on unbalanced quotes.
std::optional<Args> Split(std::string_view line) {
  Args out;
  if (!SplitArgs(line, &out)) return std::nullopt;
  return out;
}

TEST_CASE("blanks separate arguments; an empty or blank line has none") {
  CHECK(Split("") == Args{});
  CHECK(Split(" \t\r\n\v\f") == Args{});
  CHECK(Split("  set  k\tv \r\n") == Args{"set", "k", "v"});
  // \v and \f are skipped between arguments but are part of an unquoted one, as in Redis.
  CHECK(Split("a\vb \f c") == Args{"a\vb", "c"});
}

TEST_CASE("double quotes: C escapes, \\xHH, backslash + anything") {
  CHECK(Split(R"("a b" "")") == Args{"a b", ""});
  CHECK(Split(R"("\x41\x4a\x4A\n\r\t\b\a\\\"\q")") == Args{"AJJ\n\r\t\b\a\\\"q"});
  CHECK(Split(R"("\x00")") == Args{"\0"s});
  // \x needs two hex digits; otherwise the backslash escapes the 'x' alone.
  CHECK(Split(R"("\x4g" "\x")") == Args{"x4g", "x"});
  // A quote may open in the middle of an argument.
  CHECK(Split(R"(a"b c")") == Args{"ab c"});
}

TEST_CASE("single quotes: only \\' is an escape") {
  CHECK(Split(R"('a b' 'it\'s' 'c\d' '')") == Args{"a b", "it's", "c\\d", ""});
}

TEST_CASE("unbalanced quotes") {
  for (const char* line : {"\"abc", "'abc", "\"a\"b", "'a'b", "\"abc\\\"", "x \"a"}) {
    CAPTURE(line);
    CHECK_FALSE(Split(line).has_value());
  }
  // A closing quote followed by a blank or the end is fine.
  CHECK(Split("\"a\"\tb 'c'") == Args{"a", "b", "c"});
}

TEST_CASE("appends to what the vector already holds") {
  Args out{"first"};
  REQUIRE(SplitArgs("a b", &out));
  CHECK(out == Args{"first", "a", "b"});
}

TEST_CASE("an embedded NUL looks like the end of the line to every check but the loop") {
  CHECK(Split("a\0b c"s) == Args{"a", "b", "c"});
  CHECK(Split("\0"s) == Args{""});
  CHECK(Split("\"a\"\0b"s) == Args{"a", "", "b"});
  CHECK_FALSE(Split("\"a\0b\""s).has_value());
  CHECK_FALSE(Split("'a\0b'"s).has_value());
}

TEST_CASE("AppendRepr quotes as sdscatrepr and SplitArgs reads every byte back") {
  std::string out;
  AppendRepr(&out, std::string("a b\"\\\n\r\t\a\b\x01\xff", 12));
  CHECK(out == "\"a b\\\"\\\\\\n\\r\\t\\a\\b\\x01\\xff\"");
  std::string all;
  for (int c = 0; c < 256; ++c) all.push_back(static_cast<char>(c));
  std::string quoted;
  AppendRepr(&quoted, all);
  std::vector<std::string> back;
  REQUIRE(SplitArgs(quoted, &back));
  REQUIRE(back.size() == 1);
  CHECK(back[0] == all);
  CHECK(NeedsRepr(""));
  CHECK(NeedsRepr("a b"));
  CHECK(NeedsRepr("it's"));
  CHECK_FALSE(NeedsRepr("appendonly.aof.1.incr.aof"));
}

}  // namespace
}  // namespace pykv::resp
