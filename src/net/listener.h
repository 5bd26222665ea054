// Listener: a listening TCP socket on one address. Each accepted connection is handed to
// the accept callback as an accepted-but-unread Connection (call Start() to read): the
// callback owns it and must Close() it before destroying it. Accept failures (EMFILE...)
// are logged and the listener keeps listening. Loop thread only.
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

 private:
  struct Handle;  // the uv_tcp_t and a pointer back here
  static void OnConnection(uv_stream_t* server, int status);
  static void OnCloseCb(uv_handle_t* h);
  void WarnAcceptError(const char* what, int err);

  Loop* loop_;
  AcceptFn on_accept_;
  std::unique_ptr<Handle> handle_;  // null when not listening
  int port_ = 0;
  std::string host_;
  // Accept errors come in bursts (EMFILE on every wake-up): log one line a second at most.
  uint64_t last_warn_ms_ = 0;
  uint64_t suppressed_warnings_ = 0;
};

}  // namespace pykv::net
