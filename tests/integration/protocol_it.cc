// The wire protocol end to end: pipelining, a huge value, inline commands, protocol
// errors (which close only the offending connection), error texts, and thousands of
// concurrent connections. Expected bytes are Redis 7.0's.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include "integration/server_harness.h"

namespace pykv::it {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

TEST_CASE("pipelining 10,000 commands in one write") {
  Fx s;
  const int n = 10000;
  std::string batch;
  for (int i = 0; i < n; ++i) batch += Resp({"INCR", "ctr"});
  RawConn raw(s.srv.port());
  REQUIRE(raw.connected());
  REQUIRE(raw.Send(batch));
  int good = 0;
  for (int i = 1; i <= n; ++i) {
    std::string r = raw.ReadReply(milliseconds(10000));
    if (r != ":" + std::to_string(i) + "\r\n") {
      FAIL_CHECK("reply " << i << " was '" << r << "'");
      break;
    }
    ++good;
  }
  CHECK(good == n);
  CHECK(s({"GET", "ctr"}) == Bulk(std::to_string(n)));

  // The same through hiredis: 10,000 SETs and 10,000 GETs queued, then read.
  for (int i = 0; i < n; ++i)
    Append(s.c.get(), {"SET", "k" + std::to_string(i), std::to_string(i)});
  for (int i = 0; i < n; ++i) Append(s.c.get(), {"GET", "k" + std::to_string(i)});
  int sets_ok = 0;
  int gets_ok = 0;
  for (int i = 0; i < n; ++i) sets_ok += GetReply(s.c.get()) == Ok();
  for (int i = 0; i < n; ++i) gets_ok += GetReply(s.c.get()) == Bulk(std::to_string(i));
  CHECK(sets_ok == n);
  CHECK(gets_ok == n);
  CHECK(s({"DBSIZE"}) == Int(n + 1));

  // Inline commands pipeline too.
  std::string inl;
  for (int i = 0; i < 1000; ++i) inl += "PING\r\n";
  REQUIRE(raw.Send(inl));
  std::string all = raw.ReadBytes(7 * 1000, milliseconds(10000));
  std::string expect;
  for (int i = 0; i < 1000; ++i) expect += "+PONG\r\n";
  CHECK(all == expect);
}

TEST_CASE("big pipelined replies arrive complete and in order") {
  Fx s;
  const int keys = 50;
  const int gets = static_cast<int>(Scaled(1000, 300));  // 100 MB (30 MB) of replies
  std::vector<std::string> values;
  for (int k = 0; k < keys; ++k) {
    std::string v(100 * 1024, static_cast<char>('a' + k % 26));
    v.replace(0, std::to_string(k).size(), std::to_string(k));
    values.push_back(v);
    REQUIRE(s({"SET", "big" + std::to_string(k), v}) == Ok());
  }
  for (int i = 0; i < gets; ++i) Append(s.c.get(), {"GET", "big" + std::to_string(i % keys)});
  int good = 0;
  for (int i = 0; i < gets; ++i) good += GetReply(s.c.get()) == Bulk(values[i % keys]);
  CHECK(good == gets);
  CHECK(s({"PING"}) == St("PONG"));
}

TEST_CASE("clients vanishing mid-pipeline do not disturb the server") {
  Fx s;
  CHECK(s({"SET", "big", std::string(100 * 1024, 'x')}) == Ok());
  std::string gets;
  for (int i = 0; i < 500; ++i) gets += "GET big\r\n";
  for (int round = 0; round < 20; ++round) {
    RawConn raw(s.srv.port());
    REQUIRE(raw.connected());
    REQUIRE(raw.Send(gets));
    if (round % 2 == 1) raw.Pump(milliseconds(5));  // read a little, then vanish
    // RawConn's destructor closes the socket with replies still pending.
  }
  {
    // And one that vanishes halfway through sending a command.
    RawConn raw(s.srv.port());
    REQUIRE(raw.Send("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$100\r\nabc"));
  }
  CHECK(WaitFor([&] { return InfoInt(s.c.get(), "clients", "connected_clients") == 1; },
                seconds(10)));
  CHECK(s({"EXISTS", "k"}) == Int(0));
  CHECK(s({"STRLEN", "big"}) == Int(100 * 1024));
  CHECK(s({"PING"}) == St("PONG"));
}

TEST_CASE("a 100 MB value round-trips") {
  const size_t size = Scaled(100u << 20, 20u << 20);
  Fx s;
  std::string value(size, '\0');
  for (size_t i = 0; i < size; ++i) value[i] = static_cast<char>((i * 31 + i / 4096) % 251);
  CHECK(s({"SET", "big", value}) == Ok());
  CHECK(s({"STRLEN", "big"}) == Int(static_cast<long long>(size)));
  Reply got = s({"GET", "big"});
  REQUIRE(got.is_bulk());
  CHECK(got.str.size() == size);
  CHECK(got.str == value);  // a byte-wise compare (no huge dump on failure: bool)
  CHECK(s({"GETRANGE", "big", "1000", "1009"}) == Bulk(value.substr(1000, 10)));
  CHECK(s({"APPEND", "big", "tail"}) == Int(static_cast<long long>(size + 4)));
  CHECK(s({"GETRANGE", "big", "-4", "-1"}) == Bulk("tail"));
  CHECK(s({"DEL", "big"}) == Int(1));
  CHECK(s({"PING"}) == St("PONG"));
}

TEST_CASE("inline commands") {
  Fx s;
  RawConn raw(s.srv.port());
  REQUIRE(raw.connected());
  REQUIRE(raw.Send("PING\r\n"));
  CHECK(raw.ReadReply() == "+PONG\r\n");
  REQUIRE(raw.Send("SET a b\r\n"));
  CHECK(raw.ReadReply() == "+OK\r\n");
  REQUIRE(raw.Send("GET a\r\n"));
  CHECK(raw.ReadReply() == "$1\r\nb\r\n");
  // A bare \n ends a line too; empty lines are skipped; blanks separate arguments.
  REQUIRE(raw.Send("\r\n\r\n  PING   \n"));
  CHECK(raw.ReadReply() == "+PONG\r\n");
  REQUIRE(raw.Send("set   c    d\r\n"));
  CHECK(raw.ReadReply() == "+OK\r\n");
  CHECK(s({"GET", "c"}) == Bulk("d"));
  // Quoting: double quotes take escapes, single quotes are literal.
  REQUIRE(raw.Send("SET \"x y\" \"c\\x41\\n\\\"q\\\"\"\r\n"));
  CHECK(raw.ReadReply() == "+OK\r\n");
  CHECK(s({"GET", "x y"}) == Bulk("cA\n\"q\""));
  REQUIRE(raw.Send("SET 'p q' 'a\\nb'\r\n"));
  CHECK(raw.ReadReply() == "+OK\r\n");
  CHECK(s({"GET", "p q"}) == Bulk("a\\nb"));
  REQUIRE(raw.Send("SET e \"\"\r\nGET e\r\n"));
  CHECK(raw.ReadReply() == "+OK\r\n");
  CHECK(raw.ReadReply() == "$0\r\n\r\n");
  // A command split across writes.
  REQUIRE(raw.Send("GE"));
  CHECK(raw.ReadReply(milliseconds(100)) == "");
  REQUIRE(raw.Send("T a\r\n"));
  CHECK(raw.ReadReply() == "$1\r\nb\r\n");
  REQUIRE(raw.Send("*2\r\n$3\r\nGET\r\n$1\r"));
  CHECK(raw.ReadReply(milliseconds(100)) == "");
  REQUIRE(raw.Send("\na\r\n"));
  CHECK(raw.ReadReply() == "$1\r\nb\r\n");
  // Empty multibulks are ignored.
  REQUIRE(raw.Send("*0\r\n*-1\r\nPING\r\n"));
  CHECK(raw.ReadReply() == "+PONG\r\n");
}

struct ProtoCase {
  const char* name;
  std::string bytes;
  std::string reply;
};

TEST_CASE("HTTP sent to the port (cross-protocol scripting) is dropped before its body runs") {
  Fx s;
  for (const std::string request :
       {"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 13\r\n\r\nSET pwned 1\r\n",
        "GET / HTTP/1.1\r\nHost: x\r\n\r\nSET pwned 1\r\n"}) {
    CAPTURE(request);
    RawConn raw(s.srv.port());
    REQUIRE(raw.connected());
    REQUIRE(raw.Send(request));
    CHECK(raw.WaitClosed());
    // Whatever GET / HTTP/1.1 answered, no command after the headers ran.
    CHECK(raw.pending().find("+OK") == std::string::npos);
    CHECK(s({"EXISTS", "pwned"}) == Int(0));
  }
  std::ifstream log(s.srv.log_path());
  std::string text((std::istreambuf_iterator<char>(log)), std::istreambuf_iterator<char>());
  CHECK(text.find("Possible SECURITY ATTACK detected") != std::string::npos);
  CHECK(s({"PING"}) == St("PONG"));
}

TEST_CASE("connections reset right after connecting are dropped quietly") {
  Fx s;
  for (int i = 0; i < 300; ++i) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(fd >= 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(s.srv.port()));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    linger l{1, 0};  // close sends RST
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
    CHECK(connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0);
    close(fd);
  }
  CHECK(WaitFor([&] { return InfoInt(s.c.get(), "clients", "connected_clients") == 1; },
                seconds(10)));
  // None of them is a stranger refused by protected mode.
  CHECK(InfoInt(s.c.get(), "stats", "rejected_connections") == 0);
  std::ifstream log(s.srv.log_path());
  std::string text((std::istreambuf_iterator<char>(log)), std::istreambuf_iterator<char>());
  CHECK(text.find("Refused connection") == std::string::npos);
}

