// redis.conf compatibility end to end: Debian's stock /etc/redis/redis.conf starts the
// server (with the overrides a user test needs), the options PyKV only accepts keep the
// file's values through CONFIG GET and CONFIG REWRITE and are named once in the start-up
// log, the replication options and their second names answer as Redis 7.0's do, bad
// values and unknown directives are refused with Redis's texts, SELECT of another database
// is refused, and `daemonize yes` detaches as redis-server does. Where the behaviour is
// Redis's, the cases also pass against redis-server (PYKV_IT_REFERENCE_SERVER).
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "integration/server_harness.h"
#include "support/temp_files.h"

namespace pykv::it {
namespace {

using testing::ReadFile;
using testing::TempDir;
using testing::WriteFile;

namespace fs = std::filesystem;
using std::chrono::milliseconds;

constexpr const char* kStockConf = "/etc/redis/redis.conf";

std::string ReadText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

size_t CountOf(const std::string& haystack, const std::string& needle) {
  size_t n = 0;
  for (size_t at = haystack.find(needle); at != std::string::npos;
       at = haystack.find(needle, at + needle.size())) {
    ++n;
  }
  return n;
}

// The server binary's verdict on a config file, without starting a server: the file is
// read before the command line, so a file that loads reaches `--port -1`, which is refused.
ToolResult CheckConfig(const std::string& text) {
  TempDir dir;
  const std::string path = dir.File("check.conf");
  std::ofstream(path) << text;
  return RunTool({ServerBinary(), path, "--port", "-1"}, "", std::chrono::seconds(20));
}

// Debian's file as a user test would take it.
std::string StockConfText() {
  return ReadText(kStockConf);
}

// What a start-up log line lists after `prefix` (", "-separated), or empty.
std::vector<std::string> ListedAfter(const std::string& log, const std::string& prefix) {
  const size_t at = log.find(prefix);
  if (at == std::string::npos) return {};
  const size_t start = at + prefix.size();
  const std::string list = log.substr(start, log.find('\n', start) - start);
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos <= list.size()) {
    const size_t comma = list.find(", ", pos);
    out.push_back(list.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos));
    if (comma == std::string::npos) break;
    pos = comma + 2;
  }
  return out;
}

constexpr const char* kNoEffectPrefix =
    "Redis options accepted for compatibility, with no effect in PyKV: ";

