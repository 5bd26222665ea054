// Pub/sub end to end: SUBSCRIBE/PSUBSCRIBE/SSUBSCRIBE and their UNSUBSCRIBEs, PUBLISH and
// PUBSUB in RESP2 and RESP3, byte for byte as Redis 7.0.15 sends them (recorded from
// Debian's redis-server); the subscribed-mode rules, RESET, CLIENT LIST/KILL, MULTI/EXEC,
// INFO, keyspace notifications, the pubsub output buffer limit and redis-cli as a
// subscriber. Run against redis-server too (PYKV_IT_REFERENCE_SERVER) except where noted.
#include <algorithm>
#include <chrono>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "integration/server_harness.h"
#include "support/keyspace_event_steps.h"

namespace pykv::it {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

// The bytes of a RESP bulk string.
std::string B(const std::string& s) {
  return "$" + std::to_string(s.size()) + "\r\n" + s + "\r\n";
}
std::string I(long long v) {
  return ":" + std::to_string(v) + "\r\n";
}
// A RESP2 array (or RESP3 push) of bulk strings, with an integer last when count >= 0.
std::string Msg(char head, std::vector<std::string> parts, long long count = -1) {
  std::string out(1, head);
  out += std::to_string(parts.size() + (count >= 0 ? 1 : 0)) + "\r\n";
  for (const auto& p : parts) out += B(p);
  if (count >= 0) out += I(count);
  return out;
}

// Sends one command on a raw connection and returns the first complete reply.
std::string Call(RawConn& c, const std::vector<std::string>& args) {
  REQUIRE(c.Send(Resp(args)));
  return c.ReadReply();
}

const std::string kNotAllowed =
    "only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context";

// A server with one hiredis connection (the publisher) and raw connections on demand.
struct PubSubFx : Fx {
  using Fx::Fx;
  RawConn Raw() { return RawConn(srv.port()); }
};

}  // namespace

TEST_CASE("pubsub: RESP2 subscribe, message and unsubscribe replies are Redis's bytes") {
  PubSubFx s;
  RawConn sub(s.srv.port());
  REQUIRE(sub.connected());
  // Nothing to leave: one reply with a null name.
  CHECK(Call(sub, {"UNSUBSCRIBE"}) == "*3\r\n$11\r\nunsubscribe\r\n$-1\r\n:0\r\n");
  CHECK(Call(sub, {"PUNSUBSCRIBE"}) == "*3\r\n$12\r\npunsubscribe\r\n$-1\r\n:0\r\n");
  REQUIRE(sub.Send(Resp({"SUBSCRIBE", "foo", "bar", "foo"})));
  CHECK(sub.ReadReply() == Msg('*', {"subscribe", "foo"}, 1));
  CHECK(sub.ReadReply() == Msg('*', {"subscribe", "bar"}, 2));
  CHECK(sub.ReadReply() == Msg('*', {"subscribe", "foo"}, 2));  // already had it
  CHECK(Call(sub, {"PSUBSCRIBE", "f*"}) == Msg('*', {"psubscribe", "f*"}, 3));

  CHECK(s({"PUBLISH", "foo", "hello"}) == Int(2));
  CHECK(sub.ReadReply() == Msg('*', {"message", "foo", "hello"}));
  CHECK(sub.ReadReply() == Msg('*', {"pmessage", "f*", "foo", "hello"}));
  CHECK(s({"PUBLISH", "fxx", "hi"}) == Int(1));
  CHECK(sub.ReadReply() == Msg('*', {"pmessage", "f*", "fxx", "hi"}));
  CHECK(s({"PUBLISH", "nobody", "hi"}) == Int(0));

  CHECK(Call(sub, {"UNSUBSCRIBE", "bar"}) == Msg('*', {"unsubscribe", "bar"}, 2));
  CHECK(Call(sub, {"UNSUBSCRIBE", "never"}) == Msg('*', {"unsubscribe", "never"}, 2));
  CHECK(Call(sub, {"PUNSUBSCRIBE"}) == Msg('*', {"punsubscribe", "f*"}, 1));
  CHECK(Call(sub, {"UNSUBSCRIBE"}) == Msg('*', {"unsubscribe", "foo"}, 0));
  // Out of subscribed mode: every command runs again.
  CHECK(Call(sub, {"GET", "x"}) == "$-1\r\n");
  CHECK(Call(sub, {"SUBSCRIBE"}) == "-ERR wrong number of arguments for 'subscribe' command\r\n");
  CHECK(s({"PUBLISH", "a"}) == Err("ERR wrong number of arguments for 'publish' command"));
}

