#include "cli/bench_worker.h"

#include <http_parser.h>

#include <algorithm>
#include <cstring>
#include <span>
#include <string>
#include <utility>

#include "net/connection.h"
#include "net/connector.h"
#include "resp/reply_parser.h"

namespace pykv::cli {

namespace {

constexpr size_t kReadBufferSize = 64 * 1024;
// Connecting and the AUTH/HELLO exchange together may take this long beyond the connect
// timeout before the run gives up.
constexpr uint64_t kHandshakeSlackMs = 5000;

// splitmix64: a fast, decent generator for key numbers; no state shared across threads.
uint64_t SplitMix(uint64_t* state) {
  uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

}  // namespace

// One connection of a worker: connects, introduces itself (AUTH, HELLO 3), then sends its
// batches and reads their replies. Loop thread only.
class BenchClient : public net::ConnectionHandler {
 public:
  BenchClient(BenchWorker* worker, bool http)
      : worker_(worker), connector_(&worker->loop_), http_(http) {
    if (http_) {
      http_parser_init(&http_parser_, HTTP_RESPONSE);
      http_parser_.data = this;
      http_parser_settings_init(&http_settings_);
      http_settings_.on_message_complete = &BenchClient::OnHttpMessage;
    }
  }

  ~BenchClient() override { connector_.Cancel(); }

  void Connect() {
    const BenchPlan& plan = *worker_->job_.plan;
    connector_.Start(
        plan.host, plan.port, connect_timeout_ms_,
        [this](StatusOr<std::unique_ptr<net::Connection>> r) { OnConnected(std::move(r)); });
  }

  // Sends the next batch, or tells the worker this connection is done.
  void IssueBatch(uint64_t now) {
    queued_ = false;
    if (conn_ == nullptr || conn_->closing()) return;
    if (idle_) return;
    const uint32_t n = worker_->Claim(now);
    if (n == 0) {
      idle_ = true;
      worker_->ClientIdle(now);
      return;
    }
    OutBuffer& out = conn_->output();
    for (uint32_t i = 0; i < n; ++i) worker_->AppendRequest(&out);
    outstanding_ = n;
    batch_start_ = uv_hrtime();
    conn_->Flush();
  }

  void CloseByUs() {
    connector_.Cancel();
    closing_by_us_ = true;
    if (conn_ != nullptr && !closed_) conn_->Close();
  }

  uint32_t outstanding() const { return outstanding_; }
  uint64_t connect_timeout_ms_ = 5000;

  // net::ConnectionHandler
  std::span<char> OnReadBuffer(size_t) override {
    return {worker_->read_buf_.data(), worker_->read_buf_.size()};
  }

  void OnRead(size_t n) override {
    const uint64_t now = uv_hrtime();
    const char* data = worker_->read_buf_.data();
    if (http_) {
      now_ = now;
      const size_t used = http_parser_execute(&http_parser_, &http_settings_, data, n);
      if (failed_) return;
      if (HTTP_PARSER_ERRNO(&http_parser_) != HPE_OK || used != n) {
        Fail(std::string("Protocol error: ") +
             http_errno_description(HTTP_PARSER_ERRNO(&http_parser_)));
        return;
      }
    } else {
      replies_.Feed(std::string_view(data, n));
      for (;;) {
        const resp::ReplyParser::Result r = replies_.Next(&reply_);
        if (r == resp::ReplyParser::Result::kNeedMore) break;
        if (r == resp::ReplyParser::Result::kError) {
          Fail(replies_.error());
          return;
        }
        if (handshake_left_ > 0) {
          if (reply_.is_error()) {
            Fail(worker_->job_.plan->handshake_name + " failed: " + reply_.str);
            return;
          }
          if (--handshake_left_ == 0) worker_->ClientReady();
          continue;
        }
        if (!OnReply(now, reply_.is_error() ? reply_.str : std::string_view(), reply_.is_error())) {
          return;
        }
      }
    }
    if (outstanding_ == 0 && !idle_ && !queued_ &&
        worker_->phase_ == BenchWorker::Phase::kRunning) {
      queued_ = true;
      worker_->ready_.push_back(this);
    }
    worker_->PublishProgress();
  }

  void OnClose() override {
    closed_ = true;
    if (closing_by_us_ || failed_) return;
    // The peer closed or reset the connection while we still counted on it.
    const WorkerJob& job = worker_->job_;
    std::string why = "Connection to " + job.plan->label + " lost during " + job.test->name;
    if (outstanding_ > 0) {
      why += " (" + std::to_string(outstanding_) + (outstanding_ == 1 ? " request" : " requests") +
             " unanswered)";
    }
    if (!worker_->result_.first_error.empty()) {
      why += "; first error reply: " + worker_->result_.first_error;
    }
    worker_->Fail(Status::IoError(why));
  }

