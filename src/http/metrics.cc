#include "http/metrics.h"

#include <cstdio>
#include <cstdlib>
#include <map>
#include <vector>

namespace pykv::http {

namespace {

// Label values escape backslash, double quote and newline.
std::string Label(std::string_view v) {
  std::string out;
  for (const char c : v) {
    if (c == '\\' || c == '"') {
      out.push_back('\\');
      out.push_back(c);
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out.push_back(c);
    }
  }
  return out;
}

class Exposition {
 public:
  void Family(std::string_view name, std::string_view type, std::string_view help) {
    out_ += "# HELP ";
    out_ += name;
    out_ += ' ';
    out_ += help;
    out_ += "\n# TYPE ";
    out_ += name;
    out_ += ' ';
    out_ += type;
    out_ += '\n';
  }
  void Sample(std::string_view name, std::string_view labels, std::string_view value) {
    out_ += name;
    if (!labels.empty()) {
      out_ += '{';
      out_ += labels;
      out_ += '}';
    }
    out_ += ' ';
    out_ += value;
    out_ += '\n';
  }
  void One(std::string_view name, std::string_view type, std::string_view help,
           std::string_view value) {
    Family(name, type, help);
    Sample(name, "", value);
  }
  std::string Take() { return std::move(out_); }

 private:
  std::string out_;
};

std::string Seconds(uint64_t us) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.6f", static_cast<double>(us) / 1e6);
  return buf;
}

}  // namespace

std::string_view InfoField(const InfoMap& info, const std::string& name,
                           std::string_view fallback) {
  auto it = info.find(name);
  return it == info.end() ? fallback : std::string_view(it->second);
}

std::string_view InfoSubField(std::string_view list, std::string_view name) {
  while (!list.empty()) {
    const size_t comma = list.find(',');
    std::string_view part = list.substr(0, comma);
    list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 1);
    const size_t eq = part.find('=');
    if (eq != std::string_view::npos && part.substr(0, eq) == name) return part.substr(eq + 1);
  }
  return "0";
}

int64_t InfoNumber(const InfoMap& info, const std::string& name) {
  return std::atoll(std::string(InfoField(info, name)).c_str());
}

InfoMap ParseInfo(std::string_view info) {
  std::unordered_map<std::string, std::string> out;
  while (!info.empty()) {
    const size_t nl = info.find('\n');
    std::string_view line = info.substr(0, nl);
    info = nl == std::string_view::npos ? std::string_view() : info.substr(nl + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty() || line[0] == '#') continue;
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    out.emplace(std::string(line.substr(0, colon)), std::string(line.substr(colon + 1)));
  }
  return out;
}

