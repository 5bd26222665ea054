// Connection and server commands end to end: PING/ECHO/QUIT, HELLO and RESP3 bytes, AUTH,
// SELECT, RESET, CLIENT *, COMMAND *, INFO, CONFIG *, TIME, LASTSAVE, SHUTDOWN, MONITOR,
// SLOWLOG, LATENCY, MEMORY, DEBUG. Expected replies are Redis 7.0's.
#include <signal.h>
#include <sys/wait.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "integration/server_harness.h"

namespace pykv::it {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

bool StartsWith(const std::string& s, const std::string& prefix) {
  return s.rfind(prefix, 0) == 0;
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (!line.empty()) out.push_back(line);
  }
  return out;
}

// The value of `field=` in a CLIENT LIST/INFO line.
std::string ClientField(const std::string& line, const std::string& field) {
  std::string needle = " " + field + "=";
  std::string padded = " " + line;
  size_t pos = padded.find(needle);
  if (pos == std::string::npos) return "";
  pos += needle.size();
  size_t end = padded.find_first_of(" \n", pos);
  return padded.substr(pos, end == std::string::npos ? std::string::npos : end - pos);
}

std::string ReadWholeFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// "$<len>\r\n<s>\r\n"
std::string RespBulk(const std::string& s) {
  std::string out = "$";
  out.append(std::to_string(s.size())).append("\r\n").append(s).append("\r\n");
  return out;
}

TEST_CASE("PING ECHO QUIT") {
  Fx s;
  CHECK(s({"PING"}) == St("PONG"));
  CHECK(s({"PING", "hello"}) == Bulk("hello"));
  CHECK(s({"PING", "a", "b"}) == Err("ERR wrong number of arguments for 'ping' command"));
  CHECK(s({"ECHO", "x y"}) == Bulk("x y"));
  CHECK(s({"ECHO"}) == Err("ERR wrong number of arguments for 'echo' command"));
  CHECK(s({"QUIT"}) == Ok());
  Reply after = s({"PING"});
  CHECK(after.type == 0);  // the server closed the connection
  Conn c = s.srv.Connect();
  CHECK(Cmd(c, {"PING"}) == St("PONG"));
}

TEST_CASE("HELLO 3 speaks RESP3, HELLO 2 goes back") {
  TestServer srv;
  std::string version = InfoField(Info(srv.Connect().get(), "server"), "redis_version");
  REQUIRE(!version.empty());
  RawConn raw(srv.port());
  REQUIRE(raw.connected());
  REQUIRE(raw.Send("CLIENT ID\r\n"));
  std::string id_reply = raw.ReadReply();
  REQUIRE(StartsWith(id_reply, ":"));
  std::string id = id_reply.substr(1, id_reply.size() - 3);

  auto hello = [&](const std::string& proto) {
    std::string out = "$6\r\nserver\r\n$5\r\nredis\r\n$7\r\nversion\r\n";
    out.append(RespBulk(version)).append("$5\r\nproto\r\n:").append(proto);
    out.append("\r\n$2\r\nid\r\n:").append(id);
    out.append("\r\n$4\r\nmode\r\n$10\r\nstandalone\r\n$4\r\nrole\r\n$6\r\nmaster\r\n");
    out.append("$7\r\nmodules\r\n*0\r\n");
    return out;
  };
  REQUIRE(raw.Send("HELLO 3\r\n"));
  CHECK(raw.ReadReply() == "%7\r\n" + hello("3"));
  REQUIRE(raw.Send("GET nokey\r\n"));
  CHECK(raw.ReadReply() == "_\r\n");
  REQUIRE(raw.Send("CONFIG GET maxmemory\r\n"));
  CHECK(raw.ReadReply() == "%1\r\n$9\r\nmaxmemory\r\n$1\r\n0\r\n");
  REQUIRE(raw.Send("SET k v\r\nGET k\r\nINCR n\r\nFOO\r\n"));
  CHECK(raw.ReadReply() == "+OK\r\n");
  CHECK(raw.ReadReply() == "$1\r\nv\r\n");
  CHECK(raw.ReadReply() == ":1\r\n");
  CHECK(raw.ReadReply() == "-ERR unknown command 'FOO', with args beginning with: \r\n");
  REQUIRE(raw.Send("HELLO 2\r\n"));
  CHECK(raw.ReadReply() == "*14\r\n" + hello("2"));
  REQUIRE(raw.Send("GET nokey\r\n"));
  CHECK(raw.ReadReply() == "$-1\r\n");
  REQUIRE(raw.Send("HELLO 4\r\n"));
  CHECK(raw.ReadReply() == "-NOPROTO unsupported protocol version\r\n");
  REQUIRE(raw.Send("HELLO 3 SETNAME conn1\r\n"));
  CHECK(raw.ReadReply() == "%7\r\n" + hello("3"));
  REQUIRE(raw.Send("CLIENT GETNAME\r\n"));
  CHECK(raw.ReadReply() == "$5\r\nconn1\r\n");
  // No password configured: any AUTH in HELLO is accepted for the default user.
  REQUIRE(raw.Send("HELLO 2 AUTH default whatever\r\n"));
  CHECK(raw.ReadReply() == "*14\r\n" + hello("2"));
  REQUIRE(raw.Send("HELLO\r\n"));
  CHECK(raw.ReadReply() == "*14\r\n" + hello("2"));
}