TEST_CASE("protocol errors close only the offending connection") {
  Fx s;
  CHECK(s({"SET", "survivor", "1"}) == Ok());
  RawConn bystander(s.srv.port());
  REQUIRE(bystander.connected());
  const ProtoCase cases[] = {
      {"bad multibulk length", "*abc\r\n", "-ERR Protocol error: invalid multibulk length\r\n"},
      {"negative bulk length", "*1\r\n$-5\r\n", "-ERR Protocol error: invalid bulk length\r\n"},
      {"bad bulk length", "*1\r\n$x\r\n", "-ERR Protocol error: invalid bulk length\r\n"},
      {"missing $", "*1\r\nfoo\r\n", "-ERR Protocol error: expected '$', got 'f'\r\n"},
      {"unbalanced quotes", "SET \"a b\r\n",
       "-ERR Protocol error: unbalanced quotes in request\r\n"},
      {"unbalanced single quotes", "SET 'a b\r\n",
       "-ERR Protocol error: unbalanced quotes in request\r\n"},
      {"bulk longer than proto-max-bulk-len", "*1\r\n$536870913\r\n",
       "-ERR Protocol error: invalid bulk length\r\n"},
      {"multibulk count too big", "*2147483648\r\n",
       "-ERR Protocol error: invalid multibulk length\r\n"},
      {"inline line too long", std::string(70000, 'a'),
       "-ERR Protocol error: too big inline request\r\n"},
  };
  for (const ProtoCase& c : cases) {
    CAPTURE(c.name);
    RawConn raw(s.srv.port());
    REQUIRE(raw.connected());
    // A good command first: its reply comes before the error.
    REQUIRE(raw.Send("PING\r\n" + c.bytes));
    CHECK(raw.ReadReply() == "+PONG\r\n");
    CHECK(raw.ReadReply() == c.reply);
    CHECK(raw.WaitClosed());
    // Everyone else goes on.
    REQUIRE(bystander.Send("GET survivor\r\n"));
    CHECK(bystander.ReadReply() == "$1\r\n1\r\n");
    CHECK(s({"PING"}) == St("PONG"));
  }
  CHECK(InfoInt(s.c.get(), "clients", "connected_clients") == 2);
}

