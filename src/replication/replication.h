// Replication: this server's role (a primary, or a replica of host:port) and everything
// that changes with it. It owns the replication ids, the primary side (replicas attached
// here: a replica keeps its own, chained replicas) and, while a replica, the link to the
// primary. REPLICAOF, REPLICAOF NO ONE (a promotion keeps the old history as replid2 so
// the old primary's other replicas continue here by partial resynchronisation), INFO
// replication and ROLE in Redis's format, WAIT and min-replicas-to-write are served here.
// The server implements ReplicationHooks and calls BeforeSleep/Cron from its loop.
// Owned by the server; loop thread only.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "journal/journal.h"
#include "replication/primary.h"
#include "replication/primary_link.h"
#include "replication/replication_ids.h"
#include "resp/request_parser.h"

namespace pykv::replication {

class ReplicationHooks : public PrimaryHooks, public PrimaryLinkHooks {
 public:
  // The role changed (a replica hides expired keys and leaves their removal to its
  // primary; a primary expires them itself). Also called at start-up.
  virtual void OnRoleChange(bool replica) = 0;
};

// Everything the options decide, refreshed by the server on every configuration change.
struct ReplicationOptions {
  PrimaryOptions primary;
  std::string masteruser;
  std::string masterauth;
  int announce_port = 0;  // replica-announce-port, or the server's port
  std::string announce_ip;
  bool read_only = true;         // replica-read-only
  bool serve_stale_data = true;  // replica-serve-stale-data
  int replica_priority = 100;
  bool replica_announced = true;
  int timeout_s = 60;
};

class Replication {
 public:
  Replication(uv_loop_t* loop, journal::Journal* journal, const Clock* clock,
              ReplicationHooks* hooks, const resp::ParserLimits* limits);
  ~Replication();

  void set_options(const ReplicationOptions& o);

  // REPLICAOF host port. `who` describes the caller for the log ("" at start-up). Returns
  // false when already following that primary (nothing changes).
  bool ReplicaOf(const std::string& host, int port, const std::string& who);
  // REPLICAOF NO ONE.
  void PromoteToPrimary(const std::string& who);
  bool is_replica() const { return link_ != nullptr; }
  bool read_only_replica() const { return is_replica() && opts_.read_only; }
  bool refuses_stale_data() const {
    return is_replica() && !opts_.serve_stale_data && !link_->up();
  }
  bool link_up() const { return link_ != nullptr && link_->up(); }
  const std::string& primary_host() const { return primary_host_; }
  int primary_port() const { return primary_port_; }

  Primary& primary() { return primary_; }
  const Primary& primary() const { return primary_; }
  const ReplicationIds& ids() const { return ids_; }
  // The current history's id (master_replid): with the journal's offset, the position a
  // rewrite records in the AOF.
  const std::string& replid() const { return ids_.replid; }
  // Start-up, before following `replicaof`: the data set loaded stands at `offset` (the
  // journal is already there) in history `replid`, as the AOF recorded. A replica takes
  // the history up again and asks its primary to continue from there. A primary cannot
  // know that its replicas got no more than it kept (a crash may have lost the AOF's last
  // writes after they were sent), so, as Redis does after loading its RDB, it starts a
  // new history and keeps the old one as replid2 valid up to `offset` only: a replica at
  // exactly that offset continues by partial resynchronisation, one further on does not.
  void RestoreHistory(std::string_view replid, uint64_t offset, bool as_replica);
  // REPLCONF GETACK from this replica's primary.
  void AckToPrimaryNow();

  // Primary::BeforeSleep: the ms the loop may sleep before held stream bytes are due.
  std::optional<uint64_t> BeforeSleep(bool flush = false);
  void Cron();
  // Shutdown: the link closes, no snapshot child is left.
  void Shutdown();

  // The "# Replication" section's fields after its header, CRLF-terminated.
  std::string InfoFields() const;
  // ROLE: the link state name while a replica.
  const char* link_state() const { return link_ ? link_->state_name() : "none"; }
  uint64_t offset() const { return journal_->offset(); }

 private:
  PrimaryLinkOptions LinkOptions() const;
  void RetireLink();

  uv_loop_t* loop_;
  journal::Journal* journal_;
  const Clock* clock_;
  ReplicationHooks* hooks_;
  const resp::ParserLimits* limits_;
  ReplicationOptions opts_;
  ReplicationIds ids_;
  Primary primary_;
  std::unique_ptr<PrimaryLink> link_;
  // Stopped links whose connection has not finished closing yet.
  std::vector<std::unique_ptr<PrimaryLink>> retired_;
  std::string primary_host_;
  int primary_port_ = 0;
};

}  // namespace pykv::replication
