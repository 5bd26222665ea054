// AofFlusher: the server's policy around writing the AOF before replies go out. It flushes
// the writer each loop iteration; when a write or fsync fails it records the reason (the
// dispatcher then answers writes with -MISCONF), retries at most once a second instead of
// hammering a failing disk, and clears the state as soon as a flush succeeds again.
// Loop thread only.
#pragma once

#include <string>

#include "common/clock.h"
#include "persistence/aof_writer.h"

namespace pykv::server {

class AofFlusher {
 public:
  static constexpr int64_t kRetryIntervalMs = 1000;

  explicit AofFlusher(const Clock* clock) : clock_(clock) {}

  // Writes what is buffered (per policy, fsyncs). Cheap when nothing is pending.
  void Flush(persistence::AofWriter& writer);
  // "" while the AOF is healthy; otherwise why writes are refused.
  const std::string& error() const { return error_; }
  void Reset() { error_.clear(); }

 private:
  const Clock* clock_;
  std::string error_;
  int64_t last_attempt_ms_ = 0;
};

}  // namespace pykv::server
