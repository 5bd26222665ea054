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

// Flag names in the order Redis 7.0 prints them (addReplyCommandFlags).
struct FlagName {
  uint32_t flag;
  const char* name;
};
constexpr FlagName kFlagNames[] = {
    {kWrite, "write"},     {kReadonly, "readonly"}, {kDenyOom, "denyoom"}, {kAdmin, "admin"},
    {kPubsubOk, "pubsub"}, {kLoadingOk, "loading"}, {kStaleOk, "stale"},   {kFast, "fast"},
    {kNoAuth, "no_auth"},  {kNoMulti, "no_multi"},
};

// ACL categories, in the order of Redis's category table (which is the order COMMAND INFO
// lists them in).
enum Category : uint32_t {
  kCatKeyspace,
  kCatRead,
  kCatWrite,
  kCatSet,
  kCatSortedset,
  kCatList,
  kCatHash,
  kCatString,
  kCatBitmap,
  kCatHyperloglog,
  kCatGeo,
  kCatStream,
  kCatPubsub,
  kCatAdmin,
  kCatFast,
  kCatSlow,
  kCatBlocking,
  kCatDangerous,
  kCatConnection,
  kCatTransaction,
  kCatScripting,
  kCatCount,
};
constexpr const char* kCategoryNames[kCatCount] = {
    "keyspace", "read",   "write",       "set",       "sortedset",  "list",        "hash",
    "string",   "bitmap", "hyperloglog", "geo",       "stream",     "pubsub",      "admin",
    "fast",     "slow",   "blocking",    "dangerous", "connection", "transaction", "scripting",
};

// The category Redis's command JSON files give each group (server commands carry none).
int GroupCategory(std::string_view group) {
  struct G {
    const char* group;
    Category cat;
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
      {"pubsub", kCatPubsub},
      {"connection", kCatConnection},
      {"transactions", kCatTransaction},
      {"scripting", kCatScripting},
  };
  for (const G& g : kGroups) {
    if (group == g.group) return g.cat;
  }
  return -1;
}

// Commands Redis puts in @dangerous although they are not admin commands.
bool ExplicitlyDangerous(std::string_view name) {
  static constexpr std::string_view kNames[] = {"keys",    "flushdb", "flushall", "info",
                                                "role",    "sort",    "sort_ro",  "migrate",
                                                "restore", "swapdb",  "lastsave", "replconf"};
  for (std::string_view n : kNames) {
    if (name == n) return true;
  }
  return false;
}

// Derived as Redis's setImplicitACLCategories does from the flags, plus the group's
// category. A container (a command with subcommands) carries no group category: its
// subcommands do.
uint32_t Categories(const Command& c) {
  uint32_t cats = 0;
  auto add = [&cats](int cat) {
    if (cat >= 0) cats |= 1u << cat;
  };
  if (c.subcommands.empty()) add(GroupCategory(c.group));
  if (c.has(kWrite)) add(kCatWrite);
  if (c.has(kReadonly)) add(kCatRead);
  if (c.has(kAdmin)) {
    add(kCatAdmin);
    add(kCatDangerous);
  }
  add(c.has(kFast) ? kCatFast : kCatSlow);
  if (ExplicitlyDangerous(c.name)) add(kCatDangerous);
  return cats;
}