TEST_CASE("pubsub: a subscribed RESP2 client may run only the subscription commands") {
  PubSubFx s;
  RawConn sub(s.srv.port());
  REQUIRE(sub.connected());
  CHECK(Call(sub, {"SUBSCRIBE", "ch"}) == Msg('*', {"subscribe", "ch"}, 1));
  CHECK(Call(sub, {"PING"}) == "*2\r\n$4\r\npong\r\n$0\r\n\r\n");
  CHECK(Call(sub, {"PING", "hi"}) == "*2\r\n$4\r\npong\r\n$2\r\nhi\r\n");
  CHECK(Call(sub, {"GET", "x"}) == "-ERR Can't execute 'get': " + kNotAllowed + "\r\n");
  CHECK(Call(sub, {"CLIENT", "INFO"}) ==
        "-ERR Can't execute 'client|info': " + kNotAllowed + "\r\n");
  // Messages still arrive between the refusals, in order.
  CHECK(s({"PUBLISH", "ch", "m"}) == Int(1));
  CHECK(sub.ReadReply() == Msg('*', {"message", "ch", "m"}));
  CHECK(Call(sub, {"PSUBSCRIBE", "c*"}) == Msg('*', {"psubscribe", "c*"}, 2));
  CHECK(Call(sub, {"QUIT"}) == "+OK\r\n");
  CHECK(sub.WaitClosed());
  // The closed subscriber no longer counts.
  CHECK(WaitFor([&] { return s({"PUBLISH", "ch", "m"}) == Int(0); }, seconds(5)));
}

TEST_CASE("pubsub: RESP3 confirmations and messages are pushes, and any command runs") {
  PubSubFx s;
  RawConn sub(s.srv.port());
  REQUIRE(sub.connected());
  REQUIRE(Contains(Call(sub, {"HELLO", "3"}), "proto"));
  CHECK(Call(sub, {"UNSUBSCRIBE"}) == ">3\r\n$11\r\nunsubscribe\r\n_\r\n:0\r\n");
  CHECK(Call(sub, {"SUBSCRIBE", "foo"}) == Msg('>', {"subscribe", "foo"}, 1));
  CHECK(Call(sub, {"PING"}) == "+PONG\r\n");
  CHECK(Call(sub, {"GET", "x"}) == "_\r\n");
  CHECK(s({"PUBLISH", "foo", "hello"}) == Int(1));
  CHECK(sub.ReadReply() == Msg('>', {"message", "foo", "hello"}));
  CHECK(Call(sub, {"PSUBSCRIBE", "f*"}) == Msg('>', {"psubscribe", "f*"}, 2));
  CHECK(s({"PUBLISH", "foo", "x"}) == Int(2));
  CHECK(sub.ReadReply() == Msg('>', {"message", "foo", "x"}));
  CHECK(sub.ReadReply() == Msg('>', {"pmessage", "f*", "foo", "x"}));
  // A RESP3 client publishing to itself gets the message before PUBLISH's own reply.
  REQUIRE(sub.Send(Resp({"PUBLISH", "foo", "self"})));
  CHECK(sub.ReadReply() == Msg('>', {"message", "foo", "self"}));
  CHECK(sub.ReadReply() == Msg('>', {"pmessage", "f*", "foo", "self"}));
  CHECK(sub.ReadReply() == I(2));
  CHECK(Call(sub, {"UNSUBSCRIBE"}) == Msg('>', {"unsubscribe", "foo"}, 1));
  CHECK(Call(sub, {"PUNSUBSCRIBE"}) == Msg('>', {"punsubscribe", "f*"}, 0));
}

