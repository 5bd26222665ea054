#include "cli/bench_report.h"

#include <doctest/doctest.h>
#include <rapidjson/document.h>

#include <algorithm>
#include <string>
#include <vector>

namespace pykv::cli {
namespace {

TestResult Sample(const std::string& name, uint64_t errors) {
  TestResult r;
  r.name = name;
  r.seconds = 2.0;
  for (uint64_t i = 1; i <= 1000; ++i) r.latency.Record(i * 1000);  // 1 us .. 1 ms
  r.requests = r.latency.count();
  r.errors = errors;
  if (errors > 0) r.first_error = "ERR \"quoted\" failure";
  return r;
}

BenchPlan Plan() {
  BenchOptions o;
  auto plan = MakePlan(o, ConnectOptions{});
  REQUIRE(plan.ok());
  return *plan;
}

TEST_CASE("bench report: distribution rows add up and span min to max") {
  TestResult r = Sample("SET", 0);
  std::vector<DistributionRow> rows = LatencyDistribution(r.latency, 8);
  REQUIRE(rows.size() == 8);
  uint64_t total = 0;
  for (const DistributionRow& row : rows) {
    total += row.count;
    CHECK(row.lo_ms <= row.hi_ms);
  }
  CHECK(total == 1000);
  CHECK(rows.front().lo_ms == doctest::Approx(0.001));
  CHECK(rows.back().hi_ms == doctest::Approx(1.0));
  LatencyHistogram same;
  same.Record(5000);
  same.Record(5000);
  rows = LatencyDistribution(same, 8);
  REQUIRE(rows.size() == 1);
  CHECK(rows[0].count == 2);
  CHECK(LatencyDistribution(LatencyHistogram(), 8).empty());
}

TEST_CASE("bench report: the summary names every figure and draws bars") {
  const std::string text = FormatSummary(Plan(), Sample("GET", 0), false);
  CHECK(text.find("====== GET ======") != std::string::npos);
  CHECK(text.find("1000 requests in 2.000 seconds") != std::string::npos);
  CHECK(text.find("500.00 requests per second") != std::string::npos);
  CHECK(text.find("p50 0.50") != std::string::npos);  // within a bucket of 0.500
  CHECK((text.find("p99.9 0.99") != std::string::npos ||
         text.find("p99.9 1.00") != std::string::npos));
  CHECK(text.find("max 1.000") != std::string::npos);
  CHECK(text.find("errors: 0") != std::string::npos);
  CHECK(text.find("########") != std::string::npos);
  const std::string utf8 = FormatSummary(Plan(), Sample("GET", 10), true);
  CHECK(utf8.find("█") != std::string::npos);
  CHECK(utf8.find("errors: 10 (1.00%), first: ERR \"quoted\" failure") != std::string::npos);
}

TEST_CASE("bench report: JSON parses back with the figures") {
  const std::string json = FormatJson(Plan(), {Sample("SET", 0), Sample("GET", 3)});
  rapidjson::Document d;
  d.Parse(json.c_str());
  REQUIRE_FALSE(d.HasParseError());
  CHECK(std::string(d["target"].GetString()) == "127.0.0.1:6379");
  CHECK(d["clients"].GetInt() == 50);
  const auto& tests = d["tests"];
  REQUIRE(tests.Size() == 2);
  CHECK(std::string(tests[0]["test"].GetString()) == "SET");
  CHECK(tests[0]["requests"].GetUint64() == 1000);
  CHECK(tests[0]["ops_per_sec"].GetDouble() == doctest::Approx(500));
  CHECK(tests[0]["latency_ms"]["p50"].GetDouble() == doctest::Approx(0.5).epsilon(0.01));
  CHECK(tests[0]["latency_ms"]["max"].GetDouble() == doctest::Approx(1.0));
  CHECK_FALSE(tests[0].HasMember("first_error"));
  CHECK(tests[1]["errors"].GetUint64() == 3);
  CHECK(std::string(tests[1]["first_error"].GetString()) == "ERR \"quoted\" failure");
  uint64_t total = 0;
  for (const auto& row : tests[1]["distribution"].GetArray()) total += row["count"].GetUint64();
  CHECK(total == 1000);
}

TEST_CASE("bench report: CSV has one row per test under the header") {
  const std::string header = CsvHeader();
  const std::string row = CsvRow(Sample("MSET (10 keys)", 0));
  CHECK(header.rfind("test,requests,errors,seconds,ops_per_sec,", 0) == 0);
  CHECK(row.rfind("\"MSET (10 keys)\",1000,0,2.000000,500.00,", 0) == 0);
  auto fields = [](const std::string& line) { return std::count(line.begin(), line.end(), ','); };
  CHECK(fields(header) == fields(row));
}

TEST_CASE("bench report: progress lines") {
  CHECK(FormatProgress("SET", 500, 1000, 0, 250.4, 2.0) ==
        "SET: 500/1000 requests, 250 ops/s, 2.0 s elapsed, ETA 2.0 s");
  CHECK(FormatProgress("GET", 100, 0, 10, 50, 2.0) ==
        "GET: 100 requests, 50 ops/s, 2.0 s of 10 s, ETA 8.0 s");
}

}  // namespace
}  // namespace pykv::cli
