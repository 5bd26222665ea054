// The generic key family: DEL, EXISTS, TYPE, RENAME, COPY, KEYS, SCAN, RANDOMKEY, DBSIZE,
// FLUSHDB/FLUSHALL, TOUCH and OBJECT (Redis 7.0 semantics). PyKV has one database and one
// value type (string), so DB arguments other than 0 and types other than "string" only
// ever select nothing.
#include <cstdint>
#include <iterator>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "commands/arg_cursor.h"
#include "commands/context.h"
#include "commands/dispatcher.h"
#include "commands/errors.h"
#include "commands/families.h"
#include "common/glob.h"
#include "common/numbers.h"

namespace pykv::cmd {

namespace {

using store::Entry;

// The same test the keyspace applies on lookup (a key lives through its expiry
// millisecond), for the walks that see entries without looking them up.
bool IsExpired(const Entry* e, int64_t now_ms) {
  return e->has_expire() && e->expire_at_ms() < now_ms;
}

const char* TypeName(const Entry* e) {
  switch (e->type()) {
    case store::ValueType::kString:
      return "string";
  }
  return "none";
}

// DEL and UNLINK are the same here: values are freed inline either way (a string is one
// allocation, so there is nothing worth handing to a background thread).
void DelCommand(CommandContext& ctx) {
  int64_t deleted = 0;
  for (size_t i = 1; i < ctx.args.size(); ++i) {
    if (ctx.keyspace.Delete(ctx.args[i])) {
      ++deleted;
      ctx.dispatcher.notifier().Notify(kNotifyGeneric, "del", ctx.args[i]);
    }
  }
  if (deleted > 0) ctx.MarkDirty(static_cast<uint64_t>(deleted));
  ctx.reply.Integer(deleted);
}

void ExistsCommand(CommandContext& ctx) {
  // Repeated keys count each time, as in Redis; existence checks do not refresh the LRU.
  int64_t count = 0;
  for (size_t i = 1; i < ctx.args.size(); ++i) {
    if (ctx.keyspace.FindNoTouch(ctx.args[i]) != nullptr) ++count;
  }
  ctx.reply.Integer(count);
}

void TypeCommand(CommandContext& ctx) {
  const Entry* e = ctx.keyspace.FindNoTouch(ctx.args[1]);
  ctx.reply.Simple(e != nullptr ? TypeName(e) : "none");
}

void RenameGeneric(CommandContext& ctx, bool nx) {
  std::string_view src = ctx.args[1];
  std::string_view dst = ctx.args[2];
  if (ctx.keyspace.FindForWrite(src) == nullptr) {
    ctx.reply.Error(err::kNoSuchKey);
    return;
  }
  if (src == dst) {
    // Renaming a key to itself changes nothing: no dirty, nothing to propagate.
    if (nx) {
      ctx.reply.Integer(0);
    } else {
      ctx.reply.Ok();
    }
    return;
  }
  if (nx && ctx.keyspace.FindForWrite(dst) != nullptr) {
    ctx.reply.Integer(0);
    return;
  }
  ctx.keyspace.Rename(src, dst);
  ctx.MarkDirty();
  ctx.dispatcher.notifier().Notify(kNotifyGeneric, "rename_from", src);
  ctx.dispatcher.notifier().Notify(kNotifyGeneric, "rename_to", dst);
  if (nx) {
    ctx.reply.Integer(1);
  } else {
    ctx.reply.Ok();
  }
}

void RenameCommand(CommandContext& ctx) {
  RenameGeneric(ctx, /*nx=*/false);
}
void RenamenxCommand(CommandContext& ctx) {
  RenameGeneric(ctx, /*nx=*/true);
}

void CopyCommand(CommandContext& ctx) {
  bool replace = false;
  ArgCursor cur(ctx.args, 3);
  while (!cur.done()) {
    if (cur.Accept("REPLACE")) {
      replace = true;
    } else if (cur.remaining() >= 2 && cur.Accept("DB")) {
      int64_t db;
      if (!cur.NextInt64(&db)) {
        ctx.reply.Error(err::kNotInteger);
        return;
      }
      // One database: any other index is what Redis says for a db beyond `databases`.
      if (db != 0) {
        ctx.reply.Error(err::kDbIndex);
        return;
      }
    } else {
      ctx.reply.Error(err::kSyntax);
      return;
    }
  }
  std::string_view src = ctx.args[1];
  std::string_view dst = ctx.args[2];
  if (src == dst) {
    ctx.reply.Error("ERR source and destination objects are the same");
    return;
  }
  const Entry* e = ctx.keyspace.Find(src);
  if (e == nullptr) {
    ctx.reply.Integer(0);
    return;
  }
  // Copied out first: storing dst may evict (maxkeys) or move entries, which would leave
  // a view into src's bytes dangling.
  std::string value(e->value());
  int64_t expire_at_ms = e->expire_at_ms();
  const store::StringForm form = e->string_form();
  if (ctx.keyspace.FindForWrite(dst) != nullptr) {
    if (!replace) {
      ctx.reply.Integer(0);
      return;
    }
    // Replaced as Redis does it (delete, then add), so "new" is reported for dst too.
    ctx.keyspace.Delete(dst);
  }
  ctx.keyspace.Set(dst, value, expire_at_ms, /*keep_ttl=*/false, form);
  ctx.MarkDirty();
  ctx.dispatcher.notifier().Notify(kNotifyGeneric, "copy_to", dst);
  ctx.reply.Integer(1);
}

void KeysCommand(CommandContext& ctx) {
  std::string_view pattern = ctx.args[1];
  const bool all = pattern == "*";
  const int64_t now_ms = ctx.now_ms();
  std::vector<std::string> keys;
  // ForEach must not modify the keyspace, so expired keys are skipped rather than removed
  // (Redis's KEYS does the same); active expiry or the next lookup removes them.
  ctx.keyspace.ForEach([&](const Entry* e) {
    if (IsExpired(e, now_ms)) return;
    if (all || GlobMatch(pattern, e->key())) keys.emplace_back(e->key());
  });
  ctx.reply.BulkArray(keys);
}

// Redis parses the SCAN cursor with strtoul: leading '+' or '-' (which wraps) and leading
// zeros are accepted, leading white space, trailing bytes and overflow are not, and an
// empty string is cursor 0.
bool ParseScanCursor(std::string_view s, uint64_t* out) {
  if (s.empty()) {
    *out = 0;
    return true;
  }
  size_t i = 0;
  bool negative = false;
  if (s[0] == '+' || s[0] == '-') {
    negative = s[0] == '-';
    ++i;
  }
  if (i == s.size()) return false;
  uint64_t v = 0;
  for (; i < s.size(); ++i) {
    char c = s[i];
    if (c < '0' || c > '9') return false;
    uint64_t d = static_cast<uint64_t>(c - '0');
    if (v > (std::numeric_limits<uint64_t>::max() - d) / 10) return false;
    v = v * 10 + d;
  }
  *out = negative ? (~v + 1) : v;  // strtoul negates in unsigned arithmetic
  return true;
}

void ScanCommand(CommandContext& ctx) {
  uint64_t cursor;
  if (!ParseScanCursor(ctx.args[1], &cursor)) {
    ctx.reply.Error("ERR invalid cursor");
    return;
  }
  int64_t count = 10;
  std::string_view pattern;
  bool use_pattern = false;
  std::string_view type;
  bool use_type = false;
  ArgCursor cur(ctx.args, 2);
  while (!cur.done()) {
    if (cur.remaining() >= 2 && cur.Accept("COUNT")) {
      if (!cur.NextInt64(&count)) {
        ctx.reply.Error(err::kNotInteger);
        return;
      }
      if (count < 1) {
        ctx.reply.Error(err::kSyntax);
        return;
      }
    } else if (cur.remaining() >= 2 && cur.Accept("MATCH")) {
      pattern = cur.Next();
      use_pattern = pattern != "*";
    } else if (cur.remaining() >= 2 && cur.Accept("TYPE")) {
      type = cur.Next();
      use_type = true;
    } else {
      ctx.reply.Error(err::kSyntax);
      return;
    }
  }

  struct Found {
    std::string key;
    bool expired;
  };
  std::vector<Found> found;
  const int64_t now_ms = ctx.now_ms();
  uint64_t next = ctx.keyspace.Scan(cursor, static_cast<size_t>(count), [&](const Entry* e) {
    if (use_pattern && !GlobMatch(pattern, e->key())) return;
    if (use_type && !EqualsIgnoreCase(type, TypeName(e))) return;
    found.push_back({std::string(e->key()), IsExpired(e, now_ms)});
  });
  std::vector<std::string_view> keys;
  keys.reserve(found.size());
  for (const Found& f : found) {
    // As Redis does, an expired key met by SCAN is removed now (Peek does it, and the
    // keyspace reports it so the DEL is propagated); it is not returned.
    if (f.expired && ctx.keyspace.Peek(f.key) == nullptr) continue;
    keys.push_back(f.key);
  }
  ctx.reply.ArrayHeader(2);
  ctx.reply.Bulk(std::to_string(next));
  ctx.reply.BulkArray(keys);
}

void RandomkeyCommand(CommandContext& ctx) {
  const Entry* e = ctx.keyspace.RandomEntry();
  if (e == nullptr) {
    ctx.reply.Null();
  } else {
    ctx.reply.Bulk(e->key());
  }
}

void DbsizeCommand(CommandContext& ctx) {
  ctx.reply.Integer(static_cast<int64_t>(ctx.keyspace.size()));
}

// FLUSHDB and FLUSHALL [ASYNC|SYNC]: with one database they are the same command. Both
// modes free inline; ASYNC is accepted for compatibility.
void FlushCommand(CommandContext& ctx) {
  if (ctx.args.size() > 2 || (ctx.args.size() == 2 && !EqualsIgnoreCase(ctx.args[1], "ASYNC") &&
                              !EqualsIgnoreCase(ctx.args[1], "SYNC"))) {
    ctx.reply.Error(err::kSyntax);
    return;
  }
  uint64_t removed = ctx.keyspace.size();
  ctx.keyspace.Clear();
  // Propagated even when the data set was already empty, as Redis does: a replica or an
  // AOF may hold keys the primary no longer has.
  ctx.MarkDirty(removed > 0 ? removed : 1);
  ctx.reply.Ok();
}

void TouchCommand(CommandContext& ctx) {
  int64_t count = 0;
  for (size_t i = 1; i < ctx.args.size(); ++i) {
    if (ctx.keyspace.Find(ctx.args[i]) != nullptr) ++count;
  }
  ctx.reply.Integer(count);
}

// ---- OBJECT ----

// OBJECT's subcommands inspect a key without touching its LRU position (Redis's
// LOOKUP_NOTOUCH); a missing key answers null.
const Entry* ObjectLookup(CommandContext& ctx) {
  const Entry* e = ctx.keyspace.FindNoTouch(ctx.args[2]);
  if (e == nullptr) ctx.reply.Null();
  return e;
}

void ObjectEncodingCommand(CommandContext& ctx) {
  const Entry* e = ObjectLookup(ctx);
  if (e == nullptr) return;
  ctx.reply.Bulk(StringEncodingName(*e));
}

void ObjectIdletimeCommand(CommandContext& ctx) {
  const Entry* e = ObjectLookup(ctx);
  if (e == nullptr) return;
  ctx.reply.Integer(static_cast<int64_t>(ctx.keyspace.IdleSeconds(e)));
}

void ObjectFreqCommand(CommandContext& ctx) {
  if (ObjectLookup(ctx) == nullptr) return;
  // PyKV keeps an exact LRU and no LFU counters: answer what Redis answers under an LRU
  // policy.
  ctx.reply.Error(
      "ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please "
      "note that when switching between policies at runtime LRU and LFU data will take some "
      "time to adjust.");
}

void ObjectRefcountCommand(CommandContext& ctx) {
  if (ObjectLookup(ctx) == nullptr) return;
  // Values are never shared between keys.
  ctx.reply.Integer(1);
}

void ObjectHelpCommand(CommandContext& ctx) {
  static constexpr const char* kLines[] = {
      "OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "ENCODING <key>",
      "    Return the kind of internal representation used in order to store the value",
      "    associated with a <key>.",
      "FREQ <key>",
      "    Return the access frequency index of the <key>. The returned integer is",
      "    proportional to the logarithm of the recent access frequency of the key.",
      "IDLETIME <key>",
      "    Return the idle time of the <key>, that is the approximated number of",
      "    seconds elapsed since the last access to the key.",
      "REFCOUNT <key>",
      "    Return the number of references of the value associated with the specified",
      "    <key>.",
      "HELP",
      "    Prints this help.",
  };
  ctx.reply.ArrayHeader(std::size(kLines));
  for (const char* line : kLines) ctx.reply.Simple(line);
}

// Reached only for "OBJECT" alone, which the arity check (-2) already refuses; kept so the
// record has a handler like every other.
void ObjectContainerCommand(CommandContext& ctx) {
  ctx.reply.Error(err::WrongArgs(ctx.command.name));
}

Command Make(const char* name, int arity, uint32_t flags, std::vector<KeySpec> keys, Handler h,
             const char* summary, const char* since, const char* complexity = "O(1)") {
  return MakeCommand(name, arity, flags, std::move(keys), h, "generic", summary, since, complexity);
}

// FLUSHDB and FLUSHALL: one handler, one record but for the words.
Command Flush(const char* name, const char* summary, const char* complexity) {
  return MakeCommand(name, -1, kWrite, {}, FlushCommand, "server", summary, "1.0.0", complexity)
      .WithCategories(kCatDangerous | kCatKeyspace)
      .WithTips({"request_policy:all_shards", "response_policy:all_succeeded"})
      .WithHistory({{"4.0.0", "Added the `ASYNC` flushing mode modifier."},
                    {"6.2.0", "Added the `SYNC` flushing mode modifier."}})
      .WithArgs({arg::OneOf("async", {arg::Token("async", "ASYNC").Since("4.0.0"),
                                      arg::Token("sync", "SYNC").Since("6.2.0")})
                     .Optional()});
}

}  // namespace

// The encoding Redis would report (tryObjectEncoding for values set whole): an integer
// that fits a long, else the embedded form up to 44 bytes, else raw; a value edited in
// place is always raw and INCRBYFLOAT's result never int, as in Redis.
const char* StringEncodingName(const store::Entry& e) {
  std::string_view v = e.value();
  int64_t n;
  const store::StringForm form = e.string_form();
  if (form == store::StringForm::kRaw) return "raw";
  if (form == store::StringForm::kByContent && v.size() <= 20 && ParseInt64(v, &n)) return "int";
  return v.size() <= 44 ? "embstr" : "raw";
}

void RegisterKeyCommands(CommandTable* t) {
  constexpr KeySpec kDeleteAll{.flags = kKeyRM | kKeyDelete, .index = 1, .lastkey = -1};
  constexpr KeySpec kPeekAll{.flags = kKeyRO, .index = 1, .lastkey = -1};
  constexpr KeySpec kSubcommandKey{.flags = kKeyRO, .index = 2};  // OBJECT <sub> key
  t->Register(Make("del", -2, kWrite, {kDeleteAll}, DelCommand, "Delete a key", "1.0.0",
                   "O(N) where N is the number of keys that will be removed. When a key to remove "
                   "holds a value other than a string, the individual complexity for this key is "
                   "O(M) where M is the number of elements in the list, set, sorted set or hash. "
                   "Removing a single key that holds a string value is O(1).")
                  .WithTips({"request_policy:multi_shard", "response_policy:agg_sum"})
                  .WithArgs({arg::Key("key", 0).Multiple()}));
  t->Register(Make("unlink", -2, kWrite | kFast, {kDeleteAll}, DelCommand,
                   "Delete a key asynchronously in another thread. Otherwise it is just as DEL, "
                   "but non blocking.",
                   "4.0.0",
                   "O(1) for each key removed regardless of its size. Then the command does O(N) "
                   "work in a different thread in order to reclaim memory, where N is the number "
                   "of allocations the deleted objects where composed of.")
                  .WithTips({"request_policy:multi_shard", "response_policy:agg_sum"})
                  .WithArgs({arg::Key("key", 0).Multiple()}));
  t->Register(Make("exists", -2, kReadonly | kFast, {kPeekAll}, ExistsCommand,
                   "Determine if a key exists", "1.0.0",
                   "O(N) where N is the number of keys to check.")
                  .WithTips({"request_policy:multi_shard", "response_policy:agg_sum"})
                  .WithHistory({{"3.0.3", "Accepts multiple `key` arguments."}})
                  .WithArgs({arg::Key("key", 0).Multiple()}));
  t->Register(Make("type", 2, kReadonly | kFast, {{.flags = kKeyRO, .index = 1}}, TypeCommand,
                   "Determine the type stored at key", "1.0.0")
                  .WithArgs({arg::Key("key", 0)}));
  t->Register(Make("rename", 3, kWrite,
                   {{.flags = kKeyRW | kKeyAccess | kKeyDelete, .index = 1},
                    {.flags = kKeyOW | kKeyUpdate, .index = 2}},
                   RenameCommand, "Rename a key", "1.0.0")
                  .WithArgs({arg::Key("key", 0), arg::Key("newkey", 1)}));
  t->Register(Make("renamenx", 3, kWrite | kFast,
                   {{.flags = kKeyRW | kKeyAccess | kKeyDelete, .index = 1},
                    {.flags = kKeyOW | kKeyInsert, .index = 2}},
                   RenamenxCommand, "Rename a key, only if the new key does not exist", "1.0.0")
                  .WithHistory({{"3.2.0",
                                 "The command no longer returns an error when source and "
                                 "destination names are the same."}})
                  .WithArgs({arg::Key("key", 0), arg::Key("newkey", 1)}));
  t->Register(
      Make("copy", -3, kWrite | kDenyOom,
           {{.flags = kKeyRO | kKeyAccess, .index = 1}, {.flags = kKeyOW | kKeyUpdate, .index = 2}},
           CopyCommand, "Copy a key", "6.2.0",
           "O(N) worst case for collections, where N is the number of nested items. O(1) for "
           "string values.")
          .WithArgs({arg::Key("source", 0), arg::Key("destination", 1),
                     arg::Integer("destination-db").Token("DB").Optional(),
                     arg::Token("replace", "REPLACE").Optional()}));
  t->Register(Make("keys", 2, kReadonly, {}, KeysCommand,
                   "Find all keys matching the given pattern", "1.0.0",
                   "O(N) with N being the number of keys in the database, under the assumption "
                   "that the key names in the database and the given pattern have limited length.")
                  .WithCategories(kCatDangerous)
                  .WithTips({"request_policy:all_shards", "nondeterministic_output_order"})
                  .WithArgs({arg::Pattern("pattern")}));
  t->Register(
      Make("scan", -2, kReadonly, {}, ScanCommand, "Incrementally iterate the keys space", "2.8.0",
           "O(1) for every call. O(N) for a complete iteration, including enough command calls for "
           "the cursor to return back to 0. N is the number of elements inside the collection.")
          .WithTips({"nondeterministic_output", "request_policy:special"})
          .WithHistory({{"6.0.0", "Added the `TYPE` subcommand."}})
          .WithArgs({arg::Integer("cursor"), arg::Pattern("pattern").Token("MATCH").Optional(),
                     arg::Integer("count").Token("COUNT").Optional(),
                     arg::String("type").Token("TYPE").Since("6.0.0").Optional()}));
  t->Register(Make("randomkey", 1, kReadonly, {}, RandomkeyCommand,
                   "Return a random key from the keyspace", "1.0.0")
                  .WithTips({"request_policy:all_shards", "nondeterministic_output"}));
  t->Register(MakeCommand("dbsize", 1, kReadonly | kFast, {}, DbsizeCommand, "server",
                          "Return the number of keys in the selected database", "1.0.0")
                  .WithCategories(kCatKeyspace)
                  .WithTips({"request_policy:all_shards", "response_policy:agg_sum"}));
  t->Register(Flush("flushdb", "Remove all keys from the current database",
                    "O(N) where N is the number of keys in the selected database"));
  t->Register(Flush("flushall", "Remove all keys from all databases",
                    "O(N) where N is the total number of keys in all databases"));
  t->Register(
      Make(
          "touch", -2, kReadonly | kFast, {kPeekAll}, TouchCommand,
          "Alters the last access time of a key(s). Returns the number of existing keys specified.",
          "3.2.1", "O(N) where N is the number of keys that will be touched.")
          .WithTips({"request_policy:multi_shard", "response_policy:agg_sum"})
          .WithArgs({arg::Key("key", 0).Multiple()}));
  t->Register(
      Make("object", -2, 0, {}, ObjectContainerCommand,
           "A container for object introspection commands", "2.2.3", "Depends on subcommand.")
          .WithSubcommands(
              {Make("object|encoding", 3, kReadonly, {kSubcommandKey}, ObjectEncodingCommand,
                    "Inspect the internal encoding of a Redis object", "2.2.3")
                   .WithTips({"nondeterministic_output"})
                   .WithArgs({arg::Key("key", 0)}),
               Make("object|freq", 3, kReadonly, {kSubcommandKey}, ObjectFreqCommand,
                    "Get the logarithmic access frequency counter of a Redis object", "4.0.0")
                   .WithTips({"nondeterministic_output"})
                   .WithArgs({arg::Key("key", 0)}),
               Make("object|idletime", 3, kReadonly, {kSubcommandKey}, ObjectIdletimeCommand,
                    "Get the time since a Redis object was last accessed", "2.2.3")
                   .WithTips({"nondeterministic_output"})
                   .WithArgs({arg::Key("key", 0)}),
               Make("object|refcount", 3, kReadonly, {kSubcommandKey}, ObjectRefcountCommand,
                    "Get the number of references to the value of the key", "2.2.3")
                   .WithTips({"nondeterministic_output"})
                   .WithArgs({arg::Key("key", 0)}),
               Make("object|help", 2, kLoadingOk | kStaleOk, {}, ObjectHelpCommand,
                    "Show helpful text about the different subcommands", "6.2.0")}));
}

}  // namespace pykv::cmd
