#include "net/listener.h"

#include <arpa/inet.h>
#include <spdlog/spdlog.h>

#include <utility>

#include "net/loop.h"

namespace pykv::net {

// Heap-held so that Close() can hand it to its close callback: the Listener may then be
// destroyed before libuv is done with the handle.
struct Listener::Handle {
  uv_tcp_t tcp;
  Listener* owner = nullptr;  // null once closed
};

Listener::Listener(Loop* loop, AcceptFn on_accept)
    : loop_(loop), on_accept_(std::move(on_accept)) {}

Listener::~Listener() {
  Close();
}

Status Listener::Listen(const std::string& host, int port, int backlog) {
  if (handle_ != nullptr) return Status::Invalid("listener already listening");
  if (port < 0 || port > 65535) return Status::Invalid("invalid port " + std::to_string(port));
  const std::string bind_host = host == "*" ? "0.0.0.0" : host;
  sockaddr_storage addr{};
  bool ipv6 = false;
  if (uv_ip4_addr(bind_host.c_str(), port, reinterpret_cast<sockaddr_in*>(&addr)) != 0) {
    if (uv_ip6_addr(bind_host.c_str(), port, reinterpret_cast<sockaddr_in6*>(&addr)) != 0) {
      return Status::Invalid("invalid bind address '" + host + "'");
    }
    ipv6 = true;
  }

  handle_ = std::make_unique<Handle>();
  handle_->owner = this;
  uv_tcp_init(loop_->raw(), &handle_->tcp);
  handle_->tcp.data = handle_.get();
  // IPV6ONLY so "::" and "0.0.0.0" can both be bound on the same port. SO_REUSEADDR is set
  // by libuv on Unix, so a restart does not wait for TIME_WAIT sockets.
  int rc = uv_tcp_bind(&handle_->tcp, reinterpret_cast<const sockaddr*>(&addr),
                       ipv6 ? UV_TCP_IPV6ONLY : 0);
  // libuv reports EADDRINUSE from uv_listen, not uv_tcp_bind.
  if (rc == 0) {
    rc = uv_listen(reinterpret_cast<uv_stream_t*>(&handle_->tcp), backlog, &Listener::OnConnection);
  }
  if (rc != 0) {
    Close();
    return Status::IoError("cannot listen on " + host + ":" + std::to_string(port) + ": " +
                           uv_strerror(rc));
  }

  sockaddr_storage bound{};
  int len = sizeof(bound);
  port_ = port;
  if (uv_tcp_getsockname(&handle_->tcp, reinterpret_cast<sockaddr*>(&bound), &len) == 0) {
    if (bound.ss_family == AF_INET) {
      port_ = ntohs(reinterpret_cast<const sockaddr_in*>(&bound)->sin_port);
    } else if (bound.ss_family == AF_INET6) {
      port_ = ntohs(reinterpret_cast<const sockaddr_in6*>(&bound)->sin6_port);
    }
  }
  host_ = host;
  return Status::Ok();
}

void Listener::Close() {
  if (handle_ == nullptr) return;
  Handle* h = handle_.release();
  h->owner = nullptr;
  // From here the close callback owns the handle.
  uv_close(reinterpret_cast<uv_handle_t*>(&h->tcp), &Listener::OnCloseCb);
}

void Listener::OnCloseCb(uv_handle_t* h) {
  std::unique_ptr<Handle> owned(static_cast<Handle*>(h->data));
}

void Listener::WarnAcceptError(const char* what, int err) {
  uint64_t now = loop_->now_ms();
  if (last_warn_ms_ != 0 && now - last_warn_ms_ < 1000) {
    ++suppressed_warnings_;
    return;
  }
  if (suppressed_warnings_ > 0) {
    spdlog::warn("{} on {}:{}: {} ({} similar errors suppressed)", what, host_, port_,
                 uv_strerror(err), suppressed_warnings_);
  } else {
    spdlog::warn("{} on {}:{}: {}", what, host_, port_, uv_strerror(err));
  }
  last_warn_ms_ = now == 0 ? 1 : now;
  suppressed_warnings_ = 0;
}

void Listener::OnConnection(uv_stream_t* server, int status) {
  auto* h = static_cast<Handle*>(server->data);
  Listener* self = h->owner;
  if (self == nullptr) return;  // closing
  if (status < 0) {
    // EMFILE/ENFILE: libuv has already accepted and dropped the pending connections with
    // its reserve descriptor, so the listener stays usable once descriptors free up.
    self->WarnAcceptError("accept failed", status);
    return;
  }
  auto conn = std::make_unique<Connection>(server->loop);
  int rc = uv_accept(server, reinterpret_cast<uv_stream_t*>(conn->handle()));
  if (rc != 0) {
    self->WarnAcceptError("accept failed", rc);
    Connection::CloseOrphan(std::move(conn));
    return;
  }
  // A client that connected and reset at once (a port scanner, a health probe) has no
  // peer address any more: drop it quietly instead of treating it as a stranger.
  if (!conn->InitAfterAccept() || !self->on_accept_) {
    Connection::CloseOrphan(std::move(conn));
    return;
  }
  self->on_accept_(std::move(conn));
}

}  // namespace pykv::net
