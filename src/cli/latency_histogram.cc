#include "cli/latency_histogram.h"

#include <algorithm>
#include <bit>
#include <cmath>

namespace pykv::cli {
namespace {

constexpr uint64_t kHalf = LatencyHistogram::kSubBuckets / 2;

}  // namespace

// Values below kSubBuckets have a bucket each. Above, a value whose highest set bit is b
// (b >= kSubBucketBits) lies in the power-of-two range [2^b, 2^(b+1)), split into kHalf
// buckets of width 2^shift with shift = b - kSubBucketBits + 1: its bucket is its top
// kSubBucketBits bits, offset past the ranges below.
size_t LatencyHistogram::IndexOf(uint64_t value) {
  if (value < kSubBuckets) return static_cast<size_t>(value);
  const int shift = std::bit_width(value) - kSubBucketBits;  // >= 1
  const uint64_t top = value >> shift;                       // in [kHalf, kSubBuckets)
  return static_cast<size_t>(kSubBuckets + (shift - 1) * kHalf + (top - kHalf));
}

uint64_t LatencyHistogram::LowestIn(size_t index) {
  if (index < kSubBuckets) return index;
  const uint64_t past = index - kSubBuckets;
  const uint64_t shift = past / kHalf + 1;
  const uint64_t top = past % kHalf + kHalf;
  return top << shift;
}

uint64_t LatencyHistogram::HighestIn(size_t index) {
  if (index < kSubBuckets) return index;
  const uint64_t shift = (index - kSubBuckets) / kHalf + 1;
  return LowestIn(index) + (uint64_t{1} << shift) - 1;
}

LatencyHistogram::LatencyHistogram(uint64_t highest_trackable)
    : highest_(std::max<uint64_t>(highest_trackable, 1)), counts_(IndexOf(highest_) + 1, 0) {}

void LatencyHistogram::Merge(const LatencyHistogram& other) {
  if (other.total_ == 0) return;
  for (size_t i = 0; i < other.counts_.size(); ++i) {
    if (other.counts_[i] == 0) continue;
    if (i < counts_.size()) {
      counts_[i] += other.counts_[i];
    } else {
      counts_.back() += other.counts_[i];  // beyond our range: at our highest
    }
  }
  total_ += other.total_;
  sum_ += other.sum_;
  min_ = std::min(min_, other.min_);
  max_ = std::max(max_, other.max_);
}

void LatencyHistogram::Reset() {
  std::fill(counts_.begin(), counts_.end(), 0);
  total_ = 0;
  sum_ = 0;
  min_ = UINT64_MAX;
  max_ = 0;
}

uint64_t LatencyHistogram::ValueAtPercentile(double percentile) const {
  if (total_ == 0) return 0;
  percentile = std::clamp(percentile, 0.0, 100.0);
  // The rank of the value asked for, 1-based, as a sorted list would index it.
  auto rank = static_cast<uint64_t>(std::ceil(percentile / 100.0 * static_cast<double>(total_)));
  rank = std::clamp<uint64_t>(rank, 1, total_);
  uint64_t seen = 0;
  for (size_t i = 0; i < counts_.size(); ++i) {
    seen += counts_[i];
    if (seen >= rank) return std::clamp(Midpoint(i), min(), max_);
  }
  return max_;
}

uint64_t LatencyHistogram::CountBetween(uint64_t lo, uint64_t hi) const {
  uint64_t n = 0;
  for (size_t i = 0; i < counts_.size(); ++i) {
    if (counts_[i] == 0) continue;
    const uint64_t mid = std::clamp(Midpoint(i), min(), max_);
    if (mid >= lo && mid <= hi) n += counts_[i];
  }
  return n;
}

}  // namespace pykv::cli
