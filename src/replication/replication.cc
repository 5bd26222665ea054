#include "replication/replication.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdio>

#include "common/info_field.h"

namespace pykv::replication {

Replication::Replication(uv_loop_t* loop, journal::Journal* journal, const Clock* clock,
                         ReplicationHooks* hooks, const resp::ParserLimits* limits)
    : loop_(loop),
      journal_(journal),
      clock_(clock),
      hooks_(hooks),
      limits_(limits),
      primary_(journal, &ids_, clock, hooks) {}

Replication::~Replication() = default;

void Replication::set_options(const ReplicationOptions& o) {
  opts_ = o;
  primary_.set_options(o.primary);
  // The link holds its own copy: without this a CONFIG SET (repl-timeout, masterauth...)
  // would only reach the link made by the next REPLICAOF.
  if (link_ != nullptr) link_->set_options(LinkOptions());
}

PrimaryLinkOptions Replication::LinkOptions() const {
  PrimaryLinkOptions lo;
  lo.host = primary_host_;
  lo.port = primary_port_;
  lo.auth_user = opts_.masteruser;
  lo.auth_pass = opts_.masterauth;
  lo.announce_port = opts_.announce_port;
  lo.announce_ip = opts_.announce_ip;
  lo.timeout_s = opts_.timeout_s;
  lo.temp_dir = opts_.primary.snapshot_dir;
  lo.limits = limits_;
  return lo;
}

void Replication::RetireLink() {
  if (link_ == nullptr) return;
  link_->Stop();
  retired_.push_back(std::move(link_));
}

bool Replication::ReplicaOf(const std::string& host, int port, const std::string& who) {
  if (link_ != nullptr && host == primary_host_ && port == primary_port_) {
    spdlog::info(
        "REPLICAOF would result into synchronization with the master we are already connected "
        "with. No operation performed.");
    return false;
  }
  const bool was_primary = link_ == nullptr;
  RetireLink();
  // Our replicas must learn that the history goes on elsewhere; they reconnect and
  // continue by partial resynchronisation.
  primary_.DisconnectAll();
  if (was_primary) {
    spdlog::info(
        "Before turning into a replica, using my own master parameters to synthesize a cached "
        "master: I may be able to synchronize with the new master with just a partial "
        "transfer.");
  }
  primary_host_ = host;
  primary_port_ = port;
  // The offset and history this replica will ask to continue from must be kept.
  primary_.EnsureBacklog();
  link_ = std::make_unique<PrimaryLink>(loop_, journal_, &ids_, clock_, hooks_, LinkOptions());
  hooks_->OnRoleChange(true);
  if (!who.empty()) {
    spdlog::info("REPLICAOF {}:{} enabled (user request from '{}')", host, port, who);
  }
  link_->Start();
  return true;
}

void Replication::PromoteToPrimary(const std::string& who) {
  if (link_ == nullptr) return;
  RetireLink();
  primary_host_.clear();
  primary_port_ = 0;
  // A new history begins here; the old one stays known up to this offset.
  ids_.Shift(journal_->offset());
  spdlog::warn(
      "Setting secondary replication ID to {}, valid up to offset: {}. New replication ID is {}",
      ids_.replid2, ids_.second_offset, ids_.replid);
  primary_.DisconnectAll();
  hooks_->OnRoleChange(false);
  spdlog::info("MASTER MODE enabled (user request from '{}')", who);
}

void Replication::RestoreHistory(std::string_view replid, uint64_t offset, bool as_replica) {
  if (as_replica) {
    ids_.Adopt(replid);
    spdlog::info(
        "Replication ID {} and offset {} taken up again from the AOF: the primary may continue "
        "the stream from there",
        ids_.replid, offset);
    return;
  }
  ids_.Adopt(replid);
  ids_.Shift(offset);
  // The history restored stays known only while its bytes can be served: from here on.
  primary_.EnsureBacklog();
  spdlog::info(
      "Replication ID {} and offset {} taken up again from the AOF; new replication ID {}, "
      "the previous one valid up to offset {}",
      ids_.replid2, offset, ids_.replid, ids_.second_offset);
}

void Replication::AckToPrimaryNow() {
  if (link_ != nullptr) link_->SendAck();
}

std::optional<uint64_t> Replication::BeforeSleep(bool flush) {
  return primary_.BeforeSleep(flush);
}

void Replication::Cron() {
  if (link_ != nullptr) link_->Cron();
  retired_.erase(std::remove_if(retired_.begin(), retired_.end(),
                                [](const std::unique_ptr<PrimaryLink>& l) { return l->idle(); }),
                 retired_.end());
  primary_.Cron(is_replica());
}

void Replication::Shutdown() {
  RetireLink();
  primary_.Shutdown();
}

std::string Replication::InfoFields() const {
  std::string o;
  AppendInfoField(&o, "role", is_replica() ? "slave" : "master");
  if (is_replica()) {
    AppendInfoField(&o, "master_host", primary_host_);
    AppendInfoField(&o, "master_port", primary_port_);
    AppendInfoField(&o, "master_link_status", link_->up() ? "up" : "down");
    AppendInfoField(&o, "master_last_io_seconds_ago", link_->last_io_seconds_ago());
    AppendInfoField(&o, "master_sync_in_progress", link_->sync_in_progress() ? 1 : 0);
    AppendInfoField(&o, "slave_read_repl_offset", static_cast<int64_t>(link_->read_offset()));
    AppendInfoField(&o, "slave_repl_offset", static_cast<int64_t>(journal_->offset()));
    if (link_->sync_in_progress()) {
      AppendInfoField(&o, "master_sync_total_bytes", static_cast<int64_t>(link_->transfer_size()));
      AppendInfoField(&o, "master_sync_read_bytes", static_cast<int64_t>(link_->transfer_read()));
      AppendInfoField(&o, "master_sync_left_bytes",
                      static_cast<int64_t>(link_->transfer_size() - link_->transfer_read()));
      char perc[32];
      std::snprintf(perc, sizeof(perc), "%.2f",
                    link_->transfer_size() == 0
                        ? 0.0
                        : 100.0 * static_cast<double>(link_->transfer_read()) /
                              static_cast<double>(link_->transfer_size()));
      AppendInfoField(&o, "master_sync_perc", perc);
      AppendInfoField(&o, "master_sync_last_io_seconds_ago", 0);
    }
    if (!link_->up())
      AppendInfoField(&o, "master_link_down_since_seconds", link_->down_since_seconds());
    AppendInfoField(&o, "slave_priority", opts_.replica_priority);
    AppendInfoField(&o, "slave_read_only", opts_.read_only ? 1 : 0);
    AppendInfoField(&o, "replica_announced", opts_.replica_announced ? 1 : 0);
  }
  const std::vector<Primary::ReplicaView> replicas = primary_.Replicas();
  AppendInfoField(&o, "connected_slaves", static_cast<int64_t>(replicas.size()));
  for (size_t i = 0; i < replicas.size(); ++i) {
    const Primary::ReplicaView& r = replicas[i];
    AppendInfoField(&o, "slave" + std::to_string(i),
                    "ip=" + r.ip + ",port=" + std::to_string(r.port) + ",state=" + r.state +
                        ",offset=" + std::to_string(r.offset) + ",lag=" + std::to_string(r.lag_s));
  }
  AppendInfoField(&o, "master_failover_state", "no-failover");
  AppendInfoField(&o, "master_replid", ids_.replid);
  AppendInfoField(&o, "master_replid2", ids_.replid2);
  AppendInfoField(&o, "master_repl_offset", static_cast<int64_t>(journal_->offset()));
  AppendInfoField(&o, "second_repl_offset", ids_.second_offset);
  const bool backlog = journal_->backlog_size() > 0;
  AppendInfoField(&o, "repl_backlog_active", backlog ? 1 : 0);
  AppendInfoField(&o, "repl_backlog_size", static_cast<int64_t>(opts_.primary.backlog_size));
  const uint64_t histlen = journal_->backlog_length();
  AppendInfoField(&o, "repl_backlog_first_byte_offset",
                  backlog ? static_cast<int64_t>(journal_->offset() - histlen + 1) : 0);
  AppendInfoField(&o, "repl_backlog_histlen", static_cast<int64_t>(backlog ? histlen : 0));
  return o;
}

}  // namespace pykv::replication
