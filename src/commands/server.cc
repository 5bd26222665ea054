// The server family: INFO, CONFIG, TIME, LASTSAVE, SHUTDOWN, MONITOR, SLOWLOG, LATENCY,
// MEMORY and DEBUG. Server-wide facts come from the ServerContext; this file only parses
// and formats.
#include <chrono>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <string>
#include <thread>
#include <unordered_set>

#include "commands/arg_cursor.h"
#include "commands/context.h"
#include "commands/dispatcher.h"
#include "commands/errors.h"
#include "commands/families.h"
#include "common/numbers.h"

namespace pykv::cmd {

namespace {

void ReplyHelp(CommandContext& ctx, std::initializer_list<const char*> lines) {
  ctx.reply.ArrayHeader(lines.size());
  for (const char* l : lines) ctx.reply.Simple(l);
}

void InfoCommand(CommandContext& ctx) {
  std::vector<std::string> sections;
  for (size_t i = 1; i < ctx.args.size(); ++i) sections.push_back(ToLower(ctx.args[i]));
  ctx.reply.Verbatim(ctx.server.Info(sections));
}

// ---- CONFIG ----

void ConfigGetCommand(CommandContext& ctx) {
  std::vector<std::pair<std::string, std::string>> all;
  std::unordered_set<std::string> seen;
  for (size_t i = 2; i < ctx.args.size(); ++i) {
    for (auto& kv : ctx.server.ConfigGet(ctx.args[i])) {
      if (seen.insert(kv.first).second) all.push_back(std::move(kv));
    }
  }
  ctx.reply.MapHeader(all.size());
  for (const auto& [k, v] : all) {
    ctx.reply.Bulk(k);
    ctx.reply.Bulk(v);
  }
}

void ConfigSetCommand(CommandContext& ctx) {
  if ((ctx.args.size() - 2) % 2 != 0) {
    ctx.reply.Error(err::kSyntax);
    return;
  }
  std::vector<std::pair<std::string, std::string>> pairs;
  for (size_t i = 2; i + 1 < ctx.args.size(); i += 2) {
    pairs.emplace_back(ToLower(ctx.args[i]), std::string(ctx.args[i + 1]));
    if (ctx.server.ConfigIsSensitive(pairs.back().first)) ctx.Redact(i + 1);
  }
  Status s = ctx.server.ConfigSet(pairs);
  if (!s.ok()) {
    ctx.reply.Error(s.message());
    return;
  }
  ctx.reply.Ok();
}

void ConfigRewriteCommand(CommandContext& ctx) {
  Status s = ctx.server.ConfigRewrite();
  if (!s.ok()) {
    ctx.reply.Error(s.message());
    return;
  }
  ctx.reply.Ok();
}

void ConfigResetstatCommand(CommandContext& ctx) {
  ctx.server.ResetStats();
  ctx.reply.Ok();
}

void ConfigHelpCommand(CommandContext& ctx) {
  ReplyHelp(ctx,
            {"CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:", "GET <pattern>",
             "    Return parameters matching the glob-like <pattern> and their values.",
             "SET <directive> <value>", "    Set the configuration <directive> to <value>.",
             "RESETSTAT", "    Reset statistics reported by the INFO command.", "REWRITE",
             "    Rewrite the configuration file.", "HELP", "    Prints this help."});
}

// ---- misc ----

void TimeCommand(CommandContext& ctx) {
  int64_t us = std::chrono::duration_cast<std::chrono::microseconds>(
                   std::chrono::system_clock::now().time_since_epoch())
                   .count();
  ctx.reply.ArrayHeader(2);
  ctx.reply.Bulk(Int64ToString(us / 1000000));
  ctx.reply.Bulk(Int64ToString(us % 1000000));
}

void LastsaveCommand(CommandContext& ctx) {
  ctx.reply.Integer(ctx.server.LastSaveTime());
}

void ShutdownCommand(CommandContext& ctx) {
  bool nosave = false, save = false, now = false, force = false, abort = false;
  for (size_t i = 1; i < ctx.args.size(); ++i) {
    std::string_view a = ctx.args[i];
    if (EqualsIgnoreCase(a, "NOSAVE")) {
      nosave = true;
    } else if (EqualsIgnoreCase(a, "SAVE")) {
      save = true;
    } else if (EqualsIgnoreCase(a, "NOW")) {
      now = true;
    } else if (EqualsIgnoreCase(a, "FORCE")) {
      force = true;
    } else if (EqualsIgnoreCase(a, "ABORT")) {
      abort = true;
    } else {
      ctx.reply.Error(err::kSyntax);
      return;
    }
  }
  if ((abort && (nosave || save || now || force)) || (nosave && save)) {
    ctx.reply.Error(err::kSyntax);
    return;
  }
  Status s = ctx.server.Shutdown(nosave, save, now, force, abort);
  if (!s.ok()) {
    ctx.reply.Error(s.message());
  } else if (abort) {
    ctx.reply.Ok();
  }
  // On success the server closes every connection; Redis sends no reply.
}

void BgrewriteaofCommand(CommandContext& ctx) {
  Status s = ctx.server.BackgroundRewriteAof();
  if (!s.ok()) {
    ctx.reply.Error(s.message());
    return;
  }
  ctx.reply.Simple("Background append only file rewriting started");
}

void BgsaveCommand(CommandContext& ctx) {
  // PyKV's snapshot is the AOF's base file: a background save is a rewrite.
  if (ctx.args.size() > 2 || (ctx.args.size() == 2 && !EqualsIgnoreCase(ctx.args[1], "SCHEDULE"))) {
    ctx.reply.Error(err::kSyntax);
    return;
  }
  Status s = ctx.server.BackgroundRewriteAof();
  if (!s.ok()) {
    ctx.reply.Error(s.message());
    return;
  }
  ctx.reply.Simple("Background saving started");
}

void SaveCommand(CommandContext& ctx) {
  Status s = ctx.server.SaveNow();
  if (!s.ok()) {
    ctx.reply.Error(s.message());
    return;
  }
  ctx.reply.Ok();
}

void MonitorCommand(CommandContext& ctx) {
  if (ctx.in_exec()) {
    // EXEC owes one reply per command; a stream of MONITOR lines cannot be one.
    ctx.reply.Error("ERR MONITOR isn't allowed for DENY BLOCKING client");
    return;
  }
  if (ctx.client.monitor) return;
  ctx.server.AddMonitor(ctx.client);
  ctx.reply.Ok();
}

// ---- SLOWLOG ----

void SlowlogGetCommand(CommandContext& ctx) {
  if (ctx.args.size() > 3) {
    ctx.reply.Error(err::SubcommandSyntax(ctx.args));
    return;
  }
  int64_t count = 10;
  if (ctx.args.size() == 3) {
    if (!ParseInt64(ctx.args[2], &count) || count < -1) {
      ctx.reply.Error("ERR count should be greater than or equal to -1");
      return;
    }
  }
  const auto& entries = ctx.dispatcher.slowlog().entries();
  size_t n = count < 0 ? entries.size() : std::min<size_t>(entries.size(), count);
  ctx.reply.ArrayHeader(n);
  for (size_t i = 0; i < n; ++i) {
    const SlowLogEntry& e = entries[i];
    ctx.reply.ArrayHeader(6);
    ctx.reply.Integer(static_cast<int64_t>(e.id));
    ctx.reply.Integer(e.unix_seconds);
    ctx.reply.Integer(e.duration_us);
    ctx.reply.BulkArray(e.args);
    ctx.reply.Bulk(e.client_addr);
    ctx.reply.Bulk(e.client_name);
  }
}

void SlowlogLenCommand(CommandContext& ctx) {
  ctx.reply.Integer(static_cast<int64_t>(ctx.dispatcher.slowlog().entries().size()));
}

void SlowlogResetCommand(CommandContext& ctx) {
  ctx.dispatcher.slowlog().Reset();
  ctx.reply.Ok();
}

void SlowlogHelpCommand(CommandContext& ctx) {
  ReplyHelp(ctx,
            {"SLOWLOG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:", "GET [<count>]",
             "    Return top <count> entries from the slowlog (default: 10, -1 mean all).",
             "    Entries are made of:",
             "    id, timestamp, time in microseconds, arguments array, client IP and port,",
             "    client name", "LEN", "    Return the length of the slowlog.", "RESET",
             "    Reset the slowlog.", "HELP", "    Prints this help."});
}

// ---- LATENCY ----

void LatencyLatestCommand(CommandContext& ctx) {
  const auto& events = ctx.dispatcher.latency().events();
  ctx.reply.ArrayHeader(events.size());
  for (const auto& [name, e] : events) {
    ctx.reply.ArrayHeader(4);
    ctx.reply.Bulk(name);
    ctx.reply.Integer(e.samples.back().unix_seconds);
    ctx.reply.Integer(static_cast<int64_t>(e.samples.back().ms));
    ctx.reply.Integer(static_cast<int64_t>(e.max_ms));
  }
}

void LatencyHistoryCommand(CommandContext& ctx) {
  const auto& events = ctx.dispatcher.latency().events();
  auto it = events.find(std::string(ctx.args[2]));
  if (it == events.end()) {
    ctx.reply.ArrayHeader(0);
    return;
  }
  ctx.reply.ArrayHeader(it->second.samples.size());
  for (const LatencySample& s : it->second.samples) {
    ctx.reply.ArrayHeader(2);
    ctx.reply.Integer(s.unix_seconds);
    ctx.reply.Integer(static_cast<int64_t>(s.ms));
  }
}

void LatencyResetCommand(CommandContext& ctx) {
  std::vector<std::string> names(ctx.args.begin() + 2, ctx.args.end());
  ctx.reply.Integer(static_cast<int64_t>(ctx.dispatcher.latency().Reset(names)));
}

void LatencyDoctorCommand(CommandContext& ctx) {
  const LatencyMonitor& lm = ctx.dispatcher.latency();
  std::string text;
  if (lm.threshold_ms() == 0) {
    text =
        "I'm sorry, I can't help you: latency monitoring is disabled in this PyKV instance. "
        "Enable it with \"CONFIG SET latency-monitor-threshold <milliseconds>\".\n";
  } else if (lm.events().empty()) {
    text = "No latency spikes were observed during the lifetime of this PyKV instance.\n";
  } else {
    text = "Latency spikes observed (threshold " + std::to_string(lm.threshold_ms()) + " ms):\n";
    for (const auto& [name, e] : lm.events()) {
      text += "- " + name + ": " + std::to_string(e.samples.size()) + " latency spikes, worst " +
              std::to_string(e.max_ms) + " ms.\n";
    }
    text +=
        "Check SLOWLOG GET for the slow commands, and avoid O(N) commands such as KEYS on "
        "large data sets.\n";
  }
  ctx.reply.Verbatim(text);
}

void LatencyHelpCommand(CommandContext& ctx) {
  ReplyHelp(ctx, {"LATENCY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:", "DOCTOR",
                  "    Return a human readable latency analysis report.", "HISTORY <event>",
                  "    Return time-latency samples for the <event> class.", "LATEST",
                  "    Return the latest latency samples for all events.", "RESET [<event> ...]",
                  "    Reset latency data of one or more <event> classes.",
                  "    (default: reset all data for all event classes)", "HELP",
                  "    Prints this help."});
}

// ---- MEMORY ----

void MemoryUsageCommand(CommandContext& ctx) {
  ArgCursor cur(ctx.args, 3);
  if (cur.Accept("SAMPLES")) {
    int64_t samples;
    if (!cur.NextInt64(&samples)) {
      ctx.reply.Error(cur.done() ? err::kSyntax : err::kNotInteger);
      return;
    }
    if (samples < 0) {
      ctx.reply.Error(err::kSyntax);
      return;
    }
  }
  if (!cur.done()) {
    ctx.reply.Error(err::kSyntax);
    return;
  }
  const store::Entry* e = ctx.keyspace.Peek(ctx.args[2]);
  if (e == nullptr) {
    ctx.reply.Null();
    return;
  }
  ctx.reply.Integer(static_cast<int64_t>(ctx.keyspace.EntryBytes(e)));
}

void MemoryDoctorCommand(CommandContext& ctx) {
  ctx.reply.Verbatim(
      "Hi Sam, I can't find any memory issue in your instance. I can only account for what "
      "occurs on this base.\n");
}

void MemoryStatsCommand(CommandContext& ctx) {
  size_t keys = ctx.keyspace.size();
  size_t used = ctx.server.UsedMemory();
  ctx.reply.MapHeader(4);
  ctx.reply.Bulk("total.allocated");
  ctx.reply.Integer(static_cast<int64_t>(used));
  ctx.reply.Bulk("keys.count");
  ctx.reply.Integer(static_cast<int64_t>(keys));
  ctx.reply.Bulk("keys.bytes-per-key");
  ctx.reply.Integer(keys ? static_cast<int64_t>(ctx.keyspace.bytes() / keys) : 0);
  ctx.reply.Bulk("dataset.bytes");
  ctx.reply.Integer(static_cast<int64_t>(ctx.keyspace.bytes()));
}

void MemoryPurgeCommand(CommandContext& ctx) {
  ctx.reply.Ok();
}

void MemoryHelpCommand(CommandContext& ctx) {
  ReplyHelp(ctx, {"MEMORY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:", "DOCTOR",
                  "    Return memory problems reports.", "PURGE",
                  "    Attempt to purge dirty pages for reclamation by the allocator.", "STATS",
                  "    Return information about the memory usage of the server.",
                  "USAGE <key> [SAMPLES <count>]",
                  "    Return memory in bytes used by <key> and its value. Nested values are",
                  "    sampled up to <count> times (default: 5, 0 means sample all).", "HELP",
                  "    Prints this help."});
}

// ---- DEBUG ----

// 64-bit mixing (splitmix64 finaliser) for the order-independent data set digest.
uint64_t Mix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

uint64_t HashBytes(std::string_view s, uint64_t seed) {
  uint64_t h = Mix(seed ^ s.size());
  for (unsigned char c : s) h = Mix(h ^ c);
  return h;
}

struct Digest {
  uint64_t lanes[3] = {0, 0, 0};
  bool empty = true;
  // with_key=false digests the value alone (DIGEST-VALUE: equal values, equal digests).
  void Add(const store::Entry* e, bool with_key = true) {
    for (int i = 0; i < 3; ++i) {
      uint64_t seed = 0x5bd1e995ull * static_cast<uint64_t>(i + 1);
      uint64_t h = with_key ? HashBytes(e->key(), seed) : seed;
      h = Mix(h ^ HashBytes(e->value(), seed + 7));
      if (with_key) h = Mix(h ^ static_cast<uint64_t>(e->expire_at_ms()));
      lanes[i] ^= h;  // xor: independent of iteration order
    }
    empty = false;
  }
  std::string Hex() const {
    if (empty) return std::string(40, '0');
    char buf[64];
    std::snprintf(buf, sizeof(buf), "%016" PRIx64 "%016" PRIx64 "%08" PRIx64, lanes[0], lanes[1],
                  lanes[2] >> 32);
    return buf;
  }
};

void DebugCommand(CommandContext& ctx) {
  if (!ctx.server.DebugAllowed(ctx.client)) {
    ctx.reply.Error(
        "ERR DEBUG command not allowed. If the enable-debug-command option is set to \"local\", "
        "you can run it from a local connection, otherwise you need to set this option in the "
        "configuration file, and then restart the server.");
    return;
  }
  std::string sub = ToLower(ctx.args[1]);
  size_t argc = ctx.args.size();
  if (sub == "sleep" && argc == 3) {
    long double secs;
    if (!ParseLongDouble(ctx.args[2], &secs) || secs < 0) {
      ctx.reply.Error(err::kNotFloat);
      return;
    }
    std::this_thread::sleep_for(std::chrono::microseconds(static_cast<int64_t>(secs * 1e6L)));
    ctx.reply.Ok();
  } else if (sub == "set-active-expire" && argc == 3) {
    ctx.server.SetActiveExpire(ctx.args[2] != "0");
    ctx.reply.Ok();
  } else if (sub == "digest" && argc == 2) {
    Digest d;
    ctx.keyspace.ForEach([&](const store::Entry* e) { d.Add(e); });
    ctx.reply.Simple(d.Hex());
  } else if (sub == "digest-value" && argc >= 2) {
    ctx.reply.ArrayHeader(argc - 2);
    for (size_t i = 2; i < argc; ++i) {
      Digest d;
      if (const store::Entry* e = ctx.keyspace.Peek(ctx.args[i])) d.Add(e, /*with_key=*/false);
      ctx.reply.Simple(d.Hex());
    }
  } else if (sub == "object" && argc == 3) {
    const store::Entry* e = ctx.keyspace.Peek(ctx.args[2]);
    if (e == nullptr) {
      ctx.reply.Error(err::kNoSuchKey);
      return;
    }
    char buf[256];
    std::snprintf(buf, sizeof(buf),
                  "Value at:%p refcount:1 encoding:%s serializedlength:%zu lru:%u "
                  "lru_seconds_idle:%" PRIu64,
                  static_cast<const void*>(e), StringEncodingName(*e), e->value().size(),
                  e->lru_seconds() & store::Entry::kRedisLruClockMask, ctx.keyspace.IdleSeconds(e));
    ctx.reply.Simple(buf);
  } else if (sub == "protocol" && argc == 3) {
    std::string type = ToLower(ctx.args[2]);
    if (type == "string") {
      ctx.reply.Bulk("Hello World");
    } else if (type == "integer") {
      ctx.reply.Integer(12345);
    } else if (type == "double") {
      ctx.reply.Double(3.141);
    } else if (type == "bignum") {
      ctx.reply.BigNumber("1234567999999999999999999999999999999");
    } else if (type == "null") {
      ctx.reply.Null();
    } else if (type == "array") {
      ctx.reply.ArrayHeader(3);
      for (int j = 0; j < 3; ++j) ctx.reply.Integer(j);
    } else if (type == "set") {
      ctx.reply.SetHeader(3);
      for (int j = 0; j < 3; ++j) ctx.reply.Integer(j);
    } else if (type == "map") {
      ctx.reply.MapHeader(3);
      for (int j = 0; j < 3; ++j) {
        ctx.reply.Integer(j);
        ctx.reply.Bool(j == 1);
      }
    } else if (type == "attrib") {
      if (ctx.reply.protocol() == 3) {
        ctx.reply.AttributeHeader(1);
        ctx.reply.Bulk("key-popularity");
        ctx.reply.ArrayHeader(2);
        ctx.reply.Bulk("key:123");
        ctx.reply.Integer(90);
      }
      ctx.reply.Bulk("Some real reply following the attribute");
    } else if (type == "push") {
      if (ctx.reply.protocol() != 3) {
        ctx.reply.Error("ERR RESP2 is not supported by this command");
        return;
      }
      ctx.reply.PushHeader(2);
      ctx.reply.Bulk("server-cpu-usage");
      ctx.reply.Integer(42);
      // Redis follows the push with the command's own reply.
      ctx.reply.Bulk("Some real reply following the push reply");
    } else if (type == "true") {
      ctx.reply.Bool(true);
    } else if (type == "false") {
      ctx.reply.Bool(false);
    } else if (type == "verbatim") {
      ctx.reply.Verbatim("This is a verbatim\nstring");
    } else {
      ctx.reply.Error(
          "ERR Wrong protocol type name. Please use one of the following: "
          "string|integer|double|bignum|null|array|set|map|attrib|push|verbatim|true|false");
    }
  } else if ((sub == "loadaof" || sub == "reload") && argc == 2) {
    Status s = ctx.server.DebugReload(/*rewrite_first=*/sub == "reload");
    if (!s.ok()) {
      ctx.reply.Error(s.message());
      return;
    }
    ctx.reply.Ok();
  } else if (sub == "help") {
    ReplyHelp(ctx,
              {"DEBUG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
               "DIGEST",
               "    Output a hex signature representing the current DB content.",
               "DIGEST-VALUE <key> [<key> ...]",
               "    Output a hex signature of the values of all the specified keys.",
               "LOADAOF",
               "    Flush the AOF buffers on disk and reload the AOF in memory.",
               "OBJECT <key>",
               "    Show low level info about the key and associated value.",
               "PROTOCOL <type>",
               "    Reply with a test value of the specified type. <type> can be: string,",
               "    integer, double, bignum, null, array, set, map, attrib, push, verbatim,",
               "    true, false.",
               "RELOAD",
               "    Rewrite the AOF (new base snapshot), empty the data set and load it back.",
               "SET-ACTIVE-EXPIRE <0|1>",
               "    Setting it to 0 disables expiring keys in background when they are not",
               "    accessed (otherwise the Redis behavior). Setting it to 1 reenables back the",
               "    default.",
               "SLEEP <seconds>",
               "    Stop the server for <seconds>. Decimals allowed.",
               "HELP",
               "    Prints this help."});
  } else {
    ctx.reply.Error("ERR unknown subcommand or wrong number of arguments for '" +
                    std::string(ctx.args[1]) + "'. Try DEBUG HELP.");
  }
}

void ContainerCommand(CommandContext& ctx) {
  ctx.reply.Error(err::WrongArgs(ctx.command.name));
}

Command Make(const char* name, int arity, uint32_t flags, Handler h, const char* summary,
             const char* since, const char* complexity = "O(1)") {
  return MakeCommand(name, arity, flags, {}, h, "server", summary, since, complexity);
}

}  // namespace

void RegisterServerCommands(CommandTable* t) {
  // LATENCY's reports: each node's own, which a cluster client gathers from all of them.
  const std::vector<std::string> kEachNodeReport = {
      "nondeterministic_output", "request_policy:all_nodes", "response_policy:special"};
  t->Register(Make("info", -1, kLoadingOk | kStaleOk, InfoCommand,
                   "Get information and statistics about the server", "1.0.0")
                  .WithCategories(kCatDangerous)
                  .WithTips({"nondeterministic_output", "request_policy:all_shards",
                             "response_policy:special"})
                  .WithHistory({{"7.0.0", "Added support for taking multiple section arguments."}})
                  .WithArgs({arg::String("section").Optional().Multiple()}));
  t->Register(
      Make("config", -2, 0, ContainerCommand, "A container for server configuration commands",
           "2.0.0", "Depends on subcommand.")
          .WithSubcommands(
              {Make("config|get", -3, kAdmin | kNoScript | kLoadingOk | kStaleOk, ConfigGetCommand,
                    "Get the values of configuration parameters", "2.0.0",
                    "O(N) when N is the number of configuration parameters provided")
                   .WithHistory(
                       {{"7.0.0",
                         "Added the ability to pass multiple pattern parameters in one call"}})
                   .WithArgs({arg::Block("parameter", {arg::String("parameter")}).Multiple()}),
               Make("config|set", -4, kAdmin | kNoScript | kLoadingOk | kStaleOk, ConfigSetCommand,
                    "Set configuration parameters to the given values", "2.0.0",
                    "O(N) when N is the number of configuration parameters provided")
                   .WithTips({"request_policy:all_nodes", "response_policy:all_succeeded"})
                   .WithHistory(
                       {{"7.0.0", "Added the ability to set multiple parameters in one call."}})
                   .WithArgs({arg::Block("parameter_value",
                                         {arg::String("parameter"), arg::String("value")})
                                  .Multiple()}),
               Make("config|rewrite", 2, kAdmin | kNoScript | kLoadingOk | kStaleOk,
                    ConfigRewriteCommand,
                    "Rewrite the configuration file with the in memory configuration", "2.8.0"),
               Make("config|resetstat", 2, kAdmin | kNoScript | kLoadingOk | kStaleOk,
                    ConfigResetstatCommand, "Reset the stats returned by INFO", "2.0.0"),
               Make("config|help", 2, kLoadingOk | kStaleOk, ConfigHelpCommand,
                    "Show helpful text about the different subcommands", "5.0.0")}));
  t->Register(Make("time", 1, kLoadingOk | kStaleOk | kFast, TimeCommand,
                   "Return the current server time", "2.6.0")
                  .WithTips({"nondeterministic_output"}));
  t->Register(Make("lastsave", 1, kLoadingOk | kStaleOk | kFast, LastsaveCommand,
                   "Get the UNIX time stamp of the last successful save to disk", "1.0.0")
                  .WithCategories(kCatAdmin | kCatDangerous)
                  .WithTips({"nondeterministic_output"}));
  t->Register(
      Make("shutdown", -1, kAdmin | kNoScript | kLoadingOk | kStaleOk | kNoMulti | kAllowBusy,
           ShutdownCommand, "Synchronously save the dataset to disk and then shut down the server",
           "1.0.0",
           "O(N) when saving, where N is the total number of keys in all databases when saving "
           "data, otherwise O(1)")
          .WithHistory({{"7.0.0", "Added the `NOW`, `FORCE` and `ABORT` modifiers."}})
          .WithArgs({arg::OneOf("nosave_save",
                                {arg::Token("nosave", "NOSAVE"), arg::Token("save", "SAVE")})
                         .Optional(),
                     arg::Token("now", "NOW").Since("7.0.0").Optional(),
                     arg::Token("force", "FORCE").Since("7.0.0").Optional(),
                     arg::Token("abort", "ABORT").Since("7.0.0").Optional()}));
  t->Register(Make("bgrewriteaof", 1, kAdmin | kNoScript | kNoAsyncLoading, BgrewriteaofCommand,
                   "Asynchronously rewrite the append-only file", "1.0.0"));
  t->Register(Make("bgsave", -1, kAdmin | kNoScript | kNoAsyncLoading, BgsaveCommand,
                   "Asynchronously save the dataset to disk", "1.0.0")
                  .WithHistory({{"3.2.2", "Added the `SCHEDULE` option."}})
                  .WithArgs({arg::Token("schedule", "SCHEDULE").Since("3.2.2").Optional()}));
  t->Register(Make("save", 1, kAdmin | kNoScript | kNoAsyncLoading | kNoMulti, SaveCommand,
                   "Synchronously save the dataset to disk", "1.0.0",
                   "O(N) where N is the total number of keys in all databases"));
  t->Register(Make("monitor", 1, kAdmin | kNoScript | kLoadingOk | kStaleOk, MonitorCommand,
                   "Listen for all requests received by the server in real time", "1.0.0", ""));
  t->Register(
      Make("slowlog", -2, 0, ContainerCommand, "A container for slow log commands", "2.2.12",
           "Depends on subcommand.")
          .WithSubcommands(
              {Make("slowlog|get", -2, kAdmin | kLoadingOk | kStaleOk, SlowlogGetCommand,
                    "Get the slow log's entries", "2.2.12",
                    "O(N) where N is the number of entries returned")
                   .WithTips({"request_policy:all_nodes", "nondeterministic_output"})
                   .WithHistory({{"4.0.0", "Added client IP address, port and name to the reply."}})
                   .WithArgs({arg::Integer("count").Optional()}),
               Make("slowlog|len", 2, kAdmin | kLoadingOk | kStaleOk, SlowlogLenCommand,
                    "Get the slow log's length", "2.2.12")
                   .WithTips({"request_policy:all_nodes", "response_policy:agg_sum",
                              "nondeterministic_output"}),
               Make("slowlog|reset", 2, kAdmin | kLoadingOk | kStaleOk, SlowlogResetCommand,
                    "Clear all entries from the slow log", "2.2.12",
                    "O(N) where N is the number of entries in the slowlog")
                   .WithTips({"request_policy:all_nodes", "response_policy:all_succeeded"}),
               Make("slowlog|help", 2, kLoadingOk | kStaleOk, SlowlogHelpCommand,
                    "Show helpful text about the different subcommands", "6.2.0")}));
  t->Register(
      Make("latency", -2, 0, ContainerCommand, "A container for latency diagnostics commands",
           "2.8.13", "Depends on subcommand.")
          .WithSubcommands(
              {Make("latency|latest", 2, kAdmin | kNoScript | kLoadingOk | kStaleOk,
                    LatencyLatestCommand, "Return the latest latency samples for all events.",
                    "2.8.13")
                   .WithTips(kEachNodeReport),
               Make("latency|history", 3, kAdmin | kNoScript | kLoadingOk | kStaleOk,
                    LatencyHistoryCommand, "Return timestamp-latency samples for the event.",
                    "2.8.13")
                   .WithTips(kEachNodeReport)
                   .WithArgs({arg::String("event")}),
               Make("latency|reset", -2, kAdmin | kNoScript | kLoadingOk | kStaleOk,
                    LatencyResetCommand, "Reset latency data for one or more events.", "2.8.13")
                   .WithTips({"request_policy:all_nodes", "response_policy:all_succeeded"})
                   .WithArgs({arg::String("event").Optional().Multiple()}),
               Make("latency|doctor", 2, kAdmin | kNoScript | kLoadingOk | kStaleOk,
                    LatencyDoctorCommand, "Return a human readable latency analysis report.",
                    "2.8.13")
                   .WithTips(kEachNodeReport),
               Make("latency|help", 2, kLoadingOk | kStaleOk, LatencyHelpCommand,
                    "Show helpful text about the different subcommands.", "2.8.13")}));
  t->Register(
      Make("memory", -2, 0, ContainerCommand, "A container for memory diagnostics commands",
           "4.0.0", "Depends on subcommand.")
          .WithSubcommands(
              {MakeCommand("memory|usage", -3, kReadonly, {{.flags = kKeyRO, .index = 2}},
                           MemoryUsageCommand, "server", "Estimate the memory usage of a key",
                           "4.0.0", "O(N) where N is the number of samples.")
                   .WithArgs(
                       {arg::Key("key", 0), arg::Integer("count").Token("SAMPLES").Optional()}),
               Make("memory|doctor", 2, 0, MemoryDoctorCommand, "Outputs memory problems report",
                    "4.0.0")
                   .WithTips({"nondeterministic_output", "request_policy:all_shards",
                              "response_policy:special"}),
               Make("memory|stats", 2, 0, MemoryStatsCommand, "Show memory usage details", "4.0.0")
                   .WithTips({"nondeterministic_output", "request_policy:all_shards",
                              "response_policy:special"}),
               Make("memory|purge", 2, 0, MemoryPurgeCommand, "Ask the allocator to release memory",
                    "4.0.0", "Depends on how much memory is allocated, could be slow")
                   .WithTips({"request_policy:all_shards", "response_policy:all_succeeded"}),
               Make("memory|help", 2, kLoadingOk | kStaleOk, MemoryHelpCommand,
                    "Show helpful text about the different subcommands", "4.0.0")}));
  t->Register(Make("debug", -2, kAdmin | kNoScript | kLoadingOk | kStaleOk, DebugCommand,
                   "A container for debugging commands", "1.0.0", "Depends on subcommand.")
                  .Syscmd());
}

}  // namespace pykv::cmd
