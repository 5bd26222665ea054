// The command table: every command is a record of data (name, arity, flags, key specs,
// documentation, handler), modelled on Redis 7.0's so COMMAND INFO/DOCS can answer as it
// does. The dispatcher reads it to check a call before the handler runs; COMMAND INFO/DOCS
// and proxies read the same records. Each family file
// ends with one Register<Family>Commands(CommandTable*) listing its commands.
// Built once at start-up on the loop thread, read-only afterwards except the per-command
// statistics, which only the loop thread touches.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace pykv::cmd {

using Args = std::span<const std::string_view>;
class CommandContext;
using Handler = void (*)(CommandContext&);

// Flags, documented once (DESIGN.md "The command table is data").
enum CommandFlag : uint32_t {
  kWrite = 1u << 0,      // may change data: refused on read-only replicas and on MISCONF
  kReadonly = 1u << 1,   // reads data only
  kAdmin = 1u << 2,      // server administration (CONFIG, SHUTDOWN, DEBUG, ...)
  kFast = 1u << 3,       // O(1) or O(log N): LATENCY files it under "fast-command"
  kDenyOom = 1u << 4,    // may grow memory: evict first, or -OOM under noeviction
  kLoadingOk = 1u << 5,  // allowed while the data set is loading
  kStaleOk = 1u << 6,    // allowed on a replica whose link is down
  kNoAuth = 1u << 7,     // allowed before AUTH (AUTH, HELLO, QUIT)
  kPubSub = 1u << 8,     // a pub/sub command (COMMAND INFO "pubsub", ACL @pubsub)
  kNoMulti = 1u << 9,    // not allowed inside MULTI (executed at once or refused)
  // Shown by COMMAND INFO only, so clients and proxies see Redis 7.0's flags; PyKV has no
  // scripts, busy scripts or async loading, and nothing here reads these.
  kNoScript = 1u << 11,        // refused inside scripts
  kAllowBusy = 1u << 12,       // allowed while a script is busy
  kSkipSlowlog = 1u << 13,     // never logged itself (EXEC: its commands are)
  kNoAsyncLoading = 1u << 14,  // refused during a replica's async loading
  // Read by the dispatcher only, never shown: the few commands Redis's processCommand
  // singles out by name, marked here so the rule lives in the table.
  kTxnControl = 1u << 20,        // acts on the transaction itself, never queued by MULTI
  kRunsTransaction = 1u << 21,   // EXEC: checked for what it would run (write, denyoom)
  kReportsDiskError = 1u << 22,  // PING: answers -MISCONF like a write, so health checks
                                 // see a primary that cannot persist
  kPubSubContext = 1u << 23,     // may run while a RESP2 client is subscribed ((P|S)SUBSCRIBE,
                                 // (P|S)UNSUBSCRIBE, PING, QUIT, RESET)
  kMayReplicate = 1u << 24,      // no data change, but replicas get it (PUBLISH): CLIENT
                                 // PAUSE WRITE holds it
};

// ACL categories (Redis's category table, whose order COMMAND INFO lists them in). A
// command carries its group's category and the ones its flags imply (introspection.cc);
// Command::acl_categories holds those Redis names explicitly on top of that.
enum AclCategory : uint32_t {
  kCatKeyspace = 1u << 0,
  kCatRead = 1u << 1,
  kCatWrite = 1u << 2,
  kCatSet = 1u << 3,
  kCatSortedset = 1u << 4,
  kCatList = 1u << 5,
  kCatHash = 1u << 6,
  kCatString = 1u << 7,
  kCatBitmap = 1u << 8,
  kCatHyperloglog = 1u << 9,
  kCatGeo = 1u << 10,
  kCatStream = 1u << 11,
  kCatPubsub = 1u << 12,
  kCatAdmin = 1u << 13,
  kCatFast = 1u << 14,
  kCatSlow = 1u << 15,
  kCatBlocking = 1u << 16,
  kCatDangerous = 1u << 17,
  kCatConnection = 1u << 18,
  kCatTransaction = 1u << 19,
  kCatScripting = 1u << 20,
};
inline constexpr int kAclCategoryCount = 21;

// What a command does with a key (Redis 7.0's key-spec flags): one of RO/RW/OW/RM, then
// what it does with the value. COMMAND INFO and GETKEYSANDFLAGS print them.
enum KeySpecFlag : uint32_t {
  kKeyRO = 1u << 0,              // read only
  kKeyRW = 1u << 1,              // read and modified
  kKeyOW = 1u << 2,              // overwritten without being read
  kKeyRM = 1u << 3,              // removed
  kKeyAccess = 1u << 4,          // the value is returned or copied
  kKeyUpdate = 1u << 5,          // the value is replaced or changed
  kKeyInsert = 1u << 6,          // data is added, never replaced
  kKeyDelete = 1u << 7,          // data is removed
  kKeyNotKey = 1u << 8,          // looks like a key but is not one
  kKeyIncomplete = 1u << 9,      // the spec may miss keys
  kKeyVariableFlags = 1u << 10,  // the flags depend on the arguments (Command::key_flags)
};