TEST_CASE("redis.conf: Debian's stock file starts, keeps its values and names them once") {
  // Debian's redis-server package (tools/install-deps.sh) puts it there.
  REQUIRE_MESSAGE(fs::exists(kStockConf), "no ", kStockConf, ": run tools/install-deps.sh");
  ServerOptions opts;
  opts.config_text = StockConfText();
  // The overrides a user test needs (the harness adds port, dir and logfile), plus a few
  // accepted-only options set away from their defaults on the command line.
  opts.args = {
      "--daemonize",      "no", "--pidfile",        "server.pid", "--hll-sparse-max-bytes", "2000",
      "--rdbcompression", "no", "--slave-priority", "7"};
  Fx s(opts);
  CHECK(s({"PING"}) == St("PONG"));
  // The pidfile (relative: inside dir) names the server.
  CHECK(std::atoi(ReadText(s.srv.dir() + "/server.pid").c_str()) == s.srv.pid());

  // The file's values, and the command line's on top.
  CHECK(s({"CONFIG", "GET", "proc-title-template"}) ==
        Bulks({"proc-title-template", "{title} {listen-addr} {server-mode}"}));
  CHECK(s({"CONFIG", "GET", "oom-score-adj-values"}) ==
        Bulks({"oom-score-adj-values", "0 200 800"}));
  CHECK(s({"CONFIG", "GET", "set-proc-title"}) == Bulks({"set-proc-title", "yes"}));
  CHECK(s({"CONFIG", "GET", "repl-diskless-load"}) == Bulks({"repl-diskless-load", "disabled"}));
  CHECK(s({"CONFIG", "GET", "list-max-listpack-size"}) == Bulks({"list-max-listpack-size", "-2"}));
  CHECK(s({"CONFIG", "GET", "hll-sparse-max-bytes"}) == Bulks({"hll-sparse-max-bytes", "2000"}));
  CHECK(s({"CONFIG", "GET", "rdbcompression"}) == Bulks({"rdbcompression", "no"}));
  CHECK(s({"CONFIG", "GET", "replica-priority"}) == Bulks({"replica-priority", "7"}));
  CHECK(s({"CONFIG", "GET", "daemonize"}) == Bulks({"daemonize", "no"}));
  CHECK(s({"CONFIG", "GET", "client-output-buffer-limit"}) ==
        Bulks({"client-output-buffer-limit",
               "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60"}));
  if (!ReferenceMode()) {
    // PyKV serves db 0 only, whatever `databases` says (Redis answers 16 here).
    CHECK(s({"CONFIG", "GET", "databases"}) == Bulks({"databases", "1"}));
    CHECK(s({"SELECT", "1"}) == Err("ERR DB index is out of range"));
    CHECK(s({"SELECT", "0"}) == Ok());

    // The start-up log: one line per kind, each option once, only those set.
    const std::string log = ReadText(s.srv.log_path());
    CHECK(CountOf(log, kNoEffectPrefix) == 1);
    CHECK(CountOf(log, "Replication options accepted but not in effect") == 0);
    CHECK(CountOf(log, "databases 16: PyKV serves database 0 only") == 1);
    const std::vector<std::string> no_effect = ListedAfter(log, kNoEffectPrefix);
    const std::set<std::string> no_effect_set(no_effect.begin(), no_effect.end());
    CHECK(no_effect_set.size() == no_effect.size());
    for (const char* name : {"always-show-logo", "set-proc-title", "proc-title-template",
                             "stop-writes-on-bgsave-error", "rdbcompression", "dbfilename",
                             "lazyfree-lazy-eviction", "oom-score-adj-values", "disable-thp",
                             "aof-use-rdb-preamble", "hash-max-listpack-entries",
                             "hll-sparse-max-bytes", "activerehashing", "jemalloc-bg-thread"}) {
      CAPTURE(name);
      CHECK(no_effect_set.count(name) == 1);
    }
    // The replication choices PyKV does not offer are named; those it acts on are not.
    for (const char* name : {"repl-diskless-sync", "repl-diskless-load", "replica-lazy-flush"}) {
      CAPTURE(name);
      CHECK(no_effect_set.count(name) == 1);
    }
    // Not in the file: not named. Options PyKV acts on: not named either.
    for (const char* name :
         {"activedefrag", "io-threads", "maxmemory", "hz", "appendonly", "replica-serve-stale-data",
          "replica-read-only", "replica-priority", "masterauth"}) {
      CAPTURE(name);
      CHECK(no_effect_set.count(name) == 0);
    }
  }

  // CONFIG REWRITE keeps them, in the file's places, and the result starts again.
  CHECK(s({"CONFIG", "SET", "hash-max-ziplist-entries", "256"}) == Ok());
  CHECK(s({"CONFIG", "REWRITE"}) == Ok());
  const std::string rewritten = ReadText(s.srv.config_path());
  const std::vector<std::string> lines = Lines(rewritten);
  auto has = [&lines](const std::string& line) {
    return std::count(lines.begin(), lines.end(), line) == 1;
  };
  CHECK(has("proc-title-template \"{title} {listen-addr} {server-mode}\""));
  CHECK(has("rdbcompression no"));
  CHECK(has("set-proc-title yes"));
  CHECK(has("hash-max-listpack-entries 256"));
  CHECK(has("hll-sparse-max-bytes 2000"));
  CHECK(has("replica-priority 7"));
  CHECK(has("oom-score-adj-values 0 200 800"));
  CHECK(has("databases 16"));
  CHECK(has("daemonize no"));
  // Comments survive.
  CHECK(Contains(rewritten, "# Redis configuration file example."));

  ServerOptions again;
  again.config_text = rewritten;
  Fx t(again);
  CHECK(t({"CONFIG", "GET", "hash-max-ziplist-entries"}) ==
        Bulks({"hash-max-ziplist-entries", "256"}));
  CHECK(t({"CONFIG", "GET", "slave-priority"}) == Bulks({"slave-priority", "7"}));
}

