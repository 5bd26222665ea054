// The HTTP API end to end (the contract of the /kv JSON API, /health, /stats, /metrics,
// /openapi.json): every route and status code, FastAPI's 422 shapes, authentication, the
// HTTP/1.1 framing the server must cope with (keep-alive, pipelining, split and chunked
// bodies, Connection: close, slow and oversized requests, many connections), and that HTTP
// requests are ordinary clients of the server (RESP sees their writes, MONITOR and INFO see
// their commands, the AOF holds their writes before they are answered, CONFIG moves the
// listener, maxclients counts them). PyKV-only: every case skips itself in reference mode.
// Test cases are named "http: ..." (filter with -tc='http:*').
#include <rapidjson/pointer.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "integration/http_client.h"
#include "integration/persistence_helpers.h"
#include "integration/server_harness.h"

namespace pykv::it {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

// A server serving HTTP, plus one RESP connection to it.
struct HttpFx {
  explicit HttpFx(std::vector<std::string> args = {}, std::string config_text = "")
      : srv(Options(std::move(args), std::move(config_text))),
        c(srv.Connect()),
        port(srv.http_port()) {}
  Reply operator()(const std::vector<std::string>& args) { return Cmd(c, args); }
  HttpReply Do(std::string_view method, std::string_view target, std::string_view body = "",
               const Headers& extra = {}) {
    return Http(port, method, target, body, extra);
  }
  static ServerOptions Options(std::vector<std::string> args, std::string config_text) {
    ServerOptions o;
    o.args = std::move(args);
    o.config_text = std::move(config_text);
    o.http = true;
    return o;
  }
  TestServer srv;
  Conn c;
  int port;
};

// {"key": k, "value": v, "ttl_ms": t} with only the fields given (JSON-escaped).
std::string Body(std::optional<std::string> key, std::optional<std::string> value,
                 std::optional<int64_t> ttl_ms = std::nullopt) {
  rapidjson::StringBuffer sb;
  rapidjson::Writer<rapidjson::StringBuffer> w(sb);
  w.StartObject();
  if (key) {
    w.Key("key");
    w.String(key->data(), static_cast<rapidjson::SizeType>(key->size()));
  }
  if (value) {
    w.Key("value");
    w.String(value->data(), static_cast<rapidjson::SizeType>(value->size()));
  }
  if (ttl_ms) {
    w.Key("ttl_ms");
    w.Int64(*ttl_ms);
  }
  w.EndObject();
  return std::string(sb.GetString(), sb.GetSize());
}

// The item's "ttl_ms": nullopt when null; -1 when absent or not an integer.
std::optional<int64_t> ItemTtl(const rapidjson::Value& item) {
  if (!item.IsObject() || !item.HasMember("ttl_ms")) return -1;
  const rapidjson::Value& t = item["ttl_ms"];
  if (t.IsNull()) return std::nullopt;
  if (!t.IsInt64()) return -1;
  return t.GetInt64();
}

// An item with exactly this key and value (and no "encoding").
void CheckItem(const HttpReply& r, int status, const std::string& key, const std::string& value) {
  INFO(r.Describe());
  CHECK(r.status == status);
  CHECK(r.Header("Content-Type") == "application/json");
  rapidjson::Document d = r.Json();
  REQUIRE(d.IsObject());
  CHECK(JsonStr(d, "key") == key);
  CHECK(JsonStr(d, "value") == value);
  CHECK(d.HasMember("ttl_ms"));
  CHECK_FALSE(d.HasMember("encoding"));
}

// {"detail": "<message>"} with that status.
void CheckDetail(const HttpReply& r, int status, const std::string& detail) {
  INFO(r.Describe());
  CHECK(r.status == status);
  CHECK(r.Header("Content-Type") == "application/json");
  rapidjson::Document d = r.Json();
  REQUIRE(d.IsObject());
  CHECK(JsonStr(d, "detail") == detail);
}

// A 422 in FastAPI's shape whose detail has an error of `type` whose loc starts with `loc`.
void Check422(const HttpReply& r, const std::vector<std::string>& loc, const std::string& type) {
  INFO(r.Describe());
  REQUIRE(r.status == 422);
  CHECK(r.Header("Content-Type") == "application/json");
  rapidjson::Document d = r.Json();
  REQUIRE(d.IsObject());
  REQUIRE(d.HasMember("detail"));
  REQUIRE(d["detail"].IsArray());
  REQUIRE(d["detail"].Size() > 0);
  bool found = false;
  for (const rapidjson::Value& e : d["detail"].GetArray()) {
    REQUIRE(e.IsObject());
    REQUIRE(e.HasMember("loc"));
    REQUIRE(e["loc"].IsArray());
    CHECK(e.HasMember("msg"));
    CHECK(e["msg"].IsString());
    REQUIRE(e.HasMember("type"));
    REQUIRE(e["type"].IsString());
    if (JsonStr(e, "type") != type || e["loc"].Size() < loc.size()) continue;
    bool same = true;
    for (rapidjson::SizeType i = 0; i < loc.size(); ++i) {
      const rapidjson::Value& part = e["loc"][i];
      same = same && part.IsString() && part.GetString() == loc[i];
    }
    found = found || same;
  }
  CHECK_MESSAGE(found, "no error of type " << type << " at the expected loc");
}

std::string SetOf(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += s + " ";
  return out;
}

// ---- the /kv routes ----

TEST_CASE("http: POST /kv/ creates a key: 201, the item and Location") {
  if (ReferenceMode()) return;
  HttpFx s;
  HttpReply r = s.Do("POST", "/kv/", Body("user:1", "Ada"));
  CheckItem(r, 201, "user:1", "Ada");
  CHECK(r.Header("Location") == "/kv/user%3A1");
  CHECK_FALSE(ItemTtl(r.Json()).has_value());
  CHECK(s({"GET", "user:1"}) == Bulk("Ada"));
  CHECK(s({"PTTL", "user:1"}) == Int(-1));

  // Keys with '/', spaces and UTF-8 are percent-encoded in Location, which then works.
  const std::string odd = "a/b c?d#e+\xc3\xa9";
  r = s.Do("POST", "/kv/", Body(odd, "v"));
  CheckItem(r, 201, odd, "v");
  const std::string location = r.Header("Location");
  CHECK(location == "/kv/a%2Fb%20c%3Fd%23e%2B%C3%A9");
  CheckItem(s.Do("GET", location), 200, odd, "v");
  CHECK(s({"GET", odd}) == Bulk("v"));

  // With a TTL the item says so and the key expires.
  r = s.Do("POST", "/kv/", Body("t", "x", 100000));
  CheckItem(r, 201, "t", "x");
  CHECK(ItemTtl(r.Json()) == 100000);
  Reply pttl = s({"PTTL", "t"});
  CHECK(pttl.integer > 0);
  CHECK(pttl.integer <= 100000);
  CHECK(s.Do("POST", "/kv/", Body("short", "x", 1)).status == 201);
  CHECK(WaitFor([&] { return s.Do("GET", "/kv/short").status == 404; }, seconds(10)));

  // An empty value is a value; a large one is fine too.
  CheckItem(s.Do("POST", "/kv/", Body("empty", "")), 201, "empty", "");
  CHECK(s({"STRLEN", "empty"}) == Int(0));
  const std::string big(1 << 20, 'b');
  CHECK(s.Do("POST", "/kv/", Body("big", big)).status == 201);
  CHECK(s({"STRLEN", "big"}) == Int(1 << 20));
  // JSON escapes arrive decoded, NUL bytes included.
  CHECK(s.Do("POST", "/kv/", R"({"key":"esc","value":"a\u0000b\n\"\u00e9"})").status == 201);
  CHECK(s({"GET", "esc"}) == Bulk(std::string("a\0b\n\"\xc3\xa9", 7)));
}

TEST_CASE("http: POST of an existing key is 409") {
  if (ReferenceMode()) return;
  HttpFx s;
  CHECK(s({"SET", "k", "old"}).ok());
  CheckDetail(s.Do("POST", "/kv/", Body("k", "new")), 409, "Key already exists");
  CHECK(s({"GET", "k"}) == Bulk("old"));
  CHECK(s.Do("POST", "/kv/", Body("k2", "a")).status == 201);
  CheckDetail(s.Do("POST", "/kv/", Body("k2", "b", 5000)), 409, "Key already exists");
  CHECK(s({"GET", "k2"}) == Bulk("a"));
  CHECK(s({"PTTL", "k2"}) == Int(-1));
}

TEST_CASE("http: GET /kv/{key} is 200 with the item or 404") {
  if (ReferenceMode()) return;
  HttpFx s;
  CHECK(s({"SET", "k", "v"}).ok());
  HttpReply r = s.Do("GET", "/kv/k");
  CheckItem(r, 200, "k", "v");
  CHECK_FALSE(ItemTtl(r.Json()).has_value());
  CHECK(r.keep_alive);

  CHECK(s({"SET", "t", "v", "PX", "100000"}).ok());
  r = s.Do("GET", "/kv/t");
  CheckItem(r, 200, "t", "v");
  std::optional<int64_t> ttl = ItemTtl(r.Json());
  REQUIRE(ttl.has_value());
  CHECK(*ttl > 0);
  CHECK(*ttl <= 100000);

  CheckDetail(s.Do("GET", "/kv/nosuch"), 404, "Key not found");
  // The path is percent-decoded; '+' is itself in a path.
  CHECK(s({"SET", "a/b c+d", "w"}).ok());
  CheckItem(s.Do("GET", "/kv/a%2Fb%20c+d"), 200, "a/b c+d", "w");
  CheckItem(s.Do("GET", "/kv/a%2Fb%20c%2Bd"), 200, "a/b c+d", "w");
  CheckItem(s.Do("GET", "/kv/%61%2fb%20c+d"), 200, "a/b c+d", "w");
  // UTF-8 keys, and keys that need no encoding at all.
  CHECK(s({"SET", "\xc3\xa9t\xc3\xa9", "summer"}).ok());
  CheckItem(s.Do("GET", "/kv/%C3%A9t%C3%A9"), 200, "\xc3\xa9t\xc3\xa9", "summer");
  // A malformed escape cannot name a key.
  CHECK(s.Do("GET", "/kv/%G1").status == 422);
  CHECK(s.Do("GET", "/kv/abc%").status == 422);
}

TEST_CASE("http: PUT /kv/{key} keeps the TTL unless ttl_ms is given, 404 for a missing key") {
  if (ReferenceMode()) return;
  HttpFx s;
  CheckDetail(s.Do("PUT", "/kv/nosuch", Body(std::nullopt, "v")), 404, "Key not found");
  CHECK(s({"EXISTS", "nosuch"}) == Int(0));

  // No TTL before, none after.
  CHECK(s({"SET", "plain", "a"}).ok());
  HttpReply r = s.Do("PUT", "/kv/plain", Body(std::nullopt, "b"));
  CheckItem(r, 200, "plain", "b");
  CHECK_FALSE(ItemTtl(r.Json()).has_value());
  CHECK(s({"GET", "plain"}) == Bulk("b"));
  CHECK(s({"PTTL", "plain"}) == Int(-1));

  // A TTL survives a PUT without ttl_ms.
  CHECK(s({"SET", "t", "a", "PX", "100000"}).ok());
  r = s.Do("PUT", "/kv/t", Body(std::nullopt, "b"));
  CheckItem(r, 200, "t", "b");
  std::optional<int64_t> ttl = ItemTtl(r.Json());
  REQUIRE(ttl.has_value());
  CHECK(*ttl > 0);
  CHECK(*ttl <= 100000);
  Reply pttl = s({"PTTL", "t"});
  CHECK(pttl.integer > 0);
  CHECK(pttl.integer <= 100000);
  CHECK(s({"GET", "t"}) == Bulk("b"));

  // ttl_ms sets a new one, on a key that had one or not.
  r = s.Do("PUT", "/kv/t", Body(std::nullopt, "c", 5000000));
  CheckItem(r, 200, "t", "c");
  ttl = ItemTtl(r.Json());
  REQUIRE(ttl.has_value());
  CHECK(*ttl > 100000);
  CHECK(*ttl <= 5000000);
  r = s.Do("PUT", "/kv/plain", Body(std::nullopt, "d", 7000));
  ttl = ItemTtl(r.Json());
  REQUIRE(ttl.has_value());
  CHECK(*ttl > 0);
  CHECK(*ttl <= 7000);
  pttl = s({"PTTL", "plain"});
  CHECK(pttl.integer > 0);
  CHECK(pttl.integer <= 7000);

  // Keys needing escapes.
  CHECK(s({"SET", "x/y z", "1"}).ok());
  CheckItem(s.Do("PUT", "/kv/x%2Fy%20z", Body(std::nullopt, "2")), 200, "x/y z", "2");
  CHECK(s({"GET", "x/y z"}) == Bulk("2"));
}

TEST_CASE("http: DELETE /kv/{key} is 200 with deleted true, then 404") {
  if (ReferenceMode()) return;
  HttpFx s;
  CHECK(s({"SET", "k", "v"}).ok());
  HttpReply r = s.Do("DELETE", "/kv/k");
  INFO(r.Describe());
  CHECK(r.status == 200);
  rapidjson::Document d = r.Json();
  REQUIRE(d.IsObject());
  REQUIRE(d.HasMember("deleted"));
  CHECK(d["deleted"].IsBool());
  CHECK(d["deleted"].IsTrue());
  CHECK(s({"EXISTS", "k"}) == Int(0));
  CheckDetail(s.Do("DELETE", "/kv/k"), 404, "Key not found");
  CheckDetail(s.Do("GET", "/kv/k"), 404, "Key not found");
  CHECK(s({"SET", "a/b", "v"}).ok());
  CHECK(s.Do("DELETE", "/kv/a%2Fb").status == 200);
  CHECK(s({"EXISTS", "a/b"}) == Int(0));
}

// Every key of a listing, following next_cursor until null (bounded).
std::vector<std::string> ListAll(HttpFx& s, const std::string& query, int limit, int* pages,
                                 bool* ok) {
  std::vector<std::string> keys;
  std::string cursor = "0";
  *pages = 0;
  *ok = false;
  for (int round = 0; round < 10000; ++round) {
    std::string target = "/kv/?cursor=" + cursor + "&limit=" + std::to_string(limit) + query;
    HttpReply r = s.Do("GET", target);
    INFO(target << " -> " << r.Describe());
    REQUIRE(r.status == 200);
    rapidjson::Document d = r.Json();
    REQUIRE(d.IsObject());
    REQUIRE(d.HasMember("keys"));
    REQUIRE(d["keys"].IsArray());
    REQUIRE(d.HasMember("next_cursor"));
    for (const rapidjson::Value& k : d["keys"].GetArray()) {
      REQUIRE(k.IsString());
      keys.emplace_back(k.GetString(), k.GetStringLength());
    }
    ++*pages;
    if (d["next_cursor"].IsNull()) {
      *ok = true;
      return keys;
    }
    REQUIRE(d["next_cursor"].IsString());
    cursor = d["next_cursor"].GetString();
    CHECK(cursor != "0");
  }
  return keys;
}

TEST_CASE("http: GET /kv/ lists keys with prefix, cursor and limit, paging until null") {
  if (ReferenceMode()) return;
  HttpFx s;
  std::set<std::string> p_keys;
  for (int base = 0; base < 300; base += 100) {
    for (int i = base; i < base + 100; ++i) {
      std::string k = (i < 250 ? "p:" : "q:") + std::to_string(i);
      if (i < 250) p_keys.insert(k);
      Append(s.c.get(), {"SET", k, "v"});
    }
    for (int i = base; i < base + 100; ++i) REQUIRE(GetReply(s.c.get()).ok());
  }
  // Glob metacharacters in a prefix match only themselves.
  CHECK(s({"SET", "g*x", "v"}).ok());
  CHECK(s({"SET", "g?y", "v"}).ok());
  CHECK(s({"SET", "gzz", "v"}).ok());
  CHECK(s({"SET", "[a]", "v"}).ok());

  int pages = 0;
  bool ok = false;
  std::vector<std::string> got = ListAll(s, "&prefix=p%3A", 7, &pages, &ok);
  CHECK(ok);
  CHECK(pages > 1);
  std::set<std::string> got_set(got.begin(), got.end());
  CHECK(got_set == p_keys);

  got = ListAll(s, "", 1000, &pages, &ok);
  CHECK(ok);
  CHECK(std::set<std::string>(got.begin(), got.end()).size() == 304);

  got = ListAll(s, "&prefix=g*", 50, &pages, &ok);
  CHECK(ok);
  CHECK(SetOf(got) == "g*x ");
  got = ListAll(s, "&prefix=g%3F", 50, &pages, &ok);
  CHECK(SetOf(got) == "g?y ");
  got = ListAll(s, "&prefix=%5Ba", 50, &pages, &ok);
  CHECK(SetOf(got) == "[a] ");
  got = ListAll(s, "&prefix=none", 50, &pages, &ok);
  CHECK(ok);
  CHECK(got.empty());

  // Defaults: cursor 0, limit 100; /kv without the slash lists too.
  HttpReply r = s.Do("GET", "/kv/");
  INFO(r.Describe());
  CHECK(r.status == 200);
  rapidjson::Document d = r.Json();
  REQUIRE(d.IsObject());
  CHECK(d["keys"].IsArray());
  CHECK(d["keys"].Size() > 0);
  CHECK(s.Do("GET", "/kv?prefix=q").status == 200);

  // An empty keyspace is one page, next_cursor null.
  CHECK(s({"FLUSHALL"}).ok());
  r = s.Do("GET", "/kv/?cursor=0");
  CHECK(r.status == 200);
  d = r.Json();
  REQUIRE(d.IsObject());
  CHECK(d["keys"].Size() == 0);
  CHECK(d["next_cursor"].IsNull());
}

TEST_CASE("http: GET /kv/ with a bad limit or cursor is 422") {
  if (ReferenceMode()) return;
  HttpFx s;
  Check422(s.Do("GET", "/kv/?limit=0"), {"query", "limit"}, "value_error");
  Check422(s.Do("GET", "/kv/?limit=1001"), {"query", "limit"}, "value_error");
  Check422(s.Do("GET", "/kv/?limit=-1"), {"query", "limit"}, "int_parsing");
  Check422(s.Do("GET", "/kv/?limit=abc"), {"query", "limit"}, "int_parsing");
  Check422(s.Do("GET", "/kv/?cursor=abc"), {"query", "cursor"}, "int_parsing");
  CHECK(s.Do("GET", "/kv/?limit=1").status == 200);
  CHECK(s.Do("GET", "/kv/?limit=1000").status == 200);
}

// ---- 422: FastAPI's validation errors ----

TEST_CASE("http: 422 for a missing field") {
  if (ReferenceMode()) return;
  HttpFx s;
  Check422(s.Do("POST", "/kv/", R"({"value":"v"})"), {"body", "key"}, "missing");
  Check422(s.Do("POST", "/kv/", R"({"key":"k"})"), {"body", "value"}, "missing");
  HttpReply both = s.Do("POST", "/kv/", "{}");
  Check422(both, {"body", "key"}, "missing");
  Check422(both, {"body", "value"}, "missing");
  CHECK(both.Json()["detail"].Size() == 2);
  CHECK(s({"SET", "k", "v"}).ok());
  Check422(s.Do("PUT", "/kv/k", R"({"ttl_ms":5})"), {"body", "value"}, "missing");
  CHECK(s({"GET", "k"}) == Bulk("v"));
  CHECK(s({"DBSIZE"}) == Int(1));
}

TEST_CASE("http: 422 for a field of the wrong type") {
  if (ReferenceMode()) return;
  HttpFx s;
  Check422(s.Do("POST", "/kv/", R"({"key":1,"value":"v"})"), {"body", "key"}, "string_type");
  Check422(s.Do("POST", "/kv/", R"({"key":"k","value":2})"), {"body", "value"}, "string_type");
  Check422(s.Do("POST", "/kv/", R"({"key":"k","value":null})"), {"body", "value"}, "string_type");
  Check422(s.Do("POST", "/kv/", R"({"key":"k","value":["v"]})"), {"body", "value"}, "string_type");
  Check422(s.Do("POST", "/kv/", R"({"key":{"a":1},"value":"v"})"), {"body", "key"}, "string_type");
  Check422(s.Do("POST", "/kv/", R"({"key":"k","value":true})"), {"body", "value"}, "string_type");
  CHECK(s({"SET", "k", "v"}).ok());
  Check422(s.Do("PUT", "/kv/k", R"({"value":3.5})"), {"body", "value"}, "string_type");
  CHECK(s({"GET", "k"}) == Bulk("v"));
  CHECK(s({"DBSIZE"}) == Int(1));
}

TEST_CASE("http: 422 for an extra field") {
  if (ReferenceMode()) return;
  HttpFx s;
  Check422(s.Do("POST", "/kv/", R"({"key":"k","value":"v","other":1})"), {"body", "other"},
           "extra_forbidden");
  CHECK(s({"SET", "k", "v"}).ok());
  // PUT names the key in the path: a key in the body is extra.
  Check422(s.Do("PUT", "/kv/k", R"({"key":"k","value":"w"})"), {"body", "key"}, "extra_forbidden");
  CHECK(s({"GET", "k"}) == Bulk("v"));
  CHECK(s({"DBSIZE"}) == Int(1));
}

TEST_CASE("http: 422 for an empty key and a key over 65536 bytes") {
  if (ReferenceMode()) return;
  HttpFx s;
  Check422(s.Do("POST", "/kv/", Body("", "v")), {"body", "key"}, "string_too_short");
  Check422(s.Do("POST", "/kv/", Body(std::string(65537, 'k'), "v")), {"body", "key"},
           "string_too_long");
  CHECK(s({"DBSIZE"}) == Int(0));
  // The limit itself is fine.
  CHECK(s.Do("POST", "/kv/", Body(std::string(65536, 'k'), "v")).status == 201);
  CHECK(s({"DBSIZE"}) == Int(1));
}

TEST_CASE("http: 422 for ttl_ms zero, negative, float, bool or string") {
  if (ReferenceMode()) return;
  HttpFx s;
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"0", "greater_than"},
      {"-5", "greater_than"},
      {"1.5", "int_type"},
      {"true", "int_type"},
      {"false", "int_type"},
      {"\"100\"", "int_type"},
      {"[1]", "int_type"},
      {"{}", "int_type"},
      {"-0.5", "int_type"},
      {"1e19", "less_than_equal"},
      {"18446744073709551615", "less_than_equal"},
      {"4611686018427387905", "less_than_equal"},
      {"9223372036854775807", "less_than_equal"},
  };
  CHECK(s({"SET", "k", "v"}).ok());
  for (const auto& [ttl, type] : cases) {
    INFO("ttl_ms " << ttl);
    Check422(s.Do("POST", "/kv/", R"({"key":"n","value":"v","ttl_ms":)" + ttl + "}"),
             {"body", "ttl_ms"}, type);
    Check422(s.Do("PUT", "/kv/k", R"({"value":"w","ttl_ms":)" + ttl + "}"), {"body", "ttl_ms"},
             type);
  }
  CHECK(s({"GET", "k"}) == Bulk("v"));
  CHECK(s({"PTTL", "k"}) == Int(-1));
  CHECK(s({"DBSIZE"}) == Int(1));
  // A number JSON cannot hold as a double is malformed JSON.
  Check422(s.Do("POST", "/kv/", R"({"key":"n","value":"v","ttl_ms":1e400})"), {"body"},
           "json_invalid");
  // The largest TTL the clock takes; a number with no fraction counts as an integer.
  HttpReply r = s.Do("POST", "/kv/", R"({"key":"n","value":"v","ttl_ms":4611686018427387904})");
  CHECK(r.status == 201);
  CHECK(ItemTtl(r.Json()) == 4611686018427387904);
  r = s.Do("POST", "/kv/", R"({"key":"f","value":"v","ttl_ms":5000.0})");
  CHECK(r.status == 201);
  CHECK(ItemTtl(r.Json()) == 5000);
  // null is no TTL.
  r = s.Do("POST", "/kv/", R"({"key":"z","value":"v","ttl_ms":null})");
  CHECK(r.status == 201);
  CHECK_FALSE(ItemTtl(r.Json()).has_value());
}

