#include "net/connector.h"

#include <netdb.h>
#include <sys/socket.h>

#include <cstring>
#include <utility>
#include <vector>

namespace pykv::net {

// One attempt: resolving, then connecting to each resolved address in turn until one
// accepts. It owns itself (self) because libuv may still hold its requests and timer after
// the Connector is gone; it lets go once none is outstanding.
struct Connector::Attempt {
  Connector* owner;
  uv_loop_t* loop;
  int port;
  Done done;
  std::unique_ptr<Attempt> self;
  uv_getaddrinfo_t gai{};
  uv_timer_t timer{};
  uv_connect_t connect_req{};
  std::unique_ptr<Connection> conn;
  std::vector<sockaddr_storage> addrs;
  size_t next_addr = 0;
  bool resolving = false;
  bool connecting = false;
  bool timer_open = false;
  bool finished = false;

  // Hands the result to the owner (once), then winds down whatever is still in flight.
  void Finish(StatusOr<std::unique_ptr<Connection>> result) {
    if (finished) return;
    finished = true;
    Done cb = std::move(done);
    done = nullptr;
    if (owner != nullptr) owner->attempt_ = nullptr;
    owner = nullptr;
    Abort();
    if (cb) cb(std::move(result));
  }

  void Abort() {
    finished = true;
    if (resolving) uv_cancel(reinterpret_cast<uv_req_t*>(&gai));
    // Closing the handle makes libuv run a pending connect callback with UV_ECANCELED.
    if (conn != nullptr) Connection::CloseOrphan(std::move(conn));
    if (timer_open) {
      timer_open = false;
      uv_close(reinterpret_cast<uv_handle_t*>(&timer), &Attempt::OnTimerClosed);
      return;  // OnTimerClosed frees us if nothing else is pending
    }
    MaybeFree();
  }

  void MaybeFree() {
    if (finished && !resolving && !connecting && !timer_open) self.reset();
  }

  void ConnectNext() {
    if (next_addr >= addrs.size()) return;
    conn = std::make_unique<Connection>(loop);
    connect_req.data = this;
    const auto* sa = reinterpret_cast<const sockaddr*>(&addrs[next_addr++]);
    int rc = uv_tcp_connect(&connect_req, conn->handle(), sa, &Attempt::OnConnected);
    if (rc != 0) {
      Failed(rc);
      return;
    }
    connecting = true;
  }

  // A connect failed: try the next address (a name such as localhost may resolve to ::1
  // first while the server listens on 127.0.0.1 only), or report the failure.
  void Failed(int rc) {
    if (conn != nullptr) Connection::CloseOrphan(std::move(conn));
    if (next_addr < addrs.size()) {
      ConnectNext();
      return;
    }
    Finish(Status::IoError(ErrorText(rc)));
  }

  static std::string ErrorText(int rc) {
    switch (rc) {
      case UV_EAI_NONAME:
        return "Name or service not known";
      case UV_EAI_AGAIN:
        return "Temporary failure in name resolution";
      case UV_ETIMEDOUT:
        return "Connection timed out";
      default:
        break;
    }
    // libuv's codes are negated errno values on Unix; strerror gives the words people know.
    if (rc < 0 && rc > UV_EAI_ADDRFAMILY) return std::strerror(-rc);  // EAI codes are below
    return uv_strerror(rc);
  }

  static void OnResolved(uv_getaddrinfo_t* req, int status, struct addrinfo* res) {
    auto* a = static_cast<Attempt*>(req->data);
    a->resolving = false;
    if (a->finished) {
      if (res != nullptr) uv_freeaddrinfo(res);
      a->MaybeFree();
      return;
    }
    if (status != 0) {
      if (res != nullptr) uv_freeaddrinfo(res);
      a->Finish(Status::IoError(ErrorText(status)));
      return;
    }
    for (addrinfo* ai = res; ai != nullptr; ai = ai->ai_next) {
      if (ai->ai_family != AF_INET && ai->ai_family != AF_INET6) continue;
      sockaddr_storage ss{};
      std::memcpy(&ss, ai->ai_addr, ai->ai_addrlen);
      if (ai->ai_family == AF_INET) {
        reinterpret_cast<sockaddr_in*>(&ss)->sin_port = htons(static_cast<uint16_t>(a->port));
      } else {
        reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port = htons(static_cast<uint16_t>(a->port));
      }
      a->addrs.push_back(ss);
    }
    uv_freeaddrinfo(res);
    if (a->addrs.empty()) {
      a->Finish(Status::IoError("Name or service not known"));
      return;
    }
    a->ConnectNext();
  }

  static void OnConnected(uv_connect_t* req, int status) {
    auto* a = static_cast<Attempt*>(req->data);
    a->connecting = false;
    if (a->finished) {
      a->MaybeFree();
      return;
    }
    if (status != 0) {
      a->Failed(status);
      return;
    }
    if (!a->conn->InitAfterAccept()) {
      a->Failed(UV_ECONNRESET);
      return;
    }
    a->Finish(std::move(a->conn));
  }

  static void OnTimeout(uv_timer_t* t) {
    auto* a = static_cast<Attempt*>(t->data);
    a->Finish(Status::IoError(ErrorText(UV_ETIMEDOUT)));
  }

  static void OnTimerClosed(uv_handle_t* h) {
    auto* a = static_cast<Attempt*>(h->data);
    a->MaybeFree();
  }
};

Connector::Connector(uv_loop_t* loop) : loop_(loop) {}

Connector::~Connector() {
  Cancel();
}

void Connector::Cancel() {
  if (attempt_ == nullptr) return;
  Attempt* a = attempt_;
  attempt_ = nullptr;
  a->owner = nullptr;
  a->done = nullptr;
  a->Abort();
}

void Connector::Start(std::string host, int port, uint64_t timeout_ms, Done done) {
  Cancel();
  auto owned = std::make_unique<Attempt>();
  Attempt* a = owned.get();
  a->self = std::move(owned);
  a->owner = this;
  a->loop = loop_;
  a->port = port;
  a->done = std::move(done);
  attempt_ = a;

  if (timeout_ms > 0) {
    uv_timer_init(loop_, &a->timer);
    a->timer.data = a;
    a->timer_open = true;
    uv_timer_start(&a->timer, &Attempt::OnTimeout, timeout_ms, 0);
  }

  sockaddr_storage ss{};
  if (uv_ip4_addr(host.c_str(), port, reinterpret_cast<sockaddr_in*>(&ss)) == 0 ||
      uv_ip6_addr(host.c_str(), port, reinterpret_cast<sockaddr_in6*>(&ss)) == 0) {
    a->addrs.push_back(ss);
    a->ConnectNext();
    return;
  }
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  a->gai.data = a;
  int rc = uv_getaddrinfo(loop_, &a->gai, &Attempt::OnResolved, host.c_str(), nullptr, &hints);
  if (rc != 0) {
    a->Finish(Status::IoError(Attempt::ErrorText(rc)));
    return;
  }
  a->resolving = true;
}

}  // namespace pykv::net