TEST_CASE("redis.conf: CONFIG GET, SET and REWRITE of accepted options answer as Redis") {
  Fx s(ServerOptions{{}, "slave-read-only no\nlua-time-limit 4000\nhash-max-ziplist-value 1kb\n"});
  // Second names: both listed, both settable, errors name the spelling used.
  CHECK(s({"CONFIG", "GET", "replica-read-only"}) == Bulks({"replica-read-only", "no"}));
  CHECK(s({"CONFIG", "GET", "slave-read-only"}) == Bulks({"slave-read-only", "no"}));
  CHECK(s({"CONFIG", "GET", "busy-reply-threshold"}) == Bulks({"busy-reply-threshold", "4000"}));
  CHECK(s({"CONFIG", "GET", "hash-max-listpack-value"}) ==
        Bulks({"hash-max-listpack-value", "1024"}));
  Reply both = s({"CONFIG", "GET", "*priority"});
  std::vector<std::string> got = both.Strings();
  std::sort(got.begin(), got.end());
  CHECK(got == std::vector<std::string>{"100", "100", "replica-priority", "slave-priority"});
  CHECK(s({"CONFIG", "SET", "slave-priority", "5"}) == Ok());
  CHECK(s({"CONFIG", "GET", "replica-priority"}) == Bulks({"replica-priority", "5"}));
  CHECK(s({"CONFIG", "SET", "slave-priority", "x"}) ==
        Err("ERR CONFIG SET failed (possibly related to argument 'slave-priority') - argument "
            "couldn't be parsed into an integer"));
  CHECK(s({"CONFIG", "SET", "repl-timeout", "0"}) ==
        Err("ERR CONFIG SET failed (possibly related to argument 'repl-timeout') - argument must "
            "be between 1 and 2147483647 inclusive"));
  CHECK(s({"CONFIG", "SET", "slaveof", "127.0.0.1 1"}) ==
        Err("ERR CONFIG SET failed (possibly related to argument 'slaveof') - can't set "
            "immutable config"));
  CHECK(s({"CONFIG", "GET", "replicaof"}) == Bulks({"replicaof", ""}));
  CHECK(s({"CONFIG", "SET", "repl-backlog-size", "2mb"}) == Ok());
  CHECK(s({"CONFIG", "GET", "repl-backlog-size"}) == Bulks({"repl-backlog-size", "2097152"}));

  // Options PyKV has no use for: typed like Redis's.
  CHECK(s({"CONFIG", "SET", "rdbcompression", "no", "maxmemory-clients", "10%"}) == Ok());
  CHECK(s({"CONFIG", "GET", "rdbcompression"}) == Bulks({"rdbcompression", "no"}));
  CHECK(s({"CONFIG", "GET", "maxmemory-clients"}) == Bulks({"maxmemory-clients", "10%"}));
  CHECK(s({"CONFIG", "SET", "rdbcompression", "maybe"}) ==
        Err("ERR CONFIG SET failed (possibly related to argument 'rdbcompression') - argument "
            "must be 'yes' or 'no'"));
  CHECK(s({"CONFIG", "SET", "hash-max-listpack-entries", "-1"}) ==
        Err("ERR CONFIG SET failed (possibly related to argument 'hash-max-listpack-entries') - "
            "argument must be between 0 and 9223372036854775807 inclusive"));
  CHECK(s({"CONFIG", "SET", "oom-score-adj-values", "1 2 3000"}) ==
        Err("ERR CONFIG SET failed (possibly related to argument 'oom-score-adj-values') - "
            "Invalid oom-score-adj-values, elements must be between -2000 and 2000."));
  CHECK(s({"CONFIG", "SET", "oom-score-adj", "relative"}) == Ok());
  CHECK(s({"CONFIG", "GET", "oom-score-adj"}) == Bulks({"oom-score-adj", "yes"}));
  CHECK(s({"CONFIG", "SET", "io-threads", "2"}) ==
        Err("ERR CONFIG SET failed (possibly related to argument 'io-threads') - can't set "
            "immutable config"));
  CHECK(s({"CONFIG", "SET", "dbfilename", "x.rdb"}) ==
        Err("ERR CONFIG SET failed (possibly related to argument 'dbfilename') - can't set "
            "protected config"));
  CHECK(s({"CONFIG", "SET", "latency-tracking-info-percentiles", "50.5 99.00"}) == Ok());
  CHECK(s({"CONFIG", "GET", "latency-tracking-info-percentiles"}) ==
        Bulks({"latency-tracking-info-percentiles", "50.5 99"}));
  // An option PyKV acts on, unchanged.
  CHECK(s({"CONFIG", "SET", "maxmemory", "1mb"}) == Ok());

  CHECK(s({"CONFIG", "REWRITE"}) == Ok());
  const std::vector<std::string> lines = Lines(ReadText(s.srv.config_path()));
  auto has = [&lines](const std::string& line) {
    return std::count(lines.begin(), lines.end(), line) == 1;
  };
  // Second names are rewritten under the first, in place.
  CHECK(lines.at(0) == "replica-read-only no");
  CHECK(lines.at(1) == "busy-reply-threshold 4000");
  CHECK(lines.at(2) == "hash-max-listpack-value 1kb");
  CHECK(has("replica-priority 5"));
  CHECK(has("repl-backlog-size 2mb"));
  CHECK(has("rdbcompression no"));
  CHECK(has("maxmemory-clients 10%"));
  CHECK(has("oom-score-adj yes"));
  CHECK(has("latency-tracking-info-percentiles 50.5 99"));
  CHECK(has("maxmemory 1mb"));
}

