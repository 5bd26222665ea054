#include "server/client_session.h"

#include <spdlog/spdlog.h>

#include "server/server.h"

namespace pykv::server {

namespace {
// Reading stops while this much output is queued (or the soft limit, when lower), so a
// client that pipelines without reading cannot make the server buffer without bound.
constexpr size_t kPauseReadingOutput = 16 * 1024 * 1024;
}  // namespace

ClientSession::ClientSession(Server* server, std::unique_ptr<net::Connection> conn, uint64_t id,
                             const resp::ParserLimits* limits, int64_t now_ms)
    : server_(server), conn_(std::move(conn)), parser_(limits), writer_(&conn_->output()) {
  state_.id = id;
  state_.created_ms = now_ms;
  state_.last_interaction_ms = now_ms;
  state_.addr = conn_->peer_address();
  state_.laddr = conn_->local_address();
  state_.authenticated = server->settings().requirepass.empty();
  state_.socket_output = &conn_->output();
  parser_.set_authenticated(state_.authenticated);
}

ClientSession::~ClientSession() = default;

std::span<char> ClientSession::OnReadBuffer(size_t suggested) {
  return parser_.PrepareWrite(suggested);
}

void ClientSession::OnRead(size_t n) {
  parser_.CommitWrite(n);
  server_->stats().total_net_input_bytes += n;
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
        ++server_->stats().client_query_buffer_limit_disconnections;
        conn_->Close();
        return;
      }
      spdlog::info("Protocol error ({}) from client: id={} addr={}", parser_.error(), state_.id,
                   state_.addr);
      // Sent even under CLIENT REPLY OFF: the client must learn why it is dropped. The
      // writer keeps stray CR/LF from the offending bytes out of the error line.
      resp::ReplyWriter(&conn_->output()).Error("ERR " + parser_.error());
      conn_->CloseAfterFlush();
      server_->MarkPendingWrite(this);
      return;
    }
    cmd::Args argv = parser_.argv();
    if (argv.empty()) continue;
    prefetch_.BeforeCommand(server_->keyspace(), [this](std::span<std::string_view> out) {
      return parser_.PeekSecondArgs(out);
    });
    if (!ExecuteOne(argv)) {
      // CLIENT PAUSE holds it. Keep the command for when the pause ends (the parser has
      // moved past it) and read nothing more of this client until then.
      pending_.assign(argv.begin(), argv.end());
      Postpone();
      break;
    }
    // Limits are checked per command, as Redis checks them per reply: a pipeline of big
    // GETs must not build gigabytes of output before the first check.
    if (OutputOverLimit()) return;
  }
  parser_.Compact();
  if (state_.close_after_reply) conn_->CloseAfterFlush();
  if (!conn_->output().empty()) server_->MarkPendingWrite(this);
}

void ClientSession::Postpone() {
  paused_ = true;
  server_->AddPaused(this);
}

void ClientSession::Resume() {
  paused_ = false;
  if (!pending_.empty()) {
    std::vector<std::string> cmd = std::move(pending_);
    pending_.clear();
    std::vector<std::string_view> argv(cmd.begin(), cmd.end());
    if (!ExecuteOne(argv)) {
      pending_ = std::move(cmd);
      Postpone();
      return;
    }
  }
  ProcessInput();
}

bool ClientSession::ExecuteOne(cmd::Args argv) {
  // The dispatcher's command time is this one clock read.
  CommandClock::Scope frozen(server_->command_clock());
  state_.last_interaction_ms = server_->clock()->NowMs();
  const cmd::ReplyMode mode_before = state_.reply_mode;
  if (state_.reply_mode == cmd::ReplyMode::kSkipNext) state_.reply_mode = cmd::ReplyMode::kSkipThis;
  writer_.set_output(state_.reply_mode == cmd::ReplyMode::kOn ? &conn_->output() : nullptr);
  const uint64_t seq_before = server_->appended_seq();
  executing_ = true;
  const cmd::Dispatcher::Outcome outcome = server_->dispatcher().Execute(state_, writer_, argv);
  executing_ = false;
  if (outcome == cmd::Dispatcher::Outcome::kPostponed) {
    state_.reply_mode = mode_before;  // CLIENT REPLY SKIP still applies to it when it runs
    return false;
  }
  const uint64_t seq_after = server_->appended_seq();
  if (seq_after != seq_before) ack_barrier_ = seq_after;
  if (state_.reply_mode == cmd::ReplyMode::kSkipThis) state_.reply_mode = cmd::ReplyMode::kOn;
  parser_.set_authenticated(state_.authenticated);
  return true;
}

