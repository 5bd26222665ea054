// pykv-cli bench end to end: runs the real pykv-cli binary (bounded, output captured)
// against pykv-server, Debian's redis-server and pykv-server's HTTP port, parses its JSON
// and CSV output, and checks on the server that the requests really ran.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <rapidjson/document.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "integration/server_harness.h"

namespace pykv::it {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

ToolResult Bench(int port, const std::vector<std::string>& args,
                 const std::vector<std::string>& before = {}) {
  std::vector<std::string> argv = {PYKV_CLI_BIN, "-p", std::to_string(port)};
  argv.insert(argv.end(), before.begin(), before.end());
  argv.push_back("bench");
  argv.insert(argv.end(), args.begin(), args.end());
  return RunTool(argv, "", seconds(120));
}

// The JSON report; fails the test when it does not parse.
rapidjson::Document Json(const ToolResult& r) {
  rapidjson::Document d;
  d.Parse(r.out.c_str());
  INFO("stdout: ", r.out, "\nstderr: ", r.err);
  REQUIRE_FALSE(d.HasParseError());
  REQUIRE(d.IsObject());
  REQUIRE(d.HasMember("tests"));
  return d;
}

// A test's entry: the figures hang together and nothing failed.
void CheckSane(const rapidjson::Value& t, const std::string& name, uint64_t requests) {
  INFO("test ", name);
  CHECK(std::string(t["test"].GetString()) == name);
  if (requests > 0) {
    CHECK(t["requests"].GetUint64() == requests);
  } else {
    CHECK(t["requests"].GetUint64() > 0);
  }
  CHECK(t["errors"].GetUint64() == 0);
  CHECK(t["ops_per_sec"].GetDouble() > 0);
  CHECK(t["seconds"].GetDouble() > 0);
  const auto& l = t["latency_ms"];
  CHECK(l["min"].GetDouble() > 0);
  CHECK(l["min"].GetDouble() <= l["p50"].GetDouble());
  CHECK(l["p50"].GetDouble() <= l["p90"].GetDouble());
  CHECK(l["p90"].GetDouble() <= l["p99"].GetDouble());
  CHECK(l["p99"].GetDouble() <= l["p99_9"].GetDouble());
  CHECK(l["p99_9"].GetDouble() <= l["max"].GetDouble());
  uint64_t total = 0;
  for (const auto& row : t["distribution"].GetArray()) total += row["count"].GetUint64();
  CHECK(total == t["requests"].GetUint64());
}

long long CommandCalls(redisContext* c, const std::string& command) {
  const std::string info = Info(c, "commandstats");
  const std::string line = InfoField(info, "cmdstat_" + command);  // calls=N,usec=...
  if (line.rfind("calls=", 0) != 0) return 0;
  return std::atoll(line.c_str() + 6);
}

// The keys of a pattern, through SCAN.
std::vector<std::string> Keys(const Conn& c, const std::string& pattern) {
  std::vector<std::string> out;
  std::string cursor = "0";
  do {
    Reply r = Cmd(c, {"SCAN", cursor, "MATCH", pattern, "COUNT", "1000"});
    REQUIRE(r.is_array());
    cursor = r.elements[0].str;
    for (const Reply& k : r.elements[1].elements) out.push_back(k.str);
  } while (cursor != "0");
  return out;
}

// Debian's redis-server on a free loopback port (the harness's reference program).
ServerOptions RedisOptions(std::vector<std::string> extra) {
  ServerOptions opts;
  opts.program = ServerOptions::Program::kRedis;
  opts.args = std::move(extra);
  return opts;
}

TEST_CASE("cli bench: default tests with --json against pykv-server") {
  TestServer srv;
  ToolResult r = Bench(srv.port(), {"-n", "2000", "-c", "10", "-r", "100", "--json"});
  INFO("stderr: ", r.err);
  REQUIRE(r.exit_code == 0);
  rapidjson::Document d = Json(r);
  CHECK(std::string(d["protocol"].GetString()) == "resp");
  CHECK(d["clients"].GetInt() == 10);
  const auto& tests = d["tests"];
  REQUIRE(tests.Size() == 4);
  CheckSane(tests[0], "SET", 2000);
  CheckSane(tests[1], "GET", 2000);
  CheckSane(tests[2], "INCR", 2000);
  CheckSane(tests[3], "MSET (10 keys)", 2000);

  // The keys are really there, named like redis-benchmark's, within -r.
  Conn c = srv.Connect();
  std::vector<std::string> keys = Keys(c, "key:*");
  CHECK(keys.size() > 10);
  CHECK(keys.size() <= 100);
  for (const std::string& k : keys) {
    REQUIRE(k.size() == 16);
    CHECK(std::atoi(k.c_str() + 4) < 100);
  }
  CHECK(Cmd(c, {"GET", keys.front()}) == Bulk("xxx"));
  // Every INCR landed exactly once.
  long long sum = 0;
  for (const std::string& k : Keys(c, "counter:*"))
    sum += std::atoll(Cmd(c, {"GET", k}).str.c_str());
  CHECK(sum == 2000);
  CHECK(CommandCalls(c.get(), "mset") == 2000);
}

TEST_CASE("cli bench: --csv, text output and progress stay apart") {
  TestServer srv;
  ToolResult r = Bench(srv.port(), {"-n", "3000", "-c", "5", "-t", "set,get", "--csv"});
  INFO("stdout: ", r.out, "\nstderr: ", r.err);
  REQUIRE(r.exit_code == 0);
  std::istringstream in(r.out);
  std::string line;
  std::vector<std::vector<std::string>> rows;
  while (std::getline(in, line)) {
    std::vector<std::string> fields;
    std::istringstream f(line);
    std::string field;
    while (std::getline(f, field, ',')) fields.push_back(field);
    rows.push_back(fields);
  }
  REQUIRE(rows.size() == 3);
  CHECK(rows[0][0] == "test");
  CHECK(rows[0][1] == "requests");
  CHECK(rows[1][0] == "\"SET\"");
  CHECK(rows[2][0] == "\"GET\"");
  for (size_t i = 1; i < rows.size(); ++i) {
    REQUIRE(rows[i].size() == rows[0].size());
    CHECK(rows[i][1] == "3000");
    CHECK(rows[i][2] == "0");
    CHECK(std::atof(rows[i][4].c_str()) > 0);
  }

  r = Bench(srv.port(), {"-n", "500", "-t", "get"});
  REQUIRE(r.exit_code == 0);
  CHECK(Contains(r.out, "====== GET ======"));
  CHECK(Contains(r.out, "500 requests in"));
  CHECK(Contains(r.out, "requests per second"));
  CHECK(Contains(r.out, "p99.9"));
  CHECK(Contains(r.out, "latency distribution"));
  CHECK_FALSE(Contains(r.out, "ETA"));  // progress goes to stderr only
}

TEST_CASE("cli bench: --threads 2 with a pipeline applies every request once") {
  TestServer srv;
  ToolResult r = Bench(
      srv.port(), {"-n", "5001", "-c", "5", "--threads", "2", "-P", "8", "-t", "incr", "--json"});
  INFO("stderr: ", r.err);
  REQUIRE(r.exit_code == 0);
  rapidjson::Document d = Json(r);
  CHECK(d["threads"].GetInt() == 2);
  CHECK(d["pipeline"].GetInt() == 8);
  CheckSane(d["tests"][0], "INCR", 5001);
  Conn c = srv.Connect();
  CHECK(Cmd(c, {"GET", "counter:__rand_int__"}) == Bulk("5001"));

  r = Bench(srv.port(), {"-n", "20000", "-c", "50", "-P", "32", "-t", "set,get", "--json"});
  REQUIRE(r.exit_code == 0);
  d = Json(r);
  CheckSane(d["tests"][0], "SET", 20000);
  CheckSane(d["tests"][1], "GET", 20000);
}

TEST_CASE("cli bench: --duration runs for the time given") {
  TestServer srv;
  ToolResult r = Bench(srv.port(), {"--duration", "1", "-c", "4", "-t", "set", "--json"});
  INFO("stderr: ", r.err);
  REQUIRE(r.exit_code == 0);
  rapidjson::Document d = Json(r);
  CHECK(d["duration_s"].GetDouble() == 1.0);
  const auto& t = d["tests"][0];
  CheckSane(t, "SET", 0);
  // No batch starts after the deadline, and the run ends at a reply after it.
  CHECK(t["seconds"].GetDouble() >= 1.0);
  Conn c = srv.Connect();
  CHECK(CommandCalls(c.get(), "set") == static_cast<long long>(t["requests"].GetUint64()));
}

TEST_CASE("cli bench: mixed with --ratio sends SET and GET in that proportion") {
  TestServer srv;
  ToolResult r = Bench(
      srv.port(), {"-n", "4000", "-c", "8", "-t", "mixed", "--ratio", "1:3", "-r", "50", "--json"});
  INFO("stderr: ", r.err);
  REQUIRE(r.exit_code == 0);
  rapidjson::Document d = Json(r);
  CheckSane(d["tests"][0], "MIXED SET:GET 1:3", 4000);
  Conn c = srv.Connect();
  CHECK(CommandCalls(c.get(), "set") == 1000);
  CHECK(CommandCalls(c.get(), "get") == 3000);
}

TEST_CASE("cli bench: against Debian's redis-server, RESP2 and RESP3") {
  TestServer redis(RedisOptions({"--requirepass", "s3cret"}));
  ToolResult r =
      Bench(redis.port(), {"-n", "2000", "-r", "100", "-P", "4", "--json"}, {"-a", "s3cret"});
  INFO("stderr: ", r.err);
  REQUIRE(r.exit_code == 0);
  rapidjson::Document d = Json(r);
  REQUIRE(d["tests"].Size() == 4);
  CheckSane(d["tests"][0], "SET", 2000);
  CheckSane(d["tests"][1], "GET", 2000);
  CheckSane(d["tests"][2], "INCR", 2000);
  CheckSane(d["tests"][3], "MSET (10 keys)", 2000);
  r = Bench(redis.port(), {"-n", "1000", "-t", "get,incr", "--json"}, {"-a", "s3cret", "-3"});
  REQUIRE(r.exit_code == 0);
  d = Json(r);
  CheckSane(d["tests"][0], "GET", 1000);
  CheckSane(d["tests"][1], "INCR", 1000);

  redisContext* c = redisConnect("127.0.0.1", redis.port());
  REQUIRE(c != nullptr);
  CHECK(Cmd(c, {"AUTH", "s3cret"}).ok());
  CHECK(Cmd(c, {"GET", "counter:__rand_int__"}) == Bulk("1000"));
  CHECK(Cmd(c, {"EXISTS", "key:000000000000", "key:000000000099"}).integer >= 1);
  redisFree(c);

  // A wrong password stops the run before it starts.
  r = Bench(redis.port(), {"-n", "100", "-t", "get"}, {"-a", "wrong"});
  CHECK(r.exit_code == 1);
  CHECK(Contains(r.err, "AUTH failed: WRONGPASS"));
  // None at all: every request is refused, which is an error too.
  r = Bench(redis.port(), {"-n", "100", "-t", "get", "--json"});
  CHECK(r.exit_code == 1);
  d = Json(r);
  CHECK(d["tests"][0]["errors"].GetUint64() == 100);
  CHECK(Contains(d["tests"][0]["first_error"].GetString(), "NOAUTH"));
}

TEST_CASE("cli bench: --http against the /kv API") {
  ServerOptions opts;
  opts.http = true;
  TestServer srv(opts);
  REQUIRE(srv.http_port() > 0);
  const std::string url = "http://127.0.0.1:" + std::to_string(srv.http_port());
  ToolResult r = Bench(srv.port(), {"--http", url, "-n", "2000", "-c", "10", "-r", "50", "-t",
                                    "put,get,mixed", "-d", "8", "--json"});
  INFO("stderr: ", r.err);
  REQUIRE(r.exit_code == 0);
  rapidjson::Document d = Json(r);
  CHECK(std::string(d["protocol"].GetString()) == "http");
  REQUIRE(d["tests"].Size() == 3);
  CheckSane(d["tests"][0], "PUT /kv/{key}", 2000);
  CheckSane(d["tests"][1], "GET /kv/{key}", 2000);
  CheckSane(d["tests"][2], "MIXED PUT:GET 1:10", 2000);
  // The setup created every key of the keyspace; the PUTs wrote the value.
  Conn c = srv.Connect();
  CHECK(Keys(c, "key:*").size() == 50);
  CHECK(Cmd(c, {"GET", "key:000000000049"}) == Bulk("xxxxxxxx"));

  // Pipelined HTTP requests, two threads, one fixed key.
  r = Bench(srv.port(), {"--http", url, "-n", "3000", "-c", "6", "--threads", "2", "-P", "4", "-t",
                         "get", "--json"});
  REQUIRE(r.exit_code == 0);
  d = Json(r);
  CheckSane(d["tests"][0], "GET /kv/{key}", 3000);
  CHECK(Cmd(c, {"EXISTS", "key:__rand_int__"}) == Int(1));
}

TEST_CASE("cli bench: --http statuses outside 2xx are errors") {
  ServerOptions opts;
  opts.http = true;
  opts.args = {"--requirepass", "tok"};
  TestServer srv(opts);
  const std::string url = "http://127.0.0.1:" + std::to_string(srv.http_port());
  // Without the bearer token the setup's POSTs are 401: nothing to measure.
  ToolResult r = Bench(srv.port(), {"--http", url, "-n", "100", "-t", "get"});
  CHECK(r.exit_code == 1);
  CHECK(Contains(r.err, "HTTP 401"));
  r = Bench(srv.port(), {"--http", url, "-n", "100", "-t", "get", "--json"}, {"-a", "tok"});
  INFO("stderr: ", r.err);
  REQUIRE(r.exit_code == 0);
  CheckSane(Json(r)["tests"][0], "GET /kv/{key}", 100);
  // Keys that expire during the run: the setup finds them (409, fine), the GETs after the
  // expiry are 404s, counted as errors with the status as the first error.
  Conn c = srv.Connect();
  CHECK(Cmd(c, {"AUTH", "tok"}).ok());
  CHECK(Cmd(c, {"SET", "key:__rand_int__", "xxx", "PX", "2000"}).ok());
  r = Bench(srv.port(), {"--http", url, "--duration", "4", "-c", "2", "-t", "get", "--json"},
            {"-a", "tok"});
  {
    rapidjson::Document d = Json(r);
    const auto& t = d["tests"][0];
    CHECK(t["errors"].GetUint64() > 0);
    CHECK(t["errors"].GetUint64() <= t["requests"].GetUint64());
    CHECK(std::string(t["first_error"].GetString()) == "HTTP 404 Not Found");
    // Exit status 1 only when every request failed.
    CHECK((r.exit_code == 1) == (t["errors"].GetUint64() == t["requests"].GetUint64()));
  }
  // A path with no /kv API behind it answers 404 to everything, the setup included.
  r = Bench(srv.port(), {"--http", url + "/nowhere", "-n", "50", "-t", "get", "--json"},
            {"-a", "tok"});
  CHECK(r.exit_code == 1);
  CHECK(Contains(r.err, "HTTP 404"));
}

TEST_CASE("cli bench: connection refused") {
  const int port = FreeTcpPort();
  ToolResult r = Bench(port, {"-n", "10"});
  CHECK(r.exit_code == 1);
  CHECK(Contains(
      r.err, "Could not connect to 127.0.0.1:" + std::to_string(port) + ": Connection refused"));
  CHECK(r.out.empty());
}

TEST_CASE("cli bench: a server that dies mid-run ends the run with an error") {
  TestServer srv;
  srv.AcceptAnyExit();
  ToolResult r;
  std::thread runner([&] { r = Bench(srv.port(), {"--duration", "60", "-c", "4", "-t", "get"}); });
  Conn c = srv.Connect();
  // Wait until the bench's connections are in and requests flow, then kill the server.
  const bool running = WaitFor([&] { return CommandCalls(c.get(), "get") > 1000; },
                               milliseconds(20000), milliseconds(50));
  srv.Kill9();
  runner.join();
  CHECK(running);
  CHECK_FALSE(r.timed_out);
  CHECK(r.exit_code == 1);
  CHECK(Contains(r.err, "lost during GET"));
}

TEST_CASE("cli bench: error replies are counted and reported") {
  TestServer srv;
  Conn c = srv.Connect();
  CHECK(Cmd(c, {"SET", "counter:__rand_int__", "not a number"}).ok());
  ToolResult r = Bench(srv.port(), {"-n", "200", "-t", "incr", "--json"});
  CHECK(r.exit_code == 1);  // every request failed
  rapidjson::Document d = Json(r);
  const auto& t = d["tests"][0];
  CHECK(t["requests"].GetUint64() == 200);
  CHECK(t["errors"].GetUint64() == 200);
  CHECK(Contains(t["first_error"].GetString(), "not an integer"));
  CHECK(Contains(r.err, "every request failed"));
  // Some failing, some not (one of the two keys holds no integer): reported, but not an
  // exit status of its own.
  CHECK(Cmd(c, {"SET", "counter:000000000000", "abc"}).ok());
  r = Bench(srv.port(), {"-n", "200", "-r", "2", "-t", "incr", "--json"});
  CHECK(r.exit_code == 0);
  d = Json(r);
  CHECK(d["tests"][0]["errors"].GetUint64() > 0);
  CHECK(d["tests"][0]["errors"].GetUint64() < 200);
}

}  // namespace
}  // namespace pykv::it