TEST_CASE("http: 422 for malformed JSON") {
  if (ReferenceMode()) return;
  HttpFx s;
  for (const std::string& body :
       {std::string(R"({"key":"k","value":"v")"), std::string(R"({"key":"k",})"),
        std::string("{key:1}"), std::string("nul"), std::string(R"({"key":"k","value":"v"}x)"),
        std::string(R"({"key":"\q","value":"v"})"), std::string("")}) {
    INFO("body " << body);
    Check422(s.Do("POST", "/kv/", body), {"body"}, "json_invalid");
  }
  CHECK(s({"SET", "k", "v"}).ok());
  Check422(s.Do("PUT", "/kv/k", "{"), {"body"}, "json_invalid");
  CHECK(s({"GET", "k"}) == Bulk("v"));
  CHECK(s({"DBSIZE"}) == Int(1));
}

TEST_CASE("http: 422 for invalid UTF-8 in the body") {
  if (ReferenceMode()) return;
  HttpFx s;
  for (const std::string& body :
       {std::string("{\"key\":\"k\",\"value\":\"\xff\"}"),
        std::string("{\"key\":\"\xc3\",\"value\":\"v\"}"),
        std::string("{\"key\":\"k\",\"value\":\"\xed\xa0\x80\"}"),  // a surrogate
        std::string("{\"key\":\"k\",\"value\":\"\xc0\xaf\"}")}) {   // overlong
    Check422(s.Do("POST", "/kv/", body), {"body"}, "utf8_invalid");
  }
  CHECK(s({"DBSIZE"}) == Int(0));
}