TEST_CASE("pubsub: PUBLISH reaches the publisher's other connections") {
  PubSubFx s;
  // Like redis-sentinel's hello messages: one process, one connection subscribed and
  // another publishing on the same channel.
  RawConn listen(s.srv.port());
  RawConn speak(s.srv.port());
  REQUIRE(listen.connected());
  REQUIRE(speak.connected());
  CHECK(Call(listen, {"SUBSCRIBE", "__sentinel__:hello"}) ==
        Msg('*', {"subscribe", "__sentinel__:hello"}, 1));
  CHECK(Call(speak, {"PUBLISH", "__sentinel__:hello", "127.0.0.1,26379"}) == I(1));
  CHECK(listen.ReadReply() == Msg('*', {"message", "__sentinel__:hello", "127.0.0.1,26379"}));
}

TEST_CASE("pubsub: PUBSUB CHANNELS, NUMSUB, NUMPAT, HELP and INFO stats") {
  PubSubFx s;
  RawConn a(s.srv.port());
  RawConn b(s.srv.port());
  REQUIRE(a.connected());
  REQUIRE(b.connected());
  CHECK(s({"PUBSUB", "CHANNELS"}) == Arr({}));
  CHECK(s({"PUBSUB", "NUMPAT"}) == Int(0));
  CHECK(s({"PUBSUB", "NUMSUB"}) == Arr({}));
  REQUIRE(a.Send(Resp({"SUBSCRIBE", "news.tech", "sport"})));
  a.ReadReply();
  a.ReadReply();
  CHECK(Call(b, {"SUBSCRIBE", "news.tech"}) == Msg('*', {"subscribe", "news.tech"}, 1));
  CHECK(Call(b, {"PSUBSCRIBE", "news.*"}) == Msg('*', {"psubscribe", "news.*"}, 2));
  CHECK(Call(a, {"PSUBSCRIBE", "news.*"}) == Msg('*', {"psubscribe", "news.*"}, 3));
  CHECK(s({"PUBSUB", "CHANNELS", "news.*"}) == Bulks({"news.tech"}));
  Reply all = s({"PUBSUB", "CHANNELS"});
  REQUIRE(all.is_array());
  std::vector<std::string> names = all.Strings();
  std::sort(names.begin(), names.end());
  CHECK(names == std::vector<std::string>{"news.tech", "sport"});
  CHECK(s({"PUBSUB", "NUMSUB", "news.tech", "sport", "none"}) ==
        Arr({Bulk("news.tech"), Int(2), Bulk("sport"), Int(1), Bulk("none"), Int(0)}));
  CHECK(s({"PUBSUB", "NUMPAT"}) == Int(1));  // distinct patterns
  CHECK(s({"PUBSUB", "CHANNELS", "a", "b"}) ==
        Err("ERR unknown subcommand or wrong number of arguments for 'CHANNELS'. Try PUBSUB "
            "HELP."));
  CHECK(s({"PUBSUB", "NUMPAT", "x"}) ==
        Err("ERR wrong number of arguments for 'pubsub|numpat' command"));
  CHECK(s({"PUBSUB", "FOO"}) == Err("ERR unknown subcommand 'FOO'. Try PUBSUB HELP."));
  Reply help = s({"PUBSUB", "HELP"});
  REQUIRE(help.is_array());
  REQUIRE(help.elements.size() == 14u);
  CHECK(help.elements[0] == St("PUBSUB <subcommand> [<arg> [value] [opt] ...]. Subcommands are:"));
  CHECK(help.elements[11] ==
        St("    Return the number of subscribers for the specified shard level channel(s)"));

  std::string info = Info(s.c.get(), "stats");
  CHECK(InfoField(info, "pubsub_channels") == "2");
  CHECK(InfoField(info, "pubsub_patterns") == "1");
  CHECK(InfoField(info, "pubsubshard_channels") == "0");
  CHECK(s({"PUBLISH", "news.tech", "x"}) == Int(4));
  CHECK(Contains(Info(s.c.get(), "commandstats"), "cmdstat_publish:calls=1,"));
}

