// pykv-cli over RESP: the real binary against pykv-server and against Debian's redis-server
// and redis-sentinel. Output formats (raw when piped, --no-raw), byte-identical to
// redis-cli's for the same replies; piped stdin; -x, -r, -u; errors and exit statuses;
// MONITOR streaming; the sentinel lookup and following a failover.
#include <doctest/doctest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "integration/server_harness.h"

namespace pykv::it {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

// A file holding `text`, removed with the object; an empty path when there is no text.
class InputFile {
 public:
  explicit InputFile(const std::string& text) {
    std::string tmpl = (std::filesystem::temp_directory_path() / "pykv-cli-in-XXXXXX").string();
    int fd = mkstemp(tmpl.data());
    REQUIRE(fd >= 0);
    close(fd);
    path_ = tmpl;
    std::ofstream(path_, std::ios::binary) << text;
  }
  ~InputFile() { std::filesystem::remove(path_); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

ToolResult Cli(std::vector<std::string> args, const std::string& input = "") {
  args.insert(args.begin(), PYKV_CLI_BIN);
  if (input.empty()) return RunTool(args, "", seconds(60));
  InputFile in(input);
  return RunTool(args, in.path(), seconds(60));
}

// pykv-cli against `port` with extra arguments.
ToolResult CliAt(int port, std::vector<std::string> args, const std::string& input = "") {
  args.insert(args.begin(), {"-p", std::to_string(port)});
  return Cli(std::move(args), input);
}

ToolResult RedisCliAt(int port, std::vector<std::string> args) {
  args.insert(args.begin(), {"redis-cli", "-p", std::to_string(port)});
  return RunTool(args, "", seconds(60));
}

TEST_CASE("pykv-cli: every reply type, raw when piped and formatted with --no-raw") {
  TestServer server;
  const int p = server.port();
  struct Case {
    std::vector<std::string> args;
    std::string raw;
    std::string human;
    int exit_code;
  };
  const std::vector<Case> cases = {
      {{"set", "k", "hello"}, "OK\n", "OK\n", 0},
      {{"get", "k"}, "hello\n", "\"hello\"\n", 0},
      {{"get", "missing"}, "\n", "(nil)\n", 0},
      {{"exists", "k"}, "1\n", "(integer) 1\n", 0},
      {{"mget", "k", "missing"}, "hello\n\n", "1) \"hello\"\n2) (nil)\n", 0},
      {{"keys", "zz*"}, "\n", "(empty array)\n", 0},
      {{"scan", "0"}, "0\nk\n", "1) \"0\"\n2) 1) \"k\"\n", 0},
      {{"-3", "config", "get", "maxmemory"}, "maxmemory 0\n", "1# \"maxmemory\" => \"0\"\n", 0},
      {{"config", "get", "maxmemory"}, "maxmemory\n0\n", "1) \"maxmemory\"\n2) \"0\"\n", 0},
      {{"incr", "k"},
       "ERR value is not an integer or out of range\n\n",
       "(error) ERR value is not an integer or out of range\n",
       1},
  };
  for (const Case& c : cases) {
    std::string label;
    for (const auto& a : c.args) label += a + " ";
    CAPTURE(label);
    ToolResult raw = CliAt(p, c.args);
    CHECK(raw.out == c.raw);
    CHECK(raw.exit_code == c.exit_code);
    std::vector<std::string> human_args = c.args;
    human_args.insert(human_args.begin(), "--no-raw");
    ToolResult human = CliAt(p, human_args);
    CHECK(human.out == c.human);
    CHECK(human.exit_code == c.exit_code);
  }
  // A value with quotes, a newline and a byte outside ASCII: quoted with C escapes, and raw
  // as it is.
  Conn c = server.Connect();
  REQUIRE(Cmd(c, {"SET", "odd", std::string("a\"b\n\xff", 5)}) == Ok());
  CHECK(CliAt(p, {"--no-raw", "get", "odd"}).out == "\"a\\\"b\\n\\xff\"\n");
  CHECK(CliAt(p, {"get", "odd"}).out == std::string("a\"b\n\xff\n", 6));
  // --raw wins over the default of a terminal; an argument that looks like an option is
  // the command's.
  CHECK(CliAt(p, {"--raw", "set", "neg", "-1"}).out == "OK\n");
  CHECK(CliAt(p, {"get", "neg"}).out == "-1\n");
}

TEST_CASE("pykv-cli: the pykv link runs the design's example") {
  TestServer server;
  const std::string pykv = (std::filesystem::path(PYKV_CLI_BIN).parent_path() / "pykv").string();
  REQUIRE(std::filesystem::is_symlink(pykv));
  const std::string port = std::to_string(server.port());
  // --no-raw: what a terminal shows (the captured stdout is a pipe).
  ToolResult set = RunTool({pykv, "-p", port, "--no-raw", "set", "mykey", "hello"});
  CHECK(set.out == "OK\n");
  ToolResult get = RunTool({pykv, "-p", port, "--no-raw", "get", "mykey"});
  CHECK(get.out == "\"hello\"\n");
  CHECK(get.exit_code == 0);
}

TEST_CASE("pykv-cli: output is byte-identical to redis-cli's for the same replies") {
  ServerOptions opts;
  opts.program = ServerOptions::Program::kRedis;
  TestServer redis(opts);
  const int p = redis.port();
  Conn c = redis.Connect();
  REQUIRE(Cmd(c, {"SET", "s", "hello world"}) == Ok());
  REQUIRE(Cmd(c, {"RPUSH", "l", "a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k"}) == Int(11));
  REQUIRE(Cmd(c, {"HSET", "h", "f1", "v1", "f2", "v2"}) == Int(2));
  REQUIRE(Cmd(c, {"SADD", "set", "1", "2", "3"}) == Int(3));
  REQUIRE(Cmd(c, {"ZADD", "z", "1.5", "a", "2", "b"}) == Int(2));
  const std::vector<std::vector<std::string>> commands = {
      {"get", "s"},
      {"get", "missing"},
      {"lrange", "l", "0", "-1"},
      {"lrange", "missing", "0", "-1"},
      {"hgetall", "h"},
      {"hgetall", "missing"},
      {"smembers", "set"},
      {"smembers", "missing"},
      {"zrange", "z", "0", "-1", "withscores"},
      {"zscore", "z", "a"},
      {"incr", "s"},
      {"command", "docs", "get"},
      {"config", "get", "maxmemory*"},
      {"info", "keyspace"},
      {"eval", "redis.setresp(3); return true", "0"},
      {"eval", "redis.setresp(3); return false", "0"},
      {"eval", "return {1, {2, {3}}, {}, 'x'}", "0"},
      {"ping"},
  };
  for (const char* proto : {"-2", "-3"}) {
    for (const char* format : {"--raw", "--no-raw"}) {
      for (const auto& cmd : commands) {
        std::vector<std::string> args = {format};
        if (std::string(proto) == "-3") args.push_back("-3");
        args.insert(args.end(), cmd.begin(), cmd.end());
        std::string label;
        for (const auto& a : args) label += a + " ";
        CAPTURE(label);
        ToolResult ours = CliAt(p, args);
        ToolResult theirs = RedisCliAt(p, args);
        REQUIRE(theirs.exit_code == 0);
        // INFO's uptime-free keyspace section and every other reply are deterministic.
        CHECK(ours.out == theirs.out);
      }
    }
  }
}

TEST_CASE("pykv-cli: errors and exit statuses") {
  // Nothing listens on a port that was just free.
  TestServer probe;
  const int dead_port = probe.port();
  probe.Stop();
  ToolResult down = CliAt(dead_port, {"ping"});
  CHECK(down.exit_code == 1);
  CHECK(down.err ==
        "Could not connect to 127.0.0.1:" + std::to_string(dead_port) + ": Connection refused\n");
  CHECK(down.out.empty());

  TestServer server({"--requirepass", "s3cret"});
  const int p = server.port();
  ToolResult noauth = CliAt(p, {"ping"});
  CHECK(noauth.exit_code == 1);
  CHECK(noauth.out == "NOAUTH Authentication required.\n\n");

  ToolResult bad = CliAt(p, {"-a", "wrong", "ping"});
  CHECK(bad.exit_code == 1);
  CHECK(bad.err.find("Warning: Using a password with '-a'") != std::string::npos);
  CHECK(bad.err.find("AUTH failed: WRONGPASS") != std::string::npos);
  CHECK(bad.out.empty());

  ToolResult good = CliAt(p, {"-a", "s3cret", "--no-auth-warning", "ping"});
  CHECK(good.exit_code == 0);
  CHECK(good.out == "PONG\n");
  CHECK(good.err.empty());

  ToolResult uri = Cli({"-u", "pykv://:s3cret@127.0.0.1:" + std::to_string(p), "--no-auth-warning",
                        "set", "k", "v"});
  CHECK(uri.exit_code == 0);
  CHECK(uri.out == "OK\n");
  ToolResult redis_uri = Cli({"-u", "redis://default:s3cret@127.0.0.1:" + std::to_string(p) + "/0",
                              "--no-auth-warning", "get", "k"});
  CHECK(redis_uri.out == "v\n");
  ToolResult bad_uri = Cli({"-u", "http://127.0.0.1:1", "ping"});
  CHECK(bad_uri.exit_code == 1);
  CHECK(bad_uri.err.find("Invalid URI scheme") != std::string::npos);
  ToolResult db_uri = Cli({"-u", "pykv://127.0.0.1:" + std::to_string(p) + "/3", "ping"});
  CHECK(db_uri.exit_code == 1);
  CHECK(db_uri.err.find("database 0 only") != std::string::npos);
}

TEST_CASE("pykv-cli: SHUTDOWN prints nothing and succeeds, and is never sent twice") {
  TestServer server;
  const int p = server.port();
  ToolResult r = CliAt(p, {"shutdown"});
  CHECK(r.exit_code == 0);
  CHECK(r.out.empty());
  CHECK(r.err.empty());
  CHECK(server.WaitExit(milliseconds(10000)).has_value());
  // Against no server it is a connection error like any other command.
  ToolResult again = CliAt(p, {"shutdown"});
  CHECK(again.exit_code == 1);
  CHECK(Contains(again.err, "Could not connect"));
}

TEST_CASE("pykv-cli: commands piped on stdin, -x and -r/-i") {
  TestServer server;
  const int p = server.port();
  ToolResult piped = CliAt(p, {},
                           "set a 1\n"
                           "\n"
                           "incr a\r\n"
                           "set \"two words\" 'it\\'s'\n"
                           "get \"two words\"\n"
                           "get \"unbalanced\n"
                           "incrby a notanumber\n"
                           "get a\n");
  CHECK(piped.out ==
        "OK\n"
        "2\n"
        "OK\n"
        "it's\n"
        "ERR value is not an integer or out of range\n\n"
        "2\n");
  CHECK(piped.err == "Invalid argument(s)\n");
  CHECK(piped.exit_code == 1);  // an error reply (and a bad line) in the script

  ToolResult clean = CliAt(p, {}, "set b 1\nget b\nquit\nget a\n");
  CHECK(clean.out == "OK\n1\n");
  CHECK(clean.exit_code == 0);

  // -x: the last argument is all of stdin, newlines and all.
  ToolResult x = CliAt(p, {"-x", "set", "blob"}, "line one\nline two\n");
  CHECK(x.out == "OK\n");
  Conn c = server.Connect();
  CHECK(Cmd(c, {"GET", "blob"}) == Bulk("line one\nline two\n"));

  // -r: repeated, -i apart.
  ToolResult r = CliAt(p, {"-r", "3", "-i", "0.05", "incr", "counter"});
  CHECK(r.out == "1\n2\n3\n");
  CHECK(r.exit_code == 0);
}

TEST_CASE("pykv-cli: MONITOR keeps printing until the connection ends") {
  TestServer server;
  const int p = server.port();
  std::atomic<bool> stop{false};
  std::thread writer([&] {
    Conn c = server.TryConnect();
    if (c == nullptr) return;
    // Bounded: the monitor is killed by its own timeout below at the latest.
    for (int i = 0; i < 400 && !stop.load(); ++i) {
      Cmd(c, {"SET", "watched", std::to_string(i)});
      std::this_thread::sleep_for(milliseconds(10));
    }
  });
  ToolResult mon = RunTool({PYKV_CLI_BIN, "-p", std::to_string(p), "monitor"}, "", seconds(2));
  stop = true;
  writer.join();
  CHECK(mon.timed_out);  // it never stops by itself
  CHECK(mon.out.rfind("OK\n", 0) == 0);
  CHECK(mon.out.find("\"SET\" \"watched\"") != std::string::npos);
}

// The sentinel's view of the master name: "host:port", or empty.
std::string MasterAddress(const TestServer& sentinel) {
  Conn c = sentinel.TryConnect(2);
  if (c == nullptr) return "";
  Reply r = Cmd(c, {"SENTINEL", "GET-MASTER-ADDR-BY-NAME", "pair"});
  if (r.elements.size() != 2) return "";
  return r.elements[0].str + ":" + r.elements[1].str;
}

TEST_CASE("pykv-cli: --sentinel finds the primary and follows a failover") {
  using Program = ServerOptions::Program;
  ServerOptions primary_opts;
  primary_opts.program = Program::kRedis;
  TestServer primary(primary_opts);
  ServerOptions replica_opts;
  replica_opts.program = Program::kRedis;
  replica_opts.args = {"--replicaof", "127.0.0.1", std::to_string(primary.port())};
  TestServer replica(replica_opts);
  ServerOptions sentinel_opts;
  sentinel_opts.program = Program::kSentinel;
  sentinel_opts.config_text = "sentinel monitor pair 127.0.0.1 " + std::to_string(primary.port()) +
                              " 1\n"
                              "sentinel down-after-milliseconds pair 1000\n"
                              "sentinel failover-timeout pair 10000\n";
  TestServer sentinel(sentinel_opts);
  const std::string sentinel_addr = "127.0.0.1:" + std::to_string(sentinel.port());
  const std::string primary_addr = "127.0.0.1:" + std::to_string(primary.port());
  const std::string replica_addr = "127.0.0.1:" + std::to_string(replica.port());

  // The replica is in sync and the sentinel knows it.
  REQUIRE(WaitFor(
      [&] {
        Conn c = replica.TryConnect(2);
        return c != nullptr &&
               InfoField(Info(c.get(), "replication"), "master_link_status") == "up";
      },
      milliseconds(20000), milliseconds(100)));
  REQUIRE(WaitFor(
      [&] {
        Conn c = sentinel.TryConnect(2);
        if (c == nullptr) return false;
        Reply r = Cmd(c, {"SENTINEL", "REPLICAS", "pair"});
        return r.elements.size() == 1;
      },
      milliseconds(20000), milliseconds(100)));
  CHECK(MasterAddress(sentinel) == primary_addr);

  ToolResult set = Cli({"--sentinel", sentinel_addr, "--master", "pair", "set", "k", "v1"});
  CHECK(set.exit_code == 0);
  CHECK(set.out == "OK\n");
  {
    Conn c = primary.Connect();
    CHECK(Cmd(c, {"GET", "k"}) == Bulk("v1"));
  }
  ToolResult unknown =
      Cli({"--sentinel", sentinel_addr, "--master", "nope", "--failover-timeout", "0", "ping"});
  CHECK(unknown.exit_code == 1);
  CHECK(unknown.err.find("does not know a master named 'nope'") != std::string::npos);

  // One pykv-cli session reads commands from a pipe; between two of them the sentinel
  // moves the primary to the replica. The second command must land on the new primary.
  std::string fifo = primary.dir() + "/cli-input";
  REQUIRE(mkfifo(fifo.c_str(), 0600) == 0);
  std::atomic<int> phase{0};
  std::thread feeder([&] {
    std::ofstream in(fifo);
    in << "set before failover\n" << std::flush;
    // Bounded: the main thread moves to phase 1 or gives up (phase 2) within its waits.
    for (int i = 0; i < 1200 && phase.load() == 0; ++i)
      std::this_thread::sleep_for(milliseconds(100));
    in << "set after failover\nget before\n" << std::flush;
  });
  std::thread failover([&] {
    WaitFor(
        [&] {
          Conn c = primary.TryConnect(2);
          return c != nullptr && Cmd(c, {"GET", "before"}) == Bulk("failover");
        },
        milliseconds(20000), milliseconds(50));
    Conn s = sentinel.TryConnect(2);
    Reply r = s == nullptr ? Reply() : Cmd(s, {"SENTINEL", "FAILOVER", "pair"});
    // Moved once the sentinel names the replica and has turned the old primary into a
    // replica too (sentinel waits a few seconds before it reconfigures a returning master).
    bool moved =
        r == Ok() && WaitFor(
                         [&] {
                           if (MasterAddress(sentinel) != replica_addr) return false;
                           Conn old = primary.TryConnect(2);
                           return old != nullptr &&
                                  InfoField(Info(old.get(), "replication"), "role") == "slave";
                         },
                         milliseconds(60000), milliseconds(100));
    phase = moved ? 1 : 2;
  });
  ToolResult session = RunTool(
      {PYKV_CLI_BIN, "--sentinel", sentinel_addr, "--master", "pair", "--failover-timeout", "30"},
      fifo, seconds(150));
  failover.join();
  feeder.join();
  REQUIRE(phase.load() == 1);
  CHECK(session.exit_code == 0);
  CHECK(session.out == "OK\nOK\nfailover\n");
  Conn c = replica.Connect();
  CHECK(Cmd(c, {"GET", "after"}) == Bulk("failover"));
  CHECK(InfoField(Info(c.get(), "replication"), "role") == "master");
}

}  // namespace
}  // namespace pykv::it