TEST_CASE("DEBUG PROTOCOL bytes in RESP2 and RESP3") {
  TestServer srv;
  RawConn raw(srv.port());
  REQUIRE(raw.connected());
  struct Case {
    const char* type;
    const char* resp2;
    const char* resp3;
  };
  const Case cases[] = {
      {"string", "$11\r\nHello World\r\n", "$11\r\nHello World\r\n"},
      {"integer", ":12345\r\n", ":12345\r\n"},
      {"double", "$5\r\n3.141\r\n", ",3.141\r\n"},
      {"bignum", "$37\r\n1234567999999999999999999999999999999\r\n",
       "(1234567999999999999999999999999999999\r\n"},
      {"null", "$-1\r\n", "_\r\n"},
      {"array", "*3\r\n:0\r\n:1\r\n:2\r\n", "*3\r\n:0\r\n:1\r\n:2\r\n"},
      {"set", "*3\r\n:0\r\n:1\r\n:2\r\n", "~3\r\n:0\r\n:1\r\n:2\r\n"},
      {"map", "*6\r\n:0\r\n:0\r\n:1\r\n:1\r\n:2\r\n:0\r\n",
       "%3\r\n:0\r\n#f\r\n:1\r\n#t\r\n:2\r\n#f\r\n"},
      {"attrib", "$39\r\nSome real reply following the attribute\r\n",
       "|1\r\n$14\r\nkey-popularity\r\n*2\r\n$7\r\nkey:123\r\n:90\r\n"
       "$39\r\nSome real reply following the attribute\r\n"},
      {"true", ":1\r\n", "#t\r\n"},
      {"false", ":0\r\n", "#f\r\n"},
      {"verbatim", "$25\r\nThis is a verbatim\nstring\r\n",
       "=29\r\ntxt:This is a verbatim\nstring\r\n"},
  };
  for (int proto : {2, 3}) {
    REQUIRE(raw.Send("HELLO " + std::to_string(proto) + "\r\n"));
    REQUIRE(!raw.ReadReply().empty());
    for (const Case& c : cases) {
      CAPTURE(proto);
      CAPTURE(c.type);
      REQUIRE(raw.Send(std::string("DEBUG PROTOCOL ") + c.type + "\r\n"));
      CHECK(raw.ReadReply() == (proto == 2 ? c.resp2 : c.resp3));
    }
  }
  // Push: RESP3 only; the push message is followed by the command's reply.
  REQUIRE(raw.Send("DEBUG PROTOCOL push\r\n"));
  CHECK(raw.ReadReply() == ">2\r\n$16\r\nserver-cpu-usage\r\n:42\r\n");
  CHECK(raw.ReadReply() == "$40\r\nSome real reply following the push reply\r\n");
  REQUIRE(raw.Send("HELLO 2\r\nDEBUG PROTOCOL push\r\n"));
  CHECK(StartsWith(raw.ReadReply(), "*14\r\n"));
  CHECK(raw.ReadReply() == "-ERR RESP2 is not supported by this command\r\n");
  REQUIRE(raw.Send("DEBUG PROTOCOL nosuch\r\n"));
  CHECK(StartsWith(raw.ReadReply(), "-ERR Wrong protocol type name."));
}

TEST_CASE("AUTH without a password, SELECT, RESET") {
  std::vector<std::string> args;
  if (ReferenceMode()) args = {"--databases", "1"};  // PyKV has exactly one database
  Fx s(args);
  CHECK(s({"AUTH", "x"}) ==
        Err("ERR AUTH <password> called without any password configured for the default user. "
            "Are you sure your configuration is correct?"));
  CHECK(s({"AUTH", "a", "b"}) ==
        Err("WRONGPASS invalid username-password pair or user is disabled."));
  CHECK(s({"SELECT", "0"}) == Ok());
  CHECK(s({"SELECT", "1"}) == Err("ERR DB index is out of range"));
  CHECK(s({"SELECT", "-1"}) == Err("ERR DB index is out of range"));
  CHECK(s({"SELECT", "x"}) == Err("ERR value is not an integer or out of range"));

  CHECK(s({"SET", "k", "v"}) == Ok());
  CHECK(s({"CLIENT", "SETNAME", "before"}) == Ok());
  CHECK(s({"WATCH", "k"}) == Ok());
  CHECK(s({"MULTI"}) == Ok());
  CHECK(s({"SET", "k", "w"}) == St("QUEUED"));
  CHECK(s({"RESET"}) == St("RESET"));
  // Out of MULTI, no name, nothing watched; the data is untouched.
  CHECK(s({"EXEC"}) == Err("ERR EXEC without MULTI"));
  CHECK(s({"CLIENT", "GETNAME"}) == Nil());
  CHECK(s({"GET", "k"}) == Bulk("v"));
  // RESET also returns a RESP3 connection to RESP2.
  RawConn raw(s.srv.port());
  REQUIRE(raw.Send("HELLO 3\r\n"));
  CHECK(StartsWith(raw.ReadReply(), "%7\r\n"));
  REQUIRE(raw.Send("RESET\r\nGET nokey\r\n"));
  CHECK(raw.ReadReply() == "+RESET\r\n");
  CHECK(raw.ReadReply() == "$-1\r\n");
}

TEST_CASE("CLIENT ID SETNAME GETNAME LIST INFO") {
  Fx s;
  Conn other = s.srv.Connect();
  Reply id = s({"CLIENT", "ID"});
  REQUIRE(id.is_int());
  Reply other_id = Cmd(other, {"CLIENT", "ID"});
  REQUIRE(other_id.is_int());
  CHECK(other_id.integer > id.integer);

  CHECK(s({"CLIENT", "GETNAME"}) == Nil());
  CHECK(s({"CLIENT", "SETNAME", "worker-1"}) == Ok());
  CHECK(s({"CLIENT", "GETNAME"}) == Bulk("worker-1"));
  CHECK(s({"CLIENT", "SETNAME", "a b"}) ==
        Err("ERR Client names cannot contain spaces, newlines or special characters."));
  CHECK(s({"CLIENT", "SETNAME", "a\nb"}) ==
        Err("ERR Client names cannot contain spaces, newlines or special characters."));
  CHECK(s({"CLIENT", "GETNAME"}) == Bulk("worker-1"));

  Reply list = s({"CLIENT", "LIST"});
  REQUIRE(list.is_bulk());
  std::vector<std::string> lines = Lines(list.str);
  REQUIRE(lines.size() == 2);
  std::string mine;
  for (const auto& l : lines) {
    if (ClientField(l, "id") == std::to_string(id.integer)) mine = l;
  }
  REQUIRE(!mine.empty());
  CHECK(ClientField(mine, "name") == "worker-1");
  CHECK(ClientField(mine, "cmd") == "client|list");
  CHECK(StartsWith(ClientField(mine, "addr"), "127.0.0.1:"));
  CHECK(ClientField(mine, "laddr") == "127.0.0.1:" + std::to_string(s.srv.port()));
  CHECK(ClientField(mine, "db") == "0");
  CHECK(ClientField(mine, "resp") == "2");
  CHECK(!ClientField(mine, "age").empty());
  CHECK(!ClientField(mine, "idle").empty());
  CHECK(!ClientField(mine, "flags").empty());

  Reply by_id = s({"CLIENT", "LIST", "ID", std::to_string(other_id.integer)});
  REQUIRE(by_id.is_bulk());
  CHECK(Lines(by_id.str).size() == 1);
  CHECK(ClientField(by_id.str, "id") == std::to_string(other_id.integer));
  CHECK(Lines(s({"CLIENT", "LIST", "TYPE", "normal"}).str).size() == 2);
  CHECK(s({"CLIENT", "LIST", "TYPE", "foo"}) == Err("ERR Unknown client type 'foo'"));

  Reply info = s({"CLIENT", "INFO"});
  REQUIRE(info.is_bulk());
  CHECK(Lines(info.str).size() == 1);
  CHECK(info.str.back() == '\n');
  CHECK(ClientField(info.str, "id") == std::to_string(id.integer));
  CHECK(ClientField(info.str, "name") == "worker-1");
  CHECK(ClientField(info.str, "cmd") == "client|info");
  CHECK(s({"CLIENT", "SETNAME", ""}) == Ok());
  CHECK(s({"CLIENT", "GETNAME"}) == Nil());
  CHECK(s({"CLIENT", "FOO"}).is_error());

  // cmd= is the last command received: queued inside MULTI, or NULL when unknown.
  auto other_cmd = [&] {
    return ClientField(s({"CLIENT", "LIST", "ID", std::to_string(other_id.integer)}).str, "cmd");
  };
  CHECK(Cmd(other, {"MULTI"}) == Ok());
  CHECK(Cmd(other, {"SET", "k", "v"}) == St("QUEUED"));
  CHECK(other_cmd() == "set");
  CHECK(Cmd(other, {"EXEC"}).is_array());
  CHECK(other_cmd() == "exec");
  CHECK(Cmd(other, {"NOSUCH"}).is_error());
  CHECK(other_cmd() == "NULL");
  CHECK(Cmd(other, {"CLIENT", "NOSUCH"}).is_error());
  CHECK(other_cmd() == "NULL");
}