TEST_CASE("pubsub: shard channels are a namespace of their own") {
  PubSubFx s;
  RawConn sub(s.srv.port());
  REQUIRE(sub.connected());
  CHECK(Call(sub, {"SUNSUBSCRIBE"}) == "*3\r\n$12\r\nsunsubscribe\r\n$-1\r\n:0\r\n");
  CHECK(Call(sub, {"SUBSCRIBE", "ch"}) == Msg('*', {"subscribe", "ch"}, 1));
  // The shard count stands alone.
  CHECK(Call(sub, {"SSUBSCRIBE", "ch"}) == Msg('*', {"ssubscribe", "ch"}, 1));
  CHECK(Call(sub, {"GET", "x"}) == "-ERR Can't execute 'get': " + kNotAllowed + "\r\n");
  CHECK(s({"SPUBLISH", "ch", "m"}) == Int(1));
  CHECK(sub.ReadReply() == Msg('*', {"smessage", "ch", "m"}));
  CHECK(s({"PUBLISH", "ch", "p"}) == Int(1));
  CHECK(sub.ReadReply() == Msg('*', {"message", "ch", "p"}));
  CHECK(s({"PUBSUB", "SHARDCHANNELS"}) == Bulks({"ch"}));
  CHECK(s({"PUBSUB", "SHARDNUMSUB", "ch", "x"}) == Arr({Bulk("ch"), Int(1), Bulk("x"), Int(0)}));
  CHECK(InfoField(Info(s.c.get(), "stats"), "pubsubshard_channels") == "1");
  CHECK(Call(sub, {"SUNSUBSCRIBE"}) == Msg('*', {"sunsubscribe", "ch"}, 0));
  CHECK(Call(sub, {"UNSUBSCRIBE"}) == Msg('*', {"unsubscribe", "ch"}, 0));
  CHECK(s({"PUBSUB", "SHARDCHANNELS"}) == Arr({}));
}

TEST_CASE("pubsub: RESET leaves pub/sub, CLIENT LIST shows the counts, KILL TYPE pubsub") {
  PubSubFx s;
  RawConn sub(s.srv.port());
  RawConn other(s.srv.port());
  REQUIRE(sub.connected());
  REQUIRE(other.connected());
  CHECK(Call(sub, {"CLIENT", "SETNAME", "listener"}) == "+OK\r\n");
  CHECK(Call(sub, {"SUBSCRIBE", "q"}) == Msg('*', {"subscribe", "q"}, 1));
  CHECK(Call(sub, {"PSUBSCRIBE", "p*"}) == Msg('*', {"psubscribe", "p*"}, 2));
  CHECK(Call(other, {"CLIENT", "SETNAME", "bystander"}) == "+OK\r\n");
  Reply list = s({"CLIENT", "LIST"});
  REQUIRE(list.is_bulk());
  std::string line;
  for (std::istringstream in(list.str); std::getline(in, line);) {
    if (Contains(line, "name=listener ")) {
      CHECK(Contains(line, " flags=P db=0 sub=1 psub=1 ssub=0 "));
    } else {
      CHECK(Contains(line, " flags=N db=0 sub=0 psub=0 ssub=0 "));
    }
  }
  Reply pubsub_only = s({"CLIENT", "LIST", "TYPE", "pubsub"});
  CHECK(Contains(pubsub_only.str, "name=listener "));
  CHECK_FALSE(Contains(pubsub_only.str, "name=bystander "));

  CHECK(Call(sub, {"RESET"}) == "+RESET\r\n");
  CHECK(Call(sub, {"GET", "x"}) == "$-1\r\n");
  CHECK(s({"PUBLISH", "q", "m"}) == Int(0));
  CHECK(s({"PUBSUB", "NUMPAT"}) == Int(0));
  CHECK_FALSE(Contains(s({"CLIENT", "LIST", "TYPE", "pubsub"}).str, "name="));

  // CLIENT KILL TYPE pubsub closes subscribers only.
  CHECK(Call(sub, {"SUBSCRIBE", "q"}) == Msg('*', {"subscribe", "q"}, 1));
  CHECK(s({"CLIENT", "KILL", "TYPE", "pubsub"}) == Int(1));
  CHECK(sub.WaitClosed());
  CHECK(Call(other, {"PING"}) == "+PONG\r\n");
  CHECK(WaitFor(
      [&] {
        return s({"PUBSUB", "NUMSUB", "q"}) == Arr({Bulk("q"), Int(0)});
      },
      seconds(5)));
}