std::string RenderMetrics(std::string_view info_text, const cmd::DispatcherStats& commands,
                          const HttpStats& http) {
  const auto info = ParseInfo(info_text);
  Exposition e;
  e.One("pykv_uptime_seconds", "gauge", "Seconds since the server started.",
        InfoField(info, "uptime_in_seconds"));
  e.One("pykv_connected_clients", "gauge", "Client connections open (RESP and HTTP).",
        InfoField(info, "connected_clients"));
  e.One("pykv_connections_received_total", "counter", "Connections accepted.",
        InfoField(info, "total_connections_received"));
  e.One("pykv_rejected_connections_total", "counter", "Connections refused (maxclients).",
        InfoField(info, "rejected_connections"));
  e.One("pykv_commands_processed_total", "counter", "Commands executed.",
        InfoField(info, "total_commands_processed"));
  e.One("pykv_memory_used_bytes", "gauge", "Memory in use (INFO used_memory).",
        InfoField(info, "used_memory"));
  e.One("pykv_memory_max_bytes", "gauge", "maxmemory (0 = no limit).",
        InfoField(info, "maxmemory"));
  const std::string_view db0 = InfoField(info, "db0", "");
  e.One("pykv_keys", "gauge", "Keys in the data set.", InfoSubField(db0, "keys"));
  e.One("pykv_keys_with_expiry", "gauge", "Keys with a time to live.",
        InfoSubField(db0, "expires"));
  e.One("pykv_expired_keys_total", "counter", "Keys removed because their TTL passed.",
        InfoField(info, "expired_keys"));
  e.One("pykv_evicted_keys_total", "counter", "Keys evicted by maxmemory or maxkeys.",
        InfoField(info, "evicted_keys"));
  e.One("pykv_keyspace_hits_total", "counter", "Key lookups that found the key.",
        InfoField(info, "keyspace_hits"));
  e.One("pykv_keyspace_misses_total", "counter", "Key lookups that did not find the key.",
        InfoField(info, "keyspace_misses"));
  e.One("pykv_loading", "gauge", "1 while the data set is loading from the AOF.",
        InfoField(info, "loading"));
  e.One("pykv_aof_enabled", "gauge", "1 when the append-only file is on.",
        InfoField(info, "aof_enabled"));
  e.One("pykv_aof_last_write_ok", "gauge", "1 when the last AOF write succeeded.",
        InfoField(info, "aof_last_write_status", "ok") == "ok" ? "1" : "0");
  e.One("pykv_aof_rewrite_in_progress", "gauge", "1 while a rewrite child runs.",
        InfoField(info, "aof_rewrite_in_progress"));
  e.One("pykv_aof_current_size_bytes", "gauge", "Size of the AOF (base and increments).",
        InfoField(info, "aof_current_size"));
  e.One("pykv_aof_base_size_bytes", "gauge", "Size of the AOF base at the last rewrite.",
        InfoField(info, "aof_base_size"));
  e.One("pykv_aof_fsyncs_total", "counter", "fsync calls on the AOF.",
        InfoField(info, "aof_fsyncs"));

  // cmdstat_get:calls=2,usec=10,usec_per_call=5.00,rejected_calls=0,failed_calls=0
  std::map<std::string, std::string_view> cmdstats;
  for (const auto& [name, value] : info) {
    if (name.rfind("cmdstat_", 0) == 0) cmdstats.emplace(name.substr(8), value);
  }
  e.Family("pykv_command_calls_total", "counter", "Calls per command.");
  for (const auto& [cmd, v] : cmdstats) {
    e.Sample("pykv_command_calls_total", "cmd=\"" + Label(cmd) + "\"", InfoSubField(v, "calls"));
  }
  e.Family("pykv_command_failed_calls_total", "counter", "Calls per command that failed.");
  for (const auto& [cmd, v] : cmdstats) {
    e.Sample("pykv_command_failed_calls_total", "cmd=\"" + Label(cmd) + "\"",
             InfoSubField(v, "failed_calls"));
  }

  e.Family("pykv_http_requests_total", "counter", "HTTP requests answered, by route and status.");
  for (const auto& [key, n] : http.counts()) {
    e.Sample("pykv_http_requests_total",
             "route=\"" + Label(key.first) + "\",code=\"" + std::to_string(key.second) + "\"",
             std::to_string(n));
  }

  const cmd::LatencyHistogram& h = commands.latency;
  e.Family("pykv_command_duration_seconds", "histogram",
           "Command execution time (clients' commands, RESP and HTTP).");
  uint64_t cumulative = 0;
  for (size_t k = 0; k + 1 < cmd::LatencyHistogram::kBuckets; ++k) {
    cumulative += h.counts()[k];
    e.Sample("pykv_command_duration_seconds_bucket",
             "le=\"" + Seconds(cmd::LatencyHistogram::UpperBoundUs(k)) + "\"",
             std::to_string(cumulative));
  }
  cumulative += h.counts()[cmd::LatencyHistogram::kBuckets - 1];
  e.Sample("pykv_command_duration_seconds_bucket", "le=\"+Inf\"", std::to_string(cumulative));
  e.Sample("pykv_command_duration_seconds_sum", "", Seconds(h.sum_us()));
  e.Sample("pykv_command_duration_seconds_count", "", std::to_string(cumulative));
  return e.Take();
}

}  // namespace pykv::http