TEST_CASE("CLIENT SETINFO") {
  if (ReferenceMode()) return;  // Redis 7.2 added it; the reference is 7.0
  Fx s;
  CHECK(s({"CLIENT", "SETINFO", "lib-name", "mylib"}) == Ok());
  CHECK(s({"CLIENT", "SETINFO", "lib-ver", "1.2.3"}) == Ok());
  Reply info = s({"CLIENT", "INFO"});
  CHECK(ClientField(info.str, "lib-name") == "mylib");
  CHECK(ClientField(info.str, "lib-ver") == "1.2.3");
  CHECK(s({"CLIENT", "SETINFO", "lib-name", "a b"}).is_error());
  CHECK(s({"CLIENT", "SETINFO", "foo", "x"}).is_error());
  CHECK(ClientField(s({"CLIENT", "INFO"}).str, "lib-name") == "mylib");
}

TEST_CASE("CLIENT KILL") {
  Fx s;
  Conn victim = s.srv.Connect();
  Conn victim2 = s.srv.Connect();
  long long vid = Cmd(victim, {"CLIENT", "ID"}).integer;
  std::string addr2 = ClientField(Cmd(victim2, {"CLIENT", "INFO"}).str, "addr");
  REQUIRE(!addr2.empty());

  CHECK(s({"CLIENT", "KILL", "ID", "999999"}) == Int(0));
  CHECK(s({"CLIENT", "KILL", "ID", std::to_string(vid)}) == Int(1));
  CHECK(Cmd(victim, {"PING"}).type == 0);
  CHECK(s({"CLIENT", "KILL", "ADDR", "1.2.3.4:5"}) == Int(0));
  CHECK(s({"CLIENT", "KILL", "1.2.3.4:5"}) == Err("ERR No such client"));
  CHECK(s({"CLIENT", "KILL", addr2}) == Ok());  // the old form
  CHECK(Cmd(victim2, {"PING"}).type == 0);
  CHECK(
      WaitFor([&] { return InfoInt(s.c.get(), "clients", "connected_clients") == 1; }, seconds(5)));
  // SKIPME defaults to yes: filters never kill the caller.
  long long my_id = s({"CLIENT", "ID"}).integer;
  CHECK(s({"CLIENT", "KILL", "ID", std::to_string(my_id)}) == Int(0));
  CHECK(s({"PING"}) == St("PONG"));
  Conn victim3 = s.srv.Connect();
  CHECK(s({"CLIENT", "KILL", "ADDR", ClientField(Cmd(victim3, {"CLIENT", "INFO"}).str, "addr"),
           "SKIPME", "yes"}) == Int(1));
  CHECK(Cmd(victim3, {"PING"}).type == 0);
  CHECK(s({"CLIENT", "KILL", "ID", "x"}).is_error());
  CHECK(s({"PING"}) == St("PONG"));
  // A client that kills itself gets the reply first (Redis: close after reply).
  for (const std::string how : {"ID", "ADDR", "old"}) {
    CAPTURE(how);
    RawConn self(s.srv.port());
    REQUIRE(self.connected());
    REQUIRE(self.Send("CLIENT INFO\r\n"));
    std::string info = self.ReadReply();
    info = info.substr(info.find("\r\n") + 2);  // the bulk string's text
    if (how == "ID") {
      REQUIRE(self.Send("CLIENT KILL ID " + ClientField(info, "id") + " SKIPME no\r\n"));
      CHECK(self.ReadReply() == ":1\r\n");
    } else if (how == "ADDR") {
      REQUIRE(self.Send("CLIENT KILL ADDR " + ClientField(info, "addr") + " SKIPME no\r\n"));
      CHECK(self.ReadReply() == ":1\r\n");
    } else {
      REQUIRE(self.Send("CLIENT KILL " + ClientField(info, "addr") + "\r\n"));
      CHECK(self.ReadReply() == "+OK\r\n");
    }
    CHECK(self.WaitClosed());
  }
}

TEST_CASE("CLIENT REPLY OFF ON SKIP") {
  TestServer srv;
  RawConn raw(srv.port());
  REQUIRE(raw.connected());
  REQUIRE(raw.Send("CLIENT REPLY OFF\r\nSET a 1\r\nGET a\r\nCLIENT REPLY ON\r\nGET a\r\n"));
  CHECK(raw.ReadReply() == "+OK\r\n");  // only ON answers
  CHECK(raw.ReadReply() == "$1\r\n1\r\n");
  REQUIRE(raw.Send("CLIENT REPLY SKIP\r\nSET b 2\r\nGET b\r\n"));
  CHECK(raw.ReadReply() == "$1\r\n2\r\n");
  REQUIRE(raw.Send("CLIENT REPLY FOO\r\n"));
  CHECK(raw.ReadReply() == "-ERR syntax error\r\n");
  // With replies off, errors are silent too.
  REQUIRE(raw.Send("CLIENT REPLY OFF\r\nNOSUCH\r\nCLIENT REPLY ON\r\n"));
  CHECK(raw.ReadReply() == "+OK\r\n");
  CHECK(raw.pending().empty());
}