// Where one group of keys sits in argv, as Redis 7.0 models it. begin_search: argv[index],
// or (index = 0) the argument after `keyword`, searched from `startfrom` (negative: from
// the end, backwards). find_keys: a range (lastkey relative to the first key, negative
// counted from the end of argv, or with limit > 0 one part in `limit` of what remains), or
// with keynum a count at keynumidx (relative to the start) and the keys from firstkey.
// Aggregate: spell it with designated initializers, e.g. {.flags = kKeyRO, .index = 1}.
struct KeySpec {
  const char* notes = nullptr;
  uint32_t flags = 0;
  int index = 0;
  const char* keyword = nullptr;
  int startfrom = 0;
  bool keynum = false;
  int lastkey = 0;
  int keystep = 1;
  int limit = 0;
  int keynumidx = 0;
  int firstkey = 0;
};

// The legacy (first, last, step) triple COMMAND INFO still shows, derived from the key
// specs as Redis does: last -1 = last arg, -2 = second to last; first = 0 means none.
struct KeyRange {
  int first = 0;
  int last = 0;
  int step = 0;
};

// One key found in argv, with what the command does to it.
struct KeyRef {
  size_t pos = 0;
  uint32_t flags = 0;
};

// Gives the keys (and their flags) of a command whose flags depend on its arguments
// (kKeyVariableFlags), as Redis's getkeys_proc does.
using KeyFlagsFn = void (*)(Args argv, std::vector<KeyRef>* out);

// One argument as COMMAND DOCS describes it (Redis 7.0's redisCommandArg).
struct CommandArg {
  enum class Type : uint8_t {
    kString,
    kInteger,
    kDouble,
    kKey,
    kPattern,
    kUnixTime,
    kPureToken,
    kOneof,
    kBlock,
  };
  enum Flag : uint32_t {
    kOptional = 1u << 0,
    kMultiple = 1u << 1,
    kMultipleToken = 1u << 2,
  };
  std::string name;
  Type type = Type::kString;
  int key_spec_index = -1;
  std::string token;
  std::string since;
  std::string deprecated_since;
  uint32_t flags = 0;
  std::vector<CommandArg> args;  // kOneof and kBlock

  CommandArg Token(std::string t) && {
    token = std::move(t);
    return std::move(*this);
  }
  CommandArg Since(std::string v) && {
    since = std::move(v);
    return std::move(*this);
  }
  CommandArg DeprecatedSince(std::string v) && {
    deprecated_since = std::move(v);
    return std::move(*this);
  }
  CommandArg Optional() && {
    flags |= kOptional;
    return std::move(*this);
  }
  CommandArg Multiple() && {
    flags |= kMultiple;
    return std::move(*this);
  }
  CommandArg MultipleToken() && {
    flags |= kMultipleToken;
    return std::move(*this);
  }
};

// COMMAND DOCS flags.
enum DocFlag : uint32_t {
  kDocDeprecated = 1u << 0,
  kDocSyscmd = 1u << 1,
};

struct HistoryEntry {
  std::string since;
  std::string change;
};

struct CommandStats {
  uint64_t calls = 0;
  uint64_t usec = 0;
  uint64_t rejected_calls = 0;
  uint64_t failed_calls = 0;
};

struct Command {
  std::string name;  // lower case; subcommands are "parent|sub"
  int arity = 0;     // N: exactly N args (with the name); -N: at least N
  uint32_t flags = 0;
  uint32_t acl_categories = 0;  // beyond the group's and the flags' (see AclCategory)
  bool group_category = true;   // false: the group's category does not apply (WAIT)
  std::vector<KeySpec> key_specs;
  KeyFlagsFn key_flags = nullptr;  // set when a spec has kKeyVariableFlags
  KeyRange legacy_keys;            // derived from key_specs by CommandTable::Register
  bool movable_keys = false;       // ditto: the keys are not all at fixed positions
  std::vector<std::string> tips;   // COMMAND INFO tips (request/response policies, ...)
  Handler handler = nullptr;
  // COMMAND DOCS.
  std::string group;
  std::string summary;
  std::string since;
  std::string complexity;
  uint32_t doc_flags = 0;
  std::string deprecated_since;
  std::string replaced_by;
  std::vector<HistoryEntry> history;
  std::vector<CommandArg> args;
  std::vector<Command> subcommands;
  mutable CommandStats stats;

