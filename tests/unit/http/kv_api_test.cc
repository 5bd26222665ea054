#include "http/kv_api.h"

#include <doctest/doctest.h>

#include <deque>
#include <optional>
#include <string>
#include <vector>

namespace pykv::http {
namespace {

using resp::ReplyValue;
using Type = ReplyValue::Type;

ReplyValue Ok() {
  return ReplyValue::Simple("OK");
}
ReplyValue ScanReply(std::string cursor, std::vector<std::string> keys) {
  ReplyValue v = ReplyValue::Of(Type::kArray);
  v.elements.push_back(ReplyValue::Bulk(std::move(cursor)));
  ReplyValue list = ReplyValue::Of(Type::kArray);
  for (auto& k : keys) list.elements.push_back(ReplyValue::Bulk(std::move(k)));
  v.elements.push_back(std::move(list));
  return v;
}

// Records every command and answers from a queue (an empty optional: CLIENT PAUSE).
class FakeRunner : public CommandRunner {
 public:
  std::optional<ReplyValue> Run(cmd::Args argv) override {
    std::string line;
    for (std::string_view a : argv) line += (line.empty() ? "" : " ") + std::string(a);
    commands.push_back(line);
    if (replies.empty()) return ReplyValue::Error("ERR no canned reply");
    std::optional<ReplyValue> r = std::move(replies.front());
    replies.pop_front();
    return r;
  }
  std::vector<std::string> commands;
  std::deque<std::optional<ReplyValue>> replies;
};

struct Api {
  std::string password;
  uint64_t max_value = 512 * 1024 * 1024;
  cmd::DispatcherStats command_stats;
  HttpStats http_stats;
  KvApi api{ApiContext{&password, &max_value, &command_stats, &http_stats}};
  FakeRunner run;
  std::string route;