TEST_CASE("CLIENT PAUSE and UNPAUSE") {
  Fx s;
  CHECK(s({"SET", "k", "v"}) == Ok());
  CHECK(s({"CLIENT", "PAUSE", "100000", "WRITE"}) == Ok());
  RawConn raw(s.srv.port());
  REQUIRE(raw.connected());
  // Reads go on during a WRITE pause...
  REQUIRE(raw.Send("GET k\r\n"));
  CHECK(raw.ReadReply() == "$1\r\nv\r\n");
  // ...writes wait.
  REQUIRE(raw.Send("SET k w\r\n"));
  CHECK(raw.ReadReply(milliseconds(300)) == "");
  CHECK(s({"CLIENT", "UNPAUSE"}) == Ok());
  CHECK(raw.ReadReply() == "+OK\r\n");
  CHECK(s({"GET", "k"}) == Bulk("w"));
  // A transaction with writes waits at EXEC; a command that fails its checks is answered
  // at once; CLIENT REPLY SKIP still applies to a command that waited.
  REQUIRE(raw.Send("MULTI\r\nSET k t\r\n"));
  CHECK(raw.ReadReply() == "+OK\r\n");
  CHECK(raw.ReadReply() == "+QUEUED\r\n");
  CHECK(s({"CLIENT", "PAUSE", "100000", "WRITE"}) == Ok());
  REQUIRE(raw.Send("SET k\r\n"));
  CHECK(raw.ReadReply() == "-ERR wrong number of arguments for 'set' command\r\n");
  REQUIRE(raw.Send("DISCARD\r\nMULTI\r\nGET k\r\nEXEC\r\nMULTI\r\nSET k t\r\n"));
  CHECK(raw.ReadReply() == "+OK\r\n");
  CHECK(raw.ReadReply() == "+OK\r\n");
  CHECK(raw.ReadReply() == "+QUEUED\r\n");
  CHECK(raw.ReadReply() == "*1\r\n$1\r\nw\r\n");  // EXEC of reads only runs
  CHECK(raw.ReadReply() == "+OK\r\n");
  CHECK(raw.ReadReply(milliseconds(300)) == "");  // SET inside MULTI waits to be queued
  CHECK(s({"CLIENT", "UNPAUSE"}) == Ok());
  CHECK(raw.ReadReply() == "+QUEUED\r\n");
  CHECK(s({"CLIENT", "PAUSE", "100000", "WRITE"}) == Ok());
  REQUIRE(raw.Send("EXEC\r\n"));
  CHECK(raw.ReadReply(milliseconds(300)) == "");
  CHECK(s({"GET", "k"}) == Bulk("w"));  // the transaction has not run
  CHECK(s({"CLIENT", "UNPAUSE"}) == Ok());
  CHECK(raw.ReadReply() == "*1\r\n+OK\r\n");
  CHECK(s({"CLIENT", "PAUSE", "100000", "WRITE"}) == Ok());
  REQUIRE(raw.Send("CLIENT REPLY SKIP\r\nSET k w\r\nGET k\r\n"));
  CHECK(raw.ReadReply(milliseconds(300)) == "");
  CHECK(s({"CLIENT", "UNPAUSE"}) == Ok());
  CHECK(raw.ReadReply() == "$1\r\nw\r\n");  // SET's reply skipped, GET's sent
  // ALL pauses reads too (and CLIENT UNPAUSE itself: it can only time out).
  const auto pause = milliseconds(static_cast<int>(1000 * TimeScale()));
  auto paused_at = std::chrono::steady_clock::now();
  CHECK(s({"CLIENT", "PAUSE", std::to_string(pause.count())}) == Ok());
  REQUIRE(raw.Send("GET k\r\n"));
  CHECK(raw.ReadReply(milliseconds(200)) == "");  // 200 ms scaled: well inside the pause
  CHECK(raw.ReadReply(milliseconds(5000)) == "$1\r\nw\r\n");
  CHECK(std::chrono::steady_clock::now() - paused_at >= pause - milliseconds(100));
  // A short pause ends by itself.
  CHECK(s({"CLIENT", "PAUSE", "200", "WRITE"}) == Ok());
  REQUIRE(raw.Send("SET k x\r\n"));
  CHECK(raw.ReadReply(milliseconds(5000)) == "+OK\r\n");
  CHECK(s({"CLIENT", "PAUSE", "abc"}) == Err("ERR timeout is not an integer or out of range"));
  CHECK(s({"CLIENT", "PAUSE", "10", "FOO"}) == Err("ERR CLIENT PAUSE mode must be WRITE or ALL"));
  CHECK(s({"CLIENT", "NO-EVICT", "on"}) == Ok());
  CHECK(s({"CLIENT", "NO-EVICT", "off"}) == Ok());
  CHECK(s({"CLIENT", "NO-EVICT", "maybe"}) == Err("ERR syntax error"));
}

TEST_CASE("COMMAND COUNT LIST INFO DOCS GETKEYS") {
  Fx s;
  Reply count = s({"COMMAND", "COUNT"});
  REQUIRE(count.is_int());
  CHECK(count.integer >= 60);
  Reply list = s({"COMMAND", "LIST"});
  REQUIRE(list.is_array());
  std::vector<std::string> names = list.Strings();
  long long top_level = std::count_if(names.begin(), names.end(), [](const std::string& n) {
    return n.find('|') == std::string::npos;
  });
  CHECK(top_level == count.integer);
  for (const char* n : {"get", "set", "multi", "client", "client|list", "config|get"}) {
    CHECK_MESSAGE(std::find(names.begin(), names.end(), n) != names.end(), n);
  }
  Reply all = s({"COMMAND"});
  REQUIRE(all.is_array());
  CHECK(static_cast<long long>(all.elements.size()) == count.integer);

  Reply info = s({"COMMAND", "INFO", "get", "mset", "nosuch"});
  REQUIRE(info.is_array());
  REQUIRE(info.elements.size() == 3);
  const Reply& get = info.elements[0];
  REQUIRE(get.elements.size() >= 7);
  CHECK(get.elements[0] == Bulk("get"));
  CHECK(get.elements[1] == Int(2));
  CHECK(get.elements[2].Strings() == std::vector<std::string>{"readonly", "fast"});
  CHECK(get.elements[3] == Int(1));
  CHECK(get.elements[4] == Int(1));
  CHECK(get.elements[5] == Int(1));
  std::vector<std::string> cats = get.elements[6].Strings();
  CHECK(std::find(cats.begin(), cats.end(), "@read") != cats.end());
  CHECK(std::find(cats.begin(), cats.end(), "@string") != cats.end());
  const Reply& mset = info.elements[1];
  REQUIRE(mset.elements.size() >= 6);
  CHECK(mset.elements[0] == Bulk("mset"));
  CHECK(mset.elements[1] == Int(-3));
  CHECK(mset.elements[3] == Int(1));
  CHECK(mset.elements[4] == Int(-1));
  CHECK(mset.elements[5] == Int(2));
  CHECK(info.elements[2] == Nil());

  Reply docs = s({"COMMAND", "DOCS", "get"});
  REQUIRE(docs.is_array());
  REQUIRE(docs.elements.size() == 2);
  CHECK(docs.elements[0] == Bulk("get"));
  std::vector<std::string> doc = docs.elements[1].Strings();
  auto field = [&](const std::string& name) {
    for (size_t i = 0; i + 1 < doc.size(); i += 2) {
      if (doc[i] == name) return doc[i + 1];
    }
    return std::string("(missing)");
  };
  CHECK(field("summary") == "Get the value of a key");
  CHECK(field("since") == "1.0.0");
  CHECK(field("group") == "string");
  CHECK(field("complexity") == "O(1)");

  CHECK(s({"COMMAND", "GETKEYS", "SET", "a", "b"}) == Bulks({"a"}));
  CHECK(s({"COMMAND", "GETKEYS", "MSET", "a", "1", "b", "2"}) == Bulks({"a", "b"}));
  CHECK(s({"COMMAND", "GETKEYS", "DEL", "x", "y", "z"}) == Bulks({"x", "y", "z"}));
  CHECK(s({"COMMAND", "GETKEYS", "PING", "x"}) == Err("ERR The command has no key arguments"));
  CHECK(s({"COMMAND", "GETKEYS", "NOSUCH", "a"}) == Err("ERR Invalid command specified"));
  CHECK(s({"COMMAND", "GETKEYS", "GET", "a", "b"}) ==
        Err("ERR Invalid number of arguments specified for command"));
  CHECK(s({"COMMAND", "GETKEYS", "GET"}) ==
        Err("ERR wrong number of arguments for 'command|getkeys' command"));
}

