// The results of pykv-cli bench as people and scripts read them: the summary of each test
// (throughput, latency percentiles, errors, a small latency distribution drawn with bars),
// CSV (one row per test) and JSON, and the one-line progress display shown while a test
// runs. Pure formatting; the main thread calls it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "cli/bench_plan.h"
#include "cli/latency_histogram.h"

namespace pykv::cli {

struct TestResult {
  std::string name;
  uint64_t requests = 0;  // replies received
  uint64_t errors = 0;    // of those, error replies (HTTP: statuses outside 2xx)
  std::string first_error;
  double seconds = 0;
  LatencyHistogram latency;  // nanoseconds
  double ops_per_sec() const { return seconds > 0 ? static_cast<double>(requests) / seconds : 0; }
};

// One row of the distribution: latencies in (previous row's hi, hi_ms], ms.
struct DistributionRow {
  double lo_ms = 0;
  double hi_ms = 0;
  uint64_t count = 0;
};
// `rows` ranges spaced evenly on a log scale from the fastest to the slowest reply; their
// counts add up to the histogram's. One row when every reply took the same time.
std::vector<DistributionRow> LatencyDistribution(const LatencyHistogram& latency, int rows);

// The human summary of one test; `utf8` draws the bars with block characters, else '#'.
std::string FormatSummary(const BenchPlan& plan, const TestResult& result, bool utf8);
std::string CsvHeader();
std::string CsvRow(const TestResult& result);
// {"target": ..., "tests": [{"test": ..., "requests": ..., "latency_ms": {...}}, ...]}
std::string FormatJson(const BenchPlan& plan, const std::vector<TestResult>& results);

// "SET: 45210/100000 requests, 89310 ops/s, 0.5 s elapsed, ETA 0.6 s"; total 0 means the
// test runs for duration_s seconds instead.
std::string FormatProgress(const std::string& name, uint64_t done, uint64_t total,
                           double duration_s, double ops_per_sec, double elapsed_s);

}  // namespace pykv::cli
