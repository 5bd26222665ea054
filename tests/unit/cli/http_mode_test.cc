// HttpCommandRunner against fake HTTP servers: request paths, answers read back as
// replies, error texts, and choosing the primary among several URLs (the real server is
// covered by tests/integration/cli_http_it.cc).
#include "cli/http_mode.h"

#include <doctest/doctest.h>

#include <atomic>
#include <string>
#include <vector>

#include "unit/cli/http_fake_server.h"

namespace pykv::cli {
namespace {

using testing::FakeAnswer;
using testing::FakeHttpServer;

const char* kMasterHealth = R"({"status":"ok","role":"master","loading":false})";

HttpModeOptions Options(std::vector<std::string> urls, uint64_t failover_wait_ms = 2000) {
  HttpModeOptions o;
  o.urls = std::move(urls);
  o.timeout_ms = 2000;
  o.failover_wait_ms = failover_wait_ms;
  return o;
}

resp::ReplyValue Exec(HttpCommandRunner& runner, std::vector<std::string> argv) {
  StatusOr<resp::ReplyValue> r = runner.Execute(argv);
  REQUIRE_MESSAGE(r.ok(), r.status().message());
  return *r;
}

// A primary that accepts every write and knows no key.
FakeAnswer MasterAnswer(const std::string& method, const std::string& target) {
  if (target == "/health") return {200, kMasterHealth};
  if (method == "POST") return {201, R"({"key":"k","value":"v","ttl_ms":null})"};
  return {404, R"({"detail":"Key not found"})"};
}

TEST_CASE("http mode: keys are percent-encoded in paths, 404 reads as nil") {
  FakeHttpServer fake(MasterAnswer);
  REQUIRE(fake.port() > 0);
  HttpCommandRunner runner(Options({fake.url()}));
  CHECK(Exec(runner, {"GET", "a/b c?%"}).is_null());
  CHECK(Exec(runner, {"DEL", "x", "y"}).integer == 0);
  CHECK(Exec(runner, {"TTL", "x"}).integer == -2);
  CHECK(fake.requests() == std::vector<std::string>{"GET /kv/a%2Fb%20c%3F%25", "DELETE /kv/x",
                                                    "DELETE /kv/y", "GET /kv/x"});
}

TEST_CASE("http mode: a 404 that is not about the key is an error, not nil") {
  FakeHttpServer fake([](const std::string&, const std::string&) {
    return FakeAnswer{404, R"({"detail":"Not Found"})"};
  });
  HttpCommandRunner runner(Options({fake.url() + "/"}));  // the trailing slash is dropped
  resp::ReplyValue r = Exec(runner, {"GET", "k"});
  CHECK(r.is_error());
  CHECK(r.str == "ERR Not Found (HTTP 404)");
  CHECK(fake.requests() == std::vector<std::string>{"GET /kv/k"});
}

TEST_CASE("http mode: server errors keep their Redis code, others get ERR and the status") {
  FakeHttpServer fake([](const std::string& method, const std::string& target) {
    if (target == "/kv/oom") return FakeAnswer{507, R"({"detail":"OOM command not allowed"})"};
    if (target == "/kv/html") return FakeAnswer{502, "<html>bad gateway</html>"};
    if (method == "PUT") {
      return FakeAnswer{422, R"({"detail":[{"loc":["body","value"],"msg":"String too long"}]})"};
    }
    return testing::ReplicaAnswer(method, target);
  });
  HttpCommandRunner runner(Options({fake.url()}));
  CHECK(Exec(runner, {"GET", "oom"}).str == "OOM command not allowed");
  CHECK(Exec(runner, {"GET", "html"}).str == "ERR HTTP 502");
  CHECK(Exec(runner, {"UPDATE", "k", "v"}).str == "ERR body.value: String too long (HTTP 422)");
  // With one URL a READONLY refusal is simply the answer.
  resp::ReplyValue r = Exec(runner, {"SET", "k", "v"});
  CHECK(r.is_error());
  CHECK(r.str == "READONLY You can't write against a read only replica.");
}

TEST_CASE("http mode: 401 reads as NOAUTH without a token, WRONGPASS with one") {
  FakeHttpServer fake([](const std::string&, const std::string&) {
    return FakeAnswer{401, R"({"detail":"Not authenticated"})"};
  });
  HttpCommandRunner anonymous(Options({fake.url()}));
  CHECK(Exec(anonymous, {"GET", "k"}).str ==
        "NOAUTH Authentication required (HTTP 401: Not authenticated)");
  HttpModeOptions o = Options({fake.url()});
  o.token = "wrong";
  HttpCommandRunner wrong(o);
  CHECK(Exec(wrong, {"GET", "k"}).str ==
        "WRONGPASS invalid password (HTTP 401: Not authenticated)");
}

TEST_CASE("http mode: LIST follows next_cursor and KEYS filters with the glob") {
  FakeHttpServer fake([](const std::string&, const std::string& target) {
    if (target == "/kv/?prefix=u%3A&limit=1000") {
      return FakeAnswer{200, R"({"keys":["u:b","u:a"],"next_cursor":"7"})"};
    }
    if (target == "/kv/?prefix=u%3A&limit=1000&cursor=7") {
      return FakeAnswer{200, R"({"keys":["u:a","u:c"],"binary_keys":["dTr/"],"next_cursor":null})"};
    }
    return FakeAnswer{500, R"({"detail":"unexpected"})"};
  });
  HttpCommandRunner runner(Options({fake.url()}));
  resp::ReplyValue r = Exec(runner, {"LIST", "u:"});
  REQUIRE(r.is_array());
  std::vector<std::string> keys;
  for (const auto& e : r.elements) keys.push_back(e.str);
  // Sorted, without the duplicate SCAN may give across pages; the binary key decoded.
  CHECK(keys == std::vector<std::string>{"u:a", "u:b", "u:c", "u:\xff"});

  r = Exec(runner, {"KEYS", "u:[bc]"});
  REQUIRE(r.is_array());
  REQUIRE(r.elements.size() == 2);
  CHECK(r.elements[0].str == "u:b");
  CHECK(r.elements[1].str == "u:c");
}

TEST_CASE("http mode: with several URLs, the one whose /health says master gets the commands") {
  FakeHttpServer replica(testing::ReplicaAnswer);
  FakeHttpServer master(MasterAnswer);
  HttpCommandRunner runner(Options({replica.url(), master.url()}));
  CHECK(Exec(runner, {"SET", "k", "v"}).str == "OK");
  CHECK(runner.current_url() == master.url());
  CHECK(replica.requests() == std::vector<std::string>{"GET /health"});
  CHECK(master.requests() == std::vector<std::string>{"GET /health", "POST /kv/"});
  // The choice is kept for the next command.
  CHECK(Exec(runner, {"GET", "k"}).is_null());
  CHECK(replica.requests().size() == 1);
}

TEST_CASE("http mode: a READONLY refusal after a failover sends the request to the new primary") {
  std::atomic<bool> failed_over{false};
  auto a_answer = [&](const std::string& method, const std::string& target) {
    return failed_over ? testing::ReplicaAnswer(method, target) : MasterAnswer(method, target);
  };
  auto b_answer = [&](const std::string& method, const std::string& target) {
    return failed_over ? MasterAnswer(method, target) : testing::ReplicaAnswer(method, target);
  };
  FakeHttpServer a(a_answer);
  FakeHttpServer b(b_answer);
  HttpCommandRunner runner(Options({a.url(), b.url()}));
  CHECK(Exec(runner, {"SET", "k", "v"}).str == "OK");
  CHECK(runner.current_url() == a.url());
  failed_over = true;
  CHECK(Exec(runner, {"SET", "k", "v"}).str == "OK");
  CHECK(runner.current_url() == b.url());
  CHECK(b.requests().back() == "POST /kv/");
}

TEST_CASE("http mode: no primary within the failover wait is a clear failure") {
  FakeHttpServer replica(testing::ReplicaAnswer);
  FakeHttpServer other(testing::ReplicaAnswer);
  HttpCommandRunner runner(Options({replica.url(), other.url()}, 300));
  StatusOr<resp::ReplyValue> r = runner.Execute(std::vector<std::string>{"GET", "k"});
  REQUIRE_FALSE(r.ok());
  const std::string& msg = r.status().message();
  CHECK(msg.find("No primary among the HTTP servers after waiting 300 ms") == 0);
  CHECK(msg.find(replica.url() + ": role slave") != std::string::npos);
  CHECK(msg.find(other.url() + ": role slave") != std::string::npos);
  // It kept asking while it waited.
  CHECK(replica.requests().size() >= 2);
  for (const std::string& req : replica.requests()) CHECK(req == "GET /health");
}

}  // namespace
}  // namespace pykv::cli
