// The Redis 7.0 options PyKV has no use for (RDB snapshots, encodings, threads, lazy free,
// defragmentation, cluster, TLS, syslog, process title, ...): each is validated with
// Redis's type, range and error text, stored in Settings::no_effect, printed by CONFIG GET,
// settable by CONFIG SET where Redis allows it and written by CONFIG REWRITE, so that a
// redis.conf loads unchanged and tools that read these options get Redis's answers. Every
// row is flagged kNoEffect: Config::StartupNotices() names the ones a config sets.
//
// A few of them would change what the server does in a way a user relies on (listen for
// TLS, on a Unix socket, as a cluster node, with ACL users from a file): those accept only
// their "off" value and refuse any other with a reason, rather than being ignored.
#include <cmath>
#include <cstdio>
#include <string>
#include <utility>

#include "server/config_option.h"

namespace pykv::server::config_detail {
namespace {

constexpr unsigned kNone = kNoEffect;

// Reads the stored text, or the default when the option was never set.
std::string StoredText(const Settings& s, std::string_view name, const std::string& fallback) {
  const auto it = s.no_effect.find(name);
  return it == s.no_effect.end() ? fallback : it->second;
}

void Store(Settings* s, std::string_view name, std::string value) {
  s->no_effect.insert_or_assign(std::string(name), std::move(value));
}

// Getter/setter over the stored text: `parse` checks one value and returns its CONFIG GET
// form in *shown; the rewrite form is `conf(shown)`.
using Parse = std::function<std::string(const Args& a, std::string* shown)>;

OptionSpec Stored(std::string_view name, std::string fallback, unsigned flags, Parse parse,
                  std::function<std::string(const std::string& shown)> conf = nullptr) {
  OptionSpec spec{
      .name = name,
      .flags = flags | kNone,
      .set = [name, parse](Settings* s, const Args& a) -> std::string {
        std::string shown;
        std::string reason = parse(a, &shown);
        if (reason.empty()) Store(s, name, std::move(shown));
        return reason;
      },
      .get = [name, fallback](const Settings& s) { return StoredText(s, name, fallback); },
  };
  if (conf) {
    spec.conf = [name, fallback, conf](const Settings& s) {
      return Args{conf(StoredText(s, name, fallback))};
    };
  }
  return spec;
}

std::string ParseYesNo(std::string_view v, bool* out) {
  if (EqualsIgnoreCase(v, "yes")) {
    *out = true;
  } else if (EqualsIgnoreCase(v, "no")) {
    *out = false;
  } else {
    return "argument must be 'yes' or 'no'";
  }
  return {};
}

OptionSpec NBool(std::string_view name, bool fallback, unsigned flags) {
  return Stored(name, fallback ? "yes" : "no", flags, [](const Args& a, std::string* shown) {
    bool v = false;
    std::string reason = ParseYesNo(a[0], &v);
    *shown = v ? "yes" : "no";
    return reason;
  });
}

// A yes/no option whose "yes" PyKV cannot honour: only "no" is accepted.
OptionSpec NBoolOffOnly(std::string_view name, unsigned flags, std::string_view refusal) {
  return Stored(name, "no", flags, [refusal](const Args& a, std::string* shown) {
    bool v = false;
    std::string reason = ParseYesNo(a[0], &v);
    if (reason.empty() && v) return std::string(refusal);
    *shown = "no";
    return reason;
  });
}

OptionSpec NInt(std::string_view name, int64_t fallback, int64_t min, int64_t max, unsigned flags) {
  return Stored(name, std::to_string(fallback), flags,
                [min, max](const Args& a, std::string* shown) -> std::string {
                  int64_t v;
                  if (!ParseInt64(a[0], &v)) return "argument couldn't be parsed into an integer";
                  if (v < min || v > max) return RangeError(min, max);
                  *shown = std::to_string(v);
                  return {};
                });
}

OptionSpec NMemory(std::string_view name, uint64_t fallback, uint64_t min, uint64_t max,
                   unsigned flags) {
  return Stored(
      name, std::to_string(fallback), flags,
      [min, max](const Args& a, std::string* shown) -> std::string {
        uint64_t v;
        if (!ParseMemorySize(a[0], &v)) return "argument must be a memory value";
        if (v < min || v > max) return RangeError(min, max);
        *shown = std::to_string(v);
        return {};
      },
      [](const std::string& shown) {
        uint64_t v = 0;
        ParseUint64(shown, &v);
        return FormatMemory(v);
      });
}

// Redis's enum options; `names` pairs each accepted word with the word CONFIG GET shows
// ("" = itself), since Redis prints the first name of a value (oom-score-adj relative is
// shown as yes).
OptionSpec NEnumShown(std::string_view name, std::string fallback,
                      std::vector<std::pair<std::string_view, std::string_view>> names,
                      unsigned flags) {
  return Stored(name, std::move(fallback), flags,
                [names](const Args& a, std::string* shown) -> std::string {
                  for (const auto& [word, as] : names) {
                    if (EqualsIgnoreCase(a[0], word)) {
                      *shown = std::string(as.empty() ? word : as);
                      return {};
                    }
                  }
                  std::string reason = "argument(s) must be one of the following: ";
                  for (size_t i = 0; i < names.size(); ++i) {
                    if (i != 0) reason += ", ";
                    reason += names[i].first;
                  }
                  return reason;
                });
}

OptionSpec NEnum(std::string_view name, std::string fallback, std::vector<std::string_view> words,
                 unsigned flags) {
  std::vector<std::pair<std::string_view, std::string_view>> names;
  for (const std::string_view w : words) names.emplace_back(w, "");
  return NEnumShown(name, std::move(fallback), std::move(names), flags);
}

OptionSpec NString(std::string_view name, std::string fallback, unsigned flags,
                   StringCheck check = nullptr) {
  return Stored(
      name, std::move(fallback), flags,
      [check](const Args& a, std::string* shown) -> std::string {
        if (check != nullptr) {
          std::string reason = check(a[0]);
          if (!reason.empty()) return reason;
        }
        *shown = a[0];
        return {};
      },
      [](const std::string& shown) { return Repr(shown); });
}

// ---- Value checks, in Redis's words --------------------------------------------------------

std::string CheckDbFilename(std::string_view v) {
  if (v.find('/') != std::string_view::npos) return "dbfilename can't be a path, just a filename";
  return {};
}

std::string CheckHostname(std::string_view v) {
  for (const char c : v) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '.';
    if (!ok) return "Hostnames may only contain alphanumeric characters, hyphens or dots";
  }
  return {};
}

// proc-title-template: text with {variables} Redis knows; an empty template is refused.
std::string CheckProcTitleTemplate(std::string_view v) {
  static constexpr std::string_view kVariables[] = {
      "{title}",    "{listen-addr}", "{server-mode}", "{port}",
      "{tls-port}", "{unixsocket}",  "{config-file}"};
  constexpr std::string_view kInvalid = "template format is invalid or contains unknown variables";
  if (v.find_first_not_of(" \t") == std::string_view::npos) return std::string(kInvalid);
  size_t i = 0;
  while (i < v.size()) {
    if (v[i] == '}') return std::string(kInvalid);
    if (v[i] != '{') {
      ++i;
      continue;
    }
    const size_t close = v.find('}', i);
    if (close == std::string_view::npos) return std::string(kInvalid);
    const std::string_view var = v.substr(i, close - i + 1);
    bool known = false;
    for (const std::string_view k : kVariables) known = known || var == k;
    if (!known) return std::string(kInvalid);
    i = close + 1;
  }
  return {};
}

std::string MustBeEmpty(std::string_view v, std::string_view refusal) {
  return v.empty() ? std::string() : std::string(refusal);
}

// ---- Options with a value format of their own -----------------------------------------------

// unixsocketperm: an octal mode, printed in octal.
OptionSpec UnixSocketPerm() {
  return Stored(
      "unixsocketperm", "0", kImmutable, [](const Args& a, std::string* shown) -> std::string {
        const std::string& t = a[0];
        if (t.empty() || t.find_first_not_of("01234567") != std::string::npos || t.size() > 12) {
          return "argument couldn't be parsed as an octal number";
        }
        const uint64_t v = std::stoull(t, nullptr, 8);
        if (v > 0777) return RangeError(int64_t{0}, int64_t{0777});
        char buf[16];
        std::snprintf(buf, sizeof(buf), "%o", static_cast<unsigned>(v));
        *shown = buf;
        return {};
      });
}

// maxmemory-clients: bytes, or a percentage of maxmemory ("10%").
OptionSpec MaxmemoryClients() {
  return Stored(
      "maxmemory-clients", "0", kMutable,
      [](const Args& a, std::string* shown) -> std::string {
        const std::string& t = a[0];
        if (!t.empty() && t.back() == '%') {
          int64_t pct;
          if (!ParseInt64(std::string_view(t).substr(0, t.size() - 1), &pct) || pct < 0) {
            return "argument must be a memory or percent value";
          }
          if (pct > 100) return "percentage argument must be less or equal to 100";
          *shown = std::to_string(pct) + "%";
          return {};
        }
        uint64_t v;
        if (!ParseMemorySize(t, &v)) return "argument must be a memory or percent value";
        if (v > static_cast<uint64_t>(kInt64Max)) return RangeError(int64_t{-100}, kInt64Max);
        *shown = std::to_string(v);
        return {};
      },
      [](const std::string& shown) {
        if (shown.ends_with('%')) return shown;
        uint64_t v = 0;
        ParseUint64(shown, &v);
        return FormatMemory(v);
      });
}

// oom-score-adj-values: three adjustments (replica, primary, background child).
OptionSpec OomScoreAdjValues() {
  return Stored("oom-score-adj-values", "0 200 800", kMultiArg,
                [](const Args& a, std::string* shown) -> std::string {
                  if (a.size() != 3) return "wrong number of arguments";
                  Args values;
                  for (const std::string& t : a) {
                    int64_t v;
                    if (!ParseInt64(t, &v) || v < -2000 || v > 2000) {
                      return "Invalid oom-score-adj-values, elements must be between -2000 and "
                             "2000.";
                    }
                    values.push_back(std::to_string(v));
                  }
                  *shown = Join(values, " ");
                  return {};
                });
}

// Redis prints these percentiles with "%f" and the trailing zeros trimmed.
std::string FormatPercentile(double v) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%f", v);
  std::string out(buf);
  if (out.find('.') != std::string::npos) {
    while (out.back() == '0') out.pop_back();
    if (out.back() == '.') out.pop_back();
  }
  return out;
}

