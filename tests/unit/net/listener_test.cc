#include "net/listener.h"

#include <doctest/doctest.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "net/loop.h"
#include "unit/net/echo_server.h"

namespace pykv::net {
namespace {

using testing::Client;
using testing::EchoServer;
using testing::RunWithClient;
using testing::WaitFor;

// Lets the loop finish pending close callbacks without blocking.
void Spin(Loop& loop) {
  uv_run(loop.raw(), UV_RUN_NOWAIT);
}

TEST_CASE("Listen on port 0 reports the bound port") {
  Loop loop;
  Listener l(&loop, [](std::unique_ptr<Connection>) {});
  REQUIRE(l.Listen("127.0.0.1", 0).ok());
  CHECK(l.port() > 0);
  CHECK(l.host() == "127.0.0.1");
  // Listening twice is a caller error, reported rather than leaking the first socket.
  CHECK(l.Listen("127.0.0.1", 0).code() == Status::Code::kInvalid);
  l.Close();
  l.Close();  // idempotent
  loop.Stop();
  CHECK(loop.Run().ok());
}

TEST_CASE("Listen rejects bad addresses and reports a port in use") {
  Loop loop;
  Listener a(&loop, nullptr);
  CHECK(a.Listen("not-an-ip", 0).code() == Status::Code::kInvalid);
  CHECK(a.Listen("127.0.0.1", 70000).code() == Status::Code::kInvalid);
  REQUIRE(a.Listen("127.0.0.1", 0).ok());

  Listener b(&loop, nullptr);
  Status st = b.Listen("127.0.0.1", a.port());
  CHECK(st.code() == Status::Code::kIo);
  CHECK(st.message().find(std::to_string(a.port())) != std::string::npos);
  // The failed listener closed its handle; it can try again elsewhere.
  CHECK(b.Listen("127.0.0.1", 0).ok());
  CHECK(b.port() != a.port());
  loop.Stop();
  a.Close();
  b.Close();
  CHECK(loop.Run().ok());
}

TEST_CASE("a Listener may be destroyed right after Close(), before the loop runs") {
  Loop loop;
  int port = 0;
  {
    Listener l(&loop, nullptr);
    REQUIRE(l.Listen("127.0.0.1", 0).ok());
    port = l.port();
  }  // ~Listener closes; the handle is freed by its close callback later (ASan/LSan check)
  Spin(loop);
  Client c;
  REQUIRE(c.Open());
  CHECK_FALSE(c.ConnectTo(port));  // nobody listens any more
  loop.Stop();
  CHECK(loop.Run().ok());
}

TEST_CASE("without an accept callback, connections are accepted and closed") {
  Loop loop;
  Listener l(&loop, nullptr);
  REQUIRE(l.Listen("127.0.0.1", 0).ok());
  const int port = l.port();
  bool closed = false;
  bool timed_out = false;
  loop.AddTimer(30000, [&] {
    timed_out = true;
    l.Close();
    loop.Stop();
  });
  std::thread t([&] {
    Client c;
    if (c.Connect(port)) closed = c.WaitClosedByPeer();
    loop.Post([&] {
      l.Close();
      loop.Stop();
    });
  });
  CHECK(loop.Run().ok());
  t.join();
  CHECK_FALSE(timed_out);
  CHECK(closed);
}

// The lowest descriptor number the next open() would get.
int LowestFreeFd() {
  int fd = ::dup(0);
  if (fd >= 0) ::close(fd);
  return fd;
}

// Out of descriptors, the listener gives up its spare one for a moment to accept each
// pending connection, send it the overload reply (if any), count it and close it.
void CheckEmfile(const std::string& overload_reply) {
  Loop loop;
  EchoServer server(&loop);
  REQUIRE(server.Listen().ok());
  const int port = server.port();
  int overloads = 0;
  server.listener().set_overload_reply(overload_reply);
  server.listener().set_on_overload([&] { ++overloads; });
  std::vector<std::string> heard;

  constexpr int kVictims = 4;
  int dropped = 0;
  std::string reply;
  rlimit saved{};
  getrlimit(RLIMIT_NOFILE, &saved);
  bool ok = RunWithClient(loop, server, [&] {
    std::vector<Client> victims(kVictims);
    for (auto& v : victims) {
      if (!v.Open()) return;
    }
    // With the soft limit at the lowest free descriptor number, no new descriptor can be
    // made in this process: the server's accept() fails with EMFILE. Connecting needs
    // none, and the handshake completes in the kernel's backlog.
    rlimit low = saved;
    low.rlim_cur = static_cast<rlim_t>(LowestFreeFd());
    setrlimit(RLIMIT_NOFILE, &low);
    for (auto& v : victims) v.ConnectTo(port);
    for (auto& v : victims) {
      std::string got;
      if (!overload_reply.empty()) v.ReadExactly(overload_reply.size(), &got);
      heard.push_back(got);
      dropped += v.WaitClosedByPeer() ? 1 : 0;
    }
    setrlimit(RLIMIT_NOFILE, &saved);
    victims.clear();

    // The loop thread may still be between its last refusal and getting its spare
    // descriptor back when the limit is restored: a connection in that window is refused
    // too (and counted). The listener must accept again soon after, so a bounded number
    // of tries gets through.
    for (int attempt = 0; attempt < 50 && reply.empty(); ++attempt) {
      Client c;
      if (c.Connect(port) && c.Send("alive\n")) c.ReadExactly(6, &reply);
      if (reply.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  });
  setrlimit(RLIMIT_NOFILE, &saved);
  CHECK(ok);
  CHECK(dropped == kVictims);
  CHECK(overloads >= kVictims);
  CHECK(heard == std::vector<std::string>(kVictims, overload_reply));
  CHECK(server.accepted.load() == 1);
  CHECK(reply == "ALIVE\n");
}

TEST_CASE("accept failing with EMFILE refuses the connection and the listener keeps accepting") {
  CheckEmfile("");
}

TEST_CASE("accept failing with EMFILE sends the owner's overload reply first") {
  CheckEmfile("-ERR max number of clients reached\r\n");
}

}  // namespace
}  // namespace pykv::net