TEST_CASE("pubsub: SUBSCRIBE and PUBLISH inside MULTI/EXEC") {
  PubSubFx s;
  RawConn c(s.srv.port());
  REQUIRE(c.connected());
  CHECK(Call(c, {"MULTI"}) == "+OK\r\n");
  CHECK(Call(c, {"SUBSCRIBE", "m1"}) == "+QUEUED\r\n");
  CHECK(Call(c, {"PUBLISH", "m1", "hi"}) == "+QUEUED\r\n");
  // The message to itself lands inside EXEC's array, before PUBLISH's count, as in Redis.
  // (The array says 2 but three replies follow, so the count is read on its own.)
  std::string exec = Call(c, {"EXEC"});
  exec += c.ReadReply();
  CHECK(exec ==
        "*2\r\n" + Msg('*', {"subscribe", "m1"}, 1) + Msg('*', {"message", "m1", "hi"}) + I(1));
  CHECK(Call(c, {"GET", "x"}) == "-ERR Can't execute 'get': " + kNotAllowed + "\r\n");
  // PUBLISH in another client's transaction delivers when EXEC runs it.
  CHECK(s({"MULTI"}) == Ok());
  CHECK(s({"PUBLISH", "m1", "later"}) == St("QUEUED"));
  CHECK(s({"SET", "k", "v"}) == St("QUEUED"));
  CHECK(s({"EXEC"}) == Arr({Int(1), Ok()}));
  CHECK(c.ReadReply() == Msg('*', {"message", "m1", "later"}));
}

TEST_CASE("pubsub: keyspace notifications are configured as Redis parses the flags") {
  ServerOptions opts;
  opts.config_text = "notify-keyspace-events KEA\n";
  PubSubFx s(opts);
  CHECK(s({"CONFIG", "GET", "notify-keyspace-events"}) == Bulks({"notify-keyspace-events", "AKE"}));
  CHECK(s({"CONFIG", "SET", "notify-keyspace-events", "KEAz1"}) ==
        Err("ERR CONFIG SET failed (possibly related to argument 'notify-keyspace-events') - "
            "Invalid event class character. Use 'Ag$lshzxeKEtmdn'."));
  const std::pair<const char*, const char*> cases[] = {
      {"KEAn", "AKE"}, {"mKEn", "nKEm"}, {"", ""}, {"Kx", "xK"}, {"Eg$", "g$E"}};
  for (const auto& [in, out] : cases) {
    CAPTURE(in);
    CHECK(s({"CONFIG", "SET", "notify-keyspace-events", in}) == Ok());
    CHECK(s({"CONFIG", "GET", "notify-keyspace-events"}) == Bulks({"notify-keyspace-events", out}));
  }
  CHECK(s({"CONFIG", "REWRITE"}) == Ok());
  std::ifstream conf(s.srv.config_path());
  std::stringstream text;
  text << conf.rdbuf();
  CHECK(Contains(text.str(), "notify-keyspace-events \"g$E\""));
}

TEST_CASE("pubsub: keyspace notifications for each event") {
  PubSubFx s;
  CHECK(s({"CONFIG", "SET", "notify-keyspace-events", "KEAn"}) == Ok());
  RawConn sub(s.srv.port());
  REQUIRE(sub.connected());
  CHECK(Call(sub, {"PSUBSCRIBE", "__keyevent@0__:*"}) ==
        Msg('*', {"psubscribe", "__keyevent@0__:*"}, 1));
  std::vector<testing::KeyspaceEventStep> steps = testing::KeyspaceEventSteps();
  steps.insert(steps.end(), {
                                {{"GET", "k7"}, {}},
                                {{"FLUSHALL"}, {}},
                            });
  for (const testing::KeyspaceEventStep& step : steps) {
    CAPTURE(step.argv[0]);
    REQUIRE_FALSE(s(step.argv).type == 0);
    for (const auto& [event, key] : step.events) {
      CAPTURE(event);
      CHECK(sub.ReadReply() ==
            Msg('*', {"pmessage", "__keyevent@0__:*", "__keyevent@0__:" + event, key}));
    }
    // Nothing more: the next thing the subscriber reads is its own PING's answer.
    CHECK(Call(sub, {"PING"}) == "*2\r\n$4\r\npong\r\n$0\r\n\r\n");
  }
  // Keyspace channels carry the event name; only the enabled classes are sent.
  CHECK(s({"CONFIG", "SET", "notify-keyspace-events", "K$"}) == Ok());
  CHECK(Call(sub, {"PSUBSCRIBE", "__keyspace@0__:*"}) ==
        Msg('*', {"psubscribe", "__keyspace@0__:*"}, 2));
  CHECK(s({"SET", "key", "v"}) == Ok());
  CHECK(s({"DEL", "key"}) == Int(1));  // generic: not enabled
  CHECK(sub.ReadReply() == Msg('*', {"pmessage", "__keyspace@0__:*", "__keyspace@0__:key", "set"}));
  CHECK(Call(sub, {"PING"}) == "*2\r\n$4\r\npong\r\n$0\r\n\r\n");
}