// latency-tracking-info-percentiles: doubles in [0, 100], or "" for none.
OptionSpec LatencyTrackingPercentiles() {
  return Stored(
      "latency-tracking-info-percentiles", "50 99 99.9", kMultiArg,
      [](const Args& a, std::string* shown) -> std::string {
        Args values;
        if (!(a.size() == 1 && a[0].empty())) {
          for (const std::string& t : a) {
            double v;
            if (!ParseDouble(t, &v) || std::isinf(v)) {
              return "Invalid latency-tracking-info-percentiles parameters";
            }
            if (v < 0.0 || v > 100.0) {
              return "latency-tracking-info-percentiles parameters should sit between "
                     "[0.0,100.0]";
            }
            values.push_back(FormatPercentile(v));
          }
        }
        *shown = Join(values, " ");
        return {};
      },
      // An empty list is written as "" so that the next start does not bring the defaults back.
      [](const std::string& shown) { return shown.empty() ? std::string("\"\"") : shown; });
}

// shutdown-on-sigint / shutdown-on-sigterm: "default" or flags among save, nosave, now, force.
OptionSpec ShutdownOnSignal(std::string_view name) {
  return Stored(name, "default", kMultiArg, [](const Args& a, std::string* shown) -> std::string {
    static constexpr std::string_view kFlags[] = {"save", "nosave", "now", "force"};
    bool set[4] = {false, false, false, false};
    for (const std::string& t : a) {
      if (EqualsIgnoreCase(t, "default")) continue;
      bool found = false;
      for (size_t i = 0; i < 4; ++i) {
        if (EqualsIgnoreCase(t, kFlags[i])) set[i] = found = true;
      }
      if (!found) {
        return "argument(s) must be one of the following: default, save, nosave, now, force";
      }
    }
    if (set[0] && set[1]) return "shutdown options SAVE and NOSAVE can't be used simultaneously";
    Args words;
    for (size_t i = 0; i < 4; ++i) {
      if (set[i]) words.emplace_back(kFlags[i]);
    }
    *shown = words.empty() ? std::string("default") : Join(words, " ");
    return {};
  });
}

