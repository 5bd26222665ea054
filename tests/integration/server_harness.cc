#include "integration/server_harness.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace pykv::it {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// ---- failure tracking: a doctest listener counts failed assertions ----

int g_failed_asserts = 0;

class FailureCounter : public doctest::IReporter {
 public:
  explicit FailureCounter(const doctest::ContextOptions&) {}
  void report_query(const doctest::QueryData&) override {}
  void test_run_start() override {}
  void test_run_end(const doctest::TestRunStats&) override {}
  void test_case_start(const doctest::TestCaseData&) override {}
  void test_case_reenter(const doctest::TestCaseData&) override {}
  void test_case_end(const doctest::CurrentTestCaseStats&) override {}
  void test_case_exception(const doctest::TestCaseException&) override { ++g_failed_asserts; }
  void subcase_start(const doctest::SubcaseSignature&) override {}
  void subcase_end() override {}
  void log_assert(const doctest::AssertData& ad) override {
    if (ad.m_failed) ++g_failed_asserts;
  }
  void log_message(const doctest::MessageData& md) override {
    if (md.m_severity & doctest::assertType::is_warn) return;
    if (md.m_severity & (doctest::assertType::is_check | doctest::assertType::is_require)) {
      ++g_failed_asserts;
    }
  }
  void test_case_skipped(const doctest::TestCaseData&) override {}
};
REGISTER_LISTENER("pykv_failure_counter", 1, FailureCounter);

// A client writing to a socket the server closed must get EPIPE, not die of SIGPIPE.
struct IgnoreSigpipe {
  IgnoreSigpipe() { signal(SIGPIPE, SIG_IGN); }
} g_ignore_sigpipe;

// Closes every descriptor above stderr in a freshly forked child.
void CloseInheritedFds() {
#ifdef SYS_close_range
  if (syscall(SYS_close_range, 3u, ~0u, 0u) == 0) return;
#endif
  long max = sysconf(_SC_OPEN_MAX);
  for (long fd = 3; fd < max; ++fd) close(static_cast<int>(fd));
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string TailLines(const std::string& text, int n) {
  std::deque<std::string> lines;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    lines.push_back(line);
    if (static_cast<int>(lines.size()) > n) lines.pop_front();
  }
  std::string out;
  for (const auto& l : lines) out += l + "\n";
  return out;
}

milliseconds Scale(milliseconds t) {
  return milliseconds(static_cast<int64_t>(static_cast<double>(t.count()) * TimeScale()));
}

Reply FromHiredis(const redisReply* r) {
  Reply out;
  out.type = r->type;
  switch (r->type) {
    case REDIS_REPLY_STRING:
    case REDIS_REPLY_STATUS:
    case REDIS_REPLY_ERROR:
      out.str.assign(r->str, r->len);
      break;
    case REDIS_REPLY_INTEGER:
      out.integer = r->integer;
      break;
    case REDIS_REPLY_ARRAY:
      out.elements.reserve(r->elements);
      for (size_t i = 0; i < r->elements; ++i) out.elements.push_back(FromHiredis(r->element[i]));
      break;
    default:
      break;
  }
  return out;
}

std::string Quote(const std::string& s) {
  std::string out = "\"";
  size_t shown = 0;
  for (unsigned char ch : s) {
    if (++shown > 200) {
      out += "...(" + std::to_string(s.size()) + " bytes)";
      break;
    }
    if (ch == '"' || ch == '\\') {
      out += '\\';
      out += static_cast<char>(ch);
    } else if (ch >= 0x20 && ch < 0x7f) {
      out += static_cast<char>(ch);
    } else {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "\\x%02x", ch);
      out += buf;
    }
  }
  return out + "\"";
}

// Parses one RESP line starting at `pos`; returns the position after "\r\n" or npos.
size_t LineEnd(std::string_view buf, size_t pos) {
  size_t e = buf.find("\r\n", pos);
  return e == std::string_view::npos ? e : e + 2;
}