 private:
  void OnConnected(StatusOr<std::unique_ptr<net::Connection>> r) {
    if (!r.ok()) {
      failed_ = true;
      const BenchPlan& plan = *worker_->job_.plan;
      worker_->Fail(Status::IoError("Could not connect to " + AddressLabel(plan.host, plan.port) +
                                    ": " + r.status().message()),
                    /*connect_failed=*/true);
      return;
    }
    conn_ = std::move(r.value());
    conn_->Start(this);
    const BenchPlan& plan = *worker_->job_.plan;
    if (!http_ && plan.handshake_replies > 0) {
      handshake_left_ = plan.handshake_replies;
      conn_->output().Append(plan.handshake);
      conn_->Flush();
      return;
    }
    worker_->ClientReady();
  }

  // One reply or response; false once the connection failed.
  bool OnReply(uint64_t now, std::string_view error, bool is_error) {
    if (outstanding_ == 0) {
      Fail("Protocol error: a reply nobody asked for");
      return false;
    }
    --outstanding_;
    worker_->Record(now - batch_start_);
    if (is_error) worker_->RecordError(error);
    return true;
  }

  static int OnHttpMessage(http_parser* p) {
    auto* c = static_cast<BenchClient*>(p->data);
    const unsigned status = p->status_code;
    std::string error;
    if (status < 200 || status > 299) {
      error = "HTTP " + std::to_string(status) + " " +
              http_status_str(static_cast<http_status>(status));
    }
    const bool conflict_ok = status == 409 && c->worker_->job_.test->accept_conflict;
    const bool is_error = !error.empty() && !conflict_ok;
    if (!c->OnReply(c->now_, error, is_error)) return 1;
    return 0;
  }

  void Fail(std::string message) {
    failed_ = true;
    worker_->Fail(Status::IoError(message));
  }