TEST_CASE("INFO sections and fields") {
  Fx s;
  CHECK(s({"SET", "a", "1"}) == Ok());
  CHECK(s({"SET", "b", "2", "EX", "100"}) == Ok());
  CHECK(s({"GET", "a"}) == Bulk("1"));
  std::string info = Info(s.c.get());
  for (const char* f :
       {"redis_version", "process_id", "tcp_port", "uptime_in_seconds", "connected_clients",
        "used_memory", "maxmemory", "maxmemory_policy", "total_commands_processed", "expired_keys",
        "evicted_keys", "keyspace_hits", "keyspace_misses", "role"}) {
    CHECK_MESSAGE(!InfoField(info, f).empty(), f);
  }
  CHECK(InfoField(info, "tcp_port") == std::to_string(s.srv.port()));
  CHECK(InfoField(info, "process_id") == std::to_string(s.srv.pid()));
  CHECK(InfoField(info, "connected_clients") == "1");
  CHECK(InfoField(info, "role") == "master");
  CHECK(InfoField(info, "keyspace_hits") == "1");
  CHECK(StartsWith(InfoField(info, "db0"), "keys=2,expires=1,avg_ttl="));
  // avg_ttl comes from the expiry cycle's samples (b has about 100 s left).
  CHECK(WaitFor(
      [&] {
        const std::string db0 = InfoField(Info(s.c.get(), "keyspace"), "db0");
        const long long avg = std::stoll(db0.substr(db0.find("avg_ttl=") + 8));
        return avg > 90'000 && avg <= 100'000;
      },
      seconds(10)));
  CHECK(Contains(info, "# Server\r\n"));
  CHECK(Contains(info, "# Keyspace\r\n"));
  CHECK(!Contains(info, "# Commandstats"));

  std::string server = Info(s.c.get(), "server");
  CHECK(Contains(server, "# Server"));
  CHECK(!Contains(server, "# Clients"));
  CHECK(InfoField(server, "connected_clients").empty());

  std::string two = Cmd(s.c, {"INFO", "server", "clients"}).str;
  CHECK(Contains(two, "# Server"));
  CHECK(Contains(two, "# Clients"));
  CHECK(!Contains(two, "# Memory"));

  // Each section once, in Redis's fixed order, whatever the request's order.
  auto headers = [](const std::string& text) {
    std::vector<std::string> h;
    for (size_t at = text.find('#'); at != std::string::npos; at = text.find("\r\n#", at)) {
      if (text[at] != '#') at += 2;
      h.push_back(text.substr(at, text.find("\r\n", at) - at));
      at = text.find("\r\n", at);
    }
    return h;
  };
  CHECK(headers(Cmd(s.c, {"INFO", "keyspace", "server", "server"}).str) ==
        std::vector<std::string>{"# Server", "# Keyspace"});
  CHECK(headers(Info(s.c.get(), "all")) ==
        std::vector<std::string>{"# Server", "# Clients", "# Memory", "# Persistence", "# Stats",
                                 "# Replication", "# CPU", "# Modules", "# Commandstats",
                                 "# Errorstats", "# Latencystats", "# Cluster", "# Keyspace"});

  std::string stats = Info(s.c.get(), "commandstats");
  CHECK(StartsWith(InfoField(stats, "cmdstat_set"), "calls=2,usec="));
  CHECK(StartsWith(InfoField(stats, "cmdstat_get"), "calls=1,usec="));
  CHECK(Contains(Info(s.c.get(), "everything"), "# Commandstats"));
  CHECK(Contains(Info(s.c.get(), "all"), "# Commandstats"));
  CHECK(Info(s.c.get(), "nosuchsection").empty());
  CHECK(s({"INFO", "nosuchsection"}) == Bulk(""));

  std::string mem = Info(s.c.get(), "memory");
  CHECK(std::stoll(InfoField(mem, "used_memory")) > 0);
  CHECK(!InfoField(mem, "used_memory_human").empty());
  CHECK(!InfoField(mem, "used_memory_peak").empty());
  if (!ReferenceMode()) {
    // Redis 7.2's names; PyKV reports them.
    std::string st = Info(s.c.get(), "stats");
    CHECK(InfoField(st, "client_query_buffer_limit_disconnections") == "0");
    CHECK(InfoField(st, "client_output_buffer_limit_disconnections") == "0");
  }
  // An empty keyspace has no db0 line.
  CHECK(s({"FLUSHALL"}) == Ok());
  CHECK(InfoField(Info(s.c.get(), "keyspace"), "db0").empty());
}

