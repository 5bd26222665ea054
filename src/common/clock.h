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

// CommandClock: Redis's command time snapshot. While a command runs (Enter..Leave, nested
// for the commands inside EXEC) every NowMs/NowUs returns the instant the outermost command
// started: a key cannot expire halfway through a command or a transaction, and one clock
// read serves all the expiry checks, LRU stamps and log times of the command. Outside a
// command it reads the base clock. Loop thread only.
class CommandClock final : public Clock {
 public:
  explicit CommandClock(const Clock* base) : base_(base) {}
  int64_t NowMs() const override { return NowUs() / 1000; }
  int64_t NowUs() const override { return depth_ > 0 ? frozen_us_ : base_->NowUs(); }
  int64_t MonotonicUs() const override { return base_->MonotonicUs(); }

  void Enter() {
    if (depth_++ == 0) frozen_us_ = base_->NowUs();
  }
  void Leave() { --depth_; }
  bool frozen() const { return depth_ > 0; }
  // The base clock's time even while frozen: the end of a command's duration. Wall-clock
  // microseconds, as Redis measures command durations; a step backwards reads as 0.
  int64_t LiveUs() const { return base_->NowUs(); }
  const Clock* base() const { return base_; }

  // Enter/Leave for a scope.
  class Scope {
   public:
    explicit Scope(CommandClock* c) : c_(c) { c_->Enter(); }
    ~Scope() { c_->Leave(); }
    Scope(const Scope&) = delete;
    Scope& operator=(const Scope&) = delete;

   private:
    CommandClock* c_;
  };

 private:
  const Clock* base_;
  int depth_ = 0;
  int64_t frozen_us_ = 0;
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
