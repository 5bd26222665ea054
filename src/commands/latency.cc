#include "commands/latency.h"

namespace pykv::cmd {

void LatencyMonitor::Add(const std::string& event, uint64_t ms, int64_t unix_seconds) {
  if (threshold_ms_ == 0 || ms < threshold_ms_) return;
  LatencyEvent& e = events_[event];
  if (!e.samples.empty() && e.samples.back().unix_seconds == unix_seconds) {
    if (ms > e.samples.back().ms) e.samples.back().ms = ms;
  } else {
    e.samples.push_back({unix_seconds, ms});
    if (e.samples.size() > kMaxSamples) e.samples.pop_front();
  }
  if (ms > e.max_ms) e.max_ms = ms;
}

size_t LatencyMonitor::Reset(const std::vector<std::string>& names) {
  if (names.empty()) {
    size_t n = events_.size();
    events_.clear();
    return n;
  }
  size_t n = 0;
  for (const std::string& name : names) n += events_.erase(name);
  return n;
}

}  // namespace pykv::cmd