TEST_CASE("keyspace_hits and keyspace_misses count what Redis counts") {
  Fx s;
  CHECK(s({"CONFIG", "RESETSTAT"}) == Ok());
  // Reads count (EXISTS, TYPE, TTL and OBJECT too); writes that look a key up do not.
  const std::vector<std::vector<std::string>> script = {{"SET", "a", "1"},
                                                        {"EXISTS", "a"},
                                                        {"EXISTS", "nokey"},
                                                        {"TYPE", "a"},
                                                        {"TTL", "a"},
                                                        {"INCR", "a"},
                                                        {"APPEND", "a", "x"},
                                                        {"EXPIRE", "a", "100"},
                                                        {"RENAME", "a", "b"},
                                                        {"GET", "b"},
                                                        {"GET", "nokey"},
                                                        {"SETRANGE", "b", "0", "y"},
                                                        {"OBJECT", "ENCODING", "b"},
                                                        {"COPY", "b", "c"},
                                                        {"TOUCH", "b", "nokey"},
                                                        {"GETSET", "c", "1"},
                                                        {"MSETNX", "x", "1"},
                                                        {"INCRBYFLOAT", "f", "1"}};
  for (const auto& argv : script) CHECK_FALSE(Cmd(s.c, argv).is_error());
  const std::string stats = Info(s.c.get(), "stats");
  CHECK(InfoField(stats, "keyspace_hits") == "8");  // measured on Redis 7.0.15
  CHECK(InfoField(stats, "keyspace_misses") == "3");
}

TEST_CASE("CONFIG GET SET RESETSTAT") {
  Fx s;
  CHECK(s({"CONFIG", "GET", "maxmemory"}) == Bulks({"maxmemory", "0"}));
  CHECK(s({"CONFIG", "GET", "maxmemory-policy"}) == Bulks({"maxmemory-policy", "noeviction"}));
  CHECK(s({"CONFIG", "GET", "nosuch"}) == Arr({}));
  Reply two = s({"CONFIG", "GET", "maxmemory", "timeout"});
  CHECK(two.elements.size() == 4);
  Reply glob = s({"CONFIG", "GET", "maxmemory*"});
  std::vector<std::string> g = glob.Strings();
  CHECK(std::find(g.begin(), g.end(), "maxmemory-policy") != g.end());

  CHECK(s({"CONFIG", "SET", "maxmemory", "10mb"}) == Ok());
  CHECK(s({"CONFIG", "GET", "maxmemory"}) == Bulks({"maxmemory", "10485760"}));
  CHECK(s({"CONFIG", "SET", "maxmemory", "0"}) == Ok());
  CHECK(s({"CONFIG", "SET", "maxmemory-policy", "allkeys-lru", "timeout", "30"}) == Ok());
  CHECK(s({"CONFIG", "GET", "maxmemory-policy"}) == Bulks({"maxmemory-policy", "allkeys-lru"}));
  CHECK(s({"CONFIG", "GET", "timeout"}) == Bulks({"timeout", "30"}));
  Reply bad = s({"CONFIG", "SET", "maxmemory-policy", "bogus"});
  CHECK(bad.is_error());
  CHECK(StartsWith(bad.str,
                   "ERR CONFIG SET failed (possibly related to argument 'maxmemory-policy') - "));
  // All or nothing.
  CHECK(s({"CONFIG", "SET", "timeout", "5", "maxmemory-policy", "bogus"}).is_error());
  CHECK(s({"CONFIG", "GET", "timeout"}) == Bulks({"timeout", "30"}));
  CHECK(s({"CONFIG", "SET", "nosuch", "x"}) ==
        Err("ERR Unknown option or number of arguments for CONFIG SET - 'nosuch'"));
  CHECK(s({"CONFIG", "SET", "daemonize", "yes"}) ==
        Err("ERR CONFIG SET failed (possibly related to argument 'daemonize') - can't set "
            "immutable config"));
  CHECK(s({"CONFIG", "SET", "timeout"}) ==
        Err("ERR wrong number of arguments for 'config|set' command"));
  CHECK(s({"CONFIG", "REWRITE"}) == Err("ERR The server is running without a config file"));

  // RESETSTAT.
  CHECK(s({"GET", "nokey"}) == Nil());
  CHECK(InfoInt(s.c.get(), "stats", "keyspace_misses") == 1);
  CHECK(s({"CONFIG", "RESETSTAT"}) == Ok());
  std::string st = Info(s.c.get(), "stats");
  CHECK(InfoField(st, "keyspace_misses") == "0");
  CHECK(std::stoll(InfoField(st, "total_commands_processed")) <= 2);
  CHECK(InfoField(Info(s.c.get(), "commandstats"), "cmdstat_get").empty());
}

TEST_CASE("CONFIG REWRITE keeps comments and writes new values") {
  Fx s(ServerOptions{{}, "# a comment that must survive\nmaxmemory 1mb\ntimeout 0\n"});
  CHECK(s({"CONFIG", "GET", "maxmemory"}) == Bulks({"maxmemory", "1048576"}));
  CHECK(s({"CONFIG", "SET", "maxmemory", "2mb"}) == Ok());
  CHECK(s({"CONFIG", "SET", "timeout", "7"}) == Ok());
  CHECK(s({"CONFIG", "SET", "maxmemory-policy", "allkeys-lru"}) == Ok());
  CHECK(s({"CONFIG", "REWRITE"}) == Ok());
  std::string text = ReadWholeFile(s.srv.config_path());
  CHECK(Contains(text, "# a comment that must survive\n"));
  CHECK(Contains(text, "\nmaxmemory 2mb\n"));
  CHECK(Contains(text, "\ntimeout 7\n"));
  CHECK(Contains(text, "\nmaxmemory-policy allkeys-lru\n"));
  CHECK(!Contains(text, "maxmemory 1mb"));
  // The rewritten file starts a server with the same values.
  TestServer again(ServerOptions{{}, text});
  Conn c = again.Connect();
  CHECK(Cmd(c, {"CONFIG", "GET", "maxmemory"}) == Bulks({"maxmemory", "2097152"}));
  CHECK(Cmd(c, {"CONFIG", "GET", "timeout"}) == Bulks({"timeout", "7"}));
}

TEST_CASE("TIME LASTSAVE DBSIZE") {
  int64_t before = NowMs() / 1000;
  Fx s;
  Reply t = s({"TIME"});
  REQUIRE(t.is_array());
  REQUIRE(t.elements.size() == 2);
  long long secs = std::stoll(t.elements[0].str);
  long long usecs = std::stoll(t.elements[1].str);
  CHECK(secs >= before - 1);
  CHECK(secs <= NowMs() / 1000 + 1);
  CHECK(usecs >= 0);
  CHECK(usecs < 1000000);
  Reply last = s({"LASTSAVE"});
  REQUIRE(last.is_int());
  CHECK(last.integer >= before - 5);
  CHECK(last.integer <= NowMs() / 1000 + 1);
  CHECK(s({"DBSIZE"}) == Int(0));
  CHECK(s({"MSET", "a", "1", "b", "2"}) == Ok());
  CHECK(s({"DBSIZE"}) == Int(2));
}

