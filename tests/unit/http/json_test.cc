#include "http/json.h"

#include <doctest/doctest.h>
#include <rapidjson/document.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pykv::http {
namespace {

BodyRules CreateRules() {
  BodyRules r;
  r.key_allowed = true;
  r.max_key_bytes = 65536;
  r.max_value_bytes = 1000;
  return r;
}

BodyRules UpdateRules() {
  BodyRules r = CreateRules();
  r.key_allowed = false;
  return r;
}

struct Parsed {
  std::optional<KvBody> body;
  std::vector<ValidationError> errors;
};

Parsed Parse(std::string_view text, const BodyRules& rules = CreateRules()) {
  Parsed p;
  p.body = ParseKvBody(text, rules, &p.errors);
  return p;
}

std::string Loc(const ValidationError& e) {
  std::string out;
  for (const std::string& l : e.loc) out += (out.empty() ? "" : ".") + l;
  return out;
}

// The only error is of `type` at `loc` ("body.ttl_ms").
void CheckOneError(const Parsed& p, const std::string& loc, const std::string& type) {
  CHECK_FALSE(p.body.has_value());
  REQUIRE(p.errors.size() == 1);
  CHECK(Loc(p.errors[0]) == loc);
  CHECK(p.errors[0].type == type);
  CHECK_FALSE(p.errors[0].msg.empty());
}

TEST_CASE("ParseKvBody: valid bodies") {
  Parsed p = Parse(R"({"key":"k","value":"v"})");
  REQUIRE(p.body.has_value());
  CHECK(p.errors.empty());
  CHECK(p.body->key == "k");
  CHECK(p.body->value == "v");
  CHECK_FALSE(p.body->ttl_ms.has_value());

  p = Parse(R"( {"ttl_ms": 5000, "value": "", "key": "a/b"} )");
  REQUIRE(p.body.has_value());
  CHECK(p.body->key == "a/b");
  CHECK(p.body->value == "");
  CHECK(p.body->ttl_ms == 5000);

  // Escapes and NUL bytes arrive decoded; null ttl_ms is no TTL; 5.0 is 5.
  p = Parse(R"({"key":"\u00e9","value":"a\u0000b","ttl_ms":null})");
  REQUIRE(p.body.has_value());
  CHECK(p.body->key == "\xc3\xa9");
  CHECK(p.body->value == std::string("a\0b", 3));
  CHECK_FALSE(p.body->ttl_ms.has_value());
  p = Parse(R"({"key":"k","value":"v","ttl_ms":5.0})");
  REQUIRE(p.body.has_value());
  CHECK(p.body->ttl_ms == 5);

  // The largest TTL the expiry clock takes.
  p = Parse(R"({"key":"k","value":"v","ttl_ms":4611686018427387904})");
  REQUIRE(p.body.has_value());
  CHECK(p.body->ttl_ms == kMaxTtlMs);

  p = Parse(R"({"value":"v","ttl_ms":1})", UpdateRules());
  REQUIRE(p.body.has_value());
  CHECK_FALSE(p.body->key.has_value());
  CHECK(p.body->ttl_ms == 1);
}

TEST_CASE("ParseKvBody: missing fields") {
  CheckOneError(Parse(R"({"value":"v"})"), "body.key", "missing");
  CheckOneError(Parse(R"({"key":"k"})"), "body.value", "missing");
  CheckOneError(Parse(R"({"ttl_ms":1})", UpdateRules()), "body.value", "missing");
  Parsed p = Parse("{}");
  CHECK_FALSE(p.body.has_value());
  REQUIRE(p.errors.size() == 2);
  CHECK(Loc(p.errors[0]) == "body.key");
  CHECK(Loc(p.errors[1]) == "body.value");
  CHECK(p.errors[0].msg == "Field required");
}

TEST_CASE("ParseKvBody: wrong types") {
  for (const char* v : {"1", "1.5", "true", "null", "[]", "{}", R"(["v"])"}) {
    INFO(v);
    CheckOneError(Parse(std::string(R"({"key":"k","value":)") + v + "}"), "body.value",
                  "string_type");
    CheckOneError(Parse(std::string(R"({"value":"v","key":)") + v + "}"), "body.key",
                  "string_type");
  }
}

TEST_CASE("ParseKvBody: extra fields") {
  CheckOneError(Parse(R"({"key":"k","value":"v","x":1})"), "body.x", "extra_forbidden");
  CheckOneError(Parse(R"({"key":"k","value":"v","Key":"k"})"), "body.Key", "extra_forbidden");
  // PUT names the key in its path.
  CheckOneError(Parse(R"({"key":"k","value":"v"})", UpdateRules()), "body.key", "extra_forbidden");
}

TEST_CASE("ParseKvBody: string lengths") {
  Parsed p = Parse(R"({"key":"","value":"v"})");
  CheckOneError(p, "body.key", "string_too_short");
  CHECK(p.errors[0].ctx_len == 1);
  CHECK(p.errors[0].ctx_len_name == "min_length");

  p = Parse(R"({"key":")" + std::string(65537, 'k') + R"(","value":"v"})");
  CheckOneError(p, "body.key", "string_too_long");
  CHECK(p.errors[0].ctx_len == 65536);
  CHECK(p.errors[0].ctx_len_name == "max_length");
  CHECK(Parse(R"({"key":")" + std::string(65536, 'k') + R"(","value":"v"})").body.has_value());

  // Lengths are in bytes, as the server stores them.
  p = Parse(R"({"key":"k","value":")" + std::string(1001, 'v') + R"("})");
  CheckOneError(p, "body.value", "string_too_long");
  CHECK(Parse(R"({"key":"k","value":")" + std::string(1000, 'v') + R"("})").body.has_value());
}

TEST_CASE("ParseKvBody: ttl_ms must be an integer greater than 0 the clock can take") {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"0", "greater_than"},
      {"-1", "greater_than"},
      {"-9223372036854775808", "greater_than"},
      {"-2.0", "greater_than"},
      {"1.5", "int_type"},
      {"-0.5", "int_type"},
      {"true", "int_type"},
      {"false", "int_type"},
      {"\"100\"", "int_type"},
      {"[1]", "int_type"},
      {"{}", "int_type"},
      {"4611686018427387905", "less_than_equal"},
      {"9223372036854775807", "less_than_equal"},
      {"18446744073709551615", "less_than_equal"},
      {"1e19", "less_than_equal"},
      {"1e300", "less_than_equal"},
  };
  for (const auto& [ttl, type] : cases) {
    INFO("ttl_ms " << ttl);
    Parsed p = Parse(R"({"key":"k","value":"v","ttl_ms":)" + ttl + "}");
    CheckOneError(p, "body.ttl_ms", type);
    if (type == "greater_than") CHECK(p.errors[0].ctx_gt == 0);
    if (type == "less_than_equal") CHECK(p.errors[0].ctx_le == kMaxTtlMs);
    CheckOneError(Parse(R"({"value":"v","ttl_ms":)" + ttl + "}", UpdateRules()), "body.ttl_ms",
                  type);
  }
}

