// Test helpers for net/: a toy line-echo server built on net/ alone (Loop + Listener +
// Connection; no RESP, no commands), blocking client sockets for a client thread, and a
// harness that runs the loop on the test thread while the client runs on another, every wait
// bounded. Shows that net/ is a complete transport by itself.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <cstring>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include "net/connection.h"
#include "net/listener.h"
#include "net/loop.h"

namespace pykv::net::testing {

using Clock = std::chrono::steady_clock;

class EchoServer;

// One client of the echo server: reads lines and answers each one uppercased. "QUIT" gets
// "BYE" and CloseAfterFlush. Tests may intercept lines with EchoServer::on_line.
class EchoSession : public ConnectionHandler {
 public:
  EchoSession(EchoServer* server, std::unique_ptr<Connection> conn)
      : server_(server), conn_(std::move(conn)) {}

  Connection& conn() { return *conn_; }
  size_t reads() const { return reads_; }

  std::span<char> OnReadBuffer(size_t suggested) override {
    if (in_.size() - used_ < suggested) in_.resize(std::max(in_.size() * 2, used_ + suggested));
    return {in_.data() + used_, in_.size() - used_};
  }

  void OnRead(size_t n) override;
  void OnClose() override;
  void OnDrained() override {
    if (paused_for_output_) {
      paused_for_output_ = false;
      conn_->ResumeReading();
    }
  }

  // Appends "<LINE uppercased>\n" straight into the output buffer.
  void EchoUpper(std::string_view line) {
    char* p = conn_->output().Reserve(line.size() + 1);
    for (size_t i = 0; i < line.size(); ++i) {
      p[i] = static_cast<char>(std::toupper(static_cast<unsigned char>(line[i])));
    }
    p[line.size()] = '\n';
    conn_->output().Commit(line.size() + 1);
  }

 private:
  EchoServer* server_;
  std::unique_ptr<Connection> conn_;
  std::vector<char> in_;
  size_t used_ = 0;
  size_t scanned_ = 0;  // bytes of in_ already known to hold no '\n'
  size_t reads_ = 0;
  bool paused_for_output_ = false;
  bool quit_ = false;
};

class EchoServer {
 public:
  // A session whose output is above this stops being read until drained.
  static constexpr size_t kOutputSoftLimit = 4 << 20;

  explicit EchoServer(Loop* loop)
      : loop_(loop),
        listener_(loop, [this](std::unique_ptr<Connection> c) { Accept(std::move(c)); }) {
    // Like the real server: replies are written once per iteration, before the loop sleeps.
    loop_->AddBeforeSleep([this] { FlushPending(); });
  }

  Status Listen(int backlog = 511) { return listener_.Listen("127.0.0.1", 0, backlog); }
  Listener& listener() { return listener_; }
  int port() const { return listener_.port(); }

  // Closes the listener and every session (their OnClose removes them).
  void CloseAll() {
    listener_.Close();
    for (auto& [p, s] : sessions_) s->conn().Close();
  }

  void MarkPending(EchoSession* s) {
    if (std::find(pending_.begin(), pending_.end(), s) == pending_.end()) pending_.push_back(s);
  }
  void Remove(EchoSession* s) {
    pending_.erase(std::remove(pending_.begin(), pending_.end(), s), pending_.end());
    live_.fetch_sub(1);
    closed_.fetch_add(1);
    sessions_.erase(s);  // destroys the session and its Connection (its close cb has run)
  }
  size_t session_count() const { return sessions_.size(); }
  EchoSession* any_session() { return sessions_.empty() ? nullptr : sessions_.begin()->first; }

  // Returns true when the line was handled by the test.
  std::function<bool(EchoSession&, std::string_view)> on_line;
  std::function<void(Connection&)> on_accept;

  // Readable from the client thread.
  std::atomic<int> accepted{0};
  int closed() const { return closed_.load(); }
  int live() const { return live_.load(); }
  // Flushes that left bytes queued (a uv_write in flight).
  std::atomic<int> queued_flushes{0};
  // Times a session stopped reading because its output passed the soft limit.
  std::atomic<int> output_pauses{0};
  // When false, replies are never flushed by the server; only the connection itself may
  // send them (as it does when the peer half-closes).
  bool flush_before_sleep = true;

 private:
  void Accept(std::unique_ptr<Connection> c) {
    if (on_accept) on_accept(*c);
    auto session = std::make_unique<EchoSession>(this, std::move(c));
    EchoSession* raw = session.get();
    sessions_.emplace(raw, std::move(session));
    accepted.fetch_add(1);
    live_.fetch_add(1);
    raw->conn().Start(raw);
  }

  void FlushPending() {
    if (!flush_before_sleep) return;
    // Swap first: Flush may call OnDrained, which may mark sessions pending again.
    flushing_.swap(pending_);
    for (EchoSession* s : flushing_) {
      s->conn().Flush();
      if (s->conn().pending_output() > 0) ++queued_flushes;
    }
    flushing_.clear();
  }

