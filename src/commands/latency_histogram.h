// LatencyHistogram: command execution times in power-of-two microsecond buckets (bucket k
// counts durations of at most 2^k us), cheap enough to record on every command: one bit-width
// and one increment. /metrics exposes it as a Prometheus histogram. Loop thread only.
#pragma once

#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>

namespace pykv::cmd {

class LatencyHistogram {
 public:
  // Bucket k holds durations of at most 2^k us, for k in 0..kBuckets-2 (up to ~1 s); the
  // last one holds the rest.
  static constexpr size_t kBuckets = 22;

  void Record(uint64_t us) {
    size_t k = us == 0 ? 0 : static_cast<size_t>(std::bit_width(us - 1));
    if (k >= kBuckets) k = kBuckets - 1;
    ++counts_[k];
    sum_us_ += us;
  }
  // Upper bound of bucket k in microseconds (inclusive); the last bucket has none.
  static uint64_t UpperBoundUs(size_t k) { return uint64_t{1} << k; }
  const std::array<uint64_t, kBuckets>& counts() const { return counts_; }
  uint64_t sum_us() const { return sum_us_; }

 private:
  std::array<uint64_t, kBuckets> counts_{};
  uint64_t sum_us_ = 0;
};

}  // namespace pykv::cmd
