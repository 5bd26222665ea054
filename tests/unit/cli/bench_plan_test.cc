#include "cli/bench_plan.h"

#include <doctest/doctest.h>

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

#include "resp/request_parser.h"

namespace pykv::cli {
namespace {

// Parses a bench command line the way pykv-cli's main does.
struct Parsed {
  BenchOptions options;
  ConnectOptions connect;
  bool ok = false;
  bool bench = false;
  std::string error;
};

Parsed Parse(std::vector<std::string> args) {
  Parsed p;
  CLI::App app("test");
  app.set_help_flag("--help");
  app.add_option("-h", p.connect.host);
  app.add_option("-p", p.connect.port);
  CLI::App* sub = AddBenchCommand(&app, &p.options);
  std::vector<std::string> argv = {"pykv-cli"};
  argv.insert(argv.end(), args.begin(), args.end());
  std::vector<const char*> raw;
  for (const std::string& a : argv) raw.push_back(a.c_str());
  try {
    app.parse(static_cast<int>(raw.size()), raw.data());
    p.ok = true;
    p.bench = sub->parsed();
  } catch (const CLI::ParseError& e) {
    p.error = e.what();
  }
  return p;
}

TEST_CASE("bench options: redis-benchmark's defaults") {
  Parsed p = Parse({"bench"});
  REQUIRE(p.ok);
  CHECK(p.bench);
  CHECK(p.options.clients == 50);
  CHECK(p.options.requests == 100000);
  CHECK(p.options.data_size == 3);
  CHECK(p.options.pipeline == 1);
  CHECK(p.options.threads == 1);
  CHECK(p.options.keyspace == 0);
  CHECK(p.options.ratio == "1:10");
  auto plan = MakePlan(p.options, p.connect);
  REQUIRE(plan.ok());
  REQUIRE(plan->tests.size() == 4);
  CHECK(plan->tests[0].name == "SET");
  CHECK(plan->tests[1].name == "GET");
  CHECK(plan->tests[2].name == "INCR");
  CHECK(plan->tests[3].kind == BenchKind::kMset);
  CHECK(plan->label == "127.0.0.1:6379");
  CHECK(plan->handshake.empty());
  CHECK(plan->setup.empty());
}

TEST_CASE("bench options: every option lands in BenchOptions") {
  Parsed p = Parse({"-h",   "10.0.0.1", "bench",     "-c",      "8",   "-n",  "5000", "--threads",
                    "2",    "-t",       "get,MIXED", "--ratio", "3:7", "-d",  "100",  "-r",
                    "1000", "-P",       "16",        "--json",  "-p",  "7000"});
  REQUIRE(p.ok);
  CHECK(p.options.clients == 8);
  CHECK(p.options.requests == 5000);
  CHECK(p.options.threads == 2);
  CHECK(p.options.tests == std::vector<std::string>{"get,MIXED"});
  CHECK(p.options.ratio == "3:7");
  CHECK(p.options.data_size == 100);
  CHECK(p.options.keyspace == 1000);
  CHECK(p.options.pipeline == 16);
  CHECK(p.options.json);
  // Connection options after `bench` reach the main app.
  CHECK(p.connect.port == 7000);
  CHECK(p.connect.host == "10.0.0.1");
  auto plan = MakePlan(p.options, p.connect);
  REQUIRE(plan.ok());
  REQUIRE(plan->tests.size() == 2);
  CHECK(plan->tests[1].name == "MIXED SET:GET 3:7");
  CHECK(plan->tests[1].weights == std::vector<uint32_t>{3, 7});
}

TEST_CASE("bench options: refused values") {
  CHECK_FALSE(Parse({"bench", "-n", "10", "--duration", "2"}).ok);
  CHECK_FALSE(Parse({"bench", "--csv", "--json"}).ok);
  CHECK_FALSE(Parse({"bench", "-c", "0"}).ok);
  CHECK_FALSE(Parse({"bench", "-P", "0"}).ok);
  CHECK_FALSE(Parse({"bench", "-t", "set,bogus"}).ok);
  CHECK_FALSE(Parse({"bench", "--ratio", "1"}).ok);
  CHECK_FALSE(Parse({"bench", "--duration", "-1"}).ok);
  CHECK_FALSE(Parse({"bench", "-r", "0"}).ok);
  Parsed several = Parse({"bench", "-t", "set", "-t", "incr"});
  REQUIRE(several.ok);
  CHECK(several.options.tests == std::vector<std::string>{"set", "incr"});
}

TEST_CASE("bench plan: test lists") {
  auto kinds = ParseTestList({"GET,set", "get", ""}, false);
  REQUIRE(kinds.ok());
  CHECK(*kinds == std::vector<BenchKind>{BenchKind::kGet, BenchKind::kSet});
  CHECK_FALSE(ParseTestList({"put"}, false).ok());
  auto http = ParseTestList({"put,get,mixed"}, true);
  REQUIRE(http.ok());
  CHECK(*http ==
        std::vector<BenchKind>{BenchKind::kHttpPut, BenchKind::kHttpGet, BenchKind::kHttpMixed});
  CHECK_FALSE(ParseTestList({"incr"}, true).ok());
  auto defaults = ParseTestList({}, true);
  REQUIRE(defaults.ok());
  CHECK(*defaults == std::vector<BenchKind>{BenchKind::kHttpPut, BenchKind::kHttpGet});
}

TEST_CASE("bench plan: ratios") {
  auto r = ParseRatio("1:10");
  REQUIRE(r.ok());
  CHECK(r->set == 1);
  CHECK(r->get == 10);
  r = ParseRatio("0:1");
  REQUIRE(r.ok());
  CHECK(r->set == 0);
  for (const char* bad : {"", "1", "1:", ":1", "a:b", "1:2:3", "0:0", "-1:2", "1 :2"}) {
    CAPTURE(bad);
    CHECK_FALSE(ParseRatio(bad).ok());
  }
}

TEST_CASE("bench plan: HTTP URLs") {
  auto t = ParseHttpUrl("http://127.0.0.1:8080");
  REQUIRE(t.ok());
  CHECK(t->host == "127.0.0.1");
  CHECK(t->port == 8080);
  CHECK(t->prefix.empty());
  t = ParseHttpUrl("http://example.com/api/kv/");
  REQUIRE(t.ok());
  CHECK(t->port == 80);
  CHECK(t->prefix == "/api");
  CHECK_FALSE(ParseHttpUrl("https://127.0.0.1:8080").ok());
  CHECK_FALSE(ParseHttpUrl("127.0.0.1:8080").ok());
  CHECK_FALSE(ParseHttpUrl("http://127.0.0.1:8080/?x=1").ok());
}

// Decodes a RESP template into its argument vector.
std::vector<std::string> Args(const RequestTemplate& t) {
  resp::ParserLimits limits;
  resp::RequestParser parser(&limits);
  parser.Append(t.bytes);
  std::vector<std::string> out;
  REQUIRE(parser.Next() == resp::RequestParser::Result::kCommand);
  for (std::string_view a : parser.argv()) out.emplace_back(a);
  CHECK(parser.Next() == resp::RequestParser::Result::kNeedMore);  // exactly one command
  return out;
}

TEST_CASE("bench plan: RESP templates, fixed and random keys") {
  BenchOptions o;
  o.tests = {"set,get,incr,mset,mixed"};
  o.data_size = 5;
  auto fixed = MakePlan(o, ConnectOptions{});
  REQUIRE(fixed.ok());
  CHECK(Args(fixed->tests[0].requests[0]) ==
        std::vector<std::string>{"SET", "key:__rand_int__", "xxxxx"});
  CHECK(fixed->tests[0].requests[0].key_offsets.empty());
  CHECK(Args(fixed->tests[2].requests[0]) ==
        std::vector<std::string>{"INCR", "counter:__rand_int__"});
  CHECK(Args(fixed->tests[3].requests[0]).size() == 21);

  o.keyspace = 100;
  auto random = MakePlan(o, ConnectOptions{});
  REQUIRE(random.ok());
  RequestTemplate set = random->tests[0].requests[0];
  REQUIRE(set.key_offsets.size() == 1);
  WriteKeyNumber(set.bytes.data() + set.key_offsets[0], 123);
  CHECK(Args(set) == std::vector<std::string>{"SET", "key:000000000123", "xxxxx"});
  RequestTemplate mset = random->tests[3].requests[0];
  REQUIRE(mset.key_offsets.size() == 10);
  for (size_t i = 0; i < 10; ++i) WriteKeyNumber(mset.bytes.data() + mset.key_offsets[i], i);
  std::vector<std::string> args = Args(mset);
  CHECK(args[1] == "key:000000000000");
  CHECK(args[19] == "key:000000000009");
  CHECK(args[20] == "xxxxx");
  const BenchTest& mixed = random->tests[4];
  REQUIRE(mixed.requests.size() == 2);
  CHECK(Args(mixed.requests[0])[0] == "SET");
  CHECK(Args(mixed.requests[1])[0] == "GET");
  CHECK(mixed.weights == std::vector<uint32_t>{1, 10});
}

TEST_CASE("bench plan: handshakes") {
  BenchOptions o;
  ConnectOptions c;
  c.password = "secret";
  auto plan = MakePlan(o, c);
  REQUIRE(plan.ok());
  CHECK(plan->handshake == "*2\r\n$4\r\nAUTH\r\n$6\r\nsecret\r\n");
  CHECK(plan->handshake_replies == 1);
  c.user = "bob";
  c.resp3 = true;
  plan = MakePlan(o, c);
  REQUIRE(plan.ok());
  CHECK(plan->handshake ==
        "*5\r\n$5\r\nHELLO\r\n$1\r\n3\r\n$4\r\nAUTH\r\n$3\r\nbob\r\n$6\r\nsecret\r\n");
}

TEST_CASE("bench plan: HTTP templates and the setup") {
  BenchOptions o;
  o.http_url = "http://127.0.0.1:8080";
  o.keyspace = 10;
  o.tests = {"get,put,mixed"};
  ConnectOptions c;
  c.password = "tok";
  auto plan = MakePlan(o, c);
  REQUIRE(plan.ok());
  CHECK(plan->http);
  CHECK(plan->host == "127.0.0.1");
  CHECK(plan->port == 8080);
  REQUIRE(plan->tests.size() == 3);
  RequestTemplate get = plan->tests[0].requests[0];
  REQUIRE(get.key_offsets.size() == 1);
  WriteKeyNumber(get.bytes.data() + get.key_offsets[0], 7);
  CHECK(get.bytes ==
        "GET /kv/key:000000000007 HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n"
        "Authorization: Bearer tok\r\n\r\n");
  const std::string& put = plan->tests[1].requests[0].bytes;
  CHECK(put.rfind("PUT /kv/key:000000000000 HTTP/1.1\r\n", 0) == 0);
  CHECK(put.find("Content-Length: 15\r\n\r\n{\"value\":\"xxx\"}") != std::string::npos);
  CHECK(plan->tests[2].name == "MIXED PUT:GET 1:10");
  REQUIRE(plan->setup.size() == 1);
  const RequestTemplate& post = plan->setup[0].requests[0];
  CHECK(post.bytes.rfind("POST /kv/ HTTP/1.1\r\n", 0) == 0);
  CHECK(post.bytes.find("{\"key\":\"key:000000000000\",\"value\":\"xxx\"}") != std::string::npos);
  CHECK(post.key_offsets.size() == 1);
  CHECK(plan->setup[0].accept_conflict);
}

TEST_CASE("bench plan: refused combinations") {
  BenchOptions o;
  o.tests = {"put"};
  CHECK_FALSE(MakePlan(o, ConnectOptions{}).ok());
  o = BenchOptions{};
  o.csv = o.json = true;
  CHECK_FALSE(MakePlan(o, ConnectOptions{}).ok());
  o = BenchOptions{};
  o.threads = 8;
  o.clients = 3;
  auto plan = MakePlan(o, ConnectOptions{});
  REQUIRE(plan.ok());
  CHECK(plan->options.threads == 3);  // never more threads than connections
}

}  // namespace
}  // namespace pykv::cli
