#include "cli/resp_client.h"

#include <string_view>
#include <utility>

#include "resp/command_encoder.h"

namespace pykv::cli {
namespace {

constexpr size_t kReadChunk = 64 * 1024;

std::vector<std::string_view> Views(std::span<const std::string> argv) {
  return {argv.begin(), argv.end()};
}

}  // namespace

RespClient::RespClient() {
  uv_loop_init(&loop_);
  uv_timer_init(&loop_, &timer_);
  timer_.data = this;
  connector_ = std::make_unique<net::Connector>(&loop_);
}

RespClient::~RespClient() {
  connector_.reset();
  Disconnect();
  uv_close(reinterpret_cast<uv_handle_t*>(&timer_), nullptr);
  // Lets libuv finish every close (connections, the connector's leftovers, the timer).
  uv_run(&loop_, UV_RUN_DEFAULT);
  closing_.clear();
  uv_loop_close(&loop_);
}

template <typename Pred>
bool RespClient::RunUntil(Pred done, uint64_t timeout_ms) {
  timed_out_ = false;
  if (timeout_ms > 0) {
    uv_timer_start(
        &timer_, [](uv_timer_t* t) { static_cast<RespClient*>(t->data)->timed_out_ = true; },
        timeout_ms, 0);
  }
  while (!done() && !timed_out_) {
    if (uv_run(&loop_, UV_RUN_ONCE) == 0 && !done()) break;  // nothing left that could help
  }
  uv_timer_stop(&timer_);
  DrainClosed();
  return done();
}

void RespClient::DrainClosed() {
  // A closed connection may be destroyed only after its close callback ran: OnClose moves
  // it here, and it is freed once the loop is back in this object's hands.
  closing_.clear();
}

Status RespClient::Connect(const std::string& host, int port, uint64_t timeout_ms) {
  Disconnect();
  bool finished = false;
  Status result;
  connector_->Start(host, port, timeout_ms, [&](StatusOr<std::unique_ptr<net::Connection>> r) {
    finished = true;
    if (!r.ok()) {
      result = r.status();
      return;
    }
    conn_ = std::move(r).value();
  });
  RunUntil([&] { return finished; }, 0);
  if (!finished) {
    connector_->Cancel();
    return Status::IoError("Connection timed out");
  }
  if (!result.ok()) return result;
  parser_ = resp::ReplyParser();
  replies_.clear();
  error_.clear();
  conn_->Start(this);
  return Status::Ok();
}

Status RespClient::ConnectAndIntroduce(const ConnectOptions& options) {
  Status st = Connect(options.host, options.port, options.connect_timeout_ms);
  if (!st.ok()) return st;
  if (!options.password.empty()) {
    std::vector<std::string> auth = {"AUTH"};
    if (!options.user.empty()) auth.push_back(options.user);
    auth.push_back(options.password);
    StatusOr<resp::ReplyValue> reply = Call(auth);
    if (!reply.ok()) return reply.status();
    if (reply->is_error()) return Status::Invalid(reply->str);
  }
  if (options.resp3) {
    std::vector<std::string> hello = {"HELLO", "3"};
    StatusOr<resp::ReplyValue> reply = Call(hello);
    if (!reply.ok()) return reply.status();
    if (reply->is_error()) return Status::Invalid(reply->str);
  }
  return Status::Ok();
}

void RespClient::Disconnect() {
  if (conn_ == nullptr) return;
  conn_->Close();
  RunUntil([&] { return conn_ == nullptr; }, 0);
}

void RespClient::Send(std::span<const std::string> argv) {
  if (!connected()) return;
  std::vector<std::string_view> views = Views(argv);
  resp::EncodeCommand(views, &conn_->output());
  conn_->Flush();
}

StatusOr<resp::ReplyValue> RespClient::Read(uint64_t timeout_ms) {
  if (replies_.empty()) {
    RunUntil([&] { return !replies_.empty() || conn_ == nullptr; }, timeout_ms);
  }
  if (!replies_.empty()) {
    resp::ReplyValue reply = std::move(replies_.front());
    replies_.pop_front();
    return reply;
  }
  if (conn_ == nullptr) {
    return Status::IoError(error_.empty() ? "Server closed the connection" : error_);
  }
  Disconnect();
  return Status::IoError("Timed out waiting for the reply");
}

StatusOr<resp::ReplyValue> RespClient::Call(std::span<const std::string> argv,
                                            uint64_t timeout_ms) {
  if (!connected()) return Status::IoError("Not connected");
  Send(argv);
  return Read(timeout_ms);
}

std::span<char> RespClient::OnReadBuffer(size_t) {
  read_buf_.resize(kReadChunk);
  return {read_buf_.data(), read_buf_.size()};
}

void RespClient::OnRead(size_t n) {
  parser_.Feed(std::string_view(read_buf_.data(), n));
  for (;;) {
    resp::ReplyValue reply;
    resp::ReplyParser::Result r = parser_.Next(&reply);
    if (r == resp::ReplyParser::Result::kNeedMore) return;
    if (r == resp::ReplyParser::Result::kError) {
      error_ = parser_.error();
      conn_->Close();
      return;
    }
    replies_.push_back(std::move(reply));
  }
}

void RespClient::OnClose() {
  if (conn_ != nullptr) closing_.push_back(std::move(conn_));
}

}  // namespace pykv::cli