TEST_CASE("pubsub: no notifications while notify-keyspace-events is empty") {
  PubSubFx s;
  CHECK(s({"CONFIG", "GET", "notify-keyspace-events"}) == Bulks({"notify-keyspace-events", ""}));
  RawConn sub(s.srv.port());
  REQUIRE(sub.connected());
  CHECK(Call(sub, {"PSUBSCRIBE", "*"}) == Msg('*', {"psubscribe", "*"}, 1));
  CHECK(s({"SET", "k", "v", "PX", "1"}) == Ok());
  CHECK(s({"INCR", "n"}) == Int(1));
  CHECK(s({"DEL", "n"}) == Int(1));
  std::this_thread::sleep_for(milliseconds(20));
  CHECK(s({"GET", "k"}) == Nil());
  CHECK(Call(sub, {"PING"}) == "*2\r\n$4\r\npong\r\n$0\r\n\r\n");
  // PUBLISH itself still reaches the pattern.
  CHECK(s({"PUBLISH", "x", "y"}) == Int(1));
  CHECK(sub.ReadReply() == Msg('*', {"pmessage", "*", "x", "y"}));
}

TEST_CASE("pubsub: active expiry reports expired") {
  PubSubFx s({"--hz", "100"});
  CHECK(s({"CONFIG", "SET", "notify-keyspace-events", "Ex"}) == Ok());
  RawConn sub(s.srv.port());
  REQUIRE(sub.connected());
  CHECK(Call(sub, {"SUBSCRIBE", "__keyevent@0__:expired"}) ==
        Msg('*', {"subscribe", "__keyevent@0__:expired"}, 1));
  CHECK(s({"SET", "gone", "v", "PX", "50"}) == Ok());
  // Nobody touches the key: the server's own expiry cycle finds it.
  CHECK(sub.ReadReply(milliseconds(10000)) ==
        Msg('*', {"message", "__keyevent@0__:expired", "gone"}));
  CHECK(s({"DBSIZE"}) == Int(0));
}

TEST_CASE("pubsub: maxkeys eviction reports evicted") {
  if (ReferenceMode()) return;  // maxkeys is PyKV's own
  PubSubFx s({"--maxkeys", "1", "--maxmemory-policy", "allkeys-lru"});
  CHECK(s({"CONFIG", "SET", "notify-keyspace-events", "Ee"}) == Ok());
  RawConn sub(s.srv.port());
  REQUIRE(sub.connected());
  CHECK(Call(sub, {"SUBSCRIBE", "__keyevent@0__:evicted"}) ==
        Msg('*', {"subscribe", "__keyevent@0__:evicted"}, 1));
  CHECK(s({"SET", "a", "1"}) == Ok());
  CHECK(s({"SET", "b", "2"}) == Ok());
  CHECK(sub.ReadReply() == Msg('*', {"message", "__keyevent@0__:evicted", "a"}));
}

