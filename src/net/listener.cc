#include "net/listener.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <utility>

#include "net/loop.h"

namespace pykv::net {

// Heap-held so that Close() can hand it to its close callbacks: the Listener may then be
// destroyed before libuv is done with the handles.
struct Listener::Handle {
  uv_poll_t poll;
  uv_timer_t retry;
  int fd = -1;
  int open_handles = 0;       // freed when both close callbacks ran
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
  auto fail = [&](int err) {
    return Status::IoError("cannot listen on " + host + ":" + std::to_string(port) + ": " +
                           uv_strerror(uv_translate_sys_error(err)));
  };

  // The socket is made here rather than by uv_listen so that accepting stays in our hands:
  // libuv's own answer to EMFILE drops pending connections without a word.
  const int fd = ::socket(ipv6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return fail(errno);
  const int on = 1;
  // SO_REUSEADDR, so a restart does not wait for TIME_WAIT sockets; IPV6_V6ONLY, so "::"
  // and "0.0.0.0" can both be bound on the same port.
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
  if (ipv6) ::setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on));
  const socklen_t addr_len = ipv6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in);
  if (::bind(fd, reinterpret_cast<const sockaddr*>(&addr), addr_len) != 0 ||
      ::listen(fd, backlog) != 0) {
    const int err = errno;
    ::close(fd);
    return fail(err);
  }

  handle_ = std::make_unique<Handle>();
  handle_->owner = this;
  handle_->fd = fd;
  uv_timer_init(loop_->raw(), &handle_->retry);
  handle_->retry.data = handle_.get();
  ++handle_->open_handles;
  int rc = uv_poll_init_socket(loop_->raw(), &handle_->poll, fd);
  if (rc == 0) {
    handle_->poll.data = handle_.get();
    ++handle_->open_handles;
    rc = uv_poll_start(&handle_->poll, UV_READABLE, &Listener::OnReadable);
  }
  if (rc != 0) {
    Close();
    return Status::IoError("cannot listen on " + host + ":" + std::to_string(port) + ": " +
                           uv_strerror(rc));
  }
  if (spare_fd_ < 0) ReopenSpare();

  sockaddr_storage bound{};
  socklen_t len = sizeof(bound);
  port_ = port;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &len) == 0) {
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
  if (spare_fd_ >= 0) {
    ::close(spare_fd_);
    spare_fd_ = -1;
  }
  if (handle_ == nullptr) return;
  Handle* h = handle_.release();
  h->owner = nullptr;
  // From here the close callbacks own the handle. Closing the poll handle takes the socket
  // out of epoll at once, so the socket itself can go now: the port is free on return.
  const int handles = h->open_handles;
  uv_close(reinterpret_cast<uv_handle_t*>(&h->retry), &Listener::OnCloseCb);
  if (handles == 2) uv_close(reinterpret_cast<uv_handle_t*>(&h->poll), &Listener::OnCloseCb);
  ::close(h->fd);
}

void Listener::OnCloseCb(uv_handle_t* h) {
  auto* handle = static_cast<Handle*>(h->data);
  if (--handle->open_handles == 0) std::unique_ptr<Handle> owned(handle);
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

void Listener::ReopenSpare() {
  if (spare_fd_ < 0) spare_fd_ = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
}

void Listener::OnReadable(uv_poll_t* poll, int status, int /*events*/) {
  auto* h = static_cast<Handle*>(poll->data);
  Listener* self = h->owner;
  if (self == nullptr) return;  // closing
  if (status < 0) {
    self->WarnAcceptError("accept failed", status);
    return;
  }
  self->AcceptPending();
}

void Listener::OnRetryTimer(uv_timer_t* timer) {
  auto* h = static_cast<Handle*>(timer->data);
  Listener* self = h->owner;
  if (self == nullptr) return;
  self->ReopenSpare();
  uv_poll_start(&h->poll, UV_READABLE, &Listener::OnReadable);
}

void Listener::AcceptPending() {
  for (int i = 0; i < kMaxAcceptsPerEvent && handle_ != nullptr; ++i) {
    const int fd = ::accept4(handle_->fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd >= 0) {
      Adopt(fd);
      continue;
    }
    const int err = errno;
    if (err == EAGAIN || err == EWOULDBLOCK) return;
    if (err == EINTR || err == ECONNABORTED) continue;  // that one is gone; try the next
    if (err == EMFILE || err == ENFILE) {
      if (RefuseOverLimit(err)) continue;
      // Nothing to give up: the socket stays readable (level-triggered), so stop watching
      // it for a while rather than spin.
      uv_poll_stop(&handle_->poll);
      uv_timer_start(&handle_->retry, &Listener::OnRetryTimer, kRetryMs, 0);
      return;
    }
    // ENOBUFS, ENOMEM, a firewall's EPERM...: the next readiness event retries.
    WarnAcceptError("accept failed", uv_translate_sys_error(err));
    return;
  }
}

void Listener::Adopt(int fd) {
  auto conn = std::make_unique<Connection>(loop_->raw());
  const int rc = uv_tcp_open(conn->handle(), fd);
  if (rc != 0) {
    ::close(fd);  // not taken over by the handle
    WarnAcceptError("accept failed", rc);
    Connection::CloseOrphan(std::move(conn));
    return;
  }
  // A client that connected and reset at once (a port scanner, a health probe) has no
  // peer address any more: drop it quietly instead of treating it as a stranger.
  if (!conn->InitAfterAccept() || !on_accept_) {
    Connection::CloseOrphan(std::move(conn));
    return;
  }
  on_accept_(std::move(conn));
}

bool Listener::RefuseOverLimit(int accept_errno) {
  ReopenSpare();
  if (spare_fd_ < 0) {
    WarnAcceptError("accept failed, no spare descriptor to refuse the connection with",
                    uv_translate_sys_error(accept_errno));
    return false;
  }
  ::close(spare_fd_);
  spare_fd_ = -1;
  const int fd = ::accept4(handle_->fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
  const int err = errno;
  if (fd >= 0) {
    // Whatever the peer sent already is read away first: closing with unread input would
    // reset the connection, and the reset may destroy the reply before it is read.
    char scratch[1024];
    (void)::recv(fd, scratch, sizeof(scratch), MSG_DONTWAIT);
    if (!overload_reply_.empty()) {
      (void)::send(fd, overload_reply_.data(), overload_reply_.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    }
    ::close(fd);
    if (on_overload_) on_overload_();
    WarnAcceptError("Refused a connection, out of file descriptors",
                    uv_translate_sys_error(accept_errno));
  }
  ReopenSpare();
  if (fd >= 0) return true;
  // Gone meanwhile (EAGAIN and friends): the next accept finds out. Still EMFILE: someone
  // else took the descriptor.
  return err != EMFILE && err != ENFILE;
}

}  // namespace pykv::net
