// LatencyHistogram: a log-linear histogram of durations for pykv-cli bench, in the manner of
// HdrHistogram: each power-of-two range of values is split into kSubBuckets / 2 linear
// sub-buckets, so every recorded value is known to within 1/256 of itself (under 0.4%
// when a bucket is read back by its midpoint), from single units up to the highest
// trackable value, at one bit-width and one increment per Record().
// Units are the caller's (pykv-cli bench records nanoseconds). Exact count, sum, min and
// max are kept beside the buckets.
// Not thread-safe: each bench thread records into its own histogram, and the main thread
// merges them once the threads have ended.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace pykv::cli {

class LatencyHistogram {
 public:
  // Sub-buckets per power of two (values below it are counted exactly, one bucket each).
  static constexpr int kSubBucketBits = 8;
  static constexpr uint64_t kSubBuckets = uint64_t{1} << kSubBucketBits;

  // Values above highest_trackable are counted as highest_trackable (max() stays exact).
  explicit LatencyHistogram(uint64_t highest_trackable = kDefaultHighest);

  void Record(uint64_t value) {
    if (value > highest_) value = highest_;
    ++counts_[IndexOf(value)];
    ++total_;
    sum_ += value;
    if (value < min_) min_ = value;
    if (value > max_) max_ = value;
  }
  // Adds every value recorded in other (which may track a different range).
  void Merge(const LatencyHistogram& other);
  void Reset();

  uint64_t count() const { return total_; }
  // 0 when empty.
  uint64_t min() const { return total_ == 0 ? 0 : min_; }
  uint64_t max() const { return max_; }
  double mean() const { return total_ == 0 ? 0 : static_cast<double>(sum_) / total_; }
  // The value below or at which `percentile` (0..100) percent of the recorded values lie:
  // the midpoint of the bucket holding that rank, clamped to [min, max]. 0 when empty.
  uint64_t ValueAtPercentile(double percentile) const;
  // Values recorded in [lo, hi], counted by bucket: a bucket counts when its midpoint falls
  // in the range, so adjacent ranges never count a value twice.
  uint64_t CountBetween(uint64_t lo, uint64_t hi) const;

  // Bucket geometry, public for the tests: the bucket of a value and its bounds.
  static size_t IndexOf(uint64_t value);
  static uint64_t LowestIn(size_t index);
  static uint64_t HighestIn(size_t index);  // inclusive

  // One hour in nanoseconds.
  static constexpr uint64_t kDefaultHighest = 3600ull * 1000 * 1000 * 1000;

 private:
  static uint64_t Midpoint(size_t index) {
    return LowestIn(index) + (HighestIn(index) - LowestIn(index)) / 2;
  }

  uint64_t highest_;
  std::vector<uint64_t> counts_;
  uint64_t total_ = 0;
  uint64_t sum_ = 0;
  uint64_t min_ = UINT64_MAX;
  uint64_t max_ = 0;
};

}  // namespace pykv::cli
