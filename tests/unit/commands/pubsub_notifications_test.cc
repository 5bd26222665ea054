// Keyspace notifications (flags, and the events each command reports, as recorded from
// Redis 7.0.15 with notify-keyspace-events KEAn) and the subscribed-mode rules of RESP2.
#include <doctest/doctest.h>

#include <string>
#include <utility>
#include <vector>

#include "command_test_fixture.h"
#include "commands/notifications.h"

namespace pykv::cmd::testing {

namespace {

using Events = std::vector<std::pair<std::string, std::string>>;  // event, key

// The keyevent notifications published so far (channel "__keyevent@0__:<event>", message
// key), then forgotten.
Events TakeEvents(FakePubSub& pubsub) {
  Events out;
  const std::string prefix = "__keyevent@0__:";
  for (const auto& [channel, message] : pubsub.published) {
    if (channel.rfind(prefix, 0) == 0) out.emplace_back(channel.substr(prefix.size()), message);
  }
  pubsub.published.clear();
  return out;
}

}  // namespace

TEST_CASE("notify-keyspace-events letters parse and print as Redis's") {
  CHECK(ParseNotifyFlags("") == 0u);
  CHECK(ParseNotifyFlags("KEA") == (kNotifyKeyspace | kNotifyKeyevent | kNotifyAll));
  CHECK_FALSE(ParseNotifyFlags("KEAz1").has_value());
  CHECK_FALSE(ParseNotifyFlags("Q").has_value());
  const std::pair<const char*, const char*> cases[] = {
      {"KEA", "AKE"}, {"An", "A"},  {"mKEn", "nKEm"},    {"", ""},
      {"g", "g"},     {"Kx", "xK"}, {"g$lshzxetd", "A"}, {"E$", "$E"},
  };
  for (const auto& [in, out] : cases) {
    CAPTURE(in);
    CHECK(FormatNotifyFlags(*ParseNotifyFlags(in)) == out);
  }
  CHECK(std::string(kBadNotifyFlags) == "Invalid event class character. Use 'Ag$lshzxeKEtmdn'.");
}

TEST_CASE_FIXTURE(CommandTest, "nothing is published while notifications are off") {
  Run({"SET", "k", "v"});
  Run({"DEL", "k"});
  Run({"SET", "k", "v", "PX", "1"});
  clock.AdvanceMs(5);
  Run({"GET", "k"});
  CHECK(server.fake_pubsub.published.empty());
  // Classes without K or E go nowhere either.
  dispatcher.SetKeyspaceEvents(*ParseNotifyFlags("A"));
  Run({"SET", "k", "v"});
  CHECK(server.fake_pubsub.published.empty());
}

TEST_CASE_FIXTURE(CommandTest, "each command reports Redis's events") {
  dispatcher.SetKeyspaceEvents(*ParseNotifyFlags("KEAn"));
  struct Step {
    std::vector<std::string> argv;
    Events events;
  };
  // Recorded from redis-server 7.0.15, one step after the other on one data set.
  const Step steps[] = {
      {{"SET", "k", "v"}, {{"new", "k"}, {"set", "k"}}},
      {{"SET", "k", "v2", "EX", "100"}, {{"set", "k"}, {"expire", "k"}}},
      {{"SETNX", "k2", "v"}, {{"new", "k2"}, {"set", "k2"}}},
      {{"SETEX", "k3", "100", "v"}, {{"new", "k3"}, {"set", "k3"}, {"expire", "k3"}}},
      {{"PSETEX", "k4", "100000", "v"}, {{"new", "k4"}, {"set", "k4"}, {"expire", "k4"}}},
      {{"GETSET", "k", "v3"}, {{"set", "k"}}},
      {{"MSET", "a", "1", "b", "2"}, {{"new", "a"}, {"set", "a"}, {"new", "b"}, {"set", "b"}}},
      {{"MSETNX", "c", "1", "d", "2"}, {{"new", "c"}, {"set", "c"}, {"new", "d"}, {"set", "d"}}},
      {{"INCR", "n"}, {{"new", "n"}, {"incrby", "n"}}},
      {{"DECR", "n"}, {{"incrby", "n"}}},
      {{"INCRBY", "n", "5"}, {{"incrby", "n"}}},
      {{"DECRBY", "n", "2"}, {{"incrby", "n"}}},
      {{"INCRBYFLOAT", "n", "1.5"}, {{"incrbyfloat", "n"}}},
      {{"APPEND", "k", "x"}, {{"append", "k"}}},
      {{"SETRANGE", "k", "0", "zz"}, {{"setrange", "k"}}},
      {{"SETRANGE", "nope", "0", ""}, {}},
      {{"GETDEL", "k"}, {{"del", "k"}}},
      {{"GETEX", "a", "EX", "100"}, {{"expire", "a"}}},
      {{"GETEX", "a", "PERSIST"}, {{"persist", "a"}}},
      {{"GETEX", "b", "PXAT", "1"}, {{"del", "b"}}},
      {{"DEL", "c", "d", "nokey"}, {{"del", "c"}, {"del", "d"}}},
      {{"RENAME", "k2", "k5"}, {{"new", "k5"}, {"rename_from", "k2"}, {"rename_to", "k5"}}},
      {{"COPY", "k5", "k6"}, {{"new", "k6"}, {"copy_to", "k6"}}},
      {{"EXPIRE", "k5", "100"}, {{"expire", "k5"}}},
      {{"PERSIST", "k5"}, {{"persist", "k5"}}},
      {{"EXPIRE", "k5", "-1"}, {{"del", "k5"}}},
      {{"UNLINK", "k6"}, {{"del", "k6"}}},
      {{"SET", "e", "v", "PX", "1"}, {{"new", "e"}, {"set", "e"}, {"expire", "e"}}},
      {{"RENAME", "k3", "k3"}, {}},
      {{"SET", "k7", "v", "GET"}, {{"new", "k7"}, {"set", "k7"}}},
      {{"SET", "k7", "v", "NX"}, {}},
      {{"SET", "k7", "v", "XX", "KEEPTTL"}, {{"set", "k7"}}},
      {{"EXPIRE", "k4", "200", "GT"}, {{"expire", "k4"}}},
      {{"PEXPIREAT", "k4", "1"}, {{"del", "k4"}}},
      {{"SET", "h2", "v"}, {{"new", "h2"}, {"set", "h2"}}},
      {{"COPY", "k7", "h2", "REPLACE"}, {{"new", "h2"}, {"copy_to", "h2"}}},
  };
  for (const Step& s : steps) {
    CAPTURE(s.argv[0]);
    Run(s.argv);
    CHECK(TakeEvents(server.fake_pubsub) == s.events);
  }
  // Lazy expiry reports "expired" (and nothing for the read itself).
  clock.AdvanceMs(5);
  Run({"GET", "e"});
  CHECK(TakeEvents(server.fake_pubsub) == Events{{"expired", "e"}});
}

TEST_CASE_FIXTURE(CommandTest, "keyspace channels carry the event, keyevent channels the key") {
  dispatcher.SetKeyspaceEvents(*ParseNotifyFlags("KE$"));
  Run({"SET", "key", "v"});
  CHECK(server.fake_pubsub.published ==
        std::vector<std::pair<std::string, std::string>>{{"__keyspace@0__:key", "set"},
                                                         {"__keyevent@0__:set", "key"}});
  server.fake_pubsub.published.clear();
  // Only the enabled classes: g is off here.
  Run({"DEL", "key"});
  CHECK(server.fake_pubsub.published.empty());
}

TEST_CASE_FIXTURE(CommandTest, "evictions report evicted") {
  dispatcher.SetKeyspaceEvents(*ParseNotifyFlags("Ee"));
  store::KeyspaceLimits lim;
  lim.maxkeys = 1;
  lim.policy = store::EvictionPolicy::kAllKeysLru;
  keyspace.set_limits(lim);
  Run({"SET", "a", "1"});
  Run({"SET", "b", "2"});
  CHECK(TakeEvents(server.fake_pubsub) == Events{{"evicted", "a"}});
}

TEST_CASE_FIXTURE(CommandTest, "a subscribed RESP2 client may only run the subscription commands") {
  client.state.subscriptions.channels = 1;  // as the registry would leave it
  CHECK(Run({"GET", "x"}) ==
        Err("ERR Can't execute 'get': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / "
            "RESET are allowed in this context"));
  CHECK(Run({"CLIENT", "INFO"}) ==
        Err("ERR Can't execute 'client|info': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / "
            "QUIT / RESET are allowed in this context"));
  CHECK(Run({"PING"}) == "*2\r\n$4\r\npong\r\n$0\r\n\r\n");
  CHECK(Run({"PING", "hi"}) == "*2\r\n$4\r\npong\r\n$2\r\nhi\r\n");
  // RESP3 tells pushes from replies: everything runs.
  client.state.resp = 3;
  client.writer.set_protocol(3);
  CHECK(Run({"GET", "x"}) == "_\r\n");
  CHECK(Run({"PING"}) == "+PONG\r\n");
  client.state.resp = 2;
  client.writer.set_protocol(2);
  // RESET leaves pub/sub.
  CHECK(Run({"RESET"}) == "+RESET\r\n");
  CHECK_FALSE(client.state.in_pubsub());
  CHECK(Run({"GET", "x"}) == kNil);
}

TEST_CASE_FIXTURE(CommandTest, "CLIENT PAUSE WRITE holds PUBLISH, as it goes to replicas") {
  dispatcher.set_pause(Dispatcher::PauseMode::kWrite);
  CHECK(Run({"PUBLISH", "ch", "m"}) == "<postponed>");
  CHECK(Run({"SPUBLISH", "ch", "m"}) == "<postponed>");
  CHECK(Run({"PUBSUB", "NUMPAT"}) == Int(0));
  dispatcher.set_pause(Dispatcher::PauseMode::kNone);
  CHECK(Run({"MULTI"}) == kOk);
  CHECK(Run({"PUBLISH", "ch", "m"}) == kQueued);
  // EXEC is held for what it would run.
  dispatcher.set_pause(Dispatcher::PauseMode::kWrite);
  CHECK(Run({"EXEC"}) == "<postponed>");
  dispatcher.set_pause(Dispatcher::PauseMode::kNone);
  CHECK(Run({"EXEC"}) == Arr({Int(0)}));
  CHECK(server.fake_pubsub.published ==
        std::vector<std::pair<std::string, std::string>>{{"ch", "m"}});
}

}  // namespace pykv::cmd::testing
