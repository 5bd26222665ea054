// The JSON pieces of pykv-cli's HTTP mode: request bodies, items, key pages, error details and
// /health roles.
#include "cli/http_json.h"

#include <doctest/doctest.h>

namespace pykv::cli {
namespace {

using namespace std::string_literals;

TEST_CASE("http json: BuildKvBody writes key, value and ttl_ms, escaping what JSON needs") {
  CHECK(BuildKvBody("k", "v", std::nullopt) == R"({"key":"k","value":"v"})");
  CHECK(BuildKvBody(std::nullopt, "v", 1500) == R"({"value":"v","ttl_ms":1500})");
  CHECK(BuildKvBody("a\"b", "line\n\"q\" \\ \x01", std::nullopt) ==
        R"({"key":"a\"b","value":"line\n\"q\" \\ \u0001"})");
  CHECK(BuildKvBody(std::nullopt, "nul\0here"s, std::nullopt) == R"({"value":"nul\u0000here"})");
  CHECK(BuildKvBody(std::nullopt, "caf\xc3\xa9", std::nullopt) == "{\"value\":\"caf\xc3\xa9\"}");
}

TEST_CASE("http json: BuildKvBody refuses keys and values that are not UTF-8") {
  CHECK_FALSE(BuildKvBody(std::nullopt, "\xff", std::nullopt).has_value());
  CHECK_FALSE(BuildKvBody("\xc3", "ok", std::nullopt).has_value());
  CHECK_FALSE(BuildKvBody(std::nullopt, "\xed\xa0\x80", std::nullopt).has_value());  // surrogate
}

TEST_CASE("http json: ParseKvItem reads value and ttl_ms, decoding base64 values") {
  auto item = ParseKvItem(R"({"key":"k","value":"hello","ttl_ms":null})");
  REQUIRE(item);
  CHECK(item->value == "hello");
  CHECK_FALSE(item->ttl_ms.has_value());

  item = ParseKvItem(R"({"key":"k","value":"a\u0000b","ttl_ms":59874})");
  REQUIRE(item);
  CHECK(item->value == "a\0b"s);
  CHECK(item->ttl_ms == 59874);

  item = ParseKvItem(R"({"key":"k","value":"/wBhIg==","ttl_ms":null,"encoding":"base64"})");
  REQUIRE(item);
  CHECK(item->value == "\xff\0a\""s);

  CHECK_FALSE(ParseKvItem("not json").has_value());
  CHECK_FALSE(ParseKvItem(R"({"key":"k"})").has_value());
  CHECK_FALSE(ParseKvItem(R"({"value":"@@","encoding":"base64"})").has_value());
}

TEST_CASE("http json: ParseKeyPage reads keys, binary_keys and next_cursor") {
  auto page = ParseKeyPage(R"({"keys":["a","b"],"next_cursor":"17"})");
  REQUIRE(page);
  CHECK(page->keys == std::vector<std::string>{"a", "b"});
  CHECK(page->next_cursor == "17");

  page = ParseKeyPage(R"({"keys":["a"],"binary_keys":["/w=="],"next_cursor":null})");
  REQUIRE(page);
  CHECK(page->keys == std::vector<std::string>{"a", "\xff"});
  CHECK_FALSE(page->next_cursor.has_value());

  CHECK_FALSE(ParseKeyPage(R"({"keys":"a"})").has_value());
  CHECK_FALSE(ParseKeyPage(R"({"keys":[1]})").has_value());
  CHECK_FALSE(ParseKeyPage(R"({"keys":[],"next_cursor":5})").has_value());
}

TEST_CASE("http json: ErrorDetail reads a text detail or FastAPI's validation list") {
  CHECK(ErrorDetail(R"({"detail":"Key not found"})") == "Key not found");
  CHECK(ErrorDetail(R"({"detail":[{"type":"string_type","loc":["body","value"],)"
                    R"("msg":"Input should be a valid string","input":1},)"
                    R"({"type":"missing","loc":["body","key"],"msg":"Field required"}]})") ==
        "body.value: Input should be a valid string; body.key: Field required");
  CHECK(ErrorDetail(R"({"detail":[{"loc":["body",0],"msg":"JSON decode error"}]})") ==
        "body.0: JSON decode error");
  CHECK(ErrorDetail("<html>Bad gateway</html>").empty());
  CHECK(ErrorDetail(R"({"other":1})").empty());
}

TEST_CASE("http json: HealthRole") {
  CHECK(HealthRole(R"({"status":"ok","role":"master","loading":false})") == "master");
  CHECK(HealthRole(R"({"status":"ok","role":"slave"})") == "slave");
  CHECK(HealthRole(R"({"status":"ok"})").empty());
  CHECK(HealthRole("oops").empty());
}

}  // namespace
}  // namespace pykv::cli