// Returns the end of the reply at `pos`, 0 if incomplete, npos if malformed.
size_t ReplyEnd(std::string_view buf, size_t pos) {
  if (pos >= buf.size()) return 0;
  char t = buf[pos];
  size_t le = LineEnd(buf, pos);
  if (le == std::string_view::npos) return 0;
  std::string_view body = buf.substr(pos + 1, le - pos - 3);
  switch (t) {
    case '+':
    case '-':
    case ':':
    case ',':
    case '_':
    case '#':
    case '(':
      return le;
    case '$':
    case '=':
    case '!': {
      long long n = std::atoll(std::string(body).c_str());
      if (n < 0) return le;
      size_t end = le + static_cast<size_t>(n) + 2;
      return end <= buf.size() ? end : 0;
    }
    case '*':
    case '%':
    case '~':
    case '>':
    case '|': {
      long long n = std::atoll(std::string(body).c_str());
      if (n < 0) return le;
      if (t == '%' || t == '|') n *= 2;
      size_t p = le;
      for (long long i = 0; i < n; ++i) {
        size_t e = ReplyEnd(buf, p);
        if (e == 0 || e == std::string_view::npos) return e;
        p = e;
      }
      if (t == '|') return ReplyEnd(buf, p);  // an attribute precedes the real reply
      return p;
    }
    default:
      return std::string_view::npos;
  }
}

}  // namespace

int FreeTcpPort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  int port = 0;
  if (bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0) {
    socklen_t len = sizeof(a);
    getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    port = ntohs(a.sin_port);
  }
  close(fd);
  return port;
}

// ---- environment ----

bool Sanitized() {
  const char* v = std::getenv("PYKV_TEST_SANITIZED");
  return v != nullptr && std::string(v) == "1";
}

double TimeScale() {
  return Sanitized() ? 3.0 : 1.0;
}

size_t Scaled(size_t normal, size_t sanitized) {
  return Sanitized() ? sanitized : normal;
}

const char* ServerBinary() {
  const char* ref = std::getenv("PYKV_IT_REFERENCE_SERVER");
  if (ref != nullptr && *ref != '\0') return ref;
  return PYKV_SERVER_BIN;
}

bool ReferenceMode() {
  const char* ref = std::getenv("PYKV_IT_REFERENCE_SERVER");
  return ref != nullptr && *ref != '\0';
}

bool WaitFor(const std::function<bool()>& pred, milliseconds timeout, milliseconds step) {
  auto deadline = Clock::now() + Scale(timeout);
  while (true) {
    if (pred()) return true;
    if (Clock::now() >= deadline) return pred();
    std::this_thread::sleep_for(step);
  }
}

int FailedAssertions() {
  return g_failed_asserts;
}

