#include "http/http_session.h"

#include <spdlog/spdlog.h>

#include <utility>

namespace pykv::http {

namespace {
constexpr size_t kReadChunk = 16 * 1024;
// Reading stops while this much output waits, so pipelined requests cannot make the
// server buffer without bound.
constexpr size_t kPauseReadingOutput = 16 * 1024 * 1024;
}  // namespace

HttpSession::HttpSession(const HttpSessionContext& ctx, std::unique_ptr<net::Connection> conn,
                         uint64_t id, int64_t now_ms)
    : ctx_(ctx), conn_(std::move(conn)), reader_(&ctx.settings->limits), writer_(&scratch_) {
  state_.id = id;
  state_.created_ms = now_ms;
  state_.last_interaction_ms = now_ms;
  state_.addr = conn_->peer_address();
  state_.laddr = conn_->local_address();
  state_.lib_name = "http";
  // Bearer authentication is checked per request before any command runs.
  state_.authenticated = true;
  state_.socket_output = &scratch_;
  last_activity_ms_ = now_ms;
}

HttpSession::~HttpSession() = default;

std::span<char> HttpSession::OnReadBuffer(size_t) {
  read_buf_.resize(kReadChunk);
  return std::span<char>(read_buf_.data(), read_buf_.size());
}

void HttpSession::OnRead(size_t n) {
  ctx_.host->net_stats().total_net_input_bytes += n;
  last_activity_ms_ = state_.last_interaction_ms = ctx_.executor->clock()->NowMs();
  reader_.Feed(std::string_view(read_buf_.data(), n));
  if (reader_.requests_begun() != requests_seen_) {
    requests_seen_ = reader_.requests_begun();
    request_started_ms_ = last_activity_ms_;
  }
  ProcessRequests();
  // A client that sent "Expect: 100-continue" holds its body until told to go on (curl
  // does for large bodies, else it stalls a second). The 100 must not overtake responses
  // still owed to earlier requests, so it goes only when none is pending; a client that
  // misses it sends the body after its own timeout anyway.
  if (reader_.TakeContinue() && reader_.requests().empty() && !paused_ && !conn_->closing()) {
    conn_->output().Append("HTTP/1.1 100 Continue\r\n\r\n");
    ctx_.host->MarkPendingWrite(this);
  }
}

void HttpSession::ProcessRequests() {
  if (paused_) return;
  auto& queue = reader_.requests();
  while (!queue.empty() && !conn_->closing()) {
    const HttpRequest& req = queue.front();
    std::string route;
    std::optional<HttpResponse> r = ctx_.api->Handle(req, *this, &route);
    if (!r) {
      // CLIENT PAUSE holds a command: the whole request runs again when it ends.
      paused_ = true;
      ctx_.host->AddPaused(this);
      return;
    }
    ctx_.stats->Count(route, r->status);
    bool keep_alive = req.keep_alive;
    if (r->status == 401) {
      // A wrong or missing bearer token counts as a failed AUTH: logged at most once a
      // second, and the connection is closed after too many in a row.
      state_.authenticated = false;
      ctx_.executor->dispatcher().RecordAuthFailure(state_);
      state_.authenticated = true;
      if (state_.close_after_reply) keep_alive = false;
    } else if (!req.authorization.empty()) {
      ctx_.executor->dispatcher().RecordAuthSuccess(state_);
    }
    Respond(*r, keep_alive, req.head);
    queue.pop_front();
    if (!keep_alive) {
      queue.clear();
      conn_->CloseAfterFlush();
      break;
    }
    if (conn_->pending_output() > kPauseReadingOutput) {
      if (conn_->reading()) conn_->PauseReading();
      reading_paused_for_output_ = true;
      break;
    }
  }
  if (queue.empty() && reader_.error_status() != 0 && !conn_->closing()) {
    HttpResponse r = HttpResponse::Detail(reader_.error_status(), reader_.error());
    ctx_.stats->Count("invalid", r.status);
    Respond(r, false, false);
    conn_->CloseAfterFlush();
  }
  if (!conn_->output().empty()) ctx_.host->MarkPendingWrite(this);
}

void HttpSession::Respond(const HttpResponse& r, bool keep_alive, bool head) {
  EncodeResponse(r, keep_alive, head, &conn_->output());
}

std::optional<resp::ReplyValue> HttpSession::Run(cmd::Args argv) {
  scratch_.Clear();
  if (ctx_.executor->Execute(state_, writer_, argv) == cmd::RequestExecutor::Outcome::kPostponed) {
    state_.postponed.clear();
    return std::nullopt;
  }
  resp::ReplyValue v;
  const std::string bytes = scratch_.ToString();
  scratch_.Clear();
  replies_.Feed(bytes);
  if (replies_.Next(&v) != resp::ReplyParser::Result::kReply) {
    // Every command answers exactly once; anything else is a server bug, not user input.
    v = resp::ReplyValue();
    v.type = resp::ReplyValue::Type::kError;
    v.str = "ERR internal: no reply";
    replies_ = resp::ReplyParser();
  }
  return v;
}

void HttpSession::Resume() {
  paused_ = false;
  ProcessRequests();
}

void HttpSession::Flush() {
  const size_t before = conn_->output().size();
  conn_->Flush();
  const size_t after = conn_->output().size();
  if (before > after) ctx_.host->net_stats().total_net_output_bytes += before - after;
}

void HttpSession::CheckOutputLimits(int64_t) {}

void HttpSession::OnDrained() {
  if (reading_paused_for_output_ && !conn_->closing()) {
    reading_paused_for_output_ = false;
    conn_->ResumeReading();
    ProcessRequests();
  }
}

void HttpSession::ReleaseIdleBuffers() {
  if (conn_->pending_output() == 0) conn_->output().ShrinkIfIdle();
  if (!reader_.in_request()) {
    std::vector<char>().swap(read_buf_);
  }
  scratch_.ShrinkIfIdle();
}

void HttpSession::Kill() {
  conn_->CloseAfterFlush();
}

void HttpSession::Tick(int64_t now_ms) {
  const int timeout = ctx_.settings->idle_timeout_seconds;
  if (timeout <= 0 || conn_->closing() || paused_) return;
  if (reader_.in_request()) {
    // A request gets the timeout from its first byte, however the rest trickles in: a
    // client sending a header line now and then (slowloris) or a byte of body at a time
    // must not hold the connection forever.
    if (now_ms - request_started_ms_ < timeout * 1000LL) return;
    HttpResponse r = HttpResponse::Detail(408, "Request Timeout");
    ctx_.stats->Count("invalid", r.status);
    Respond(r, false, false);
    conn_->CloseAfterFlush();
    ctx_.host->MarkPendingWrite(this);
    return;
  }
  if (now_ms - last_activity_ms_ < timeout * 1000LL) return;
  if (conn_->pending_output() == 0) conn_->Close();
}

void HttpSession::OnClose() {
  ctx_.host->OnSessionClosed(this);
}

cmd::ConnectionFigures HttpSession::Figures() const {
  cmd::ConnectionFigures f;
  f.fd = conn_->fd();
  f.query_buffered = reader_.partial_bytes();
  f.query_capacity = read_buf_.capacity();
  f.output_buffered = conn_->output().size();
  f.output_memory = conn_->output().MemoryUsage();
  f.total_memory = f.output_memory + read_buf_.capacity() + scratch_.MemoryUsage() + sizeof(*this);
  f.reading = conn_->reading();
  return f;
}

}  // namespace pykv::http
