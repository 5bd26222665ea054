#include "server/server.h"

#include <signal.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>

#include "common/logging.h"
#include "common/memory.h"
#include "common/numbers.h"
#include "resp/command_encoder.h"
#include "server/admission.h"
#include "server/client_session.h"

namespace pykv::server {

namespace {

constexpr uint64_t kCronTickMs = 10;  // cron checks run on this tick, at most hz times/s
constexpr int64_t kIdleBufferReleaseMs = 2000;

// Redis's sdscatrepr: the MONITOR form of an argument.
void AppendQuoted(std::string* out, std::string_view s) {
  out->push_back('"');
  for (unsigned char c : s) {
    switch (c) {
      case '\\':
        *out += "\\\\";
        break;
      case '"':
        *out += "\\\"";
        break;
      case '\n':
        *out += "\\n";
        break;
      case '\r':
        *out += "\\r";
        break;
      case '\t':
        *out += "\\t";
        break;
      case '\a':
        *out += "\\a";
        break;
      case '\b':
        *out += "\\b";
        break;
      default:
        if (c >= 0x20 && c < 0x7f) {
          out->push_back(static_cast<char>(c));
        } else {
          char buf[8];
          std::snprintf(buf, sizeof(buf), "\\x%02x", c);
          *out += buf;
        }
    }
  }
  out->push_back('"');
}

std::string_view StripOptional(std::string_view addr, bool* optional) {
  *optional = !addr.empty() && addr[0] == '-';
  return *optional ? addr.substr(1) : addr;
}

}  // namespace

// A refused connection still needs a handler for its close callback; this one owns it
// until then.
class Server::Refused final : public net::ConnectionHandler {
 public:
  Refused(Server* server, std::unique_ptr<net::Connection> conn)
      : server_(server), conn_(std::move(conn)) {}
  net::Connection& conn() { return *conn_; }
  std::span<char> OnReadBuffer(size_t) override { return std::span<char>(scratch_); }
  void OnRead(size_t) override {}
  void OnClose() override { server_->ForgetRefused(this); }