TEST_CASE("http: 422 for a body that is not a JSON object") {
  if (ReferenceMode()) return;
  HttpFx s;
  for (const char* body :
       {"[]", "[{\"key\":\"k\",\"value\":\"v\"}]", "\"kv\"", "1", "null", "true"}) {
    INFO("body " << body);
    HttpReply r = s.Do("POST", "/kv/", body);
    Check422(r, {"body"}, "model_attributes_type");
  }
  CHECK(s({"DBSIZE"}) == Int(0));
}

// ---- other statuses ----

TEST_CASE("http: 405 with Allow for a method a route does not take") {
  if (ReferenceMode()) return;
  HttpFx s;
  struct Case {
    const char* method;
    const char* target;
    const char* allow;
  };
  for (const Case& c :
       {Case{"PATCH", "/kv/k", "GET, HEAD, PUT, DELETE"},
        Case{"POST", "/kv/k", "GET, HEAD, PUT, DELETE"}, Case{"DELETE", "/kv/", "GET, HEAD, POST"},
        Case{"PUT", "/kv/", "GET, HEAD, POST"}, Case{"POST", "/health", "GET, HEAD"},
        Case{"DELETE", "/stats", "GET, HEAD"}, Case{"POST", "/metrics", "GET, HEAD"},
        Case{"PUT", "/openapi.json", "GET, HEAD"}, Case{"POST", "/", "GET, HEAD"}}) {
    HttpReply r = s.Do(c.method, c.target, "{}");
    INFO(c.method << " " << c.target << " -> " << r.Describe());
    CHECK(r.status == 405);
    CHECK(r.Header("Allow") == c.allow);
    CHECK(JsonStr(r.Json(), "detail") == "Method Not Allowed");
  }
}

TEST_CASE("http: an unknown path is 404 Not Found") {
  if (ReferenceMode()) return;
  HttpFx s;
  for (const char* target : {"/nosuch", "/kvx", "/kv2/a", "/ui/nosuch.js", "/health/x"}) {
    INFO(target);
    CheckDetail(s.Do("GET", target), 404, "Not Found");
  }
}

