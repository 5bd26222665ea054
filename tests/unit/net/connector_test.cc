// Connector: outgoing connections to the toy echo server on the same loop, a refused port,
// a name that does not resolve, and an attempt cancelled by destroying its Connector.
#include "net/connector.h"

#include <arpa/inet.h>
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <optional>
#include <string>

#include "unit/net/echo_server.h"

namespace pykv::net {
namespace {

using testing::EchoServer;

// Reads what the echo server sends back into a string; closes after `want` bytes.
class Collector : public ConnectionHandler {
 public:
  Collector(Loop* loop, EchoServer* server, Connection* conn, size_t want)
      : loop_(loop), server_(server), conn_(conn), want_(want) {}
  std::span<char> OnReadBuffer(size_t) override { return {buf_, sizeof(buf_)}; }
  void OnRead(size_t n) override {
    got.append(buf_, n);
    if (got.size() >= want_) conn_->Close();
  }
  void OnClose() override {
    server_->CloseAll();
    loop_->Stop();
  }
  std::string got;

 private:
  Loop* loop_;
  EchoServer* server_;
  Connection* conn_;
  size_t want_;
  char buf_[256];
};

// Runs the loop with a safety timer so a broken Connector cannot hang the test; the loop
// returns once every handle is closed, so the echo server must close too.
void RunBounded(Loop& loop, EchoServer* server) {
  loop.AddTimer(5000, [&loop, server] {
    if (server != nullptr) server->CloseAll();
    loop.Stop();
  });
  CHECK(loop.Run().ok());
}

TEST_CASE("Connector: connects to a numeric address and the Connection carries bytes") {
  Loop loop;
  EchoServer server(&loop);
  REQUIRE(server.Listen().ok());
  Connector connector(loop.raw());
  std::unique_ptr<Connection> conn;
  std::unique_ptr<Collector> collector;
  std::string peer;
  connector.Start("127.0.0.1", server.port(), 2000, [&](StatusOr<std::unique_ptr<Connection>> r) {
    REQUIRE(r.ok());
    conn = std::move(r).value();
    peer = conn->peer_address();
    collector = std::make_unique<Collector>(&loop, &server, conn.get(), 6);
    conn->Start(collector.get());
    conn->output().Append("hello\n");
    conn->Flush();
  });
  CHECK(connector.busy());
  RunBounded(loop, &server);
  CHECK_FALSE(connector.busy());
  REQUIRE(collector != nullptr);
  CHECK(collector->got == "HELLO\n");
  CHECK(peer == "127.0.0.1:" + std::to_string(server.port()));
}

TEST_CASE("Connector: a name is resolved (localhost)") {
  Loop loop;
  EchoServer server(&loop);
  REQUIRE(server.Listen().ok());
  Connector connector(loop.raw());
  std::optional<Status> result;
  std::unique_ptr<Connection> conn;
  connector.Start("localhost", server.port(), 2000, [&](StatusOr<std::unique_ptr<Connection>> r) {
    result = r.status();
    if (r.ok()) {
      conn = std::move(r).value();
      conn->Close();
    }
    server.CloseAll();
    loop.Stop();
  });
  RunBounded(loop, &server);
  REQUIRE(result.has_value());
  CHECK_MESSAGE(result->ok(), result->message());
}

TEST_CASE("Connector: a refused port and an unknown name give redis-cli's words") {
  Loop loop;
  // A port that was free a moment ago: bind a plain socket, read the port, close it.
  int port = 0;
  {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(fd >= 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(a);
    REQUIRE(bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0);
    REQUIRE(getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0);
    port = ntohs(a.sin_port);
    close(fd);
  }
  Connector refused(loop.raw());
  Connector unknown(loop.raw());
  std::string refused_msg, unknown_msg;
  int done = 0;
  refused.Start("127.0.0.1", port, 2000, [&](StatusOr<std::unique_ptr<Connection>> r) {
    CHECK_FALSE(r.ok());
    refused_msg = r.status().message();
    if (++done == 2) loop.Stop();
  });
  unknown.Start("no-such-host.invalid", 6379, 4000, [&](StatusOr<std::unique_ptr<Connection>> r) {
    CHECK_FALSE(r.ok());
    unknown_msg = r.status().message();
    if (++done == 2) loop.Stop();
  });
  RunBounded(loop, nullptr);
  CHECK(done == 2);
  CHECK(refused_msg == "Connection refused");
  CHECK_FALSE(unknown_msg.empty());
}

TEST_CASE("Connector: destroying it cancels the attempt; the callback never runs") {
  Loop loop;
  EchoServer server(&loop);
  REQUIRE(server.Listen().ok());
  bool called = false;
  {
    Connector connector(loop.raw());
    connector.Start("127.0.0.1", server.port(), 2000,
                    [&](StatusOr<std::unique_ptr<Connection>>) { called = true; });
  }
  loop.AddTimer(50, [&] {
    server.CloseAll();
    loop.Stop();
  });
  RunBounded(loop, &server);
  CHECK_FALSE(called);
}

}  // namespace
}  // namespace pykv::net
