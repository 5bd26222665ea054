// Server: the wiring. Owns the loop, the listeners, the keyspace, the dispatcher, the
// request executor and the client registry; implements the command layer's ServerContext
// (INFO, CONFIG, CLIENT, SHUTDOWN, MONITOR) and the mutation sink. Before the loop sleeps it
// writes the AOF, then lets the registry release the replies the AOF now holds; a cron
// timer runs active expiry, client housekeeping and statistics.
// Construct and Run() on the thread that will be the loop thread.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "commands/dispatcher.h"
#include "commands/request_executor.h"
#include "commands/server_context.h"
#include "common/clock.h"
#include "http/http_session.h"
#include "http/kv_api.h"
#include "net/listener.h"
#include "net/loop.h"
#include "resp/request_parser.h"
#include "server/client_registry.h"
#include "server/config.h"
#include "server/persistence_service.h"
#include "server/pubsub_registry.h"
#include "server/replication_service.h"
#include "store/keyspace.h"

namespace pykv::server {

struct ServerStats {
  uint64_t total_connections_received = 0;
  uint64_t rejected_connections = 0;
  int64_t start_time_ms = 0;
};

class Server final : public cmd::ServerContext {
 public:
  explicit Server(Config config);
  ~Server() override;

  // Binds, starts the loop and blocks until shutdown. Returns the exit status.
  Status Run();

  const Settings& settings() const { return config_.settings(); }

  // ---- cmd::ServerContext ----
  std::string Info(const std::vector<std::string>& sections) override;
  std::vector<std::pair<std::string, std::string>> ConfigGet(std::string_view pattern) override;
  Status ConfigSet(const std::vector<std::pair<std::string, std::string>>& pairs) override;
  Status ConfigRewrite() override;
  bool ConfigIsSensitive(std::string_view name) const override { return Config::IsSensitive(name); }
  void ResetStats() override;
  const std::string& RequirePass() const override { return settings().requirepass; }
  std::string ClientList(const cmd::ClientFilter& filter) override;
  std::string ClientInfo(const cmd::ClientState& client) override;
  size_t KillClients(const cmd::ClientFilter& filter) override;
  void PauseClients(int64_t until_ms, bool writes_only) override;
  void UnpauseClients() override;
  void AddMonitor(cmd::ClientState& client) override;
  void RemoveMonitor(cmd::ClientState& client) override;
  bool HasMonitors() const override { return registry_->HasMonitors(); }
  void FeedMonitors(const cmd::ClientState& client, cmd::Args argv) override;
  cmd::PubSubHost& pubsub() override { return *pubsub_; }
  cmd::ReplicationHost& replication() override { return *replication_; }
  Status Shutdown(bool nosave, bool save, bool now, bool force, bool abort) override;
  Status BackgroundRewriteAof() override;
  Status SaveNow() override;
  Status DebugReload(bool rewrite_first) override;
  const std::string& PersistenceError() const override { return persistence_->error(); }
  bool IsReadonlyReplica() const override { return replication_->read_only_replica(); }
  int64_t LastSaveTime() const override { return persistence_->last_save_unix(); }
  int64_t UptimeSeconds() const override;
  size_t UsedMemory() const override;
  uint64_t ProtoMaxBulkLen() const override { return settings().proto_max_bulk_len; }
  void SetActiveExpire(bool on) override { active_expire_ = on; }
  bool DebugAllowed(const cmd::ClientState& client) const override;

 private:
  Status Listen();
  // (Re)opens the RESP listeners on bind:port (CONFIG SET bind/port re-listen at run time).
  // On failure the previous addresses are opened again and the error is returned.
  Status ListenResp(const std::vector<std::string>& bind, int port);
  Status OpenRespListeners(const std::vector<std::string>& bind, int port,
                           std::vector<std::unique_ptr<net::Listener>>* out, int* bound);
  void OnAccept(std::unique_ptr<net::Connection> conn);
  // (Re)starts the HTTP listener on host:port (port 0: off, unless http-port-file asks for
  // any free port). On failure the previous listener keeps serving.
  Status ListenHttp(const std::string& host, int port);
  void OnHttpAccept(std::unique_ptr<net::Connection> conn);
  // The refusal (maxclients, protected mode) for a new connection, or "" to admit it.
  std::string Admission(const net::Connection& conn);
  void BeforeSleep();
  void Cron();
  void ApplySettings();
  void OnConfigChange(std::string_view name);
  void StopServing();
  std::string InfoSection(const std::string& name);
  void WritePortFile(const std::string& path, int port);
  // One slice of loading; false when done (or failed: the server then stops).
  bool LoadStep();
  class Refused;
  // Sends what the connection's output holds (a refusal), then closes it.
  void RefuseConnection(std::unique_ptr<net::Connection> conn);
  void ForgetRefused(Refused* r);

  Config config_;
  // Every reader of time in the server goes through it, so a command sees one instant.
  CommandClock command_clock_{SystemClock::Instance()};
  const Clock* clock_ = &command_clock_;
  net::Loop loop_;
  std::vector<std::unique_ptr<net::Listener>> listeners_;
  std::unique_ptr<store::Keyspace> keyspace_;
  journal::Journal journal_;  // every change, encoded once: the AOF (and replicas) read it
  std::unique_ptr<PersistenceService> persistence_;  // the dispatcher's mutation sink
  std::unique_ptr<cmd::Dispatcher> dispatcher_;
  std::unique_ptr<cmd::RequestExecutor> executor_;
  std::unique_ptr<ClientRegistry> registry_;
  std::unique_ptr<PubSubRegistry> pubsub_;
  std::unique_ptr<ReplicationService> replication_;
  resp::ParserLimits parser_limits_;
  http::HttpStats http_stats_;
  http::HttpSettings http_settings_;
  std::unique_ptr<http::KvApi> http_api_;
  std::unique_ptr<net::Listener> http_listener_;
  std::vector<std::unique_ptr<net::Listener>> closed_http_listeners_;
  std::vector<std::unique_ptr<Refused>> refused_;
  std::vector<std::unique_ptr<Refused>> deferred_free_;
  int64_t last_cron_ms_ = 0;
  size_t peak_memory_ = 0;
  uint64_t ops_per_sec_ = 0;
  uint64_t ops_sample_commands_ = 0;
  int64_t ops_sample_ms_ = 0;
  bool active_expire_ = true;
  bool shutting_down_ = false;
  int bound_port_ = 0;
  ServerStats stats_;
  Status fatal_;  // set when the server must stop with an error (e.g. a damaged AOF)
};

}  // namespace pykv::server