TEST_CASE("http: HEAD answers a GET's headers without its body") {
  if (ReferenceMode()) return;
  HttpFx s;
  CHECK(s({"SET", "k", "some value"}).ok());
  HttpConn c(s.port);
  for (const char* target : {"/kv/k", "/health", "/stats", "/kv/", "/", "/openapi.json"}) {
    INFO(target);
    HttpReply get = c.Request("GET", target);
    REQUIRE(get.status == 200);
    HttpReply head = c.Request("HEAD", target);
    CHECK(head.status == 200);
    CHECK(head.body.empty());
    CHECK(head.Header("Content-Type") == get.Header("Content-Type"));
    if (std::string_view(target) == "/kv/k" || std::string_view(target) == "/openapi.json" ||
        std::string_view(target) == "/") {
      CHECK(head.Header("Content-Length") == std::to_string(get.body.size()));
    }
  }
  HttpReply head = c.Request("HEAD", "/kv/nosuch");
  CHECK(head.status == 404);
  CHECK(head.body.empty());
  CHECK(head.Header("Content-Length") != "0");
  // Nothing stray follows a HEAD response: the next response on the connection is whole.
  CheckItem(c.Request("GET", "/kv/k"), 200, "k", "some value");
  CHECK(c.raw().pending().empty());
}

TEST_CASE("http: with requirepass, 401 and WWW-Authenticate without the Bearer password") {
  if (ReferenceMode()) return;
  HttpFx s({"--requirepass", "s3cret"});
  for (const auto& [method, target] :
       std::vector<std::pair<std::string, std::string>>{{"GET", "/kv/k"},
                                                        {"POST", "/kv/"},
                                                        {"PUT", "/kv/k"},
                                                        {"DELETE", "/kv/k"},
                                                        {"GET", "/kv/"},
                                                        {"GET", "/stats"},
                                                        {"GET", "/metrics"}}) {
    for (const Headers& h :
         {Headers{}, Headers{{"Authorization", "Bearer wrong"}},
          Headers{{"Authorization", "Bearer "}}, Headers{{"Authorization", "Basic czNjcmV0"}},
          Headers{{"Authorization", "s3cret"}}, Headers{{"Authorization", "Bearer s3cret2"}}}) {
      HttpReply r = s.Do(method, target, Body("k", "v"), h);
      INFO(method << " " << target << " "
                  << (h.empty() ? std::string("no Authorization") : h[0].second));
      CheckDetail(r, 401, "Not authenticated");
      CHECK(r.Header("WWW-Authenticate") == "Bearer");
    }
  }
  // Nothing ran.
  Conn c = s.srv.Connect();
  CHECK(Cmd(c, {"AUTH", "s3cret"}).ok());
  CHECK(Cmd(c, {"DBSIZE"}) == Int(0));

  const Headers auth = {{"Authorization", "Bearer s3cret"}};
  CHECK(s.Do("POST", "/kv/", Body("k", "v"), auth).status == 201);
  CheckItem(s.Do("GET", "/kv/k", "", auth), 200, "k", "v");
  CHECK(s.Do("PUT", "/kv/k", Body(std::nullopt, "w"), auth).status == 200);
  CHECK(s.Do("GET", "/kv/", "", auth).status == 200);
  CHECK(s.Do("GET", "/stats", "", auth).status == 200);
  CHECK(s.Do("GET", "/metrics", "", auth).status == 200);
  CHECK(s.Do("DELETE", "/kv/k", "", auth).status == 200);
  // The scheme is case-insensitive; the password is not.
  CHECK(s.Do("GET", "/kv/k", "", {{"Authorization", "bearer s3cret"}}).status == 404);
  CHECK(s.Do("GET", "/kv/k", "", {{"Authorization", "BEARER s3cret"}}).status == 404);
  CHECK(s.Do("GET", "/kv/k", "", {{"Authorization", "Bearer S3CRET"}}).status == 401);
  // /health is open, for load balancers.
  HttpReply h = s.Do("GET", "/health");
  CHECK(h.status == 200);
  CHECK(JsonStr(h.Json(), "status") == "ok");
}

TEST_CASE("http: a write refused for memory is 507 with the server's message") {
  if (ReferenceMode()) return;
  HttpFx s({"--maxkeys", "1", "--maxmemory-policy", "noeviction"});
  CHECK(s.Do("POST", "/kv/", Body("a", "1")).status == 201);
  CheckDetail(s.Do("POST", "/kv/", Body("b", "2")), 507,
              "OOM command not allowed when the number of keys > 'maxkeys'.");
  CHECK(s({"EXISTS", "b"}) == Int(0));
  // Reads and deletes still work.
  CHECK(s.Do("GET", "/kv/a").status == 200);
  CHECK(s.Do("DELETE", "/kv/a").status == 200);
  CHECK(s.Do("POST", "/kv/", Body("b", "2")).status == 201);
}

TEST_CASE("http: GET /health and /stats") {
  if (ReferenceMode()) return;
  HttpFx s;
  HttpReply r = s.Do("GET", "/health");
  INFO(r.Describe());
  CHECK(r.status == 200);
  rapidjson::Document d = r.Json();
  REQUIRE(d.IsObject());
  CHECK(JsonStr(d, "status") == "ok");
  CHECK(JsonStr(d, "role") == "master");
  CHECK(d.HasMember("loading"));
  CHECK(d["loading"].IsFalse());
  CHECK(JsonStr(d, "aof") == "off");

  CHECK(s({"SET", "a", "1"}).ok());
  CHECK(s({"SET", "b", "2", "EX", "100"}).ok());
  r = s.Do("GET", "/stats");
  INFO(r.Describe());
  CHECK(r.status == 200);
  d = r.Json();
  REQUIRE(d.IsObject());
  for (const char* f : {"ops_per_sec", "keys", "expires", "used_memory", "connected_clients",
                        "total_commands_processed", "uptime_seconds"}) {
    INFO(f);
    REQUIRE(d.HasMember(f));
    CHECK(d[f].IsInt64());
  }
  CHECK(d["keys"].GetInt64() == 2);
  CHECK(d["expires"].GetInt64() == 1);
  CHECK(d["used_memory"].GetInt64() > 0);
  CHECK(d["connected_clients"].GetInt64() >= 2);
  CHECK(d["used_memory_human"].IsString());
  CHECK(JsonStr(d, "role") == "master");

  DataDir dir;
  HttpFx a({"--dir", dir.path(), "--appendonly", "yes"});
  CHECK(JsonStr(a.Do("GET", "/health").Json(), "aof") == "ok");
}

TEST_CASE("http: the web console, its assets and the docs page") {
  if (ReferenceMode()) return;
  HttpFx s;
  HttpReply r = s.Do("GET", "/");
  CHECK(r.status == 200);
  CHECK(r.Header("Content-Type").rfind("text/html", 0) == 0);
  CHECK(r.body.find("<html") != std::string::npos);
  r = s.Do("GET", "/ui/app.js");
  CHECK(r.status == 200);
  CHECK(r.Header("Content-Type").find("javascript") != std::string::npos);
  r = s.Do("GET", "/ui/style.css");
  CHECK(r.status == 200);
  CHECK(r.Header("Content-Type").rfind("text/css", 0) == 0);
  r = s.Do("GET", "/docs");
  CHECK(r.status == 200);
  CHECK(r.Header("Content-Type").rfind("text/html", 0) == 0);
  CHECK(r.body.find("openapi.json") != std::string::npos);
}

// ---- HTTP and RESP share one server ----

TEST_CASE("http: a value that is not UTF-8 comes back base64 with encoding base64") {
  if (ReferenceMode()) return;
  HttpFx s;
  CHECK(s({"SET", "bin",
           std::string("\xff\xfe\x00"
                       "a",
                       4)})
            .ok());
  HttpReply r = s.Do("GET", "/kv/bin");
  INFO(r.Describe());
  CHECK(r.status == 200);
  rapidjson::Document d = r.Json();
  REQUIRE(d.IsObject());
  CHECK(JsonStr(d, "key") == "bin");
  CHECK(JsonStr(d, "value") == "//4AYQ==");
  CHECK(JsonStr(d, "encoding") == "base64");
  // UTF-8 text, NUL bytes included, stays text.
  CHECK(s({"SET", "txt", std::string("h\xc3\xa9\x00", 4)}).ok());
  d = s.Do("GET", "/kv/txt").Json();
  REQUIRE(d.IsObject());
  CHECK(JsonStr(d, "value") == std::string("h\xc3\xa9\x00", 4));
  CHECK_FALSE(d.HasMember("encoding"));
  // Listing a binary key does not break the JSON.
  CHECK(s({"SET", std::string("\xff\x01", 2), "v"}).ok());
  r = s.Do("GET", "/kv/?limit=1000");
  CHECK(r.status == 200);
  CHECK_FALSE(r.Json().HasParseError());
}

TEST_CASE("http: HTTP writes are visible over RESP and RESP writes over HTTP") {
  if (ReferenceMode()) return;
  HttpFx s;
  CHECK(s.Do("POST", "/kv/", Body("h", "from http", 60000)).status == 201);
  CHECK(s({"GET", "h"}) == Bulk("from http"));
  Reply pttl = s({"PTTL", "h"});
  CHECK(pttl.integer > 0);
  CHECK(pttl.integer <= 60000);
  CHECK(s({"SET", "r", "from resp"}).ok());
  CheckItem(s.Do("GET", "/kv/r"), 200, "r", "from resp");
  CHECK(s.Do("PUT", "/kv/r", Body(std::nullopt, "changed")).status == 200);
  CHECK(s({"GET", "r"}) == Bulk("changed"));
  CHECK(s({"APPEND", "r", "!"}) == Int(8));
  CheckItem(s.Do("GET", "/kv/r"), 200, "r", "changed!");
  CHECK(s.Do("DELETE", "/kv/h").status == 200);
  CHECK(s({"EXISTS", "h"}) == Int(0));
  CHECK(s({"DEL", "r"}) == Int(1));
  CHECK(s.Do("GET", "/kv/r").status == 404);
  // A transaction on the RESP side is not seen half-done by HTTP (one loop thread).
  CHECK(s({"MULTI"}).ok());
  CHECK(s({"SET", "m", "1"}) == St("QUEUED"));
  CHECK(s.Do("GET", "/kv/m").status == 404);
  CHECK(s({"EXEC"}).is_array());
  CHECK(s.Do("GET", "/kv/m").status == 200);
}

