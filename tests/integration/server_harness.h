// Integration test harness: starts the real pykv-server binary in a fresh temp dir on a
// free loopback port, talks to it through hiredis 0.14 (RESP2) or a raw socket (inline
// commands, protocol errors, RESP3 bytes), runs Debian's redis tools against it, and stops
// it. Every wait is bounded. When a test fails, the server's temp dir (config, log) is kept
// and the tail of its log is printed to stderr.
//
// Reference mode: with PYKV_IT_REFERENCE_SERVER=/usr/bin/redis-server the same tests run
// against a real Redis 7.0 (on a free loopback port), which checks the expectations
// themselves; PyKV-only tests skip themselves there (see ReferenceMode()).
//
// Single-threaded use: one test drives its servers and connections from one thread.
#pragma once

// GCC 12 reports a false -Wrestrict inside std::string for `"literal" + std::string` at -O3
// (GCC bug 105329); the tests build such strings everywhere.
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ == 12
#pragma GCC diagnostic ignored "-Wrestrict"
#endif

#include <doctest/doctest.h>
#include <hiredis/hiredis.h>
#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

namespace pykv::it {

// ---- environment ----

// PYKV_TEST_SANITIZED=1: the server runs under ASan+UBSan (~3x slower).
bool Sanitized();
// Multiplier for timeouts: 3 when sanitized, else 1.
double TimeScale();
// `normal` in ordinary builds, `sanitized` under PYKV_TEST_SANITIZED=1.
size_t Scaled(size_t normal, size_t sanitized);
// True when the tests run against a real redis-server (PYKV_IT_REFERENCE_SERVER).
bool ReferenceMode();
// The server binary under test: PYKV_SERVER_BIN, or the reference redis-server.
const char* ServerBinary();

inline bool Contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

// A loopback TCP port that was free a moment ago (bound, read, released).
int FreeTcpPort();

// Polls `pred` every `step` until it returns true or `timeout` (scaled by TimeScale())
// passes. Returns the last result of `pred`.
bool WaitFor(const std::function<bool()>& pred, std::chrono::milliseconds timeout,
             std::chrono::milliseconds step = std::chrono::milliseconds(10));

// ---- replies ----

// An owned deep copy of a hiredis reply (RESP2 types). type 0 means no reply: the
// connection failed, `str` then holds hiredis's error text.
struct Reply {
  int type = 0;
  std::string str;
  long long integer = 0;
  std::vector<Reply> elements;

  static Reply Status(std::string s);
  static Reply Error(std::string s);
  static Reply Bulk(std::string s);
  static Reply Int(long long v);
  static Reply Nil();
  static Reply Array(std::vector<Reply> elems);
  // Array of bulk strings.
  static Reply Bulks(std::initializer_list<std::string> elems);

  bool is_error() const { return type == REDIS_REPLY_ERROR; }
  bool is_nil() const { return type == REDIS_REPLY_NIL; }
  bool is_array() const { return type == REDIS_REPLY_ARRAY; }
  bool is_int() const { return type == REDIS_REPLY_INTEGER; }
  bool is_bulk() const { return type == REDIS_REPLY_STRING; }
  bool is_status() const { return type == REDIS_REPLY_STATUS; }
  bool ok() const { return type == REDIS_REPLY_STATUS && str == "OK"; }
  // The strings of an array reply's elements (bulk/status), in order.
  std::vector<std::string> Strings() const;
  // Readable form for failure messages, e.g. `["a", (integer) 1, (nil)]`.
  std::string Describe() const;