TEST_CASE("ParseKvBody: several errors are all reported") {
  Parsed p = Parse(R"({"key":"","value":1,"ttl_ms":0,"x":null})");
  CHECK_FALSE(p.body.has_value());
  std::vector<std::string> types;
  for (const ValidationError& e : p.errors) types.push_back(e.type);
  CHECK(types == std::vector<std::string>{"string_too_short", "string_type", "greater_than",
                                          "extra_forbidden"});
}

TEST_CASE("ParseKvBody: malformed JSON, invalid UTF-8 and bodies that are not objects") {
  for (const char* body :
       {"", " ", "{", R"({"key":"k",})", "{key:1}", "nul", R"({"key":"k","value":"v"}x)",
        R"({"key":"\q"})", "1e400", R"({"value":"\ud800"})"}) {
    INFO("body " << body);
    Parsed p = Parse(body);
    REQUIRE(p.errors.size() == 1);
    CHECK(p.errors[0].type == "json_invalid");
    REQUIRE(p.errors[0].loc.size() == 2);
    CHECK(p.errors[0].loc[0] == "body");
  }
  for (const std::string& body :
       {std::string("{\"key\":\"\xff\",\"value\":\"v\"}"),
        std::string("{\"key\":\"k\",\"value\":\"\xc3\"}"), std::string("{\"\xe0\x80\x80\":1}")}) {
    Parsed p = Parse(body);
    REQUIRE(p.errors.size() == 1);
    CHECK(p.errors[0].type == "utf8_invalid");
    CHECK(p.errors[0].loc[0] == "body");
  }
  for (const char* body : {"[]", "\"s\"", "1", "null", "true", R"([{"key":"k","value":"v"}])"}) {
    INFO("body " << body);
    Parsed p = Parse(body);
    CheckOneError(p, "body", "model_attributes_type");
  }
}