TEST_CASE("http: HTTP requests show in MONITOR") {
  if (ReferenceMode()) return;
  HttpFx s;
  Conn mon = s.srv.Connect();
  REQUIRE(Cmd(mon, {"MONITOR"}).ok());
  CHECK(s.Do("POST", "/kv/", Body("mon key", "v")).status == 201);
  CHECK(s.Do("GET", "/kv/mon%20key").status == 200);
  std::vector<std::string> lines;
  for (int i = 0; i < 20; ++i) {
    Reply r = GetReply(mon.get());
    if (!r.is_status()) break;
    lines.push_back(r.str);
    if (r.str.find("\"GET\" \"mon key\"") != std::string::npos) break;
  }
  std::string all;
  for (const auto& l : lines) all += l + "\n";
  INFO(all);
  CHECK(all.find("\"SET\" \"mon key\" \"v\" \"NX\"") != std::string::npos);
  CHECK(all.find("\"GET\" \"mon key\"") != std::string::npos);
}

TEST_CASE("http: HTTP requests count in INFO commandstats") {
  if (ReferenceMode()) return;
  HttpFx s;
  CHECK(s.Do("POST", "/kv/", Body("k", "v")).status == 201);
  CHECK(s.Do("POST", "/kv/", Body("k", "v")).status == 409);
  CHECK(s.Do("GET", "/kv/k").status == 200);
  CHECK(s.Do("PUT", "/kv/k", Body(std::nullopt, "w")).status == 200);
  CHECK(s.Do("GET", "/kv/").status == 200);
  CHECK(s.Do("DELETE", "/kv/k").status == 200);
  std::string info = Info(s.c.get(), "commandstats");
  INFO(info);
  auto calls = [&](const std::string& cmd) {
    std::string f = InfoField(info, "cmdstat_" + cmd);
    if (f.rfind("calls=", 0) != 0) return -1LL;
    return std::atoll(f.c_str() + 6);
  };
  CHECK(calls("set") == 3);
  CHECK(calls("get") == 1);
  CHECK(calls("scan") == 1);
  CHECK(calls("del") == 1);
  CHECK(calls("pttl") >= 2);
  CHECK(InfoInt(s.c.get(), "stats", "total_commands_processed") >= 9);
}

// ---- HTTP/1.1 framing ----

TEST_CASE("http: keep-alive serves several requests on one connection") {
  if (ReferenceMode()) return;
  HttpFx s;
  HttpConn c(s.port);
  for (int i = 0; i < 50; ++i) {
    const std::string k = "k" + std::to_string(i);
    HttpReply r = c.Request("POST", "/kv/", Body(k, "v" + std::to_string(i)));
    REQUIRE(r.status == 201);
    CHECK(r.keep_alive);
    CHECK_FALSE(r.HasHeader("Connection"));
    CheckItem(c.Request("GET", "/kv/" + k), 200, k, "v" + std::to_string(i));
    CHECK(c.Request("GET", "/nosuch").status == 404);  // errors keep the connection too
  }
  CHECK(s({"DBSIZE"}) == Int(50));
  // HTTP/1.0 closes unless asked to keep alive.
  HttpConn old(s.port);
  REQUIRE(old.Send("GET /kv/k1 HTTP/1.0\r\n\r\n"));
  HttpReply r = old.Read();
  CHECK(r.status == 200);
  CHECK_FALSE(r.keep_alive);
  CHECK(old.WaitClosed());
  HttpConn old_ka(s.port);
  REQUIRE(old_ka.Send("GET /kv/k1 HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"));
  CHECK(old_ka.Read().status == 200);
  REQUIRE(old_ka.Send("GET /kv/k2 HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"));
  CHECK(old_ka.Read().status == 200);
}

TEST_CASE("http: pipelined requests sent in one write are answered in order") {
  if (ReferenceMode()) return;
  HttpFx s;
  std::string batch;
  batch += BuildRequest("POST", "/kv/", Body("p", "1"));
  batch += BuildRequest("GET", "/kv/p");
  batch += BuildRequest("HEAD", "/kv/p");
  batch += BuildRequest("PUT", "/kv/p", Body(std::nullopt, "2"));
  batch += BuildRequest("POST", "/kv/", Body("p", "3"));
  batch += BuildRequest("GET", "/kv/p");
  batch += BuildRequest("POST", "/kv/", "{bad json");
  batch += BuildRequest("DELETE", "/kv/p");
  batch += BuildRequest("GET", "/kv/p");
  for (int i = 0; i < 100; ++i)
    batch += BuildRequest("POST", "/kv/", Body("n" + std::to_string(i), "v"));
  batch += BuildRequest("GET", "/health");
  HttpConn c(s.port);
  REQUIRE(c.Send(batch));
  CheckItem(c.Read(), 201, "p", "1");
  CheckItem(c.Read(), 200, "p", "1");
  HttpReply head = c.Read(true);
  CHECK(head.status == 200);
  CHECK(head.body.empty());
  CheckItem(c.Read(), 200, "p", "2");
  CHECK(c.Read().status == 409);
  CheckItem(c.Read(), 200, "p", "2");
  CHECK(c.Read().status == 422);
  CHECK(c.Read().status == 200);
  CHECK(c.Read().status == 404);
  int created = 0;
  for (int i = 0; i < 100; ++i) created += c.Read().status == 201;
  CHECK(created == 100);
  CHECK(JsonStr(c.Read().Json(), "status") == "ok");
  CHECK(c.raw().pending().empty());
  CHECK(s({"DBSIZE"}) == Int(100));
}

TEST_CASE("http: pipelined requests whose responses outgrow the output buffer all come back") {
  if (ReferenceMode()) return;
  HttpFx s;
  const std::string value(1 << 20, 'v');
  CHECK(s({"SET", "big", value}).ok());
  // 40 MiB of responses to a few kilobytes of requests: the server stops reading while its
  // output is full and carries on once the client has read it.
  const int n = 40;
  std::string batch;
  for (int i = 0; i < n; ++i) batch += BuildRequest("GET", "/kv/big");
  batch += BuildRequest("GET", "/health");
  HttpConn c(s.port);
  REQUIRE(c.Send(batch));
  int whole = 0;
  for (int i = 0; i < n; ++i) {
    HttpReply r = c.Read(false, milliseconds(30000));
    if (r.status != 200) {
      FAIL_CHECK("response " << i << ": " << r.Describe());
      break;
    }
    whole += JsonStr(r.Json(), "value") == value;
  }
  CHECK(whole == n);
  CHECK(JsonStr(c.Read().Json(), "status") == "ok");
  CHECK(c.raw().pending().empty());
}

TEST_CASE("http: a request held by CLIENT PAUSE runs when the pause ends") {
  if (ReferenceMode()) return;
  HttpFx s;
  CHECK(s({"SET", "k", "v"}).ok());
  // WRITE pause: reads go on, writes wait.
  CHECK(s({"CLIENT", "PAUSE", "100000", "WRITE"}).ok());
  CheckItem(s.Do("GET", "/kv/k"), 200, "k", "v");
  HttpConn w(s.port);
  REQUIRE(
      w.Send(BuildRequest("PUT", "/kv/k", Body(std::nullopt, "w")) + BuildRequest("GET", "/kv/k")));
  HttpConn post(s.port);
  REQUIRE(post.Send(BuildRequest("POST", "/kv/", Body("new", "n"))));
  w.raw().Pump(milliseconds(300));
  CHECK(w.raw().pending().empty());  // nothing answered while paused
  CHECK(s({"GET", "k"}) == Bulk("v"));
  CHECK(s({"CLIENT", "UNPAUSE"}).ok());
  CheckItem(w.Read(), 200, "k", "w");
  CheckItem(w.Read(), 200, "k", "w");
  CHECK(post.Read().status == 201);
  CHECK(s({"GET", "new"}) == Bulk("n"));
  // ALL pause (which holds this RESP client too, so it ends by itself): the requests wait
  // and then run in order.
  CHECK(s({"CLIENT", "PAUSE", "500", "ALL"}).ok());
  HttpConn r(s.port);
  REQUIRE(r.Send(BuildRequest("GET", "/kv/k") + BuildRequest("DELETE", "/kv/k") +
                 BuildRequest("GET", "/kv/k")));
  CheckItem(r.Read(), 200, "k", "w");
  CHECK(r.Read().status == 200);
  CHECK(r.Read().status == 404);
  CHECK(s({"EXISTS", "k"}) == Int(0));
}

