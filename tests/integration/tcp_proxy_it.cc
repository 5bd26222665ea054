// The test proxy (tcp_proxy.h) in front of a real pykv-server: requests pass both ways
// (large values too), Stall holds a request without closing anything, Cut closes both ends
// of every connection, Refuse closes new connections, and destroying the proxy closes what
// it carried. Run against redis-server too (PYKV_IT_REFERENCE_SERVER).
#include <chrono>
#include <string>

#include "integration/server_harness.h"
#include "integration/tcp_proxy.h"

namespace pykv::it {
namespace {

using std::chrono::milliseconds;

// The number of clients the server counts, asked over `direct` (itself one of them).
long long ServerClients(const Conn& direct) {
  return InfoInt(direct.get(), "clients", "connected_clients");
}

TEST_CASE("tcp proxy: commands and large values pass through to the server") {
  TestServer srv;
  Conn direct = srv.Connect();
  TcpProxy proxy(srv.port());
  REQUIRE(proxy.port() > 0);
  CHECK(proxy.port() != srv.port());
  CHECK(proxy.connections() == 0);

  Conn c = TryConnectPort(proxy.port());
  REQUIRE(c != nullptr);
  CHECK(Cmd(c, {"PING"}) == St("PONG"));
  CHECK(proxy.connections() == 1);
  CHECK(ServerClients(direct) == 2);

  // Several times the proxy's per-direction buffer, so back-pressure is exercised.
  std::string big(3 * 1024 * 1024, 'x');
  for (size_t i = 0; i < big.size(); i += 4093) big[i] = static_cast<char>('a' + i % 26);
  CHECK(Cmd(c, {"SET", "big", big}) == Ok());
  CHECK(Cmd(direct, {"STRLEN", "big"}) == Int(static_cast<long long>(big.size())));
  Reply got = Cmd(c, {"GET", "big"});
  REQUIRE(got.is_bulk());
  CHECK(got.str == big);

  // Pipelined requests come back in order.
  for (int i = 0; i < 100; ++i) Append(c.get(), {"INCR", "n"});
  for (int i = 1; i <= 100; ++i) CHECK(GetReply(c.get()) == Int(i));

  // A client closing its end closes the proxy's connection to the server too.
  c.reset();
  CHECK(WaitFor([&] { return proxy.connections() == 0; }, milliseconds(5000)));
  CHECK(WaitFor([&] { return ServerClients(direct) == 1; }, milliseconds(5000)));
}

TEST_CASE("tcp proxy: Stall holds a request unanswered until it is lifted") {
  TestServer srv;
  Conn direct = srv.Connect();
  TcpProxy proxy(srv.port());
  RawConn raw(proxy.port());
  REQUIRE(raw.connected());
  REQUIRE(raw.Send(Resp({"PING"})));
  CHECK(raw.ReadReply() == "+PONG\r\n");

  proxy.Stall(true);
  REQUIRE(raw.Send(Resp({"SET", "k", "v"})));
  // Nothing comes back and nothing reached the server; the connection stays open.
  CHECK(raw.ReadReply(milliseconds(500)) == "");
  CHECK_FALSE(raw.peer_closed());
  CHECK(Cmd(direct, {"GET", "k"}) == Nil());
  CHECK(proxy.connections() == 1);
  CHECK(ServerClients(direct) == 2);
  // A connection made during the stall is accepted but carries nothing either.
  RawConn during(proxy.port());
  REQUIRE(during.connected());
  REQUIRE(during.Send(Resp({"SET", "k2", "v2"})));
  CHECK(during.ReadReply(milliseconds(300)) == "");
  CHECK(Cmd(direct, {"EXISTS", "k2"}) == Int(0));

  proxy.Stall(false);
  CHECK(raw.ReadReply(milliseconds(5000)) == "+OK\r\n");
  CHECK(during.ReadReply(milliseconds(5000)) == "+OK\r\n");
  CHECK(Cmd(direct, {"GET", "k"}) == Bulk("v"));
  CHECK(Cmd(direct, {"GET", "k2"}) == Bulk("v2"));
  REQUIRE(raw.Send(Resp({"GET", "k"})));
  CHECK(raw.ReadReply() == "$1\r\nv\r\n");
}

TEST_CASE("tcp proxy: Cut closes both ends and new connections still work") {
  TestServer srv;
  Conn direct = srv.Connect();
  TcpProxy proxy(srv.port());
  Conn c1 = TryConnectPort(proxy.port());
  Conn c2 = TryConnectPort(proxy.port());
  REQUIRE(c1 != nullptr);
  REQUIRE(c2 != nullptr);
  CHECK(Cmd(c1, {"SET", "k", "v"}) == Ok());
  CHECK(Cmd(c2, {"PING"}) == St("PONG"));
  CHECK(proxy.connections() == 2);
  CHECK(ServerClients(direct) == 3);

  proxy.Cut();
  CHECK(proxy.connections() == 0);
  // The clients see the close (hiredis reports an error, no reply)...
  Reply r1 = Cmd(c1, {"GET", "k"});
  CHECK(r1.type == 0);
  CHECK(c1->err != 0);
  Reply r2 = Cmd(c2, {"PING"});
  CHECK(r2.type == 0);
  // ...and so does the server.
  CHECK(WaitFor([&] { return ServerClients(direct) == 1; }, milliseconds(5000)));

  Conn c3 = TryConnectPort(proxy.port());
  REQUIRE(c3 != nullptr);
  CHECK(Cmd(c3, {"GET", "k"}) == Bulk("v"));
  CHECK(proxy.connections() == 1);

  // A cut while stalled closes the stalled connections as well.
  proxy.Stall(true);
  proxy.Cut();
  proxy.Stall(false);
  CHECK(proxy.connections() == 0);
  CHECK(Cmd(c3, {"PING"}).type == 0);
}

TEST_CASE("tcp proxy: Refuse closes new connections and leaves current ones alone") {
  TestServer srv;
  Conn direct = srv.Connect();
  TcpProxy proxy(srv.port());
  Conn before = TryConnectPort(proxy.port());
  REQUIRE(before != nullptr);
  CHECK(Cmd(before, {"PING"}) == St("PONG"));

  proxy.Refuse(true);
  RawConn raw(proxy.port());
  REQUIRE(raw.connected());  // the kernel accepts; the proxy closes it straight away
  CHECK(raw.WaitClosed(milliseconds(5000)));
  Conn refused = TryConnectPort(proxy.port());
  if (refused != nullptr) CHECK(Cmd(refused, {"PING"}).type == 0);
  CHECK(proxy.connections() == 1);
  CHECK(ServerClients(direct) == 2);
  CHECK(Cmd(before, {"PING"}) == St("PONG"));

  proxy.Refuse(false);
  Conn after = TryConnectPort(proxy.port());
  REQUIRE(after != nullptr);
  CHECK(Cmd(after, {"PING"}) == St("PONG"));
  CHECK(proxy.connections() == 2);
}

TEST_CASE("tcp proxy: a target that is down closes the client's connection") {
  TestServer srv;
  TcpProxy proxy(srv.port());
  srv.Stop();
  RawConn raw(proxy.port());
  REQUIRE(raw.connected());
  CHECK(raw.WaitClosed(milliseconds(5000)));
  CHECK(WaitFor([&] { return proxy.connections() == 0; }, milliseconds(5000)));
}

TEST_CASE("tcp proxy: destroying the proxy closes the connections it carried") {
  TestServer srv;
  Conn direct = srv.Connect();
  Conn c;
  {
    TcpProxy proxy(srv.port());
    c = TryConnectPort(proxy.port());
    REQUIRE(c != nullptr);
    CHECK(Cmd(c, {"PING"}) == St("PONG"));
    proxy.Stall(true);  // even a stalled proxy stops promptly
  }
  CHECK(Cmd(c, {"PING"}).type == 0);
  CHECK(WaitFor([&] { return ServerClients(direct) == 1; }, milliseconds(5000)));
}

}  // namespace
}  // namespace pykv::it