  HttpResponse Do(std::string method, std::string target, std::string body = "",
                  std::string auth = "") {
    HttpRequest req;
    req.method = std::move(method);
    req.head = req.method == "HEAD";
    req.target = std::move(target);
    req.body = std::move(body);
    req.authorization = std::move(auth);
    std::optional<HttpResponse> r = api.Handle(req, run, &route);
    REQUIRE(r.has_value());
    return *r;
  }
};

TEST_CASE("KvApi: POST /kv/ runs SET NX [PX] and answers 201 with Location, or 409") {
  Api a;
  a.run.replies = {Ok()};
  HttpResponse r = a.Do("POST", "/kv/", R"({"key":"a/b c","value":"v","ttl_ms":1500})");
  CHECK(a.run.commands == std::vector<std::string>{"SET a/b c v NX PX 1500"});
  CHECK(r.status == 201);
  CHECK(r.body == R"({"key":"a/b c","value":"v","ttl_ms":1500})");
  REQUIRE(r.headers.size() == 1);
  CHECK(r.headers[0] == std::pair<std::string, std::string>{"Location", "/kv/a%2Fb%20c"});
  CHECK(a.route == "/kv/");

  Api b;
  b.run.replies = {ReplyValue::Null()};
  r = b.Do("POST", "/kv", R"({"key":"k","value":"v"})");
  CHECK(b.run.commands == std::vector<std::string>{"SET k v NX"});
  CHECK(r.status == 409);
  CHECK(r.body == R"({"detail":"Key already exists"})");

  // Invalid bodies run nothing.
  Api c;
  CHECK(c.Do("POST", "/kv/", R"({"key":"k"})").status == 422);
  CHECK(c.run.commands.empty());
}

TEST_CASE("KvApi: PUT runs SET XX KEEPTTL (or PX) then PTTL") {
  Api a;
  a.run.replies = {Ok(), ReplyValue::Integer(900)};
  HttpResponse r = a.Do("PUT", "/kv/k%20x", R"({"value":"w"})");
  CHECK(a.run.commands == std::vector<std::string>{"SET k x w XX KEEPTTL", "PTTL k x"});
  CHECK(r.status == 200);
  CHECK(r.body == R"({"key":"k x","value":"w","ttl_ms":900})");

  Api b;
  b.run.replies = {Ok(), ReplyValue::Integer(-1)};
  r = b.Do("PUT", "/kv/k", R"({"value":"w","ttl_ms":20})");
  CHECK(b.run.commands == std::vector<std::string>{"SET k w XX PX 20", "PTTL k"});
  CHECK(r.body == R"({"key":"k","value":"w","ttl_ms":null})");

  Api c;
  c.run.replies = {ReplyValue::Null()};
  r = c.Do("PUT", "/kv/k", R"({"value":"w"})");
  CHECK(r.status == 404);
  CHECK(c.run.commands.size() == 1);
}

TEST_CASE("KvApi: GET runs GET then PTTL; 404; values that are not UTF-8 in base64") {
  Api a;
  a.run.replies = {ReplyValue::Bulk("v"), ReplyValue::Integer(-1)};
  HttpResponse r = a.Do("GET", "/kv/k");
  CHECK(a.run.commands == std::vector<std::string>{"GET k", "PTTL k"});
  CHECK(r.status == 200);
  CHECK(r.body == R"({"key":"k","value":"v","ttl_ms":null})");
  CHECK(a.route == "/kv/{key}");

  Api b;
  b.run.replies = {ReplyValue::Null()};
  r = b.Do("GET", "/kv/k");
  CHECK(r.status == 404);
  CHECK(r.body == R"({"detail":"Key not found"})");
  CHECK(b.run.commands.size() == 1);

  Api c;
  c.run.replies = {ReplyValue::Bulk(std::string("\xff\xfe\x00"
                                                "a",
                                                4)),
                   ReplyValue::Integer(5)};
  r = c.Do("HEAD", "/kv/bin");
  CHECK(r.body == R"({"key":"bin","value":"//4AYQ==","ttl_ms":5,"encoding":"base64"})");
}

TEST_CASE("KvApi: DELETE runs DEL") {
  Api a;
  a.run.replies = {ReplyValue::Integer(1)};
  HttpResponse r = a.Do("DELETE", "/kv/a%2Fb");
  CHECK(a.run.commands == std::vector<std::string>{"DEL a/b"});
  CHECK(r.status == 200);
  CHECK(r.body == R"({"deleted":true})");
  Api b;
  b.run.replies = {ReplyValue::Integer(0)};
  CHECK(b.Do("DELETE", "/kv/k").status == 404);
}

TEST_CASE("KvApi: listing runs SCAN with the prefix escaped for MATCH") {
  Api a;
  a.run.replies = {ScanReply("17", {"p:1", "p:2"})};
  HttpResponse r = a.Do("GET", "/kv/?prefix=p%3A*%3F%5B&cursor=5&limit=7");
  CHECK(a.run.commands == std::vector<std::string>{"SCAN 5 MATCH p:\\*\\?\\[* COUNT 7"});
  CHECK(r.status == 200);
  CHECK(r.body == R"({"keys":["p:1","p:2"],"next_cursor":"17"})");

  Api b;
  b.run.replies = {ScanReply("0", {"k", std::string("\xff", 1)})};
  r = b.Do("GET", "/kv/");
  CHECK(b.run.commands == std::vector<std::string>{"SCAN 0 MATCH * COUNT 100"});
  CHECK(r.body == R"({"keys":["k"],"binary_keys":["/w=="],"next_cursor":null})");

  for (const char* q : {"limit=0", "limit=1001", "limit=x", "cursor=-1", "cursor=a", "prefix=%"}) {
    INFO(q);
    Api c;
    CHECK(c.Do("GET", std::string("/kv/?") + q).status == 422);
    CHECK(c.run.commands.empty());
  }
}

TEST_CASE("KvApi: command errors become HTTP statuses with the server's message") {
  struct Case {
    const char* error;
    int status;
  };
  for (const Case& c : {Case{"OOM command not allowed when used memory > 'maxmemory'.", 507},
                        Case{"MISCONF Errors writing to the AOF file", 503},
                        Case{"READONLY You can't write against a read only replica.", 409},
                        Case{"ERR something else", 500}}) {
    Api a;
    a.run.replies = {ReplyValue::Error(c.error)};
    HttpResponse r = a.Do("POST", "/kv/", R"({"key":"k","value":"v"})");
    CHECK(r.status == c.status);
    CHECK(r.body == std::string(R"({"detail":")") + c.error + "\"}");
  }
}

TEST_CASE("KvApi: with a password, nothing runs without the Bearer token; /health is open") {
  Api a;
  a.password = "pw";
  for (const char* auth : {"", "Bearer", "Bearer ", "Bearer p", "Bearer pww", "Basic pw", "pw"}) {
    HttpResponse r = a.Do("GET", "/kv/k", "", auth);
    CHECK(r.status == 401);
    CHECK(r.body == R"({"detail":"Not authenticated"})");
    REQUIRE(r.headers.size() == 1);
    CHECK(r.headers[0].first == "WWW-Authenticate");
    CHECK(r.headers[0].second == "Bearer");
  }
  CHECK(a.run.commands.empty());
  for (const char* auth : {"Bearer pw", "bearer pw", "BEARER pw"}) {
    a.run.replies = {ReplyValue::Null()};
    CHECK(a.Do("GET", "/kv/k", "", auth).status == 404);
  }
  a.run.replies = {ReplyValue::Bulk("# Server\r\nrole:master\r\nloading:0\r\naof_enabled:0\r\n")};
  HttpResponse h = a.Do("GET", "/health");
  CHECK(h.status == 200);
  CHECK(h.body.find(R"("status":"ok")") != std::string::npos);
}

TEST_CASE("KvApi: a command postponed by CLIENT PAUSE postpones the whole request") {
  Api a;
  a.run.replies = {std::nullopt};
  HttpRequest req;
  req.method = "GET";
  req.target = "/kv/k";
  CHECK_FALSE(a.api.Handle(req, a.run, &a.route).has_value());
  // PTTL postponed after GET ran: still nothing to answer yet.
  a.run.replies = {ReplyValue::Bulk("v"), std::nullopt};
  CHECK_FALSE(a.api.Handle(req, a.run, &a.route).has_value());
}

TEST_CASE("KvApi: 404, 405 and 400 need no command") {
  Api a;
  HttpResponse r = a.Do("GET", "/nosuch");
  CHECK(r.status == 404);
  CHECK(r.body == R"({"detail":"Not Found"})");
  r = a.Do("PATCH", "/kv/k");
  CHECK(r.status == 405);
  REQUIRE(r.headers.size() == 1);
  CHECK(r.headers[0].second == "GET, HEAD, PUT, DELETE");
  r = a.Do("DELETE", "/kv/");
  CHECK(r.status == 405);
  CHECK(r.headers[0].second == "GET, HEAD, POST");
  CHECK(a.Do("GET", "*").status == 400);
  CHECK(a.Do("GET", "/kv/%zz").status == 422);
  CHECK(a.run.commands.empty());
}

}  // namespace
}  // namespace pykv::http
