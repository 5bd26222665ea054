#include "integration/tcp_proxy.h"

#include <arpa/inet.h>
#include <doctest/doctest.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace pykv::it {
namespace {

// Bytes held per direction before the proxy stops reading the sender: the sender then
// feels the receiver's back-pressure as it would on a direct connection.
constexpr size_t kMaxBuffered = 256 * 1024;
// An upper bound on one poll(), so a lost wake-up costs at most this much.
constexpr int kPollMs = 500;

class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  ~Fd() { Reset(); }
  Fd(Fd&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
  Fd& operator=(Fd&& o) noexcept {
    if (this != &o) {
      Reset();
      fd_ = std::exchange(o.fd_, -1);
    }
    return *this;
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;

  int get() const { return fd_; }
  int release() { return std::exchange(fd_, -1); }
  void Reset() {
    if (fd_ >= 0) close(fd_);
    fd_ = -1;
  }

 private:
  int fd_;
};

void NoDelay(int fd) {
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

sockaddr_in Loopback(int port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(static_cast<uint16_t>(port));
  return a;
}

// One direction of a pair: what was read from one side and not yet written to the other.
struct Flow {
  std::string buf;
  bool eof = false;      // the sender closed its side
  bool shut_on = false;  // the EOF was passed on (shutdown of the receiver's write side)
};

struct Pair {
  Fd client;
  Fd target;
  bool connecting = true;  // the connect to the target has not completed yet
  Flow up;                 // client -> target
  Flow down;               // target -> client
};

bool Retryable(int err) {
  return err == EAGAIN || err == EWOULDBLOCK || err == EINTR;
}

// Moves bytes from `from` into `flow` and from `flow` to `to`. False when the pair must
// close (an error on either socket).
bool Pump(int from, short from_events, int to, Flow& flow) {
  if ((from_events & POLLERR) != 0) return false;
  if ((from_events & (POLLIN | POLLHUP)) != 0 && !flow.eof && flow.buf.size() < kMaxBuffered) {
    char tmp[65536];
    ssize_t n = recv(from, tmp, sizeof(tmp), 0);
    if (n > 0) {
      flow.buf.append(tmp, static_cast<size_t>(n));
    } else if (n == 0) {
      flow.eof = true;
    } else if (!Retryable(errno)) {
      return false;
    }
  }
  if (!flow.buf.empty()) {
    ssize_t n = send(to, flow.buf.data(), flow.buf.size(), MSG_NOSIGNAL);
    if (n > 0) {
      flow.buf.erase(0, static_cast<size_t>(n));
    } else if (n < 0 && !Retryable(errno)) {
      return false;
    }
  }
  if (flow.eof && flow.buf.empty() && !flow.shut_on) {
    shutdown(to, SHUT_WR);
    flow.shut_on = true;
  }
  return true;
}

short WantedEvents(const Flow& out, const Flow& in) {
  short ev = 0;
  if (!out.eof && out.buf.size() < kMaxBuffered) ev |= POLLIN;
  if (!in.buf.empty()) ev |= POLLOUT;
  return ev;
}

}  // namespace

TcpProxy::TcpProxy(int target_port) : target_port_(target_port) {
  Fd listener(socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  REQUIRE_MESSAGE(listener.get() >= 0, "tcp proxy: socket() failed, errno " << errno);
  int one = 1;
  setsockopt(listener.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  sockaddr_in a = Loopback(0);
  REQUIRE_MESSAGE(bind(listener.get(), reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0,
                  "tcp proxy: bind failed, errno " << errno);
  REQUIRE_MESSAGE(listen(listener.get(), 128) == 0, "tcp proxy: listen failed, errno " << errno);
  socklen_t len = sizeof(a);
  REQUIRE(getsockname(listener.get(), reinterpret_cast<sockaddr*>(&a), &len) == 0);
  int wake[2];
  REQUIRE_MESSAGE(pipe2(wake, O_NONBLOCK | O_CLOEXEC) == 0, "tcp proxy: pipe2 failed");
  port_ = ntohs(a.sin_port);
  listen_fd_ = listener.release();
  wake_read_fd_ = wake[0];
  wake_write_fd_ = wake[1];
  thread_ = std::thread([this] { Run(); });
}

TcpProxy::~TcpProxy() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    control_.stop = true;
    ++requested_;
  }
  Wake();
  if (thread_.joinable()) thread_.join();
  for (int fd : {listen_fd_, wake_read_fd_, wake_write_fd_}) {
    if (fd >= 0) close(fd);
  }
}

void TcpProxy::Cut() {
  Apply([](Control& c) { ++c.cuts; });
}

void TcpProxy::Stall(bool on) {
  Apply([on](Control& c) { c.stall = on; });
}

void TcpProxy::Refuse(bool on) {
  Apply([on](Control& c) { c.refuse = on; });
}

template <typename F>
void TcpProxy::Apply(F&& change) {
  std::unique_lock<std::mutex> lock(mu_);
  change(control_);
  const uint64_t mine = ++requested_;
  lock.unlock();
  Wake();
  lock.lock();
  // The loop never blocks longer than one poll() once woken, so this is generous.
  bool applied = applied_cv_.wait_for(lock, std::chrono::seconds(10),
                                      [&] { return applied_ >= mine || !loop_running_; });
  lock.unlock();
  CHECK_MESSAGE(applied, "tcp proxy: the forwarding thread did not take up a control call");
}

void TcpProxy::Wake() {
  char b = 1;
  // A full pipe already holds a wake-up; nothing is lost.
  [[maybe_unused]] ssize_t n = write(wake_write_fd_, &b, 1);
}

void TcpProxy::Run() {
  std::vector<std::unique_ptr<Pair>> pairs;
  uint64_t cuts_done = 0;
  std::vector<pollfd> fds;
  while (true) {
    Control c;
    uint64_t taken;
    {
      std::lock_guard<std::mutex> lock(mu_);
      c = control_;
      taken = requested_;
    }
    if (c.stop) break;
    if (c.cuts != cuts_done) {
      pairs.clear();  // closes both sockets of every pair
      cuts_done = c.cuts;
    }
    connections_.store(pairs.size());
    {
      std::lock_guard<std::mutex> lock(mu_);
      applied_ = taken;
    }
    applied_cv_.notify_all();

    // [0] wake pipe, [1] listener, then client and target of each pair. A stalled pair's
    // sockets are left out entirely (fd -1), so not even a close is noticed.
    fds.assign(2 + 2 * pairs.size(), pollfd{-1, 0, 0});
    fds[0] = {wake_read_fd_, POLLIN, 0};
    fds[1] = {listen_fd_, POLLIN, 0};
    if (!c.stall) {
      for (size_t i = 0; i < pairs.size(); ++i) {
        Pair& p = *pairs[i];
        pollfd& cl = fds[2 + 2 * i];
        pollfd& tg = fds[3 + 2 * i];
        if (p.connecting) {
          tg = {p.target.get(), POLLOUT, 0};
        } else {
          cl = {p.client.get(), WantedEvents(p.up, p.down), 0};
          tg = {p.target.get(), WantedEvents(p.down, p.up), 0};
        }
      }
    }
    if (poll(fds.data(), fds.size(), kPollMs) < 0) continue;  // EINTR
    if ((fds[0].revents & POLLIN) != 0) {
      char drain[256];
      while (read(wake_read_fd_, drain, sizeof(drain)) > 0) {
      }
    }

    if (!c.stall) {
      for (size_t i = 0; i < pairs.size(); ++i) {
        Pair& p = *pairs[i];
        const short cl_ev = fds[2 + 2 * i].revents;
        const short tg_ev = fds[3 + 2 * i].revents;
        bool keep = true;
        if (p.connecting) {
          if (tg_ev != 0) {
            int err = 0;
            socklen_t len = sizeof(err);
            getsockopt(p.target.get(), SOL_SOCKET, SO_ERROR, &err, &len);
            keep = err == 0;
            p.connecting = false;
          }
        } else {
          keep = Pump(p.client.get(), cl_ev, p.target.get(), p.up) &&
                 Pump(p.target.get(), tg_ev, p.client.get(), p.down) &&
                 !(p.up.shut_on && p.down.shut_on);
        }
        if (!keep) pairs[i].reset();
      }
      std::erase(pairs, nullptr);
    }

    if ((fds[1].revents & POLLIN) != 0) {
      while (true) {
        Fd client(accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC));
        if (client.get() < 0) break;
        if (c.refuse) continue;  // closed as it goes out of scope
        Fd target(socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
        if (target.get() < 0) continue;
        NoDelay(client.get());
        NoDelay(target.get());
        sockaddr_in a = Loopback(target_port_);
        int r = connect(target.get(), reinterpret_cast<sockaddr*>(&a), sizeof(a));
        if (r != 0 && errno != EINPROGRESS) continue;  // target down: the client sees a close
        auto p = std::make_unique<Pair>();
        p->client = std::move(client);
        p->target = std::move(target);
        p->connecting = r != 0;
        pairs.push_back(std::move(p));
      }
    }
    connections_.store(pairs.size());
  }
  pairs.clear();
  connections_.store(0);
  std::lock_guard<std::mutex> lock(mu_);
  loop_running_ = false;
  applied_cv_.notify_all();
}

}  // namespace pykv::it
