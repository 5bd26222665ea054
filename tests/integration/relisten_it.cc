// CONFIG SET port / bind move the RESP listener at run time, as Redis 7.0 does: new
// connections go to the new address, open ones stay, and a port that cannot be bound is
// refused with the listener left where it was.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>

#include "integration/server_harness.h"

namespace pykv::it {
namespace {

// A loopback socket bound to a free port; listening when asked (to hold the port busy).
class PortHolder {
 public:
  explicit PortHolder(bool listen_on_it) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = 0;
    REQUIRE(bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0);
    socklen_t len = sizeof(a);
    REQUIRE(getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len) == 0);
    port_ = ntohs(a.sin_port);
    if (listen_on_it) REQUIRE(listen(fd_, 1) == 0);
  }
  ~PortHolder() { Release(); }
  void Release() {
    if (fd_ >= 0) close(fd_);
    fd_ = -1;
  }
  int port() const { return port_; }

 private:
  int fd_ = -1;
  int port_ = 0;
};

std::string Ping(int port) {
  RawConn c(port);
  if (!c.connected() || !c.Send("PING\r\n")) return "";
  return c.ReadReply();
}

TEST_CASE("CONFIG SET port moves the RESP listener, a busy port is refused") {
  TestServer srv;
  Conn c = srv.Connect();
  RawConn old_client(srv.port());
  REQUIRE(old_client.connected());

  PortHolder free_port(false);
  const int target = free_port.port();
  free_port.Release();
  REQUIRE(Cmd(c, {"CONFIG", "SET", "port", std::to_string(target)}).ok());
  CHECK(Ping(target) == "+PONG\r\n");
  CHECK(Cmd(c, {"CONFIG", "GET", "port"}) == Reply::Bulks({"port", std::to_string(target)}));
  CHECK_FALSE(RawConn(srv.port()).connected());  // the old port is closed
  // Connections accepted before the move keep working.
  REQUIRE(old_client.Send("PING\r\n"));
  CHECK(old_client.ReadReply() == "+PONG\r\n");

  PortHolder busy(true);
  const Reply refused = Cmd(c, {"CONFIG", "SET", "port", std::to_string(busy.port())});
  REQUIRE(refused.is_error());
  CHECK(refused.str.rfind("ERR CONFIG SET failed (possibly related to argument 'port')", 0) == 0);
  CHECK(Ping(target) == "+PONG\r\n");  // still where it was
  CHECK(Cmd(c, {"CONFIG", "GET", "port"}) == Reply::Bulks({"port", std::to_string(target)}));
}

TEST_CASE("CONFIG SET bind re-listens on the new addresses") {
  TestServer srv;
  Conn c = srv.Connect();
  REQUIRE(Cmd(c, {"CONFIG", "SET", "bind", "127.0.0.2 127.0.0.1"}).ok());
  CHECK(Cmd(c, {"CONFIG", "GET", "bind"}) == Reply::Bulks({"bind", "127.0.0.2 127.0.0.1"}));
  CHECK(Ping(srv.port()) == "+PONG\r\n");
  const Reply bad = Cmd(c, {"CONFIG", "SET", "bind", "192.0.2.1"});  // not on this host
  REQUIRE(bad.is_error());
  CHECK(Ping(srv.port()) == "+PONG\r\n");
  CHECK(Cmd(c, {"CONFIG", "GET", "bind"}) == Reply::Bulks({"bind", "127.0.0.2 127.0.0.1"}));
}

}  // namespace
}  // namespace pykv::it