TEST_CASE("http: a request split across many small TCP writes") {
  if (ReferenceMode()) return;
  HttpFx s;
  const std::string req = BuildRequest("POST", "/kv/", Body("split", std::string(300, 's')));
  HttpConn c(s.port);
  for (char ch : req) {
    REQUIRE(c.Send(std::string_view(&ch, 1)));
    std::this_thread::sleep_for(milliseconds(1));
  }
  CheckItem(c.Read(), 201, "split", std::string(300, 's'));
  // Pieces of every size, including ones that end inside "\r\n" and inside the next request.
  std::string two = BuildRequest("GET", "/kv/split") + BuildRequest("DELETE", "/kv/split");
  for (size_t off = 0, step = 1; off < two.size(); off += step, step = step % 7 + 1) {
    REQUIRE(c.Send(std::string_view(two).substr(off, step)));
    std::this_thread::sleep_for(milliseconds(1));
  }
  CheckItem(c.Read(), 200, "split", std::string(300, 's'));
  CHECK(c.Read().status == 200);
  CHECK(s({"EXISTS", "split"}) == Int(0));
}

TEST_CASE("http: chunked request bodies") {
  if (ReferenceMode()) return;
  HttpFx s;
  const std::string body = Body("chunked", "a value sent in chunks");
  auto chunked = [&](const std::string& method, const std::string& target, const std::string& b,
                     size_t piece, const std::string& ext = "") {
    std::string r = method + " " + target +
                    " HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                    "Transfer-Encoding: chunked\r\n\r\n";
    for (size_t i = 0; i < b.size(); i += piece) {
      std::string part = b.substr(i, piece);
      char len[16];
      std::snprintf(len, sizeof(len), "%zx", part.size());
      r += std::string(len) + ext + "\r\n" + part + "\r\n";
    }
    return r + "0\r\n\r\n";
  };
  HttpConn c(s.port);
  REQUIRE(c.Send(chunked("POST", "/kv/", body, 5)));
  CheckItem(c.Read(), 201, "chunked", "a value sent in chunks");
  // One big chunk, with a chunk extension and a trailer.
  std::string req = chunked("PUT", "/kv/chunked", Body(std::nullopt, "second"), 1000, ";x=y");
  req.insert(req.size() - 2, "X-Trailer: t\r\n");
  REQUIRE(c.Send(req));
  CheckItem(c.Read(), 200, "chunked", "second");
  // Sent a byte at a time.
  req = chunked("PUT", "/kv/chunked", Body(std::nullopt, "third"), 3);
  for (char ch : req) REQUIRE(c.Send(std::string_view(&ch, 1)));
  CheckItem(c.Read(), 200, "chunked", "third");
  // A large value in 64 KiB chunks.
  const std::string big(1 << 20, 'z');
  REQUIRE(c.Send(chunked("PUT", "/kv/chunked", Body(std::nullopt, big), 65536)));
  CHECK(c.Read().status == 200);
  CHECK(s({"STRLEN", "chunked"}) == Int(1 << 20));
  // Malformed chunk sizes are a 400, then the connection closes.
  REQUIRE(c.Send("POST /kv/ HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"));
  CHECK(c.Read().status == 400);
  CHECK(c.WaitClosed());
}

TEST_CASE("http: Expect: 100-continue gets 100 Continue before the body is sent") {
  if (ReferenceMode()) return;
  HttpFx s;
  const std::string body = Body("big", std::string(5000, 'x'));
  HttpConn c(s.port);
  REQUIRE(c.Send("POST /kv/ HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: " +
                 std::to_string(body.size()) + "\r\n\r\n"));
  HttpReply interim = c.Read();
  INFO(interim.Describe());
  CHECK(interim.status == 100);
  REQUIRE(c.Send(body));
  CHECK(c.Read().status == 201);
  // When the body comes right away the final response alone answers.
  REQUIRE(
      c.Send("PUT /kv/big HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 13\r\n\r\n"
             "{\"value\":\"v\"}"));
  CheckItem(c.Read(), 200, "big", "v");
  CHECK(c.raw().pending().empty());
  // A body over the limit is refused without a 100.
  HttpConn big(s.port);
  REQUIRE(
      big.Send("POST /kv/ HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 20000000\r\n\r\n"));
  CHECK(big.Read().status == 413);
}

TEST_CASE("http: Connection: close closes the connection after the response") {
  if (ReferenceMode()) return;
  HttpFx s;
  HttpConn c(s.port);
  HttpReply r = c.Request("GET", "/health", "", {{"Connection", "close"}});
  CHECK(r.status == 200);
  CHECK(r.Header("Connection") == "close");
  CHECK_FALSE(r.keep_alive);
  CHECK(c.WaitClosed());
  // A request pipelined after it is not run.
  HttpConn p(s.port);
  REQUIRE(p.Send(BuildRequest("POST", "/kv/", Body("a", "1"), {{"Connection", "close"}}) +
                 BuildRequest("POST", "/kv/", Body("b", "2"))));
  CHECK(p.Read().status == 201);
  CHECK(p.WaitClosed());
  CHECK(p.raw().pending().empty());
  CHECK(s({"EXISTS", "a"}) == Int(1));
  CHECK(s({"EXISTS", "b"}) == Int(0));
}

// Sends `start`, then `piece(i)` every 200 ms for up to 20 s (scaled). True when the server
// answered 408 and closed the connection before the client stopped sending.
bool Trickle(int port, const std::string& start, const std::function<std::string(int)>& piece) {
  HttpConn c(port);
  if (!c.Send(start)) return false;
  const auto deadline =
      std::chrono::steady_clock::now() + milliseconds(static_cast<int64_t>(20000 * TimeScale()));
  bool answered = false;
  for (int i = 0; std::chrono::steady_clock::now() < deadline; ++i) {
    c.raw().Pump(milliseconds(200));
    if (c.raw().peer_closed() || !c.raw().pending().empty()) {
      answered = true;
      break;
    }
    if (!c.Send(piece(i))) {
      answered = true;  // the server closed: its answer may already be buffered
      break;
    }
  }
  HttpReply r = c.Read(false, milliseconds(5000));
  INFO("started with " << start << " -> " << r.Describe());
  CHECK(answered);
  CHECK(r.status == 408);
  const bool closed = c.WaitClosed(milliseconds(5000));
  CHECK(closed);
  return answered && r.status == 408 && closed;
}

TEST_CASE("http: a request that never completes gets 408 and the connection closes") {
  if (ReferenceMode()) return;
  HttpFx s({"--http-timeout", "1"});
  // Partial headers, then silence.
  HttpConn quiet(s.port);
  REQUIRE(quiet.Send("GET /health HTTP/1.1\r\nHost: x\r\n"));
  HttpReply r = quiet.Read(false, milliseconds(15000));
  INFO(r.Describe());
  CHECK(r.status == 408);
  CHECK(quiet.WaitClosed(milliseconds(5000)));

  // Slowloris: a header line every 200 ms never finishes the request; the trickle must not
  // keep the connection alive. The 408 has to come while the client is still sending.
  CHECK(Trickle(s.port, "GET /health HTTP/1.1\r\nHost: x\r\n",
                [](int i) { return "X-Drip-" + std::to_string(i) + ": x\r\n"; }));
  // Slow body: the headers are complete but the body trickles and never finishes.
  CHECK(Trickle(s.port, "POST /kv/ HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n{",
                [](int) { return std::string(" "); }));
  // Slow chunks likewise.
  CHECK(Trickle(s.port, "POST /kv/ HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n",
                [](int) { return std::string("1\r\n \r\n"); }));

  // An idle keep-alive connection between requests closes quietly.
  HttpConn idle(s.port);
  CHECK(idle.Request("GET", "/health").status == 200);
  CHECK(idle.WaitClosed(milliseconds(15000)));
  CHECK(idle.raw().pending().empty());
  // The server is fine.
  CHECK(s.Do("GET", "/health").status == 200);
}

TEST_CASE("http: 413 for a body over 16 MiB") {
  if (ReferenceMode()) return;
  HttpFx s;
  // The Content-Length alone says so: no need to send the body.
  HttpConn c(s.port);
  REQUIRE(c.Send("POST /kv/ HTTP/1.1\r\nHost: x\r\nContent-Length: 16777217\r\n\r\n"));
  HttpReply r = c.Read();
  INFO(r.Describe());
  CHECK(r.status == 413);
  CHECK(r.Header("Connection") == "close");
  CHECK(c.WaitClosed());
  // A huge Content-Length too.
  HttpConn h(s.port);
  REQUIRE(h.Send("PUT /kv/k HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999\r\n\r\n"));
  CHECK(h.Read().status == 413);
  // Exactly 16 MiB is accepted.
  const std::string prefix = R"({"key":"big","value":")";
  const std::string suffix = "\"}";
  const std::string body =
      prefix + std::string(16 * 1024 * 1024 - prefix.size() - suffix.size(), 'x') + suffix;
  REQUIRE(body.size() == 16u * 1024 * 1024);
  HttpConn ok(s.port);
  REQUIRE(ok.Send(BuildRequest("POST", "/kv/", body)));
  CHECK(ok.Read(false, milliseconds(30000)).status == 201);
  CHECK(s({"STRLEN", "big"}) == Int(16 * 1024 * 1024 - 24));
  CHECK(s.Do("GET", "/health").status == 200);
}

TEST_CASE("http: 431 for huge headers") {
  if (ReferenceMode()) return;
  HttpFx s;
  HttpConn one(s.port);
  REQUIRE(one.Send("GET /health HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(20000, 'a') +
                   "\r\n\r\n"));
  HttpReply r = one.Read();
  INFO(r.Describe());
  CHECK(r.status == 431);
  CHECK(one.WaitClosed());
  // Many small headers add up the same.
  std::string many = "GET /health HTTP/1.1\r\nHost: x\r\n";
  for (int i = 0; i < 1000; ++i) many += "X-H" + std::to_string(i) + ": 0123456789\r\n";
  HttpConn two(s.port);
  REQUIRE(two.Send(many + "\r\n"));
  CHECK(two.Read().status == 431);
  CHECK(two.WaitClosed());
  // Headers under the limit are fine.
  CHECK(s.Do("GET", "/health", "", {{"X-Big", std::string(8000, 'b')}}).status == 200);
}

