// COMMAND and its subcommands: the command table describing itself in Redis 7.0's reply
// shapes (COMMAND INFO entries, COMMAND DOCS maps, COMMAND LIST, COMMAND GETKEYS), so
// clients, proxies and redis-cli can read PyKV's table the way they read Redis's.
#include <bit>
#include <cstdint>
#include <iterator>
#include <string>
#include <string_view>
#include <vector>

#include "commands/context.h"
#include "commands/dispatcher.h"
#include "commands/errors.h"
#include "commands/families.h"
#include "common/glob.h"
#include "common/numbers.h"

namespace pykv::cmd {

namespace {

// ---- Flags and ACL categories ----

struct FlagName {
  uint32_t flag;
  const char* name;
};

// Writes the names of the bits of `flags` as a set of status strings, in table order.
template <size_t N>
void WriteFlagSet(resp::ReplyWriter& w, uint32_t flags, const FlagName (&names)[N]) {
  size_t n = 0;
  for (const FlagName& f : names) n += (flags & f.flag) ? 1 : 0;
  w.SetHeader(n);
  for (const FlagName& f : names) {
    if (flags & f.flag) w.Simple(f.name);
  }
}

// Command::movable_keys, as a flag bit no CommandFlag uses.
constexpr uint32_t kMovableKeysBit = 1u << 31;

// Command flags in the order Redis 7.0 prints them (addReplyFlagsForCommand).
constexpr FlagName kFlagNames[] = {
    {kWrite, "write"},
    {kReadonly, "readonly"},
    {kDenyOom, "denyoom"},
    {kAdmin, "admin"},
    {kPubSub, "pubsub"},
    {kNoScript, "noscript"},
    {kLoadingOk, "loading"},
    {kStaleOk, "stale"},
    {kSkipSlowlog, "skip_slowlog"},
    {kFast, "fast"},
    {kNoAuth, "no_auth"},
    {kNoAsyncLoading, "no_async_loading"},
    {kNoMulti, "no_multi"},
    {kMovableKeysBit, "movablekeys"},
    {kAllowBusy, "allow_busy"},
};

// Key-spec flags in Redis 7.0's order (addReplyFlagsForKeyArgs).
constexpr FlagName kKeyFlagNames[] = {
    {kKeyRO, "RO"},
    {kKeyRW, "RW"},
    {kKeyOW, "OW"},
    {kKeyRM, "RM"},
    {kKeyAccess, "access"},
    {kKeyUpdate, "update"},
    {kKeyInsert, "insert"},
    {kKeyDelete, "delete"},
    {kKeyNotKey, "not_key"},
    {kKeyIncomplete, "incomplete"},
    {kKeyVariableFlags, "variable_flags"},
};

constexpr FlagName kDocFlagNames[] = {
    {kDocDeprecated, "deprecated"},
    {kDocSyscmd, "syscmd"},
};

constexpr FlagName kArgFlagNames[] = {
    {CommandArg::kOptional, "optional"},
    {CommandArg::kMultiple, "multiple"},
    {CommandArg::kMultipleToken, "multiple_token"},
};

// Indexed by the bit number of AclCategory.
constexpr const char* kCategoryNames[kAclCategoryCount] = {
    "keyspace", "read",   "write",       "set",       "sortedset",  "list",        "hash",
    "string",   "bitmap", "hyperloglog", "geo",       "stream",     "pubsub",      "admin",
    "fast",     "slow",   "blocking",    "dangerous", "connection", "transaction", "scripting",
};

// The category each group's commands belong to (server commands carry none; pub/sub
// commands get @pubsub from their flag, as in Redis, so PUBSUB HELP has none).
uint32_t GroupCategory(std::string_view group) {
  struct G {
    const char* group;
    AclCategory cat;
  };
  static constexpr G kGroups[] = {
      {"generic", kCatKeyspace},
      {"string", kCatString},
      {"list", kCatList},
      {"set", kCatSet},
      {"sorted-set", kCatSortedset},
      {"hash", kCatHash},
      {"bitmap", kCatBitmap},
      {"hyperloglog", kCatHyperloglog},
      {"geo", kCatGeo},
      {"stream", kCatStream},
      {"connection", kCatConnection},
      {"transactions", kCatTransaction},
      {"scripting", kCatScripting},
  };
  for (const G& g : kGroups) {
    if (group == g.group) return g.cat;
  }
  return 0;
}

// The group's category and the explicit ones, plus those the flags imply, as Redis's
// setImplicitACLCategories. A container (a command with subcommands) carries no group
// category: its subcommands do.
uint32_t Categories(const Command& c) {
  uint32_t cats = c.acl_categories;
  if (c.subcommands.empty() && c.group_category) cats |= GroupCategory(c.group);
  if (c.has(kWrite)) cats |= kCatWrite;
  if (c.has(kReadonly)) cats |= kCatRead;
  if (c.has(kAdmin)) cats |= kCatAdmin | kCatDangerous;
  if (c.has(kPubSub)) cats |= kCatPubsub;
  if (c.has(kFast)) cats |= kCatFast;
  if (!(cats & kCatFast)) cats |= kCatSlow;
  return cats;
}

bool HasCategory(const Command& c, std::string_view name) {
  uint32_t cats = Categories(c);
  for (int i = 0; i < kAclCategoryCount; ++i) {
    if ((cats & (1u << i)) && EqualsIgnoreCase(name, kCategoryNames[i])) return true;
  }
  return false;
}

// ---- Lookup ----

// A top-level name, or "parent|sub" for a subcommand (as Redis's COMMAND INFO/DOCS accept).
const Command* LookupByFullName(const CommandTable& table, std::string_view name) {
  size_t bar = name.find('|');
  if (bar == std::string_view::npos) return table.Find(name);
  const Command* parent = table.Find(name.substr(0, bar));
  if (parent == nullptr) return nullptr;
  std::string_view sub = name.substr(bar + 1);
  if (sub.find('|') != std::string_view::npos) return nullptr;
  return parent->FindSubcommand(sub);
}

// The command a full argument vector would run (the subcommand for a container), or null.
const Command* LookupForArgv(const CommandTable& table, Args argv) {
  const Command* c = table.Find(argv[0]);
  if (c == nullptr || c->subcommands.empty() || argv.size() < 2) return c;
  return c->FindSubcommand(argv[1]);
}

// ---- COMMAND INFO ----

// One key spec: {notes?, flags, begin_search, find_keys}, as Redis 7.0's
// addReplyCommandKeySpecs.
void WriteKeySpec(resp::ReplyWriter& w, const KeySpec& s) {
  w.MapHeader(s.notes != nullptr ? 4 : 3);
  if (s.notes != nullptr) {
    w.Bulk("notes");
    w.Bulk(s.notes);
  }
  w.Bulk("flags");
  WriteFlagSet(w, s.flags, kKeyFlagNames);
  w.Bulk("begin_search");
  w.MapHeader(2);
  w.Bulk("type");
  if (s.index > 0) {
    w.Bulk("index");
    w.Bulk("spec");
    w.MapHeader(1);
    w.Bulk("index");
    w.Integer(s.index);
  } else {
    w.Bulk("keyword");
    w.Bulk("spec");
    w.MapHeader(2);
    w.Bulk("keyword");
    w.Bulk(s.keyword);
    w.Bulk("startfrom");
    w.Integer(s.startfrom);
  }
  w.Bulk("find_keys");
  w.MapHeader(2);
  w.Bulk("type");
  w.Bulk(s.keynum ? "keynum" : "range");
  w.Bulk("spec");
  w.MapHeader(3);
  if (s.keynum) {
    w.Bulk("keynumidx");
    w.Integer(s.keynumidx);
    w.Bulk("firstkey");
    w.Integer(s.firstkey);
    w.Bulk("keystep");
    w.Integer(s.keystep);
  } else {
    w.Bulk("lastkey");
    w.Integer(s.lastkey);
    w.Bulk("keystep");
    w.Integer(s.keystep);
    w.Bulk("limit");
    w.Integer(s.limit);
  }
}

// One COMMAND INFO entry: [name, arity, flags, first, last, step, categories, tips,
// key specs, subcommands].
void WriteInfo(resp::ReplyWriter& w, const Command& c) {
  w.ArrayHeader(10);
  w.Bulk(c.name);
  w.Integer(c.arity);
  WriteFlagSet(w, c.flags | (c.movable_keys ? kMovableKeysBit : 0), kFlagNames);
  w.Integer(c.legacy_keys.first);
  w.Integer(c.legacy_keys.last);
  w.Integer(c.legacy_keys.step);
  uint32_t cats = Categories(c);
  w.SetHeader(static_cast<size_t>(std::popcount(cats)));
  for (int i = 0; i < kAclCategoryCount; ++i) {
    if (cats & (1u << i)) w.Simple(std::string("@") + kCategoryNames[i]);
  }
  w.SetHeader(c.tips.size());
  for (const std::string& tip : c.tips) w.Bulk(tip);
  w.SetHeader(c.key_specs.size());
  for (const KeySpec& s : c.key_specs) WriteKeySpec(w, s);
  if (c.subcommands.empty()) {
    w.SetHeader(0);  // Redis sends an empty set here, an array when there are some
  } else {
    w.ArrayHeader(c.subcommands.size());
    for (const Command& s : c.subcommands) WriteInfo(w, s);
  }
}

void WriteAllInfo(CommandContext& ctx) {
  const auto& all = ctx.dispatcher.table().all();
  ctx.reply.ArrayHeader(all.size());
  for (const Command* c : all) WriteInfo(ctx.reply, *c);
}

// "COMMAND" alone.
void CommandCommand(CommandContext& ctx) {
  WriteAllInfo(ctx);
}

void CommandInfoCommand(CommandContext& ctx) {
  if (ctx.args.size() == 2) {
    WriteAllInfo(ctx);
    return;
  }
  const CommandTable& table = ctx.dispatcher.table();
  ctx.reply.ArrayHeader(ctx.args.size() - 2);
  for (size_t i = 2; i < ctx.args.size(); ++i) {
    const Command* c = LookupByFullName(table, ctx.args[i]);
    if (c == nullptr) {
      ctx.reply.Null();
    } else {
      WriteInfo(ctx.reply, *c);
    }
  }
}

void CommandCountCommand(CommandContext& ctx) {
  ctx.reply.Integer(static_cast<int64_t>(ctx.dispatcher.table().size()));
}

// ---- COMMAND DOCS ----

const char* ArgTypeName(CommandArg::Type t) {
  switch (t) {
    case CommandArg::Type::kString:
      return "string";
    case CommandArg::Type::kInteger:
      return "integer";
    case CommandArg::Type::kDouble:
      return "double";
    case CommandArg::Type::kKey:
      return "key";
    case CommandArg::Type::kPattern:
      return "pattern";
    case CommandArg::Type::kUnixTime:
      return "unix-time";
    case CommandArg::Type::kPureToken:
      return "pure-token";
    case CommandArg::Type::kOneof:
      return "oneof";
    case CommandArg::Type::kBlock:
      return "block";
  }
  return "";
}

// Writes `name` and `value` when value is set, for the optional fields of a docs map.
void OptionalField(resp::ReplyWriter& w, const char* name, const std::string& value) {
  if (value.empty()) return;
  w.Bulk(name);
  w.Bulk(value);
}

// An argument list as Redis 7.0's addReplyCommandArgList.
void WriteArgs(resp::ReplyWriter& w, const std::vector<CommandArg>& args) {
  w.ArrayHeader(args.size());
  for (const CommandArg& a : args) {
    const bool nested = a.type == CommandArg::Type::kOneof || a.type == CommandArg::Type::kBlock;
    w.MapHeader(2 + (a.key_spec_index >= 0 ? 1 : 0) + (a.token.empty() ? 0 : 1) +
                (a.since.empty() ? 0 : 1) + (a.deprecated_since.empty() ? 0 : 1) +
                (a.flags != 0 ? 1 : 0) + (nested ? 1 : 0));
    w.Bulk("name");
    w.Bulk(a.name);
    w.Bulk("type");
    w.Bulk(ArgTypeName(a.type));
    if (a.key_spec_index >= 0) {
      w.Bulk("key_spec_index");
      w.Integer(a.key_spec_index);
    }
    OptionalField(w, "token", a.token);
    OptionalField(w, "since", a.since);
    OptionalField(w, "deprecated_since", a.deprecated_since);
    if (a.flags != 0) {
      w.Bulk("flags");
      WriteFlagSet(w, a.flags, kArgFlagNames);
    }
    if (nested) {
      w.Bulk("arguments");
      WriteArgs(w, a.args);
    }
  }
}

// name -> {summary, since, group, complexity?, doc_flags?, deprecated_since?, replaced_by?,
// history?, arguments?, subcommands?}, in Redis 7.0's order (addReplyCommandDocs).
void WriteDocs(resp::ReplyWriter& w, const Command& c) {
  size_t fields = 3 + (c.complexity.empty() ? 0 : 1) + (c.doc_flags != 0 ? 1 : 0) +
                  (c.deprecated_since.empty() ? 0 : 1) + (c.replaced_by.empty() ? 0 : 1) +
                  (c.history.empty() ? 0 : 1) + (c.args.empty() ? 0 : 1) +
                  (c.subcommands.empty() ? 0 : 1);
  w.MapHeader(fields);
  w.Bulk("summary");
  w.Bulk(c.summary);
  w.Bulk("since");
  w.Bulk(c.since);
  w.Bulk("group");
  w.Bulk(c.group);
  OptionalField(w, "complexity", c.complexity);
  if (c.doc_flags != 0) {
    w.Bulk("doc_flags");
    WriteFlagSet(w, c.doc_flags, kDocFlagNames);
  }
  OptionalField(w, "deprecated_since", c.deprecated_since);
  OptionalField(w, "replaced_by", c.replaced_by);
  if (!c.history.empty()) {
    w.Bulk("history");
    w.SetHeader(c.history.size());
    for (const HistoryEntry& h : c.history) {
      w.ArrayHeader(2);
      w.Bulk(h.since);
      w.Bulk(h.change);
    }
  }
  if (!c.args.empty()) {
    w.Bulk("arguments");
    WriteArgs(w, c.args);
  }
  if (!c.subcommands.empty()) {
    w.Bulk("subcommands");
    w.MapHeader(c.subcommands.size());
    for (const Command& s : c.subcommands) {
      w.Bulk(s.name);
      WriteDocs(w, s);
    }
  }
}

void CommandDocsCommand(CommandContext& ctx) {
  const CommandTable& table = ctx.dispatcher.table();
  std::vector<const Command*> found;
  if (ctx.args.size() == 2) {
    found = table.all();
  } else {
    // Unknown names are left out of the map (Redis does the same).
    for (size_t i = 2; i < ctx.args.size(); ++i) {
      if (const Command* c = LookupByFullName(table, ctx.args[i])) found.push_back(c);
    }
  }
  ctx.reply.MapHeader(found.size());
  for (const Command* c : found) {
    ctx.reply.Bulk(c->name);
    WriteDocs(ctx.reply, *c);
  }
}

// ---- COMMAND LIST ----

void CommandListCommand(CommandContext& ctx) {
  enum class Filter { kNone, kModule, kAclCat, kPattern };
  Filter filter = Filter::kNone;
  std::string_view arg;
  if (ctx.args.size() == 5 && EqualsIgnoreCase(ctx.args[2], "FILTERBY")) {
    arg = ctx.args[4];
    if (EqualsIgnoreCase(ctx.args[3], "MODULE")) {
      filter = Filter::kModule;
    } else if (EqualsIgnoreCase(ctx.args[3], "ACLCAT")) {
      filter = Filter::kAclCat;
    } else if (EqualsIgnoreCase(ctx.args[3], "PATTERN")) {
      filter = Filter::kPattern;
    } else {
      ctx.reply.Error(err::kSyntax);
      return;
    }
  } else if (ctx.args.size() != 2) {
    ctx.reply.Error(err::kSyntax);
    return;
  }
  auto keep = [&](const Command& c) {
    switch (filter) {
      case Filter::kNone:
        return true;
      case Filter::kModule:
        return false;  // no modules
      case Filter::kAclCat:
        return HasCategory(c, arg);
      case Filter::kPattern:
        return GlobMatch(arg, c.name, /*nocase=*/true);
    }
    return false;
  };
  std::vector<std::string_view> names;
  for (const Command* c : ctx.dispatcher.table().all()) {
    if (keep(*c)) names.push_back(c->name);
    for (const Command& s : c->subcommands) {
      if (keep(s)) names.push_back(s.name);
    }
  }
  ctx.reply.BulkArray(names);
}

// ---- COMMAND GETKEYS / GETKEYSANDFLAGS ----

// The keys of argv (from COMMAND GETKEYS's third argument on), as Redis 7.0's
// getKeysSubcommandImpl finds them; replies the error and returns false when there are
// none to give.
bool ResolveKeys(CommandContext& ctx, Args argv, std::vector<KeyRef>* keys) {
  const Command* c = LookupForArgv(ctx.dispatcher.table(), argv);
  if (c == nullptr) {
    ctx.reply.Error("ERR Invalid command specified");
    return false;
  }
  if (!c->HasKeys()) {
    ctx.reply.Error("ERR The command has no key arguments");
    return false;
  }
  if (!c->ArityOk(argv.size())) {
    ctx.reply.Error("ERR Invalid number of arguments specified for command");
    return false;
  }
  *keys = c->FindKeys(argv);
  if (keys->empty()) {
    ctx.reply.Error("ERR Invalid arguments specified for command");
    return false;
  }
  return true;
}

void CommandGetkeysCommand(CommandContext& ctx) {
  Args argv = ctx.args.subspan(2);
  std::vector<KeyRef> keys;
  if (!ResolveKeys(ctx, argv, &keys)) return;
  ctx.reply.ArrayHeader(keys.size());
  for (const KeyRef& k : keys) ctx.reply.Bulk(argv[k.pos]);
}

void CommandGetkeysandflagsCommand(CommandContext& ctx) {
  Args argv = ctx.args.subspan(2);
  std::vector<KeyRef> keys;
  if (!ResolveKeys(ctx, argv, &keys)) return;
  ctx.reply.ArrayHeader(keys.size());
  for (const KeyRef& k : keys) {
    ctx.reply.ArrayHeader(2);
    ctx.reply.Bulk(argv[k.pos]);
    WriteFlagSet(ctx.reply, k.flags, kKeyFlagNames);
  }
}

void CommandHelpCommand(CommandContext& ctx) {
  static constexpr const char* kLines[] = {
      "COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "(no subcommand)",
      "    Return details about all Redis commands.",
      "COUNT",
      "    Return the total number of commands in this Redis server.",
      "LIST",
      "    Return a list of all commands in this Redis server.",
      "INFO [<command-name> ...]",
      "    Return details about multiple Redis commands.",
      "    If no command names are given, documentation details for all",
      "    commands are returned.",
      "DOCS [<command-name> ...]",
      "    Return documentation details about multiple Redis commands.",
      "    If no command names are given, documentation details for all",
      "    commands are returned.",
      "GETKEYS <full-command>",
      "    Return the keys from a full Redis command.",
      "GETKEYSANDFLAGS <full-command>",
      "    Return the keys and the access flags from a full Redis command.",
      "HELP",
      "    Prints this help.",
  };
  ctx.reply.ArrayHeader(std::size(kLines));
  for (const char* line : kLines) ctx.reply.Simple(line);
}

// COMMAND and its subcommands: all allowed while loading, in @connection as in Redis.
Command Make(const char* name, int arity, Handler h, const char* summary, const char* since,
             const char* complexity = "O(1)") {
  return MakeCommand(name, arity, kLoadingOk | kStaleOk, {}, h, "server", summary, since,
                     complexity)
      .WithCategories(kCatConnection);
}

}  // namespace

void RegisterIntrospectionCommands(CommandTable* t) {
  t->Register(
      Make("command", -1, CommandCommand, "Get array of Redis command details", "2.8.13",
           "O(N) where N is the total number of Redis commands")
          .WithTips({"nondeterministic_output_order"})
          .WithSubcommands(
              {Make("command|count", 2, CommandCountCommand, "Get total number of Redis commands",
                    "2.8.13"),
               Make("command|docs", -2, CommandDocsCommand,
                    "Get array of specific Redis command documentation", "7.0.0",
                    "O(N) where N is the number of commands to look up")
                   .WithTips({"nondeterministic_output_order"})
                   .WithArgs({arg::String("command-name").Optional().Multiple()}),
               Make("command|getkeys", -4, CommandGetkeysCommand,
                    "Extract keys given a full Redis command", "2.8.13",
                    "O(N) where N is the number of arguments to the command"),
               Make("command|getkeysandflags", -4, CommandGetkeysandflagsCommand,
                    "Extract keys and access flags given a full Redis command", "7.0.0",
                    "O(N) where N is the number of arguments to the command"),
               Make("command|help", 2, CommandHelpCommand,
                    "Show helpful text about the different subcommands", "5.0.0"),
               Make(
                   "command|info", -2, CommandInfoCommand,
                   "Get array of specific Redis command details, or all when no argument is given.",
                   "2.8.13", "O(N) where N is the number of commands to look up")
                   .WithTips({"nondeterministic_output_order"})
                   .WithHistory(
                       {{"7.0.0",
                         "Allowed to be called with no argument to get info on all commands."}})
                   .WithArgs({arg::String("command-name").Optional().Multiple()}),
               Make("command|list", -2, CommandListCommand, "Get an array of Redis command names",
                    "7.0.0", "O(N) where N is the total number of Redis commands")
                   .WithTips({"nondeterministic_output_order"})
                   .WithArgs({arg::OneOf("filterby", {arg::String("module-name").Token("MODULE"),
                                                      arg::String("category").Token("ACLCAT"),
                                                      arg::Pattern("pattern").Token("PATTERN")})
                                  .Token("FILTERBY")
                                  .Optional()})}));
}

}  // namespace pykv::cmd