// tls-port: PyKV has no TLS listener, and a server that silently did not listen where its
// config says would be found out only by clients failing to connect.
OptionSpec TlsPort() {
  return Stored("tls-port", "0", kMutable, [](const Args& a, std::string* shown) -> std::string {
    int64_t v;
    if (!ParseInt64(a[0], &v)) return "argument couldn't be parsed into an integer";
    if (v < 0 || v > 65535) return RangeError(int64_t{0}, int64_t{65535});
    if (v != 0) return "PyKV has no TLS support: tls-port must be 0";
    *shown = "0";
    return {};
  });
}

}  // namespace

void AppendRedisCompatSpecs(std::vector<OptionSpec>* t) {
  const std::vector<std::string_view> kYesNoLocal = {"no", "yes", "local"};
  // General and process
  t->push_back(NBool("always-show-logo", false, kImmutable));
  t->push_back(NBool("set-proc-title", true, kImmutable));
  t->push_back(NString("proc-title-template", "{title} {listen-addr} {server-mode}", kMutable,
                       CheckProcTitleTemplate));
  t->push_back(NEnum("supervised", "no", {"upstart", "systemd", "auto", "no"}, kImmutable));
  t->push_back(NBool("syslog-enabled", false, kImmutable));
  t->push_back(NString("syslog-ident", "redis", kImmutable));
  t->push_back(NEnum(
      "syslog-facility", "local0",
      {"user", "local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7"},
      kImmutable));
  t->push_back(NBool("crash-log-enabled", true, kMutable));
  t->push_back(NBool("crash-memcheck-enabled", true, kMutable));
  t->push_back(NBool("disable-thp", true, kImmutable));
  t->push_back(NBool("jemalloc-bg-thread", true, kMutable));
  t->push_back(NEnumShown("oom-score-adj", "no",
                          {{"no", ""}, {"yes", ""}, {"relative", "yes"}, {"absolute", ""}},
                          kMutable));
  t->push_back(OomScoreAdjValues());
  t->push_back(NInt("io-threads", 1, 1, 128, kImmutable));
  t->push_back(NBool("io-threads-do-reads", false, kImmutable));
  t->push_back(NString("server_cpulist", "", kImmutable));
  t->push_back(NString("bio_cpulist", "", kImmutable));
  t->push_back(NString("aof_rewrite_cpulist", "", kImmutable));
  t->push_back(NString("bgsave_cpulist", "", kImmutable));
  t->push_back(NString("ignore-warnings", "", kMutable));
  t->push_back(NInt("socket-mark-id", 0, 0, kUint32Max, kImmutable));
  t->push_back(ShutdownOnSignal("shutdown-on-sigint"));
  t->push_back(ShutdownOnSignal("shutdown-on-sigterm"));
  t->push_back(NInt("shutdown-timeout", 10, 0, kIntMax, kMutable));
  t->push_back(NEnum("enable-protected-configs", "no", kYesNoLocal, kImmutable));
  t->push_back(NEnum("enable-module-command", "no", kYesNoLocal, kImmutable));
  t->push_back(NBool("dynamic-hz", true, kMutable));
  t->push_back(NInt("active-expire-effort", 1, 1, 10, kMutable));
  t->push_back(NBool("activerehashing", true, kMutable));
  // Unix socket: only "none" is accepted (see the file comment).
  t->push_back(NString("unixsocket", "", kImmutable, [](std::string_view v) {
    return MustBeEmpty(v, "PyKV does not listen on Unix sockets: unixsocket must be empty");
  }));
  t->push_back(UnixSocketPerm());
  // RDB snapshots (`save` is in config.cc) and AOF details PyKV's AOF does not have
  t->push_back(NBool("stop-writes-on-bgsave-error", true, kMutable));
  t->push_back(NBool("rdbcompression", true, kMutable));
  t->push_back(NBool("rdbchecksum", true, kImmutable));
  t->push_back(NString("dbfilename", "dump.rdb", kProtected, CheckDbFilename));
  t->push_back(NBool("rdb-del-sync-files", false, kMutable));
  t->push_back(NBool("rdb-save-incremental-fsync", true, kMutable));
  t->push_back(NBool("aof-rewrite-incremental-fsync", true, kMutable));
  t->push_back(NBool("no-appendfsync-on-rewrite", false, kMutable));
  t->push_back(NBool("aof-use-rdb-preamble", true, kMutable));
  t->push_back(NBool("aof-timestamp-enabled", false, kMutable));
  t->push_back(NBool("aof-disable-auto-gc", false, kMutable));
  // Memory: lazy freeing, defragmentation, eviction sampling, client memory
  t->push_back(NBool("lazyfree-lazy-eviction", false, kMutable));
  t->push_back(NBool("lazyfree-lazy-expire", false, kMutable));
  t->push_back(NBool("lazyfree-lazy-server-del", false, kMutable));
  t->push_back(NBool("lazyfree-lazy-user-del", false, kMutable));
  t->push_back(NBool("lazyfree-lazy-user-flush", false, kMutable));
  t->push_back(NBool("activedefrag", false, kMutable));
  t->push_back(NMemory("active-defrag-ignore-bytes", 100 * kMb, 1, kInt64Max, kMutable));
  t->push_back(NInt("active-defrag-threshold-lower", 10, 0, 1000, kMutable));
  t->push_back(NInt("active-defrag-threshold-upper", 100, 0, 1000, kMutable));
  t->push_back(NInt("active-defrag-cycle-min", 1, 1, 99, kMutable));
  t->push_back(NInt("active-defrag-cycle-max", 25, 1, 99, kMutable));
  t->push_back(NInt("active-defrag-max-scan-fields", 1000, 1, kLongMax, kMutable));
  t->push_back(NInt("maxmemory-samples", 5, 1, kIntMax, kMutable));
  t->push_back(NInt("maxmemory-eviction-tenacity", 10, 0, 100, kMutable));
  t->push_back(MaxmemoryClients());
  t->push_back(NInt("lfu-log-factor", 10, 0, kIntMax, kMutable));
  t->push_back(NInt("lfu-decay-time", 1, 0, kIntMax, kMutable));
  // Encodings of small values
  t->push_back(WithAlias(NInt("hash-max-listpack-entries", 512, 0, kLongMax, kMutable),
                         "hash-max-ziplist-entries"));
  t->push_back(WithAlias(NMemory("hash-max-listpack-value", 64, 0, kInt64Max, kMutable),
                         "hash-max-ziplist-value"));
  t->push_back(WithAlias(NInt("list-max-listpack-size", -2, kIntMin, kIntMax, kMutable),
                         "list-max-ziplist-size"));
  t->push_back(NInt("list-compress-depth", 0, 0, kIntMax, kMutable));
  t->push_back(NInt("set-max-intset-entries", 512, 0, kLongMax, kMutable));
  t->push_back(WithAlias(NInt("zset-max-listpack-entries", 128, 0, kLongMax, kMutable),
                         "zset-max-ziplist-entries"));
  t->push_back(WithAlias(NMemory("zset-max-listpack-value", 64, 0, kInt64Max, kMutable),
                         "zset-max-ziplist-value"));
  t->push_back(NMemory("hll-sparse-max-bytes", 3000, 0, kInt64Max, kMutable));
  t->push_back(NMemory("stream-node-max-bytes", 4096, 0, kInt64Max, kMutable));
  t->push_back(NInt("stream-node-max-entries", 100, 0, kInt64Max, kMutable));
  // Scripts, modules, ACL, client tracking, latency tracking, DUMP payloads
  t->push_back(
      WithAlias(NInt("busy-reply-threshold", 5000, 0, kLongMax, kMutable), "lua-time-limit"));
  t->push_back(NEnum("propagation-error-behavior", "ignore",
                     {"ignore", "panic", "panic-on-replicas"}, kMutable));
  t->push_back(NInt("acllog-max-len", 128, 0, kLongMax, kMutable));
  t->push_back(
      NEnum("acl-pubsub-default", "resetchannels", {"allchannels", "resetchannels"}, kMutable));
  // ACL users loaded from a file would be ignored, leaving the server open: refused.
  t->push_back(NString("aclfile", "", kImmutable, [](std::string_view v) {
    return MustBeEmpty(v, "PyKV has no ACL users: aclfile must be empty (use requirepass)");
  }));
  t->push_back(NInt("tracking-table-max-keys", 1000000, 0, kLongMax, kMutable));
  t->push_back(NBool("latency-tracking", true, kMutable));
  t->push_back(LatencyTrackingPercentiles());
  t->push_back(NEnum("sanitize-dump-payload", "no", {"no", "yes", "clients"}, kMutable));
  // Cluster: a node that is not one is refused; the rest are inert without it.
  t->push_back(NBoolOffOnly("cluster-enabled", kImmutable,
                            "PyKV has no cluster mode: cluster-enabled must be no"));
  t->push_back(NString("cluster-config-file", "nodes.conf", kImmutable));
  t->push_back(NInt("cluster-node-timeout", 15000, 0, kInt64Max, kMutable));
  t->push_back(NInt("cluster-port", 0, 0, 65535, kImmutable));
  t->push_back(NString("cluster-announce-ip", "", kMutable));
  t->push_back(NString("cluster-announce-hostname", "", kMutable, CheckHostname));
  t->push_back(NInt("cluster-announce-port", 0, 0, 65535, kMutable));
  t->push_back(NInt("cluster-announce-bus-port", 0, 0, 65535, kMutable));
  t->push_back(NInt("cluster-announce-tls-port", 0, 0, 65535, kMutable));
  t->push_back(NEnum("cluster-preferred-endpoint-type", "ip",
                     {"ip", "hostname", "unknown-endpoint"}, kMutable));
  t->push_back(WithAlias(NInt("cluster-replica-validity-factor", 10, 0, kIntMax, kMutable),
                         "cluster-slave-validity-factor"));
  t->push_back(WithAlias(NBool("cluster-replica-no-failover", false, kMutable),
                         "cluster-slave-no-failover"));
  t->push_back(NInt("cluster-migration-barrier", 1, 0, kIntMax, kMutable));
  t->push_back(NBool("cluster-allow-replica-migration", true, kMutable));
  t->push_back(NBool("cluster-require-full-coverage", true, kMutable));
  t->push_back(NBool("cluster-allow-reads-when-down", false, kMutable));
  t->push_back(NBool("cluster-allow-pubsubshard-when-down", true, kMutable));
  t->push_back(NMemory("cluster-link-sendbuf-limit", 0, 0, kUint64Max, kMutable));
  // TLS: only tls-port 0 (no TLS listener) is accepted; the rest configure nothing.
  t->push_back(TlsPort());
  t->push_back(NBool("tls-cluster", false, kMutable));
  t->push_back(NBool("tls-replication", false, kMutable));
  t->push_back(NEnum("tls-auth-clients", "yes", {"no", "yes", "optional"}, kMutable));
  t->push_back(NBool("tls-prefer-server-ciphers", false, kMutable));
  t->push_back(NBool("tls-session-caching", true, kMutable));
  t->push_back(NInt("tls-session-cache-size", 20480, 0, kIntMax, kMutable));
  t->push_back(NInt("tls-session-cache-timeout", 300, 0, kIntMax, kMutable));
  t->push_back(NString("tls-cert-file", "", kMutable));
  t->push_back(NString("tls-key-file", "", kMutable));
  t->push_back(NString("tls-key-file-pass", "", kMutable | kSensitive));
  t->push_back(NString("tls-client-cert-file", "", kMutable));
  t->push_back(NString("tls-client-key-file", "", kMutable));
  t->push_back(NString("tls-client-key-file-pass", "", kMutable | kSensitive));
  t->push_back(NString("tls-dh-params-file", "", kMutable));
  t->push_back(NString("tls-ca-cert-file", "", kMutable));
  t->push_back(NString("tls-ca-cert-dir", "", kMutable));
  t->push_back(NString("tls-protocols", "", kMutable));
  t->push_back(NString("tls-ciphers", "", kMutable));
  t->push_back(NString("tls-ciphersuites", "", kMutable));
}

