// Hostile clients: password guessing on one connection, and what the rest of the server
// sees meanwhile. PyKV-only where PyKV is stricter than Redis 7.0 (which answers every
// wrong AUTH and keeps the connection).
#include <chrono>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "integration/server_harness.h"

namespace pykv::it {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

std::string Resp(const std::vector<std::string>& args) {
  std::string out = "*" + std::to_string(args.size()) + "\r\n";
  for (const auto& a : args) {
    out.append("$").append(std::to_string(a.size())).append("\r\n").append(a).append("\r\n");
  }
  return out;
}

std::string ReadText(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

size_t Count(const std::string& text, const std::string& needle) {
  size_t n = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) {
    ++n;
  }
  return n;
}

const std::string kWrongPass = "-WRONGPASS invalid username-password pair or user is disabled.\r\n";

TEST_CASE("hostile: password guessing on one connection is cut off after 10 failures") {
  if (ReferenceMode()) return;  // Redis 7.0 answers them all
  TestServer srv({"--requirepass", "s3cret"});
  RawConn raw(srv.port());
  REQUIRE(raw.connected());
  // Small enough to be read in one go, so the close is a clean FIN (unread input would
  // make it a reset, which may drop replies the client has not read yet).
  std::string burst;
  for (int i = 0; i < 30; ++i) burst += Resp({"AUTH", "guess" + std::to_string(i)});
  REQUIRE(raw.Send(burst));
  CHECK(raw.WaitClosed(seconds(10)));
  // Every failure before the cut was answered, the last one included; nothing after.
  CHECK(Count(raw.pending(), kWrongPass) == 10);
  CHECK(raw.pending().size() == 10 * kWrongPass.size());

  Conn c = srv.Connect();
  CHECK(Cmd(c, {"AUTH", "s3cret"}).ok());
  CHECK(InfoInt(c.get(), "stats", "acl_access_denied_auth") == 10);
  // HELLO AUTH counts the same way, and a success in between starts the run again.
  RawConn hello(srv.port());
  REQUIRE(hello.connected());
  for (int i = 0; i < 9; ++i) {
    REQUIRE(hello.Send(Resp({"HELLO", "2", "AUTH", "default", "nope"})));
    CHECK(hello.ReadReply() == kWrongPass);
  }
  REQUIRE(hello.Send(Resp({"AUTH", "s3cret"})));
  CHECK(hello.ReadReply() == "+OK\r\n");
  REQUIRE(hello.Send(Resp({"RESET"})));
  CHECK(hello.ReadReply() == "+RESET\r\n");
  for (int i = 0; i < 9; ++i) {
    REQUIRE(hello.Send(Resp({"HELLO", "2", "AUTH", "default", "nope"})));
    CHECK(hello.ReadReply() == kWrongPass);
  }
  REQUIRE(hello.Send(Resp({"PING"})));
  CHECK(hello.ReadReply() == "-NOAUTH Authentication required.\r\n");
  REQUIRE(hello.Send(Resp({"HELLO", "2", "AUTH", "default", "nope"})));
  CHECK(hello.ReadReply() == kWrongPass);
  CHECK(hello.WaitClosed(seconds(5)));
  CHECK(InfoInt(c.get(), "stats", "acl_access_denied_auth") == 29);

  // The log has a line for the failures, not one per failure.
  const std::string log = ReadText(srv.log_path());
  CHECK(Count(log, "Failed authentication") >= 1);
  CHECK(Count(log, "Failed authentication") <= 4);
  CHECK(log.find("guess") == std::string::npos);  // passwords never reach the log
  CHECK(Cmd(c, {"PING"}) == St("PONG"));
}

}  // namespace
}  // namespace pykv::it