TEST_CASE("http: 1,000 concurrent connections each doing one request are all answered") {
  if (ReferenceMode()) return;
  const int n = 1000;
  rlimit lim{};
  REQUIRE(getrlimit(RLIMIT_NOFILE, &lim) == 0);
  if (lim.rlim_cur < 3 * n) {
    lim.rlim_cur = std::min<rlim_t>(lim.rlim_max, 3 * n);
    REQUIRE(setrlimit(RLIMIT_NOFILE, &lim) == 0);
  }
  REQUIRE(lim.rlim_cur >= n + 100);
  HttpFx s;  // inherits the raised limit
  std::vector<std::unique_ptr<HttpConn>> conns;
  conns.reserve(n);
  for (int i = 0; i < n; ++i) {
    conns.push_back(std::make_unique<HttpConn>(s.port));
    REQUIRE(conns.back()->connected());
  }
  for (int i = 0; i < n; ++i) {
    REQUIRE(conns[i]->Send(BuildRequest("POST", "/kv/", Body("c" + std::to_string(i), "v"))));
  }
  int created = 0;
  for (int i = 0; i < n; ++i) created += conns[i]->Read().status == 201;
  CHECK(created == n);
  CHECK(s({"DBSIZE"}) == Int(n));
  CHECK(InfoInt(s.c.get(), "clients", "connected_clients") == n + 1);
  conns.clear();
  CHECK(WaitFor([&] { return InfoInt(s.c.get(), "clients", "connected_clients") == 1; },
                seconds(10)));
}

// ---- observability ----

TEST_CASE("http: /metrics is Prometheus text that promtool accepts") {
  if (ReferenceMode()) return;
  HttpFx s;
  CHECK(s.Do("POST", "/kv/", Body("k", "v")).status == 201);
  CHECK(s.Do("GET", "/kv/k").status == 200);
  CHECK(s.Do("GET", "/kv/nosuch").status == 404);
  CHECK(s.Do("GET", "/nosuch").status == 404);
  CHECK(s({"SET", "r", "v"}).ok());
  HttpReply r = s.Do("GET", "/metrics");
  INFO(r.Describe());
  REQUIRE(r.status == 200);
  CHECK(r.Header("Content-Type").rfind("text/plain; version=0.0.4", 0) == 0);
  const std::string& m = r.body;
  CHECK(m.find("# TYPE pykv_http_requests_total counter") != std::string::npos);
  CHECK(m.find("pykv_http_requests_total{route=\"/kv/{key}\",code=\"200\"} 1") !=
        std::string::npos);
  CHECK(m.find("pykv_http_requests_total{route=\"/kv/{key}\",code=\"404\"} 1") !=
        std::string::npos);
  CHECK(m.find("pykv_http_requests_total{route=\"/kv/\",code=\"201\"} 1") != std::string::npos);
  CHECK(m.find("# TYPE pykv_command_duration_seconds histogram") != std::string::npos);
  CHECK(m.find("pykv_command_duration_seconds_bucket{le=\"+Inf\"}") != std::string::npos);
  CHECK(m.find("pykv_command_duration_seconds_count") != std::string::npos);
  CHECK(m.find("pykv_keys 2\n") != std::string::npos);

  const std::string file = s.srv.dir() + "/metrics.txt";
  std::ofstream(file, std::ios::binary) << m;
  ToolResult t = RunTool({"promtool", "check", "metrics"}, file, seconds(60));
  // make test installs it (tools/install-deps.sh): missing is a failure, not a skip.
  REQUIRE_MESSAGE(t.exit_code != 127, "promtool is missing (Debian package prometheus)");
  INFO("promtool stdout: " << t.out << "\nstderr: " << t.err);
  CHECK(t.exit_code == 0);
}

// ---- the OpenAPI document against real responses ----

// Where `v` departs from `schema` structurally ("" when it does not): types, required and
// allowed properties, enums, array items; $ref (local), allOf and anyOf followed.
std::string SchemaMismatch(const rapidjson::Document& doc, const rapidjson::Value& schema,
                           const rapidjson::Value& v, const std::string& at) {
  if (!schema.IsObject()) return at + ": schema is not an object";
  if (schema.HasMember("$ref")) {
    const std::string ref = schema["$ref"].GetString();
    const rapidjson::Value* target = rapidjson::Pointer(ref.substr(1).c_str()).Get(doc);
    if (target == nullptr) return at + ": dangling $ref " + ref;
    return SchemaMismatch(doc, *target, v, at);
  }
  if (schema.HasMember("allOf")) {
    for (const rapidjson::Value& s : schema["allOf"].GetArray()) {
      std::string m = SchemaMismatch(doc, s, v, at);
      if (!m.empty()) return m;
    }
  }
  if (schema.HasMember("anyOf")) {
    bool any = false;
    for (const rapidjson::Value& s : schema["anyOf"].GetArray()) {
      any = any || SchemaMismatch(doc, s, v, at).empty();
    }
    if (!any) return at + ": matches none of anyOf";
  }
  if (v.IsNull()) {
    const bool nullable = schema.HasMember("nullable") && schema["nullable"].IsTrue();
    return nullable || !schema.HasMember("type") ? "" : at + ": null but not nullable";
  }
  if (schema.HasMember("type")) {
    const std::string type = schema["type"].GetString();
    const bool ok = (type == "object" && v.IsObject()) || (type == "array" && v.IsArray()) ||
                    (type == "string" && v.IsString()) || (type == "integer" && v.IsInt64()) ||
                    (type == "number" && v.IsNumber()) || (type == "boolean" && v.IsBool());
    if (!ok) return at + ": not of type " + type + ": " + JsonText(v);
  }
  if (schema.HasMember("enum")) {
    bool found = false;
    for (const rapidjson::Value& e : schema["enum"].GetArray()) found = found || e == v;
    if (!found) return at + ": not in enum: " + JsonText(v);
  }
  if (v.IsObject()) {
    if (schema.HasMember("required")) {
      for (const rapidjson::Value& r : schema["required"].GetArray()) {
        if (!v.HasMember(r)) return at + ": required property " + r.GetString() + " missing";
      }
    }
    if (schema.HasMember("properties")) {
      const rapidjson::Value& props = schema["properties"];
      for (auto it = v.MemberBegin(); it != v.MemberEnd(); ++it) {
        const std::string name = it->name.GetString();
        if (props.HasMember(it->name)) {
          std::string m = SchemaMismatch(doc, props[it->name], it->value, at + "." + name);
          if (!m.empty()) return m;
        } else if (schema.HasMember("additionalProperties") &&
                   schema["additionalProperties"].IsFalse()) {
          return at + ": property " + name + " not allowed";
        }
      }
    }
  }
  if (v.IsArray() && schema.HasMember("items")) {
    for (rapidjson::SizeType i = 0; i < v.Size(); ++i) {
      std::string m =
          SchemaMismatch(doc, schema["items"], v[i], at + "[" + std::to_string(i) + "]");
      if (!m.empty()) return m;
    }
  }
  return "";
}

// The JSON schema the document gives for `status` of `method path`; nullptr when none.
const rapidjson::Value* ResponseSchema(const rapidjson::Document& doc, const std::string& path,
                                       const std::string& method, int status) {
  if (!doc.HasMember("paths") || !doc["paths"].HasMember(path.c_str())) return nullptr;
  const rapidjson::Value& item = doc["paths"][path.c_str()];
  if (!item.HasMember(method.c_str())) return nullptr;
  const rapidjson::Value& responses = item[method.c_str()]["responses"];
  const std::string code = std::to_string(status);
  if (!responses.HasMember(code.c_str())) return nullptr;
  const rapidjson::Value* resp = &responses[code.c_str()];
  if (resp->HasMember("$ref")) {
    resp = rapidjson::Pointer(std::string((*resp)["$ref"].GetString()).substr(1).c_str()).Get(doc);
    if (resp == nullptr) return nullptr;
  }
  if (!resp->HasMember("content") || !(*resp)["content"].HasMember("application/json")) {
    return nullptr;
  }
  const rapidjson::Value& media = (*resp)["content"]["application/json"];
  return media.HasMember("schema") ? &media["schema"] : nullptr;
}

