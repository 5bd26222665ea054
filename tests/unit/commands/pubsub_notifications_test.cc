// Keyspace notifications (flags, and the events each command reports, as recorded from
// Redis 7.0.15 with notify-keyspace-events KEAn) and the subscribed-mode rules of RESP2.
#include <doctest/doctest.h>

#include <string>
#include <utility>
#include <vector>

#include "command_test_fixture.h"
#include "commands/notifications.h"
#include "support/keyspace_event_steps.h"

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
  // The shared recording, then a key that lazy expiry removes below.
  std::vector<pykv::testing::KeyspaceEventStep> steps = pykv::testing::KeyspaceEventSteps();
  steps.push_back({{"SET", "e", "v", "PX", "1"}, {{"new", "e"}, {"set", "e"}, {"expire", "e"}}});
  for (const pykv::testing::KeyspaceEventStep& s : steps) {
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