  Loop* loop_;
  Listener listener_;
  std::unordered_map<EchoSession*, std::unique_ptr<EchoSession>> sessions_;
  std::vector<EchoSession*> pending_;
  std::vector<EchoSession*> flushing_;
  std::atomic<int> live_{0};
  std::atomic<int> closed_{0};
};

inline void EchoSession::OnRead(size_t n) {
  ++reads_;
  used_ += n;
  size_t start = 0;
  while (!quit_ && conn_->reading()) {
    char* nl = static_cast<char*>(std::memchr(in_.data() + scanned_, '\n', used_ - scanned_));
    if (nl == nullptr) {
      scanned_ = used_;
      break;
    }
    std::string_view line(in_.data() + start, static_cast<size_t>(nl - (in_.data() + start)));
    start = static_cast<size_t>(nl - in_.data()) + 1;
    scanned_ = start;
    if (server_->on_line && server_->on_line(*this, line)) continue;
    if (line == "QUIT") {
      conn_->output().Append("BYE\n");
      conn_->CloseAfterFlush();
      quit_ = true;
    } else {
      EchoUpper(line);
    }
  }
  if (start > 0) {
    std::memmove(in_.data(), in_.data() + start, used_ - start);
    used_ -= start;
    scanned_ -= start;
  }
  if (conn_->pending_output() > 0) {
    server_->MarkPending(this);
    if (conn_->pending_output() > EchoServer::kOutputSoftLimit && conn_->reading()) {
      conn_->PauseReading();
      paused_for_output_ = true;
      ++server_->output_pauses;
    }
  }
}

inline void EchoSession::OnClose() {
  server_->Remove(this);
}

// A blocking client socket with receive/send timeouts, so no call can hang a test.
class Client {
 public:
  Client() = default;
  ~Client() { Close(); }
  Client(Client&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
  Client& operator=(Client&& o) noexcept {
    std::swap(fd_, o.fd_);
    return *this;
  }

  // Opens a socket without connecting (to take a descriptor early).
  bool Open() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd_ < 0) return false;
    timeval tv{};
    tv.tv_sec = 10;
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    return true;
  }
  bool ConnectTo(int port) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return ::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0;
  }
  bool Connect(int port) { return Open() && ConnectTo(port); }

  bool Send(std::string_view data) {
    while (!data.empty()) {
      ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      data.remove_prefix(static_cast<size_t>(n));
    }
    return true;
  }
  // Reads exactly n bytes (false on EOF, error or the deadline).
  bool ReadExactly(size_t n, std::string* out, size_t chunk = 1 << 16,
                   std::function<void()> between_reads = nullptr) {
    auto deadline = Clock::now() + std::chrono::seconds(60);
    out->clear();
    std::string buf(chunk, '\0');
    while (out->size() < n) {
      if (Clock::now() > deadline) return false;
      ssize_t r = ::recv(fd_, buf.data(), std::min(chunk, n - out->size()), 0);
      if (r <= 0) return false;
      out->append(buf.data(), static_cast<size_t>(r));
      if (between_reads) between_reads();
    }
    return true;
  }
  // Reads until the peer closes; false on error, timeout or more than max bytes.
  bool ReadToEof(std::string* out, size_t max = 64 << 20) {
    auto deadline = Clock::now() + std::chrono::seconds(60);
    out->clear();
    std::string buf(1 << 16, '\0');
    while (Clock::now() < deadline && out->size() <= max) {
      ssize_t r = ::recv(fd_, buf.data(), buf.size(), 0);
      if (r == 0) return true;
      if (r < 0) return false;
      out->append(buf.data(), static_cast<size_t>(r));
    }
    return false;
  }
  // True when the server closed the connection (EOF or reset) within the receive timeout.
  bool WaitClosedByPeer() {
    char c;
    auto deadline = Clock::now() + std::chrono::seconds(20);
    while (Clock::now() < deadline) {
      ssize_t r = ::recv(fd_, &c, 1, 0);
      if (r == 0) return true;
      if (r < 0) return errno == ECONNRESET || errno == EPIPE;
    }
    return false;
  }
  void ShutdownWrite() { ::shutdown(fd_, SHUT_WR); }
  void Close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }
  int fd() const { return fd_; }

 private:
  int fd_ = -1;
};

// Polls cond every millisecond until it holds or the timeout passes.
inline bool WaitFor(const std::function<bool()>& cond,
                    std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
  auto deadline = Clock::now() + timeout;
  while (!cond()) {
    if (Clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

// Runs the loop on this thread and `client` on another. When the client returns, the server
// is closed and the loop stopped through Post(); a watchdog timer does the same if the test
// hangs. Returns false if the watchdog fired or Run() failed.
inline bool RunWithClient(Loop& loop, EchoServer& server, const std::function<void()>& client,
                          uint64_t watchdog_ms = 60000) {
  bool timed_out = false;
  loop.AddTimer(watchdog_ms, [&] {
    timed_out = true;
    server.CloseAll();
    loop.Stop();
  });
  std::thread t([&] {
    client();
    loop.Post([&] {
      server.CloseAll();
      loop.Stop();
    });
  });
  Status st = loop.Run();
  t.join();
  return !timed_out && st.ok();
}

// Raises the soft descriptor limit to at least n (up to the hard limit). Returns the limit
// in force afterwards.
inline rlim_t RaiseFdLimit(rlim_t n) {
  rlimit rl{};
  getrlimit(RLIMIT_NOFILE, &rl);
  if (rl.rlim_cur < n) {
    rl.rlim_cur = std::min(n, rl.rlim_max);
    setrlimit(RLIMIT_NOFILE, &rl);
    getrlimit(RLIMIT_NOFILE, &rl);
  }
  return rl.rlim_cur;
}

// Counts the handles still registered with a loop (closed ones are removed after their
// close callback).
inline int CountHandles(uv_loop_t* loop) {
  int n = 0;
  uv_walk(
      loop, [](uv_handle_t*, void* arg) { ++*static_cast<int*>(arg); }, &n);
  return n;
}

}  // namespace pykv::net::testing
