// The command table: every command is a record of data (name, arity, flags, key
// positions, documentation, handler). The dispatcher reads it to check a call before the
// handler runs; COMMAND INFO/DOCS and proxies read the same records. Each family file
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
#include <vector>

namespace pykv::cmd {

using Args = std::span<const std::string_view>;
class CommandContext;
using Handler = void (*)(CommandContext&);

// Flags, documented once (DESIGN.md "The command table is data").
enum CommandFlag : uint32_t {
  kWrite = 1u << 0,         // may change data: refused on read-only replicas and on MISCONF
  kReadonly = 1u << 1,      // reads data only
  kAdmin = 1u << 2,         // server administration (CONFIG, SHUTDOWN, DEBUG, ...)
  kFast = 1u << 3,          // O(1) or O(log N): never shows in SLOWLOG for its complexity
  kDenyOom = 1u << 4,       // may grow memory: evict first, or -OOM under noeviction
  kLoadingOk = 1u << 5,     // allowed while the data set is loading
  kStaleOk = 1u << 6,       // allowed on a replica whose link is down
  kNoAuth = 1u << 7,        // allowed before AUTH (AUTH, HELLO, QUIT)
  kPubsubOk = 1u << 8,      // allowed in RESP2 subscriber mode
  kNoMulti = 1u << 9,       // not allowed inside MULTI (executed at once or refused)
  kNoPropagate = 1u << 10,  // never propagated even if it reports a change
};

// Where the keys are in argv, as COMMAND INFO reports: first, last (-1 = last arg, -2 =
// second to last), step. first = 0 means no keys.
struct KeySpec {
  int first = 0;
  int last = 0;
  int step = 0;
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
  KeySpec keys;
  Handler handler = nullptr;
  // COMMAND DOCS.
  std::string group;
  std::string summary;
  std::string since;
  std::string complexity;
  std::vector<Command> subcommands;
  mutable CommandStats stats;

  bool has(uint32_t f) const { return (flags & f) != 0; }
  bool ArityOk(size_t argc) const {
    return arity >= 0 ? argc == static_cast<size_t>(arity) : argc >= static_cast<size_t>(-arity);
  }
  const Command* FindSubcommand(std::string_view sub) const;
  // Positions of the keys in argv per KeySpec (COMMAND GETKEYS, WATCH-style bookkeeping).
  std::vector<size_t> KeyPositions(size_t argc) const;
};

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
