// Config: every server option in one table: its redis.conf name, type, default, whether
// CONFIG SET may change it at run time, and how it prints for CONFIG GET. Sources, in
// order: defaults, the config file (redis.conf syntax), the command line (`--name value`),
// then CONFIG SET. Typed values live in Settings, which the rest of the server reads.
// Every Redis 7.0 option is known: besides PyKV's own, the replication options and the
// options PyKV has no use for (validated, stored and reported back, never acted on);
// StartupNotices() names those a config set.
// Loop thread only (start-up runs on the same thread before the loop starts).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"

namespace pykv::server {

// client-output-buffer-limit for one class: close past hard, or past soft for soft_seconds.
struct OutputLimit {
  uint64_t hard = 0;
  uint64_t soft = 0;
  int64_t soft_seconds = 0;
};

struct Settings {
  // Network
  std::vector<std::string> bind = {"127.0.0.1", "-::1"};  // "-" prefix: skip if unavailable
  int port = 6379;                                        // 0 = pick a free port and log it
  std::string port_file;                                  // write the bound port here (tests)
  int tcp_backlog = 511;
  int maxclients = 10000;
  int timeout = 0;  // idle seconds before closing a client; 0 = never
  int tcp_keepalive = 300;
  bool protected_mode = true;
  std::string requirepass;
  // HTTP listener (/kv API, GUI, health, metrics)
  int http_port = 0;                    // 0 = no HTTP listener
  std::string http_bind = "127.0.0.1";  // one address
  std::string http_port_file;           // write the bound HTTP port here (tests)
  int http_timeout = 60;                // seconds an HTTP connection may sit idle or mid-request
  // General
  bool daemonize = false;  // fork at start; the parent exits (server/daemonize.h)
  std::string loglevel = "notice";
  std::string logfile;  // "" = stdout
  std::string pidfile;
  std::string dir = ".";
  int hz = 10;
  std::string enable_debug_command = "no";  // no | yes | local (loopback clients only)
  // Keyspace limits
  uint64_t maxkeys = 0;    // 0 = unlimited
  uint64_t maxmemory = 0;  // 0 = unlimited
  std::string maxmemory_policy = "noeviction";
  // Protocol limits
  uint64_t proto_max_bulk_len = 512ull * 1024 * 1024;
  uint64_t client_query_buffer_limit = 1024ull * 1024 * 1024;
  OutputLimit output_normal{0, 0, 0};
  OutputLimit output_replica{256ull << 20, 64ull << 20, 60};
  OutputLimit output_pubsub{32ull << 20, 8ull << 20, 60};
  // Diagnostics
  int64_t slowlog_log_slower_than = 10000;  // microseconds; <0 disables
  uint64_t slowlog_max_len = 128;
  uint64_t latency_monitor_threshold = 0;  // ms; 0 disables
  uint32_t notify_keyspace_events = 0;     // cmd::NotifyClass flags; 0: no notifications
  // Persistence (used by the AOF issue; accepted and reported now)
  bool appendonly = false;
  std::string appendfsync = "everysec";
  std::string appenddirname = "appendonlydir";
  std::string appendfilename = "appendonly.aof";
  int auto_aof_rewrite_percentage = 100;
  uint64_t auto_aof_rewrite_min_size = 64ull << 20;
  bool aof_load_truncated = true;
  std::string save;  // RDB snapshots: PyKV has none; kept for CONFIG GET save

  // Replication (config_replication.cc), typed, validated and reported as Redis 7.0 does;
  // the replication service reads them.
  std::string replicaof_host;  // "" = not a replica
  int replicaof_port = 0;
  std::string masterauth;
  std::string masteruser;
  bool replica_read_only = true;
  bool replica_serve_stale_data = true;
  bool replica_ignore_maxmemory = true;
  bool replica_lazy_flush = false;
  bool replica_ignore_disk_write_errors = false;
  uint64_t repl_backlog_size = 1024 * 1024;
  int64_t repl_backlog_ttl = 3600;  // seconds
  int repl_timeout = 60;            // seconds
  int repl_ping_replica_period = 10;
  int replica_priority = 100;
  std::string replica_announce_ip;
  int replica_announce_port = 0;
  bool replica_announced = true;
  int min_replicas_to_write = 0;
  int min_replicas_max_lag = 10;
  bool repl_diskless_sync = true;
  int repl_diskless_sync_delay = 5;
  int repl_diskless_sync_max_replicas = 0;
  std::string repl_diskless_load = "disabled";
  bool repl_disable_tcp_nodelay = false;
  std::string bind_source_addr;