  bool has(uint32_t f) const { return (flags & f) != 0; }
  bool ArityOk(size_t argc) const {
    return arity >= 0 ? argc == static_cast<size_t>(arity) : argc >= static_cast<size_t>(-arity);
  }
  const Command* FindSubcommand(std::string_view sub) const;
  // Has a key spec for real keys (COMMAND GETKEYS answers "no key arguments" otherwise).
  bool HasKeys() const;
  // The keys of argv and their flags, per the key specs (or key_flags when those vary), as
  // Redis's getKeysFromCommandWithSpecs; none when argv does not fit a spec.
  std::vector<KeyRef> FindKeys(Args argv) const;
  // Positions of the keys in argv (COMMAND GETKEYS, WATCH-style bookkeeping).
  std::vector<size_t> KeyPositions(Args argv) const;

  // Setters for the optional parts, so a family's table reads as one expression per
  // command: Make(...).Tips({...}).Args({...}).
  Command WithCategories(uint32_t c) && {
    acl_categories |= c;
    return std::move(*this);
  }
  // The command's categories are exactly c plus what its flags imply.
  Command WithOnlyCategories(uint32_t c) && {
    acl_categories = c;
    group_category = false;
    return std::move(*this);
  }
  Command WithTips(std::vector<std::string> t) && {
    tips = std::move(t);
    return std::move(*this);
  }
  Command WithKeyFlags(KeyFlagsFn f) && {
    key_flags = f;
    return std::move(*this);
  }
  Command WithHistory(std::vector<HistoryEntry> h) && {
    history = std::move(h);
    return std::move(*this);
  }
  Command WithArgs(std::vector<CommandArg> a) && {
    args = std::move(a);
    return std::move(*this);
  }
  Command WithSubcommands(std::vector<Command> s) && {
    subcommands = std::move(s);
    return std::move(*this);
  }
  Command Deprecated(std::string since_version, std::string replacement) && {
    doc_flags |= kDocDeprecated;
    deprecated_since = std::move(since_version);
    replaced_by = std::move(replacement);
    return std::move(*this);
  }
  Command Syscmd() && {
    doc_flags |= kDocSyscmd;
    return std::move(*this);
  }
};

// COMMAND DOCS argument records, one function per type: arg::Key("key", 0),
// arg::OneOf("condition", {arg::Token("nx", "NX"), ...}).Optional().
namespace arg {
inline CommandArg Of(std::string name, CommandArg::Type type) {
  CommandArg a;
  a.name = std::move(name);
  a.type = type;
  return a;
}
inline CommandArg Key(std::string name, int key_spec_index) {
  CommandArg a = Of(std::move(name), CommandArg::Type::kKey);
  a.key_spec_index = key_spec_index;
  return a;
}
inline CommandArg String(std::string name) {
  return Of(std::move(name), CommandArg::Type::kString);
}
inline CommandArg Integer(std::string name) {
  return Of(std::move(name), CommandArg::Type::kInteger);
}
inline CommandArg Double(std::string name) {
  return Of(std::move(name), CommandArg::Type::kDouble);
}
inline CommandArg Pattern(std::string name) {
  return Of(std::move(name), CommandArg::Type::kPattern);
}
inline CommandArg UnixTime(std::string name) {
  return Of(std::move(name), CommandArg::Type::kUnixTime);
}
// A keyword alone ("pure-token"): its name and the token the client types.
inline CommandArg Token(std::string name, std::string token) {
  return Of(std::move(name), CommandArg::Type::kPureToken).Token(std::move(token));
}
inline CommandArg OneOf(std::string name, std::vector<CommandArg> choices) {
  CommandArg a = Of(std::move(name), CommandArg::Type::kOneof);
  a.args = std::move(choices);
  return a;
}
inline CommandArg Block(std::string name, std::vector<CommandArg> parts) {
  CommandArg a = Of(std::move(name), CommandArg::Type::kBlock);
  a.args = std::move(parts);
  return a;
}
}  // namespace arg

class CommandTable {
 public:
  void Register(Command cmd);
  // Case-insensitive; null when unknown.
  const Command* Find(std::string_view name) const;
  size_t size() const { return by_name_.size(); }
  // Stable order (registration order).
  const std::vector<const Command*>& all() const { return ordered_; }
  void ResetStats() const;

 private:
  // Names are stored lower-case; Find folds the query into a stack buffer, so a lookup
  // is one hash of a short string, no allocation and no per-byte locale calls.
  struct NameHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  std::unordered_map<std::string, std::unique_ptr<Command>, NameHash, std::equal_to<>> by_name_;
  std::vector<const Command*> ordered_;
};

}  // namespace pykv::cmd
