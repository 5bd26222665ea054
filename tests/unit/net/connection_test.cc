// Connection, driven through the toy echo server (tests/unit/net/echo_server.h): the server
// runs on the test thread's loop, a plain blocking client on another thread.
#include "net/connection.h"

#include <doctest/doctest.h>
#include <sys/ioctl.h>

#include <cctype>
#include <cerrno>
#include <string>
#include <vector>

#include "unit/net/echo_server.h"

namespace pykv::net {
namespace {

using testing::Client;
using testing::EchoServer;
using testing::EchoSession;
using testing::RunWithClient;
using testing::WaitFor;

std::string Upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

// Lowercase letters in a pattern that a shifted or dropped byte would break.
std::string Pattern(size_t n) {
  std::string s(n, 'a');
  for (size_t i = 0; i < n; ++i) s[i] = static_cast<char>('a' + (i * 7 + i / 26) % 26);
  return s;
}

TEST_CASE("echo server: single line, pipelined lines, lines split across writes") {
  Loop loop;
  EchoServer server(&loop);
  REQUIRE(server.Listen().ok());
  const int port = server.port();

  std::string single, pipelined, split;
  std::string pipelined_expect;
  bool ok = RunWithClient(loop, server, [&] {
    Client c;
    if (!c.Connect(port)) return;
    if (!c.Send("hello\n") || !c.ReadExactly(6, &single)) return;

    std::string many;
    for (int i = 0; i < 2000; ++i) many += "line number " + std::to_string(i) + "\n";
    pipelined_expect = Upper(many);
    if (!c.Send(many) || !c.ReadExactly(pipelined_expect.size(), &pipelined)) return;

    for (std::string_view part : {"hel", "lo\nwor", "ld", "\n"}) {
      if (!c.Send(part)) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(2));  // separate reads, likely
    }
    c.ReadExactly(12, &split);
  });
  CHECK(ok);
  CHECK(single == "HELLO\n");
  CHECK((pipelined == pipelined_expect));  // parenthesized: no 40 KB dump on failure
  CHECK(split == "HELLO\nWORLD\n");
  CHECK(server.accepted.load() == 1);
  CHECK(server.closed() == 1);  // OnClose exactly once, on CloseAll
}

TEST_CASE("echo server: a 20 MB reply drained through a slow reader") {
  Loop loop;
  EchoServer server(&loop);
  REQUIRE(server.Listen().ok());
  const int port = server.port();

  const std::string line = Pattern(20 << 20);
  std::string got;
  bool read_ok = false;
  bool ok = RunWithClient(loop, server, [&] {
    Client c;
    if (!c.Connect(port) || !c.Send(line) || !c.Send("\n")) return;
    // Let the server fill the socket buffers and queue the rest before reading starts.
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    int reads = 0;
    read_ok = c.ReadExactly(line.size() + 1, &got, 16 << 10, [&] {
      if (++reads % 64 == 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    });
  });
  CHECK(ok);
  CHECK(read_ok);
  REQUIRE(got.size() == line.size() + 1);
  CHECK(got.back() == '\n');
  got.pop_back();
  CHECK((got == Upper(line)));
  // The reply could not go out in one try_write: a uv_write was queued and completed.
  CHECK(server.queued_flushes.load() > 0);
}

TEST_CASE("echo server: many small replies to a slow reader that keeps sending") {
  Loop loop;
  EchoServer server(&loop);
  REQUIRE(server.Listen().ok());
  const int port = server.port();

  // 12 MB of 1 KB lines: replies land in many 16 KB chunks, so each queued uv_write covers
  // only part of the output and its callback must go on writing; the output also passes the
  // soft limit, so reading pauses and resumes on OnDrained.
  std::string input;
  for (int i = 0; input.size() < (12u << 20); ++i) {
    std::string line = Pattern(1000 + i % 24);
    input += line;
    input += '\n';
  }
  const std::string expect = Upper(input);
  std::string got;
  bool sent = false, read_ok = false;
  bool ok = RunWithClient(loop, server, [&] {
    Client c;
    if (!c.Connect(port)) return;
    std::thread writer([&] { sent = c.Send(input); });
    // Start reading only once the server has stopped reading for output: its queue is then
    // well past what the socket buffers hold.
    WaitFor([&] { return server.output_pauses.load() > 0; });
    int reads = 0;
    read_ok = c.ReadExactly(expect.size(), &got, 8 << 10, [&] {
      if (++reads % 128 == 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    });
    writer.join();
  });
  CHECK(ok);
  CHECK(sent);
  CHECK(read_ok);
  CHECK((got == expect));
  CHECK(server.queued_flushes.load() > 0);
  CHECK(server.output_pauses.load() > 0);
}

TEST_CASE("echo server: a client that closes while its reply is being written") {
  Loop loop;
  EchoServer server(&loop);
  REQUIRE(server.Listen().ok());
  const int port = server.port();

  bool first_closed = false;
  std::string after;
  bool ok = RunWithClient(loop, server, [&] {
    {
      Client c;
      if (!c.Connect(port) || !c.Send(Pattern(8 << 20)) || !c.Send("\n")) return;
      std::string some;
      if (!c.ReadExactly(1000, &some)) return;  // the server is writing now
      c.Close();                                // with unread data: the server gets a reset
    }
    first_closed = WaitFor([&] { return server.closed() == 1; });
    Client d;
    if (!d.Connect(port) || !d.Send("still here\n")) return;
    d.ReadExactly(11, &after);
  });
  CHECK(ok);
  CHECK(first_closed);
  CHECK(after == "STILL HERE\n");
  CHECK(server.closed() == 2);
}

TEST_CASE("a reset from the peer closes the connection once") {
  Loop loop;
  EchoServer server(&loop);
  REQUIRE(server.Listen().ok());
  const int port = server.port();

  std::string reply;
  bool closed = false;
  bool ok = RunWithClient(loop, server, [&] {
    Client c;
    if (!c.Connect(port) || !c.Send("x\n") || !c.ReadExactly(2, &reply)) return;
    linger lg{1, 0};  // close() now sends RST instead of FIN
    setsockopt(c.fd(), SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
    c.Close();
    closed = WaitFor([&] { return server.closed() == 1; });
  });
  CHECK(ok);
  CHECK(reply == "X\n");
  CHECK(closed);
  CHECK(server.closed() == 1);
}

TEST_CASE("Close() with a uv_write in flight cancels it safely") {
  Loop loop;
  EchoServer server(&loop);
  REQUIRE(server.Listen().ok());
  const int port = server.port();

  size_t pending_at_close = 0;
  server.on_line = [&](EchoSession& s, std::string_view line) {
    if (line != "DUMP") return false;
    s.conn().output().Append(Pattern(8 << 20));
    s.conn().Flush();  // try_write fills the socket, the rest goes to a queued uv_write
    pending_at_close = s.conn().pending_output();
    s.conn().Close();  // the queued write is cancelled before the close callback runs
    CHECK(s.conn().closing());
    return true;
  };
  bool closed_by_server = false;
  bool ok = RunWithClient(loop, server, [&] {
    Client c;
    if (!c.Connect(port) || !c.Send("DUMP\n")) return;
    std::string all;
    bool eof = c.ReadToEof(&all);
    bool reset = !eof && errno == ECONNRESET;  // unsent bytes dropped: a reset is fine too
    closed_by_server = (eof || reset) && all.size() < (8u << 20);
  });
  CHECK(ok);
  CHECK(pending_at_close > 0);
  CHECK(closed_by_server);
  CHECK(server.closed() == 1);
}

TEST_CASE("echo server: 2,000 concurrent idle connections") {
  constexpr int kClients = 2000;
  // Two descriptors per connection (client and server side) in this process, plus slack.
  if (testing::RaiseFdLimit(2 * kClients + 200) < 2 * kClients + 200) {
    MESSAGE("RLIMIT_NOFILE too low for 2,000 connections; skipped");
    return;
  }
  Loop loop;
  EchoServer server(&loop);
  REQUIRE(server.Listen(4096).ok());
  const int port = server.port();

  int connected = 0;
  bool all_accepted = false;
  std::string first, last;
  bool all_gone = false;
  bool ok = RunWithClient(loop, server, [&] {
    std::vector<Client> clients(kClients);
    for (auto& c : clients) {
      if (!c.Connect(port)) break;
      ++connected;
    }
    all_accepted = WaitFor([&] { return server.live() == kClients; });
    if (clients.front().Send("first\n")) clients.front().ReadExactly(6, &first);
    if (clients.back().Send("last\n")) clients.back().ReadExactly(5, &last);
    clients.clear();
    all_gone = WaitFor([&] { return server.live() == 0; });
  });
  CHECK(ok);
  CHECK(connected == kClients);
  CHECK(all_accepted);
  CHECK(first == "FIRST\n");
  CHECK(last == "LAST\n");
  CHECK(all_gone);
  CHECK(server.accepted.load() == kClients);
  CHECK(server.closed() == kClients);
}

TEST_CASE("CloseAfterFlush delivers everything queued, then closes") {
  Loop loop;
  EchoServer server(&loop);
  REQUIRE(server.Listen().ok());
  const int port = server.port();

  const std::string big = Pattern(1 << 20);
  std::string got;
  bool eof = false;
  bool ok = RunWithClient(loop, server, [&] {
    Client c;
    // QUIT arrives in the same write as the big line; what follows it is ignored.
    if (!c.Connect(port) || !c.Send(big + "\nQUIT\nignored\n")) return;
    eof = c.ReadToEof(&got);
  });
  CHECK(ok);
  CHECK(eof);
  CHECK((got == Upper(big) + "\nBYE\n"));
  CHECK(server.closed() == 1);
}

TEST_CASE("a peer that shuts down its write side still gets its replies") {
  Loop loop;
  EchoServer server(&loop);
  REQUIRE(server.Listen().ok());
  const int port = server.port();

  std::string got;
  bool eof = false;
  bool ok = RunWithClient(loop, server, [&] {
    Client c;
    if (!c.Connect(port) || !c.Send("one\ntwo\n")) return;
    c.ShutdownWrite();  // like `printf ... | nc -q0`
    eof = c.ReadToEof(&got);
  });
  CHECK(ok);
  CHECK(eof);
  CHECK(got == "ONE\nTWO\n");
  CHECK(server.closed() == 1);
}

TEST_CASE("replies still queued when the peer half-closes are sent before closing") {
  Loop loop;
  EchoServer server(&loop);
  // Replies stay queued until the connection sees EOF: only then does it flush them itself.
  server.flush_before_sleep = false;
  REQUIRE(server.Listen().ok());
  const int port = server.port();

  // Below the echo server's output soft limit (it would stop reading and never see the EOF)
  // but more than one try_write usually takes.
  const std::string big = Pattern(2 << 20);
  std::string got;
  bool eof = false;
  bool ok = RunWithClient(loop, server, [&] {
    Client c;
    if (!c.Connect(port) || !c.Send("one\n" + big + "\n")) return;
    c.ShutdownWrite();
    eof = c.ReadToEof(&got);
  });
  CHECK(ok);
  CHECK(eof);
  CHECK(got.size() == big.size() + 5);
  CHECK((got == "ONE\n" + Upper(big) + "\n"));
  CHECK(server.closed() == 1);
}

TEST_CASE("PauseReading stops OnRead until ResumeReading") {
  Loop loop;
  EchoServer server(&loop);
  REQUIRE(server.Listen().ok());
  const int port = server.port();

  EchoSession* paused = nullptr;
  size_t reads_at_pause = 0;
  size_t reads_while_paused = 0;
  bool resumed = false;
  server.on_line = [&](EchoSession& s, std::string_view line) {
    if (line != "PAUSE") return false;
    s.EchoUpper("paused");
    s.conn().PauseReading();
    CHECK_FALSE(s.conn().reading());
    paused = &s;
    reads_at_pause = s.reads();
    return true;
  };
  // Resumes once the kernel holds unread bytes for the paused connection: they were there to
  // be read, and OnRead must not have seen them.
  loop.AddTimer(1, [&] {
    if (paused == nullptr || resumed) return;
    int avail = 0;
    if (ioctl(paused->conn().fd(), FIONREAD, &avail) != 0 || avail == 0) return;
    reads_while_paused = paused->reads() - reads_at_pause;
    paused->conn().ResumeReading();
    CHECK(paused->conn().reading());
    resumed = true;
  });
  std::string a, b;
  bool ok = RunWithClient(loop, server, [&] {
    Client c;
    if (!c.Connect(port) || !c.Send("PAUSE\n") || !c.ReadExactly(7, &a)) return;
    if (!c.Send("after\n")) return;
    c.ReadExactly(6, &b);
  });
  CHECK(ok);
  CHECK(a == "PAUSED\n");
  CHECK(resumed);
  CHECK(reads_while_paused == 0);
  CHECK(b == "AFTER\n");
}

TEST_CASE("connection addresses, fd and socket options") {
  Loop loop;
  EchoServer server(&loop);
  REQUIRE(server.Listen().ok());
  const int port = server.port();

  std::string peer, local;
  bool loopback = false;
  int fd = -1;
  int nodelay = 0;
  server.on_accept = [&](Connection& c) {
    peer = c.peer_address();
    local = c.local_address();
    loopback = c.peer_is_loopback();
    fd = c.fd();
    socklen_t len = sizeof(nodelay);
    getsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &nodelay, &len);
    c.SetKeepAlive(300);
    c.SetKeepAlive(0);
    c.SetNoDelay(true);
  };
  std::string reply;
  int client_port = 0;
  bool ok = RunWithClient(loop, server, [&] {
    Client c;
    if (!c.Connect(port)) return;
    sockaddr_in a{};
    socklen_t len = sizeof(a);
    getsockname(c.fd(), reinterpret_cast<sockaddr*>(&a), &len);
    client_port = ntohs(a.sin_port);
    if (c.Send("x\n")) c.ReadExactly(2, &reply);
  });
  CHECK(ok);
  CHECK(reply == "X\n");
  CHECK(peer == "127.0.0.1:" + std::to_string(client_port));
  CHECK(local == "127.0.0.1:" + std::to_string(port));
  CHECK(loopback);
  CHECK(fd >= 0);
  CHECK(nodelay != 0);
}

// One connection cannot take more than its share of a loop iteration: past the read budget
// the socket is left for the next iteration (libuv alone would read up to 2 MB per event).
TEST_CASE("a flooding connection is read at most the budget per loop iteration") {
  Loop loop;
  EchoServer server(&loop);
  REQUIRE(server.Listen().ok());
  const int port = server.port();
  size_t this_turn = 0;
  size_t most_in_a_turn = 0;
  size_t total = 0;
  size_t turns_with_reads = 0;
  // Lines are consumed without replies, so nothing but the budget stops the reading.
  server.on_line = [&](EchoSession&, std::string_view line) {
    if (line == "done") return false;  // echoed: the client waits for it
    this_turn += line.size() + 1;
    total += line.size() + 1;
    return true;
  };
  loop.AddBeforeSleep([&] {
    if (this_turn > 0) ++turns_with_reads;
    most_in_a_turn = std::max(most_in_a_turn, this_turn);
    this_turn = 0;
  });
  const std::string line = std::string(63, 'x') + "\n";
  std::string burst;
  for (int i = 0; i < 4096; ++i) burst += line;  // 256 KB
  constexpr int kBursts = 16;                    // 4 MB in all
  std::string done;
  bool ok = RunWithClient(loop, server, [&] {
    Client c;
    if (!c.Connect(port)) return;
    for (int i = 0; i < kBursts; ++i) {
      if (!c.Send(burst)) return;
    }
    // A reply to the last line, once everything before it was read.
    if (c.Send("done\n")) c.ReadExactly(5, &done);
  });
  CHECK(ok);
  CHECK(done == "DONE\n");
  CHECK(total == burst.size() * kBursts);
  INFO("most bytes read in one iteration: ", most_in_a_turn);
  CHECK(most_in_a_turn <= Connection::kReadBudgetPerTurn);
  CHECK(turns_with_reads >= total / Connection::kReadBudgetPerTurn);
}

}  // namespace
}  // namespace pykv::net
