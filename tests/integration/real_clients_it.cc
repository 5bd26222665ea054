// Real peers from Debian's redis-tools against the server: redis-cli (one-shot commands,
// --scan, --pipe mass insertion, --bigkeys, RESP3 with -3, AUTH) and redis-benchmark.
#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "integration/server_harness.h"

namespace pykv::it {
namespace {

std::vector<std::string> SplitLines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) out.push_back(line);
  return out;
}

ToolResult Cli(const TestServer& srv, std::vector<std::string> args,
               const std::string& stdin_path = "") {
  std::vector<std::string> argv = {"redis-cli", "-p", std::to_string(srv.port())};
  argv.insert(argv.end(), args.begin(), args.end());
  return RunTool(argv, stdin_path);
}

TEST_CASE("redis-cli one-shot commands") {
  TestServer srv;
  ToolResult r = Cli(srv, {"set", "a", "b"});
  CHECK(r.exit_code == 0);
  CHECK(r.out == "OK\n");
  r = Cli(srv, {"get", "a"});
  CHECK(r.out == "b\n");
  r = Cli(srv, {"get", "nokey"});
  CHECK(r.out == "\n");
  r = Cli(srv, {"incr", "n"});
  CHECK(r.out == "1\n");
  r = Cli(srv, {"mget", "a", "nokey", "n"});
  CHECK(r.out == "b\n\n1\n");
  r = Cli(srv, {"nosuch"});
  CHECK(r.out == "ERR unknown command 'nosuch', with args beginning with: \n\n");
  r = Cli(srv, {"info", "server"});
  CHECK(Contains(r.out, "redis_version:"));
  // Arguments with spaces and binary-looking bytes pass through unchanged.
  r = Cli(srv, {"set", "key with space", "value\twith\ttabs"});
  CHECK(r.out == "OK\n");
  Conn c = srv.Connect();
  CHECK(Cmd(c, {"GET", "key with space"}) == Bulk("value\twith\ttabs"));
  // -x reads the last argument from stdin.
  std::string in_path = srv.dir() + "/stdin.txt";
  std::ofstream(in_path) << "from stdin";
  r = Cli(srv, {"-x", "set", "fromfile"}, in_path);
  CHECK(r.out == "OK\n");
  CHECK(Cmd(c, {"GET", "fromfile"}) == Bulk("from stdin"));
  // -n 0 selects database 0 first.
  r = Cli(srv, {"-n", "0", "dbsize"});
  CHECK(r.out == "4\n");
}

TEST_CASE("redis-cli RESP3 and AUTH") {
  TestServer srv({"--requirepass", "secret"});
  ToolResult r = Cli(srv, {"ping"});
  CHECK(Contains(r.out, "NOAUTH Authentication required."));
  r = Cli(srv, {"-a", "secret", "--no-auth-warning", "set", "x", "y"});
  CHECK(r.out == "OK\n");
  r = Cli(srv, {"-a", "wrong", "--no-auth-warning", "get", "x"});
  CHECK(Contains(r.out + r.err, "WRONGPASS"));
  r = Cli(srv, {"-3", "-a", "secret", "--no-auth-warning", "debug", "protocol", "map"});
  CHECK(r.out == "0 (false)\n1 (true)\n2 (false)\n");
  r = Cli(srv, {"-3", "-a", "secret", "--no-auth-warning", "debug", "protocol", "double"});
  CHECK(r.out == "3.141\n");
  r = Cli(srv, {"-3", "-a", "secret", "--no-auth-warning", "get", "x"});
  CHECK(r.out == "y\n");
}

