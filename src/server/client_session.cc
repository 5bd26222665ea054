#include "server/client_session.h"

#include <spdlog/spdlog.h>

namespace pykv::server {

namespace {
// Reading stops while this much output is queued (or the soft limit, when lower), so a
// client that pipelines without reading cannot make the server buffer without bound.
constexpr size_t kPauseReadingOutput = 16 * 1024 * 1024;
// A client that has not authenticated gets nothing but error replies; one that lets them
// pile up unread (a password-guessing pipeline) is closed past this.
constexpr size_t kUnauthenticatedOutputLimit = 1024 * 1024;
}  // namespace

ClientSession::ClientSession(const SessionContext& ctx, std::unique_ptr<net::Connection> conn,
                             uint64_t id, int64_t now_ms)
    : ctx_(ctx), conn_(std::move(conn)), parser_(ctx.parser_limits), writer_(&conn_->output()) {
  state_.id = id;
  state_.created_ms = now_ms;
  state_.last_interaction_ms = now_ms;
  state_.addr = conn_->peer_address();
  state_.laddr = conn_->local_address();
  state_.authenticated = ctx_.settings->requirepass.empty();
  state_.socket_output = &conn_->output();
  parser_.set_authenticated(state_.authenticated);
}

ClientSession::~ClientSession() = default;

std::span<char> ClientSession::OnReadBuffer(size_t suggested) {
  return parser_.PrepareWrite(suggested);
}

void ClientSession::OnRead(size_t n) {
  parser_.CommitWrite(n);
  ctx_.host->net_stats().total_net_input_bytes += n;
  ProcessInput();
}

void ClientSession::ProcessInput() {
  if (paused_) return;
  prefetch_.Reset();
  while (!conn_->closing() && !state_.close_after_reply) {
    resp::RequestParser::Result r = parser_.Next();
    if (r == resp::RequestParser::Result::kNeedMore) break;
    if (r == resp::RequestParser::Result::kError) {
      if (parser_.query_buffer_overflow()) {
        // As Redis: the client is dropped without a reply; the log says why.
        spdlog::warn("Closing client id={} addr={}: reached max query buffer length ({} bytes)",
                     state_.id, state_.addr, parser_.buffered());
        ++ctx_.host->net_stats().client_query_buffer_limit_disconnections;
        conn_->Close();
        return;
      }
      spdlog::info("Protocol error ({}) from client: id={} addr={}", parser_.error(), state_.id,
                   state_.addr);
      // Sent even under CLIENT REPLY OFF: the client must learn why it is dropped. The
      // writer keeps stray CR/LF from the offending bytes out of the error line.
      resp::ReplyWriter(&conn_->output()).Error("ERR " + parser_.error());
      conn_->CloseAfterFlush();
      ctx_.host->MarkPendingWrite(this);
      return;
    }
    cmd::Args argv = parser_.argv();
    if (argv.empty()) continue;
    prefetch_.BeforeCommand(*ctx_.keyspace, [this](std::span<std::string_view> out) {
      return parser_.PeekSecondArgs(out);
    });
    if (!ExecuteOne(argv)) {
      // CLIENT PAUSE holds it (the executor keeps a copy: the parser has moved past it);
      // read nothing more of this client until the pause ends.
      Postpone();
      break;
    }
    if (state_.blocked) {
      // WAIT: the reply comes when enough replicas acknowledged; the rest of the
      // pipeline runs after it (Resume).
      paused_ = true;
      break;
    }
    // Limits are checked per command, as Redis checks them per reply: a pipeline of big
    // GETs must not build gigabytes of output before the first check.
    if (OutputOverLimit()) return;
  }
  parser_.Compact();
  if (state_.close_after_reply) conn_->CloseAfterFlush();
  if (!conn_->output().empty()) ctx_.host->MarkPendingWrite(this);
}

void ClientSession::Postpone() {
  paused_ = true;
  ctx_.host->AddPaused(this);
}

void ClientSession::Resume() {
  paused_ = false;
  executing_ = true;
  const auto outcome = ctx_.executor->ResumePostponed(state_, writer_);
  executing_ = false;
  if (outcome == cmd::RequestExecutor::Outcome::kPostponed) {
    Postpone();
    return;
  }
  parser_.set_authenticated(state_.authenticated);
  ProcessInput();
}

bool ClientSession::ExecuteOne(cmd::Args argv) {
  executing_ = true;
  state_.request_encoding = parser_.last_canonical() ? parser_.last_bytes() : std::string_view();
  const auto outcome = ctx_.executor->Execute(state_, writer_, argv);
  state_.request_encoding = {};
  executing_ = false;
  if (outcome == cmd::RequestExecutor::Outcome::kPostponed) return false;
  parser_.set_authenticated(state_.authenticated);
  return true;
}

const OutputLimit& ClientSession::output_limit() const {
  const Settings& s = *ctx_.settings;
  // MONITOR output and pub/sub messages are pushed at the client unasked: both are held to
  // the pubsub class (client-output-buffer-limit pubsub).
  if (state_.is_replica) return s.output_replica;
  return state_.monitor || state_.in_pubsub() ? s.output_pubsub : s.output_normal;
}

bool ClientSession::CloseIfOverHardLimit() {
  const OutputLimit& lim = output_limit();
  size_t pending = conn_->pending_output();
  const bool over_unauthenticated = !state_.authenticated && pending > kUnauthenticatedOutputLimit;
  if (!over_unauthenticated && (lim.hard == 0 || pending <= lim.hard)) return false;
  spdlog::warn("Client id={} addr={} closed for overcoming of output buffer limits ({} bytes).",
               state_.id, state_.addr, pending);
  ++ctx_.host->net_stats().client_output_buffer_limit_disconnections;
  conn_->Close();
  return true;
}

bool ClientSession::PauseIfOutputPiledUp() {
  // A replica's input is its acknowledgements: it is always read.
  if (state_.is_replica) return false;
  const OutputLimit& lim = output_limit();
  size_t pause_at = kPauseReadingOutput;
  if (lim.soft != 0 && lim.soft < pause_at) pause_at = lim.soft;
  if (conn_->pending_output() <= pause_at) return false;
  // Back-pressure: the rest of the pipeline waits in the query buffer until the client
  // has read its replies (OnDrained resumes).
  if (conn_->reading()) conn_->PauseReading();
  reading_paused_for_output_ = true;
  return true;
}

bool ClientSession::OutputOverLimit() {
  if (CloseIfOverHardLimit()) return true;
  if (!PauseIfOutputPiledUp()) return false;
  ctx_.host->MarkPendingWrite(this);
  return true;
}

void ClientSession::CheckOutputLimits(int64_t now_ms) {
  if (CloseIfOverHardLimit()) return;
  const OutputLimit& lim = output_limit();
  if (lim.soft != 0 && conn_->pending_output() > lim.soft) {
    if (soft_limit_since_ms_ == 0) {
      soft_limit_since_ms_ = now_ms;
    } else if (now_ms - soft_limit_since_ms_ >= lim.soft_seconds * 1000) {
      spdlog::warn("Client id={} addr={} closed: output over the soft limit for {} s.", state_.id,
                   state_.addr, lim.soft_seconds);
      ++ctx_.host->net_stats().client_output_buffer_limit_disconnections;
      conn_->Close();
      return;
    }
  } else {
    soft_limit_since_ms_ = 0;
  }
  PauseIfOutputPiledUp();
}

void ClientSession::Flush() {
  size_t before = conn_->output().size();
  conn_->Flush();
  size_t after = conn_->output().size();
  if (before > after) ctx_.host->net_stats().total_net_output_bytes += before - after;
}

void ClientSession::OnDrained() {
  if (reading_paused_for_output_ && !conn_->closing()) {
    reading_paused_for_output_ = false;
    conn_->ResumeReading();
    ProcessInput();  // commands that waited in the query buffer
  }
}

void ClientSession::ReleaseIdleBuffers() {
  parser_.ReleaseIfIdle();
  if (conn_->pending_output() == 0) conn_->output().ShrinkIfIdle();
}

void ClientSession::Kill() {
  state_.close_after_reply = true;
  // A client killing itself (CLIENT KILL ID <own id>) still gets the reply of that
  // command: ProcessInput closes it once the reply is queued, as Redis does.
  if (!executing_) conn_->CloseAfterFlush();
}

void ClientSession::OnClose() {
  ctx_.host->OnSessionClosed(this);
}

cmd::ConnectionFigures ClientSession::Figures() const {
  cmd::ConnectionFigures f;
  f.fd = conn_->fd();
  f.query_buffered = parser_.buffered();
  f.query_capacity = parser_.capacity();
  f.output_buffered = conn_->output().size();
  f.output_memory = conn_->output().MemoryUsage();
  f.total_memory = f.output_memory + parser_.capacity() + sizeof(*this);
  f.reading = conn_->reading();
  return f;
}

}  // namespace pykv::server
