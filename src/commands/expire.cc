// The expire family: EXPIRE, PEXPIRE, EXPIREAT, PEXPIREAT (with Redis 7.0's NX|XX|GT|LT),
// TTL, PTTL, EXPIRETIME, PEXPIRETIME, PERSIST. Every way of setting a TTL is propagated as
// PEXPIREAT with the absolute time decided here, so a replay later or elsewhere sets the
// same instant (DESIGN.md "One write path").
#include <cstdint>
#include <string>
#include <string_view>

#include "commands/context.h"
#include "commands/dispatcher.h"
#include "commands/errors.h"
#include "commands/expire_time.h"
#include "commands/families.h"
#include "common/numbers.h"

namespace pykv::cmd {

namespace {

using store::Entry;

enum ExpireFlag : uint32_t {
  kExpireNx = 1u << 0,
  kExpireXx = 1u << 1,
  kExpireGt = 1u << 2,
  kExpireLt = 1u << 3,
};

// Parses the NX|XX|GT|LT options after the time. Options are checked before the time
// itself, as Redis does, so "EXPIRE k abc FOO" reports the option.
bool ParseExpireFlags(CommandContext& ctx, uint32_t* flags) {
  for (size_t i = 3; i < ctx.args.size(); ++i) {
    std::string_view opt = ctx.args[i];
    if (EqualsIgnoreCase(opt, "NX")) {
      *flags |= kExpireNx;
    } else if (EqualsIgnoreCase(opt, "XX")) {
      *flags |= kExpireXx;
    } else if (EqualsIgnoreCase(opt, "GT")) {
      *flags |= kExpireGt;
    } else if (EqualsIgnoreCase(opt, "LT")) {
      *flags |= kExpireLt;
    } else {
      ctx.reply.Error("ERR Unsupported option " + std::string(opt));
      return false;
    }
  }
  if ((*flags & kExpireNx) && (*flags & (kExpireXx | kExpireGt | kExpireLt))) {
    ctx.reply.Error("ERR NX and XX, GT or LT options at the same time are not compatible");
    return false;
  }
  if ((*flags & kExpireGt) && (*flags & kExpireLt)) {
    ctx.reply.Error("ERR GT and LT options at the same time are not compatible");
    return false;
  }
  return true;
}

// Whether the options allow replacing the key's current expiry (-1: none, which counts as
// an infinite TTL for GT and LT) with when_ms.
bool FlagsAllow(uint32_t flags, int64_t current_ms, int64_t when_ms) {
  if ((flags & kExpireNx) && current_ms != -1) return false;
  if ((flags & kExpireXx) && current_ms == -1) return false;
  if ((flags & kExpireGt) && (current_ms == -1 || when_ms <= current_ms)) return false;
  if ((flags & kExpireLt) && current_ms != -1 && when_ms >= current_ms) return false;
  return true;
}

void ExpireGeneric(CommandContext& ctx, TtlUnit unit, bool relative) {
  std::string_view key = ctx.args[1];
  uint32_t flags = 0;
  if (!ParseExpireFlags(ctx, &flags)) return;
  int64_t value;
  if (!ParseInt64(ctx.args[2], &value)) {
    ctx.reply.Error(err::kNotInteger);
    return;
  }
  int64_t when_ms;
  if (!ToAbsoluteMs(value, unit, relative, ctx.now_ms(), &when_ms)) {
    ctx.reply.Error(err::InvalidExpire(ctx.command.name));
    return;
  }
  const Entry* e = ctx.keyspace.FindForWrite(key);
  if (e == nullptr) {
    ctx.reply.Integer(0);
    return;
  }
  if (flags != 0 && !FlagsAllow(flags, e->expire_at_ms(), when_ms)) {
    ctx.reply.Integer(0);
    return;
  }
  if (when_ms <= ctx.now_ms() && ctx.client.kind == ClientKind::kNormal) {
    // A TTL already in the past deletes the key now and says so as DEL. The AOF loader and
    // a replica's primary link store it instead: the data set must match the source's
    // until the source's own DEL arrives (Redis does the same while loading or as a
    // replica).
    ctx.keyspace.Delete(key);
    ctx.PropagateAs({"DEL", key});
    ctx.dispatcher.notifier().Notify(kNotifyGeneric, "del", key);
  } else {
    ctx.keyspace.SetExpire(key, when_ms);
    ctx.PropagateAs({"PEXPIREAT", key, Int64ToString(when_ms)});
    ctx.dispatcher.notifier().Notify(kNotifyGeneric, "expire", key);
  }
  ctx.reply.Integer(1);
}

void ExpireCommand(CommandContext& ctx) {
  ExpireGeneric(ctx, TtlUnit::kSeconds, true);
}
void PexpireCommand(CommandContext& ctx) {
  ExpireGeneric(ctx, TtlUnit::kMilliseconds, true);
}
void ExpireatCommand(CommandContext& ctx) {
  ExpireGeneric(ctx, TtlUnit::kSeconds, false);
}
void PexpireatCommand(CommandContext& ctx) {
  ExpireGeneric(ctx, TtlUnit::kMilliseconds, false);
}

// TTL, PTTL, EXPIRETIME, PEXPIRETIME: -2 for a missing key, -1 without a TTL. Seconds are
// rounded to the nearest, as Redis does.
void TtlGeneric(CommandContext& ctx, bool output_ms, bool absolute) {
  const Entry* e = ctx.keyspace.FindNoTouch(ctx.args[1]);
  if (e == nullptr) {
    ctx.reply.Integer(-2);
    return;
  }
  int64_t expire = e->expire_at_ms();
  if (expire == -1) {
    ctx.reply.Integer(-1);
    return;
  }
  int64_t ttl = absolute ? expire : expire - ctx.now_ms();
  if (ttl < 0) ttl = 0;
  // Rounded as (ttl + 500) / 1000 but without overflowing near INT64_MAX (PEXPIREAT takes
  // any positive time).
  ctx.reply.Integer(output_ms ? ttl : ttl / 1000 + (ttl % 1000 >= 500 ? 1 : 0));
}

void TtlCommand(CommandContext& ctx) {
  TtlGeneric(ctx, false, false);
}
void PttlCommand(CommandContext& ctx) {
  TtlGeneric(ctx, true, false);
}
void ExpiretimeCommand(CommandContext& ctx) {
  TtlGeneric(ctx, false, true);
}
void PexpiretimeCommand(CommandContext& ctx) {
  TtlGeneric(ctx, true, true);
}

void PersistCommand(CommandContext& ctx) {
  if (ctx.keyspace.Persist(ctx.args[1])) {
    ctx.MarkDirty();
    ctx.dispatcher.notifier().Notify(kNotifyGeneric, "persist", ctx.args[1]);
    ctx.reply.Integer(1);
  } else {
    ctx.reply.Integer(0);
  }
}

Command Make(const char* name, int arity, uint32_t flags, std::vector<KeySpec> keys, Handler h,
             const char* summary, const char* since) {
  return MakeCommand(name, arity, flags, std::move(keys), h, "generic", summary, since);
}

// EXPIRE's family shares its options and their history.
CommandArg ExpireCondition() {
  return arg::OneOf("condition", {arg::Token("nx", "NX"), arg::Token("xx", "XX"),
                                  arg::Token("gt", "GT"), arg::Token("lt", "LT")})
      .Since("7.0.0")
      .Optional();
}

}  // namespace

void RegisterExpireCommands(CommandTable* t) {
  const std::vector<HistoryEntry> kConditionHistory = {
      {"7.0.0", "Added options: `NX`, `XX`, `GT` and `LT`."}};
  constexpr KeySpec kChange{.flags = kKeyRW | kKeyUpdate, .index = 1};
  constexpr KeySpec kRead{.flags = kKeyRO | kKeyAccess, .index = 1};
  t->Register(Make("expire", -3, kWrite | kFast, {kChange}, ExpireCommand,
                   "Set a key's time to live in seconds", "1.0.0")
                  .WithHistory(kConditionHistory)
                  .WithArgs({arg::Key("key", 0), arg::Integer("seconds"), ExpireCondition()}));
  t->Register(Make("pexpire", -3, kWrite | kFast, {kChange}, PexpireCommand,
                   "Set a key's time to live in milliseconds", "2.6.0")
                  .WithHistory(kConditionHistory)
                  .WithArgs({arg::Key("key", 0), arg::Integer("milliseconds"), ExpireCondition()}));
  t->Register(
      Make("expireat", -3, kWrite | kFast, {kChange}, ExpireatCommand,
           "Set the expiration for a key as a UNIX timestamp", "1.2.0")
          .WithHistory(kConditionHistory)
          .WithArgs({arg::Key("key", 0), arg::UnixTime("unix-time-seconds"), ExpireCondition()}));
  t->Register(Make("pexpireat", -3, kWrite | kFast, {kChange}, PexpireatCommand,
                   "Set the expiration for a key as a UNIX timestamp specified in milliseconds",
                   "2.6.0")
                  .WithHistory(kConditionHistory)
                  .WithArgs({arg::Key("key", 0), arg::UnixTime("unix-time-milliseconds"),
                             ExpireCondition()}));
  t->Register(Make("ttl", 2, kReadonly | kFast, {kRead}, TtlCommand,
                   "Get the time to live for a key in seconds", "1.0.0")
                  .WithTips({"nondeterministic_output"})
                  .WithHistory({{"2.8.0", "Added the -2 reply."}})
                  .WithArgs({arg::Key("key", 0)}));
  t->Register(Make("pttl", 2, kReadonly | kFast, {kRead}, PttlCommand,
                   "Get the time to live for a key in milliseconds", "2.6.0")
                  .WithTips({"nondeterministic_output"})
                  .WithHistory({{"2.8.0", "Added the -2 reply."}})
                  .WithArgs({arg::Key("key", 0)}));
  t->Register(Make("expiretime", 2, kReadonly | kFast, {kRead}, ExpiretimeCommand,
                   "Get the expiration Unix timestamp for a key", "7.0.0")
                  .WithArgs({arg::Key("key", 0)}));
  t->Register(Make("pexpiretime", 2, kReadonly | kFast, {kRead}, PexpiretimeCommand,
                   "Get the expiration Unix timestamp for a key in milliseconds", "7.0.0")
                  .WithArgs({arg::Key("key", 0)}));
  t->Register(Make("persist", 2, kWrite | kFast, {kChange}, PersistCommand,
                   "Remove the expiration from a key", "2.2.0")
                  .WithArgs({arg::Key("key", 0)}));
}

}  // namespace pykv::cmd
