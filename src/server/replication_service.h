// ReplicationService: the server's side of replication. It wires replication::Replication
// to the rest of the server: the command layer's ReplicationHost (REPLICAOF, PSYNC, WAIT,
// ROLE, the write checks), the replicas' client sessions as the primary side's channels,
// the keyspace and the AOF for a replica's full synchronisation, the dispatcher for the
// primary's stream (one internal client, like the AOF loader's), and the configuration
// (REPLICAOF updates `replicaof`, so CONFIG REWRITE keeps it). Owned by the Server; loop
// thread only.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "commands/client_state.h"
#include "commands/dispatcher.h"
#include "commands/replication_host.h"
#include "common/clock.h"
#include "common/replication_position.h"
#include "journal/journal.h"
#include "net/loop.h"
#include "replication/replication.h"
#include "resp/reply_writer.h"
#include "server/client_registry.h"
#include "server/config.h"
#include "server/persistence_service.h"
#include "store/keyspace.h"
#include "store/prefetch_window.h"

namespace pykv::server {

struct ReplicationServiceContext {
  net::Loop* loop;
  journal::Journal* journal;
  CommandClock* clock;
  Config* config;
  store::Keyspace* keyspace;
  cmd::Dispatcher* dispatcher;
  PersistenceService* persistence;
  ClientRegistry* registry;
  const resp::ParserLimits* parser_limits;
};

class ReplicationService final : public cmd::ReplicationHost, public replication::ReplicationHooks {
 public:
  explicit ReplicationService(const ReplicationServiceContext& ctx);
  ~ReplicationService() override;

  // Reads the replication options (at start and after every CONFIG SET). bound_port is
  // what a replica announces when replica-announce-port is 0.
  void ApplySettings(int bound_port);
  // Start-up, after the data set is loaded: takes up the replication history the AOF
  // recorded (if it did), then follows `replicaof` if the config names one.
  void Start();
  // Where the data set stands in its replication history right now: the current
  // replication id and the journal's offset. The persistence service records it in every
  // AOF rewrite's base.
  ReplicationPosition CurrentPosition() const {
    return ReplicationPosition{repl_.replid(), ctx_.journal->offset()};
  }
  // Feeds the replicas (all that is pending when `flush`); the ms the loop may sleep
  // before stream bytes held back for the next batch are due.
  std::optional<uint64_t> BeforeSleep(bool flush = false) { return repl_.BeforeSleep(flush); }
  void Cron();
  void Shutdown() { repl_.Shutdown(); }
  // A client session closed: a replica or a WAIT-ing client.
  void OnClientClosed(const cmd::ClientState& client) { repl_.primary().Forget(client.id); }
  bool read_only_replica() const { return repl_.read_only_replica(); }
  // INFO stats' sync_full, sync_partial_ok, sync_partial_err (CONFIG RESETSTAT clears them).
  const replication::Primary::SyncStats& sync_stats() const { return repl_.primary().sync_stats(); }
  void ResetStats() { repl_.primary().ResetSyncStats(); }
  std::string Info() const { return "# Replication\r\n" + repl_.InfoFields(); }

  // ---- cmd::ReplicationHost ----
  std::string ReplicaOf(const cmd::ClientState& caller, std::string_view host, int port) override;
  void ReplicaOfNoOne(const cmd::ClientState& caller) override;
  Status Sync(cmd::ClientState& client, std::string_view replid, std::string_view offset,
              bool psync) override;
  void Ack(cmd::ClientState& client, uint64_t offset) override;
  void AckToPrimaryNow() override { repl_.AckToPrimaryNow(); }
  bool IsReplica() const override { return repl_.is_replica(); }
  std::optional<int64_t> Wait(cmd::ClientState& client, int64_t numreplicas, int64_t timeout_ms,
                              bool may_block) override;
  cmd::RoleInfo Role() const override;
  bool TooFewGoodReplicas() const override { return repl_.primary().TooFewGoodReplicas(); }
  bool RefusesStaleData() const override { return repl_.refuses_stale_data(); }

  // ---- replication::ReplicationHooks ----
  Status StartSnapshot(persistence::SnapshotChild& child, const std::string& path) override;
  replication::ReplicaChannel* Channel(uint64_t client_id) override;
  void WaitDone(uint64_t client_id, int64_t acked) override;
  Status LoadSnapshot(const std::string& path) override;
  bool Apply(const resp::RequestParser& stream) override;
  void OnStreamStart() override;
  void AdoptOffset(uint64_t offset) override;
  void OnRoleChange(bool replica) override;

 private:
  std::string Describe(const cmd::ClientState& caller) const;

  ReplicationServiceContext ctx_;
  replication::Replication repl_;
  // The primary's stream runs as this client: never answered, never propagated.
  cmd::ClientState link_client_;
  resp::ReplyWriter discard_writer_;
  // The stream is one long pipeline: its keys are prefetched as a client's are.
  store::PrefetchWindow prefetch_;
  bool aof_paused_for_sync_ = false;
  // The history id the AOF's base records ("" when none): see Cron.
  std::string aof_base_replid_;
  static constexpr int64_t kHistoryRewriteRetryMs = 1000;
  int64_t last_history_rewrite_try_ms_ = 0;
};

}  // namespace pykv::server
