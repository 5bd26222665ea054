// RewriteBackoff: how often the server may retry AOF rewrites that keep failing (a full
// disk, a fork refused for lack of memory). Each failed attempt costs a fork of the whole
// data set, so after a few quick retries the cron waits longer and longer, as Redis 7.0
// does (aofRewriteLimited): from the third consecutive failure on, one attempt after 1
// minute, then 2, 4, ... up to 60 minutes between attempts. A success resets it. Only
// rewrites the server starts by itself are limited; BGREWRITEAOF always tries.
//
// Loop thread only (owned by the server's persistence cron).
#pragma once

#include <algorithm>
#include <cstdint>

namespace pykv::persistence {

class RewriteBackoff {
 public:
  static constexpr uint64_t kFreeRetries = 3;
  static constexpr int64_t kFirstDelayMs = 60'000;
  static constexpr int64_t kMaxDelayMs = 60 * 60'000;

  // May the cron start a rewrite now, after `consecutive_failures` failed ones in a row?
  // A "no" that opens a new waiting period sets *started_wait_ms to its length, so the
  // caller can log it once.
  bool MayStart(int64_t now_ms, uint64_t consecutive_failures, int64_t* started_wait_ms) {
    if (started_wait_ms) *started_wait_ms = 0;
    if (consecutive_failures < kFreeRetries) {
      delay_ms_ = 0;
      next_try_ms_ = 0;
      return true;
    }
    if (next_try_ms_ != 0) {
      if (now_ms < next_try_ms_) return false;
      next_try_ms_ = 0;  // this attempt goes ahead; if it fails, the next wait is longer
      return true;
    }
    delay_ms_ = delay_ms_ == 0 ? kFirstDelayMs : std::min(delay_ms_ * 2, kMaxDelayMs);
    next_try_ms_ = now_ms + delay_ms_;
    if (started_wait_ms) *started_wait_ms = delay_ms_;
    return false;
  }

 private:
  int64_t delay_ms_ = 0;
  int64_t next_try_ms_ = 0;
};

}  // namespace pykv::persistence
