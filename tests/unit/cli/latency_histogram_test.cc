#include "cli/latency_histogram.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

namespace pykv::cli {
namespace {

// The value a sorted list gives for a percentile: the element at rank ceil(p% of n).
uint64_t Reference(const std::vector<uint64_t>& sorted, double p) {
  auto rank = static_cast<size_t>(std::ceil(p / 100.0 * static_cast<double>(sorted.size())));
  rank = std::clamp<size_t>(rank, 1, sorted.size());
  return sorted[rank - 1];
}

// Within 1% of the reference (or exact below the linear range).
void CheckClose(uint64_t got, uint64_t want) {
  const double tolerance = std::max(1.0, static_cast<double>(want) * 0.01);
  CHECK(std::fabs(static_cast<double>(got) - static_cast<double>(want)) <= tolerance);
}

TEST_CASE("latency histogram: bucket geometry covers every value once, within 1/256") {
  for (uint64_t v : {0ull, 1ull, 255ull, 256ull, 257ull, 511ull, 512ull, 513ull, 1000ull,
                     123456789ull, 3600000000000ull, (1ull << 62) + 12345}) {
    const size_t i = LatencyHistogram::IndexOf(v);
    CAPTURE(v);
    CHECK(LatencyHistogram::LowestIn(i) <= v);
    CHECK(LatencyHistogram::HighestIn(i) >= v);
    const double width =
        static_cast<double>(LatencyHistogram::HighestIn(i) - LatencyHistogram::LowestIn(i) + 1);
    if (v >= LatencyHistogram::kSubBuckets) {
      CHECK(width / static_cast<double>(LatencyHistogram::LowestIn(i)) <= 1.0 / 128 + 1e-12);
    } else {
      CHECK(width == 1);
    }
  }
  // Consecutive buckets tile the line with no gap or overlap.
  for (size_t i = 1; i < 5000; ++i) {
    CAPTURE(i);
    REQUIRE(LatencyHistogram::LowestIn(i) == LatencyHistogram::HighestIn(i - 1) + 1);
    REQUIRE(LatencyHistogram::IndexOf(LatencyHistogram::LowestIn(i)) == i);
    REQUIRE(LatencyHistogram::IndexOf(LatencyHistogram::HighestIn(i)) == i);
  }
}

TEST_CASE("latency histogram: empty") {
  LatencyHistogram h;
  CHECK(h.count() == 0);
  CHECK(h.min() == 0);
  CHECK(h.max() == 0);
  CHECK(h.ValueAtPercentile(50) == 0);
  CHECK(h.mean() == 0);
}

TEST_CASE("latency histogram: percentiles match a sorted reference within 1%") {
  std::mt19937_64 rng(42);
  // Latency-like: a log-normal body around 200 us (in ns) plus a few slow outliers.
  std::lognormal_distribution<double> body(std::log(200000.0), 0.6);
  std::vector<uint64_t> values;
  LatencyHistogram h;
  for (int i = 0; i < 200000; ++i) {
    uint64_t v = static_cast<uint64_t>(body(rng));
    if (i % 1000 == 0) v = 50'000'000 + static_cast<uint64_t>(i);  // ~50 ms
    values.push_back(v);
    h.Record(v);
  }
  std::sort(values.begin(), values.end());
  CHECK(h.count() == values.size());
  CHECK(h.min() == values.front());
  CHECK(h.max() == values.back());
  for (double p : {0.0, 1.0, 10.0, 50.0, 90.0, 99.0, 99.9, 99.99, 100.0}) {
    CAPTURE(p);
    CheckClose(h.ValueAtPercentile(p), Reference(values, p));
  }
  double sum = 0;
  for (uint64_t v : values) sum += static_cast<double>(v);
  CHECK(h.mean() == doctest::Approx(sum / static_cast<double>(values.size())));
}

TEST_CASE("latency histogram: small exact values and a single value") {
  LatencyHistogram h;
  for (uint64_t v = 1; v <= 100; ++v) h.Record(v);
  CHECK(h.ValueAtPercentile(50) == 50);
  CHECK(h.ValueAtPercentile(99) == 99);
  CHECK(h.ValueAtPercentile(100) == 100);
  LatencyHistogram one;
  one.Record(123456);
  // Clamped to [min, max]: one value reads back exactly.
  CHECK(one.ValueAtPercentile(50) == 123456);
  CHECK(one.ValueAtPercentile(99.9) == 123456);
}

TEST_CASE("latency histogram: values above the trackable range count at the top") {
  LatencyHistogram h(1000000);
  h.Record(10);
  h.Record(5000000000ull);
  CHECK(h.count() == 2);
  CHECK(h.max() == 1000000);
  CHECK(h.ValueAtPercentile(100) == 1000000);
}

TEST_CASE("latency histogram: merge equals recording everything in one") {
  std::mt19937_64 rng(7);
  std::uniform_int_distribution<uint64_t> fast(20000, 400000);
  std::uniform_int_distribution<uint64_t> slow(1000000, 90000000);
  LatencyHistogram a, b, all;
  std::vector<uint64_t> values;
  for (int i = 0; i < 50000; ++i) {
    uint64_t v = fast(rng);
    a.Record(v);
    all.Record(v);
    values.push_back(v);
    uint64_t w = slow(rng);
    b.Record(w);
    all.Record(w);
    values.push_back(w);
  }
  LatencyHistogram merged;
  merged.Merge(a);
  merged.Merge(b);
  merged.Merge(LatencyHistogram());  // an empty one changes nothing
  std::sort(values.begin(), values.end());
  CHECK(merged.count() == all.count());
  CHECK(merged.min() == values.front());
  CHECK(merged.max() == values.back());
  CHECK(merged.mean() == doctest::Approx(all.mean()));
  for (double p : {25.0, 50.0, 75.0, 90.0, 99.0, 99.9}) {
    CAPTURE(p);
    CHECK(merged.ValueAtPercentile(p) == all.ValueAtPercentile(p));
    CheckClose(merged.ValueAtPercentile(p), Reference(values, p));
  }
  // Ranges split at any point count each value once.
  const uint64_t split = 500000;
  CHECK(merged.CountBetween(0, split) + merged.CountBetween(split + 1, UINT64_MAX) ==
        merged.count());
  CHECK(merged.CountBetween(0, 400000 + 4000) == 50000);
  merged.Reset();
  CHECK(merged.count() == 0);
  CHECK(merged.ValueAtPercentile(50) == 0);
}

}  // namespace
}  // namespace pykv::cli