TEST_CASE("proto-max-bulk-len is enforced") {
  Fx s({"--proto-max-bulk-len", "1mb"});
  RawConn raw(s.srv.port());
  REQUIRE(raw.Send("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1048577\r\n"));
  CHECK(raw.ReadReply() == "-ERR Protocol error: invalid bulk length\r\n");
  CHECK(raw.WaitClosed());
  // Exactly the limit is fine.
  CHECK(s({"SET", "k", std::string(1 << 20, 'x')}) == Ok());
  CHECK(s({"STRLEN", "k"}) == Int(1 << 20));
}

TEST_CASE("unknown command and arity error texts") {
  Fx s;
  RawConn raw(s.srv.port());
  REQUIRE(raw.Send("foo a b\r\n"));
  CHECK(raw.ReadReply() == "-ERR unknown command 'foo', with args beginning with: 'a' 'b' \r\n");
  REQUIRE(raw.Send(Resp({"foo", "a", "b"})));
  CHECK(raw.ReadReply() == "-ERR unknown command 'foo', with args beginning with: 'a' 'b' \r\n");
  REQUIRE(raw.Send("foo\r\n"));
  CHECK(raw.ReadReply() == "-ERR unknown command 'foo', with args beginning with: \r\n");
  REQUIRE(raw.Send("foo " + std::string(200, 'x') + " b\r\n"));
  CHECK(raw.ReadReply() == "-ERR unknown command 'foo', with args beginning with: '" +
                               std::string(128, 'x') + "' \r\n");
  REQUIRE(raw.Send("GET\r\n"));
  CHECK(raw.ReadReply() == "-ERR wrong number of arguments for 'get' command\r\n");
  REQUIRE(raw.Send("gEt a b\r\n"));
  CHECK(raw.ReadReply() == "-ERR wrong number of arguments for 'get' command\r\n");
  REQUIRE(raw.Send("CONFIG GET\r\n"));
  CHECK(raw.ReadReply() == "-ERR wrong number of arguments for 'config|get' command\r\n");
  REQUIRE(raw.Send("CONFIG NOSUCH\r\n"));
  CHECK(raw.ReadReply() == "-ERR unknown subcommand 'NOSUCH'. Try CONFIG HELP.\r\n");
  // Errors do not close the connection.
  REQUIRE(raw.Send("PING\r\n"));
  CHECK(raw.ReadReply() == "+PONG\r\n");
  std::string errstats = Info(s.c.get(), "errorstats");
  CHECK(InfoField(errstats, "errorstat_ERR") == "count=8");
}