TEST_CASE("SHUTDOWN exits with status 0") {
  Fx s;
  CHECK(s({"SHUTDOWN", "FOO"}) == Err("ERR syntax error"));
  CHECK(s({"SET", "k", "v"}) == Ok());
  Reply r = s({"SHUTDOWN", "NOSAVE"});
  CHECK(r.type == 0);  // no reply: the connection closes
  std::optional<int> status = s.srv.WaitExit(milliseconds(10000));
  REQUIRE(status.has_value());
  CHECK(WIFEXITED(*status));
  CHECK(WEXITSTATUS(*status) == 0);
}

// Checks a MONITOR line, `<secs>.<6 digits> [0 127.0.0.1:<port>] "ARG" "ARG"...`, and
// returns its argument part, or "(malformed) <line>".
std::string MonitorArgs(const std::string& line) {
  auto digits = [&](size_t pos) {
    size_t end = pos;
    while (end < line.size() && line[end] >= '0' && line[end] <= '9') ++end;
    return end - pos;
  };
  const std::string bad = "(malformed) " + line;
  size_t n = digits(0);
  if (n == 0 || n >= line.size() || line[n] != '.') return bad;
  size_t pos = n + 1;
  if (digits(pos) != 6) return bad;
  pos += 6;
  const std::string addr = " [0 127.0.0.1:";
  if (line.compare(pos, addr.size(), addr) != 0) return bad;
  pos += addr.size();
  n = digits(pos);
  if (n == 0 || line.compare(pos + n, 2, "] ") != 0) return bad;
  return line.substr(pos + n + 2);
}

TEST_CASE("MONITOR shows other connections' commands") {
  Fx s;
  Conn mon = s.srv.Connect();
  CHECK(Cmd(mon, {"MONITOR"}) == Ok());
  CHECK(s({"SET", "foo", "bar"}) == Ok());
  CHECK(s({"SET", "bin", "a\nb\"c"}) == Ok());
  Reply line = GetReply(mon.get());
  REQUIRE(line.is_status());
  CHECK(MonitorArgs(line.str) == R"("SET" "foo" "bar")");
  CHECK(MonitorArgs(GetReply(mon.get()).str) == R"("SET" "bin" "a\nb\"c")");
  CHECK(s({"GET", "foo"}) == Bulk("bar"));
  CHECK(MonitorArgs(GetReply(mon.get()).str) == R"("GET" "foo")");
  // A second monitor sees the same.
  RawConn raw(s.srv.port());
  REQUIRE(raw.Send("MONITOR\r\n"));
  CHECK(raw.ReadReply() == "+OK\r\n");
  CHECK(s({"DEL", "foo"}) == Int(1));
  std::string raw_line = raw.ReadReply();
  REQUIRE(raw_line.size() > 3);
  CHECK(raw_line[0] == '+');
  CHECK(MonitorArgs(raw_line.substr(1, raw_line.size() - 3)) == R"("DEL" "foo")");
  CHECK(MonitorArgs(GetReply(mon.get()).str) == R"("DEL" "foo")");
}

TEST_CASE("SLOWLOG") {
  Fx s;
  CHECK(s({"SLOWLOG", "RESET"}) == Ok());
  CHECK(s({"CONFIG", "SET", "slowlog-log-slower-than", "0"}) == Ok());
  CHECK(s({"SET", "slowkey", "1"}) == Ok());
  Reply entries = s({"SLOWLOG", "GET", "1"});
  REQUIRE(entries.is_array());
  REQUIRE(entries.elements.size() == 1);
  const Reply& e = entries.elements[0];
  REQUIRE(e.elements.size() == 6);
  CHECK(e.elements[0].is_int());
  CHECK(e.elements[1].is_int());
  CHECK(e.elements[1].integer >= NowMs() / 1000 - 10);
  CHECK(e.elements[2].is_int());
  CHECK(e.elements[3] == Bulks({"SET", "slowkey", "1"}));
  CHECK(StartsWith(e.elements[4].str, "127.0.0.1:"));
  CHECK(e.elements[5] == Bulk(""));
  CHECK(s({"SLOWLOG", "LEN"}).integer >= 3);
  CHECK(s({"SLOWLOG", "RESET"}) == Ok());
  CHECK(s({"SLOWLOG", "LEN"}) == Int(1));  // the RESET itself was slower than 0 us
  CHECK(s({"CONFIG", "SET", "slowlog-max-len", "3"}) == Ok());
  for (int i = 0; i < 10; ++i) CHECK(s({"PING"}) == St("PONG"));
  CHECK(s({"SLOWLOG", "LEN"}) == Int(3));
  CHECK(s({"SLOWLOG", "GET"}).elements.size() == 3);
  CHECK(s({"CONFIG", "SET", "slowlog-log-slower-than", "-1"}) == Ok());
  CHECK(s({"SLOWLOG", "RESET"}) == Ok());
  CHECK(s({"SET", "x", "1"}) == Ok());
  CHECK(s({"SLOWLOG", "LEN"}) == Int(0));
  CHECK(s({"SLOWLOG", "GET"}) == Arr({}));
}

TEST_CASE("LATENCY") {
  Fx s;
  CHECK(s({"LATENCY", "LATEST"}) == Arr({}));
  CHECK(s({"CONFIG", "SET", "latency-monitor-threshold", "10"}) == Ok());
  CHECK(s({"DEBUG", "SLEEP", "0.05"}) == Ok());
  Reply latest = s({"LATENCY", "LATEST"});
  REQUIRE(latest.is_array());
  REQUIRE(latest.elements.size() == 1);
  const Reply& ev = latest.elements[0];
  REQUIRE(ev.elements.size() == 4);
  CHECK(ev.elements[0] == Bulk("command"));
  CHECK(ev.elements[1].integer >= NowMs() / 1000 - 10);
  CHECK(ev.elements[2].integer >= 50);
  CHECK(ev.elements[3].integer >= 50);
  Reply hist = s({"LATENCY", "HISTORY", "command"});
  REQUIRE(hist.elements.size() == 1);
  REQUIRE(hist.elements[0].elements.size() == 2);
  CHECK(hist.elements[0].elements[1].integer >= 50);
  Reply doctor = s({"LATENCY", "DOCTOR"});
  CHECK(doctor.is_bulk());
  CHECK(!doctor.str.empty());
  CHECK(s({"LATENCY", "RESET"}) == Int(1));
  CHECK(s({"LATENCY", "LATEST"}) == Arr({}));
  CHECK(s({"LATENCY", "HISTORY", "command"}) == Arr({}));
  CHECK(s({"LATENCY", "HELP"}).is_array());
}