TEST_CASE("redis.conf: every Redis 7.0 option is known") {
  if (ReferenceMode()) return;  // compares PyKV with Redis
  Fx pykv;
  ServerOptions ref;
  ref.program = ServerOptions::Program::kRedis;
  Fx redis(ref);
  auto names = [](Fx& f) {
    std::set<std::string> out;
    const std::vector<std::string> flat = f({"CONFIG", "GET", "*"}).Strings();
    for (size_t i = 0; i < flat.size(); i += 2) out.insert(flat[i]);
    return out;
  };
  std::set<std::string> missing = names(redis);
  for (const std::string& n : names(pykv)) missing.erase(n);
  CHECK(missing == std::set<std::string>{});
}

TEST_CASE("redis.conf: CONFIG SET of every option answers as Redis's does") {
  if (ReferenceMode()) return;  // compares PyKV with Redis
  Fx pykv;
  ServerOptions ref;
  ref.program = ServerOptions::Program::kRedis;
  Fx redis(ref);
  // Left out: the listeners and the password (a bad value would cut the test off), and
  // PyKV's policies, which leave out LFU on purpose.
  const std::set<std::string> skip = {"port", "bind", "requirepass", "maxmemory-policy"};
  const std::vector<std::string> flat = redis({"CONFIG", "GET", "*"}).Strings();
  REQUIRE(flat.size() > 300);
  size_t compared = 0;
  for (size_t i = 0; i + 1 < flat.size(); i += 2) {
    const std::string& name = flat[i];
    const std::string& value = flat[i + 1];
    if (skip.count(name) != 0) continue;
    // The current value (immutable and protected options answer their error), then values
    // of the wrong type or range, each put back afterwards.
    for (const std::string& attempt :
         {value, std::string("bogus"), std::string("-1"), std::string("1.5")}) {
      CAPTURE(name);
      CAPTURE(attempt);
      const Reply want = redis({"CONFIG", "SET", name, attempt});
      CHECK(pykv({"CONFIG", "SET", name, attempt}) == want);
      redis({"CONFIG", "SET", name, value});
      pykv({"CONFIG", "SET", name, value});
      ++compared;
    }
  }
  CHECK(compared > 700);
}

TEST_CASE("redis.conf: SELECT of another database is refused") {
  // Under `databases 1` Redis answers SELECT 1 the same way.
  Fx s(std::vector<std::string>{"--databases", "1"});
  CHECK(s({"CONFIG", "GET", "databases"}) == Bulks({"databases", "1"}));
  CHECK(s({"SELECT", "1"}) == Err("ERR DB index is out of range"));
  CHECK(s({"SELECT", "0"}) == Ok());
}

TEST_CASE("redis.conf: unknown directives and bad values are refused with Redis's texts") {
  struct Case {
    std::string line;
    std::string reason;
  };
  const std::vector<Case> cases = {
      {"nosuch-directive yes", "Bad directive or wrong number of arguments"},
      {"rdbcompression maybe", "argument must be 'yes' or 'no'"},
      {"hash-max-listpack-entries -1",
       "argument must be between 0 and 9223372036854775807 inclusive"},
      {"io-threads 200", "argument must be between 1 and 128 inclusive"},
      {"repl-diskless-load sometimes",
       "argument(s) must be one of the following: disabled, on-empty-db, swapdb"},
      {"replicaof localhost 70000", "Invalid master port"},
      {"sentinel monitor m 127.0.0.1 6379 2", "sentinel directive while not in sentinel mode"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.line);
    const ToolResult r = CheckConfig("# first\n" + c.line + "\n");
    CHECK(r.exit_code == 1);
    CHECK(Contains(r.err, "*** FATAL CONFIG FILE ERROR (Redis 7.0"));
    CHECK(Contains(r.err, "at line 2\n>>> '" + c.line + "'\n" + c.reason + "\n"));
  }
}

