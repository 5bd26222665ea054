// INFO: the server's facts in Redis's field names and format ("# Section" headers,
// "field:value" lines, CRLF), so tools that parse Redis's INFO read PyKV's unchanged.
#include <sys/resource.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <string>

#include "common/info_field.h"
#include "common/memory.h"
#include "server/client_session.h"
#include "server/server.h"

namespace pykv::server {

namespace {

constexpr const char* kRedisCompatVersion = "7.0.15";

std::string Human(uint64_t bytes) {
  const char* units[] = {"B", "K", "M", "G", "T", "P"};
  double v = static_cast<double>(bytes);
  int u = 0;
  while (v >= 1024 && u < 5) {
    v /= 1024;
    ++u;
  }
  char buf[32];
  if (u == 0) {
    std::snprintf(buf, sizeof(buf), "%lluB", static_cast<unsigned long long>(bytes));
  } else {
    std::snprintf(buf, sizeof(buf), "%.2f%s", v, units[u]);
  }
  return buf;
}

std::string Fixed(double v, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.*f", decimals, v);
  return buf;
}

// A stable per-process id, like Redis's run_id.
const std::string& RunId() {
  static const std::string id = [] {
    std::string s;
    uint64_t x = static_cast<uint64_t>(getpid()) * 0x9e3779b97f4a7c15ull ^
                 static_cast<uint64_t>(time(nullptr));
    const char* hex = "0123456789abcdef";
    for (int i = 0; i < 40; ++i) {
      x ^= x << 13;
      x ^= x >> 7;
      x ^= x << 17;
      s += hex[x & 15];
    }
    return s;
  }();
  return id;
}

}  // namespace

std::string Server::Info(const std::vector<std::string>& requested) {
  // Redis prints the sections in this fixed order whatever order they were asked in, and
  // each once; "default" leaves out commandstats and latencystats.
  static constexpr std::string_view kOrder[] = {
      "server",  "clients",      "memory",     "persistence",  "stats",   "replication", "cpu",
      "modules", "commandstats", "errorstats", "latencystats", "cluster", "keyspace"};
  auto is_extra = [](std::string_view n) { return n == "commandstats" || n == "latencystats"; };
  std::vector<std::string_view> wanted;
  for (const std::string& r : requested) {
    for (std::string_view n : kOrder) {
      if (r == "all" || r == "everything" || (r == "default" && !is_extra(n)) || r == n) {
        wanted.push_back(n);
      }
    }
  }
  if (requested.empty()) {
    for (std::string_view n : kOrder) {
      if (!is_extra(n)) wanted.push_back(n);
    }
  }
  std::string out;
  for (std::string_view name : kOrder) {
    if (std::find(wanted.begin(), wanted.end(), name) == wanted.end()) continue;
    std::string text = InfoSection(std::string(name));
    if (text.empty()) continue;
    if (!out.empty()) out += "\r\n";
    out += text;
  }
  return out;
}

std::string Server::InfoSection(const std::string& name) {
  const Settings& s = settings();
  const int64_t now_ms = clock_->NowMs();
  std::string o;
  if (name == "server") {
    o += "# Server\r\n";
    AppendInfoField(&o, "redis_version", kRedisCompatVersion);
    AppendInfoField(&o, "pykv_version", PYKV_VERSION);
    AppendInfoField(&o, "redis_git_sha1", "00000000");
    AppendInfoField(&o, "redis_git_dirty", "0");
    AppendInfoField(&o, "redis_mode", "standalone");
    struct utsname u;
    if (uname(&u) == 0) {
      AppendInfoField(&o, "os", std::string(u.sysname) + " " + u.release + " " + u.machine);
    }
    AppendInfoField(&o, "arch_bits", "64");
    AppendInfoField(&o, "multiplexing_api", "libuv");
    AppendInfoField(&o, "gcc_version",
                    std::to_string(__GNUC__) + "." + std::to_string(__GNUC_MINOR__) + "." +
                        std::to_string(__GNUC_PATCHLEVEL__));
    AppendInfoField(&o, "process_id", getpid());
    AppendInfoField(&o, "run_id", RunId());
    AppendInfoField(&o, "tcp_port", bound_port_);
    AppendInfoField(&o, "server_time_usec", clock_->NowUs());
    AppendInfoField(&o, "uptime_in_seconds", UptimeSeconds());
    AppendInfoField(&o, "uptime_in_days", UptimeSeconds() / 86400);
    AppendInfoField(&o, "hz", s.hz);
    AppendInfoField(&o, "configured_hz", s.hz);
    AppendInfoField(&o, "lru_clock",
                    static_cast<uint64_t>((now_ms / 1000) & store::Entry::kRedisLruClockMask));
    char exe[4096];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    AppendInfoField(&o, "executable",
                    n > 0 ? std::string(exe, static_cast<size_t>(n)) : std::string());
    AppendInfoField(&o, "config_file", config_.config_file_abs());
    AppendInfoField(&o, "io_threads_active", "0");
  } else if (name == "clients") {
    o += "# Clients\r\n";
    AppendInfoField(&o, "connected_clients", static_cast<uint64_t>(registry_->size()));
    AppendInfoField(&o, "cluster_connections", "0");
    AppendInfoField(&o, "maxclients", s.maxclients);
    const cmd::ConnectionFigures peaks = registry_->LargestBuffers();
    AppendInfoField(&o, "client_recent_max_input_buffer",
                    static_cast<uint64_t>(peaks.query_buffered));
    AppendInfoField(&o, "client_recent_max_output_buffer",
                    static_cast<uint64_t>(peaks.output_buffered));
    AppendInfoField(&o, "blocked_clients", "0");
    AppendInfoField(&o, "tracking_clients", "0");
    AppendInfoField(&o, "clients_in_timeout_table", "0");
    AppendInfoField(&o, "paused_clients", static_cast<uint64_t>(registry_->paused_count()));
  } else if (name == "memory") {
    o += "# Memory\r\n";
    size_t used = UsedMemory();
    size_t rss = ResidentSetBytes();
    if (used > peak_memory_) peak_memory_ = used;
    AppendInfoField(&o, "used_memory", static_cast<uint64_t>(used));
    AppendInfoField(&o, "used_memory_human", Human(used));
    AppendInfoField(&o, "used_memory_rss", static_cast<uint64_t>(rss));
    AppendInfoField(&o, "used_memory_rss_human", Human(rss));
    AppendInfoField(&o, "used_memory_peak", static_cast<uint64_t>(peak_memory_));
    AppendInfoField(&o, "used_memory_peak_human", Human(peak_memory_));
    AppendInfoField(&o, "used_memory_dataset", static_cast<uint64_t>(keyspace_->bytes()));
    AppendInfoField(&o, "used_memory_keys", static_cast<uint64_t>(keyspace_->size()));
    AppendInfoField(&o, "maxmemory", s.maxmemory);
    AppendInfoField(&o, "maxmemory_human", Human(s.maxmemory));
    AppendInfoField(&o, "maxmemory_policy", s.maxmemory_policy);
    AppendInfoField(&o, "maxkeys", s.maxkeys);
    AppendInfoField(&o, "mem_fragmentation_ratio",
                    Fixed(used ? static_cast<double>(rss) / used : 0, 2));
    AppendInfoField(&o, "mem_allocator", AllocatorName());
    AppendInfoField(&o, "lazyfree_pending_objects", "0");
  } else if (name == "persistence") {
    o = persistence_->Info();
  } else if (name == "stats") {
    o += "# Stats\r\n";
    const cmd::DispatcherStats& d = dispatcher_->stats();
    const store::KeyspaceStats& k = keyspace_->stats();
    AppendInfoField(&o, "total_connections_received", stats_.total_connections_received);
    AppendInfoField(&o, "total_commands_processed", d.total_commands);
    AppendInfoField(&o, "instantaneous_ops_per_sec", ops_per_sec_);
    AppendInfoField(&o, "total_net_input_bytes", registry_->net_stats().total_net_input_bytes);
    AppendInfoField(&o, "total_net_output_bytes", registry_->net_stats().total_net_output_bytes);
    AppendInfoField(&o, "rejected_connections", stats_.rejected_connections);
    const replication::Primary::SyncStats& sync = replication_->sync_stats();
    AppendInfoField(&o, "sync_full", sync.full);
    AppendInfoField(&o, "sync_partial_ok", sync.partial_ok);
    AppendInfoField(&o, "sync_partial_err", sync.partial_err);
    AppendInfoField(&o, "expired_keys", k.expired_keys);
    AppendInfoField(&o, "evicted_keys", k.evicted_keys);
    AppendInfoField(&o, "keyspace_hits", k.keyspace_hits);
    AppendInfoField(&o, "keyspace_misses", k.keyspace_misses);
    AppendInfoField(&o, "pubsub_channels", pubsub_->ChannelCount(cmd::PubSubKind::kChannel));
    AppendInfoField(&o, "pubsub_patterns", pubsub_->PatternCount());
    AppendInfoField(&o, "pubsubshard_channels",
                    pubsub_->ChannelCount(cmd::PubSubKind::kShardChannel));
    AppendInfoField(&o, "latest_fork_usec", "0");
    AppendInfoField(&o, "total_forks", "0");
    AppendInfoField(&o, "total_error_replies", d.failed_calls + d.rejected_calls);
    AppendInfoField(&o, "client_query_buffer_limit_disconnections",
                    registry_->net_stats().client_query_buffer_limit_disconnections);
    AppendInfoField(&o, "client_output_buffer_limit_disconnections",
                    registry_->net_stats().client_output_buffer_limit_disconnections);
    AppendInfoField(&o, "acl_access_denied_auth", d.acl_access_denied_auth);
  } else if (name == "replication") {
    o += replication_->Info();
  } else if (name == "cpu") {
    o += "# CPU\r\n";
    struct rusage self, children;
    getrusage(RUSAGE_SELF, &self);
    getrusage(RUSAGE_CHILDREN, &children);
    auto secs = [](const timeval& tv) {
      return Fixed(static_cast<double>(tv.tv_sec) + tv.tv_usec / 1e6, 6);
    };
    AppendInfoField(&o, "used_cpu_sys", secs(self.ru_stime));
    AppendInfoField(&o, "used_cpu_user", secs(self.ru_utime));
    AppendInfoField(&o, "used_cpu_sys_children", secs(children.ru_stime));
    AppendInfoField(&o, "used_cpu_user_children", secs(children.ru_utime));
  } else if (name == "modules") {
    o += "# Modules\r\n";
  } else if (name == "errorstats") {
    o += "# Errorstats\r\n";
    for (const auto& [code, count] : dispatcher_->stats().errors.codes()) {
      o += "errorstat_" + code + ":count=" + std::to_string(count) + "\r\n";
    }
  } else if (name == "commandstats") {
    o += "# Commandstats\r\n";
    auto emit = [&o](const cmd::Command& c) {
      const cmd::CommandStats& st = c.stats;
      if (st.calls == 0 && st.rejected_calls == 0 && st.failed_calls == 0) return;
      double per_call = st.calls ? static_cast<double>(st.usec) / st.calls : 0;
      o += "cmdstat_" + c.name + ":calls=" + std::to_string(st.calls) +
           ",usec=" + std::to_string(st.usec) + ",usec_per_call=" + Fixed(per_call, 2) +
           ",rejected_calls=" + std::to_string(st.rejected_calls) +
           ",failed_calls=" + std::to_string(st.failed_calls) + "\r\n";
    };
    for (const cmd::Command* c : dispatcher_->table().all()) {
      emit(*c);
      for (const cmd::Command& sub : c->subcommands) emit(sub);
    }
  } else if (name == "latencystats") {
    o += "# Latencystats\r\n";
  } else if (name == "cluster") {
    o += "# Cluster\r\n";
    AppendInfoField(&o, "cluster_enabled", "0");
  } else if (name == "keyspace") {
    o += "# Keyspace\r\n";
    if (keyspace_->size() > 0) {
      o += "db0:keys=" + std::to_string(keyspace_->size()) +
           ",expires=" + std::to_string(keyspace_->volatile_size()) +
           ",avg_ttl=" + std::to_string(keyspace_->avg_ttl_ms()) + "\r\n";
    }
  }
  return o;
}

}  // namespace pykv::server