  bool operator==(const Reply& o) const;
};
std::ostream& operator<<(std::ostream& os, const Reply& r);

struct RedisContextFree {
  void operator()(redisContext* c) const {
    if (c != nullptr) redisFree(c);
  }
};
using Conn = std::unique_ptr<redisContext, RedisContextFree>;

// A hiredis connection to 127.0.0.1:port with connect and command timeouts (seconds,
// scaled), for servers the harness did not start (proxies); null when it cannot connect.
Conn TryConnectPort(int port, double timeout_s = 10);

// Runs one command (binary safe, redisCommandArgv) and returns its reply.
Reply Cmd(redisContext* c, const std::vector<std::string>& args);
inline Reply Cmd(const Conn& c, const std::vector<std::string>& args) {
  return Cmd(c.get(), args);
}
// Queues a command without reading (redisAppendCommandArgv); read with GetReply().
void Append(redisContext* c, const std::vector<std::string>& args);
Reply GetReply(redisContext* c);

// INFO helpers. InfoField returns "" when the field is absent.
std::string Info(redisContext* c, const std::string& section = "");
std::string InfoField(const std::string& info, const std::string& field);
long long InfoInt(redisContext* c, const std::string& section, const std::string& field);

// ---- raw socket ----

// A plain TCP connection to 127.0.0.1:port for sending arbitrary bytes.
class RawConn {
 public:
  explicit RawConn(int port);
  ~RawConn();
  RawConn(const RawConn&) = delete;
  RawConn& operator=(const RawConn&) = delete;

  bool connected() const { return fd_ >= 0; }
  int fd() const { return fd_; }
  // Writes everything (bounded by a 10 s scaled deadline); false on error.
  bool Send(std::string_view bytes);
  // Reads until the buffered input holds at least one complete RESP (2 or 3) reply, then
  // returns its raw bytes; "" on timeout or when the peer closed first.
  std::string ReadReply(std::chrono::milliseconds timeout = std::chrono::milliseconds(5000));
  // Reads until `n` bytes arrived, the peer closed, or the timeout; returns what it has.
  std::string ReadBytes(size_t n, std::chrono::milliseconds timeout);
  // Reads (discarding) until the peer closes the connection. True if it closed.
  bool WaitClosed(std::chrono::milliseconds timeout = std::chrono::milliseconds(5000));
  // Everything received and not yet returned.
  const std::string& pending() const { return buf_; }
  bool peer_closed() const { return closed_; }
  // Reads whatever is available within `timeout` into pending().
  void Pump(std::chrono::milliseconds timeout);

 private:
  int fd_ = -1;
  std::string buf_;
  bool closed_ = false;
};

// A command as a client sends it (RESP multibulk), for raw-socket tests.
std::string Resp(const std::vector<std::string>& args);

// Length of the first complete RESP2/RESP3 reply at the start of `buf`; 0 if incomplete,
// std::string::npos if malformed.
size_t RespReplyLength(std::string_view buf);

// ---- tools ----

struct ToolResult {
  int exit_code = -1;  // -1: killed (timeout) or failed to start
  std::string out;
  std::string err;
  bool timed_out = false;
};
// Runs argv (PATH lookup, no shell) with stdin from `stdin_path` (or /dev/null), capturing
// stdout and stderr; killed after `timeout` (scaled).
ToolResult RunTool(const std::vector<std::string>& argv, const std::string& stdin_path = "",
                   std::chrono::seconds timeout = std::chrono::seconds(120));

// Starts argv[0] (a path, no PATH lookup) with stdin from /dev/null and stdout and stderr
// into capture_path; the child dies with the test process. open_files_limit, if non-zero,
// is its RLIMIT_NOFILE. Returns the pid, or -1 when fork failed.
pid_t SpawnCaptured(const std::vector<std::string>& argv, const std::string& capture_path,
                    uint64_t open_files_limit = 0);

// ---- the server ----

struct ServerOptions {
  std::vector<std::string> args;  // extra command-line args, e.g. {"--maxkeys", "100"}
  std::string config_text;        // if non-empty: written to <dir>/pykv.conf, passed first
  uint64_t open_files_limit = 0;  // if non-zero: the server starts with `ulimit -n` this
  // Also serve HTTP on a free port (`--http-port 0 --http-port-file <dir>/http-port`, before
  // `args`, which may override them); http_port() tells which.
  bool http = false;
  // Which program: pykv-server (or the reference server of PYKV_IT_REFERENCE_SERVER),
  // Debian's redis-server, or redis-server in sentinel mode (config_text is then the
  // sentinel's configuration; sentinel rewrites that file).
  enum class Program { kPyKV, kRedis, kSentinel };
  Program program = Program::kPyKV;
  // Where: a fixed port (0: a free one) and an existing directory (empty: a fresh temp dir,
  // removed at the end). A test bringing a killed server back where others knew it passes
  // the old server's port() and dir(); the old TestServer still owns the directory.
  int port = 0;
  std::string dir;
};

class TestServer {
 public:
  explicit TestServer(std::vector<std::string> extra_args = {});
  explicit TestServer(ServerOptions opts);
  ~TestServer();
  TestServer(const TestServer&) = delete;
  TestServer& operator=(const TestServer&) = delete;