int64_t NowMs() {
  return std::chrono::duration_cast<milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// ---- replies ----

Reply Reply::Status(std::string s) {
  Reply r;
  r.type = REDIS_REPLY_STATUS;
  r.str = std::move(s);
  return r;
}
Reply Reply::Error(std::string s) {
  Reply r;
  r.type = REDIS_REPLY_ERROR;
  r.str = std::move(s);
  return r;
}
Reply Reply::Bulk(std::string s) {
  Reply r;
  r.type = REDIS_REPLY_STRING;
  r.str = std::move(s);
  return r;
}
Reply Reply::Int(long long v) {
  Reply r;
  r.type = REDIS_REPLY_INTEGER;
  r.integer = v;
  return r;
}
Reply Reply::Nil() {
  Reply r;
  r.type = REDIS_REPLY_NIL;
  return r;
}
Reply Reply::Array(std::vector<Reply> elems) {
  Reply r;
  r.type = REDIS_REPLY_ARRAY;
  r.elements = std::move(elems);
  return r;
}
Reply Reply::Bulks(std::initializer_list<std::string> elems) {
  std::vector<Reply> v;
  for (const auto& e : elems) v.push_back(Bulk(e));
  return Array(std::move(v));
}

std::vector<std::string> Reply::Strings() const {
  std::vector<std::string> out;
  for (const auto& e : elements) out.push_back(e.str);
  return out;
}

std::string Reply::Describe() const {
  switch (type) {
    case 0:
      return "(no reply: " + str + ")";
    case REDIS_REPLY_STRING:
      return Quote(str);
    case REDIS_REPLY_STATUS:
      return "(status) " + str;
    case REDIS_REPLY_ERROR:
      return "(error) " + str;
    case REDIS_REPLY_INTEGER:
      return "(integer) " + std::to_string(integer);
    case REDIS_REPLY_NIL:
      return "(nil)";
    case REDIS_REPLY_ARRAY: {
      std::string out = "[";
      for (size_t i = 0; i < elements.size(); ++i) {
        if (i > 0) out += ", ";
        if (i >= 50) {
          out += "... (" + std::to_string(elements.size()) + " elements)";
          break;
        }
        out += elements[i].Describe();
      }
      return out + "]";
    }
    default:
      return "(type " + std::to_string(type) + ")";
  }
}

bool Reply::operator==(const Reply& o) const {
  return type == o.type && str == o.str && integer == o.integer && elements == o.elements;
}

std::ostream& operator<<(std::ostream& os, const Reply& r) {
  return os << r.Describe();
}

namespace {
std::vector<const char*> ArgvPtrs(const std::vector<std::string>& args, std::vector<size_t>* lens) {
  std::vector<const char*> ptrs;
  for (const auto& a : args) {
    ptrs.push_back(a.data());
    lens->push_back(a.size());
  }
  return ptrs;
}

// Converts and frees a reply hiredis handed over. Null means the connection failed; the
// Reply then carries hiredis's errstr, so a failing CHECK says why.
Reply TakeReply(redisContext* c, void* raw) {
  if (raw == nullptr) {
    Reply r;
    r.str = c->errstr;
    return r;
  }
  Reply r = FromHiredis(static_cast<redisReply*>(raw));
  freeReplyObject(raw);
  return r;
}
}  // namespace

Reply Cmd(redisContext* c, const std::vector<std::string>& args) {
  std::vector<size_t> lens;
  std::vector<const char*> ptrs = ArgvPtrs(args, &lens);
  return TakeReply(c, redisCommandArgv(c, static_cast<int>(args.size()), ptrs.data(), lens.data()));
}

void Append(redisContext* c, const std::vector<std::string>& args) {
  std::vector<size_t> lens;
  std::vector<const char*> ptrs = ArgvPtrs(args, &lens);
  redisAppendCommandArgv(c, static_cast<int>(args.size()), ptrs.data(), lens.data());
}

Reply GetReply(redisContext* c) {
  void* raw = nullptr;
  if (redisGetReply(c, &raw) != REDIS_OK) raw = nullptr;
  return TakeReply(c, raw);
}

std::string Info(redisContext* c, const std::string& section) {
  Reply r = section.empty() ? Cmd(c, {"INFO"}) : Cmd(c, {"INFO", section});
  return r.is_bulk() ? r.str : std::string();
}

std::string InfoField(const std::string& info, const std::string& field) {
  std::string needle = field + ":";
  size_t pos = 0;
  while (pos < info.size()) {
    size_t eol = info.find("\r\n", pos);
    if (eol == std::string::npos) eol = info.size();
    if (info.compare(pos, needle.size(), needle) == 0) {
      return info.substr(pos + needle.size(), eol - pos - needle.size());
    }
    pos = eol + 2;
  }
  return "";
}

long long InfoInt(redisContext* c, const std::string& section, const std::string& field) {
  std::string v = InfoField(Info(c, section), field);
  if (v.empty()) return -1;
  return std::atoll(v.c_str());
}

// ---- raw socket ----

size_t RespReplyLength(std::string_view buf) {
  return ReplyEnd(buf, 0);
}

RawConn::RawConn(int port) {
  fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) return;
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(static_cast<uint16_t>(port));
  if (connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0) {
    close(fd_);
    fd_ = -1;
    return;
  }
  int one = 1;
  setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  fcntl(fd_, F_SETFL, fcntl(fd_, F_GETFL) | O_NONBLOCK);
}

