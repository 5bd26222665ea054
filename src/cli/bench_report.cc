#include "cli/bench_report.h"

#include <fmt/format.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <cmath>

namespace pykv::cli {
namespace {

constexpr double kNsPerMs = 1e6;
constexpr int kBarWidth = 40;
constexpr int kDistributionRows = 8;

double Ms(uint64_t ns) {
  return static_cast<double>(ns) / kNsPerMs;
}

// A bar of width * fraction cells; with UTF-8, eighths of a cell are drawn too.
std::string Bar(double fraction, bool utf8) {
  const double cells = std::clamp(fraction, 0.0, 1.0) * kBarWidth;
  std::string out;
  if (!utf8) {
    auto n = static_cast<int>(std::lround(cells));
    if (n == 0 && fraction > 0) n = 1;  // something is there
    out.append(static_cast<size_t>(n), '#');
    out.append(static_cast<size_t>(kBarWidth - n), ' ');
    return out;
  }
  static const char* const kEighths[] = {"", "▏", "▎", "▍", "▌", "▋", "▊", "▉"};
  auto eighths = static_cast<int>(std::lround(cells * 8));
  if (eighths == 0 && fraction > 0) eighths = 1;
  const int full = eighths / 8;
  for (int i = 0; i < full; ++i) out += "█";
  int used = full;
  if (eighths % 8 != 0) {
    out += kEighths[eighths % 8];
    ++used;
  }
  out.append(static_cast<size_t>(kBarWidth - used), ' ');
  return out;
}

std::string Plural(uint64_t n, const char* one, const char* many) {
  return fmt::format("{} {}", n, n == 1 ? one : many);
}

}  // namespace

std::vector<DistributionRow> LatencyDistribution(const LatencyHistogram& latency, int rows) {
  std::vector<DistributionRow> out;
  if (latency.count() == 0 || rows < 1) return out;
  const double lo = static_cast<double>(std::max<uint64_t>(latency.min(), 1));
  const double hi = static_cast<double>(std::max<uint64_t>(latency.max(), 1));
  if (hi <= lo * 1.01) rows = 1;
  uint64_t prev_hi = 0;
  for (int i = 0; i < rows; ++i) {
    const bool last = i + 1 == rows;
    const double edge = lo * std::pow(hi / lo, static_cast<double>(i + 1) / rows);
    const uint64_t top = last ? UINT64_MAX : static_cast<uint64_t>(edge);
    DistributionRow row;
    row.lo_ms = (i == 0 ? lo : static_cast<double>(prev_hi)) / kNsPerMs;
    row.hi_ms = (last ? hi : static_cast<double>(top)) / kNsPerMs;
    row.count = latency.CountBetween(i == 0 ? 0 : prev_hi + 1, top);
    out.push_back(row);
    prev_hi = top;
  }
  return out;
}

std::string FormatSummary(const BenchPlan& plan, const TestResult& r, bool utf8) {
  const BenchOptions& o = plan.options;
  const LatencyHistogram& h = r.latency;
  std::string out = fmt::format("====== {} ======\n", r.name);
  out +=
      fmt::format("  {} in {:.3f} seconds\n", Plural(r.requests, "request", "requests"), r.seconds);
  out += fmt::format(
      "  {} on {}, {}, pipeline {}, {}-byte values, {}\n",
      Plural(static_cast<uint64_t>(o.clients), "connection", "connections"),
      Plural(static_cast<uint64_t>(o.threads), "thread", "threads"), plan.label, o.pipeline,
      o.data_size,
      o.keyspace > 0 ? fmt::format("random keys in [0, {})", o.keyspace) : std::string("one key"));
  out += fmt::format("  {:.2f} requests per second\n", r.ops_per_sec());
  out += fmt::format(
      "  latency (ms): avg {:.3f}  min {:.3f}  p50 {:.3f}  p90 {:.3f}  p99 {:.3f}  p99.9 {:.3f}"
      "  max {:.3f}\n",
      h.mean() / kNsPerMs, Ms(h.min()), Ms(h.ValueAtPercentile(50)), Ms(h.ValueAtPercentile(90)),
      Ms(h.ValueAtPercentile(99)), Ms(h.ValueAtPercentile(99.9)), Ms(h.max()));
  if (r.errors == 0) {
    out += "  errors: 0\n";
  } else {
    out += fmt::format("  errors: {} ({:.2f}%), first: {}\n", r.errors,
                       100.0 * static_cast<double>(r.errors) / static_cast<double>(r.requests),
                       r.first_error);
  }
  const std::vector<DistributionRow> rows = LatencyDistribution(h, kDistributionRows);
  if (!rows.empty()) {
    out += "  latency distribution (ms):\n";
    uint64_t most = 0;
    for (const DistributionRow& row : rows) most = std::max(most, row.count);
    for (const DistributionRow& row : rows) {
      const double share = static_cast<double>(row.count) / static_cast<double>(h.count());
      out += fmt::format("  {:>9.3f} .. {:<9.3f} {} {:6.2f}%\n", row.lo_ms, row.hi_ms,
                         Bar(static_cast<double>(row.count) / static_cast<double>(most), utf8),
                         share * 100);
    }
  }
  return out;
}

std::string CsvHeader() {
  return "test,requests,errors,seconds,ops_per_sec,avg_ms,min_ms,p50_ms,p90_ms,p99_ms,p99_9_ms,"
         "max_ms\n";
}

std::string CsvRow(const TestResult& r) {
  const LatencyHistogram& h = r.latency;
  return fmt::format(
      "\"{}\",{},{},{:.6f},{:.2f},{:.3f},{:.3f},{:.3f},{:.3f},{:.3f},{:.3f},{:.3f}\n", r.name,
      r.requests, r.errors, r.seconds, r.ops_per_sec(), h.mean() / kNsPerMs, Ms(h.min()),
      Ms(h.ValueAtPercentile(50)), Ms(h.ValueAtPercentile(90)), Ms(h.ValueAtPercentile(99)),
      Ms(h.ValueAtPercentile(99.9)), Ms(h.max()));
}

std::string FormatJson(const BenchPlan& plan, const std::vector<TestResult>& results) {
  const BenchOptions& o = plan.options;
  rapidjson::StringBuffer sb;
  rapidjson::Writer<rapidjson::StringBuffer> w(sb);
  auto round3 = [](double v) { return std::round(v * 1000) / 1000; };
  w.StartObject();
  w.Key("target");
  w.String(plan.label.c_str());
  w.Key("protocol");
  w.String(plan.http ? "http" : "resp");
  w.Key("clients");
  w.Int(o.clients);
  w.Key("threads");
  w.Int(o.threads);
  w.Key("pipeline");
  w.Int(o.pipeline);
  w.Key("data_size");
  w.Uint64(o.data_size);
  w.Key("keyspace");
  w.Uint64(o.keyspace);
  if (o.duration_s > 0) {
    w.Key("duration_s");
    w.Double(o.duration_s);
  } else {
    w.Key("requests_per_test");
    w.Uint64(o.requests);
  }
  w.Key("tests");
  w.StartArray();
  for (const TestResult& r : results) {
    const LatencyHistogram& h = r.latency;
    w.StartObject();
    w.Key("test");
    w.String(r.name.c_str());
    w.Key("requests");
    w.Uint64(r.requests);
    w.Key("errors");
    w.Uint64(r.errors);
    if (r.errors > 0) {
      w.Key("first_error");
      w.String(r.first_error.c_str(), static_cast<rapidjson::SizeType>(r.first_error.size()));
    }
    w.Key("seconds");
    w.Double(std::round(r.seconds * 1e6) / 1e6);
    w.Key("ops_per_sec");
    w.Double(std::round(r.ops_per_sec() * 100) / 100);
    w.Key("latency_ms");
    w.StartObject();
    const std::pair<const char*, double> fields[] = {{"avg", h.mean() / kNsPerMs},
                                                     {"min", Ms(h.min())},
                                                     {"p50", Ms(h.ValueAtPercentile(50))},
                                                     {"p90", Ms(h.ValueAtPercentile(90))},
                                                     {"p99", Ms(h.ValueAtPercentile(99))},
                                                     {"p99_9", Ms(h.ValueAtPercentile(99.9))},
                                                     {"max", Ms(h.max())}};
    for (const auto& [key, value] : fields) {
      w.Key(key);
      w.Double(round3(value));
    }
    w.EndObject();
    w.Key("distribution");
    w.StartArray();
    for (const DistributionRow& row : LatencyDistribution(h, kDistributionRows)) {
      w.StartObject();
      w.Key("up_to_ms");
      w.Double(round3(row.hi_ms));
      w.Key("count");
      w.Uint64(row.count);
      w.EndObject();
    }
    w.EndArray();
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return std::string(sb.GetString(), sb.GetSize()) + "\n";
}

std::string FormatProgress(const std::string& name, uint64_t done, uint64_t total,
                           double duration_s, double ops_per_sec, double elapsed_s) {
  if (total == 0) {
    const double left = std::max(0.0, duration_s - elapsed_s);
    return fmt::format("{}: {} requests, {:.0f} ops/s, {:.1f} s of {:g} s, ETA {:.1f} s", name,
                       done, ops_per_sec, elapsed_s, duration_s, left);
  }
  std::string eta = "-";
  if (done > 0 && elapsed_s > 0) {
    const double rate = static_cast<double>(done) / elapsed_s;
    eta = fmt::format("{:.1f} s", static_cast<double>(total - std::min(done, total)) / rate);
  }
  return fmt::format("{}: {}/{} requests, {:.0f} ops/s, {:.1f} s elapsed, ETA {}", name, done,
                     total, ops_per_sec, elapsed_s, eta);
}

}  // namespace pykv::cli
