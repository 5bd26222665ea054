// pykv-cli's HTTP mode end to end: the real pykv-cli binary with --http against
// pykv-server's /kv API. Output is checked byte for byte in both formats (raw, as captured
// stdout is a pipe, and human with --no-raw), values and keys cross between RESP and HTTP,
// authentication uses -a as the bearer token, LIST follows pagination, and with several
// URLs the client skips a server that is down or whose /health says it is a replica (a
// fake one: the server has no replication yet). PyKV-only: every case skips itself in
// reference mode. Test cases are named "cli http: ..." (filter with -tc='cli http:*').
#include <algorithm>
#include <cstdio>
#include <set>
#include <string>
#include <vector>

#include "integration/http_client.h"
#include "integration/server_harness.h"
#include "unit/cli/http_fake_server.h"

namespace pykv::it {
namespace {

using namespace std::string_literals;

ServerOptions WithHttp(std::vector<std::string> args = {}) {
  ServerOptions o;
  o.args = std::move(args);
  o.http = true;
  return o;
}

std::string UrlOf(int port) {
  return "http://127.0.0.1:" + std::to_string(port);
}

// pykv-cli --http <urls> [extra options] <command...>, bounded.
ToolResult CliHttp(const std::string& urls, std::vector<std::string> args) {
  std::vector<std::string> argv = {PYKV_CLI_BIN, "--http", urls};
  argv.insert(argv.end(), args.begin(), args.end());
  return RunTool(argv, "", std::chrono::seconds(60));
}

std::string Describe(const ToolResult& r) {
  return "exit " + std::to_string(r.exit_code) + (r.timed_out ? " (timed out)" : "") +
         "\nstdout: " + r.out + "\nstderr: " + r.err;
}

// The count of SCAN calls the server has run (INFO commandstats).
long long ScanCalls(const Conn& c) {
  const std::string stat = InfoField(Info(c.get(), "commandstats"), "cmdstat_scan");
  long long calls = 0;
  if (std::sscanf(stat.c_str(), "calls=%lld", &calls) != 1) return 0;
  return calls;
}

TEST_CASE("cli http: SET, GET, DEL, UPDATE and EXISTS print as redis-cli does when piped") {
  if (ReferenceMode()) return;
  Fx s(WithHttp());
  const std::string url = UrlOf(s.srv.http_port());

  ToolResult r = CliHttp(url, {"set", "greeting", "hello"});
  CHECK_MESSAGE(r.exit_code == 0, Describe(r));
  CHECK(r.out == "OK\n");
  CHECK(r.err.empty());
  CHECK(s({"GET", "greeting"}) == Bulk("hello"));

  r = CliHttp(url, {"get", "greeting"});
  CHECK(r.exit_code == 0);
  CHECK(r.out == "hello\n");

  // SET overwrites like Redis (create, then update when the key exists).
  r = CliHttp(url, {"SET", "greeting", "bonjour"});
  CHECK(r.out == "OK\n");
  CHECK(s({"GET", "greeting"}) == Bulk("bonjour"));

  r = CliHttp(url, {"get", "missing"});
  CHECK_MESSAGE(r.exit_code == 0, Describe(r));
  CHECK(r.out == "\n");

  CHECK(s({"SET", "other", "x"}).ok());
  r = CliHttp(url, {"exists", "greeting", "other", "missing"});
  CHECK(r.out == "2\n");
  r = CliHttp(url, {"del", "greeting", "missing", "other"});
  CHECK(r.exit_code == 0);
  CHECK(r.out == "2\n");
  CHECK(s({"EXISTS", "greeting", "other"}) == Int(0));

  r = CliHttp(url, {"update", "missing", "v"});
  CHECK(r.exit_code == 1);
  CHECK(r.out == "ERR no such key\n\n");
  CHECK(s({"EXISTS", "missing"}) == Int(0));
  CHECK(s({"SET", "present", "old"}).ok());
  r = CliHttp(url, {"update", "present", "new"});
  CHECK(r.exit_code == 0);
  CHECK(r.out == "OK\n");
  CHECK(s({"GET", "present"}) == Bulk("new"));

  // SET NX and XX answer nil when their condition fails, as over RESP.
  r = CliHttp(url, {"set", "present", "v", "NX"});
  CHECK(r.exit_code == 0);
  CHECK(r.out == "\n");
  r = CliHttp(url, {"set", "absent", "v", "XX"});
  CHECK(r.out == "\n");
  CHECK(s({"GET", "present"}) == Bulk("new"));
  CHECK(s({"EXISTS", "absent"}) == Int(0));

  r = CliHttp(url, {"incr", "n"});
  CHECK(r.exit_code == 1);
  CHECK(r.out ==
        "ERR unknown command 'incr' in HTTP mode (supported: SET, GET, DEL, UPDATE, LIST, KEYS, "
        "EXISTS, TTL, PTTL, PING)\n\n");
}

TEST_CASE("cli http: --no-raw prints the human format") {
  if (ReferenceMode()) return;
  Fx s(WithHttp());
  const std::string url = UrlOf(s.srv.http_port());
  auto human = [&](std::vector<std::string> args) {
    args.insert(args.begin(), "--no-raw");
    return CliHttp(url, std::move(args));
  };
  CHECK(human({"set", "a", "hello"}).out == "OK\n");
  CHECK(human({"get", "a"}).out == "\"hello\"\n");
  ToolResult r = human({"get", "missing"});
  CHECK(r.exit_code == 0);
  CHECK(r.out == "(nil)\n");
  CHECK(human({"set", "b", "2"}).out == "OK\n");
  CHECK(human({"list"}).out == "1) \"a\"\n2) \"b\"\n");
  CHECK(human({"list", "zzz"}).out == "(empty array)\n");
  CHECK(human({"del", "a", "b", "missing"}).out == "(integer) 2\n");
  r = human({"update", "a", "v"});
  CHECK(r.exit_code == 1);
  CHECK(r.out == "(error) ERR no such key\n");
  CHECK(human({"ping"}).out == "PONG\n");
}

TEST_CASE("cli http: LIST and KEYS follow the pages of a listing") {
  if (ReferenceMode()) return;
  Fx s(WithHttp());
  const std::string url = UrlOf(s.srv.http_port());
  // More keys under the prefix than one page holds (1000), and others beside them.
  std::set<std::string> expected;
  for (int i = 0; i < 2500; ++i) {
    char key[16];
    std::snprintf(key, sizeof(key), "p:%04d", i);
    expected.insert(key);
    Append(s.c.get(), {"SET", key, "v"});
  }
  for (int i = 0; i < 300; ++i) Append(s.c.get(), {"SET", "q:" + std::to_string(i), "v"});
  for (int i = 0; i < 2800; ++i) REQUIRE(GetReply(s.c.get()).ok());

  const long long scans_before = ScanCalls(s.c);
  ToolResult r = CliHttp(url, {"list", "p:"});
  REQUIRE_MESSAGE(r.exit_code == 0, Describe(r));
  std::string want;
  for (const std::string& k : expected) want += k + "\n";
  CHECK(r.out == want);
  // 2500 keys take at least three pages.
  CHECK(ScanCalls(s.c) - scans_before >= 3);

  r = CliHttp(url, {"keys", "p:12?5"});
  CHECK(r.out ==
        "p:1205\np:1215\np:1225\np:1235\np:1245\np:1255\np:1265\np:1275\np:1285\np:1295\n");
  // LIST takes its argument literally: "p:1*" is no key's prefix (an empty array is an
  // empty line when raw, as redis-cli prints it).
  r = CliHttp(url, {"list", "p:1*"});
  CHECK(r.exit_code == 0);
  CHECK(r.out == "\n");
}

TEST_CASE("cli http: SET with EX or PX sets a TTL that RESP sees") {
  if (ReferenceMode()) return;
  Fx s(WithHttp());
  const std::string url = UrlOf(s.srv.http_port());
  ToolResult r = CliHttp(url, {"set", "t", "v", "EX", "100"});
  CHECK_MESSAGE(r.out == "OK\n", Describe(r));
  Reply ttl = s({"TTL", "t"});
  REQUIRE(ttl.is_int());
  CHECK(ttl.integer > 0);
  CHECK(ttl.integer <= 100);

  r = CliHttp(url, {"set", "t2", "v", "px", "50000"});
  CHECK(r.out == "OK\n");
  Reply pttl = s({"PTTL", "t2"});
  REQUIRE(pttl.is_int());
  CHECK(pttl.integer > 0);
  CHECK(pttl.integer <= 50000);

  // On an existing key (the update path) too.
  CHECK(s({"SET", "e", "old"}).ok());
  r = CliHttp(url, {"set", "e", "new", "EX", "100"});
  CHECK(r.out == "OK\n");
  CHECK(s({"GET", "e"}) == Bulk("new"));
  ttl = s({"TTL", "e"});
  CHECK(ttl.integer > 0);
  CHECK(ttl.integer <= 100);

  // TTL and PTTL read it back over HTTP.
  r = CliHttp(url, {"ttl", "t"});
  const int seconds = std::atoi(r.out.c_str());
  CHECK(seconds > 0);
  CHECK(seconds <= 100);
  CHECK(CliHttp(url, {"ttl", "e-missing"}).out == "-2\n");
  CHECK(s({"SET", "plain", "v"}).ok());
  CHECK(CliHttp(url, {"pttl", "plain"}).out == "-1\n");

  r = CliHttp(url, {"set", "t3", "v", "EX", "0"});
  CHECK(r.exit_code == 1);
  CHECK(r.out == "ERR invalid expire time in 'set' command\n\n");
  CHECK(s({"EXISTS", "t3"}) == Int(0));
}

TEST_CASE("cli http: values and keys with spaces, quotes and non-UTF-8 bytes cross RESP and HTTP") {
  if (ReferenceMode()) return;
  Fx s(WithHttp());
  const std::string url = UrlOf(s.srv.http_port());

  // Written over RESP, read over HTTP: the API sends it base64-encoded, the CLI decodes it.
  const std::string binary = "has space \"quoted\" \xff\x00 end"s;
  CHECK(s({"SET", "bin", binary}).ok());
  ToolResult r = CliHttp(url, {"get", "bin"});
  CHECK_MESSAGE(r.exit_code == 0, Describe(r));
  CHECK(r.out == binary + "\n");
  r = CliHttp(url, {"--no-raw", "get", "bin"});
  CHECK(r.out == "\"has space \\\"quoted\\\" \\xff\\x00 end\"\n");

  // Written over HTTP, read over RESP.
  const std::string text = "caf\xc3\xa9 with \"quotes\", a\ttab and a / slash";
  r = CliHttp(url, {"set", "key with space/and?query", text});
  CHECK_MESSAGE(r.out == "OK\n", Describe(r));
  CHECK(s({"GET", "key with space/and?query"}) == Bulk(text));
  CHECK(CliHttp(url, {"get", "key with space/and?query"}).out == text + "\n");

  // A key that is not UTF-8 (written over RESP) is listed, read and deleted over HTTP.
  const std::string odd_key = "odd\xfekey";
  CHECK(s({"SET", odd_key, "v"}).ok());
  CHECK(CliHttp(url, {"list", "odd"}).out == odd_key + "\n");
  CHECK(CliHttp(url, {"get", odd_key}).out == "v\n");
  CHECK(CliHttp(url, {"set", odd_key, "w"}).out == "OK\n");  // exists: updated in place
  CHECK(s({"GET", odd_key}) == Bulk("w"));
  CHECK(CliHttp(url, {"del", odd_key}).out == "1\n");
  CHECK(s({"EXISTS", odd_key}) == Int(0));

  // A value that is not UTF-8 cannot be a JSON string: refused before anything is sent.
  r = CliHttp(url, {"set", "nope", "bad\xff"});
  CHECK(r.exit_code == 1);
  CHECK(r.out ==
        "ERR the value is not UTF-8 text, which the HTTP API cannot carry (use RESP mode)\n\n");
  CHECK(s({"EXISTS", "nope"}) == Int(0));
}

TEST_CASE("cli http: with requirepass, -a is the bearer token") {
  if (ReferenceMode()) return;
  TestServer srv(WithHttp({"--requirepass", "s3cret"}));
  const std::string url = UrlOf(srv.http_port());

  ToolResult r = CliHttp(url, {"set", "k", "v"});
  CHECK(r.exit_code == 1);
  CHECK(r.out == "NOAUTH Authentication required (HTTP 401: Not authenticated)\n\n");
  r = CliHttp(url, {"-a", "wrong", "get", "k"});
  CHECK(r.exit_code == 1);
  CHECK(r.out == "WRONGPASS invalid password (HTTP 401: Not authenticated)\n\n");

  r = CliHttp(url, {"-a", "s3cret", "set", "k", "v"});
  CHECK_MESSAGE(r.exit_code == 0, Describe(r));
  CHECK(r.out == "OK\n");
  r = CliHttp(url, {"-a", "s3cret", "get", "k"});
  CHECK(r.out == "v\n");
  Conn c = srv.Connect();
  CHECK(Cmd(c, {"AUTH", "s3cret"}).ok());
  CHECK(Cmd(c, {"GET", "k"}) == Bulk("v"));
}

TEST_CASE("cli http: a server that is down is a connection error") {
  if (ReferenceMode()) return;
  const int port = UnusedTcpPort();
  REQUIRE(port > 0);
  ToolResult r = CliHttp(UrlOf(port), {"get", "k"});
  CHECK(r.exit_code == 1);
  CHECK(r.out.empty());
  CHECK(r.err == "Could not connect to " + UrlOf(port) + ": Connection refused\n");
}

TEST_CASE("cli http: with several URLs, one that is down is skipped") {
  if (ReferenceMode()) return;
  Fx s(WithHttp());
  const int down = UnusedTcpPort();
  REQUIRE(down > 0);
  const std::string urls = UrlOf(down) + "," + UrlOf(s.srv.http_port());
  ToolResult r = CliHttp(urls, {"set", "k", "v"});
  CHECK_MESSAGE(r.exit_code == 0, Describe(r));
  CHECK(r.out == "OK\n");
  CHECK(s({"GET", "k"}) == Bulk("v"));
  CHECK(CliHttp(urls, {"get", "k"}).out == "v\n");
}

TEST_CASE("cli http: with several URLs, the one whose /health says master is used") {
  if (ReferenceMode()) return;
  Fx s(WithHttp());
  const std::string real = UrlOf(s.srv.http_port());
  testing::FakeHttpServer replica(testing::ReplicaAnswer);
  REQUIRE(replica.port() > 0);

  // The replica first, then last: the order of the list does not matter.
  ToolResult r = CliHttp(replica.url() + "," + real, {"set", "k1", "v1"});
  CHECK_MESSAGE(r.exit_code == 0, Describe(r));
  CHECK(r.out == "OK\n");
  r = CliHttp(real + "," + replica.url(), {"set", "k2", "v2"});
  CHECK(r.out == "OK\n");
  CHECK(s({"GET", "k1"}) == Bulk("v1"));
  CHECK(s({"GET", "k2"}) == Bulk("v2"));
  // The replica was only asked for its role, never sent a write.
  for (const std::string& req : replica.requests()) CHECK(req == "GET /health");
  CHECK(!replica.requests().empty());

  // Pointed at the replica alone, the CLI uses it and shows its refusal.
  r = CliHttp(replica.url(), {"set", "k3", "v3"});
  CHECK(r.exit_code == 1);
  CHECK(r.out == "READONLY You can't write against a read only replica.\n\n");
}

}  // namespace
}  // namespace pykv::it
