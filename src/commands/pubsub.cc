// The pub/sub family: SUBSCRIBE, UNSUBSCRIBE, PSUBSCRIBE, PUNSUBSCRIBE, SSUBSCRIBE,
// SUNSUBSCRIBE, PUBLISH, SPUBLISH and PUBSUB, as Redis 7.0 answers them on a server that is
// not a cluster (shard channels are a namespace of their own, otherwise like channels).
// Subscriptions live in the server's PubSubHost; confirmations are push replies (RESP3 >,
// RESP2 arrays) in the caller's own reply stream.
#include <iterator>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "commands/context.h"
#include "commands/errors.h"
#include "commands/families.h"
#include "commands/pubsub_host.h"

namespace pykv::cmd {

namespace {

// What a (un)subscribe confirmation counts: channels and patterns together, as Redis's
// clientSubscriptionsCount, or shard channels alone.
int64_t CountFor(const ClientState& c, PubSubKind kind) {
  if (kind == PubSubKind::kShardChannel) return c.subscriptions.shard_channels;
  return static_cast<int64_t>(c.subscriptions.channels) + c.subscriptions.patterns;
}

// One confirmation: [verb, name (null when there was nothing to leave), count].
void Confirm(CommandContext& ctx, std::string_view verb, const std::string_view* name,
             PubSubKind kind) {
  ctx.reply.PushHeader(3);
  ctx.reply.Bulk(verb);
  if (name != nullptr) {
    ctx.reply.Bulk(*name);
  } else {
    ctx.reply.Null();
  }
  ctx.reply.Integer(CountFor(ctx.client, kind));
}

void SubscribeGeneric(CommandContext& ctx, PubSubKind kind, std::string_view verb) {
  PubSubHost& host = ctx.server.pubsub();
  for (size_t i = 1; i < ctx.args.size(); ++i) {
    host.Subscribe(ctx.client, kind, ctx.args[i]);
    Confirm(ctx, verb, &ctx.args[i], kind);
  }
}

void UnsubscribeGeneric(CommandContext& ctx, PubSubKind kind, std::string_view verb) {
  PubSubHost& host = ctx.server.pubsub();
  if (ctx.args.size() > 1) {
    for (size_t i = 1; i < ctx.args.size(); ++i) {
      host.Unsubscribe(ctx.client, kind, ctx.args[i]);
      Confirm(ctx, verb, &ctx.args[i], kind);
    }
    return;
  }
  // No names: leave every subscription of this kind, one confirmation each, or a single
  // one with a null name when there was none.
  const std::vector<std::string> names = host.SubscriptionsOf(ctx.client, kind);
  if (names.empty()) {
    Confirm(ctx, verb, nullptr, kind);
    return;
  }
  for (const std::string& n : names) {
    host.Unsubscribe(ctx.client, kind, n);
    const std::string_view view = n;
    Confirm(ctx, verb, &view, kind);
  }
}

void SubscribeCommand(CommandContext& ctx) {
  SubscribeGeneric(ctx, PubSubKind::kChannel, "subscribe");
}
void UnsubscribeCommand(CommandContext& ctx) {
  UnsubscribeGeneric(ctx, PubSubKind::kChannel, "unsubscribe");
}
void PsubscribeCommand(CommandContext& ctx) {
  SubscribeGeneric(ctx, PubSubKind::kPattern, "psubscribe");
}
void PunsubscribeCommand(CommandContext& ctx) {
  UnsubscribeGeneric(ctx, PubSubKind::kPattern, "punsubscribe");
}
void SsubscribeCommand(CommandContext& ctx) {
  SubscribeGeneric(ctx, PubSubKind::kShardChannel, "ssubscribe");
}
void SunsubscribeCommand(CommandContext& ctx) {
  UnsubscribeGeneric(ctx, PubSubKind::kShardChannel, "sunsubscribe");
}

// PUBLISH changes no data, so the dispatcher hands nothing to the mutation sink and the
// AOF never sees it. Redis also sends PUBLISH down its replication stream; PyKV does not,
// because its one journal feeds the AOF too, which must not grow with every message
// (sentinel publishes a hello every two seconds). A replica's subscribers hear what is
// published on the replica itself, which is where sentinel publishes to them.
void PublishCommand(CommandContext& ctx) {
  ctx.reply.Integer(static_cast<int64_t>(
      ctx.server.pubsub().Publish(PubSubKind::kChannel, ctx.args[1], ctx.args[2])));
}

void SpublishCommand(CommandContext& ctx) {
  ctx.reply.Integer(static_cast<int64_t>(
      ctx.server.pubsub().Publish(PubSubKind::kShardChannel, ctx.args[1], ctx.args[2])));
}

// PUBSUB CHANNELS / SHARDCHANNELS [pattern].
void ListChannels(CommandContext& ctx, PubSubKind kind) {
  if (ctx.args.size() > 3) {
    ctx.reply.Error(err::SubcommandSyntax(ctx.args));
    return;
  }
  std::optional<std::string_view> glob;
  if (ctx.args.size() == 3) glob = ctx.args[2];
  ctx.reply.BulkArray(ctx.server.pubsub().ActiveChannels(kind, glob));
}

// PUBSUB NUMSUB / SHARDNUMSUB [channel ...]: channel, count pairs, a flat array in RESP3
// too, as Redis 7.0 sends it.
void CountSubscribers(CommandContext& ctx, PubSubKind kind) {
  PubSubHost& host = ctx.server.pubsub();
  ctx.reply.ArrayHeader((ctx.args.size() - 2) * 2);
  for (size_t i = 2; i < ctx.args.size(); ++i) {
    ctx.reply.Bulk(ctx.args[i]);
    ctx.reply.Integer(static_cast<int64_t>(host.SubscriberCount(kind, ctx.args[i])));
  }
}

void PubsubChannelsCommand(CommandContext& ctx) {
  ListChannels(ctx, PubSubKind::kChannel);
}
void PubsubShardchannelsCommand(CommandContext& ctx) {
  ListChannels(ctx, PubSubKind::kShardChannel);
}
void PubsubNumsubCommand(CommandContext& ctx) {
  CountSubscribers(ctx, PubSubKind::kChannel);
}
void PubsubShardnumsubCommand(CommandContext& ctx) {
  CountSubscribers(ctx, PubSubKind::kShardChannel);
}
void PubsubNumpatCommand(CommandContext& ctx) {
  ctx.reply.Integer(static_cast<int64_t>(ctx.server.pubsub().PatternCount()));
}

void PubsubHelpCommand(CommandContext& ctx) {
  static const char* const kLines[] = {
      "PUBSUB <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "CHANNELS [<pattern>]",
      "    Return the currently active channels matching a <pattern> (default: '*').",
      "NUMPAT",
      "    Return number of subscriptions to patterns.",
      "NUMSUB [<channel> ...]",
      "    Return the number of subscribers for the specified channels, excluding",
      "    pattern subscriptions(default: no channels).",
      "SHARDCHANNELS [<pattern>]",
      "    Return the currently active shard level channels matching a <pattern> (default: "
      "'*').",
      "SHARDNUMSUB [<shardchannel> ...]",
      "    Return the number of subscribers for the specified shard level channel(s)",
      "HELP",
      "    Prints this help.",
  };
  ctx.reply.ArrayHeader(std::size(kLines));
  for (const char* l : kLines) ctx.reply.Simple(l);
}

void PubsubContainerCommand(CommandContext& ctx) {
  // Reached only for "PUBSUB" alone (arity); subcommands dispatch to their own handlers.
  ctx.reply.Error(err::WrongArgs("pubsub"));
}

Command Make(const char* name, int arity, uint32_t flags, std::vector<KeySpec> keys, Handler h,
             const char* summary, const char* since, const char* complexity = "O(1)") {
  return MakeCommand(name, arity, flags, std::move(keys), h, "pubsub", summary, since, complexity);
}

// The shard channel SSUBSCRIBE/SUNSUBSCRIBE/SPUBLISH name: a key position for cluster
// routing (not_key: no data lives there).
KeySpec ShardChannels(int lastkey) {
  return {.flags = kKeyNotKey, .index = 1, .lastkey = lastkey};
}

}  // namespace

void RegisterPubSubCommands(CommandTable* t) {
  // SUBSCRIBE and its kin may run in RESP2's subscribed mode (kPubSubContext).
  constexpr uint32_t kSubscribing = kPubSub | kNoScript | kLoadingOk | kStaleOk | kPubSubContext;
  t->Register(Make("subscribe", -2, kSubscribing, {}, SubscribeCommand,
                   "Listen for messages published to the given channels", "2.0.0",
                   "O(N) where N is the number of channels to subscribe to.")
                  .WithArgs({arg::String("channel").Multiple()}));
  t->Register(Make("unsubscribe", -1, kSubscribing, {}, UnsubscribeCommand,
                   "Stop listening for messages posted to the given channels", "2.0.0",
                   "O(N) where N is the number of clients already subscribed to a channel.")
                  .WithArgs({arg::String("channel").Optional().Multiple()}));
  t->Register(Make("psubscribe", -2, kSubscribing, {}, PsubscribeCommand,
                   "Listen for messages published to channels matching the given patterns", "2.0.0",
                   "O(N) where N is the number of patterns the client is already subscribed to.")
                  .WithArgs({arg::Block("pattern", {arg::Pattern("pattern")}).Multiple()}));
  t->Register(
      Make("punsubscribe", -1, kSubscribing, {}, PunsubscribeCommand,
           "Stop listening for messages posted to channels matching the given patterns", "2.0.0",
           "O(N+M) where N is the number of patterns the client is already subscribed and M is "
           "the number of total patterns subscribed in the system (by any client).")
          .WithArgs({arg::Pattern("pattern").Optional().Multiple()}));
  t->Register(Make("ssubscribe", -2, kSubscribing, {ShardChannels(-1)}, SsubscribeCommand,
                   "Listen for messages published to the given shard channels", "7.0.0",
                   "O(N) where N is the number of shard channels to subscribe to.")
                  .WithArgs({arg::String("shardchannel").Multiple()}));
  t->Register(Make("sunsubscribe", -1, kSubscribing, {ShardChannels(-1)}, SunsubscribeCommand,
                   "Stop listening for messages posted to the given shard channels", "7.0.0",
                   "O(N) where N is the number of clients already subscribed to a shard channel.")
                  .WithArgs({arg::String("shardchannel").Optional().Multiple()}));
  t->Register(Make("publish", 3, kPubSub | kLoadingOk | kStaleOk | kFast | kMayReplicate, {},
                   PublishCommand, "Post a message to a channel", "2.0.0",
                   "O(N+M) where N is the number of clients subscribed to the receiving channel "
                   "and M is the total number of subscribed patterns (by any client).")
                  .WithArgs({arg::String("channel"), arg::String("message")}));
  t->Register(Make("spublish", 3, kPubSub | kLoadingOk | kStaleOk | kFast | kMayReplicate,
                   {ShardChannels(0)}, SpublishCommand, "Post a message to a shard channel",
                   "7.0.0",
                   "O(N) where N is the number of clients subscribed to the receiving shard "
                   "channel.")
                  .WithArgs({arg::String("shardchannel"), arg::String("message")}));
  constexpr uint32_t kQuery = kPubSub | kLoadingOk | kStaleOk;
  t->Register(
      Make("pubsub", -2, 0, {}, PubsubContainerCommand, "A container for Pub/Sub commands", "2.8.0",
           "Depends on subcommand.")
          .WithSubcommands(
              {Make("pubsub|channels", -2, kQuery, {}, PubsubChannelsCommand,
                    "List active channels", "2.8.0",
                    "O(N) where N is the number of active channels, and assuming constant time "
                    "pattern matching (relatively short channels and patterns)")
                   .WithArgs({arg::Pattern("pattern").Optional()}),
               Make("pubsub|numpat", 2, kQuery, {}, PubsubNumpatCommand,
                    "Get the count of unique patterns pattern subscriptions", "2.8.0"),
               Make("pubsub|numsub", -2, kQuery, {}, PubsubNumsubCommand,
                    "Get the count of subscribers for channels", "2.8.0",
                    "O(N) for the NUMSUB subcommand, where N is the number of requested channels")
                   .WithArgs({arg::String("channel").Optional().Multiple()}),
               Make("pubsub|shardchannels", -2, kQuery, {}, PubsubShardchannelsCommand,
                    "List active shard channels", "7.0.0",
                    "O(N) where N is the number of active shard channels, and assuming constant "
                    "time pattern matching (relatively short shard channels).")
                   .WithArgs({arg::Pattern("pattern").Optional()}),
               Make("pubsub|shardnumsub", -2, kQuery, {}, PubsubShardnumsubCommand,
                    "Get the count of subscribers for shard channels", "7.0.0",
                    "O(N) for the SHARDNUMSUB subcommand, where N is the number of requested "
                    "shard channels")
                   .WithArgs({arg::String("shardchannel").Optional().Multiple()}),
               Make("pubsub|help", 2, kLoadingOk | kStaleOk, {}, PubsubHelpCommand,
                    "Show helpful text about the different subcommands", "6.2.0")}));
}

}  // namespace pykv::cmd
