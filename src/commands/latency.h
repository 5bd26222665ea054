// LatencyMonitor: per-event latency spikes at or above latency-monitor-threshold, as the
// LATENCY command reports them (LATEST, HISTORY, RESET, DOCTOR). Events today: "command"
// (a slow command) and "expire-cycle" (a slow active expiry run). Loop thread only.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <string>
#include <vector>

namespace pykv::cmd {

struct LatencySample {
  int64_t unix_seconds;
  uint64_t ms;
};

struct LatencyEvent {
  std::deque<LatencySample> samples;  // oldest first, at most kMaxSamples
  uint64_t max_ms = 0;
};

class LatencyMonitor {
 public:
  static constexpr size_t kMaxSamples = 160;  // as Redis keeps

  void set_threshold_ms(uint64_t ms) { threshold_ms_ = ms; }
  uint64_t threshold_ms() const { return threshold_ms_; }
  // Records the sample if monitoring is on and ms reaches the threshold. Samples in the
  // same second are merged (the max is kept), as Redis does.
  void Add(const std::string& event, uint64_t ms, int64_t unix_seconds);
  const std::map<std::string, LatencyEvent>& events() const { return events_; }
  // Resets the named events (all when empty); returns how many were reset.
  size_t Reset(const std::vector<std::string>& names);

 private:
  uint64_t threshold_ms_ = 0;
  std::map<std::string, LatencyEvent> events_;
};

}  // namespace pykv::cmd
