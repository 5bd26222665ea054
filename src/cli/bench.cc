#include "cli/bench.h"

#include <fmt/format.h>
#include <unistd.h>
#include <uv.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <thread>
#include <vector>

#include "cli/bench_plan.h"
#include "cli/bench_report.h"
#include "cli/bench_worker.h"

namespace pykv::cli {
namespace {

// A run with no reply at all for this long is stuck (the server stopped answering) and
// ends with an error rather than waiting for ever.
constexpr std::chrono::seconds kStallTimeout(30);

bool LocaleIsUtf8() {
  for (const char* name : {"LC_ALL", "LC_CTYPE", "LANG"}) {
    const char* v = std::getenv(name);
    if (v == nullptr || *v == '\0') continue;
    std::string s(v);
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
    return s.find("utf-8") != std::string::npos || s.find("utf8") != std::string::npos;
  }
  return false;
}

// The progress display on stderr: one line redrawn in place on a terminal, a plain line a
// second otherwise (so --json and --csv on stdout stay clean either way).
class Progress {
 public:
  Progress() : tty_(isatty(STDERR_FILENO) == 1) {}
  std::chrono::milliseconds period() const {
    return tty_ ? std::chrono::milliseconds(250) : std::chrono::milliseconds(1000);
  }
  void Show(const std::string& line) {
    if (tty_) {
      std::fprintf(stderr, "\r\x1b[K%s", line.c_str());
    } else {
      std::fprintf(stderr, "%s\n", line.c_str());
    }
    std::fflush(stderr);
    shown_ = true;
  }
  void Clear() {
    if (tty_ && shown_) {
      std::fprintf(stderr, "\r\x1b[K");
      std::fflush(stderr);
    }
    shown_ = false;
  }