TEST_CASE("http: /openapi.json is valid and real responses match its schemas") {
  if (ReferenceMode()) return;
  HttpFx s;
  HttpReply r = s.Do("GET", "/openapi.json");
  REQUIRE(r.status == 200);
  CHECK(r.Header("Content-Type") == "application/json");
  rapidjson::Document doc;
  doc.Parse(r.body.data(), r.body.size());
  REQUIRE_FALSE(doc.HasParseError());
  REQUIRE(doc.IsObject());
  CHECK(JsonStr(doc, "openapi").rfind("3.0", 0) == 0);
  for (const char* p : {"/kv/", "/kv/{key}", "/health", "/stats", "/metrics"}) {
    INFO(p);
    CHECK(doc["paths"].HasMember(p));
  }
  // The Item schema's required properties are all in a real GET response.
  const rapidjson::Value* item = rapidjson::Pointer("/components/schemas/Item").Get(doc);
  REQUIRE(item != nullptr);
  CHECK(s({"SET", "k", "v", "PX", "100000"}).ok());
  rapidjson::Document got = s.Do("GET", "/kv/k").Json();
  REQUIRE(got.IsObject());
  for (const rapidjson::Value& req : (*item)["required"].GetArray()) {
    INFO(req.GetString());
    CHECK(got.HasMember(req));
  }

  struct Sample {
    std::string method, target, body, path;  // path: the template in the document
    int status;
  };
  CHECK(s({"SET", "bin", "\xff"}).ok());
  CHECK(s({"SET", "plain", "v"}).ok());
  const std::vector<Sample> samples = {
      {"post", "/kv/", Body("new", "v", 5000), "/kv/", 201},
      {"post", "/kv/", Body("new2", "v"), "/kv/", 201},
      {"post", "/kv/", Body("new", "v"), "/kv/", 409},
      {"post", "/kv/", R"({"key":"","value":1,"x":0})", "/kv/", 422},
      {"post", "/kv/", "{", "/kv/", 422},
      {"post", "/kv/", R"({"key":"a","value":"b","ttl_ms":0})", "/kv/", 422},
      {"get", "/kv/?limit=2", "", "/kv/", 200},
      {"get", "/kv/?limit=0", "", "/kv/", 422},
      {"get", "/kv/k", "", "/kv/{key}", 200},
      {"get", "/kv/plain", "", "/kv/{key}", 200},
      {"get", "/kv/bin", "", "/kv/{key}", 200},
      {"get", "/kv/nosuch", "", "/kv/{key}", 404},
      {"put", "/kv/k", Body(std::nullopt, "w"), "/kv/{key}", 200},
      {"put", "/kv/plain", Body(std::nullopt, "w"), "/kv/{key}", 200},
      {"put", "/kv/nosuch", Body(std::nullopt, "w"), "/kv/{key}", 404},
      {"put", "/kv/k", "{}", "/kv/{key}", 422},
      {"delete", "/kv/k", "", "/kv/{key}", 200},
      {"delete", "/kv/k", "", "/kv/{key}", 404},
      {"get", "/health", "", "/health", 200},
      {"get", "/stats", "", "/stats", 200},
  };
  for (const Sample& smp : samples) {
    std::string method = smp.method;
    std::transform(method.begin(), method.end(), method.begin(), ::toupper);
    HttpReply resp = s.Do(method, smp.target, smp.body);
    INFO(method << " " << smp.target << " -> " << resp.Describe());
    REQUIRE(resp.status == smp.status);
    const rapidjson::Value* schema = ResponseSchema(doc, smp.path, smp.method, smp.status);
    REQUIRE_MESSAGE(schema != nullptr, "the document has no JSON schema for this response");
    rapidjson::Document body = resp.Json();
    REQUIRE_FALSE(body.HasParseError());
    CHECK(SchemaMismatch(doc, *schema, body, "$") == "");
    if (smp.status == 422) {
      // FastAPI's shape: detail[].loc/msg/type.
      REQUIRE(body["detail"].IsArray());
      for (const rapidjson::Value& e : body["detail"].GetArray()) {
        CHECK(e["loc"].IsArray());
        CHECK(e["msg"].IsString());
        CHECK(e["type"].IsString());
      }
    }
  }
  // /metrics is documented as Prometheus text.
  const rapidjson::Value* metrics =
      rapidjson::Pointer("/paths/~1metrics/get/responses/200/content").Get(doc);
  REQUIRE(metrics != nullptr);
  CHECK(metrics->HasMember("text/plain; version=0.0.4"));
}

// ---- durability and configuration ----

TEST_CASE("http: under appendfsync always a write is answered only once the AOF holds it") {
  if (ReferenceMode()) return;
  DataDir d;
  HttpFx s({"--dir", d.path(), "--appendonly", "yes", "--appendfsync", "always"});
  for (int i = 0; i < 20; ++i) {
    const std::string key = "durable-key-" + std::to_string(i);
    const long long fsyncs_before = InfoInt(s.c.get(), "persistence", "aof_fsyncs");
    HttpReply r;
    if (i % 3 == 2) {
      r = s.Do("PUT", "/kv/durable-key-" + std::to_string(i - 1),
               Body(std::nullopt, "updated-" + std::to_string(i)));
      REQUIRE(r.status == 200);
    } else {
      r = s.Do("POST", "/kv/", Body(key, "value-" + std::to_string(i)));
      REQUIRE(r.status == 201);
    }
    // Read right after the answer: the write is already in the file and fsynced.
    const std::string aof = ReadBytes(LastIncrPath(d));
    if (i % 3 == 2) {
      CHECK(aof.find("updated-" + std::to_string(i)) != std::string::npos);
    } else {
      CHECK(aof.find(key) != std::string::npos);
    }
    CHECK(InfoInt(s.c.get(), "persistence", "aof_fsyncs") > fsyncs_before);
  }
  CHECK(s.Do("DELETE", "/kv/durable-key-0").status == 200);
  const std::string aof = ReadBytes(LastIncrPath(d));
  CHECK(aof.find(Resp({"DEL", "durable-key-0"})) != std::string::npos);
}

TEST_CASE("http: HTTP writes survive kill -9") {
  if (ReferenceMode()) return;
  DataDir d;
  const std::vector<std::string> args = {"--dir", d.path(),        "--appendonly",
                                         "yes",   "--appendfsync", "always"};
  {
    HttpFx s(args);
    for (int i = 0; i < 30; ++i) {
      REQUIRE(s.Do("POST", "/kv/", Body("k" + std::to_string(i), "v" + std::to_string(i))).status ==
              201);
    }
    REQUIRE(s.Do("POST", "/kv/", Body("ttl", "t", 10000000)).status == 201);
    REQUIRE(s.Do("PUT", "/kv/k1", Body(std::nullopt, "changed")).status == 200);
    REQUIRE(s.Do("DELETE", "/kv/k2").status == 200);
    s.srv.Kill9();
  }
  HttpFx s(args);
  CheckItem(s.Do("GET", "/kv/k0"), 200, "k0", "v0");
  CheckItem(s.Do("GET", "/kv/k1"), 200, "k1", "changed");
  CHECK(s.Do("GET", "/kv/k2").status == 404);
  CheckItem(s.Do("GET", "/kv/k29"), 200, "k29", "v29");
  HttpReply r = s.Do("GET", "/kv/ttl");
  CheckItem(r, 200, "ttl", "t");
  std::optional<int64_t> ttl = ItemTtl(r.Json());
  REQUIRE(ttl.has_value());
  CHECK(*ttl > 0);
  CHECK(s({"DBSIZE"}) == Int(30));
}

TEST_CASE("http: CONFIG SET http-port moves the listener and CONFIG REWRITE writes it") {
  if (ReferenceMode()) return;
  HttpFx s({}, "# PyKV test configuration\n");
  const int old_port = s.port;
  REQUIRE(Http(old_port, "GET", "/health").status == 200);
  HttpConn kept(old_port);  // a connection made before the move
  REQUIRE(kept.Request("GET", "/health").status == 200);
  int new_port = 0;
  Reply set;
  for (int attempt = 0; attempt < 5; ++attempt) {
    new_port = UnusedTcpPort();
    set = s({"CONFIG", "SET", "http-port", std::to_string(new_port)});
    if (set.ok()) break;  // else someone took the port meanwhile: try another
  }
  REQUIRE(set.ok());
  CHECK(s({"CONFIG", "GET", "http-port"}) == Bulks({"http-port", std::to_string(new_port)}));
  CHECK(Http(new_port, "GET", "/health").status == 200);
  CHECK(WaitFor([&] { return !HttpConn(old_port).connected(); }, seconds(10)));
  CHECK(s.srv.ReadHttpPortFile() == new_port);
  // Connections already open stay.
  CHECK(kept.Request("GET", "/health").status == 200);

  // A port that cannot be bound leaves everything as it was.
  Reply busy = s({"CONFIG", "SET", "http-port", std::to_string(s.srv.port())});
  CHECK(busy.is_error());
  CHECK(s({"CONFIG", "GET", "http-port"}) == Bulks({"http-port", std::to_string(new_port)}));
  CHECK(Http(new_port, "GET", "/health").status == 200);

  REQUIRE(s({"CONFIG", "REWRITE"}).ok());
  std::ifstream in(s.srv.config_path());
  std::string line;
  bool found = false;
  while (std::getline(in, line)) found = found || line == "http-port " + std::to_string(new_port);
  CHECK(found);
}

TEST_CASE("http: when maxclients is reached an HTTP connection gets 503") {
  if (ReferenceMode()) return;
  HttpFx s({"--maxclients", "1"});
  // The harness's own first connection may still have been closing when the fixture
  // connected: make sure the one client the server holds is ours.
  s.c.reset();
  Conn c;
  REQUIRE(WaitFor(
      [&] {
        c = s.srv.TryConnect(2);
        return c != nullptr && Cmd(c, {"PING"}) == St("PONG");
      },
      seconds(10)));
  s.c.reset();
  c.swap(s.c);
  HttpConn h(s.port);
  REQUIRE(h.connected());
  HttpReply r = h.Read();
  INFO(r.Describe());
  CHECK(r.status == 503);
  CHECK(JsonStr(r.Json(), "detail").find("max number of clients reached") != std::string::npos);
  CHECK(h.WaitClosed());
  CHECK(InfoInt(s.c.get(), "stats", "rejected_connections") >= 1);
  // Once the RESP client leaves there is room again.
  s.c.reset();
  CHECK(WaitFor([&] { return Http(s.port, "GET", "/health").status == 200; }, seconds(10)));
}

}  // namespace
}  // namespace pykv::it
