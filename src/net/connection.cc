#include "net/connection.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cassert>
#include <cstddef>
#include <cstdlib>
#include <utility>

namespace pykv::net {
namespace {

// libuv documents uv_buf_t as layout-compatible with struct iovec on Unix; OutBuffer fills
// iovecs, which are then handed to libuv without copying.
static_assert(sizeof(uv_buf_t) == sizeof(struct iovec));
static_assert(offsetof(uv_buf_t, base) == offsetof(struct iovec, iov_base));
static_assert(offsetof(uv_buf_t, len) == offsetof(struct iovec, iov_len));

size_t TotalLen(const struct iovec* iov, size_t n) {
  size_t total = 0;
  for (size_t i = 0; i < n; ++i) total += iov[i].iov_len;
  return total;
}

// Redis's CLIENT LIST form: "ip:port" for both families, no brackets around IPv6.
std::string FormatAddress(const sockaddr_storage& ss, bool* loopback) {
  char ip[INET6_ADDRSTRLEN] = {0};
  int port = 0;
  bool lo = false;
  if (ss.ss_family == AF_INET) {
    const auto* sin = reinterpret_cast<const sockaddr_in*>(&ss);
    uv_ip4_name(sin, ip, sizeof(ip));
    port = ntohs(sin->sin_port);
    lo = (ntohl(sin->sin_addr.s_addr) >> 24) == 127;
  } else if (ss.ss_family == AF_INET6) {
    const auto* sin6 = reinterpret_cast<const sockaddr_in6*>(&ss);
    uv_ip6_name(sin6, ip, sizeof(ip));
    port = ntohs(sin6->sin6_port);
    const auto& a = sin6->sin6_addr;
    lo = IN6_IS_ADDR_LOOPBACK(&a) || (IN6_IS_ADDR_V4MAPPED(&a) && a.s6_addr[12] == 127);
  } else {
    if (loopback != nullptr) *loopback = false;
    return "?:0";
  }
  if (loopback != nullptr) *loopback = lo;
  std::string out(ip);
  out += ':';
  out += std::to_string(port);
  return out;
}

uv_stream_t* AsStream(uv_tcp_t* t) {
  return reinterpret_cast<uv_stream_t*>(t);
}
uv_handle_t* AsHandle(uv_tcp_t* t) {
  return reinterpret_cast<uv_handle_t*>(t);
}

}  // namespace

Connection::Connection(uv_loop_t* loop) {
  // Never fails for AF_UNSPEC: no socket is created until uv_accept.
  uv_tcp_init(loop, &tcp_);
  tcp_.data = this;
  write_req_.data = this;
}

Connection::~Connection() {
  // libuv still points at tcp_ until the close callback ran; destroying earlier would leave
  // it writing into freed memory.
  if (!closed_) spdlog::error("net: Connection destroyed before its close callback");
  assert(closed_);
}

bool Connection::InitAfterAccept() {
  // Replies are small and latency matters more than packet count; batching is done by
  // writing once per loop iteration instead.
  uv_tcp_nodelay(&tcp_, 1);
  sockaddr_storage ss{};
  int len = sizeof(ss);
  if (uv_tcp_getpeername(&tcp_, reinterpret_cast<sockaddr*>(&ss), &len) != 0) {
    return false;  // the peer reset it between accept and now
  }
  peer_ = FormatAddress(ss, &peer_loopback_);
  ss = {};
  len = sizeof(ss);
  if (uv_tcp_getsockname(&tcp_, reinterpret_cast<sockaddr*>(&ss), &len) == 0) {
    local_ = FormatAddress(ss, nullptr);
  }
  return true;
}

void Connection::CloseOrphan(std::unique_ptr<Connection> conn) {
  Connection* c = conn.get();
  c->handler_ = nullptr;
  c->self_ = std::move(conn);
  c->Close();
}

void Connection::Start(ConnectionHandler* handler) {
  handler_ = handler;
  ResumeReading();
}

void Connection::PauseReading() {
  if (!reading_) return;
  uv_read_stop(AsStream(&tcp_));
  reading_ = false;
}

void Connection::ResumeReading() {
  read_this_turn_ = 0;
  if (reading_ || closing_ || close_after_flush_ || handler_ == nullptr) return;
  int rc = uv_read_start(AsStream(&tcp_), &Connection::OnAlloc, &Connection::OnReadCb);
  if (rc != 0) {
    Close();
    return;
  }
  reading_ = true;
}

void Connection::OnAlloc(uv_handle_t* h, size_t suggested, uv_buf_t* buf) {
  auto* c = static_cast<Connection*>(h->data);
  if (c->read_this_turn_ >= c->read_budget_) {
    // Yield: UV_ENOBUFS ends libuv's read loop for this socket until the next iteration.
    c->read_this_turn_ = 0;
    buf->base = nullptr;
    buf->len = 0;
    return;
  }
  const size_t left = c->read_budget_ - c->read_this_turn_;
  // Read straight into the handler's parse buffer: no copy, no allocation here.
  std::span<char> space = c->handler_->OnReadBuffer(std::min(suggested, left));
  buf->base = space.data();
  // A read that fills this exactly makes libuv ask again, and the check above yields.
  buf->len = std::min(space.size(), left);
}

void Connection::OnReadCb(uv_stream_t* s, ssize_t n, const uv_buf_t* buf) {
  auto* c = static_cast<Connection*>(s->data);
  if (n > 0) {
    // A short read ends libuv's read loop: the next read is a new iteration's.
    c->read_this_turn_ = static_cast<size_t>(n) < buf->len ? 0 : c->read_this_turn_ + n;
    c->handler_->OnRead(static_cast<size_t>(n));
    return;
  }
  c->read_this_turn_ = 0;
  if (n == 0) return;           // EAGAIN: nothing this time
  if (n == UV_ENOBUFS) return;  // our own yield (OnAlloc): read again next iteration
  if (n == UV_EOF) {
    // libuv already stopped reading. The peer may have only shut down its write side
    // (printf 'PING\r\n' | nc -q0), and replies to what it sent in the same burst may not
    // be written yet (that happens before the loop sleeps): send them, then close, as Redis
    // effectively does since it writes replies before it sees the EOF.
    c->reading_ = false;
    if (c->out_.empty() && !c->write_pending_) {
      c->Close();
    } else {
      c->close_after_flush_ = true;
      c->Flush();
    }
    return;
  }
  c->Close();  // ECONNRESET and friends
}

void Connection::Flush() {
  // A queued write is in flight: its callback goes on with what was appended meanwhile.
  if (closing_ || write_pending_) return;
  if (out_.empty()) {
    if (close_after_flush_) Close();
    return;
  }
  WriteSome();
}

void Connection::WriteSome() {
  while (!out_.empty()) {
    size_t n = out_.PeekIov(iov_, kMaxTryIov);
    size_t want = TotalLen(iov_, n);
    int rc = uv_try_write(AsStream(&tcp_), reinterpret_cast<uv_buf_t*>(iov_),
                          static_cast<unsigned int>(n));
    if (rc == UV_EAGAIN) break;  // socket buffer full: queue the rest
    if (rc < 0) {
      Close();  // EPIPE, ECONNRESET: the peer is gone
      return;
    }
    out_.Consume(static_cast<size_t>(rc));
    if (static_cast<size_t>(rc) < want) break;  // short write: the buffer is full
  }
  if (out_.empty()) {
    AfterDrain();
    return;
  }
  StartQueuedWrite();
}

void Connection::StartQueuedWrite() {
  size_t n = out_.PeekIov(iov_, kMaxQueuedIov);
  size_t total = TotalLen(iov_, n);
  write_req_.data = this;
  // libuv copies the uv_buf_t array into the request; the bytes themselves stay in out_,
  // which keeps them in place (appends go to the back) until OnWriteCb consumes them.
  int rc = uv_write(&write_req_, AsStream(&tcp_), reinterpret_cast<uv_buf_t*>(iov_),
                    static_cast<unsigned int>(n), &Connection::OnWriteCb);
  if (rc != 0) {
    Close();
    return;
  }
  in_flight_ = total;
  write_pending_ = true;
}

void Connection::OnWriteCb(uv_write_t* req, int status) {
  auto* c = static_cast<Connection*>(req->data);
  size_t done = c->in_flight_;
  c->in_flight_ = 0;
  c->write_pending_ = false;
  // Cancelled by uv_close (UV_ECANCELED), or completed just before it: libuv runs this
  // before the close callback, so *c is still alive, but there is nothing left to do.
  if (c->closing_) return;
  if (status < 0) {
    c->Close();
    return;
  }
  c->out_.Consume(done);
  if (c->out_.empty()) {
    c->AfterDrain();
    return;
  }
  c->WriteSome();
}

void Connection::AfterDrain() {
  if (close_after_flush_) {
    Close();
  } else if (handler_ != nullptr) {
    handler_->OnDrained();
  }
}

void Connection::Close() {
  if (closing_) return;
  closing_ = true;
  if (reading_) {
    uv_read_stop(AsStream(&tcp_));
    reading_ = false;
  }
  uv_close(AsHandle(&tcp_), &Connection::OnCloseCb);
}

void Connection::CloseAfterFlush() {
  if (closing_) return;
  if (out_.empty() && !write_pending_) {
    Close();
    return;
  }
  close_after_flush_ = true;
  PauseReading();
}

void Connection::OnCloseCb(uv_handle_t* h) {
  auto* c = static_cast<Connection*>(h->data);
  c->closed_ = true;
  // Any write callback already ran (libuv cancels writes before calling this), so no
  // request points into the buffer any more; release it now rather than at destruction.
  c->out_.Clear();
  // Set only for an orphan: destroying it here, after the handler call site, is the point.
  std::unique_ptr<Connection> orphan = std::move(c->self_);
  // Last use of *c: the handler may destroy the Connection.
  if (c->handler_ != nullptr) c->handler_->OnClose();
}

void Connection::SetNoDelay(bool on) {
  uv_tcp_nodelay(&tcp_, on ? 1 : 0);
}

void Connection::SetKeepAlive(int seconds) {
  uv_tcp_keepalive(&tcp_, seconds > 0 ? 1 : 0, seconds > 0 ? static_cast<unsigned>(seconds) : 0);
}

int Connection::fd() const {
  uv_os_fd_t fd = -1;
  if (uv_fileno(reinterpret_cast<const uv_handle_t*>(&tcp_), &fd) != 0) return -1;
  return fd;
}

}  // namespace pykv::net
