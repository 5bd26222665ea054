// PubSubRegistry: every pub/sub subscription of the server: channels, patterns and shard
// channels, each name mapped to its subscribing sessions in subscription order, and each
// client's own subscriptions (for UNSUBSCRIBE without arguments, RESET and disconnects).
// PUBLISH writes the message into each subscriber's connection output, encoded for that
// subscriber's protocol (RESP3 push, RESP2 array) with resp::ReplyWriter, behind whatever
// replies it already has queued, and lets the session host flush it like a reply; a
// subscriber whose output passes its limits is closed by its own session (pubsub class),
// so a slow subscriber never holds the publisher up.
// It is the command layer's cmd::PubSubHost. Owned by the Server; the ClientRegistry calls
// RemoveSession when a session closes. Loop thread only.
#pragma once

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "commands/pubsub_host.h"
#include "commands/session.h"
#include "common/clock.h"

namespace pykv::server {

class PubSubRegistry final : public cmd::PubSubHost {
 public:
  // find_session: the live session of a client id (null when there is none, e.g. the AOF
  // loader); host: told when a subscriber has output to flush; clock: for output limits.
  PubSubRegistry(std::function<cmd::Session*(uint64_t)> find_session, cmd::SessionHost* host,
                 const Clock* clock);

  // The session is going away: it leaves every channel and pattern.
  void RemoveSession(cmd::Session* s);

  // cmd::PubSubHost
  bool Subscribe(cmd::ClientState& client, cmd::PubSubKind kind, std::string_view name) override;
  bool Unsubscribe(cmd::ClientState& client, cmd::PubSubKind kind, std::string_view name) override;
  std::vector<std::string> SubscriptionsOf(const cmd::ClientState& client,
                                           cmd::PubSubKind kind) const override;
  void UnsubscribeAll(cmd::ClientState& client) override;
  size_t Publish(cmd::PubSubKind kind, std::string_view channel, std::string_view message) override;
  std::vector<std::string> ActiveChannels(cmd::PubSubKind kind,
                                          std::optional<std::string_view> glob) const override;
  size_t SubscriberCount(cmd::PubSubKind kind, std::string_view channel) const override;
  size_t PatternCount() const override { return names_[Index(cmd::PubSubKind::kPattern)].size(); }
  size_t ChannelCount(cmd::PubSubKind kind) const override { return names_[Index(kind)].size(); }

 private:
  struct StringHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  template <typename V>
  using StringMap = std::unordered_map<std::string, V, StringHash, std::equal_to<>>;

  // One client's subscriptions of each kind, with the order they were taken in.
  struct ClientSubscriptions {
    cmd::Session* session = nullptr;
    StringMap<uint64_t> names[3];
    uint64_t next_seq = 0;
  };

  static constexpr size_t Index(cmd::PubSubKind kind) { return static_cast<size_t>(kind); }
  static uint32_t& Counter(cmd::ClientState& c, cmd::PubSubKind kind);
  void Deliver(cmd::Session* s, std::initializer_list<std::string_view> parts);
  void Detach(cmd::Session* s, cmd::PubSubKind kind, const std::string& name);

  std::function<cmd::Session*(uint64_t)> find_session_;
  cmd::SessionHost* host_;
  const Clock* clock_;
  // By kind: channel (or pattern) name -> its subscribers, oldest first.
  StringMap<std::vector<cmd::Session*>> names_[3];
  std::unordered_map<uint64_t, ClientSubscriptions> clients_;  // by client id
};

}  // namespace pykv::server