  int port() const { return port_; }
  // The HTTP port (ServerOptions::http); 0 when the server does not serve HTTP.
  int http_port() const { return http_port_; }
  // Reads <dir>/http-port again (after CONFIG SET http-port moved the listener).
  int ReadHttpPortFile();
  pid_t pid() const { return pid_; }
  const std::string& dir() const { return dir_; }
  std::string config_path() const { return dir_ + "/pykv.conf"; }
  std::string log_path() const { return dir_ + "/server.log"; }

  // A new hiredis connection with connect and command timeouts (seconds, scaled).
  // Fails the test (REQUIRE) when it cannot connect.
  Conn Connect(double timeout_s = 10) const;
  // Same, but returns null instead of failing.
  Conn TryConnect(double timeout_s = 10) const;

  // SIGTERM, then waits up to `timeout` (scaled) and SIGKILLs. Returns the exit status
  // as waitpid reports it, or -1 if the server was not running.
  int Stop(std::chrono::milliseconds timeout = std::chrono::milliseconds(10000));
  void Kill9();
  // The test expects the process to end other than with exit status 0 (otherwise the
  // destructor fails the test when the server crashed or exited non-zero).
  void AcceptAnyExit() { expect_unclean_ = true; }
  // Waits (bounded) for the process to exit by itself; returns the waitpid status or
  // std::nullopt on timeout.
  std::optional<int> WaitExit(std::chrono::milliseconds timeout);
  bool Running();

  // The last `n` lines of the server's log (and of its stdout/stderr capture).
  std::string LogTail(int n = 30) const;

 private:
  void Start(ServerOptions opts);
  void Cleanup();
  std::string HttpPortFile() const;

  std::string dir_;
  pid_t pid_ = -1;
  int port_ = 0;
  int http_port_ = 0;
  bool stopped_ = false;
  int exit_status_ = 0;
  bool expect_unclean_ = false;
  bool start_failed_ = false;
  bool owns_dir_ = true;
  int failures_at_start_ = 0;
};

// Short spellings of expected replies, for CHECK(s({"GET", "k"}) == Bulk("v")).
inline Reply Ok() {
  return Reply::Status("OK");
}
inline Reply St(std::string s) {
  return Reply::Status(std::move(s));
}
inline Reply Err(std::string s) {
  return Reply::Error(std::move(s));
}
inline Reply Bulk(std::string s) {
  return Reply::Bulk(std::move(s));
}
inline Reply Int(long long v) {
  return Reply::Int(v);
}
inline Reply Nil() {
  return Reply::Nil();
}
inline Reply Arr(std::vector<Reply> elems) {
  return Reply::Array(std::move(elems));
}
inline Reply Bulks(std::initializer_list<std::string> elems) {
  return Reply::Bulks(elems);
}

// A server plus one connection to it; s({"SET", "k", "v"}) runs a command.
struct Fx {
  explicit Fx(std::vector<std::string> args = {}) : srv(std::move(args)), c(srv.Connect()) {}
  explicit Fx(ServerOptions opts) : srv(std::move(opts)), c(srv.Connect()) {}
  Reply operator()(const std::vector<std::string>& args) { return Cmd(c, args); }
  TestServer srv;
  Conn c;
};

// Milliseconds since the Unix epoch (wall clock).
int64_t NowMs();

// Number of failed assertions so far in the whole run (a doctest listener counts them).
int FailedAssertions();

}  // namespace pykv::it

namespace doctest {
template <>
struct StringMaker<pykv::it::Reply> {
  static String convert(const pykv::it::Reply& r) { return r.Describe().c_str(); }
};
}  // namespace doctest