RawConn::~RawConn() {
  if (fd_ >= 0) close(fd_);
}

bool RawConn::Send(std::string_view bytes) {
  if (fd_ < 0) return false;
  auto deadline = Clock::now() + Scale(milliseconds(10000));
  size_t off = 0;
  while (off < bytes.size()) {
    ssize_t n = ::send(fd_, bytes.data() + off, bytes.size() - off, MSG_NOSIGNAL);
    if (n > 0) {
      off += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) return false;
    auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) return false;
    pollfd p{fd_, POLLOUT, 0};
    poll(&p, 1, static_cast<int>(std::min<int64_t>(left, 100)));
  }
  return true;
}

void RawConn::Pump(milliseconds timeout) {
  if (fd_ < 0 || closed_) return;
  pollfd p{fd_, POLLIN, 0};
  if (poll(&p, 1, static_cast<int>(timeout.count())) <= 0) return;
  char tmp[65536];
  while (true) {
    ssize_t n = ::recv(fd_, tmp, sizeof(tmp), 0);
    if (n > 0) {
      buf_.append(tmp, static_cast<size_t>(n));
      continue;
    }
    if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) closed_ = true;
    return;
  }
}

std::string RawConn::ReadReply(milliseconds timeout) {
  auto deadline = Clock::now() + Scale(timeout);
  while (true) {
    size_t len = RespReplyLength(buf_);
    if (len == std::string::npos) {
      std::string out = buf_;  // malformed: hand back everything
      buf_.clear();
      return out;
    }
    if (len > 0) {
      std::string out = buf_.substr(0, len);
      buf_.erase(0, len);
      return out;
    }
    if (closed_) return "";
    auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) return "";
    Pump(std::min(left, milliseconds(100)));
  }
}

std::string RawConn::ReadBytes(size_t n, milliseconds timeout) {
  auto deadline = Clock::now() + Scale(timeout);
  while (buf_.size() < n && !closed_) {
    auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) break;
    Pump(std::min(left, milliseconds(100)));
  }
  std::string out = buf_.substr(0, std::min(n, buf_.size()));
  buf_.erase(0, out.size());
  return out;
}

bool RawConn::WaitClosed(milliseconds timeout) {
  auto deadline = Clock::now() + Scale(timeout);
  while (!closed_) {
    auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) return false;
    Pump(std::min(left, milliseconds(100)));
  }
  return true;
}

// ---- tools ----

