// A TCP proxy for integration tests that need a network between two processes they can
// break: it listens on a free 127.0.0.1 port and forwards each accepted connection, byte for
// byte in both directions, to 127.0.0.1:<target_port>. The test can then cut every current
// connection (both ends see the close), stall the traffic without closing anything (a
// partition the TCP stack does not report: writes are buffered, nothing arrives), or refuse
// new connections (accepted, then closed at once).
//
// Threading: one background thread (plain sockets and poll()) owns every socket and does
// all forwarding. The public methods may be called from any one other thread (the test's);
// each control call returns only once the background thread has applied it, so after
// Stall(true) returns no further byte is forwarded, and after Cut() returns every
// connection that existed is closed. The destructor stops the thread (bounded: the thread
// never blocks on a socket) and closes every socket.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <thread>

namespace pykv::it {

class TcpProxy {
 public:
  // Fails the test (REQUIRE) when it cannot listen.
  explicit TcpProxy(int target_port);
  ~TcpProxy();
  TcpProxy(const TcpProxy&) = delete;
  TcpProxy& operator=(const TcpProxy&) = delete;

  // The port clients connect to.
  int port() const { return port_; }
  int target_port() const { return target_port_; }

  // Closes every current connection pair, client side and target side; new connections are
  // accepted and forwarded as before.
  void Cut();
  // While on, no byte is read or written in either direction and no close is noticed; the
  // connections stay open. Off resumes forwarding what the sockets buffered meanwhile.
  void Stall(bool on);
  // While on, every newly accepted connection is closed at once (the target is not
  // contacted). Current connections are left alone.
  void Refuse(bool on);

  // Connection pairs currently open (including those still connecting to the target).
  size_t connections() const { return connections_.load(); }

 private:
  struct Control {
    bool stall = false;
    bool refuse = false;
    bool stop = false;
    uint64_t cuts = 0;
  };
  // Changes the control state and waits until the loop has taken it up.
  template <typename F>
  void Apply(F&& change);
  void Wake();
  void Run();

  const int target_port_;
  int port_ = 0;
  int listen_fd_ = -1;
  int wake_read_fd_ = -1;
  int wake_write_fd_ = -1;
  std::atomic<size_t> connections_{0};

  std::mutex mu_;
  std::condition_variable applied_cv_;
  Control control_;           // guarded by mu_
  uint64_t requested_ = 0;    // guarded by mu_: control changes made
  uint64_t applied_ = 0;      // guarded by mu_: control changes the loop has taken up
  bool loop_running_ = true;  // guarded by mu_

  std::thread thread_;
};

}  // namespace pykv::it
