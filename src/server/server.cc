#include "server/server.h"

#include <signal.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <optional>

#include "common/logging.h"
#include "common/memory.h"
#include "common/numbers.h"
#include "resp/command_encoder.h"
#include "resp/split_args.h"
#include "server/admission.h"
#include "server/client_session.h"

namespace pykv::server {

namespace {

constexpr uint64_t kCronTickMs = 10;  // cron checks run on this tick, at most hz times/s

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
  keyspace_ = std::make_unique<store::Keyspace>(clock_, RandomSipHashKey());
  persistence_ = std::make_unique<PersistenceService>(&command_clock_, keyspace_.get(), &settings(),
                                                      &journal_);
  dispatcher_ =
      std::make_unique<cmd::Dispatcher>(keyspace_.get(), this, persistence_.get(), &command_clock_);
  persistence_->set_dispatcher(dispatcher_.get());
  executor_ = std::make_unique<cmd::RequestExecutor>(dispatcher_.get(), &command_clock_,
                                                     persistence_.get());
  registry_ = std::make_unique<ClientRegistry>(dispatcher_.get());
  pubsub_ = std::make_unique<PubSubRegistry>([this](uint64_t id) { return registry_->Find(id); },
                                             registry_.get(), clock_);
  registry_->set_pubsub(pubsub_.get());
  replication_ = std::make_unique<ReplicationService>(ReplicationServiceContext{
      &loop_, &journal_, &command_clock_, &config_, keyspace_.get(), dispatcher_.get(),
      persistence_.get(), registry_.get(), &parser_limits_});
  registry_->set_on_closed([this](const cmd::ClientState& c) { replication_->OnClientClosed(c); });
  http_api_ = std::make_unique<http::KvApi>(http::ApiContext{&settings().requirepass,
                                                             &settings().proto_max_bulk_len,
                                                             &dispatcher_->stats(), &http_stats_});
  if (AllocatorHasStats()) {
    keyspace_->set_used_memory_fn([] { return AllocatedBytes(); });
  }
  ApplySettings();
  config_.set_on_change([this](std::string_view name) { OnConfigChange(name); });
}

Server::~Server() {
  // Sessions reference the dispatcher; drop them first.
  registry_.reset();
  replication_.reset();
  pubsub_.reset();
  persistence_.reset();
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
  dispatcher_->SetKeyspaceEvents(s.notify_keyspace_events);
  http_settings_.idle_timeout_seconds = s.http_timeout;
  replication_->ApplySettings(bound_port_);
}

void Server::OnConfigChange(std::string_view name) {
  if (name == "appendonly" && !settings().appendonly) persistence_->Disable();
  if (name == "appendfsync") persistence_->ApplyFsyncPolicy();
  if (name == "loglevel") {
    Status st = SetLogLevel(settings().loglevel);
    if (!st.ok()) spdlog::warn("loglevel: {}", st.message());
  }
  ApplySettings();
}

Status Server::Listen() {
  const Settings& s = settings();
  Status st = ListenResp(s.bind, s.port);
  if (!st.ok()) return st;
  if (!s.pidfile.empty()) {
    std::ofstream f(s.pidfile, std::ios::trunc);
    f << getpid() << "\n";
    f.flush();
    // Redis goes on without it too, but says so.
    if (!f) spdlog::warn("Failed to write PID file: {}", std::strerror(errno));
  }
  return ListenHttp(s.http_bind, s.http_port);
}

Status Server::OpenRespListeners(const std::vector<std::string>& bind, int port,
                                 std::vector<std::unique_ptr<net::Listener>>* out, int* bound) {
  for (const std::string& raw : bind) {
    bool optional;
    std::string host(StripOptional(raw, &optional));
    auto l = std::make_unique<net::Listener>(
        &loop_, [this](std::unique_ptr<net::Connection> c) { OnAccept(std::move(c)); });
    // Out of descriptors: refused with the maxclients error, and counted as Redis would.
    l->set_overload_reply("-ERR max number of clients reached\r\n");
    l->set_on_overload([this] { ++stats_.rejected_connections; });
    Status st = l->Listen(host, port, settings().tcp_backlog);
    if (!st.ok()) {
      l->Close();
      if (optional) {
        spdlog::warn("Could not bind {} (optional): {}", host, st.message());
        continue;
      }
      for (auto& opened : *out) opened->Close();
      out->clear();
      return Status::IoError("Could not create server TCP listening socket " + host + ":" +
                             std::to_string(port) + ": " + st.message());
    }
    // With port 0 every address shares the port the first one got.
    port = l->port();
    spdlog::info("Listening on {}:{}", host, port);
    out->push_back(std::move(l));
  }
  *bound = port;
  return Status::Ok();
}

Status Server::ListenResp(const std::vector<std::string>& bind, int port) {
  // The old sockets close first so that the same address and port can be bound again
  // (CONFIG SET bind with an overlapping list); on failure they are opened again, as
  // Redis does.
  const bool had_listeners = !listeners_.empty();
  for (auto& l : listeners_) l->Close();
  listeners_.clear();
  std::vector<std::unique_ptr<net::Listener>> fresh;
  int bound = 0;
  Status st = OpenRespListeners(bind, port, &fresh, &bound);
  if (!st.ok()) {
    if (had_listeners) {
      Status again = OpenRespListeners(settings().bind, bound_port_, &listeners_, &bound);
      if (!again.ok())
        spdlog::warn("Could not listen again after a failed change: {}", again.message());
    }
    return st;
  }
  listeners_ = std::move(fresh);
  bound_port_ = bound;
  WritePortFile(settings().port_file, bound);
  return Status::Ok();
}

Status Server::ListenHttp(const std::string& host, int port) {
  if (port == 0 && settings().http_port_file.empty()) {
    if (http_listener_) {
      http_listener_->Close();
      closed_http_listeners_.push_back(std::move(http_listener_));
      spdlog::info("HTTP listener closed");
    }
    return Status::Ok();
  }
  auto l = std::make_unique<net::Listener>(
      &loop_, [this](std::unique_ptr<net::Connection> c) { OnHttpAccept(std::move(c)); });
  {
    OutBuffer refusal;
    http::EncodeResponse(http::HttpResponse::Detail(503, "ERR max number of clients reached"),
                         false, false, &refusal);
    l->set_overload_reply(refusal.ToString());
  }
  l->set_on_overload([this] { ++stats_.rejected_connections; });
  Status st = l->Listen(host, port, settings().tcp_backlog);
  if (!st.ok()) {
    l->Close();
    closed_http_listeners_.push_back(std::move(l));
    return Status::IoError("Could not create HTTP listening socket " + host + ":" +
                           std::to_string(port) + ": " + st.message());
  }
  if (http_listener_) {
    http_listener_->Close();
    closed_http_listeners_.push_back(std::move(http_listener_));
  }
  spdlog::info("HTTP listening on {}:{}", host, l->port());
  WritePortFile(settings().http_port_file, l->port());
  http_listener_ = std::move(l);
  return Status::Ok();
}

void Server::WritePortFile(const std::string& path, int port) {
  if (!path.empty()) {
    // Written to a temp file and renamed so a reader never sees a partial number.
    std::string tmp = path + ".tmp";
    {
      std::ofstream f(tmp, std::ios::trunc);
      f << port << "\n";
    }
    if (std::rename(tmp.c_str(), path.c_str()) != 0) {
      spdlog::warn("Could not write port file {}", path);
    }
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
  replication_->ApplySettings(bound_port_);
  if (settings().appendonly) {
    st = persistence_->StartLoading();
    if (!st.ok()) {
      spdlog::critical("{}", st.message());
      fatal_ = st;
      StopServing();
    } else {
      loop_.RunWhileBusy([this] { return LoadStep(); });
    }
  } else {
    replication_->Start();
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
  if (http_listener_) http_listener_->Close();
  // Replicas get what was written up to now before their connections close.
  (void)replication_->BeforeSleep(/*flush=*/true);
  replication_->Shutdown();
  const uint64_t durable = persistence_->Shutdown();
  registry_->FlushAndCloseAll(durable);
  loop_.Stop();
}

std::string Server::Admission(const net::Connection& conn) {
  ++stats_.total_connections_received;
  std::string refusal = AdmissionRefusal(settings(), registry_->size(), conn.peer_is_loopback());
  if (!refusal.empty()) {
    ++stats_.rejected_connections;
    spdlog::info("Refused connection from {}: {}", conn.peer_address(),
                 refusal.substr(1, refusal.find(' ') - 1));
  }
  return refusal;
}

void Server::OnAccept(std::unique_ptr<net::Connection> conn) {
  const Settings& s = settings();
  if (shutting_down_) {
    RefuseConnection(std::move(conn));
    return;
  }
  std::string refusal = Admission(*conn);
  if (!refusal.empty()) {
    // The connection keeps itself alive until its close callback; the server owns it.
    conn->output().Append(refusal);
    RefuseConnection(std::move(conn));
    return;
  }
  if (s.tcp_keepalive > 0) conn->SetKeepAlive(s.tcp_keepalive);
  net::Connection* c = conn.get();
  const SessionContext ctx{registry_.get(), executor_.get(), keyspace_.get(), &settings(),
                           &parser_limits_};
  auto session =
      std::make_unique<ClientSession>(ctx, std::move(conn), registry_->NextId(), clock_->NowMs());
  ClientSession* raw = session.get();
  registry_->Add(std::move(session));
  c->Start(raw);
}

void Server::OnHttpAccept(std::unique_ptr<net::Connection> conn) {
  if (shutting_down_) {
    RefuseConnection(std::move(conn));
    return;
  }
  std::string refusal = Admission(*conn);
  if (!refusal.empty()) {
    // "-ERR max number of clients reached\r\n" becomes a 503 with the same words.
    std::string detail = refusal.substr(1);
    while (!detail.empty() && (detail.back() == '\n' || detail.back() == '\r')) detail.pop_back();
    http::EncodeResponse(http::HttpResponse::Detail(503, detail), false, false, &conn->output());
    RefuseConnection(std::move(conn));
    return;
  }
  net::Connection* c = conn.get();
  const http::HttpSessionContext ctx{registry_.get(), executor_.get(), http_api_.get(),
                                     &http_stats_, &http_settings_};
  auto session = std::make_unique<http::HttpSession>(ctx, std::move(conn), registry_->NextId(),
                                                     clock_->NowMs());
  http::HttpSession* raw = session.get();
  registry_->Add(std::move(session));
  c->Start(raw);
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

void Server::BeforeSleep() {
  registry_->FreeClosed();
  closed_http_listeners_.clear();
  deferred_free_.clear();
  // Replicas get the journal's new bytes (and WAIT asks them for acknowledgements); bytes
  // held back for the next batch are due within the wake set here.
  if (std::optional<uint64_t> due_ms = replication_->BeforeSleep()) loop_.WakeIn(*due_ms);
  // The AOF is written (and under appendfsync always, fsynced) before any reply goes out.
  persistence_->Flush();
  registry_->FlushReady(persistence_->durable_offset(), clock_->NowMs());
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
  persistence_->Cron(now);
  replication_->Cron();
  registry_->Cron(now, settings().timeout);
}

void Server::PauseClients(int64_t until_ms, bool writes_only) {
  registry_->Pause(until_ms, writes_only);
}

void Server::UnpauseClients() {
  registry_->Unpause();
}

void Server::AddMonitor(cmd::ClientState& client) {
  registry_->AddMonitor(client);
}

void Server::RemoveMonitor(cmd::ClientState& client) {
  registry_->RemoveMonitor(client);
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
    resp::AppendRepr(&line, a);
  }
  line += "\r\n";
  registry_->FeedMonitors(line);
}

std::string Server::ClientList(const cmd::ClientFilter& filter) {
  return registry_->List(filter, clock_->NowMs());
}

std::string Server::ClientInfo(const cmd::ClientState& client) {
  return registry_->Info(client.id, clock_->NowMs());
}

size_t Server::KillClients(const cmd::ClientFilter& filter) {
  return registry_->Kill(filter);
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
  return keyspace_->bytes() + registry_->MemoryUsage();
}

bool Server::DebugAllowed(const cmd::ClientState& client) const {
  const std::string& mode = settings().enable_debug_command;
  if (mode == "yes") return true;
  if (mode == "local") {
    const cmd::Session* s = registry_->Find(client.id);
    return s != nullptr && s->peer_is_loopback();
  }
  return false;
}

std::vector<std::pair<std::string, std::string>> Server::ConfigGet(std::string_view pattern) {
  return config_.Get(pattern);
}

Status Server::ConfigSet(const std::vector<std::pair<std::string, std::string>>& pairs) {
  // The HTTP listener moves before the options change, so a port that cannot be bound
  // leaves both the listener and the options as they were.
  std::string http_bind = settings().http_bind;
  int http_port = settings().http_port;
  bool http_changed = false;
  for (const auto& [name, value] : pairs) {
    if (EqualsIgnoreCase(name, "http-bind")) {
      http_bind = value;
      http_changed = true;
    } else if (EqualsIgnoreCase(name, "http-port")) {
      int64_t v = 0;
      if (ParseInt64(value, &v) && v >= 0 && v <= 65535) {
        http_port = static_cast<int>(v);
        http_changed = true;
      }
    }
  }
  std::optional<std::vector<std::string>> bind;
  std::optional<int> port;
  for (const auto& [name, value] : pairs) {
    if (EqualsIgnoreCase(name, "bind")) {
      std::vector<std::string> addrs;
      if (resp::SplitArgs(value, &addrs)) {
        if (addrs.size() == 1 && addrs[0].empty()) addrs.clear();  // bind "" binds nothing
        bind = std::move(addrs);
      }
    } else if (EqualsIgnoreCase(name, "port")) {
      int64_t v = 0;
      if (ParseInt64(value, &v) && v >= 0 && v <= 65535) port = static_cast<int>(v);
    }
  }
  if ((bind && *bind != settings().bind) || (port && *port != bound_port_)) {
    Status st = ListenResp(bind ? *bind : settings().bind, port ? *port : bound_port_);
    if (!st.ok()) {
      const char* arg = port ? "port" : "bind";
      return Status::IoError(std::string("ERR CONFIG SET failed (possibly related to argument '") +
                             arg + "') - Unable to listen on this port: " + st.message());
    }
  }
  if (http_changed && (http_bind != settings().http_bind || http_port != settings().http_port)) {
    Status st = ListenHttp(http_bind, http_port);
    if (!st.ok()) {
      return Status::IoError("ERR CONFIG SET failed (possibly related to argument 'http-port') - " +
                             st.message());
    }
  }
  for (const auto& [name, value] : pairs) {
    // Turning the AOF on writes the whole data set first; only then does the option
    // change, so a failure leaves both as they were.
    if (name == "appendonly" && EqualsIgnoreCase(value, "yes") && !persistence_->enabled()) {
      Status st = persistence_->Enable();
      if (!st.ok()) {
        return Status::IoError(
            "ERR CONFIG SET failed (possibly related to argument 'appendonly') - " + st.message());
      }
    }
  }
  Status st = config_.SetAtRuntime(pairs);
  if (!st.ok() && persistence_->enabled() && !settings().appendonly) persistence_->Disable();
  return st;
}

bool Server::LoadStep() {
  StatusOr<bool> more = persistence_->LoadStep();
  if (more.ok()) {
    if (!*more) replication_->Start();
    return *more;
  }
  spdlog::critical("{}", more.status().message());
  fatal_ = more.status();
  StopServing();
  return false;
}

Status Server::BackgroundRewriteAof() {
  return persistence_->BackgroundRewrite();
}

Status Server::SaveNow() {
  return persistence_->SaveNow();
}

Status Server::DebugReload(bool rewrite_first) {
  return persistence_->DebugReload(rewrite_first);
}

Status Server::ConfigRewrite() {
  return config_.Rewrite();
}

void Server::ResetStats() {
  dispatcher_->ResetStats();
  keyspace_->ResetStats();
  registry_->ResetStats();
  replication_->ResetStats();
  http_stats_.Reset();
  ServerStats fresh;
  fresh.start_time_ms = stats_.start_time_ms;
  stats_ = fresh;
}

}  // namespace pykv::server
