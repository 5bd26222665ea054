// The string family: SET and friends, counters, ranges, LCS (Redis 7.0 semantics).
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "commands/arg_cursor.h"
#include "commands/context.h"
#include "commands/dispatcher.h"
#include "commands/errors.h"
#include "commands/expire_time.h"
#include "commands/families.h"
#include "common/numbers.h"

namespace pykv::cmd {

namespace {

using store::Entry;

// Parsed SET-style options. Expiry is absolute once parsed.
struct SetOptions {
  bool nx = false;
  bool xx = false;
  bool get = false;
  bool keepttl = false;
  bool has_expire = false;
  bool relative = false;  // EX/PX: the propagated form must become PXAT
  int64_t expire_at_ms = -1;
  // As parsed, before ResolveExpire reads the number: 0 EX, 1 PX, 2 EXAT, 3 PXAT.
  int expire_kind = -1;
  std::string_view expire_arg;
};

enum class SetFlavor { kSet, kGetex };

// Parses [NX|XX] [GET] [EX s|PX ms|EXAT ts|PXAT ms|KEEPTTL] (and GETEX's PERSIST), without
// reading the expiry's number (ResolveExpire does). Replies with the error and returns
// false on bad input. As in Redis, every option is matched before the expiry value is read
// (so a bad option wins over a bad number), and an option may repeat (EX 1 EX 2: the last
// value wins) but never combine with a conflicting one.
bool ParseSetSyntax(CommandContext& ctx, size_t start, SetFlavor flavor, SetOptions* o,
                    bool* persist) {
  static constexpr std::string_view kExpireNames[] = {"EX", "PX", "EXAT", "PXAT"};
  const bool is_set = flavor == SetFlavor::kSet;
  ArgCursor cur(ctx.args, start);
  while (!cur.done()) {
    std::string_view opt = cur.Next();
    int kind = -1;
    for (int k = 0; k < 4; ++k) {
      if (EqualsIgnoreCase(opt, kExpireNames[k])) kind = k;
    }
    const bool persisting = persist != nullptr && *persist;
    if (is_set && EqualsIgnoreCase(opt, "NX") && !o->xx) {
      o->nx = true;
    } else if (is_set && EqualsIgnoreCase(opt, "XX") && !o->nx) {
      o->xx = true;
    } else if (is_set && EqualsIgnoreCase(opt, "GET")) {
      o->get = true;
    } else if (is_set && EqualsIgnoreCase(opt, "KEEPTTL") && o->expire_kind < 0) {
      o->keepttl = true;
    } else if (!is_set && EqualsIgnoreCase(opt, "PERSIST") && o->expire_kind < 0) {
      *persist = true;
    } else if (kind >= 0 && (o->expire_kind < 0 || o->expire_kind == kind) && !o->keepttl &&
               !persisting && !cur.done()) {
      o->expire_kind = kind;
      o->expire_arg = cur.Next();
    } else {
      ctx.reply.Error(err::kSyntax);
      return false;
    }
  }
  return true;
}

// Reads the expiry number ParseSetSyntax found into an absolute time. Replies with the
// error and returns false when it is not a valid time.
bool ResolveExpire(CommandContext& ctx, SetOptions* o) {
  if (o->expire_kind < 0) return true;
  int64_t v;
  if (!ParseInt64(o->expire_arg, &v)) {
    ctx.reply.Error(err::kNotInteger);
    return false;
  }
  TtlUnit unit =
      (o->expire_kind == 0 || o->expire_kind == 2) ? TtlUnit::kSeconds : TtlUnit::kMilliseconds;
  bool relative = o->expire_kind < 2;
  if (v <= 0 || !ToAbsoluteMs(v, unit, relative, ctx.now_ms(), &o->expire_at_ms)) {
    ctx.reply.Error(err::InvalidExpire(ctx.command.name));
    return false;
  }
  o->has_expire = true;
  o->relative = relative;
  return true;
}

// The replayable SET: absolute expiry, no conditions (they were decided here).
void PropagateSet(CommandContext& ctx, std::string_view key, std::string_view value,
                  const SetOptions& o) {
  if (o.has_expire) {
    ctx.PropagateAs({"SET", key, value, "PXAT", Int64ToString(o.expire_at_ms)});
  } else if (o.keepttl) {
    ctx.PropagateAs({"SET", key, value, "KEEPTTL"});
  } else {
    ctx.PropagateAs({"SET", key, value});
  }
}

// Shared by SET, SETEX, PSETEX, SETNX, GETSET: stores value under key per the options and
// reports the change. Returns false (nothing stored) when NX/XX say no.
bool DoSet(CommandContext& ctx, std::string_view key, std::string_view value, const SetOptions& o,
           bool propagate_as_received) {
  if (o.nx || o.xx) {
    bool exists = ctx.keyspace.FindForWrite(key) != nullptr;
    if ((o.nx && exists) || (o.xx && !exists)) return false;
  }
  if (o.has_expire && o.expire_at_ms <= ctx.now_ms() && ctx.client.kind == ClientKind::kNormal) {
    // Already expired: Redis deletes rather than storing a dead key, and says so as DEL.
    ctx.keyspace.Delete(key);
    ctx.PropagateAs({"DEL", key});
    ctx.dispatcher.notifier().Notify(kNotifyGeneric, "del", key);
    return true;
  }
  ctx.keyspace.Set(key, value, o.has_expire ? o.expire_at_ms : -1, o.keepttl);
  ctx.dispatcher.notifier().Notify(kNotifyString, "set", key);
  if (o.has_expire) ctx.dispatcher.notifier().Notify(kNotifyGeneric, "expire", key);
  if (propagate_as_received) {
    ctx.MarkDirty();
  } else {
    PropagateSet(ctx, key, value, o);
  }
  return true;
}

void SetCommand(CommandContext& ctx) {
  std::string_view key = ctx.args[1];
  std::string_view value = ctx.args[2];
  if (ctx.args.size() == 3) {  // the hot path: no options to parse or rewrite
    ctx.keyspace.Set(key, value);
    ctx.MarkDirty();
    ctx.dispatcher.notifier().Notify(kNotifyString, "set", key);
    ctx.reply.Ok();
    return;
  }
  SetOptions o;
  if (!ParseSetSyntax(ctx, 3, SetFlavor::kSet, &o, nullptr) || !ResolveExpire(ctx, &o)) return;
  std::string old;
  bool had_old = false;
  if (o.get) {
    if (const Entry* e = ctx.keyspace.Find(key)) {
      old.assign(e->value());
      had_old = true;
    }
  }
  bool stored = DoSet(ctx, key, value, o, /*propagate_as_received=*/false);
  if (o.get) {
    if (had_old) {
      ctx.reply.Bulk(old);
    } else {
      ctx.reply.Null();
    }
  } else if (stored) {
    ctx.reply.Ok();
  } else {
    ctx.reply.Null();
  }
}

void SetexLike(CommandContext& ctx, TtlUnit unit) {
  int64_t v;
  if (!ParseInt64(ctx.args[2], &v)) {
    ctx.reply.Error(err::kNotInteger);
    return;
  }
  SetOptions o;
  if (v <= 0 || !ToAbsoluteMs(v, unit, true, ctx.now_ms(), &o.expire_at_ms)) {
    ctx.reply.Error(err::InvalidExpire(ctx.command.name));
    return;
  }
  o.has_expire = true;
  o.relative = true;
  DoSet(ctx, ctx.args[1], ctx.args[3], o, /*propagate_as_received=*/false);
  ctx.reply.Ok();
}

void SetexCommand(CommandContext& ctx) {
  SetexLike(ctx, TtlUnit::kSeconds);
}
void PsetexCommand(CommandContext& ctx) {
  SetexLike(ctx, TtlUnit::kMilliseconds);
}

void SetnxCommand(CommandContext& ctx) {
  SetOptions o;
  o.nx = true;
  bool stored = DoSet(ctx, ctx.args[1], ctx.args[2], o, /*propagate_as_received=*/true);
  ctx.reply.Integer(stored ? 1 : 0);
}

void GetCommand(CommandContext& ctx) {
  if (const Entry* e = ctx.keyspace.Find(ctx.args[1])) {
    ctx.reply.Bulk(e->value());
  } else {
    ctx.reply.Null();
  }
}

void GetsetCommand(CommandContext& ctx) {
  std::string_view key = ctx.args[1];
  const Entry* e = ctx.keyspace.Find(key);
  if (e != nullptr) {
    ctx.reply.Bulk(e->value());  // written before the entry is replaced
  } else {
    ctx.reply.Null();
  }
  ctx.keyspace.Set(key, ctx.args[2]);
  ctx.PropagateAs({"SET", key, ctx.args[2]});
  ctx.dispatcher.notifier().Notify(kNotifyString, "set", key);
}

void GetdelCommand(CommandContext& ctx) {
  std::string_view key = ctx.args[1];
  const Entry* e = ctx.keyspace.Find(key);
  if (e == nullptr) {
    ctx.reply.Null();
    return;
  }
  ctx.reply.Bulk(e->value());
  ctx.keyspace.Delete(key);
  ctx.PropagateAs({"DEL", key});
  ctx.dispatcher.notifier().Notify(kNotifyGeneric, "del", key);
}

void GetexCommand(CommandContext& ctx) {
  std::string_view key = ctx.args[1];
  SetOptions o;
  bool persist = false;
  if (!ParseSetSyntax(ctx, 2, SetFlavor::kGetex, &o, &persist)) return;
  const Entry* e = ctx.keyspace.Find(key);
  if (e == nullptr) {
    ctx.reply.Null();  // Redis looks the key up before it reads the time
    return;
  }
  if (!ResolveExpire(ctx, &o)) return;
  ctx.reply.Bulk(e->value());
  if (o.has_expire) {
    if (o.expire_at_ms <= ctx.now_ms() && ctx.client.kind == ClientKind::kNormal) {
      ctx.keyspace.Delete(key);
      ctx.PropagateAs({"DEL", key});
      ctx.dispatcher.notifier().Notify(kNotifyGeneric, "del", key);
    } else {
      ctx.keyspace.SetExpire(key, o.expire_at_ms);
      ctx.PropagateAs({"PEXPIREAT", key, Int64ToString(o.expire_at_ms)});
      ctx.dispatcher.notifier().Notify(kNotifyGeneric, "expire", key);
    }
  } else if (persist && ctx.keyspace.Persist(key)) {
    ctx.PropagateAs({"PERSIST", key});
    ctx.dispatcher.notifier().Notify(kNotifyGeneric, "persist", key);
  }
}

void MgetCommand(CommandContext& ctx) {
  ctx.reply.ArrayHeader(ctx.args.size() - 1);
  for (size_t i = 1; i < ctx.args.size(); ++i) {
    if (const Entry* e = ctx.keyspace.Find(ctx.args[i])) {
      ctx.reply.Bulk(e->value());
    } else {
      ctx.reply.Null();
    }
  }
}

void MsetCommand(CommandContext& ctx) {
  if (ctx.args.size() % 2 != 1) {
    ctx.reply.Error(err::WrongArgs(ctx.command.name));
    return;
  }
  for (size_t i = 1; i < ctx.args.size(); i += 2) {
    ctx.keyspace.Set(ctx.args[i], ctx.args[i + 1]);
    ctx.dispatcher.notifier().Notify(kNotifyString, "set", ctx.args[i]);
  }
  ctx.MarkDirty((ctx.args.size() - 1) / 2);
  ctx.reply.Ok();
}

void MsetnxCommand(CommandContext& ctx) {
  if (ctx.args.size() % 2 != 1) {
    ctx.reply.Error(err::WrongArgs(ctx.command.name));
    return;
  }
  for (size_t i = 1; i < ctx.args.size(); i += 2) {
    if (ctx.keyspace.FindForWrite(ctx.args[i]) != nullptr) {
      ctx.reply.Integer(0);
      return;
    }
  }
  for (size_t i = 1; i < ctx.args.size(); i += 2) {
    ctx.keyspace.Set(ctx.args[i], ctx.args[i + 1]);
    ctx.dispatcher.notifier().Notify(kNotifyString, "set", ctx.args[i]);
  }
  ctx.MarkDirty((ctx.args.size() - 1) / 2);
  ctx.reply.Integer(1);
}

// INCR/DECR/INCRBY/DECRBY: the stored value must be a 64-bit integer in Redis's syntax.
void IncrBy(CommandContext& ctx, int64_t by) {
  std::string_view key = ctx.args[1];
  int64_t current = 0;
  if (const Entry* e = ctx.keyspace.FindForWrite(key)) {
    if (!ParseInt64(e->value(), &current)) {
      ctx.reply.Error(err::kNotInteger);
      return;
    }
  }
  if ((by < 0 && current < 0 && by < INT64_MIN - current) ||
      (by > 0 && current > 0 && by > INT64_MAX - current)) {
    ctx.reply.Error(err::kOverflow);
    return;
  }
  int64_t result = current + by;
  char buf[24];
  size_t n = FormatInt64(result, buf);
  ctx.keyspace.Set(key, std::string_view(buf, n), -1, /*keep_ttl=*/true);
  ctx.MarkDirty();
  // INCR, DECR, INCRBY and DECRBY all report "incrby", as Redis does.
  ctx.dispatcher.notifier().Notify(kNotifyString, "incrby", key);
  ctx.reply.Integer(result);
}

void IncrCommand(CommandContext& ctx) {
  IncrBy(ctx, 1);
}
void DecrCommand(CommandContext& ctx) {
  IncrBy(ctx, -1);
}

void IncrbyCommand(CommandContext& ctx) {
  int64_t by;
  if (!ParseInt64(ctx.args[2], &by)) {
    ctx.reply.Error(err::kNotInteger);
    return;
  }
  IncrBy(ctx, by);
}

void DecrbyCommand(CommandContext& ctx) {
  int64_t by;
  if (!ParseInt64(ctx.args[2], &by)) {
    ctx.reply.Error(err::kNotInteger);
    return;
  }
  if (by == INT64_MIN) {
    ctx.reply.Error("ERR decrement would overflow");
    return;
  }
  IncrBy(ctx, -by);
}

void IncrbyfloatCommand(CommandContext& ctx) {
  std::string_view key = ctx.args[1];
  long double current = 0, by;
  if (const Entry* e = ctx.keyspace.FindForWrite(key)) {
    if (!ParseLongDouble(e->value(), &current)) {
      ctx.reply.Error(err::kNotFloat);
      return;
    }
  }
  if (!ParseLongDouble(ctx.args[2], &by)) {
    ctx.reply.Error(err::kNotFloat);
    return;
  }
  long double result = current + by;
  std::optional<std::string> text;
  if (std::isnan(result) || std::isinf(result) || !(text = FormatLongDoubleHuman(result))) {
    ctx.reply.Error("ERR increment would produce NaN or Infinity");
    return;
  }
  ctx.keyspace.Set(key, *text, -1, /*keep_ttl=*/true, store::StringForm::kNotInteger);
  // Floating point text is not replayed: the result is, so every copy agrees exactly.
  ctx.PropagateAs({"SET", key, *text, "KEEPTTL"});
  ctx.dispatcher.notifier().Notify(kNotifyString, "incrbyfloat", key);
  ctx.reply.Bulk(*text);
}

bool CheckStringLength(CommandContext& ctx, uint64_t len) {
  if (len > ctx.server.ProtoMaxBulkLen()) {
    ctx.reply.Error(err::kStringTooLong);
    return false;
  }
  return true;
}

void AppendCommand(CommandContext& ctx) {
  std::string_view key = ctx.args[1];
  std::string_view add = ctx.args[2];
  const Entry* e = ctx.keyspace.FindForWrite(key);
  if (e == nullptr) {
    ctx.keyspace.Set(key, add);
    ctx.MarkDirty();
    ctx.dispatcher.notifier().Notify(kNotifyString, "append", key);
    ctx.reply.Integer(static_cast<int64_t>(add.size()));
    return;
  }
  size_t old_len = e->value().size();
  if (!CheckStringLength(ctx, old_len + add.size())) return;
  char* bytes = ctx.keyspace.ResizeValue(key, old_len + add.size());
  std::copy(add.begin(), add.end(), bytes + old_len);
  ctx.MarkDirty();
  ctx.dispatcher.notifier().Notify(kNotifyString, "append", key);
  ctx.reply.Integer(static_cast<int64_t>(old_len + add.size()));
}

void StrlenCommand(CommandContext& ctx) {
  const Entry* e = ctx.keyspace.Find(ctx.args[1]);
  ctx.reply.Integer(e ? static_cast<int64_t>(e->value().size()) : 0);
}

void GetrangeCommand(CommandContext& ctx) {
  int64_t start, end;
  if (!ParseInt64(ctx.args[2], &start) || !ParseInt64(ctx.args[3], &end)) {
    ctx.reply.Error(err::kNotInteger);
    return;
  }
  const Entry* e = ctx.keyspace.Find(ctx.args[1]);
  std::string_view v = e ? e->value() : std::string_view();
  int64_t len = static_cast<int64_t>(v.size());
  // Redis: both negative and start > end is empty, then clamp.
  if (start < 0 && end < 0 && start > end) {
    ctx.reply.Bulk("");
    return;
  }
  if (start < 0) start = len + start;
  if (end < 0) end = len + end;
  if (start < 0) start = 0;
  if (end < 0) end = 0;
  if (end >= len) end = len - 1;
  if (len == 0 || start > end) {
    ctx.reply.Bulk("");
    return;
  }
  ctx.reply.Bulk(v.substr(static_cast<size_t>(start), static_cast<size_t>(end - start + 1)));
}

void SetrangeCommand(CommandContext& ctx) {
  std::string_view key = ctx.args[1];
  std::string_view value = ctx.args[3];
  int64_t offset;
  if (!ParseInt64(ctx.args[2], &offset)) {
    ctx.reply.Error(err::kNotInteger);
    return;
  }
  if (offset < 0) {
    ctx.reply.Error("ERR offset is out of range");
    return;
  }
  const Entry* e = ctx.keyspace.FindForWrite(key);
  size_t old_len = e ? e->value().size() : 0;
  if (value.empty()) {  // nothing to write: report the length, create nothing
    ctx.reply.Integer(static_cast<int64_t>(old_len));
    return;
  }
  uint64_t need = static_cast<uint64_t>(offset) + value.size();
  if (!CheckStringLength(ctx, need)) return;
  size_t new_len = std::max<size_t>(old_len, need);
  if (e == nullptr) ctx.keyspace.Set(key, "");
  char* bytes = ctx.keyspace.ResizeValue(key, new_len);
  std::copy(value.begin(), value.end(), bytes + offset);
  ctx.MarkDirty();
  ctx.dispatcher.notifier().Notify(kNotifyString, "setrange", key);
  ctx.reply.Integer(static_cast<int64_t>(new_len));
}

void LcsCommand(CommandContext& ctx) {
  bool want_len = false, want_idx = false, with_match_len = false;
  int64_t min_match_len = 0;
  ArgCursor cur(ctx.args, 3);
  while (!cur.done()) {
    if (cur.Accept("LEN")) {
      want_len = true;
    } else if (cur.Accept("IDX")) {
      want_idx = true;
    } else if (cur.Accept("WITHMATCHLEN")) {
      with_match_len = true;
    } else if (cur.Accept("MINMATCHLEN")) {
      if (cur.done() || !cur.NextInt64(&min_match_len)) {
        ctx.reply.Error(cur.done() ? err::kSyntax : err::kNotInteger);
        return;
      }
      if (min_match_len < 0) min_match_len = 0;
    } else {
      ctx.reply.Error(err::kSyntax);
      return;
    }
  }
  if (want_len && want_idx) {
    ctx.reply.Error("ERR If you want both the length and indexes, please just use IDX.");
    return;
  }
  std::string a, b;
  if (const Entry* e = ctx.keyspace.Find(ctx.args[1])) a.assign(e->value());
  if (const Entry* e = ctx.keyspace.Find(ctx.args[2])) b.assign(e->value());
  const size_t n = a.size(), m = b.size();
  if ((n + 1) * (m + 1) > (1ull << 32) / sizeof(uint32_t)) {
    ctx.reply.Error("ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len");
    return;
  }
  // dp[i][j] = LCS length of a[0..i) and b[0..j).
  std::vector<uint32_t> dp((n + 1) * (m + 1), 0);
  auto at = [&](size_t i, size_t j) -> uint32_t& { return dp[i * (m + 1) + j]; };
  for (size_t i = 1; i <= n; ++i) {
    for (size_t j = 1; j <= m; ++j) {
      at(i, j) = a[i - 1] == b[j - 1] ? at(i - 1, j - 1) + 1 : std::max(at(i - 1, j), at(i, j - 1));
    }
  }
  uint32_t total = at(n, m);
  if (want_len) {
    ctx.reply.Integer(total);
    return;
  }
  // Walk back from the end, collecting the LCS text and (for IDX) contiguous ranges.
  std::string lcs(total, '\0');
  size_t idx = total;
  struct Range {
    int64_t a_start, a_end, b_start, b_end;
  };
  std::vector<Range> ranges;
  bool in_range = false;
  Range cur_range{};
  size_t i = n, j = m;
  auto flush_range = [&]() {
    if (!in_range) return;
    int64_t len = cur_range.a_end - cur_range.a_start + 1;
    if (len >= min_match_len) ranges.push_back(cur_range);
    in_range = false;
  };
  while (i > 0 && j > 0) {
    if (a[i - 1] == b[j - 1]) {
      lcs[--idx] = a[i - 1];
      int64_t ai = static_cast<int64_t>(i - 1), bj = static_cast<int64_t>(j - 1);
      if (in_range && cur_range.a_start == ai + 1 && cur_range.b_start == bj + 1) {
        cur_range.a_start = ai;
        cur_range.b_start = bj;
      } else {
        flush_range();
        cur_range = {ai, ai, bj, bj};
        in_range = true;
      }
      --i;
      --j;
    } else {
      flush_range();
      if (at(i - 1, j) > at(i, j - 1)) {
        --i;
      } else {
        --j;
      }
    }
  }
  flush_range();
  if (!want_idx) {
    ctx.reply.Bulk(lcs);
    return;
  }
  ctx.reply.MapHeader(2);
  ctx.reply.Bulk("matches");
  ctx.reply.ArrayHeader(ranges.size());
  for (const Range& r : ranges) {
    ctx.reply.ArrayHeader(with_match_len ? 3 : 2);
    ctx.reply.ArrayHeader(2);
    ctx.reply.Integer(r.a_start);
    ctx.reply.Integer(r.a_end);
    ctx.reply.ArrayHeader(2);
    ctx.reply.Integer(r.b_start);
    ctx.reply.Integer(r.b_end);
    if (with_match_len) ctx.reply.Integer(r.a_end - r.a_start + 1);
  }
  ctx.reply.Bulk("len");
  ctx.reply.Integer(total);
}

// SET's key is overwritten, unless GET also reads it (Redis's setGetKeys).
void SetKeyFlags(Args argv, std::vector<KeyRef>* out) {
  bool get = false;
  for (size_t i = 3; i < argv.size(); ++i) get = get || EqualsIgnoreCase(argv[i], "get");
  out->push_back({1, get ? kKeyRW | kKeyAccess | kKeyUpdate : kKeyOW | kKeyUpdate});
}

Command Make(const char* name, int arity, uint32_t flags, std::vector<KeySpec> keys, Handler h,
             const char* summary, const char* since, const char* complexity = "O(1)") {
  return MakeCommand(name, arity, flags, std::move(keys), h, "string", summary, since, complexity);
}

}  // namespace

void RegisterStringCommands(CommandTable* t) {
  // The key specs most string commands share.
  constexpr KeySpec kRead{.flags = kKeyRO | kKeyAccess, .index = 1};
  constexpr KeySpec kReadWrite{.flags = kKeyRW | kKeyAccess | kKeyUpdate, .index = 1};
  constexpr KeySpec kOverwrite{.flags = kKeyOW | kKeyUpdate, .index = 1};
  t->Register(
      Make("set", -3, kWrite | kDenyOom,
           {{.notes = "RW and ACCESS due to the optional `GET` argument",
             .flags = kKeyRW | kKeyAccess | kKeyUpdate | kKeyVariableFlags,
             .index = 1}},
           SetCommand, "Set the string value of a key", "1.0.0")
          .WithKeyFlags(SetKeyFlags)
          .WithHistory({{"2.6.12", "Added the `EX`, `PX`, `NX` and `XX` options."},
                        {"6.0.0", "Added the `KEEPTTL` option."},
                        {"6.2.0", "Added the `GET`, `EXAT` and `PXAT` option."},
                        {"7.0.0", "Allowed the `NX` and `GET` options to be used together."}})
          .WithArgs(
              {arg::Key("key", 0), arg::String("value"),
               arg::OneOf("condition", {arg::Token("nx", "NX"), arg::Token("xx", "XX")})
                   .Since("2.6.12")
                   .Optional(),
               arg::Token("get", "GET").Since("6.2.0").Optional(),
               arg::OneOf("expiration",
                          {arg::Integer("seconds").Token("EX").Since("2.6.12"),
                           arg::Integer("milliseconds").Token("PX").Since("2.6.12"),
                           arg::UnixTime("unix-time-seconds").Token("EXAT").Since("6.2.0"),
                           arg::UnixTime("unix-time-milliseconds").Token("PXAT").Since("6.2.0"),
                           arg::Token("keepttl", "KEEPTTL").Since("6.0.0")})
                   .Optional()}));
  t->Register(
      Make("get", 2, kReadonly | kFast, {kRead}, GetCommand, "Get the value of a key", "1.0.0")
          .WithArgs({arg::Key("key", 0)}));
  t->Register(
      Make("getex", -2, kWrite | kFast,
           {{.notes = "RW and UPDATE because it changes the TTL",
             .flags = kKeyRW | kKeyAccess | kKeyUpdate,
             .index = 1}},
           GetexCommand, "Get the value of a key and optionally set its expiration", "6.2.0")
          .WithArgs(
              {arg::Key("key", 0),
               arg::OneOf("expiration", {arg::Integer("seconds").Token("EX"),
                                         arg::Integer("milliseconds").Token("PX"),
                                         arg::UnixTime("unix-time-seconds").Token("EXAT"),
                                         arg::UnixTime("unix-time-milliseconds").Token("PXAT"),
                                         arg::Token("persist", "PERSIST")})
                   .Optional()}));
  t->Register(Make("getdel", 2, kWrite | kFast,
                   {{.flags = kKeyRW | kKeyAccess | kKeyDelete, .index = 1}}, GetdelCommand,
                   "Get the value of a key and delete the key", "6.2.0")
                  .WithArgs({arg::Key("key", 0)}));
  t->Register(Make("getset", 3, kWrite | kDenyOom | kFast, {kReadWrite}, GetsetCommand,
                   "Set the string value of a key and return its old value", "1.0.0")
                  .Deprecated("6.2.0", "`SET` with the `!GET` argument")
                  .WithArgs({arg::Key("key", 0), arg::String("value")}));
  t->Register(Make("setnx", 3, kWrite | kDenyOom | kFast,
                   {{.flags = kKeyOW | kKeyInsert, .index = 1}}, SetnxCommand,
                   "Set the value of a key, only if the key does not exist", "1.0.0")
                  .WithArgs({arg::Key("key", 0), arg::String("value")}));
  t->Register(Make("setex", 4, kWrite | kDenyOom, {kOverwrite}, SetexCommand,
                   "Set the value and expiration of a key", "2.0.0")
                  .WithArgs({arg::Key("key", 0), arg::Integer("seconds"), arg::String("value")}));
  t->Register(
      Make("psetex", 4, kWrite | kDenyOom, {kOverwrite}, PsetexCommand,
           "Set the value and expiration in milliseconds of a key", "2.6.0")
          .WithArgs({arg::Key("key", 0), arg::Integer("milliseconds"), arg::String("value")}));
  t->Register(
      Make("mset", -3, kWrite | kDenyOom,
           {{.flags = kKeyOW | kKeyUpdate, .index = 1, .lastkey = -1, .keystep = 2}}, MsetCommand,
           "Set multiple keys to multiple values", "1.0.1",
           "O(N) where N is the number of keys to set.")
          .WithTips({"request_policy:multi_shard", "response_policy:all_succeeded"})
          .WithArgs(
              {arg::Block("key_value", {arg::Key("key", 0), arg::String("value")}).Multiple()}));
  t->Register(
      Make("msetnx", -3, kWrite | kDenyOom,
           {{.flags = kKeyOW | kKeyInsert, .index = 1, .lastkey = -1, .keystep = 2}}, MsetnxCommand,
           "Set multiple keys to multiple values, only if none of the keys exist", "1.0.1",
           "O(N) where N is the number of keys to set.")
          .WithTips({"request_policy:multi_shard", "response_policy:agg_min"})
          .WithArgs(
              {arg::Block("key_value", {arg::Key("key", 0), arg::String("value")}).Multiple()}));
  t->Register(Make("mget", -2, kReadonly | kFast,
                   {{.flags = kKeyRO | kKeyAccess, .index = 1, .lastkey = -1}}, MgetCommand,
                   "Get the values of all the given keys", "1.0.0",
                   "O(N) where N is the number of keys to retrieve.")
                  .WithTips({"request_policy:multi_shard"})
                  .WithArgs({arg::Key("key", 0).Multiple()}));
  t->Register(Make("incr", 2, kWrite | kDenyOom | kFast, {kReadWrite}, IncrCommand,
                   "Increment the integer value of a key by one", "1.0.0")
                  .WithArgs({arg::Key("key", 0)}));
  t->Register(Make("decr", 2, kWrite | kDenyOom | kFast, {kReadWrite}, DecrCommand,
                   "Decrement the integer value of a key by one", "1.0.0")
                  .WithArgs({arg::Key("key", 0)}));
  t->Register(Make("incrby", 3, kWrite | kDenyOom | kFast, {kReadWrite}, IncrbyCommand,
                   "Increment the integer value of a key by the given amount", "1.0.0")
                  .WithArgs({arg::Key("key", 0), arg::Integer("increment")}));
  t->Register(Make("decrby", 3, kWrite | kDenyOom | kFast, {kReadWrite}, DecrbyCommand,
                   "Decrement the integer value of a key by the given number", "1.0.0")
                  .WithArgs({arg::Key("key", 0), arg::Integer("decrement")}));
  t->Register(Make("incrbyfloat", 3, kWrite | kDenyOom | kFast, {kReadWrite}, IncrbyfloatCommand,
                   "Increment the float value of a key by the given amount", "2.6.0")
                  .WithArgs({arg::Key("key", 0), arg::Double("increment")}));
  t->Register(
      Make("append", 3, kWrite | kDenyOom | kFast, {{.flags = kKeyRW | kKeyInsert, .index = 1}},
           AppendCommand, "Append a value to a key", "2.0.0",
           "O(1). The amortized time complexity is O(1) assuming the appended value is small and "
           "the already present value is of any size, since the dynamic string library used by "
           "Redis will double the free space available on every reallocation.")
          .WithArgs({arg::Key("key", 0), arg::String("value")}));
  t->Register(Make("strlen", 2, kReadonly | kFast, {{.flags = kKeyRO, .index = 1}}, StrlenCommand,
                   "Get the length of the value stored in a key", "2.2.0")
                  .WithArgs({arg::Key("key", 0)}));
  t->Register(
      Make("getrange", 4, kReadonly, {kRead}, GetrangeCommand,
           "Get a substring of the string stored at a key", "2.4.0",
           "O(N) where N is the length of the returned string. The complexity is ultimately "
           "determined by the returned length, but because creating a substring from an existing "
           "string is very cheap, it can be considered O(1) for small strings.")
          .WithArgs({arg::Key("key", 0), arg::Integer("start"), arg::Integer("end")}));
  t->Register(
      Make("substr", 4, kReadonly, {kRead}, GetrangeCommand,
           "Get a substring of the string stored at a key", "1.0.0",
           "O(N) where N is the length of the returned string. The complexity is ultimately "
           "determined by the returned length, but because creating a substring from an existing "
           "string is very cheap, it can be considered O(1) for small strings.")
          .Deprecated("2.0.0", "`GETRANGE`")
          .WithArgs({arg::Key("key", 0), arg::Integer("start"), arg::Integer("end")}));
  t->Register(Make("setrange", 4, kWrite | kDenyOom, {{.flags = kKeyRW | kKeyUpdate, .index = 1}},
                   SetrangeCommand,
                   "Overwrite part of a string at key starting at the specified offset", "2.2.0",
                   "O(1), not counting the time taken to copy the new string in place. Usually, "
                   "this string is very small so the amortized complexity is O(1). Otherwise, "
                   "complexity is O(M) with M being the length of the value argument.")
                  .WithArgs({arg::Key("key", 0), arg::Integer("offset"), arg::String("value")}));
  t->Register(
      Make("lcs", -3, kReadonly, {{.flags = kKeyRO | kKeyAccess, .index = 1, .lastkey = 1}},
           LcsCommand, "Find longest common substring", "7.0.0",
           "O(N*M) where N and M are the lengths of s1 and s2, respectively")
          .WithArgs({arg::Key("key1", 0), arg::Key("key2", 0), arg::Token("len", "LEN").Optional(),
                     arg::Token("idx", "IDX").Optional(),
                     arg::Integer("len").Token("MINMATCHLEN").Optional(),
                     arg::Token("withmatchlen", "WITHMATCHLEN").Optional()}));
}

}  // namespace pykv::cmd