bool RedisCompatDirective(const Args& argv, std::string* reason) {
  reason->clear();
  const std::string_view name = argv[0];
  // Names Redis 7.0 still reads and ignores.
  if ((EqualsIgnoreCase(name, "list-max-ziplist-entries") ||
       EqualsIgnoreCase(name, "list-max-ziplist-value") ||
       EqualsIgnoreCase(name, "lua-replicate-commands")) &&
      argv.size() == 2) {
    return true;
  }
  // Redis's form of a default user with every permission and no password is what PyKV
  // does without requirepass (Redis's own CONFIG REWRITE writes this line).
  if (EqualsIgnoreCase(name, "user") && argv.size() >= 2) {
    const Args open_default = {"user", "default", "on", "nopass", "~*", "&*", "+@all"};
    bool same = argv.size() == open_default.size();
    for (size_t i = 0; same && i < argv.size(); ++i)
      same = EqualsIgnoreCase(argv[i], open_default[i]);
    if (!same) {
      *reason =
          "PyKV has no ACL users: only 'user default on nopass ~* &* +@all' is accepted "
          "(use requirepass for a password)";
    }
    return true;
  }
  // Renaming or removing a command is usually a security measure: ignoring it would leave
  // the command reachable.
  if (EqualsIgnoreCase(name, "rename-command") && argv.size() == 3) {
    *reason = "rename-command is not supported by PyKV";
    return true;
  }
  if (EqualsIgnoreCase(name, "loadmodule") && argv.size() >= 2) {
    *reason = "PyKV does not load Redis modules";
    return true;
  }
  if (EqualsIgnoreCase(name, "sentinel") && argv.size() != 1) {
    *reason = "sentinel directive while not in sentinel mode";
    return true;
  }
  return false;
}

}  // namespace pykv::server::config_detail
