#include "server/pubsub_registry.h"

#include <algorithm>
#include <utility>

#include "common/glob.h"
#include "resp/reply_writer.h"

namespace pykv::server {

PubSubRegistry::PubSubRegistry(std::function<cmd::Session*(uint64_t)> find_session,
                               cmd::SessionHost* host, const Clock* clock)
    : find_session_(std::move(find_session)), host_(host), clock_(clock) {}

uint32_t& PubSubRegistry::Counter(cmd::ClientState& c, cmd::PubSubKind kind) {
  switch (kind) {
    case cmd::PubSubKind::kChannel:
      return c.subscriptions.channels;
    case cmd::PubSubKind::kPattern:
      return c.subscriptions.patterns;
    case cmd::PubSubKind::kShardChannel:
      break;
  }
  return c.subscriptions.shard_channels;
}

bool PubSubRegistry::Subscribe(cmd::ClientState& client, cmd::PubSubKind kind,
                               std::string_view name) {
  auto found = clients_.find(client.id);
  if (found == clients_.end()) {
    cmd::Session* s = find_session_(client.id);
    if (s == nullptr) return false;  // no connection to deliver to
    found = clients_.emplace(client.id, ClientSubscriptions{}).first;
    found->second.session = s;
  }
  ClientSubscriptions& mine = found->second;
  auto [it, added] = mine.names[Index(kind)].try_emplace(std::string(name), mine.next_seq);
  if (!added) return false;
  ++mine.next_seq;
  names_[Index(kind)][it->first].push_back(mine.session);
  ++Counter(client, kind);
  return true;
}

void PubSubRegistry::Detach(cmd::Session* s, cmd::PubSubKind kind, const std::string& name) {
  auto& by_name = names_[Index(kind)];
  auto it = by_name.find(name);
  if (it == by_name.end()) return;
  std::vector<cmd::Session*>& subs = it->second;
  subs.erase(std::remove(subs.begin(), subs.end(), s), subs.end());
  // An empty channel is no longer active (PUBSUB CHANNELS, INFO).
  if (subs.empty()) by_name.erase(it);
}

bool PubSubRegistry::Unsubscribe(cmd::ClientState& client, cmd::PubSubKind kind,
                                 std::string_view name) {
  auto found = clients_.find(client.id);
  if (found == clients_.end()) return false;
  ClientSubscriptions& mine = found->second;
  auto& names = mine.names[Index(kind)];
  auto it = names.find(name);
  if (it == names.end()) return false;
  Detach(mine.session, kind, it->first);
  names.erase(it);
  --Counter(client, kind);
  if (!client.in_pubsub()) clients_.erase(found);
  return true;
}

std::vector<std::string> PubSubRegistry::SubscriptionsOf(const cmd::ClientState& client,
                                                         cmd::PubSubKind kind) const {
  std::vector<std::string> out;
  auto found = clients_.find(client.id);
  if (found == clients_.end()) return out;
  std::vector<std::pair<uint64_t, const std::string*>> ordered;
  for (const auto& [name, seq] : found->second.names[Index(kind)]) ordered.emplace_back(seq, &name);
  std::sort(ordered.begin(), ordered.end());
  out.reserve(ordered.size());
  for (const auto& [seq, name] : ordered) out.push_back(*name);
  return out;
}

void PubSubRegistry::UnsubscribeAll(cmd::ClientState& client) {
  auto found = clients_.find(client.id);
  if (found != clients_.end()) {
    ClientSubscriptions& mine = found->second;
    for (cmd::PubSubKind kind :
         {cmd::PubSubKind::kChannel, cmd::PubSubKind::kPattern, cmd::PubSubKind::kShardChannel}) {
      for (const auto& [name, seq] : mine.names[Index(kind)]) Detach(mine.session, kind, name);
    }
    clients_.erase(found);
  }
  client.subscriptions = cmd::SubscriptionCounts{};
}

void PubSubRegistry::RemoveSession(cmd::Session* s) {
  if (s->state().in_pubsub()) UnsubscribeAll(s->state());
}

void PubSubRegistry::Deliver(cmd::Session* s, std::initializer_list<std::string_view> parts) {
  if (s->closing()) return;
  cmd::ClientState& c = s->state();
  // Redis 7.0 sends nothing to a client whose replies are switched off.
  if (c.socket_output == nullptr || c.reply_mode == cmd::ReplyMode::kOff ||
      c.reply_mode == cmd::ReplyMode::kSkipThis) {
    return;
  }
  // Into the same output as the client's replies, so a message never overtakes a reply
  // queued before it (nor one the AOF still holds back).
  resp::ReplyWriter w(c.socket_output);
  w.set_protocol(c.resp);
  w.PushHeader(parts.size());
  for (std::string_view p : parts) w.Bulk(p);
  host_->MarkPendingWrite(s);
  // Checked per message, as Redis checks per reply: a subscriber that does not read is
  // closed at the hard limit (closing is deferred, so the lists stay intact meanwhile).
  s->CheckOutputLimits(clock_->NowMs());
}

size_t PubSubRegistry::Publish(cmd::PubSubKind kind, std::string_view channel,
                               std::string_view message) {
  size_t receivers = 0;
  const auto& by_name = names_[Index(kind)];
  if (auto it = by_name.find(channel); it != by_name.end()) {
    const std::string_view verb = kind == cmd::PubSubKind::kShardChannel ? "smessage" : "message";
    for (cmd::Session* s : it->second) {
      Deliver(s, {verb, channel, message});
      ++receivers;
    }
  }
  if (kind != cmd::PubSubKind::kChannel) return receivers;
  for (const auto& [pattern, subs] : names_[Index(cmd::PubSubKind::kPattern)]) {
    if (!GlobMatch(pattern, channel)) continue;
    for (cmd::Session* s : subs) {
      Deliver(s, {"pmessage", pattern, channel, message});
      ++receivers;
    }
  }
  return receivers;
}

std::vector<std::string> PubSubRegistry::ActiveChannels(
    cmd::PubSubKind kind, std::optional<std::string_view> glob) const {
  std::vector<std::string> out;
  for (const auto& [name, subs] : names_[Index(kind)]) {
    if (!glob || GlobMatch(*glob, name)) out.push_back(name);
  }
  return out;
}

size_t PubSubRegistry::SubscriberCount(cmd::PubSubKind kind, std::string_view channel) const {
  const auto& by_name = names_[Index(kind)];
  auto it = by_name.find(channel);
  return it == by_name.end() ? 0 : it->second.size();
}

}  // namespace pykv::server