ToolResult RunTool(const std::vector<std::string>& argv, const std::string& stdin_path,
                   std::chrono::seconds timeout) {
  ToolResult res;
  int out_pipe[2], err_pipe[2];
  if (pipe2(out_pipe, O_CLOEXEC) != 0) return res;
  if (pipe2(err_pipe, O_CLOEXEC) != 0) {
    close(out_pipe[0]);
    close(out_pipe[1]);
    return res;
  }
  std::vector<char*> cargv;
  for (const auto& a : argv) cargv.push_back(const_cast<char*>(a.c_str()));
  cargv.push_back(nullptr);
  std::string in_path = stdin_path.empty() ? "/dev/null" : stdin_path;

  pid_t pid = fork();
  if (pid == 0) {
    setpgid(0, 0);
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    signal(SIGPIPE, SIG_DFL);
    int in = open(in_path.c_str(), O_RDONLY);
    if (in < 0) _exit(126);
    dup2(in, 0);
    dup2(out_pipe[1], 1);
    dup2(err_pipe[1], 2);
    CloseInheritedFds();
    execvp(cargv[0], cargv.data());
    _exit(127);
  }
  close(out_pipe[1]);
  close(err_pipe[1]);
  if (pid < 0) {
    close(out_pipe[0]);
    close(err_pipe[0]);
    return res;
  }
  auto deadline = Clock::now() + Scale(std::chrono::duration_cast<milliseconds>(timeout));
  pollfd fds[2] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}};
  std::string* sinks[2] = {&res.out, &res.err};
  int open_count = 2;
  char buf[65536];
  while (open_count > 0) {
    auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) {
      res.timed_out = true;
      kill(-pid, SIGKILL);
      kill(pid, SIGKILL);
      break;
    }
    int n = poll(fds, 2, static_cast<int>(std::min<int64_t>(left, 200)));
    if (n <= 0) continue;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      ssize_t r = read(fds[i].fd, buf, sizeof(buf));
      if (r > 0) {
        sinks[i]->append(buf, static_cast<size_t>(r));
      } else if (r == 0 || errno != EINTR) {
        close(fds[i].fd);
        fds[i].fd = -1;
        --open_count;
      }
    }
  }
  for (auto& f : fds) {
    if (f.fd >= 0) close(f.fd);
  }
  int status = 0;
  // The pipes closed (or the deadline killed it): the exit is imminent.
  auto reap_deadline = Clock::now() + std::chrono::seconds(10);
  while (waitpid(pid, &status, WNOHANG) == 0) {
    if (Clock::now() > reap_deadline) {
      kill(-pid, SIGKILL);
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      res.timed_out = true;
      break;
    }
    std::this_thread::sleep_for(milliseconds(5));
  }
  if (!res.timed_out && WIFEXITED(status)) res.exit_code = WEXITSTATUS(status);
  return res;
}

// ---- the server ----

TestServer::TestServer(std::vector<std::string> extra_args)
    : TestServer(ServerOptions{std::move(extra_args), ""}) {}

TestServer::TestServer(ServerOptions opts) {
  failures_at_start_ = FailedAssertions();
  try {
    Start(std::move(opts));
  } catch (...) {
    start_failed_ = true;
    Cleanup();
    throw;
  }
}

