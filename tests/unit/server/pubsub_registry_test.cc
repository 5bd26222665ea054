// PubSubRegistry against fake sessions: subscription counts, message encoding per
// protocol, pattern matching, output-limit checks per message and cleanup on disconnect.
#include "server/pubsub_registry.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common/out_buffer.h"

namespace pykv::server {
namespace {

using cmd::PubSubKind;

class FakeSession final : public cmd::Session {
 public:
  explicit FakeSession(uint64_t id, int resp = 2) {
    state_.id = id;
    state_.resp = resp;
    state_.socket_output = &out;
  }
  cmd::ClientState& state() override { return state_; }
  const cmd::ClientState& state() const override { return state_; }
  void Resume() override {}
  void Flush() override {}
  void CheckOutputLimits(int64_t) override { ++limit_checks; }
  void ReleaseIdleBuffers() override {}
  void Kill() override {}
  void CloseNow() override { closed = true; }
  bool closing() const override { return closed; }
  bool peer_is_loopback() const override { return true; }
  cmd::ConnectionFigures Figures() const override { return {}; }
  int64_t soft_limit_since_ms() const override { return 0; }

  // What the client was sent, drained.
  std::string Take() {
    std::string s = out.ToString();
    out.Clear();
    return s;
  }

  OutBuffer out;
  int limit_checks = 0;
  bool closed = false;

 private:
  cmd::ClientState state_;
};

class FakeHost final : public cmd::SessionHost {
 public:
  void MarkPendingWrite(cmd::Session* s) override { marked.push_back(s); }
  void AddPaused(cmd::Session*) override {}
  void OnSessionClosed(cmd::Session*) override {}
  cmd::NetStats& net_stats() override { return stats; }
  std::vector<cmd::Session*> marked;
  cmd::NetStats stats;
};

struct Fixture {
  Fixture()
      : registry(
            [this](uint64_t id) -> cmd::Session* {
              auto it = sessions.find(id);
              return it == sessions.end() ? nullptr : it->second.get();
            },
            &host, &clock) {}

  FakeSession& Add(uint64_t id, int resp = 2) {
    auto s = std::make_unique<FakeSession>(id, resp);
    FakeSession& ref = *s;
    sessions[id] = std::move(s);
    return ref;
  }

