// HttpCommand: a command line of pykv-cli's HTTP mode (SET, GET, DEL, UPDATE, LIST/KEYS,
// EXISTS, TTL, PTTL, PING) checked and read into what the /kv requests need, with Redis's
// error texts for bad arguments. Only the reading: http_mode.h sends the requests.
// Pure functions; any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "common/status.h"

namespace pykv::cli {

struct HttpCommand {
  enum class Kind { kSet, kGet, kDel, kUpdate, kList, kExists, kTtl, kPttl, kPing };
  Kind kind = Kind::kPing;
  // SET, GET, UPDATE, TTL, PTTL: one key; DEL, EXISTS: one or more; PING: its message if any.
  std::vector<std::string> keys;
  std::string value;              // SET, UPDATE
  std::optional<int64_t> ttl_ms;  // SET/UPDATE with EX or PX
  bool nx = false;                // SET NX: create only
  bool xx = false;                // SET XX: update only
  // LIST: keys starting with `prefix`. KEYS: `prefix` is the pattern's literal start (what
  // the server can filter on) and `pattern` the whole glob, matched here.
  std::string prefix;
  std::optional<std::string> pattern;
};

// The commands this mode knows, for the "unknown command" message.
inline constexpr const char* kHttpSupportedCommands =
    "SET, GET, DEL, UPDATE, LIST, KEYS, EXISTS, TTL, PTTL, PING";

// Reads argv (the command name in any case). The error message is the text of the error
// reply to print ("ERR syntax error", "ERR unknown command 'x' in HTTP mode ...").
StatusOr<HttpCommand> ParseHttpCommand(std::span<const std::string> argv);

// The start of a glob pattern up to its first metacharacter (* ? [ or \): every key the
// pattern matches begins with it.
std::string GlobLiteralPrefix(std::string_view pattern);

}  // namespace pykv::cli