  // `databases` as configured. PyKV serves db 0 only, so CONFIG GET answers 1 whatever the
  // file says; the configured value is kept for CONFIG REWRITE.
  int databases_configured = 1;
  // Redis options with no effect in PyKV (config_redis_compat.cc): option name -> value as
  // CONFIG GET prints it. Absent means the default.
  std::map<std::string, std::string, std::less<>> no_effect;
};

class Config {
 public:
  Config();

  // redis-server's command line: [config-file] [--name value ...]. A lone "-" as file
  // reads the config from stdin. Returns Invalid with Redis-like text on bad input.
  Status LoadFromArgs(int argc, const char* const* argv);
  Status LoadFile(const std::string& path);
  // Parses config text (one "name value..." directive per line, # comments, quoted args).
  Status LoadString(std::string_view text);

  // CONFIG SET name value [name value ...]: all or nothing. Errors use Redis 7's texts,
  // e.g. "ERR Unknown option or number of arguments for CONFIG SET - 'foo'" and
  // "ERR CONFIG SET failed (possibly related to argument 'port') - can't set immutable config".
  Status SetAtRuntime(const std::vector<std::pair<std::string, std::string>>& pairs);
  // CONFIG GET: name/value pairs of every option matching the glob (case-insensitive).
  std::vector<std::pair<std::string, std::string>> Get(std::string_view pattern) const;
  // CONFIG REWRITE: rewrites the file it was loaded from, keeping comments and order.
  Status Rewrite();

  const Settings& settings() const { return s_; }
  // The option holds a secret (requirepass): never log the value CONFIG SET was given.
  static bool IsSensitive(std::string_view name);
  const std::string& config_file() const { return file_; }
  // Absolute path of the config file ("" without one), for INFO server.
  std::string config_file_abs() const;

  // Lines to log once at start-up: the options the config file and command line set that
  // PyKV accepts with no effect, and `databases` above 1. Empty when there is nothing to
  // say.
  std::vector<std::string> StartupNotices() const;
  // True for the options PyKV acts on; false for the accepted-only ones, Redis's second
  // names (slave-*) and unknown names.
  static bool HasEffect(std::string_view name);

  // REPLICAOF changed the primary ("" = none): CONFIG GET and REWRITE show it.
  void SetReplicaOf(std::string host, int port) {
    s_.replicaof_host = std::move(host);
    s_.replicaof_port = port;
  }

  // Called after a runtime change of the named option has been applied to settings().
  void set_on_change(std::function<void(std::string_view name)> fn) { on_change_ = std::move(fn); }

 private:
  // One row of the option table (defined in config.cc). The table is static data shared by
  // every Config: rows hold accessors into a Settings, never a pointer to a Config.
  struct Option;
  static const std::vector<Option>& Table();
  static const Option* Find(std::string_view name);

  // Applies one parsed directive ("name arg...") at start-up; returns "" or Redis's reason.
  std::string ApplyDirective(const std::vector<std::string>& argv);
  // Parses config text; `origin` names an included file in errors ("" for the main text).
  Status LoadText(std::string_view text, const std::string& origin, int depth);
  Status Include(const std::string& path, int depth);
  static void NoteLoaded(std::vector<std::string>* names, const std::string& name);

  Settings s_;
  std::string file_;
  std::string file_abs_;      // fixed at load time: the server may chdir to `dir` later
  bool save_loaded_ = false;  // later `save` lines of a load add to the first (as Redis)
  // Options without effect that the file or command line set, by
  // canonical name, in order of first appearance.
  std::vector<std::string> no_effect_loaded_;
  std::function<void(std::string_view)> on_change_;
};

}  // namespace pykv::server
