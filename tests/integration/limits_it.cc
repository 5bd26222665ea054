// Limits end to end: eviction under maxkeys and maxmemory with each policy, -OOM under
// noeviction, active expiry, AUTH, idle client timeout, and the client output/query
// buffer limits. Expected behaviour is Redis 7.0's; maxkeys is PyKV's own.
#include <sys/socket.h>

#include <chrono>
#include <fstream>
#include <string>
#include <vector>

#include "integration/server_harness.h"

namespace pykv::it {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

const char* kOom = "OOM command not allowed when used memory > 'maxmemory'.";
const char* kOomKeys = "OOM command not allowed when the number of keys > 'maxkeys'.";

std::string Key(const std::string& prefix, int i) {
  return prefix + std::to_string(i);
}

// Pipelines SET prefix<i> value [extra...] for i in [first, first+n); returns the replies.
std::vector<Reply> SetMany(redisContext* c, const std::string& prefix, int first, int n,
                           const std::string& value, const std::vector<std::string>& extra = {}) {
  std::vector<Reply> out;
  for (int base = first; base < first + n; base += 100) {
    int end = std::min(first + n, base + 100);
    for (int i = base; i < end; ++i) {
      std::vector<std::string> args = {"SET", Key(prefix, i), value};
      args.insert(args.end(), extra.begin(), extra.end());
      Append(c, args);
    }
    for (int i = base; i < end; ++i) out.push_back(GetReply(c));
  }
  return out;
}

int CountOk(const std::vector<Reply>& replies) {
  int n = 0;
  for (const auto& r : replies) n += r.ok();
  return n;
}

long long Exists(redisContext* c, const std::string& prefix, int first, int n) {
  long long total = 0;
  for (int i = first; i < first + n; ++i) total += Cmd(c, {"EXISTS", Key(prefix, i)}).integer;
  return total;
}

TEST_CASE("maxkeys with allkeys-lru keeps the most recently used keys") {
  if (ReferenceMode()) return;  // maxkeys is PyKV's own
  Fx s({"--maxkeys", "100", "--maxmemory-policy", "allkeys-lru"});
  CHECK(CountOk(SetMany(s.c.get(), "k", 0, 200, "v")) == 200);
  CHECK(s({"DBSIZE"}) == Int(100));
  CHECK(Exists(s.c.get(), "k", 100, 100) == 100);
  CHECK(Exists(s.c.get(), "k", 0, 100) == 0);
  CHECK(InfoInt(s.c.get(), "stats", "evicted_keys") == 100);
  // A read makes a key recent: k100 is now newer than k101.
  CHECK(s({"GET", "k100"}) == Bulk("v"));
  CHECK(s({"SET", "new1", "v"}) == Ok());
  CHECK(s({"EXISTS", "k100"}) == Int(1));
  CHECK(s({"EXISTS", "k101"}) == Int(0));
  CHECK(s({"SET", "new2", "v"}) == Ok());
  CHECK(s({"EXISTS", "k102"}) == Int(0));
  CHECK(s({"DBSIZE"}) == Int(100));
  CHECK(InfoInt(s.c.get(), "stats", "evicted_keys") == 102);
  // Overwriting an existing key evicts nothing.
  CHECK(s({"SET", "new1", "w"}) == Ok());
  CHECK(InfoInt(s.c.get(), "stats", "evicted_keys") == 102);
  CHECK(s({"CONFIG", "GET", "maxkeys"}) == Bulks({"maxkeys", "100"}));
}

TEST_CASE("maxkeys with noeviction answers -OOM for a new key") {
  if (ReferenceMode()) return;
  Fx s({"--maxkeys", "10"});
  CHECK(CountOk(SetMany(s.c.get(), "k", 0, 10, "v")) == 10);
  CHECK(s({"SET", "new", "v"}) == Err(kOomKeys));
  CHECK(s({"INCR", "newcounter"}) == Err(kOomKeys));
  CHECK(s({"MSET", "x", "1", "y", "2"}) == Err(kOomKeys));
  CHECK(s({"DBSIZE"}) == Int(10));
  CHECK(s({"GET", "k0"}) == Bulk("v"));  // reads go on
  CHECK(s({"DEL", "k0"}) == Int(1));     // and deletes free room
  CHECK(s({"SET", "new", "v"}) == Ok());
  CHECK(s({"SET", "new2", "v"}) == Err(kOomKeys));
  CHECK(InfoInt(s.c.get(), "stats", "evicted_keys") == 0);
}

TEST_CASE("maxkeys with volatile-ttl evicts the nearest expiry, never persistent keys") {
  if (ReferenceMode()) return;
  Fx s({"--maxkeys", "10", "--maxmemory-policy", "volatile-ttl"});
  for (int i = 0; i < 5; ++i) CHECK(s({"SET", Key("p", i), "v"}) == Ok());
  // v0 expires soonest, v4 last; written in shuffled order.
  for (int i : {3, 0, 4, 1, 2}) {
    CHECK(s({"SET", Key("v", i), "v", "EX", std::to_string(1000 * (i + 1))}) == Ok());
  }
  CHECK(s({"SET", "n0", "v"}) == Ok());
  CHECK(s({"EXISTS", "v0"}) == Int(0));
  CHECK(s({"SET", "n1", "v"}) == Ok());
  CHECK(s({"EXISTS", "v1"}) == Int(0));
  CHECK(Exists(s.c.get(), "v", 2, 3) == 3);
  CHECK(s({"SET", "n2", "v"}) == Ok());
  CHECK(s({"SET", "n3", "v"}) == Ok());
  CHECK(s({"SET", "n4", "v"}) == Ok());
  CHECK(Exists(s.c.get(), "v", 0, 5) == 0);
  CHECK(Exists(s.c.get(), "p", 0, 5) == 5);
  // Nothing with a TTL is left: a volatile policy has nothing to evict.
  CHECK(s({"SET", "n5", "v"}) == Err(kOomKeys));
  CHECK(s({"DBSIZE"}) == Int(10));
  CHECK(InfoInt(s.c.get(), "stats", "evicted_keys") == 5);
}

TEST_CASE("maxkeys with volatile-lru evicts only keys with a TTL") {
  if (ReferenceMode()) return;
  Fx s({"--maxkeys", "20", "--maxmemory-policy", "volatile-lru"});
  CHECK(CountOk(SetMany(s.c.get(), "p", 0, 10, "v")) == 10);
  CHECK(CountOk(SetMany(s.c.get(), "v", 0, 10, "v", {"EX", "1000"})) == 10);
  CHECK(s({"GET", "v0"}) == Bulk("v"));  // v0 becomes the most recent volatile key
  CHECK(CountOk(SetMany(s.c.get(), "n", 0, 9, "v")) == 9);
  CHECK(Exists(s.c.get(), "p", 0, 10) == 10);
  CHECK(s({"EXISTS", "v0"}) == Int(1));
  CHECK(Exists(s.c.get(), "v", 1, 9) == 0);
  CHECK(s({"SET", "n9", "v"}) == Ok());  // evicts v0, the last volatile key
  CHECK(s({"EXISTS", "v0"}) == Int(0));
  CHECK(s({"SET", "n10", "v"}) == Err(kOomKeys));
}

TEST_CASE("maxmemory with allkeys-lru stays near the limit") {
  const long long limit = 20ll << 20;
  Fx s({"--maxmemory", "20mb", "--maxmemory-policy", "allkeys-lru"});
  const std::string value(10 * 1024, 'x');
  const int n = 6000;  // 60 MB of values
  std::vector<Reply> replies = SetMany(s.c.get(), "k", 0, n, value);
  CHECK(CountOk(replies) == n);
  std::string mem = Info(s.c.get(), "memory");
  long long used = std::stoll(InfoField(mem, "used_memory"));
  CHECK(used <= limit + limit / 10);
  CHECK(InfoField(mem, "maxmemory") == std::to_string(limit));
  long long evicted = InfoInt(s.c.get(), "stats", "evicted_keys");
  CHECK(evicted > 0);
  long long keys = s({"DBSIZE"}).integer;
  CHECK(keys > 500);  // ~1900 values fit in 20 MB
  CHECK(keys < n);
  CHECK(keys + evicted == n);
  // The most recent writes survive.
  CHECK(Exists(s.c.get(), "k", n - 10, 10) == 10);
  CHECK(s({"GET", Key("k", n - 1)}) == Bulk(value));
  CHECK(s({"PING"}) == St("PONG"));
}

TEST_CASE("maxmemory with noeviction refuses writes, serves reads and deletes") {
  Fx s({"--maxmemory", "8mb"});
  const std::string value(10 * 1024, 'x');
  int written = 0;
  Reply last;
  for (int i = 0; i < 2000; ++i) {
    last = s({"SET", Key("k", i), value});
    if (!last.ok()) break;
    ++written;
  }
  CHECK(last == Err(kOom));
  CHECK(written > 50);
  CHECK(written < 1000);
  CHECK(s({"GET", "k0"}) == Bulk(value));
  CHECK(s({"INCR", "counter"}) == Err(kOom));
  CHECK(InfoInt(s.c.get(), "stats", "evicted_keys") == 0);
  // Deleting half the keys makes room again.
  for (int i = 0; i < written / 2; ++i) REQUIRE(s({"DEL", Key("k", i)}) == Int(1));
  CHECK(WaitFor([&] { return s({"SET", "again", value}).ok(); }, seconds(5)));
}

TEST_CASE("maxmemory with volatile-lru never evicts persistent keys") {
  Fx s({"--maxmemory", "10mb", "--maxmemory-policy", "volatile-lru"});
  const std::string value(10 * 1024, 'x');
  CHECK(CountOk(SetMany(s.c.get(), "p", 0, 200, value)) == 200);
  std::vector<Reply> vol = SetMany(s.c.get(), "v", 0, 3000, value, {"EX", "3600"});
  CHECK(CountOk(vol) == 3000);
  CHECK(InfoInt(s.c.get(), "stats", "evicted_keys") > 0);
  CHECK(Exists(s.c.get(), "p", 0, 200) == 200);
  long long used = InfoInt(s.c.get(), "memory", "used_memory");
  CHECK(used <= (10ll << 20) + (1ll << 20));
  // Keep writing persistent keys: once no volatile key is left, -OOM.
  Reply last;
  int extra = 0;
  for (; extra < 3000; ++extra) {
    last = s({"SET", Key("q", extra), value});
    if (!last.ok()) break;
  }
  CHECK(last == Err(kOom));
  CHECK(Exists(s.c.get(), "p", 0, 200) == 200);
  CHECK(Exists(s.c.get(), "q", 0, extra) == extra);
}

TEST_CASE("active expiry frees keys nobody reads") {
  Fx s;
  CHECK(CountOk(SetMany(s.c.get(), "k", 0, 1000, "v", {"PX", "100"})) == 1000);
  CHECK(s({"SET", "persistent", "v"}) == Ok());
  CHECK(WaitFor([&] { return s({"DBSIZE"}) == Int(1); }, seconds(10), milliseconds(50)));
  CHECK(InfoInt(s.c.get(), "stats", "expired_keys") == 1000);
  CHECK(InfoField(Info(s.c.get(), "keyspace"), "db0") == "keys=1,expires=0,avg_ttl=0");
}

TEST_CASE("AUTH with requirepass") {
  Fx s({"--requirepass", "secret"});
  const Reply noauth = Err("NOAUTH Authentication required.");
  const Reply wrongpass = Err("WRONGPASS invalid username-password pair or user is disabled.");
  CHECK(s({"GET", "k"}) == noauth);
  CHECK(s({"PING"}) == noauth);
  CHECK(s({"AUTH", "wrong"}) == wrongpass);
  CHECK(s({"AUTH", "default", "wrong"}) == wrongpass);
  CHECK(s({"AUTH", "other", "secret"}) == wrongpass);
  CHECK(s({"AUTH"}) == Err("ERR wrong number of arguments for 'auth' command"));
  CHECK(s({"SET", "k", "v"}) == noauth);
  CHECK(s({"AUTH", "secret"}) == Ok());
  CHECK(s({"SET", "k", "v"}) == Ok());
  CHECK(s({"GET", "k"}) == Bulk("v"));

  Conn c2 = s.srv.Connect();
  CHECK(Cmd(c2, {"AUTH", "default", "secret"}) == Ok());
  CHECK(Cmd(c2, {"GET", "k"}) == Bulk("v"));
  // RESET drops the authentication.
  CHECK(Cmd(c2, {"RESET"}) == St("RESET"));
  CHECK(Cmd(c2, {"GET", "k"}) == noauth);

  RawConn raw(s.srv.port());
  REQUIRE(raw.Send("HELLO 3\r\n"));
  CHECK(raw.ReadReply() ==
        "-NOAUTH HELLO must be called with the client already authenticated, otherwise the "
        "HELLO AUTH <user> <pass> option can be used to authenticate the client and select the "
        "RESP protocol version at the same time\r\n");
  REQUIRE(raw.Send("HELLO 3 AUTH default wrong\r\n"));
  CHECK(raw.ReadReply() == "-WRONGPASS invalid username-password pair or user is disabled.\r\n");
  REQUIRE(raw.Send("GET k\r\n"));
  CHECK(raw.ReadReply() == "-NOAUTH Authentication required.\r\n");
  REQUIRE(raw.Send("HELLO 3 AUTH default secret\r\n"));
  std::string hello = raw.ReadReply();
  CHECK(hello.rfind("%7\r\n$6\r\nserver\r\n", 0) == 0);
  CHECK(hello.find("$5\r\nproto\r\n:3\r\n") != std::string::npos);
  REQUIRE(raw.Send("GET k\r\nGET nokey\r\n"));
  CHECK(raw.ReadReply() == "$1\r\nv\r\n");
  CHECK(raw.ReadReply() == "_\r\n");

  // Before authenticating, a client may not announce big requests.
  RawConn big(s.srv.port());
  REQUIRE(big.Send("*100\r\n"));
  CHECK(big.ReadReply() == "-ERR Protocol error: unauthenticated multibulk length\r\n");
  CHECK(big.WaitClosed());
  RawConn big2(s.srv.port());
  REQUIRE(big2.Send("*2\r\n$100000\r\n"));
  CHECK(big2.ReadReply() == "-ERR Protocol error: unauthenticated bulk length\r\n");
  CHECK(big2.WaitClosed());
  CHECK(s({"PING"}) == St("PONG"));
}

TEST_CASE("timeout closes idle clients only") {
  Fx s({"--timeout", "1"});
  auto start = std::chrono::steady_clock::now();
  RawConn idle(s.srv.port());
  RawConn busy(s.srv.port());
  REQUIRE(idle.connected());
  REQUIRE(busy.connected());
  // The busy client talks every 200 ms; the idle one says nothing.
  bool busy_ok = true;
  bool closed = WaitFor(
      [&] {
        busy_ok = busy_ok && busy.Send("PING\r\n") && busy.ReadReply() == "+PONG\r\n";
        idle.Pump(milliseconds(0));
        return idle.peer_closed();
      },
      seconds(6), milliseconds(200));
  auto elapsed = std::chrono::steady_clock::now() - start;
  CHECK(closed);
  CHECK(elapsed >= milliseconds(900));
  CHECK(busy_ok);
  REQUIRE(busy.Send("PING\r\n"));
  CHECK(busy.ReadReply() == "+PONG\r\n");
}

// Peak resident set of a process (VmHWM), in bytes; -1 if unreadable.
long long PeakRss(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmHWM:", 0) == 0) return std::atoll(line.c_str() + 6) * 1024;
  }
  return -1;
}

