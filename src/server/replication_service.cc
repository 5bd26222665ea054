#include "server/replication_service.h"

#include <spdlog/spdlog.h>

#include "common/logging.h"
#include "persistence/file_ops.h"
#include "persistence/snapshot_load.h"
#include "server/client_session.h"

namespace pykv::server {

ReplicationService::ReplicationService(const ReplicationServiceContext& ctx)
    : ctx_(ctx),
      repl_(ctx.loop->raw(), ctx.journal, ctx.clock, this, ctx.parser_limits),
      discard_writer_(nullptr) {
  link_client_.kind = cmd::ClientKind::kPrimaryLink;
  link_client_.authenticated = true;
  link_client_.addr = "master";
  ctx_.persistence->set_replication_position_fn(
      [this]() -> std::optional<ReplicationPosition> { return CurrentPosition(); });
}

ReplicationService::~ReplicationService() {
  ctx_.persistence->set_replication_position_fn(nullptr);
}

void ReplicationService::ApplySettings(int bound_port) {
  const Settings& s = ctx_.config->settings();
  replication::ReplicationOptions o;
  o.primary.backlog_size = s.repl_backlog_size;
  o.primary.backlog_ttl_s = s.repl_backlog_ttl;
  o.primary.ping_period_s = s.repl_ping_replica_period;
  o.primary.timeout_s = s.repl_timeout;
  o.primary.min_replicas_to_write = s.min_replicas_to_write;
  o.primary.min_replicas_max_lag_s = s.min_replicas_max_lag;
  o.primary.output_hard_limit = s.output_replica.hard;
  o.primary.snapshot_dir = s.dir.empty() ? "." : s.dir;
  o.masteruser = s.masteruser;
  o.masterauth = s.masterauth;
  o.announce_port = s.replica_announce_port != 0 ? s.replica_announce_port : bound_port;
  o.announce_ip = s.replica_announce_ip;
  o.read_only = s.replica_read_only;
  o.serve_stale_data = s.replica_serve_stale_data;
  o.replica_priority = s.replica_priority;
  o.replica_announced = s.replica_announced;
  o.timeout_s = s.repl_timeout;
  repl_.set_options(o);
}

void ReplicationService::Start() {
  const Settings& s = ctx_.config->settings();
  OnRoleChange(false);
  const bool replica = !s.replicaof_host.empty();
  if (const std::optional<ReplicationPosition>& pos =
          ctx_.persistence->loaded_replication_position()) {
    // The journal goes on from the data set's offset, through the persistence service
    // because the AOF reads the journal already.
    ctx_.persistence->ResetJournalOffset(pos->offset);
    ctx_.registry->ForgetAckBarriers();
    repl_.RestoreHistory(pos->replid, pos->offset, replica);
    // A restarted primary starts a new id with the loaded one as replid2; that alone
    // does not make a rewrite (every restart would fork one): the next id change does.
    aof_base_replid_ = repl_.replid();
  }
  if (replica) repl_.ReplicaOf(s.replicaof_host, s.replicaof_port, "");
}

void ReplicationService::Cron() {
  repl_.Cron();
  // The AOF's base names the history its offsets belong to. Once the id changed (a
  // promotion, the first replica's new backlog, a restart that began a new id), a rewrite
  // records the new one, so that a later restart cannot offer bytes written under one
  // history as part of another. Only while replication is in use (a backlog exists): a
  // server that never had replicas never rewrites for this. A rewrite already running
  // makes this wait and try again.
  if (!ctx_.persistence->enabled() || ctx_.journal->backlog_size() == 0 ||
      repl_.replid() == aof_base_replid_) {
    return;
  }
  // A rewrite that cannot start (one is running, or the disk refuses) is tried again a
  // little later, not on every tick.
  const int64_t now = ctx_.clock->NowMs();
  if (now - last_history_rewrite_try_ms_ < kHistoryRewriteRetryMs) return;
  last_history_rewrite_try_ms_ = now;
  if (ctx_.persistence->BackgroundRewrite().ok()) aof_base_replid_ = repl_.replid();
}

std::string ReplicationService::Describe(const cmd::ClientState& caller) const {
  std::string who = ctx_.registry->Info(caller.id, ctx_.clock->NowMs());
  while (!who.empty() && (who.back() == '\n' || who.back() == '\r')) who.pop_back();
  return who;
}

std::string ReplicationService::ReplicaOf(const cmd::ClientState& caller, std::string_view host,
                                          int port) {
  if (!repl_.ReplicaOf(std::string(host), port, Describe(caller))) {
    return "OK Already connected to specified master";
  }
  ctx_.config->SetReplicaOf(std::string(host), port);
  return "OK";
}

void ReplicationService::ReplicaOfNoOne(const cmd::ClientState& caller) {
  if (!repl_.is_replica()) return;
  repl_.PromoteToPrimary(Describe(caller));
  ctx_.config->SetReplicaOf("", 0);
}

Status ReplicationService::Sync(cmd::ClientState& client, std::string_view replid,
                                std::string_view offset, bool psync) {
  if (repl_.is_replica() && !repl_.link_up()) {
    return Status::Invalid("NOMASTERLINK Can't SYNC while not connected with my master");
  }
  if (Channel(client.id) == nullptr) return Status::Invalid("ERR PSYNC needs a RESP connection");
  replication::ReplicaAddress addr;
  const std::string& peer = client.addr;
  addr.peer = peer;
  const size_t colon = peer.rfind(':');
  addr.ip = !client.replica.ip_address.empty()
                ? client.replica.ip_address
                : (colon == std::string::npos ? peer : peer.substr(0, colon));
  addr.port = client.replica.listening_port;
  if (addr.port != 0) addr.peer = addr.ip + ":" + std::to_string(addr.port);
  // From now on the connection carries the stream: nothing may be answered on it.
  client.is_replica = true;
  client.reply_mode = cmd::ReplyMode::kOff;
  Status st = repl_.primary().Sync(client.id, addr, replid, offset, psync);
  if (!st.ok()) {
    client.is_replica = false;
    client.reply_mode = cmd::ReplyMode::kOn;
  }
  return st;
}

void ReplicationService::Ack(cmd::ClientState& client, uint64_t offset) {
  repl_.primary().Ack(client.id, offset);
}

std::optional<int64_t> ReplicationService::Wait(cmd::ClientState& client, int64_t numreplicas,
                                                int64_t timeout_ms, bool may_block) {
  std::optional<int64_t> n =
      repl_.primary().Wait(client.id, client.ack_barrier, numreplicas, timeout_ms, may_block);
  if (!n) client.blocked = true;
  return n;
}

cmd::RoleInfo ReplicationService::Role() const {
  cmd::RoleInfo r;
  r.replica = repl_.is_replica();
  r.offset = static_cast<int64_t>(repl_.offset());
  if (r.replica) {
    r.primary_host = repl_.primary_host();
    r.primary_port = repl_.primary_port();
    r.link_state = repl_.link_state();
    return r;
  }
  for (const replication::Primary::ReplicaView& v : repl_.primary().Replicas()) {
    if (std::string_view(v.state) != "online") continue;
    r.replicas.push_back({v.ip, v.port, static_cast<int64_t>(v.offset)});
  }
  return r;
}

Status ReplicationService::StartSnapshot(persistence::SnapshotChild& child,
                                         const std::string& path) {
  return child.Start(*ctx_.keyspace, path);
}

replication::ReplicaChannel* ReplicationService::Channel(uint64_t client_id) {
  return dynamic_cast<ClientSession*>(ctx_.registry->Find(client_id));
}

void ReplicationService::WaitDone(uint64_t client_id, int64_t acked) {
  cmd::Session* s = ctx_.registry->Find(client_id);
  if (s == nullptr) return;
  cmd::ClientState& c = s->state();
  if (!c.blocked) return;
  c.blocked = false;
  if (c.reply_mode == cmd::ReplyMode::kOn && c.socket_output != nullptr) {
    resp::ReplyWriter(c.socket_output).Integer(acked);
  }
  ctx_.registry->MarkPendingWrite(s);
  s->Resume();
}

Status ReplicationService::LoadSnapshot(const std::string& path) {
  // The AOF starts again from the new data set (as Redis restarts its AOF after a sync):
  // what it holds describes data this replica no longer has.
  aof_paused_for_sync_ = ctx_.persistence->enabled();
  if (aof_paused_for_sync_) ctx_.persistence->Disable();
  // Chained replicas hold the old history: they must synchronise again.
  repl_.primary().DisconnectAll();
  ctx_.keyspace->Clear();
  uint64_t keys = 0;
  Status st = persistence::LoadSnapshotFile(persistence::FileOps::Posix(), path, ctx_.keyspace,
                                            /*skip_expired=*/false, &keys);
  if (st.ok()) spdlog::info("Done loading snapshot, keys loaded: {}.", keys);
  return st;
}

void ReplicationService::AdoptOffset(uint64_t offset) {
  ctx_.journal->Reset(offset);
  ctx_.registry->ForgetAckBarriers();
  if (aof_paused_for_sync_) {
    aof_paused_for_sync_ = false;
    Status st = ctx_.persistence->Enable();
    if (st.ok()) aof_base_replid_ = repl_.replid();  // the new base records the new history
    if (!st.ok())
      spdlog::warn("Could not restart the AOF after the synchronization: {}", st.message());
  }
}

bool ReplicationService::Apply(const resp::RequestParser& stream) {
  prefetch_.BeforeCommand(*ctx_.keyspace, [&stream](std::span<std::string_view> out) {
    return stream.PeekSecondArgs(out);
  });
  (void)ctx_.dispatcher->Execute(link_client_, discard_writer_, stream.argv());
  return !link_client_.in_multi;
}

void ReplicationService::OnStreamStart() {
  link_client_.ClearTransaction();
  prefetch_.Reset();
}

void ReplicationService::OnRoleChange(bool replica) {
  // A replica shows expired keys as missing and waits for its primary's DEL.
  ctx_.keyspace->set_expire_enabled(!replica);
  SetLogRole(replica);
}

}  // namespace pykv::server
