// Config option rows and the typed option kinds (bool, integer, memory, string, enum) that
// build them, shared by the files that fill Config's option table: config.cc (options PyKV
// acts on), config_replication.cc (replication options) and
// config_redis_compat.cc (Redis 7.0 options PyKV accepts with no effect). Internal to
// server/config*; static data built once, read from the loop thread.
#pragma once

#include <cstdint>
#include <functional>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "common/numbers.h"
#include "server/config.h"

namespace pykv::server::config_detail {

using Args = std::vector<std::string>;

constexpr int64_t kIntMax = std::numeric_limits<int>::max();
constexpr int64_t kIntMin = std::numeric_limits<int>::min();
constexpr int64_t kInt64Max = std::numeric_limits<int64_t>::max();
constexpr uint64_t kUint64Max = std::numeric_limits<uint64_t>::max();
constexpr int64_t kUint32Max = std::numeric_limits<uint32_t>::max();
// Redis's LONG_MAX bound (64-bit builds).
constexpr int64_t kLongMax = kInt64Max;
constexpr uint64_t kMb = 1024 * 1024;

enum OptionFlags : unsigned {
  kMutable = 0,
  // CONFIG SET refuses it: the server acts on it once, at start-up.
  kImmutable = 1u << 0,
  // Redis's PROTECTED_CONFIG (refused by CONFIG SET under Redis 7's default
  // enable-protected-configs no): changing it under a running server is not supported.
  kProtected = 1u << 1,
  // Takes any number of arguments; CONFIG SET splits its one value on spaces.
  kMultiArg = 1u << 2,
  // Repeated lines within one start-up load add up instead of replacing (Redis's `save`).
  kAccumulate = 1u << 3,
  // Holds a secret: CONFIG SET's value is redacted from SLOWLOG (Redis's SENSITIVE_CONFIG).
  kSensitive = 1u << 4,
  // Redis option PyKV has no use for: validated and stored, never acted on.
  kNoEffect = 1u << 6,
};

// Parses args into *s; returns "" on success or the reason, in Redis's words.
using Setter = std::function<std::string(Settings* s, const Args& args)>;
// CONFIG GET's text.
using Getter = std::function<std::string(const Settings& s)>;
// CONFIG REWRITE: the value part of each line the option writes ("256mb", "\"\"").
using ConfLines = std::function<Args(const Settings& s)>;

struct OptionSpec {
  std::string_view name;
  unsigned flags = kMutable;
  Setter set;
  Getter get;
  ConfLines conf;  // null: one line holding get()'s text
  // conf() of a default Settings; lines equal to it are only rewritten where the file
  // already has the option, as Redis does.
  Args default_conf;
  // Redis 7.0's second name (slave-read-only for replica-read-only): CONFIG GET lists both,
  // CONFIG SET takes both, CONFIG REWRITE writes the first.
  std::string_view alias;
};

// Redis's sdscatrepr: a double-quoted form the config reader reads back to the same bytes.
std::string Repr(std::string_view s);
// Redis's rewriteConfigFormatMemory: the largest binary unit that divides exactly.
std::string FormatMemory(uint64_t bytes);
std::string Join(const Args& parts, std::string_view sep);
// "argument must be between <min> and <max> inclusive".
std::string RangeError(int64_t min, int64_t max);
std::string RangeError(uint64_t min, uint64_t max);

// ---- Typed option kinds: each reads and writes one Settings field --------------------------

OptionSpec Bool(std::string_view name, bool Settings::*field, unsigned flags);

// A plain integer (Redis string2ll: no units, no '+', no leading zeros) within [min, max].
template <typename T>
OptionSpec Int(std::string_view name, T Settings::*field, int64_t min, int64_t max,
               unsigned flags) {
  return {
      .name = name,
      .flags = flags,
      .set = [field, min, max](Settings* s, const Args& a) -> std::string {
        int64_t v;
        if (!ParseInt64(a[0], &v)) return "argument couldn't be parsed into an integer";
        if (v < min || v > max) return RangeError(min, max);
        s->*field = static_cast<T>(v);
        return {};
      },
      .get = [field](const Settings& s) { return std::to_string(s.*field); },
  };
}

// An integer accepted within [min, max] but stored within [lo, hi], as Redis does for hz
// (any non-negative value is taken, 1..500 is used) and maxclients.
OptionSpec ClampedInt(std::string_view name, int Settings::*field, int64_t min, int64_t max, int lo,
                      int hi, unsigned flags);

// Bytes, with Redis's units (1k = 1000, 1kb = 1024, m/mb, g/gb). Printed as plain bytes by
// CONFIG GET and with the largest exact binary unit by CONFIG REWRITE, like Redis.
OptionSpec Memory(std::string_view name, uint64_t Settings::*field, uint64_t min, uint64_t max,
                  unsigned flags);

// Returns "" when the value is acceptable, else the reason.
using StringCheck = std::string (*)(std::string_view value);

OptionSpec String(std::string_view name, std::string Settings::*field, unsigned flags,
                  StringCheck check = nullptr);

// One of a fixed set of names, matched case-insensitively and stored in canonical form.
OptionSpec Enum(std::string_view name, std::string Settings::*field,
                std::vector<std::string_view> values, unsigned flags);

// Returns `spec` with Redis's second name.
inline OptionSpec WithAlias(OptionSpec spec, std::string_view alias) {
  spec.alias = alias;
  return spec;
}

// ---- The table's parts --------------------------------------------------------------------

// config_replication.cc: replication options (the choices PyKV does not offer: kNoEffect).
void AppendReplicationSpecs(std::vector<OptionSpec>* t);
// config_redis_compat.cc: Redis 7.0 options PyKV accepts with no effect (kNoEffect).
void AppendRedisCompatSpecs(std::vector<OptionSpec>* t);

// Redis 7.0 directives of the config file that are not options (rename-command, user,
// loadmodule, sentinel, deprecated names). Returns false when argv is none of them; else
// *reason is "" when the line is accepted (it has no effect in PyKV) or why it is refused.
bool RedisCompatDirective(const Args& argv, std::string* reason);

}  // namespace pykv::server::config_detail