  FakeClock clock;
  FakeHost host;
  std::map<uint64_t, std::unique_ptr<FakeSession>> sessions;
  PubSubRegistry registry;
};

}  // namespace

TEST_CASE_FIXTURE(Fixture, "subscribe and unsubscribe keep the client's counts") {
  FakeSession& a = Add(1);
  cmd::ClientState& c = a.state();
  CHECK(registry.Subscribe(c, PubSubKind::kChannel, "news"));
  CHECK_FALSE(registry.Subscribe(c, PubSubKind::kChannel, "news"));  // already had it
  CHECK(registry.Subscribe(c, PubSubKind::kChannel, "sport"));
  CHECK(registry.Subscribe(c, PubSubKind::kPattern, "n*"));
  CHECK(registry.Subscribe(c, PubSubKind::kShardChannel, "news"));
  CHECK(c.subscriptions.channels == 2);
  CHECK(c.subscriptions.patterns == 1);
  CHECK(c.subscriptions.shard_channels == 1);
  CHECK(c.in_pubsub());
  CHECK(registry.ChannelCount(PubSubKind::kChannel) == 2);
  CHECK(registry.ChannelCount(PubSubKind::kShardChannel) == 1);
  CHECK(registry.PatternCount() == 1);
  CHECK(registry.SubscriptionsOf(c, PubSubKind::kChannel) ==
        std::vector<std::string>{"news", "sport"});

  CHECK(registry.Unsubscribe(c, PubSubKind::kChannel, "news"));
  CHECK_FALSE(registry.Unsubscribe(c, PubSubKind::kChannel, "news"));
  CHECK_FALSE(registry.Unsubscribe(c, PubSubKind::kChannel, "never"));
  CHECK(c.subscriptions.channels == 1);
  CHECK(registry.SubscriberCount(PubSubKind::kChannel, "news") == 0);
  CHECK(registry.SubscriberCount(PubSubKind::kShardChannel, "news") == 1);

  registry.UnsubscribeAll(c);
  CHECK_FALSE(c.in_pubsub());
  CHECK(registry.ChannelCount(PubSubKind::kChannel) == 0);
  CHECK(registry.ChannelCount(PubSubKind::kShardChannel) == 0);
  CHECK(registry.PatternCount() == 0);
}

TEST_CASE_FIXTURE(Fixture, "the order of subscriptions is kept for unsubscribe-all") {
  FakeSession& a = Add(1);
  for (const char* name : {"z", "a", "m", "b"}) {
    registry.Subscribe(a.state(), PubSubKind::kPattern, name);
  }
  CHECK(registry.SubscriptionsOf(a.state(), PubSubKind::kPattern) ==
        std::vector<std::string>{"z", "a", "m", "b"});
}

TEST_CASE_FIXTURE(Fixture, "a client without a session cannot subscribe") {
  cmd::ClientState loader;
  loader.id = 99;
  CHECK_FALSE(registry.Subscribe(loader, PubSubKind::kChannel, "x"));
  CHECK_FALSE(loader.in_pubsub());
  CHECK(registry.ChannelCount(PubSubKind::kChannel) == 0);
}

TEST_CASE_FIXTURE(Fixture, "publish encodes for each subscriber's protocol and counts receivers") {
  FakeSession& r2 = Add(1, 2);
  FakeSession& r3 = Add(2, 3);
  FakeSession& pat = Add(3, 2);
  FakeSession& other = Add(4, 2);
  registry.Subscribe(r2.state(), PubSubKind::kChannel, "ch");
  registry.Subscribe(r3.state(), PubSubKind::kChannel, "ch");
  registry.Subscribe(pat.state(), PubSubKind::kPattern, "c?");
  registry.Subscribe(pat.state(), PubSubKind::kPattern, "x*");
  registry.Subscribe(other.state(), PubSubKind::kChannel, "other");

  CHECK(registry.Publish(PubSubKind::kChannel, "ch", "hi") == 3);
  CHECK(r2.Take() == "*3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$2\r\nhi\r\n");
  CHECK(r3.Take() == ">3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$2\r\nhi\r\n");
  CHECK(pat.Take() == "*4\r\n$8\r\npmessage\r\n$2\r\nc?\r\n$2\r\nch\r\n$2\r\nhi\r\n");
  CHECK(other.Take().empty());
  // Every receiver is flushed like a reply and has its output limits checked.
  CHECK(host.marked.size() == 3);
  CHECK(r2.limit_checks == 1);
  CHECK(pat.limit_checks == 1);

  CHECK(registry.Publish(PubSubKind::kChannel, "nobody", "x") == 0);
  // Shard channels are their own namespace, and patterns do not see them.
  CHECK(registry.Publish(PubSubKind::kShardChannel, "ch", "x") == 0);
  registry.Subscribe(r2.state(), PubSubKind::kShardChannel, "ch");
  CHECK(registry.Publish(PubSubKind::kShardChannel, "ch", "s") == 1);
  CHECK(r2.Take() == "*3\r\n$8\r\nsmessage\r\n$2\r\nch\r\n$1\r\ns\r\n");
  CHECK(pat.Take().empty());
}

TEST_CASE_FIXTURE(Fixture, "a message goes behind replies already queued") {
  FakeSession& a = Add(1);
  registry.Subscribe(a.state(), PubSubKind::kChannel, "ch");
  a.out.Append("+OK\r\n");
  registry.Publish(PubSubKind::kChannel, "ch", "m");
  CHECK(a.Take() == "+OK\r\n*3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$1\r\nm\r\n");
}

TEST_CASE_FIXTURE(Fixture, "closing or muted subscribers are counted but sent nothing") {
  FakeSession& closing = Add(1);
  FakeSession& muted = Add(2);
  registry.Subscribe(closing.state(), PubSubKind::kChannel, "ch");
  registry.Subscribe(muted.state(), PubSubKind::kChannel, "ch");
  closing.closed = true;
  muted.state().reply_mode = cmd::ReplyMode::kOff;
  CHECK(registry.Publish(PubSubKind::kChannel, "ch", "m") == 2);
  CHECK(closing.Take().empty());
  CHECK(muted.Take().empty());
}

TEST_CASE_FIXTURE(Fixture, "active channels filter by glob") {
  FakeSession& a = Add(1);
  for (const char* name : {"news.tech", "news.art", "sport"}) {
    registry.Subscribe(a.state(), PubSubKind::kChannel, name);
  }
  std::vector<std::string> all = registry.ActiveChannels(PubSubKind::kChannel, std::nullopt);
  std::sort(all.begin(), all.end());
  CHECK(all == std::vector<std::string>{"news.art", "news.tech", "sport"});
  std::vector<std::string> news = registry.ActiveChannels(PubSubKind::kChannel, "news.*");
  std::sort(news.begin(), news.end());
  CHECK(news == std::vector<std::string>{"news.art", "news.tech"});
  CHECK(registry.ActiveChannels(PubSubKind::kShardChannel, std::nullopt).empty());
}

TEST_CASE_FIXTURE(Fixture, "a closed session leaves every channel and pattern") {
  FakeSession& a = Add(1);
  FakeSession& b = Add(2);
  registry.Subscribe(a.state(), PubSubKind::kChannel, "ch");
  registry.Subscribe(a.state(), PubSubKind::kPattern, "*");
  registry.Subscribe(a.state(), PubSubKind::kShardChannel, "s");
  registry.Subscribe(b.state(), PubSubKind::kChannel, "ch");
  registry.RemoveSession(&a);
  CHECK_FALSE(a.state().in_pubsub());
  CHECK(registry.SubscriberCount(PubSubKind::kChannel, "ch") == 1);
  CHECK(registry.PatternCount() == 0);
  CHECK(registry.ChannelCount(PubSubKind::kShardChannel) == 0);
  CHECK(registry.Publish(PubSubKind::kChannel, "ch", "m") == 1);
  CHECK(a.Take().empty());
  // A session that never subscribed is a no-op.
  FakeSession& c = Add(3);
  registry.RemoveSession(&c);
  CHECK(registry.SubscriberCount(PubSubKind::kChannel, "ch") == 1);
}

}  // namespace pykv::server