TEST_CASE("ValidationBody is FastAPI's {detail: [{type, loc, msg, ctx}]}") {
  ValidationError missing{{"body", "value"}, "Field required", "missing"};
  ValidationError gt{{"body", "ttl_ms"}, "Input should be greater than 0", "greater_than"};
  gt.ctx_gt = 0;
  ValidationError le{{"body", "ttl_ms"}, "too big", "less_than_equal"};
  le.ctx_le = kMaxTtlMs;
  ValidationError len{
      {"body", "key"}, "String should have at least 1 character", "string_too_short"};
  len.ctx_len = 1;
  len.ctx_len_name = "min_length";
  const std::string text = ValidationBody({missing, gt, le, len});
  CHECK(text.rfind(R"({"detail":[{"type":"missing","loc":["body","value"],"msg":"Field required"})",
                   0) == 0);
  rapidjson::Document d;
  d.Parse(text.data(), text.size());
  REQUIRE_FALSE(d.HasParseError());
  REQUIRE(d["detail"].IsArray());
  REQUIRE(d["detail"].Size() == 4);
  for (const rapidjson::Value& e : d["detail"].GetArray()) {
    CHECK(e["loc"].IsArray());
    CHECK(e["msg"].IsString());
    CHECK(e["type"].IsString());
  }
  CHECK_FALSE(d["detail"][0].HasMember("ctx"));
  CHECK(d["detail"][1]["ctx"]["gt"].GetInt64() == 0);
  CHECK(d["detail"][2]["ctx"]["le"].GetInt64() == kMaxTtlMs);
  CHECK(d["detail"][3]["ctx"]["min_length"].GetInt64() == 1);
  CHECK(ValidationBody({}) == R"({"detail":[]})");
}

TEST_CASE("IsValidUtf8") {
  CHECK(IsValidUtf8(""));
  CHECK(IsValidUtf8("plain ascii"));
  CHECK(IsValidUtf8(std::string("nul\0inside", 10)));
  CHECK(IsValidUtf8("\xc3\xa9"));          // é
  CHECK(IsValidUtf8("\xe2\x82\xac"));      // €
  CHECK(IsValidUtf8("\xf0\x9f\x98\x80"));  // U+1F600
  CHECK(IsValidUtf8("\xf4\x8f\xbf\xbf"));  // U+10FFFF
  CHECK(IsValidUtf8("\xef\xbf\xbf"));      // U+FFFF
  CHECK_FALSE(IsValidUtf8("\xff"));
  CHECK_FALSE(IsValidUtf8("\x80"));              // a lone continuation byte
  CHECK_FALSE(IsValidUtf8("\xc3"));              // truncated
  CHECK_FALSE(IsValidUtf8("a\xe2\x82"));         // truncated at the end
  CHECK_FALSE(IsValidUtf8("\xc3\x28"));          // bad continuation
  CHECK_FALSE(IsValidUtf8("\xc0\xaf"));          // overlong '/'
  CHECK_FALSE(IsValidUtf8("\xe0\x80\xaf"));      // overlong
  CHECK_FALSE(IsValidUtf8("\xed\xa0\x80"));      // a UTF-16 surrogate
  CHECK_FALSE(IsValidUtf8("\xf4\x90\x80\x80"));  // above U+10FFFF
  CHECK_FALSE(IsValidUtf8("\xf8\x88\x80\x80\x80"));
  CHECK_FALSE(IsValidUtf8("ok\xfe"));
}

}  // namespace
}  // namespace pykv::http