TEST_CASE("redis-cli --scan --bigkeys --memkeys") {
  TestServer srv;
  Conn c = srv.Connect();
  std::set<std::string> expected;
  for (int i = 0; i < 300; ++i) {
    std::string k = "k" + std::to_string(i);
    expected.insert(k);
    REQUIRE(Cmd(c, {"SET", k, std::string(i % 17, 'v')}) == Ok());
  }
  for (int i = 0; i < 50; ++i) REQUIRE(Cmd(c, {"SET", "other" + std::to_string(i), "v"}) == Ok());
  REQUIRE(Cmd(c, {"SET", "biggest", std::string(1000, 'x')}) == Ok());
  ToolResult r = Cli(srv, {"--scan", "--pattern", "k*"});
  CHECK(r.exit_code == 0);
  std::vector<std::string> lines = SplitLines(r.out);
  std::set<std::string> got(lines.begin(), lines.end());
  CHECK(got == expected);
  CHECK(lines.size() == expected.size());  // no duplicates on a quiet keyspace

  r = Cli(srv, {"--bigkeys"});
  CHECK(r.exit_code == 0);
  CHECK(Contains(r.out, "Biggest string found '\"biggest\"' has 1000 bytes"));
  CHECK(Contains(r.out, "351 strings with"));
  r = Cli(srv, {"--memkeys"});
  CHECK(r.exit_code == 0);
  CHECK(Contains(r.out, "Biggest string found '\"biggest\"'"));
  CHECK(Contains(r.out, "351 strings with"));
}

TEST_CASE("redis-cli --pipe mass insertion") {
  const size_t n = Scaled(1000000, 100000);
  TestServer srv;
  std::string path = srv.dir() + "/mass.resp";
  {
    std::string buf;
    buf.reserve(n * 48);
    for (size_t i = 0; i < n; ++i) {
      std::string key = "key:" + std::to_string(i);
      std::string val = "val:" + std::to_string(i);
      buf += "*3\r\n$3\r\nSET\r\n$" + std::to_string(key.size()) + "\r\n" + key + "\r\n$" +
             std::to_string(val.size()) + "\r\n" + val + "\r\n";
    }
    std::ofstream out(path, std::ios::binary);
    out << buf;
    REQUIRE(out.good());
  }
  ToolResult r = Cli(srv, {"--pipe"}, path);
  CHECK(r.exit_code == 0);
  CHECK_MESSAGE(Contains(r.out, "errors: 0, replies: " + std::to_string(n)), r.out << r.err);
  CHECK(!r.timed_out);
  Conn c = srv.Connect();
  CHECK(Cmd(c, {"DBSIZE"}) == Int(static_cast<long long>(n)));
  CHECK(Cmd(c, {"GET", "key:0"}) == Bulk("val:0"));
  CHECK(Cmd(c, {"GET", "key:" + std::to_string(n - 1)}) == Bulk("val:" + std::to_string(n - 1)));
  CHECK(InfoField(Info(c.get(), "keyspace"), "db0") ==
        "keys=" + std::to_string(n) + ",expires=0,avg_ttl=0");
}

void CheckBenchmark(const ToolResult& r) {
  CHECK(r.exit_code == 0);
  CHECK(!r.timed_out);
  int rps = 0;
  for (size_t pos = 0; (pos = r.out.find("requests per second", pos)) != std::string::npos; ++pos) {
    ++rps;
  }
  CHECK_MESSAGE(rps >= 4, r.out << r.err);
  for (const char* test : {"SET: ", "GET: ", "INCR: ", "MSET (10 keys): "}) {
    CHECK_MESSAGE(Contains(r.out, test), test);
  }
  CHECK(!Contains(r.out + r.err, "rror"));
}

TEST_CASE("redis-benchmark completes") {
  TestServer srv;
  const std::string n = std::to_string(Scaled(20000, 5000));
  std::string port = std::to_string(srv.port());
  ToolResult r = RunTool({"redis-benchmark", "-p", port, "-t", "set,get,incr,mset", "-n", n, "-q"});
  CheckBenchmark(r);
  r = RunTool(
      {"redis-benchmark", "-p", port, "-t", "set,get,incr,mset", "-n", n, "-P", "16", "-q"});
  CheckBenchmark(r);
  // With random keys and 50 clients.
  r = RunTool({"redis-benchmark", "-p", port, "-t", "set,get,incr,mset", "-n", n, "-r", "10000",
               "-c", "50", "-d", "100", "-q"});
  CheckBenchmark(r);
  Conn c = srv.Connect();
  CHECK(Cmd(c, {"GET", "counter:__rand_int__"}).is_bulk());
  CHECK(Cmd(c, {"DBSIZE"}).integer > 100);
  CHECK(Cmd(c, {"PING"}) == St("PONG"));
}

}  // namespace
}  // namespace pykv::it