TEST_CASE("pubsub: a slow subscriber is closed at the pubsub hard limit, PUBLISH goes on") {
  PubSubFx s({"--client-output-buffer-limit", "pubsub 1mb 0 0"});
  RawConn slow(s.srv.port());
  REQUIRE(slow.connected());
  CHECK(Call(slow, {"SUBSCRIBE", "firehose"}) == Msg('*', {"subscribe", "firehose"}, 1));
  // The subscriber never reads again: 64 MB of messages, far past 1 MB plus what the
  // kernel's socket buffers absorb.
  const std::string payload(64 * 1024, 'p');
  long long delivered = 0;
  int answered = 0;
  for (int i = 0; i < 1024; ++i) {
    Reply r = s({"PUBLISH", "firehose", payload});
    REQUIRE(r.is_int());
    delivered += r.integer;
    ++answered;
    if (r.integer == 0) break;  // the subscriber is gone
  }
  CHECK(answered < 1024);
  CHECK(delivered > 0);
  CHECK(s({"PUBSUB", "NUMSUB", "firehose"}) == Arr({Bulk("firehose"), Int(0)}));
  CHECK(slow.WaitClosed(milliseconds(10000)));
  if (!ReferenceMode()) {
    CHECK(InfoInt(s.c.get(), "stats", "client_output_buffer_limit_disconnections") == 1);
  }
  CHECK(InfoInt(s.c.get(), "clients", "connected_clients") == 1);
}

TEST_CASE("pubsub: a subscriber's soft limit closes it after the soft seconds") {
  if (ReferenceMode()) return;  // Redis checks the soft limit only as output is added
  PubSubFx s({"--client-output-buffer-limit", "pubsub 0 256kb 1"});
  RawConn slow(s.srv.port());
  REQUIRE(slow.connected());
  CHECK(Call(slow, {"SUBSCRIBE", "ch"}) == Msg('*', {"subscribe", "ch"}, 1));
  const std::string payload(64 * 1024, 'p');
  // Enough to stay over 256 KB past what the socket buffers hold, then keep publishing
  // until the cron closes it (bounded).
  bool closed = WaitFor(
      [&] {
        Reply r = s({"PUBLISH", "ch", payload});
        return r.is_int() && r.integer == 0;
      },
      seconds(20), milliseconds(50));
  CHECK(closed);
  CHECK(slow.WaitClosed(milliseconds(10000)));
  CHECK(InfoInt(s.c.get(), "stats", "client_output_buffer_limit_disconnections") == 1);
}

TEST_CASE("pubsub: the idle timeout spares subscribers") {
  PubSubFx s({"--timeout", "1"});
  RawConn sub(s.srv.port());
  RawConn idle(s.srv.port());
  REQUIRE(sub.connected());
  REQUIRE(idle.connected());
  CHECK(Call(sub, {"SUBSCRIBE", "ch"}) == Msg('*', {"subscribe", "ch"}, 1));
  CHECK(Call(idle, {"PING"}) == "+PONG\r\n");
  // The plain idle client goes after its second; the subscriber stays.
  CHECK(idle.WaitClosed(milliseconds(10000)));
  Conn pub = s.srv.Connect();  // the fixture's own connection idled out too
  CHECK(Cmd(pub, {"PUBLISH", "ch", "still here"}) == Int(1));
  CHECK(sub.ReadReply() == Msg('*', {"message", "ch", "still here"}));
}

TEST_CASE("pubsub: redis-cli subscribe receives a PUBLISH") {
  PubSubFx s;
  const std::string port = std::to_string(s.srv.port());
  // redis-cli runs in the background of a bounded shell script; the script waits for the
  // subscription, publishes, then stops redis-cli and prints what it received.
  const std::string script =
      "redis-cli -p " + port +
      " subscribe news > \"$0/cli.out\" 2>&1 & pid=$!\n"
      "i=0; while [ $i -lt 100 ]; do\n"
      "  n=$(redis-cli -p " +
      port +
      " pubsub numsub news | tail -n 1)\n"
      "  [ \"$n\" = 1 ] && break; i=$((i+1)); sleep 0.05\n"
      "done\n"
      "redis-cli -p " +
      port +
      " publish news 'hello world' > /dev/null\n"
      "i=0; while [ $i -lt 100 ]; do\n"
      "  grep -q 'hello world' \"$0/cli.out\" && break; i=$((i+1)); sleep 0.05\n"
      "done\n"
      "kill $pid; wait $pid 2>/dev/null\n"
      "cat \"$0/cli.out\"\n";
  ToolResult r = RunTool({"sh", "-c", script, s.srv.dir()}, "", seconds(30));
  REQUIRE_FALSE(r.timed_out);
  CHECK(r.out == "subscribe\nnews\n1\nmessage\nnews\nhello world\n");
}

}  // namespace pykv::it