const OutputLimit& ClientSession::output_limit() const {
  const Settings& s = server_->settings();
  return state_.monitor ? s.output_pubsub : s.output_normal;
}

bool ClientSession::CloseIfOverHardLimit() {
  const OutputLimit& lim = output_limit();
  size_t pending = conn_->pending_output();
  if (lim.hard == 0 || pending <= lim.hard) return false;
  spdlog::warn("Client id={} addr={} closed for overcoming of output buffer limits ({} bytes).",
               state_.id, state_.addr, pending);
  ++server_->stats().client_output_buffer_limit_disconnections;
  conn_->Close();
  return true;
}

bool ClientSession::PauseIfOutputPiledUp() {
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
  server_->MarkPendingWrite(this);
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
      ++server_->stats().client_output_buffer_limit_disconnections;
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
  if (before > after) server_->stats().total_net_output_bytes += before - after;
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
  server_->OnSessionClosed(this);
}

size_t ClientSession::MemoryUsage() const {
  return conn_->output().MemoryUsage() + parser_.capacity() + sizeof(*this);
}

std::string ClientSession::Describe(int64_t now_ms) const {
  const cmd::ClientState& c = state_;
  std::string flags;
  if (c.monitor) flags += 'O';
  if (c.in_multi) flags += 'x';
  if (c.watch_dirty) flags += 'd';
  if (c.close_after_reply) flags += 'c';
  if (c.no_evict) flags += 'e';
  if (flags.empty()) flags = "N";
  size_t qbuf = parser_.buffered();
  size_t obl = conn_->output().size();
  std::string line;
  line.reserve(256);
  line += "id=" + std::to_string(c.id);
  line += " addr=" + c.addr;
  line += " laddr=" + c.laddr;
  line += " fd=" + std::to_string(conn_->fd());
  line += " name=" + c.name;
  line += " age=" + std::to_string((now_ms - c.created_ms) / 1000);
  line += " idle=" + std::to_string((now_ms - c.last_interaction_ms) / 1000);
  line += " flags=" + flags;
  line += " db=0 sub=0 psub=0 ssub=0";
  line += " multi=" + std::to_string(c.in_multi ? static_cast<int64_t>(c.queued.size()) : -1);
  line += " qbuf=" + std::to_string(qbuf);
  line += " qbuf-free=" + std::to_string(parser_.capacity() - std::min(parser_.capacity(), qbuf));
  line += " argv-mem=0 multi-mem=0";
  line += " rbs=" + std::to_string(parser_.capacity());
  line += " rbp=" + std::to_string(parser_.capacity());
  line += " obl=" + std::to_string(obl);
  line += " oll=0";
  line += " omem=" + std::to_string(conn_->output().MemoryUsage());
  line += " tot-mem=" + std::to_string(MemoryUsage());
  line += std::string(" events=") + (conn_->reading() ? "r" : "") + (obl ? "w" : "");
  line += " cmd=";
  line += c.last_command != nullptr ? std::string_view(c.last_command->name) : "NULL";
  line += " user=default redir=-1";
  line += " resp=" + std::to_string(c.resp);
  if (!c.lib_name.empty()) line += " lib-name=" + c.lib_name;
  if (!c.lib_ver.empty()) line += " lib-ver=" + c.lib_ver;
  return line;
}

}  // namespace pykv::server