TEST_CASE("client-output-buffer-limit closes a client that does not read") {
  Fx s({"--client-output-buffer-limit", "normal", "1mb", "0", "0"});
  const std::string value(100 * 1024, 'x');
  CHECK(s({"SET", "big", value}) == Ok());
  long long rss_before = PeakRss(s.srv.pid());
  REQUIRE(rss_before > 0);
  RawConn raw(s.srv.port());
  REQUIRE(raw.connected());
  std::string gets;
  for (int i = 0; i < 1000; ++i) gets += "GET big\r\n";  // 100 MB of replies
  REQUIRE(raw.Send(gets));
  // Not reading: the server drops the client once its pending output passes 1 MB.
  CHECK(WaitFor([&] { return InfoInt(s.c.get(), "clients", "connected_clients") == 1; },
                seconds(10)));
  // We get at most what the kernel buffers held, then the end of the stream.
  CHECK(raw.WaitClosed(milliseconds(10000)));
  CHECK(raw.pending().size() < 20u * 1024 * 1024);
  // The hard limit bounds the server's memory: it does not build 100 MB of replies first.
  long long grown = PeakRss(s.srv.pid()) - rss_before;
  CHECK_MESSAGE(grown < 40ll * 1024 * 1024, "peak RSS grew by " << grown << " bytes");
  if (!ReferenceMode()) {
    CHECK(InfoInt(s.c.get(), "stats", "client_output_buffer_limit_disconnections") == 1);
  }
  // Other clients, reading normally, are fine.
  CHECK(s({"GET", "big"}) == Bulk(value));
}

TEST_CASE("client-query-buffer-limit closes a client sending an endless bulk") {
  Fx s({"--client-query-buffer-limit", "1mb"});
  RawConn raw(s.srv.port());
  REQUIRE(raw.connected());
  REQUIRE(raw.Send("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$100000000\r\n"));
  const std::string chunk(64 * 1024, 'x');
  // Keep sending until the server hangs up (a send then fails) or 8 MB went out.
  for (int i = 0; i < 128 && !raw.peer_closed(); ++i) {
    if (!raw.Send(chunk)) break;
    raw.Pump(milliseconds(0));
  }
  CHECK(raw.WaitClosed(milliseconds(10000)));
  CHECK(raw.pending() == "");  // closed without a reply
  CHECK(WaitFor([&] { return InfoInt(s.c.get(), "clients", "connected_clients") == 1; },
                seconds(10)));
  if (!ReferenceMode()) {
    CHECK(InfoInt(s.c.get(), "stats", "client_query_buffer_limit_disconnections") == 1);
  }
  CHECK(s({"EXISTS", "k"}) == Int(0));
  CHECK(s({"PING"}) == St("PONG"));
}

}  // namespace
}  // namespace pykv::it
