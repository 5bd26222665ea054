// BenchWorker: one thread of pykv-cli bench. It owns a libuv loop and its share of the
// connections (opened with net::Connector), sends each connection's requests in batches of
// -P from the plan's pre-encoded templates, reads the replies (resp::ReplyParser, or
// libhttp-parser for --http), and records every reply's latency into its own histogram.
// Nothing on its hot path is shared with other threads but two relaxed atomics (its
// progress, read by the main thread, and the shared abort flag).
//
// Threads: the main thread constructs the workers, runs each one's Run() on a thread of its
// own, synchronises with them through BenchControl, may call progress() and Stop() at any
// time while they run, and reads result() after joining them.
#pragma once

#include <uv.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <latch>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "cli/bench_plan.h"
#include "cli/latency_histogram.h"
#include "common/out_buffer.h"
#include "common/status.h"

namespace pykv::cli {

// What the main thread and the workers of one test share. Setup only, never per request
// (except the relaxed abort flag).
struct BenchControl {
  explicit BenchControl(int workers) : connected(workers), go(1) {}
  // Each worker counts down once its connections are all open (or one failed).
  std::latch connected;
  // The main thread counts down to start the clock; deadline_ns is set before.
  std::latch go;
  // Set when the run must end early (a connection failed or was lost): no new batch.
  std::atomic<bool> abort{false};
  // Duration mode: uv_hrtime() past which no batch is started.
  uint64_t deadline_ns = 0;
  // Workers that have ended, for the main thread to wait on.
  std::mutex mu;
  std::condition_variable cv;
  int finished = 0;
};

struct WorkerJob {
  const BenchPlan* plan = nullptr;
  const BenchTest* test = nullptr;
  int connections = 1;
  // This worker's share of -n; ignored in duration mode.
  uint64_t requests = 0;
  bool duration_mode = false;
  // Keys in order (the HTTP setup): key_first, key_first + key_stride, ... Otherwise
  // random in [0, keyspace) when the templates have key numbers.
  bool sequential_keys = false;
  uint64_t key_first = 0;
  uint64_t key_stride = 1;
  uint64_t seed = 1;
};

struct WorkerResult {
  LatencyHistogram latency;
  uint64_t done = 0;    // replies received
  uint64_t errors = 0;  // error replies, HTTP statuses outside 2xx
  std::string first_error;
  // Why the run could not go on: a connection could not be made (connect_failed), the
  // handshake was refused, a connection was lost or spoke nonsense.
  Status failure;
  bool connect_failed = false;
  uint64_t end_ns = 0;  // uv_hrtime() when the last reply came
};

class BenchClient;

class BenchWorker {
 public:
  BenchWorker(WorkerJob job, BenchControl* control);
  ~BenchWorker();
  BenchWorker(const BenchWorker&) = delete;
  BenchWorker& operator=(const BenchWorker&) = delete;

  // The thread's body: connect, wait for the go, run, close everything.
  void Run();
  // Replies so far; any thread.
  uint64_t progress() const { return progress_.load(std::memory_order_relaxed); }
  // Ends the run early and promptly (wakes the loop); any thread, any time.
  void Stop();
  // After the thread ended.
  WorkerResult& result() { return result_; }

 private:
  friend class BenchClient;
  enum class Phase { kConnecting, kRunning, kDone };

  // Called by the clients on the loop thread.
  void ClientReady();
  void Fail(Status status, bool connect_failed = false);
  // How many requests the next batch of a connection may send (0: this connection is done).
  uint32_t Claim(uint64_t now);
  void AppendRequest(OutBuffer* out);
  void Record(uint64_t latency_ns) {
    result_.latency.Record(latency_ns);
    ++result_.done;
  }
  void RecordError(std::string_view message);
  void ClientIdle(uint64_t now);
  void PublishProgress() { progress_.store(result_.done, std::memory_order_relaxed); }
  uint64_t NextKey();

  void RunLoopUntilStopped();
  void Shutdown();
  static void OnAsync(uv_async_t* handle);
  static void OnTimer(uv_timer_t* handle);
  // After each poll phase: sends the next batch of every connection whose replies all came
  // in this iteration, so the server gets the requests of a turn together (as wrk and
  // redis-benchmark send them) without waiting for another round of polling.
  static void OnCheck(uv_check_t* handle);

  WorkerJob job_;
  BenchControl* control_;
  WorkerResult result_;
  uv_loop_t loop_{};
  uv_async_t async_{};
  uv_timer_t timer_{};
  uv_check_t check_{};
  std::vector<BenchClient*> ready_;  // connections whose next batch is due
  std::mutex async_mu_;              // Stop() against the handle's close
  bool async_open_ = false;
  Phase phase_ = Phase::kConnecting;
  std::vector<std::unique_ptr<BenchClient>> clients_;
  int connecting_ = 0;  // clients not yet connected and introduced
  int active_ = 0;      // clients with a batch in flight
  uint64_t remaining_ = 0;
  // The mixed test's position in its cycle of weights.
  uint32_t cycle_pos_ = 0;
  uint32_t cycle_len_ = 1;
  uint64_t rng_;
  uint64_t next_seq_key_ = 0;
  // Every connection of this thread reads into this buffer: a read is handled before the
  // next one starts.
  std::vector<char> read_buf_;
  // On a cache line of its own: the main thread reads it while this thread writes.
  alignas(64) std::atomic<uint64_t> progress_{0};
};

}  // namespace pykv::cli
