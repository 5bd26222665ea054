// Clock: the one source of wall-clock time for TTLs, LRU ages and INFO. The server uses
// SystemClock; tests use FakeClock to move time by hand. Reads are loop-thread only for the
// fake clock; SystemClock may be read from any thread.
#pragma once

#include <cstdint>

namespace pykv {

class Clock {
 public:
  virtual ~Clock() = default;
  // Milliseconds since the Unix epoch.
  virtual int64_t NowMs() const = 0;
  // Microseconds since the Unix epoch.
  virtual int64_t NowUs() const = 0;
  // Monotonic microseconds, for measuring durations (slowlog, expiry budgets).
  virtual int64_t MonotonicUs() const = 0;
};

class SystemClock final : public Clock {
 public:
  int64_t NowMs() const override;
  int64_t NowUs() const override;
  int64_t MonotonicUs() const override;
  static const SystemClock* Instance();
};

class FakeClock final : public Clock {
 public:
  explicit FakeClock(int64_t start_ms = 1'700'000'000'000) : now_us_(start_ms * 1000) {}
  int64_t NowMs() const override { return now_us_ / 1000; }
  int64_t NowUs() const override { return now_us_; }
  int64_t MonotonicUs() const override { return now_us_; }
  void SetMs(int64_t ms) { now_us_ = ms * 1000; }
  void AdvanceMs(int64_t ms) { now_us_ += ms * 1000; }

 private:
  int64_t now_us_;
};

}  // namespace pykv