TEST_CASE("2,000 concurrent connections") {
  const int n = 2000;
  // Both this process and the server (which inherits the limit) need the descriptors.
  rlimit lim{};
  REQUIRE(getrlimit(RLIMIT_NOFILE, &lim) == 0);
  if (lim.rlim_cur < 3 * n) {
    lim.rlim_cur = std::min<rlim_t>(lim.rlim_max, 3 * n);
    REQUIRE(setrlimit(RLIMIT_NOFILE, &lim) == 0);
  }
  REQUIRE(lim.rlim_cur >= 2 * n + 100);
  Fx s;
  std::vector<std::unique_ptr<RawConn>> conns;
  conns.reserve(n);
  for (int i = 0; i < n; ++i) {
    conns.push_back(std::make_unique<RawConn>(s.srv.port()));
    REQUIRE(conns.back()->connected());
  }
  for (int i = 0; i < n; ++i) REQUIRE(conns[i]->Send("PING\r\n"));
  int pongs = 0;
  for (int i = 0; i < n; ++i) pongs += conns[i]->ReadReply(milliseconds(10000)) == "+PONG\r\n";
  CHECK(pongs == n);
  CHECK(InfoInt(s.c.get(), "clients", "connected_clients") == n + 1);
  // Each connection still has its own state.
  for (int i = 0; i < n; i += 100) {
    REQUIRE(conns[i]->Send("CLIENT SETNAME c" + std::to_string(i) + "\r\nCLIENT GETNAME\r\n"));
  }
  for (int i = 0; i < n; i += 100) {
    CHECK(conns[i]->ReadReply() == "+OK\r\n");
    std::string name = "c" + std::to_string(i);
    CHECK(conns[i]->ReadReply() == "$" + std::to_string(name.size()) + "\r\n" + name + "\r\n");
  }
  conns.clear();
  CHECK(WaitFor([&] { return InfoInt(s.c.get(), "clients", "connected_clients") == 1; },
                seconds(10)));
  Conn fresh = s.srv.Connect();
  CHECK(Cmd(fresh, {"PING"}) == St("PONG"));
  CHECK(InfoInt(s.c.get(), "stats", "total_connections_received") >= n + 2);
}

}  // namespace
}  // namespace pykv::it