  BenchWorker* worker_;
  net::Connector connector_;
  std::unique_ptr<net::Connection> conn_;
  bool http_;
  resp::ReplyParser replies_;
  resp::ReplyValue reply_;
  http_parser http_parser_{};
  http_parser_settings http_settings_{};
  uint64_t now_ = 0;  // the read being parsed (HTTP callbacks)
  int handshake_left_ = 0;
  uint32_t outstanding_ = 0;
  uint64_t batch_start_ = 0;
  bool idle_ = false;    // sent its last batch and has every reply
  bool queued_ = false;  // in the worker's ready_ list
  bool closing_by_us_ = false;
  bool closed_ = false;
  bool failed_ = false;
};

BenchWorker::BenchWorker(WorkerJob job, BenchControl* control)
    : job_(std::move(job)), control_(control), rng_(job_.seed) {
  remaining_ = job_.requests;
  next_seq_key_ = job_.key_first;
  cycle_len_ = 0;
  for (uint32_t w : job_.test->weights) cycle_len_ += w;
  if (cycle_len_ == 0) cycle_len_ = 1;
  read_buf_.resize(kReadBufferSize);
}

BenchWorker::~BenchWorker() = default;

void BenchWorker::Run() {
  uv_loop_init(&loop_);
  {
    std::lock_guard<std::mutex> lock(async_mu_);
    uv_async_init(&loop_, &async_, &BenchWorker::OnAsync);
    async_.data = this;
    async_open_ = true;
  }
  uv_timer_init(&loop_, &timer_);
  timer_.data = this;
  uv_check_init(&loop_, &check_);
  check_.data = this;

  const bool http = job_.plan->http;
  const uint64_t timeout_ms = job_.plan->connect_timeout_ms;
  connecting_ = job_.connections;
  for (int i = 0; i < job_.connections; ++i) {
    clients_.push_back(std::make_unique<BenchClient>(this, http));
    clients_.back()->connect_timeout_ms_ = timeout_ms;
  }
  uv_timer_start(&timer_, &BenchWorker::OnTimer, timeout_ms + kHandshakeSlackMs, 0);
  for (auto& c : clients_) {
    if (!result_.failure.ok()) break;
    c->Connect();
  }
  if (connecting_ > 0 && result_.failure.ok()) RunLoopUntilStopped();
  uv_timer_stop(&timer_);

  control_->connected.count_down();
  control_->go.wait();
  if (result_.failure.ok() && !control_->abort.load(std::memory_order_relaxed)) {
    phase_ = Phase::kRunning;
    const uint64_t now = uv_hrtime();
    active_ = static_cast<int>(clients_.size());
    uv_check_start(&check_, &BenchWorker::OnCheck);
    for (auto& c : clients_) c->IssueBatch(now);
    if (active_ > 0 && result_.failure.ok()) RunLoopUntilStopped();
  }
  if (result_.end_ns == 0) result_.end_ns = uv_hrtime();
  phase_ = Phase::kDone;
  PublishProgress();
  Shutdown();
  {
    std::lock_guard<std::mutex> lock(control_->mu);
    ++control_->finished;
  }
  control_->cv.notify_all();
}

void BenchWorker::RunLoopUntilStopped() {
  uv_run(&loop_, UV_RUN_DEFAULT);
}

void BenchWorker::Shutdown() {
  for (auto& c : clients_) c->CloseByUs();
  {
    std::lock_guard<std::mutex> lock(async_mu_);
    async_open_ = false;
    uv_close(reinterpret_cast<uv_handle_t*>(&async_), nullptr);
  }
  uv_close(reinterpret_cast<uv_handle_t*>(&timer_), nullptr);
  uv_close(reinterpret_cast<uv_handle_t*>(&check_), nullptr);
  ready_.clear();
  // Every handle is closing: the loop is alive until their close callbacks (and the
  // connectors' leftovers) have run. A uv_stop() still pending makes uv_run return early.
  while (uv_run(&loop_, UV_RUN_DEFAULT) != 0) {
  }
  clients_.clear();
  while (uv_run(&loop_, UV_RUN_DEFAULT) != 0) {
  }
  uv_loop_close(&loop_);
}

void BenchWorker::Stop() {
  std::lock_guard<std::mutex> lock(async_mu_);
  if (async_open_) uv_async_send(&async_);
}

void BenchWorker::OnAsync(uv_async_t* handle) {
  auto* w = static_cast<BenchWorker*>(handle->data);
  w->phase_ = Phase::kDone;
  uv_stop(&w->loop_);
}

void BenchWorker::OnCheck(uv_check_t* handle) {
  auto* w = static_cast<BenchWorker*>(handle->data);
  if (w->ready_.empty()) return;
  const uint64_t now = uv_hrtime();
  // IssueBatch may end the run (the last client going idle) but never adds to ready_.
  for (BenchClient* c : w->ready_) c->IssueBatch(now);
  w->ready_.clear();
}

void BenchWorker::OnTimer(uv_timer_t* handle) {
  auto* w = static_cast<BenchWorker*>(handle->data);
  w->Fail(Status::IoError("Could not connect to " + w->job_.plan->label +
                          ": no answer to the connection handshake"),
          /*connect_failed=*/true);
}

void BenchWorker::ClientReady() {
  if (--connecting_ == 0 && phase_ == Phase::kConnecting) uv_stop(&loop_);
}

void BenchWorker::Fail(Status status, bool connect_failed) {
  if (result_.failure.ok()) {
    result_.failure = std::move(status);
    result_.connect_failed = connect_failed;
  }
  control_->abort.store(true, std::memory_order_relaxed);
  phase_ = Phase::kDone;
  uv_stop(&loop_);
}

uint32_t BenchWorker::Claim(uint64_t now) {
  if (phase_ != Phase::kRunning || control_->abort.load(std::memory_order_relaxed)) return 0;
  const auto pipeline = static_cast<uint32_t>(job_.plan->options.pipeline);
  if (job_.duration_mode) return now < control_->deadline_ns ? pipeline : 0;
  const auto n = static_cast<uint32_t>(std::min<uint64_t>(remaining_, pipeline));
  remaining_ -= n;
  return n;
}

uint64_t BenchWorker::NextKey() {
  if (job_.sequential_keys) {
    const uint64_t k = next_seq_key_;
    next_seq_key_ += job_.key_stride;
    return k;
  }
  return SplitMix(&rng_) % job_.plan->options.keyspace;
}

void BenchWorker::AppendRequest(OutBuffer* out) {
  const BenchTest& test = *job_.test;
  size_t which = 0;
  if (test.requests.size() > 1) {
    uint32_t pos = cycle_pos_;
    while (which + 1 < test.weights.size() && pos >= test.weights[which])
      pos -= test.weights[which++];
    if (++cycle_pos_ == cycle_len_) cycle_pos_ = 0;
  }
  const RequestTemplate& t = test.requests[which];
  const size_t n = t.bytes.size();
  char* p = out->Reserve(n);
  std::memcpy(p, t.bytes.data(), n);
  for (uint32_t off : t.key_offsets) WriteKeyNumber(p + off, NextKey());
  out->Commit(n);
}

void BenchWorker::RecordError(std::string_view message) {
  if (result_.errors++ == 0) result_.first_error = std::string(message);
}

void BenchWorker::ClientIdle(uint64_t now) {
  if (--active_ == 0) {
    result_.end_ns = now;
    phase_ = Phase::kDone;
    uv_stop(&loop_);
  }
}

}  // namespace pykv::cli