 private:
  Server* server_;
  std::unique_ptr<net::Connection> conn_;
  char scratch_[256];
};

Server::Server(Config config) : config_(std::move(config)) {
  stats_.start_time_ms = clock_->NowMs();
  last_save_unix_ = stats_.start_time_ms / 1000;
  keyspace_ = std::make_unique<store::Keyspace>(
      clock_, static_cast<uint64_t>(clock_->NowUs()) ^ static_cast<uint64_t>(getpid()));
  dispatcher_ = std::make_unique<cmd::Dispatcher>(keyspace_.get(), this, this, &command_clock_);
  if (AllocatorHasStats()) {
    keyspace_->set_used_memory_fn([] { return AllocatedBytes(); });
  }
  ApplySettings();
  config_.set_on_change([this](std::string_view name) { OnConfigChange(name); });
}

Server::~Server() {
  // Sessions reference the dispatcher; drop them first.
  sessions_.clear();
  loader_.reset();
  aof_.reset();
  dispatcher_.reset();
  keyspace_.reset();
}

void Server::ApplySettings() {
  const Settings& s = settings();
  store::KeyspaceLimits lim;
  lim.maxkeys = s.maxkeys;
  lim.maxmemory = s.maxmemory;
  StatusOr<store::EvictionPolicy> policy = store::ParseEvictionPolicy(s.maxmemory_policy);
  lim.policy = policy.ok() ? *policy : store::EvictionPolicy::kNoEviction;
  keyspace_->set_limits(lim);
  parser_limits_.max_bulk_len = s.proto_max_bulk_len;
  parser_limits_.max_query_buffer = s.client_query_buffer_limit;
  dispatcher_->slowlog().Configure(s.slowlog_log_slower_than, s.slowlog_max_len);
  dispatcher_->latency().set_threshold_ms(s.latency_monitor_threshold);
}

void Server::OnConfigChange(std::string_view name) {
  if (name == "appendonly" && !settings().appendonly) DisableAof();
  if (name == "appendfsync" && aof_ && aof_->writer_ready()) {
    StatusOr<persistence::FsyncPolicy> p = persistence::ParseFsyncPolicy(settings().appendfsync);
    if (p.ok()) aof_->writer().set_policy(*p);
  }
  if (name == "loglevel") {
    Status st = SetLogLevel(settings().loglevel);
    if (!st.ok()) spdlog::warn("loglevel: {}", st.message());
  }
  ApplySettings();
}

Status Server::Listen() {
  const Settings& s = settings();
  int port = s.port;
  for (const std::string& raw : s.bind) {
    bool optional;
    std::string host(StripOptional(raw, &optional));
    auto l = std::make_unique<net::Listener>(
        &loop_, [this](std::unique_ptr<net::Connection> c) { OnAccept(std::move(c)); });
    // Out of descriptors: refused with the maxclients error, and counted as Redis would.
    l->set_overload_reply("-ERR max number of clients reached\r\n");
    l->set_on_overload([this] { ++stats_.rejected_connections; });
    Status st = l->Listen(host, port, s.tcp_backlog);
    if (!st.ok()) {
      l->Close();
      if (optional) {
        spdlog::warn("Could not bind {} (optional): {}", host, st.message());
        listeners_.push_back(std::move(l));  // freed with the loop, after its close callback
        continue;
      }
      listeners_.push_back(std::move(l));
      return Status::IoError("Could not create server TCP listening socket " + host + ":" +
                             std::to_string(port) + ": " + st.message());
    }
    // With port 0 every address shares the port the first one got.
    port = l->port();
    spdlog::info("Listening on {}:{}", host, port);
    listeners_.push_back(std::move(l));
  }
  bound_port_ = port;
  WritePortFile(port);
  return Status::Ok();
}

void Server::WritePortFile(int port) {
  const Settings& s = settings();
  if (!s.port_file.empty()) {
    // Written to a temp file and renamed so a reader never sees a partial number.
    std::string tmp = s.port_file + ".tmp";
    {
      std::ofstream f(tmp, std::ios::trunc);
      f << port << "\n";
    }
    if (std::rename(tmp.c_str(), s.port_file.c_str()) != 0) {
      spdlog::warn("Could not write port file {}", s.port_file);
    }
  }
  if (!s.pidfile.empty()) {
    std::ofstream f(s.pidfile, std::ios::trunc);
    f << getpid() << "\n";
  }
}

Status Server::Run() {
  signal(SIGPIPE, SIG_IGN);
  spdlog::info("PyKV {} starting (pid {}), config file: {}", PYKV_VERSION, getpid(),
               config_.config_file().empty() ? "none" : config_.config_file_abs());
  Status st = Listen();
  if (!st.ok()) {
    for (auto& l : listeners_) l->Close();
    loop_.Stop();
    Status drain = loop_.Run();
    (void)drain;
    return st;
  }
  loop_.AddBeforeSleep([this] { BeforeSleep(); });
  loop_.AddTimer(kCronTickMs, [this] { Cron(); });
  loop_.OnSignal(SIGTERM, [this] {
    spdlog::warn("Received SIGTERM scheduling shutdown...");
    StopServing();
  });
  loop_.OnSignal(SIGINT, [this] {
    spdlog::warn("Received SIGINT scheduling shutdown...");
    StopServing();
  });
  spdlog::info("Server initialized; port {}", bound_port_);
  if (settings().appendonly) {
    st = StartLoading();
    if (!st.ok()) {
      spdlog::critical("{}", st.message());
      fatal_ = st;
      StopServing();
    } else {
      loop_.RunWhileBusy([this] { return LoadStep(); });
    }
  }
  spdlog::info("Ready to accept connections tcp");
  st = loop_.Run();
  if (st.ok() && !fatal_.ok()) st = fatal_;
  if (!settings().pidfile.empty()) unlink(settings().pidfile.c_str());
  spdlog::warn("PyKV is now ready to exit, bye bye...");
  return st;
}

void Server::StopServing() {
  if (shutting_down_) return;
  shutting_down_ = true;
  for (auto& l : listeners_) l->Close();
  uint64_t durable = UINT64_MAX;
  if (aof_) {
    if (aof_->initial_rewrite_pending()) {
      // CONFIG SET appendonly yes is still writing the data set: finish it here rather
      // than exit with no AOF (Redis refuses to shut down in this state instead).
      spdlog::warn("Writing the initial AOF in the foreground before exiting");
      Status s = aof_->CompleteInitialRewriteNow(*keyspace_);
      if (!s.ok()) spdlog::warn("Could not write the initial AOF: {}", s.message());
    }
    // Everything acknowledged or about to be is written and fsynced before anyone is told.
    Status s = aof_->Shutdown();
    if (!s.ok()) spdlog::warn("Error closing the AOF at shutdown: {}", s.message());
    if (aof_->writer_ready() || !s.ok()) durable = aof_->writer().durable_seq();
  }
  for (auto& [id, s] : sessions_) {
    if (s->ack_barrier() <= durable) s->Flush();
    s->connection().Close();
  }
  loop_.Stop();
}

void Server::OnAccept(std::unique_ptr<net::Connection> conn) {
  const Settings& s = settings();
  ++stats_.total_connections_received;
  if (shutting_down_) {
    RefuseConnection(std::move(conn));
    return;
  }
  std::string refusal = AdmissionRefusal(s, sessions_.size(), conn->peer_is_loopback());
  if (!refusal.empty()) {
    ++stats_.rejected_connections;
    spdlog::info("Refused connection from {}: {}", conn->peer_address(),
                 refusal.substr(1, refusal.find(' ') - 1));
    // The connection keeps itself alive until its close callback; the server owns it.
    conn->output().Append(refusal);
    RefuseConnection(std::move(conn));
    return;
  }
  uint64_t id = next_client_id_++;
  if (s.tcp_keepalive > 0) conn->SetKeepAlive(s.tcp_keepalive);
  auto session =
      std::make_unique<ClientSession>(this, std::move(conn), id, &parser_limits_, clock_->NowMs());
  ClientSession* raw = session.get();
  sessions_.emplace(id, std::move(session));
  raw->connection().Start(raw);
}

void Server::RefuseConnection(std::unique_ptr<net::Connection> conn) {
  auto r = std::make_unique<Refused>(this, std::move(conn));
  Refused* raw = r.get();
  refused_.push_back(std::move(r));
  raw->conn().Start(raw);
  raw->conn().CloseAfterFlush();
  raw->conn().Flush();
}

void Server::ForgetRefused(Refused* r) {
  // Called from the connection's close callback: destroying it here is the contract.
  auto it = std::find_if(refused_.begin(), refused_.end(),
                         [r](const std::unique_ptr<Refused>& p) { return p.get() == r; });
  if (it != refused_.end()) {
    deferred_free_.push_back(std::move(*it));
    refused_.erase(it);
  }
}

void Server::MarkPendingWrite(ClientSession* s) {
  if (s->write_scheduled) return;
  s->write_scheduled = true;
  pending_writes_.push_back(s);
}

void Server::OnSessionClosed(ClientSession* s) {
  auto drop = [s](std::vector<ClientSession*>& v) {
    v.erase(std::remove(v.begin(), v.end(), s), v.end());
  };
  drop(pending_writes_);
  drop(paused_);
  monitors_.erase(s);
  dispatcher_->OnClientClosed(s->state());
  auto it = sessions_.find(s->state().id);
  if (it != sessions_.end()) {
    // The connection is inside its close callback: free after the callback returns.
    deferred_sessions_.push_back(std::move(it->second));
    sessions_.erase(it);
  }
}

void Server::BeforeSleep() {
  deferred_sessions_.clear();
  deferred_free_.clear();
  // The AOF is written (and under appendfsync always, fsynced) before any reply goes out.
  FlushAof();
  if (pending_writes_.empty()) return;
  int64_t now = clock_->NowMs();
  const uint64_t durable = aof_ && aof_->writer_ready() ? aof_->writer().durable_seq() : UINT64_MAX;
  flushing_.swap(pending_writes_);
  for (ClientSession* s : flushing_) {
    if (s->ack_barrier() > durable) {
      // Its replies acknowledge writes the disk does not hold yet: they wait.
      pending_writes_.push_back(s);
      continue;
    }
    s->write_scheduled = false;
    s->Flush();
    s->CheckOutputLimits(now);
  }
  flushing_.clear();  // no pointer outlives the iteration (a session may close next)
}

void Server::Cron() {
  int64_t now = clock_->NowMs();
  int hz = std::max(1, settings().hz);
  if (now - last_cron_ms_ < 1000 / hz) return;
  last_cron_ms_ = now;
  RefreshAllocatorStats();
  peak_memory_ = std::max(peak_memory_, UsedMemory());
  if (now - ops_sample_ms_ >= 1000) {
    uint64_t total = dispatcher_->stats().total_commands;
    if (ops_sample_ms_ != 0 && total >= ops_sample_commands_) {
      ops_per_sec_ =
          (total - ops_sample_commands_) * 1000 / static_cast<uint64_t>(now - ops_sample_ms_);
    }
    ops_sample_commands_ = total;
    ops_sample_ms_ = now;
  }
  if (active_expire_) {
    // Redis spends at most 25% of each cron period on active expiry.
    int64_t budget_us = 1000000 / hz / 4;
    int64_t start = clock_->MonotonicUs();
    keyspace_->ActiveExpireCycle(budget_us);
    uint64_t ms = static_cast<uint64_t>((clock_->MonotonicUs() - start) / 1000);
    dispatcher_->latency().Add("expire-cycle", ms, now / 1000);
  }
  keyspace_->RehashStep(1000);
  PersistenceCron(now);
  if (pause_until_ms_ != 0 && now >= pause_until_ms_) UnpauseClients();
  const int timeout = settings().timeout;
  for (auto& [id, s] : sessions_) {
    if (s->closing()) continue;
    if (timeout > 0 && !s->state().monitor &&
        now - s->state().last_interaction_ms > timeout * 1000LL) {
      spdlog::debug("Closing idle client id={}", id);
      s->connection().Close();
      continue;
    }
    if (s->soft_limit_since_ms() != 0) s->CheckOutputLimits(now);
    // As Redis does, a client quiet for a couple of seconds gives its buffers back.
    if (now - s->state().last_interaction_ms > kIdleBufferReleaseMs) s->ReleaseIdleBuffers();
  }
}

void Server::AddPaused(ClientSession* s) {
  paused_.push_back(s);
}

void Server::PauseClients(int64_t until_ms, bool writes_only) {
  // A pause in force keeps its stricter mode and the later end, as Redis does.
  if (pause_until_ms_ == 0 || until_ms > pause_until_ms_) pause_until_ms_ = until_ms;
  const bool only_writes = pause_until_ms_ == until_ms && writes_only;
  dispatcher_->set_pause(only_writes ? cmd::Dispatcher::PauseMode::kWrite
                                     : cmd::Dispatcher::PauseMode::kAll);
}

void Server::UnpauseClients() {
  pause_until_ms_ = 0;
  dispatcher_->set_pause(cmd::Dispatcher::PauseMode::kNone);
  std::vector<ClientSession*> waiting;
  waiting.swap(paused_);
  for (ClientSession* s : waiting) {
    if (!s->closing()) s->Resume();
  }
}

void Server::AddMonitor(cmd::ClientState& client) {
  auto it = sessions_.find(client.id);
  if (it == sessions_.end()) return;
  client.monitor = true;
  monitors_.insert(it->second.get());
}

void Server::RemoveMonitor(cmd::ClientState& client) {
  client.monitor = false;
  auto it = sessions_.find(client.id);
  if (it != sessions_.end()) monitors_.erase(it->second.get());
}

void Server::FeedMonitors(const cmd::ClientState& client, cmd::Args argv) {
  int64_t us = clock_->NowUs();
  char head[96];
  std::snprintf(head, sizeof(head), "+%lld.%06lld [0 ", static_cast<long long>(us / 1000000),
                static_cast<long long>(us % 1000000));
  std::string line = head;
  line += client.kind == cmd::ClientKind::kAofLoader ? "lua" : client.addr;
  line += "]";
  for (std::string_view a : argv) {
    line += ' ';
    AppendQuoted(&line, a);
  }
  line += "\r\n";
  for (ClientSession* m : monitors_) {
    if (m->closing()) continue;
    m->connection().output().Append(line);
    MarkPendingWrite(m);
  }
}

ClientSession* Server::FindSession(uint64_t id) const {
  auto it = sessions_.find(id);
  return it == sessions_.end() ? nullptr : it->second.get();
}

bool Server::FilterMatches(const ClientSession& s, const cmd::ClientFilter& f) const {
  const cmd::ClientState& c = s.state();
  if (f.skipme && c.id == f.caller_id) return false;
  if (f.ids && std::find(f.ids->begin(), f.ids->end(), c.id) == f.ids->end()) return false;
  if (f.type) {
    std::string type = "normal";
    if (c.monitor) type = "monitor";
    if (*f.type != type) return false;
  }
  if (f.addr && *f.addr != c.addr) return false;
  if (f.laddr && *f.laddr != c.laddr) return false;
  if (f.user && *f.user != "default") return false;
  return true;
}

std::string Server::ClientList(const cmd::ClientFilter& filter) {
  int64_t now = clock_->NowMs();
  std::vector<const ClientSession*> list;
  for (const auto& [id, s] : sessions_) {
    if (!s->closing() && FilterMatches(*s, filter)) list.push_back(s.get());
  }
  std::sort(list.begin(), list.end(), [](const ClientSession* a, const ClientSession* b) {
    return a->state().id < b->state().id;
  });
  std::string out;
  for (const ClientSession* s : list) {
    out += s->Describe(now);
    out += '\n';
  }
  return out;
}

std::string Server::ClientInfo(const cmd::ClientState& client) {
  const ClientSession* s = FindSession(client.id);
  return s ? s->Describe(clock_->NowMs()) + "\n" : std::string();
}

size_t Server::KillClients(const cmd::ClientFilter& filter) {
  size_t n = 0;
  for (auto& [id, s] : sessions_) {
    if (s->closing() || !FilterMatches(*s, filter)) continue;
    s->Kill();
    MarkPendingWrite(s.get());
    ++n;
  }
  return n;
}

Status Server::Shutdown(bool nosave, bool save, bool now, bool force, bool abort) {
  (void)nosave;
  (void)save;
  (void)now;
  (void)force;
  if (abort) return Status::Invalid("ERR No shutdown in progress.");
  spdlog::warn("User requested shutdown...");
  StopServing();
  return Status::Ok();
}

int64_t Server::UptimeSeconds() const {
  return (clock_->NowMs() - stats_.start_time_ms) / 1000;
}

size_t Server::UsedMemory() const {
  if (AllocatorHasStats()) return AllocatedBytes();
  size_t total = keyspace_->bytes();
  for (const auto& [id, s] : sessions_) total += s->MemoryUsage();
  return total;
}

bool Server::DebugAllowed(const cmd::ClientState& client) const {
  const std::string& mode = settings().enable_debug_command;
  if (mode == "yes") return true;
  if (mode == "local") {
    const ClientSession* s = FindSession(client.id);
    return s != nullptr && s->connection().peer_is_loopback();
  }
  return false;
}

std::vector<std::pair<std::string, std::string>> Server::ConfigGet(std::string_view pattern) {
  return config_.Get(pattern);
}

Status Server::ConfigSet(const std::vector<std::pair<std::string, std::string>>& pairs) {
  for (const auto& [name, value] : pairs) {
    // Turning the AOF on writes the whole data set first; only then does the option
    // change, so a failure leaves both as they were.
    if (name == "appendonly" && EqualsIgnoreCase(value, "yes") && !aof_) {
      Status st = EnableAof();
      if (!st.ok()) {
        return Status::IoError(
            "ERR CONFIG SET failed (possibly related to argument 'appendonly') - " + st.message());
      }
    }
  }
  Status st = config_.SetAtRuntime(pairs);
  if (!st.ok() && aof_ && !settings().appendonly) DisableAof();
  return st;
}

Status Server::ConfigRewrite() {
  return config_.Rewrite();
}

void Server::ResetStats() {
  dispatcher_->ResetStats();
  keyspace_->ResetStats();
  ServerStats fresh;
  fresh.start_time_ms = stats_.start_time_ms;
  stats_ = fresh;
}

}  // namespace pykv::server
