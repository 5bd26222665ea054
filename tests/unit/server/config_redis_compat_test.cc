// Tests for the Redis 7.0 options beyond PyKV's own: every option Redis 7.0 has is known
// with Redis's default, the replication options (typed, second names, not in effect) and
// the options accepted with no effect (validation, CONFIG SET, REWRITE, start-up notices),
// the directives that are not options, and Debian's stock redis.conf. Expected texts were
// taken from Debian's redis-server 7.0.15.
#include <doctest/doctest.h>
#include <stdlib.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "server/config.h"
#include "support/temp_files.h"

namespace pykv::server {
namespace {

using testing::ReadFile;
using testing::TempDir;
using testing::WriteFile;

namespace fs = std::filesystem;
using Pairs = std::vector<std::pair<std::string, std::string>>;

// CONFIG GET * of redis-server 7.0.15 (Debian) started with `--save '' --appendonly no`.
const Pairs kRedis70Defaults = {
    {"acl-pubsub-default", "resetchannels"},
    {"aclfile", ""},
    {"acllog-max-len", "128"},
    {"active-defrag-cycle-max", "25"},
    {"active-defrag-cycle-min", "1"},
    {"active-defrag-ignore-bytes", "104857600"},
    {"active-defrag-max-scan-fields", "1000"},
    {"active-defrag-threshold-lower", "10"},
    {"active-defrag-threshold-upper", "100"},
    {"active-expire-effort", "1"},
    {"activedefrag", "no"},
    {"activerehashing", "yes"},
    {"always-show-logo", "no"},
    {"aof-disable-auto-gc", "no"},
    {"aof-load-truncated", "yes"},
    {"aof-rewrite-incremental-fsync", "yes"},
    {"aof-timestamp-enabled", "no"},
    {"aof-use-rdb-preamble", "yes"},
    {"aof_rewrite_cpulist", ""},
    {"appenddirname", "appendonlydir"},
    {"appendfilename", "appendonly.aof"},
    {"appendfsync", "everysec"},
    {"appendonly", "no"},
    {"auto-aof-rewrite-min-size", "67108864"},
    {"auto-aof-rewrite-percentage", "100"},
    {"bgsave_cpulist", ""},
    {"bind", "* -::*"},
    {"bind-source-addr", ""},
    {"bio_cpulist", ""},
    {"busy-reply-threshold", "5000"},
    {"client-output-buffer-limit",
     "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60"},
    {"client-query-buffer-limit", "1073741824"},
    {"cluster-allow-pubsubshard-when-down", "yes"},
    {"cluster-allow-reads-when-down", "no"},
    {"cluster-allow-replica-migration", "yes"},
    {"cluster-announce-bus-port", "0"},
    {"cluster-announce-hostname", ""},
    {"cluster-announce-ip", ""},
    {"cluster-announce-port", "0"},
    {"cluster-announce-tls-port", "0"},
    {"cluster-config-file", "nodes.conf"},
    {"cluster-enabled", "no"},
    {"cluster-link-sendbuf-limit", "0"},
    {"cluster-migration-barrier", "1"},
    {"cluster-node-timeout", "15000"},
    {"cluster-port", "0"},
    {"cluster-preferred-endpoint-type", "ip"},
    {"cluster-replica-no-failover", "no"},
    {"cluster-replica-validity-factor", "10"},
    {"cluster-require-full-coverage", "yes"},
    {"cluster-slave-no-failover", "no"},
    {"cluster-slave-validity-factor", "10"},
    {"crash-log-enabled", "yes"},
    {"crash-memcheck-enabled", "yes"},
    {"daemonize", "no"},
    {"databases", "16"},
    {"dbfilename", "dump.rdb"},
    {"dir", "/tmp/conf_ref"},
    {"disable-thp", "yes"},
    {"dynamic-hz", "yes"},
    {"enable-debug-command", "no"},
    {"enable-module-command", "no"},
    {"enable-protected-configs", "no"},
    {"hash-max-listpack-entries", "512"},
    {"hash-max-listpack-value", "64"},
    {"hash-max-ziplist-entries", "512"},
    {"hash-max-ziplist-value", "64"},
    {"hll-sparse-max-bytes", "3000"},
    {"hz", "10"},
    {"ignore-warnings", ""},
    {"io-threads", "1"},
    {"io-threads-do-reads", "no"},
    {"jemalloc-bg-thread", "yes"},
    {"latency-monitor-threshold", "0"},
    {"latency-tracking", "yes"},
    {"latency-tracking-info-percentiles", "50 99 99.9"},
    {"lazyfree-lazy-eviction", "no"},
    {"lazyfree-lazy-expire", "no"},
    {"lazyfree-lazy-server-del", "no"},
    {"lazyfree-lazy-user-del", "no"},
    {"lazyfree-lazy-user-flush", "no"},
    {"lfu-decay-time", "1"},
    {"lfu-log-factor", "10"},
    {"list-compress-depth", "0"},
    {"list-max-listpack-size", "-2"},
    {"list-max-ziplist-size", "-2"},
    {"logfile", ""},
    {"loglevel", "notice"},
    {"lua-time-limit", "5000"},
    {"masterauth", ""},
    {"masteruser", ""},
    {"maxclients", "10000"},
    {"maxmemory", "0"},
    {"maxmemory-clients", "0"},
    {"maxmemory-eviction-tenacity", "10"},
    {"maxmemory-policy", "noeviction"},
    {"maxmemory-samples", "5"},
    {"min-replicas-max-lag", "10"},
    {"min-replicas-to-write", "0"},
    {"min-slaves-max-lag", "10"},
    {"min-slaves-to-write", "0"},
    {"no-appendfsync-on-rewrite", "no"},
    {"notify-keyspace-events", ""},
    {"oom-score-adj", "no"},
    {"oom-score-adj-values", "0 200 800"},
    {"pidfile", ""},
    {"port", "16399"},
    {"proc-title-template", "{title} {listen-addr} {server-mode}"},
    {"propagation-error-behavior", "ignore"},
    {"protected-mode", "yes"},
    {"proto-max-bulk-len", "536870912"},
    {"rdb-del-sync-files", "no"},
    {"rdb-save-incremental-fsync", "yes"},
    {"rdbchecksum", "yes"},
    {"rdbcompression", "yes"},
    {"repl-backlog-size", "1048576"},
    {"repl-backlog-ttl", "3600"},
    {"repl-disable-tcp-nodelay", "no"},
    {"repl-diskless-load", "disabled"},
    {"repl-diskless-sync", "yes"},
    {"repl-diskless-sync-delay", "5"},
    {"repl-diskless-sync-max-replicas", "0"},
    {"repl-ping-replica-period", "10"},
    {"repl-ping-slave-period", "10"},
    {"repl-timeout", "60"},
    {"replica-announce-ip", ""},
    {"replica-announce-port", "0"},
    {"replica-announced", "yes"},
    {"replica-ignore-disk-write-errors", "no"},
    {"replica-ignore-maxmemory", "yes"},
    {"replica-lazy-flush", "no"},
    {"replica-priority", "100"},
    {"replica-read-only", "yes"},
    {"replica-serve-stale-data", "yes"},
    {"replicaof", ""},
    {"requirepass", ""},
    {"sanitize-dump-payload", "no"},
    {"save", ""},
    {"server_cpulist", ""},
    {"set-max-intset-entries", "512"},
    {"set-proc-title", "yes"},
    {"shutdown-on-sigint", "default"},
    {"shutdown-on-sigterm", "default"},
    {"shutdown-timeout", "10"},
    {"slave-announce-ip", ""},
    {"slave-announce-port", "0"},
    {"slave-ignore-maxmemory", "yes"},
    {"slave-lazy-flush", "no"},
    {"slave-priority", "100"},
    {"slave-read-only", "yes"},
    {"slave-serve-stale-data", "yes"},
    {"slaveof", ""},
    {"slowlog-log-slower-than", "10000"},
    {"slowlog-max-len", "128"},
    {"socket-mark-id", "0"},
    {"stop-writes-on-bgsave-error", "yes"},
    {"stream-node-max-bytes", "4096"},
    {"stream-node-max-entries", "100"},
    {"supervised", "no"},
    {"syslog-enabled", "no"},
    {"syslog-facility", "local0"},
    {"syslog-ident", "redis"},
    {"tcp-backlog", "511"},
    {"tcp-keepalive", "300"},
    {"timeout", "0"},
    {"tls-auth-clients", "yes"},
    {"tls-ca-cert-dir", ""},
    {"tls-ca-cert-file", ""},
    {"tls-cert-file", ""},
    {"tls-ciphers", ""},
    {"tls-ciphersuites", ""},
    {"tls-client-cert-file", ""},
    {"tls-client-key-file", ""},
    {"tls-client-key-file-pass", ""},
    {"tls-cluster", "no"},
    {"tls-dh-params-file", ""},
    {"tls-key-file", ""},
    {"tls-key-file-pass", ""},
    {"tls-port", "0"},
    {"tls-prefer-server-ciphers", "no"},
    {"tls-protocols", ""},
    {"tls-replication", "no"},
    {"tls-session-cache-size", "20480"},
    {"tls-session-cache-timeout", "300"},
    {"tls-session-caching", "yes"},
    {"tracking-table-max-keys", "1000000"},
    {"unixsocket", ""},
    {"unixsocketperm", "0"},
    {"zset-max-listpack-entries", "128"},
    {"zset-max-listpack-value", "64"},
    {"zset-max-ziplist-entries", "128"},
    {"zset-max-ziplist-value", "64"},
};

// Where PyKV's default differs from Redis's, on purpose.
const std::set<std::string> kOwnDefaults = {
    "bind",       // loopback only
    "databases",  // PyKV serves db 0 only
    "dir",        // the reference ran in a temp dir
    "port",       // the reference ran on a free port
};
// PyKV's own options, which Redis does not have.
const std::set<std::string> kPyKVOnly = {"port-file",      "http-port",    "http-bind",
                                         "http-port-file", "http-timeout", "maxkeys"};

std::string GetOne(const Config& c, const std::string& name) {
  const Pairs got = c.Get(name);
  REQUIRE(got.size() == 1);
  return got[0].second;
}

std::string LoadError(const std::string& text) {
  Config c;
  const Status st = c.LoadString(text);
  REQUIRE_FALSE(st.ok());
  const std::string& msg = st.message();
  return msg.substr(msg.rfind('\n') + 1);
}

std::string SetError(Config* c, const std::string& name, const std::string& value) {
  const Status st = c->SetAtRuntime({{name, value}});
  REQUIRE_FALSE(st.ok());
  return st.message();
}

std::string SetError(const std::string& name, const std::string& value) {
  Config c;
  return SetError(&c, name, value);
}

std::string SetFailed(const std::string& name, const std::string& reason) {
  return "ERR CONFIG SET failed (possibly related to argument '" + name + "') - " + reason;
}

// The non-comment lines of a config file, in order.
std::vector<std::string> Directives(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    if (!line.empty() && line[0] != '#') out.push_back(line);
  }
  return out;
}

TEST_CASE("every Redis 7.0 option is known, with Redis's default") {
  const Config c;
  std::map<std::string, std::string> ours;
  for (const auto& [name, value] : c.Get("*")) {
    CHECK_MESSAGE(ours.count(name) == 0, name);
    ours[name] = value;
  }
  for (const auto& [name, value] : kRedis70Defaults) {
    CAPTURE(name);
    REQUIRE(ours.count(name) == 1);
    if (kOwnDefaults.count(name) == 0) CHECK(ours[name] == value);
    ours.erase(name);
  }
  std::set<std::string> extra;
  for (const auto& [name, value] : ours) extra.insert(name);
  CHECK(extra == kPyKVOnly);
  CHECK(GetOne(c, "databases") == "1");
}

TEST_CASE("which options PyKV acts on") {
  CHECK(Config::HasEffect("maxmemory"));
  CHECK(Config::HasEffect("databases"));
  CHECK(Config::HasEffect("replica-read-only"));
  CHECK(Config::HasEffect("repl-backlog-size"));
  CHECK_FALSE(Config::HasEffect("repl-diskless-sync"));  // full sync always uses a file
  CHECK_FALSE(Config::HasEffect("slave-read-only"));
  CHECK_FALSE(Config::HasEffect("rdbcompression"));
  CHECK_FALSE(Config::HasEffect("save"));
  CHECK_FALSE(Config::HasEffect("nosuch"));
}

TEST_CASE("replication options: types, ranges, second names") {
  Config c;
  SUBCASE("second names read and write the same value") {
    REQUIRE(c.SetAtRuntime({{"slave-priority", "5"}}).ok());
    CHECK(GetOne(c, "replica-priority") == "5");
    CHECK(GetOne(c, "slave-priority") == "5");
    CHECK(c.settings().replica_priority == 5);
    REQUIRE(
        c.LoadString("slave-read-only no\nmin-slaves-to-write 2\nrepl-ping-slave-period 3\n").ok());
    CHECK_FALSE(c.settings().replica_read_only);
    CHECK(c.settings().min_replicas_to_write == 2);
    CHECK(c.settings().repl_ping_replica_period == 3);
    // A glob lists both names, first name first.
    const Pairs got = c.Get("*priority*");
    CHECK(got == Pairs{{"replica-priority", "5"}, {"slave-priority", "5"}});
    // Redis 7.0 names the spelling the client used in errors, and sees two names as two
    // parameters (no "duplicate parameter").
    CHECK(SetError(&c, "slave-priority", "x") ==
          SetFailed("slave-priority", "argument couldn't be parsed into an integer"));
    CHECK(c.SetAtRuntime({{"replica-priority", "1"}, {"slave-priority", "2"}}).ok());
    CHECK(c.settings().replica_priority == 2);
  }
  SUBCASE("ranges and types") {
    CHECK(SetError(&c, "repl-timeout", "0") ==
          SetFailed("repl-timeout", "argument must be between 1 and 2147483647 inclusive"));
    CHECK(SetError(&c, "replica-announce-port", "65536") ==
          SetFailed("replica-announce-port", "argument must be between 0 and 65535 inclusive"));
    CHECK(SetError(&c, "replica-read-only", "maybe") ==
          SetFailed("replica-read-only", "argument must be 'yes' or 'no'"));
    CHECK(SetError(&c, "repl-diskless-load", "x") ==
          SetFailed("repl-diskless-load",
                    "argument(s) must be one of the following: disabled, on-empty-db, swapdb"));
    CHECK(SetError(&c, "repl-backlog-size", "0") ==
          SetFailed("repl-backlog-size",
                    "argument must be between 1 and 9223372036854775807 inclusive"));
    REQUIRE(c.SetAtRuntime({{"repl-backlog-size", "10mb"}, {"masterauth", "s3cret"}}).ok());
    CHECK(c.settings().repl_backlog_size == 10u << 20);
    CHECK(GetOne(c, "repl-backlog-size") == "10485760");
    CHECK(Config::IsSensitive("masterauth"));
    CHECK(Config::IsSensitive("masteruser"));
  }
  SUBCASE("replicaof") {
    REQUIRE(c.LoadString("slaveof 10.0.0.1 6380\n").ok());
    CHECK(c.settings().replicaof_host == "10.0.0.1");
    CHECK(c.settings().replicaof_port == 6380);
    CHECK(GetOne(c, "replicaof") == "10.0.0.1 6380");
    CHECK(GetOne(c, "slaveof") == "10.0.0.1 6380");
    REQUIRE(c.LoadString("replicaof no one\n").ok());
    CHECK(c.settings().replicaof_host.empty());
    CHECK(GetOne(c, "replicaof").empty());
    CHECK(LoadError("replicaof a") == "wrong number of arguments");
    CHECK(LoadError("replicaof a b") == "Invalid master port");
    CHECK(LoadError("replicaof localhost 70000") == "Invalid master port");
    // Changed at run time by REPLICAOF, not CONFIG SET.
    CHECK(SetError(&c, "slaveof", "a 1") == SetFailed("slaveof", "can't set immutable config"));
  }
}

TEST_CASE("options with no effect: validated with Redis's texts") {
  Config c;
  REQUIRE(c.SetAtRuntime({{"rdbcompression", "NO"},
                          {"hash-max-listpack-entries", "100"},
                          {"hash-max-listpack-value", "1kb"},
                          {"oom-score-adj", "relative"},
                          {"lua-time-limit", "4000"},
                          {"maxmemory-clients", "10%"},
                          {"latency-tracking-info-percentiles", "50.5 99.00"},
                          {"shutdown-on-sigint", "now nosave"}})
              .ok());
  CHECK(GetOne(c, "rdbcompression") == "no");
  CHECK(GetOne(c, "hash-max-ziplist-entries") == "100");
  CHECK(GetOne(c, "hash-max-listpack-value") == "1024");
  CHECK(GetOne(c, "oom-score-adj") == "yes");  // Redis shows relative's first name
  CHECK(GetOne(c, "busy-reply-threshold") == "4000");
  CHECK(GetOne(c, "maxmemory-clients") == "10%");
  CHECK(GetOne(c, "latency-tracking-info-percentiles") == "50.5 99");
  CHECK(GetOne(c, "shutdown-on-sigint") == "nosave now");

  CHECK(SetError("rdbcompression", "maybe") ==
        SetFailed("rdbcompression", "argument must be 'yes' or 'no'"));
  CHECK(SetError("hash-max-listpack-entries", "-1") ==
        SetFailed("hash-max-listpack-entries",
                  "argument must be between 0 and 9223372036854775807 inclusive"));
  CHECK(SetError("active-defrag-cycle-max", "100") ==
        SetFailed("active-defrag-cycle-max", "argument must be between 1 and 99 inclusive"));
  CHECK(SetError("stream-node-max-bytes", "1x") ==
        SetFailed("stream-node-max-bytes", "argument must be a memory value"));
  CHECK(SetError("sanitize-dump-payload", "x") ==
        SetFailed("sanitize-dump-payload",
                  "argument(s) must be one of the following: no, yes, clients"));
  CHECK(SetError("oom-score-adj-values", "1 2") ==
        SetFailed("oom-score-adj-values", "wrong number of arguments"));
  CHECK(SetError("oom-score-adj-values", "1 2 3000") ==
        SetFailed("oom-score-adj-values",
                  "Invalid oom-score-adj-values, elements must be between -2000 and 2000."));
  CHECK(SetError("latency-tracking-info-percentiles", "50 abc") ==
        SetFailed("latency-tracking-info-percentiles",
                  "Invalid latency-tracking-info-percentiles parameters"));
  CHECK(SetError("latency-tracking-info-percentiles", "101") ==
        SetFailed("latency-tracking-info-percentiles",
                  "latency-tracking-info-percentiles parameters should sit between [0.0,100.0]"));
  CHECK(SetError("shutdown-on-sigint", "save nosave") ==
        SetFailed("shutdown-on-sigint",
                  "shutdown options SAVE and NOSAVE can't be used simultaneously"));
  CHECK(SetError("shutdown-on-sigterm", "bogus") ==
        SetFailed("shutdown-on-sigterm",
                  "argument(s) must be one of the following: default, save, nosave, now, force"));
  CHECK(SetError("maxmemory-clients", "101%") ==
        SetFailed("maxmemory-clients", "percentage argument must be less or equal to 100"));
  CHECK(SetError("maxmemory-clients", "1.5") ==
        SetFailed("maxmemory-clients", "argument must be a memory or percent value"));
  for (const char* bad : {"{title", "{foo}", ""}) {
    CAPTURE(bad);
    CHECK(SetError("proc-title-template", bad) ==
          SetFailed("proc-title-template",
                    "template format is invalid or contains unknown variables"));
  }
  Config t;
  CHECK(t.SetAtRuntime({{"proc-title-template", "{port} x"}}).ok());
  CHECK(SetError("cluster-announce-hostname", "a b") ==
        SetFailed("cluster-announce-hostname",
                  "Hostnames may only contain alphanumeric characters, hyphens or dots"));
  // Mutability is Redis's.
  CHECK(SetError("io-threads", "2") == SetFailed("io-threads", "can't set immutable config"));
  CHECK(SetError("dbfilename", "x.rdb") == SetFailed("dbfilename", "can't set protected config"));
  CHECK(SetError("unixsocketperm", "700") ==
        SetFailed("unixsocketperm", "can't set immutable config"));
  // File-only checks.
  CHECK(LoadError("io-threads 200") == "argument must be between 1 and 128 inclusive");
  CHECK(LoadError("unixsocketperm 800") == "argument couldn't be parsed as an octal number");
  CHECK(LoadError("dbfilename a/b.rdb") == "dbfilename can't be a path, just a filename");
  CHECK(LoadError("oom-score-adj-values 1 2") == "wrong number of arguments");
  CHECK(LoadError("rdbchecksum 1 2") == "wrong number of arguments");
  Config u;
  REQUIRE(u.LoadString("unixsocketperm 0770\nsyslog-facility LOCAL3\n").ok());
  CHECK(GetOne(u, "unixsocketperm") == "770");
  CHECK(GetOne(u, "syslog-facility") == "local3");
}

TEST_CASE("directives PyKV refuses rather than ignore") {
  CHECK(LoadError("tls-port 6380") == "PyKV has no TLS support: tls-port must be 0");
  CHECK(LoadError("tls-port 70000") == "argument must be between 0 and 65535 inclusive");
  CHECK(SetError("tls-port", "6380") ==
        SetFailed("tls-port", "PyKV has no TLS support: tls-port must be 0"));
  CHECK(LoadError("unixsocket /tmp/pykv.sock") ==
        "PyKV does not listen on Unix sockets: unixsocket must be empty");
  CHECK(LoadError("cluster-enabled yes") == "PyKV has no cluster mode: cluster-enabled must be no");
  CHECK(LoadError("aclfile /etc/redis/users.acl") ==
        "PyKV has no ACL users: aclfile must be empty (use requirepass)");
  CHECK(LoadError("rename-command CONFIG \"\"") == "rename-command is not supported by PyKV");
  CHECK(LoadError("loadmodule /usr/lib/redis/modules/x.so") == "PyKV does not load Redis modules");
  CHECK(LoadError("sentinel monitor m 127.0.0.1 6379 2") ==
        "sentinel directive while not in sentinel mode");
  CHECK(LoadError("user alice on >pw ~* +@all").starts_with("PyKV has no ACL users"));
  // Wrong argument counts are still Redis's generic error.
  CHECK(LoadError("rename-command get") == "Bad directive or wrong number of arguments");
  CHECK(LoadError("loadmodule") == "Bad directive or wrong number of arguments");
  CHECK(LoadError("nosuch-directive 1") == "Bad directive or wrong number of arguments");

  Config c;
  // The off values, Redis's rewrite of an open default user and deprecated names load.
  REQUIRE(c.LoadString("tls-port 0\nunixsocket \"\"\ncluster-enabled no\naclfile \"\"\n"
                       "user default on nopass ~* &* +@all\nlist-max-ziplist-entries 512\n"
                       "lua-replicate-commands yes\n")
              .ok());
  CHECK(GetOne(c, "tls-port") == "0");
}

TEST_CASE("start-up notices name what a config set, once") {
  Config quiet;
  REQUIRE(quiet.LoadString("port 7000\nmaxmemory 1mb\ndatabases 1\n").ok());
  CHECK(quiet.StartupNotices().empty());

  Config c;
  REQUIRE(c.LoadString("rdbcompression no\nhash-max-ziplist-entries 10\n"
                       "hash-max-listpack-entries 20\nslave-read-only yes\n"
                       "replica-priority 100\nrepl-diskless-sync no\ndatabases 16\n"
                       "user default on nopass ~* &* +@all\n")
              .ok());
  const std::vector<std::string> notices = c.StartupNotices();
  REQUIRE(notices.size() == 2);
  CHECK(notices[0] ==
        "Redis options accepted for compatibility, with no effect in PyKV: rdbcompression, "
        "hash-max-listpack-entries, repl-diskless-sync, user");
  CHECK(notices[1] ==
        "databases 16: PyKV serves database 0 only (CONFIG GET databases answers 1, SELECT of "
        "any other index is refused)");
  CHECK(GetOne(c, "databases") == "1");
  // Changes made at run time are not start-up notices.
  REQUIRE(c.SetAtRuntime({{"activerehashing", "no"}}).ok());
  CHECK(c.StartupNotices() == notices);
  CHECK(LoadError("databases 0") == "argument must be between 1 and 2147483647 inclusive");
}

TEST_CASE("CONFIG REWRITE keeps accepted options and writes first names") {
  TempDir dir;
  const std::string path = dir.File("redis.conf");
  WriteFile(path,
            "# kept\n"
            "slave-priority 5\n"
            "hash-max-ziplist-entries 100\n"
            "rdbcompression no\n"
            "databases 16\n"
            "slaveof 127.0.0.1 6390\n"
            "lua-time-limit 4000\n");
  Config c;
  REQUIRE(c.LoadFile(path).ok());
  REQUIRE(c.SetAtRuntime({{"replica-announce-ip", "1.2.3.4"},
                          {"maxmemory-clients", "5%"},
                          {"active-defrag-ignore-bytes", "200mb"},
                          {"latency-tracking-info-percentiles", ""}})
              .ok());
  REQUIRE(c.Rewrite().ok());
  const std::string text = ReadFile(path);
  CHECK(Directives(text) == std::vector<std::string>{
                                "replica-priority 5",
                                "hash-max-listpack-entries 100",
                                "rdbcompression no",
                                "databases 16",
                                "replicaof 127.0.0.1 6390",
                                "busy-reply-threshold 4000",
                                "replica-announce-ip \"1.2.3.4\"",
                                "active-defrag-ignore-bytes 200mb",
                                "maxmemory-clients 5%",
                                "latency-tracking-info-percentiles \"\"",
                            });
  CHECK(text.starts_with("# kept\n"));
  // The rewritten file loads back to the same values, and a second rewrite changes nothing.
  Config again;
  REQUIRE(again.LoadFile(path).ok());
  CHECK(again.Get("*") == c.Get("*"));
  REQUIRE(again.Rewrite().ok());
  CHECK(ReadFile(path) == text);
  // A primary drops the file's replicaof line, as Redis does.
  WriteFile(path, "replicaof 127.0.0.1 6390\nreplicaof no one\n");
  Config primary;
  REQUIRE(primary.LoadFile(path).ok());
  REQUIRE(primary.Rewrite().ok());
  CHECK(Directives(ReadFile(path)).empty());
}

TEST_CASE("Debian's stock redis.conf loads") {
  // Debian's redis-server package (tools/install-deps.sh) puts it there.
  const std::string stock = "/etc/redis/redis.conf";
  REQUIRE_MESSAGE(fs::exists(stock), "no ", stock, ": run tools/install-deps.sh");
  const std::string text = ReadFile(stock);
  Config c;
  const Status st = c.LoadString(text);
  REQUIRE_MESSAGE(st.ok(), st.message());
  const Settings& s = c.settings();
  CHECK(s.daemonize);
  CHECK(s.pidfile == "/run/redis/redis-server.pid");
  CHECK(s.logfile == "/var/log/redis/redis-server.log");
  CHECK(s.dir == "/var/lib/redis");
  CHECK(s.bind == std::vector<std::string>{"127.0.0.1", "-::1"});
  CHECK(GetOne(c, "databases") == "1");
  CHECK(GetOne(c, "proc-title-template") == "{title} {listen-addr} {server-mode}");
  CHECK(GetOne(c, "oom-score-adj-values") == "0 200 800");
  CHECK(GetOne(c, "client-output-buffer-limit") ==
        "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60");
  const std::vector<std::string> notices = c.StartupNotices();
  REQUIRE(notices.size() == 2);
  CHECK(notices[0].find("rdbcompression") != std::string::npos);
  CHECK(notices[0].find("jemalloc-bg-thread") != std::string::npos);
  CHECK(notices[0].find("repl-diskless-sync-max-replicas") != std::string::npos);
  CHECK(notices[0].find("replica-read-only") == std::string::npos);
  CHECK(notices[1].starts_with("databases 16:"));
}

}  // namespace
}  // namespace pykv::server
