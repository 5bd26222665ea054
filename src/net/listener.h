// Listener: a listening TCP socket on one address. Each accepted connection is handed to
// the accept callback as an accepted-but-unread Connection (call Start() to read): the
// callback owns it and must Close() it before destroying it. When the process is out of
// descriptors (accept fails with EMFILE/ENFILE), a spare descriptor kept for the purpose
// is given up for a moment to accept the connection anyway, send it the owner's overload
// reply, and close it, so the peer learns why instead of seeing a silent close; the
// listener keeps listening. Other accept failures are logged. Loop thread only.
#pragma once

#include <uv.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "common/status.h"
#include "net/connection.h"

namespace pykv::net {

class Loop;

class Listener {
 public:
  using AcceptFn = std::function<void(std::unique_ptr<Connection>)>;

  Listener(Loop* loop, AcceptFn on_accept);
  ~Listener();
  Listener(const Listener&) = delete;
  Listener& operator=(const Listener&) = delete;

  // Binds host ("127.0.0.1", "::1", "0.0.0.0", "*" = "0.0.0.0", "::" = IPv6 only, so both
  // families can be bound side by side) and port (0 = any free port), with SO_REUSEADDR,
  // and listens. On failure nothing stays open.
  Status Listen(const std::string& host, int port, int backlog = 511);
  // The port actually bound (useful with port 0).
  int port() const { return port_; }
  const std::string& host() const { return host_; }
  // Stops accepting. The socket handle is freed in its close callback, which owns it from
  // now on, so the Listener itself may be destroyed right away. The destructor closes too.
  void Close();

  // What a connection refused for lack of descriptors is sent before it is closed (e.g. a
  // RESP error, an HTTP 503); nothing by default. on_overload is called once per such
  // connection (to count it).
  void set_overload_reply(std::string bytes) { overload_reply_ = std::move(bytes); }
  void set_on_overload(std::function<void()> fn) { on_overload_ = std::move(fn); }

 private:
  struct Handle;  // the poll handle on the listening socket, and a pointer back here
  static void OnReadable(uv_poll_t* poll, int status, int events);
  static void OnRetryTimer(uv_timer_t* timer);
  static void OnCloseCb(uv_handle_t* h);
  void AcceptPending();
  // Hands one accepted socket to on_accept_ as a Connection.
  void Adopt(int fd);
  // Out of descriptors: accepts one pending connection on the spare descriptor's slot and
  // refuses it. False when it could not (no spare): the caller backs off.
  bool RefuseOverLimit(int accept_errno);
  void ReopenSpare();
  void WarnAcceptError(const char* what, int err);

  // Connections accepted per readiness event at most (Redis's MAX_ACCEPTS_PER_CALL), so a
  // connection storm does not hold up the clients already connected.
  static constexpr int kMaxAcceptsPerEvent = 1000;
  // Out of descriptors with no spare to refuse with: accepting pauses this long.
  static constexpr uint64_t kRetryMs = 100;

  Loop* loop_;
  AcceptFn on_accept_;
  std::unique_ptr<Handle> handle_;  // null when not listening
  int port_ = 0;
  std::string host_;
  int spare_fd_ = -1;  // /dev/null, held only to be given up when descriptors run out
  std::string overload_reply_;
  std::function<void()> on_overload_;
  // Accept errors come in bursts (EMFILE on every wake-up): log one line a second at most.
  uint64_t last_warn_ms_ = 0;
  uint64_t suppressed_warnings_ = 0;
};

}  // namespace pykv::net