bool HasCategory(const Command& c, std::string_view name) {
  uint32_t cats = Categories(c);
  for (uint32_t i = 0; i < kCatCount; ++i) {
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

// The key specification COMMAND INFO shows, derived from (first, last, step): one range
// spec. Its access flags are the coarse ones the command flags allow us to say.
void WriteKeySpecs(resp::ReplyWriter& w, const Command& c) {
  if (c.keys.first <= 0) {
    w.SetHeader(0);
    return;
  }
  w.SetHeader(1);
  w.MapHeader(3);
  w.Bulk("flags");
  if (c.has(kWrite)) {
    w.SetHeader(2);
    w.Simple("RW");
    w.Simple("update");
  } else if (c.has(kReadonly)) {
    w.SetHeader(2);
    w.Simple("RO");
    w.Simple("access");
  } else {
    w.SetHeader(1);
    w.Simple("RO");
  }
  w.Bulk("begin_search");
  w.MapHeader(2);
  w.Bulk("type");
  w.Bulk("index");
  w.Bulk("spec");
  w.MapHeader(1);
  w.Bulk("index");
  w.Integer(c.keys.first);
  w.Bulk("find_keys");
  w.MapHeader(2);
  w.Bulk("type");
  w.Bulk("range");
  w.Bulk("spec");
  w.MapHeader(3);
  w.Bulk("lastkey");
  // Relative to the first key; negative counts from the end of argv.
  w.Integer(c.keys.last >= 0 ? c.keys.last - c.keys.first : c.keys.last);
  w.Bulk("keystep");
  w.Integer(c.keys.step);
  w.Bulk("limit");
  w.Integer(0);
}

// One COMMAND INFO entry: [name, arity, flags, first, last, step, categories, tips,
// key specs, subcommands].
void WriteInfo(resp::ReplyWriter& w, const Command& c) {
  w.ArrayHeader(10);
  w.Bulk(c.name);
  w.Integer(c.arity);
  size_t nflags = 0;
  for (const FlagName& f : kFlagNames) nflags += c.has(f.flag) ? 1 : 0;
  w.SetHeader(nflags);
  for (const FlagName& f : kFlagNames) {
    if (c.has(f.flag)) w.Simple(f.name);
  }
  w.Integer(c.keys.first);
  w.Integer(c.keys.first > 0 ? c.keys.last : 0);
  w.Integer(c.keys.first > 0 ? c.keys.step : 0);
  uint32_t cats = Categories(c);
  w.SetHeader(static_cast<size_t>(std::popcount(cats)));
  for (uint32_t i = 0; i < kCatCount; ++i) {
    if (cats & (1u << i)) w.Simple(std::string("@") + kCategoryNames[i]);
  }
  w.SetHeader(0);  // tips: none recorded
  WriteKeySpecs(w, c);
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

// name -> {summary, since, group, complexity, subcommands?}. Arguments are omitted: Redis
// documents them as optional and redis-cli copes without them.
void WriteDocs(resp::ReplyWriter& w, const Command& c) {
  size_t fields = 3 + (c.complexity.empty() ? 0 : 1) + (c.subcommands.empty() ? 0 : 1);
  w.MapHeader(fields);
  w.Bulk("summary");
  w.Bulk(c.summary);
  w.Bulk("since");
  w.Bulk(c.since);
  w.Bulk("group");
  w.Bulk(c.group);
  if (!c.complexity.empty()) {
    w.Bulk("complexity");
    w.Bulk(c.complexity);
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

// Resolves argv (from COMMAND GETKEYS's third argument on) to its key positions; replies
// the error and returns false when there are none to give.
bool ResolveKeys(CommandContext& ctx, Args argv, const Command** out,
                 std::vector<size_t>* positions) {
  const Command* c = LookupForArgv(ctx.dispatcher.table(), argv);
  if (c == nullptr) {
    ctx.reply.Error("ERR Invalid command specified");
    return false;
  }
  if (c->keys.first <= 0) {
    ctx.reply.Error("ERR The command has no key arguments");
    return false;
  }
  if (!c->ArityOk(argv.size())) {
    ctx.reply.Error("ERR Invalid number of arguments specified for command");
    return false;
  }
  *positions = c->KeyPositions(argv.size());
  if (positions->empty()) {
    ctx.reply.Error("ERR Invalid arguments specified for command");
    return false;
  }
  *out = c;
  return true;
}

void CommandGetkeysCommand(CommandContext& ctx) {
  Args argv = ctx.args.subspan(2);
  const Command* c;
  std::vector<size_t> positions;
  if (!ResolveKeys(ctx, argv, &c, &positions)) return;
  ctx.reply.ArrayHeader(positions.size());
  for (size_t p : positions) ctx.reply.Bulk(argv[p]);
}

void CommandGetkeysandflagsCommand(CommandContext& ctx) {
  Args argv = ctx.args.subspan(2);
  const Command* c;
  std::vector<size_t> positions;
  if (!ResolveKeys(ctx, argv, &c, &positions)) return;
  ctx.reply.ArrayHeader(positions.size());
  for (size_t p : positions) {
    ctx.reply.ArrayHeader(2);
    ctx.reply.Bulk(argv[p]);
    // The same coarse access flags as the key specs in COMMAND INFO.
    if (c->has(kWrite)) {
      ctx.reply.SetHeader(2);
      ctx.reply.Simple("RW");
      ctx.reply.Simple("update");
    } else if (c->has(kReadonly)) {
      ctx.reply.SetHeader(2);
      ctx.reply.Simple("RO");
      ctx.reply.Simple("access");
    } else {
      ctx.reply.SetHeader(1);
      ctx.reply.Simple("RO");
    }
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

Command Make(const char* name, int arity, Handler h, const char* summary, const char* since,
             const char* complexity) {
  return MakeCommand(name, arity, kLoadingOk | kStaleOk, {}, h, "server", summary, since,
                     complexity);
}

}  // namespace

void RegisterIntrospectionCommands(CommandTable* t) {
  Command command =
      Make("command", -1, CommandCommand, "Returns detailed information about all commands.",
           "2.8.13", "O(N) where N is the total number of Redis commands");
  command.subcommands = {
      Make("command|count", 2, CommandCountCommand, "Returns a count of commands.", "2.8.13",
           "O(1)"),
      Make("command|docs", -2, CommandDocsCommand,
           "Returns documentary information about one, multiple or all commands.", "7.0.0",
           "O(N) where N is the number of commands to look up"),
      Make("command|getkeys", -4, CommandGetkeysCommand,
           "Extracts the key names from an arbitrary command.", "2.8.13",
           "O(N) where N is the number of arguments to the command"),
      Make("command|getkeysandflags", -4, CommandGetkeysandflagsCommand,
           "Extracts the key names and access flags for an arbitrary command.", "7.0.0",
           "O(N) where N is the number of arguments to the command"),
      Make("command|help", 2, CommandHelpCommand,
           "Returns helpful text about the different subcommands.", "5.0.0", "O(1)"),
      Make("command|info", -2, CommandInfoCommand,
           "Returns information about one, multiple or all commands.", "2.8.13",
           "O(N) where N is the number of commands to look up"),
      Make("command|list", -2, CommandListCommand, "Returns a list of command names.", "7.0.0",
           "O(N) where N is the total number of Redis commands"),
  };
  t->Register(std::move(command));
}

}  // namespace pykv::cmd