TEST_CASE("redis.conf: what PyKV cannot honour is refused, not ignored") {
  if (ReferenceMode()) return;  // Redis has these features
  for (const std::string& line :
       {std::string("tls-port 6380"), std::string("unixsocket /tmp/pykv.sock"),
        std::string("cluster-enabled yes"), std::string("rename-command CONFIG \"\""),
        std::string("loadmodule /usr/lib/redis/modules/x.so"), std::string("aclfile users.acl")}) {
    CAPTURE(line);
    const ToolResult r = CheckConfig(line + "\n");
    CHECK(r.exit_code == 1);
    CHECK(Contains(r.err, ">>> '" + line + "'\n"));
    CHECK(Contains(r.err, "PyKV"));
  }
}

// A daemon is not the test's child: it is stopped through its pidfile.
class DaemonGuard {
 public:
  explicit DaemonGuard(std::string pidfile) : pidfile_(std::move(pidfile)) {}
  ~DaemonGuard() {
    const pid_t pid = Pid();
    if (pid > 0 && Alive(pid)) ::kill(pid, SIGKILL);
  }
  DaemonGuard(const DaemonGuard&) = delete;
  DaemonGuard& operator=(const DaemonGuard&) = delete;
  pid_t Pid() {
    if (pid_ <= 0) pid_ = std::atoi(ReadText(pidfile_).c_str());
    return pid_;
  }
  // Running and not a zombie waiting for its new parent to reap it.
  static bool Alive(pid_t pid) {
    if (::kill(pid, 0) != 0) return false;
    const std::string stat = ReadText("/proc/" + std::to_string(pid) + "/stat");
    const size_t paren = stat.rfind(')');
    return paren == std::string::npos || paren + 2 >= stat.size() || stat[paren + 2] != 'Z';
  }

 private:
  std::string pidfile_;
  pid_t pid_ = 0;
};

TEST_CASE("redis.conf: daemonize yes detaches and writes the pidfile") {
  TempDir dir;
  const std::string pidfile = dir.File("server.pid");
  const int port = FreeTcpPort();
  std::ofstream(dir.File("d.conf")) << "daemonize yes\n";
  DaemonGuard guard(pidfile);
  const ToolResult r =
      RunTool({ServerBinary(), dir.File("d.conf"), "--port", std::to_string(port), "--bind",
               "127.0.0.1", "--pidfile", pidfile, "--logfile", dir.File("log"), "--dir",
               dir.File(""), "--save", "", "--appendonly", "no"},
              "", std::chrono::seconds(20));
  // The command returns at once, successfully, with the server still running.
  CHECK(r.exit_code == 0);
  REQUIRE(WaitFor([&] { return guard.Pid() > 0; }, milliseconds(10000)));
  const pid_t pid = guard.Pid();
  CHECK(DaemonGuard::Alive(pid));
  // Its own session, away from the test's terminal and process group.
  CHECK(::getsid(pid) == pid);
  Conn c;
  WaitFor(
      [&] {
        timeval tv{1, 0};
        c.reset(redisConnectWithTimeout("127.0.0.1", port, tv));
        return c != nullptr && c->err == 0;
      },
      milliseconds(10000));
  REQUIRE((c != nullptr && c->err == 0));
  CHECK(Cmd(c, {"PING"}) == St("PONG"));
  CHECK(Cmd(c, {"CONFIG", "GET", "daemonize"}) == Bulks({"daemonize", "yes"}));
  c.reset();
  // SIGTERM ends it and removes the pidfile.
  REQUIRE(::kill(pid, SIGTERM) == 0);
  CHECK(WaitFor([&] { return !DaemonGuard::Alive(pid); }, milliseconds(10000)));
  CHECK(WaitFor([&] { return !fs::exists(pidfile); }, milliseconds(10000)));
}

}  // namespace
}  // namespace pykv::it