TEST_CASE("MEMORY USAGE") {
  Fx s;
  CHECK(s({"SET", "k", std::string(1000, 'x')}) == Ok());
  Reply u = s({"MEMORY", "USAGE", "k"});
  REQUIRE(u.is_int());
  CHECK(u.integer >= 1000);
  CHECK(u.integer < 1300);
  CHECK(s({"MEMORY", "USAGE", "k", "SAMPLES", "0"}).integer == u.integer);
  CHECK(s({"MEMORY", "USAGE", "nokey"}) == Nil());
  CHECK(s({"SET", "small", "v"}) == Ok());
  CHECK(s({"MEMORY", "USAGE", "small"}).integer < u.integer);
  CHECK(s({"MEMORY", "DOCTOR"}).is_bulk());
  CHECK(s({"MEMORY", "STATS"}).is_array());
  CHECK(s({"MEMORY", "HELP"}).is_array());
}

TEST_CASE("DEBUG SLEEP OBJECT DIGEST DIGEST-VALUE") {
  Fx s;
  CHECK(s({"DEBUG", "SLEEP", "0"}) == Ok());
  const std::string zeros(40, '0');
  CHECK(s({"DEBUG", "DIGEST"}) == St(zeros));
  CHECK(s({"MSET", "a", "1", "b", "2"}) == Ok());
  Reply d1 = s({"DEBUG", "DIGEST"});
  REQUIRE(d1.is_status());
  CHECK(d1.str.size() == 40);
  CHECK(d1.str != zeros);
  // The same data set on another server, written in another order: the same digest.
  {
    TestServer other;
    Conn c = other.Connect();
    CHECK(Cmd(c, {"SET", "b", "2"}) == Ok());
    CHECK(Cmd(c, {"SET", "a", "1"}) == Ok());
    CHECK(Cmd(c, {"DEBUG", "DIGEST"}) == d1);
    CHECK(Cmd(c, {"MSET", "a", "2", "b", "1"}) == Ok());  // values swapped
    CHECK(Cmd(c, {"DEBUG", "DIGEST"}) != d1);
  }
  CHECK(s({"SET", "a", "changed"}) == Ok());
  CHECK(s({"DEBUG", "DIGEST"}) != d1);
  CHECK(s({"SET", "a", "1"}) == Ok());
  CHECK(s({"DEBUG", "DIGEST"}) == d1);
  // A TTL is part of the digest.
  CHECK(s({"EXPIRE", "a", "1000"}) == Int(1));
  CHECK(s({"DEBUG", "DIGEST"}) != d1);
  CHECK(s({"PERSIST", "a"}) == Int(1));
  CHECK(s({"DEBUG", "DIGEST"}) == d1);

  // DIGEST-VALUE digests values only: equal values under different names are equal.
  CHECK(s({"SET", "c", "1"}) == Ok());
  Reply dv = s({"DEBUG", "DIGEST-VALUE", "a", "b", "c", "nokey"});
  REQUIRE(dv.is_array());
  REQUIRE(dv.elements.size() == 4);
  CHECK(dv.elements[0].str.size() == 40);
  CHECK(dv.elements[0] != dv.elements[1]);
  CHECK(dv.elements[0] == dv.elements[2]);
  CHECK(dv.elements[3] == St(zeros));

  Reply obj = s({"DEBUG", "OBJECT", "b"});
  REQUIRE(obj.is_status());
  CHECK(StartsWith(obj.str, "Value at:"));
  CHECK(Contains(obj.str, " encoding:int "));
  CHECK(Contains(obj.str, " serializedlength:"));
  CHECK(Contains(obj.str, " lru_seconds_idle:"));
  {
    // lru: is Redis's 24-bit LRU clock, the value INFO lru_clock shows, not Unix time.
    size_t at = obj.str.find(" lru:");
    REQUIRE(at != std::string::npos);
    const long long lru = std::stoll(obj.str.substr(at + 5));
    const long long clock = std::stoll(InfoField(Info(s.c.get(), "server"), "lru_clock"));
    const long long idle = std::stoll(obj.str.substr(obj.str.find(" lru_seconds_idle:") + 18));
    CHECK(lru < (1 << 24));
    // lru is the clock at the last access: now minus the idle time (a second either way).
    CHECK(std::llabs(clock - lru - idle) <= 1);
  }
  CHECK(s({"DEBUG", "OBJECT", "nokey"}) == Err("ERR no such key"));
  CHECK(s({"DEBUG", "NOSUCH"}).is_error());
}

TEST_CASE("DEBUG SET-ACTIVE-EXPIRE") {
  Fx s;
  CHECK(s({"DEBUG", "SET-ACTIVE-EXPIRE", "0"}) == Ok());
  for (int i = 0; i < 10; ++i) {
    std::string key = "k";
    key += std::to_string(i);
    CHECK(s({"SET", key, "v", "PX", "50"}) == Ok());
  }
  // Nobody reads them and active expiry is off: they stay counted for a while (the
  // server runs its cron 10 times a second, so 600 ms is several chances to expire).
  CHECK(!WaitFor([&] { return s({"DBSIZE"}).integer < 10; }, milliseconds(600)));
  CHECK(s({"DBSIZE"}) == Int(10));
  // A read expires that key lazily.
  CHECK(s({"GET", "k0"}) == Nil());
  CHECK(s({"DBSIZE"}) == Int(9));
  CHECK(s({"DEBUG", "SET-ACTIVE-EXPIRE", "1"}) == Ok());
  CHECK(WaitFor([&] { return s({"DBSIZE"}) == Int(0); }, seconds(10)));
  CHECK(InfoInt(s.c.get(), "stats", "expired_keys") == 10);
}

TEST_CASE("SIGTERM stops the server with status 0, SIGKILL leaves nothing behind") {
  TestServer srv;
  Conn c = srv.Connect();
  CHECK(Cmd(c, {"SET", "k", "v"}) == Ok());
  int status = srv.Stop();
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  CHECK(!srv.Running());
  CHECK(srv.TryConnect(1) == nullptr);

  TestServer victim;
  pid_t pid = victim.pid();
  victim.Kill9();
  CHECK(!victim.Running());
  CHECK(kill(pid, 0) == -1);  // reaped: no such process
  CHECK(victim.TryConnect(1) == nullptr);
}

TEST_CASE("bad configuration: the server refuses to start with exit status 1") {
  ToolResult r = RunTool({ServerBinary(), "--port", "0", "--nosuchoption", "1"});
  CHECK(r.exit_code == 1);
  CHECK(Contains(r.out + r.err, "Bad directive or wrong number of arguments"));
  r = RunTool({ServerBinary(), "--port", "0", "--maxmemory-policy", "bogus"});
  CHECK(r.exit_code == 1);
  CHECK(Contains(r.out + r.err, "maxmemory-policy"));
  r = RunTool({ServerBinary(), "/nonexistent/pykv.conf"});
  CHECK(r.exit_code == 1);
}

}  // namespace
}  // namespace pykv::it
