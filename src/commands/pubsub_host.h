// PubSubHost: what the pub/sub commands (and keyspace notifications) ask of the server's
// subscription registry: subscribe and unsubscribe a client, publish, and the counts PUBSUB
// reports. The commands never see the subscribers' connections: the server's
// implementation (server/pubsub_registry) writes each message into the subscriber's output
// with the subscriber's protocol. Loop thread only.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "commands/client_state.h"

namespace pykv::cmd {

// The three namespaces Redis 7.0 keeps: channels (SUBSCRIBE/PUBLISH), patterns
// (PSUBSCRIBE, matched against channels), and shard channels (SSUBSCRIBE/SPUBLISH, which a
// non-cluster server keeps apart from the channels but treats the same way).
enum class PubSubKind { kChannel, kPattern, kShardChannel };

class PubSubHost {
 public:
  virtual ~PubSubHost() = default;

  // Adds one subscription of client; false when it already had it. Either way the counts
  // in client.subscriptions are up to date afterwards.
  virtual bool Subscribe(ClientState& client, PubSubKind kind, std::string_view name) = 0;
  // Removes one; false when the client did not have it.
  virtual bool Unsubscribe(ClientState& client, PubSubKind kind, std::string_view name) = 0;
  // The client's subscriptions of one kind, oldest first (UNSUBSCRIBE with no arguments).
  virtual std::vector<std::string> SubscriptionsOf(const ClientState& client,
                                                   PubSubKind kind) const = 0;
  // Drops every subscription of the client without telling it (RESET).
  virtual void UnsubscribeAll(ClientState& client) = 0;

  // PUBLISH (kChannel: the channel's subscribers, then every matching pattern's) or
  // SPUBLISH (kShardChannel). Returns how many clients it was sent to.
  virtual size_t Publish(PubSubKind kind, std::string_view channel, std::string_view message) = 0;

  // PUBSUB CHANNELS / SHARDCHANNELS: the channels with at least one subscriber, matching
  // the glob when one is given.
  virtual std::vector<std::string> ActiveChannels(PubSubKind kind,
                                                  std::optional<std::string_view> glob) const = 0;
  // PUBSUB NUMSUB / SHARDNUMSUB: subscribers of one channel (patterns not counted).
  virtual size_t SubscriberCount(PubSubKind kind, std::string_view channel) const = 0;
  // PUBSUB NUMPAT and INFO pubsub_patterns: distinct patterns subscribed to.
  virtual size_t PatternCount() const = 0;
  // INFO pubsub_channels / pubsubshard_channels: channels with subscribers.
  virtual size_t ChannelCount(PubSubKind kind) const = 0;
};

}  // namespace pykv::cmd
