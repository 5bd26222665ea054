// The replication options of Redis 7.0, with its types, ranges, defaults, second names
// (slave-*) and mutability. The server's replication service reads the Settings fields.
// The rows flagged kNoEffect are the choices PyKV's replication does not offer (full sync
// is always written to disk, a replica never evicts nor flushes lazily, the link binds no
// source address): accepted, shown and rewritten, and named once at start-up.
#include <string>

#include "server/config_option.h"

namespace pykv::server::config_detail {
namespace {

// replicaof <host> <port> | replicaof no one. Immutable in Redis 7.0 (REPLICAOF is the
// command that changes it at run time); CONFIG GET prints "host port" or "".
OptionSpec ReplicaOf() {
  return {
      .name = "replicaof",
      .flags = kImmutable | kMultiArg,
      .set = [](Settings* s, const Args& a) -> std::string {
        if (a.size() != 2) return "wrong number of arguments";
        if (EqualsIgnoreCase(a[0], "no") && EqualsIgnoreCase(a[1], "one")) {
          s->replicaof_host.clear();
          s->replicaof_port = 0;
          return {};
        }
        int64_t port;
        if (!ParseInt64(a[1], &port) || port < 0 || port > 65535) return "Invalid master port";
        s->replicaof_host = a[0];
        s->replicaof_port = static_cast<int>(port);
        return {};
      },
      .get =
          [](const Settings& s) {
            if (s.replicaof_host.empty()) return std::string();
            return s.replicaof_host + " " + std::to_string(s.replicaof_port);
          },
      // A primary writes no line, and CONFIG REWRITE drops the file's old ones, as Redis.
      .conf =
          [](const Settings& s) {
            if (s.replicaof_host.empty()) return Args{};
            return Args{s.replicaof_host + " " + std::to_string(s.replicaof_port)};
          },
      .alias = "slaveof",
  };
}

}  // namespace

void AppendReplicationSpecs(std::vector<OptionSpec>* t) {
  t->push_back(ReplicaOf());
  t->push_back(String("masterauth", &Settings::masterauth, kSensitive));
  t->push_back(String("masteruser", &Settings::masteruser, kSensitive));
  t->push_back(WithAlias(Bool("replica-read-only", &Settings::replica_read_only, kMutable),
                         "slave-read-only"));
  t->push_back(
      WithAlias(Bool("replica-serve-stale-data", &Settings::replica_serve_stale_data, kMutable),
                "slave-serve-stale-data"));
  t->push_back(
      WithAlias(Bool("replica-ignore-maxmemory", &Settings::replica_ignore_maxmemory, kNoEffect),
                "slave-ignore-maxmemory"));
  t->push_back(WithAlias(Bool("replica-lazy-flush", &Settings::replica_lazy_flush, kNoEffect),
                         "slave-lazy-flush"));
  t->push_back(Bool("replica-ignore-disk-write-errors", &Settings::replica_ignore_disk_write_errors,
                    kNoEffect));
  t->push_back(Memory("repl-backlog-size", &Settings::repl_backlog_size, 1, kInt64Max, kMutable));
  t->push_back(Int("repl-backlog-ttl", &Settings::repl_backlog_ttl, 0, kLongMax, kMutable));
  t->push_back(Int("repl-timeout", &Settings::repl_timeout, 1, kIntMax, kMutable));
  t->push_back(WithAlias(
      Int("repl-ping-replica-period", &Settings::repl_ping_replica_period, 1, kIntMax, kMutable),
      "repl-ping-slave-period"));
  t->push_back(WithAlias(Int("replica-priority", &Settings::replica_priority, 0, kIntMax, kMutable),
                         "slave-priority"));
  t->push_back(WithAlias(String("replica-announce-ip", &Settings::replica_announce_ip, kMutable),
                         "slave-announce-ip"));
  t->push_back(
      WithAlias(Int("replica-announce-port", &Settings::replica_announce_port, 0, 65535, kMutable),
                "slave-announce-port"));
  t->push_back(Bool("replica-announced", &Settings::replica_announced, kMutable));
  t->push_back(WithAlias(
      Int("min-replicas-to-write", &Settings::min_replicas_to_write, 0, kIntMax, kMutable),
      "min-slaves-to-write"));
  t->push_back(
      WithAlias(Int("min-replicas-max-lag", &Settings::min_replicas_max_lag, 0, kIntMax, kMutable),
                "min-slaves-max-lag"));
  t->push_back(Bool("repl-diskless-sync", &Settings::repl_diskless_sync, kNoEffect));
  t->push_back(
      Int("repl-diskless-sync-delay", &Settings::repl_diskless_sync_delay, 0, kIntMax, kNoEffect));
  t->push_back(Int("repl-diskless-sync-max-replicas", &Settings::repl_diskless_sync_max_replicas, 0,
                   kIntMax, kNoEffect));
  t->push_back(Enum("repl-diskless-load", &Settings::repl_diskless_load,
                    {"disabled", "on-empty-db", "swapdb"}, kNoEffect));
  t->push_back(Bool("repl-disable-tcp-nodelay", &Settings::repl_disable_tcp_nodelay, kNoEffect));
  // The source address of the replica link's connection: not offered.
  t->push_back(String("bind-source-addr", &Settings::bind_source_addr, kNoEffect));
}

}  // namespace pykv::server::config_detail