 private:
  bool tty_;
  bool shown_ = false;
};

// Runs one test on the plan's threads and fills *out; a failure means the run could not go
// on (nothing was measured, or a connection was lost).
Status RunTest(const BenchPlan& plan, const BenchTest& test, bool setup, Progress* progress,
               TestResult* out) {
  const BenchOptions& o = plan.options;
  const int threads = o.threads;
  const bool duration_mode = !setup && o.duration_s > 0;
  const uint64_t total = setup ? std::max<uint64_t>(o.keyspace, 1) : o.requests;
  BenchControl control(threads);
  std::vector<std::unique_ptr<BenchWorker>> workers;
  uint64_t assigned = 0;
  for (int i = 0; i < threads; ++i) {
    WorkerJob job;
    job.plan = &plan;
    job.test = &test;
    job.connections = o.clients / threads + (i < o.clients % threads ? 1 : 0);
    job.duration_mode = duration_mode;
    job.seed = 0x5eed0000ull + static_cast<uint64_t>(i) * 7919 + uv_hrtime();
    if (setup) {
      // Keys i, i + threads, ...: every key exactly once over the threads.
      job.sequential_keys = true;
      job.key_first = static_cast<uint64_t>(i);
      job.key_stride = static_cast<uint64_t>(threads);
      job.requests = total / threads + (static_cast<uint64_t>(i) < total % threads ? 1 : 0);
    } else {
      // Shares in proportion to the connections; the last thread takes what rounding left.
      job.requests = i + 1 == threads ? total - assigned
                                      : total * static_cast<uint64_t>(job.connections) /
                                            static_cast<uint64_t>(o.clients);
      assigned += job.requests;
    }
    workers.push_back(std::make_unique<BenchWorker>(std::move(job), &control));
  }
  std::vector<std::thread> pool;
  for (auto& w : workers) pool.emplace_back([&w] { w->Run(); });

  control.connected.wait();
  Status failure;
  for (auto& w : workers) {
    if (!w->result().failure.ok()) {
      failure = w->result().failure;
      break;
    }
  }
  if (!failure.ok()) control.abort.store(true);
  const uint64_t start = uv_hrtime();
  control.deadline_ns = start + static_cast<uint64_t>(o.duration_s * 1e9);
  control.go.count_down();

  if (failure.ok()) {
    using Clock = std::chrono::steady_clock;
    auto last_time = Clock::now();
    auto last_change = last_time;
    uint64_t last_done = 0;
    bool stopped = false;
    std::unique_lock<std::mutex> lock(control.mu);
    while (control.finished < threads) {
      control.cv.wait_for(lock, progress->period());
      if (control.finished >= threads) break;
      const auto now = Clock::now();
      uint64_t done = 0;
      for (auto& w : workers) done += w->progress();
      if (done != last_done) last_change = now;
      if (!stopped && (control.abort.load() || now - last_change > kStallTimeout)) {
        // A worker failed (or nobody answers): end the others now.
        if (!control.abort.load()) {
          failure = Status::IoError(
              fmt::format("No reply from {} for {} s", plan.label, kStallTimeout.count()));
          control.abort.store(true);
        }
        for (auto& w : workers) w->Stop();
        stopped = true;
      }
      // Workers finishing wake this thread early: redraw only once a period has passed.
      if (now - last_time < progress->period() * 9 / 10) continue;
      const double dt = std::chrono::duration<double>(now - last_time).count();
      const double elapsed = static_cast<double>(uv_hrtime() - start) / 1e9;
      const double rate = dt > 0 ? static_cast<double>(done - last_done) / dt : 0;
      progress->Show(
          FormatProgress(test.name, done, duration_mode ? 0 : total, o.duration_s, rate, elapsed));
      last_time = now;
      last_done = done;
    }
  }
  for (auto& t : pool) t.join();
  progress->Clear();

  out->name = test.name;
  uint64_t end = start;
  for (auto& w : workers) {
    WorkerResult& r = w->result();
    if (failure.ok() && !r.failure.ok()) failure = r.failure;
    out->requests += r.done;
    out->errors += r.errors;
    if (out->first_error.empty()) out->first_error = r.first_error;
    out->latency.Merge(r.latency);
    end = std::max(end, r.end_ns);
  }
  out->seconds = static_cast<double>(end - start) / 1e9;
  return failure;
}

}  // namespace

CLI::App* AddBenchCommand(CLI::App* app, BenchOptions* o) {
  CLI::App* sub = app->add_subcommand(
      "bench", "Benchmark the server like redis-benchmark (RESP, or the /kv API with --http)");
  // The connection options (-h, -p, -a...) may also come after `bench`.
  sub->fallthrough();
  sub->add_option("-c,--clients", o->clients, "Parallel connections (default 50)")
      ->check(CLI::Range(1, 1000000));
  CLI::Option* n =
      sub->add_option("-n,--requests", o->requests, "Requests per test (default 100000)")
          ->check(CLI::Range(uint64_t{1}, UINT64_MAX / 2));
  CLI::Option* d = sub->add_option("--duration", o->duration_s,
                                   "Run each test for this many seconds instead of -n requests")
                       ->check(CLI::PositiveNumber);
  n->excludes(d);
  sub->add_option("--threads", o->threads, "Threads, each with its own event loop (default 1)")
      ->check(CLI::Range(1, 1024));
  sub->add_option("-t,--tests", o->tests,
                  "Tests to run, comma-separated: set,get,incr,mset (the default) and mixed; "
                  "with --http: put,get (the default) and mixed")
      ->allow_extra_args(false)
      ->check(CLI::Validator(
          [](std::string& v) -> std::string {
            if (ParseTestList({v}, false).ok() || ParseTestList({v}, true).ok()) return "";
            return ParseTestList({v}, false).status().message();
          },
          "LIST"));
  sub->add_option("--ratio", o->ratio,
                  "SET:GET (PUT:GET) proportions of the mixed test (default 1:10)")
      ->check(CLI::Validator(
          [](std::string& v) -> std::string {
            auto r = ParseRatio(v);
            return r.ok() ? "" : r.status().message();
          },
          "SET:GET"));
  sub->add_option("-d,--data-size", o->data_size, "Value size in bytes (default 3)")
      ->check(CLI::Range(uint64_t{1}, uint64_t{512} * 1024 * 1024));
  sub->add_option("-r,--keyspace", o->keyspace,
                  "Random keys key:000000000000 .. in [0, N) (default: one fixed key)")
      ->check(CLI::Range(uint64_t{1}, uint64_t{1000000000000}));
  sub->add_option("-P,--pipeline", o->pipeline, "Requests in flight per connection (default 1)")
      ->check(CLI::Range(1, 100000));
  sub->add_option("--http", o->http_url,
                  "Benchmark the /kv HTTP API at this base URL (http://host:port)");
  CLI::Option* csv = sub->add_flag("--csv", o->csv, "Results as CSV on stdout, one row per test");
  CLI::Option* json = sub->add_flag("--json", o->json, "Results as JSON on stdout");
  csv->excludes(json);
  return sub;
}

int RunBench(const BenchOptions& options, const ConnectOptions& connect) {
  StatusOr<BenchPlan> made = MakePlan(options, connect);
  if (!made.ok()) {
    std::fprintf(stderr, "%s\n", made.status().message().c_str());
    return 1;
  }
  const BenchPlan& plan = *made;
  // A write to a connection the server closed must be an error, not the end of pykv-cli.
  std::signal(SIGPIPE, SIG_IGN);
  Progress progress;
  const bool utf8 = LocaleIsUtf8();

  for (const BenchTest& setup : plan.setup) {
    TestResult r;
    Status s = RunTest(plan, setup, /*setup=*/true, &progress, &r);
    if (!s.ok()) {
      std::fprintf(stderr, "%s\n", s.message().c_str());
      return 1;
    }
    if (r.errors > 0) {
      std::fprintf(stderr, "Could not create the benchmark's keys (POST %s/kv/): %s\n",
                   plan.target.prefix.c_str(), r.first_error.c_str());
      return 1;
    }
  }

  std::vector<TestResult> results;
  bool all_failed = false;
  for (const BenchTest& test : plan.tests) {
    TestResult r;
    Status s = RunTest(plan, test, /*setup=*/false, &progress, &r);
    if (!s.ok()) {
      std::fflush(stdout);
      std::fprintf(stderr, "%s\n", s.message().c_str());
      return 1;
    }
    if (r.requests == 0 || r.errors == r.requests) all_failed = true;
    if (plan.options.csv) {
      if (results.empty()) std::fputs(CsvHeader().c_str(), stdout);
      std::fputs(CsvRow(r).c_str(), stdout);
    } else if (!plan.options.json) {
      std::fputs(FormatSummary(plan, r, utf8).c_str(), stdout);
      std::fputs("\n", stdout);
    }
    std::fflush(stdout);
    if (r.errors == r.requests && r.requests > 0) {
      std::fprintf(stderr, "%s: every request failed: %s\n", r.name.c_str(), r.first_error.c_str());
    }
    results.push_back(std::move(r));
  }
  if (plan.options.json) {
    std::fputs(FormatJson(plan, results).c_str(), stdout);
    std::fflush(stdout);
  }
  return all_failed ? 1 : 0;
}

}  // namespace pykv::cli