pid_t SpawnCaptured(const std::vector<std::string>& argv, const std::string& capture_path,
                    uint64_t open_files_limit) {
  std::vector<char*> cargv;
  for (const auto& a : argv) cargv.push_back(const_cast<char*>(a.c_str()));
  cargv.push_back(nullptr);
  const pid_t pid = fork();
  if (pid != 0) return pid;
  prctl(PR_SET_PDEATHSIG, SIGKILL);  // never outlive the test process
  signal(SIGPIPE, SIG_DFL);
  int in = open("/dev/null", O_RDONLY);
  int out = open(capture_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (in < 0 || out < 0) _exit(126);
  dup2(in, 0);
  dup2(out, 1);
  dup2(out, 2);
  CloseInheritedFds();
  if (open_files_limit != 0) {
    const rlimit lim{open_files_limit, open_files_limit};
    if (setrlimit(RLIMIT_NOFILE, &lim) != 0) _exit(125);
  }
  execv(cargv[0], cargv.data());
  _exit(127);
}

void TestServer::Start(ServerOptions opts) {
  if (opts.dir.empty()) {
    std::string tmpl = (std::filesystem::temp_directory_path() / "pykv-it-XXXXXX").string();
    if (mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    dir_ = tmpl;
  } else {
    dir_ = opts.dir;
    owns_dir_ = false;
  }

  using Program = ServerOptions::Program;
  const bool sentinel = opts.program == Program::kSentinel;
  const bool reference = opts.program != Program::kPyKV || ReferenceMode();
  std::vector<std::string> argv = {opts.program == Program::kPyKV ? ServerBinary()
                                                                  : "/usr/bin/redis-server"};
  if (!opts.config_text.empty() || sentinel) {
    std::ofstream(config_path()) << opts.config_text;
    argv.push_back(config_path());
  }
  std::string port_file = dir_ + "/port";
  // A previous server's port file must not be taken for this one's.
  std::filesystem::remove(port_file);
  int fixed_port = opts.port;
  if (sentinel) {
    if (fixed_port == 0) fixed_port = FreeTcpPort();
    argv.insert(argv.end(), {"--sentinel", "--port", std::to_string(fixed_port), "--bind",
                             "127.0.0.1", "--dir", dir_, "--logfile", log_path()});
  } else {
    if (reference) {
      if (fixed_port == 0) fixed_port = FreeTcpPort();
      argv.insert(argv.end(), {"--port", std::to_string(fixed_port), "--bind", "127.0.0.1", "-::1",
                               "--save", "", "--appendonly", "no"});
    } else {
      argv.insert(argv.end(), {"--port", std::to_string(fixed_port), "--port-file", port_file});
    }
    argv.insert(argv.end(),
                {"--dir", dir_, "--logfile", log_path(), "--enable-debug-command", "yes"});
  }
  if (opts.http) argv.insert(argv.end(), {"--http-port", "0", "--http-port-file", HttpPortFile()});
  argv.insert(argv.end(), opts.args.begin(), opts.args.end());

  const pid_t pid = SpawnCaptured(argv, dir_ + "/stdout.log", opts.open_files_limit);
  if (pid < 0) throw std::runtime_error("fork failed");
  pid_ = pid;

  auto fail = [&](const std::string& why) {
    throw std::runtime_error("pykv-server did not start (" + why + "), dir " + dir_ + "\n" +
                             LogTail(30));
  };
  // 1. The port file (PyKV writes it once it listens).
  if (reference) {
    port_ = fixed_port;
  } else {
    std::string previous;
    bool got = WaitFor(
        [&] {
          // Complete when newline-terminated, or unchanged since the previous poll.
          std::string text = ReadFile(port_file);
          if (!text.empty() && (text.back() == '\n' || text == previous)) {
            port_ = std::atoi(text.c_str());
          }
          previous = text;
          return port_ > 0 || !Running();
        },
        milliseconds(10000));
    if (!got || port_ <= 0) fail(Running() ? "no port file within 10 s" : "process exited");
  }
  // 2. A PING answered.
  bool ponged = WaitFor(
      [&] {
        if (!Running()) return true;
        Conn c = TryConnect(1);
        // PONG, or -NOAUTH under requirepass: either way the server answers.
        if (c == nullptr) return false;
        Reply r = Cmd(c, {"PING"});
        return r == Reply::Status("PONG") || (r.is_error() && r.str.rfind("NOAUTH", 0) == 0);
      },
      milliseconds(10000), milliseconds(20));
  if (!ponged || !Running()) fail(Running() ? "no PONG within 10 s" : "process exited");
  // 3. The HTTP port file, written right after the RESP one.
  if (opts.http) {
    WaitFor([&] { return ReadHttpPortFile() > 0 || !Running(); }, milliseconds(10000));
    if (http_port_ <= 0) fail("no HTTP port file within 10 s");
  }
}

std::string TestServer::HttpPortFile() const {
  return dir_ + "/http-port";
}

int TestServer::ReadHttpPortFile() {
  // The server writes a temp file and renames it: a complete file ends with a newline.
  std::string text = ReadFile(HttpPortFile());
  if (!text.empty() && text.back() == '\n') http_port_ = std::atoi(text.c_str());
  return http_port_;
}

Conn TryConnectPort(int port, double timeout_s) {
  double t = timeout_s * TimeScale();
  timeval tv{static_cast<time_t>(t),
             static_cast<suseconds_t>((t - static_cast<double>(static_cast<time_t>(t))) * 1e6)};
  Conn c(redisConnectWithTimeout("127.0.0.1", port, tv));
  if (c == nullptr || c->err != 0) return nullptr;
  redisSetTimeout(c.get(), tv);
  return c;
}

Conn TestServer::TryConnect(double timeout_s) const {
  return TryConnectPort(port_, timeout_s);
}

Conn TestServer::Connect(double timeout_s) const {
  Conn c = TryConnect(timeout_s);
  REQUIRE_MESSAGE(c != nullptr, "cannot connect to the server on port " << port_);
  return c;
}

bool TestServer::Running() {
  if (pid_ < 0 || stopped_) return false;
  int status = 0;
  pid_t r = waitpid(pid_, &status, WNOHANG);
  if (r == pid_) {
    stopped_ = true;
    exit_status_ = status;
    return false;
  }
  return r == 0;
}

std::optional<int> TestServer::WaitExit(milliseconds timeout) {
  if (pid_ < 0) return std::nullopt;
  WaitFor([&] { return !Running(); }, timeout, milliseconds(5));
  if (stopped_) return exit_status_;
  return std::nullopt;
}

int TestServer::Stop(milliseconds timeout) {
  if (pid_ < 0) return -1;
  if (!Running()) return exit_status_;
  kill(pid_, SIGTERM);
  if (WaitExit(timeout)) return exit_status_;
  kill(pid_, SIGKILL);
  int status = 0;
  waitpid(pid_, &status, 0);
  stopped_ = true;
  exit_status_ = status;
  std::cerr << "pykv-server (pid " << pid_ << ") ignored SIGTERM for "
            << timeout.count() * TimeScale() << " ms; killed\n";
  return status;
}

void TestServer::Kill9() {
  if (pid_ < 0 || !Running()) return;
  kill(pid_, SIGKILL);
  int status = 0;
  waitpid(pid_, &status, 0);
  stopped_ = true;
  exit_status_ = status;
  expect_unclean_ = true;
}

std::string TestServer::LogTail(int n) const {
  std::string out = "---- " + log_path() + " (last " + std::to_string(n) + " lines) ----\n" +
                    TailLines(ReadFile(log_path()), n);
  std::string cap = ReadFile(dir_ + "/stdout.log");
  if (!cap.empty()) out += "---- stdout/stderr ----\n" + TailLines(cap, n);
  return out;
}

void TestServer::Cleanup() {
  int status = Stop();
  bool failed =
      start_failed_ || FailedAssertions() > failures_at_start_ || std::uncaught_exceptions() > 0;
  bool clean = pid_ < 0 || expect_unclean_ || (WIFEXITED(status) && WEXITSTATUS(status) == 0);
  if (!clean) {
    std::string how = WIFSIGNALED(status) ? "killed by signal " + std::to_string(WTERMSIG(status))
                                          : "exit code " + std::to_string(WEXITSTATUS(status));
    std::string msg = "pykv-server did not exit with status 0 (" + how + "), dir " + dir_;
    FAIL_CHECK(msg);
    failed = true;
  }
  if (dir_.empty()) return;
  if (!owns_dir_) {
    if (failed) std::cerr << "\n[pykv-it] test failed\n" << LogTail(30) << std::flush;
  } else if (failed) {
    std::cerr << "\n[pykv-it] test failed: keeping server dir " << dir_ << "\n"
              << (start_failed_ ? std::string() : LogTail(30)) << std::flush;
  } else {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
}

TestServer::~TestServer() {
  Cleanup();
}

std::string Resp(const std::vector<std::string>& args) {
  std::string out = "*" + std::to_string(args.size()) + "\r\n";
  for (const auto& a : args) {
    out.append("$").append(std::to_string(a.size())).append("\r\n").append(a).append("\r\n");
  }
  return out;
}

}  // namespace pykv::it
