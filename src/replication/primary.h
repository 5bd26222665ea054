// Primary: the primary side of replication. It attaches replicas that said PSYNC or SYNC,
// decides between partial resynchronisation (the replica's history and offset are still
// in the journal's backlog: "+CONTINUE", then the bytes from there) and full
// synchronisation ("+FULLRESYNC <replid> <offset>", a snapshot forked at that journal
// offset sent as one "$<len>" bulk, then the journal from that offset; replicas that ask
// while a snapshot is being written share it), feeds every online replica the journal's
// bytes before the loop sleeps, keeps the stream alive with PINGs, drops replicas that
// stop acknowledging (repl-timeout) or whose output passes its limit (the loop never waits
// for a replica), and counts acknowledgements for WAIT and min-replicas-to-write.
//
// Owned by the server's Replication; loop thread only. A replica is named by its client
// id; the server hands its connection over through PrimaryHooks::Channel().
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "journal/journal.h"
#include "persistence/snapshot_child.h"
#include "replication/replica_channel.h"
#include "replication/replication_ids.h"

namespace pykv::replication {

struct PrimaryOptions {
  uint64_t backlog_size = 1024 * 1024;  // repl-backlog-size
  int64_t backlog_ttl_s = 3600;         // repl-backlog-ttl (0: kept for ever)
  int ping_period_s = 10;               // repl-ping-replica-period
  int timeout_s = 60;                   // repl-timeout
  int min_replicas_to_write = 0;
  int min_replicas_max_lag_s = 10;
  // client-output-buffer-limit replica, hard part: also applies to the journal bytes a
  // replica has not been sent yet while its snapshot is written (0: none).
  uint64_t output_hard_limit = 256ull << 20;
  std::string snapshot_dir = ".";  // where the full-sync snapshot file is written
};

// What the primary side needs of the server.
class PrimaryHooks {
 public:
  virtual ~PrimaryHooks() = default;
  // Forks the snapshot writer for the data set as it is now.
  virtual Status StartSnapshot(persistence::SnapshotChild& child, const std::string& path) = 0;
  // The connection of a client that became a replica (null if it is gone).
  virtual ReplicaChannel* Channel(uint64_t client_id) = 0;
  // A WAIT ended: deliver `acked` as its reply and let the client go on.
  virtual void WaitDone(uint64_t client_id, int64_t acked) = 0;
};

// What a replica said of itself (REPLCONF) and where it connected from.
struct ReplicaAddress {
  std::string ip;    // announced, or the connection's peer address
  int port = 0;      // REPLCONF listening-port
  std::string peer;  // "ip:port" of the connection, for logs
};

class Primary {
 public:
  Primary(journal::Journal* journal, ReplicationIds* ids, const Clock* clock, PrimaryHooks* hooks);
  ~Primary();
  Primary(const Primary&) = delete;
  Primary& operator=(const Primary&) = delete;

  void set_options(const PrimaryOptions& o);

  // PSYNC replid offset (offset: Redis's, the 1-based index of the first byte wanted) or
  // SYNC (psync false). Ok: the client is now a replica and its channel carries the
  // answer. An error is the reply.
  Status Sync(uint64_t client_id, const ReplicaAddress& addr, std::string_view replid,
              std::string_view offset, bool psync);
  // REPLCONF ACK from a replica.
  void Ack(uint64_t client_id, uint64_t offset);
  // The client's connection closed (replica or WAIT-ing client).
  void Forget(uint64_t client_id);
  // Closes every replica connection (this server is becoming a replica, or promoted: the
  // replicas must learn the new history, and continue by partial resynchronisation).
  void DisconnectAll();
  // The backlog exists (created by the first replica; a replica keeps one too).
  void EnsureBacklog();

  // WAIT: the count at once when enough replicas acknowledged `offset` or may_block is
  // false; otherwise the client waits and WaitDone() delivers the count later.
  std::optional<int64_t> Wait(uint64_t client_id, uint64_t offset, int64_t numreplicas,
                              int64_t timeout_ms, bool may_block);
  // Replicas whose acknowledged offset is at least `offset`.
  int64_t CountAcked(uint64_t offset) const;
  // min-replicas-to-write is set and not enough replicas acknowledged lately.
  bool TooFewGoodReplicas() const;

  // Before the loop sleeps: asks for acknowledgements WAIT needs, sends the next pieces of
  // snapshot files and the journal's new bytes. The stream goes out in batches, so that a
  // busy primary makes one socket write per replica every kFeedDelayUs rather than one per
  // loop turn (and the replica one read): new bytes are held until kFeedBatchBytes are
  // pending or the oldest has waited kFeedDelayUs, unless a WAIT is pending or `flush`.
  // Returns how many ms the loop may sleep before the held bytes are due (none held:
  // nullopt).
  std::optional<uint64_t> BeforeSleep(bool flush = false);
  // Once per cron tick: the snapshot child, PINGs, timeouts, WAIT deadlines, backlog ttl.
  void Cron(bool is_replica);
  // Shutdown: no child left behind.
  void Shutdown();

  struct ReplicaView {
    std::string ip;
    int port;
    const char* state;  // wait_bgsave, send_bulk, online
    uint64_t offset;
    int64_t lag_s;
  };
  std::vector<ReplicaView> Replicas() const;
  size_t connected() const { return replicas_.size(); }

  // INFO stats, as Redis counts them: every full synchronisation (SYNC, or a PSYNC that
  // could not continue), every PSYNC answered +CONTINUE, and every PSYNC that named a
  // history but could not continue (a "PSYNC ? -1" asks for a full one: not an error).
  struct SyncStats {
    uint64_t full = 0;
    uint64_t partial_ok = 0;
    uint64_t partial_err = 0;
  };
  const SyncStats& sync_stats() const { return sync_stats_; }
  void ResetSyncStats() { sync_stats_ = SyncStats(); }
  bool snapshot_running() const { return child_.running(); }

 private:
  enum class State { kWaitSnapshot, kSnapshot, kSendBulk, kOnline };
  struct Replica {
    uint64_t client_id;
    ReplicaAddress addr;
    bool psync;
    State state = State::kWaitSnapshot;
    std::optional<journal::Journal::ReaderId> reader;
    uint64_t ack_offset = 0;
    int64_t ack_ms = 0;
    int bulk_fd = -1;
    uint64_t bulk_left = 0;
  };
  Replica* Find(uint64_t client_id);
  void Drop(Replica& r, const char* why);
  void Remove(uint64_t client_id);
  bool TryPartial(Replica& r, std::string_view replid, std::string_view offset);
  // Starts a snapshot for the replicas waiting for one (if none is running).
  void StartSnapshot();
  void SnapshotEnded(const Status& st);
  void SendBulk(Replica& r, ReplicaChannel& ch);
  void Feed(Replica& r, ReplicaChannel& ch);
  // Whether the journal's new bytes go out now (see BeforeSleep).
  bool StreamDue(bool flush);
  void CheckWaiters();

  journal::Journal* journal_;
  ReplicationIds* ids_;
  const Clock* clock_;
  PrimaryHooks* hooks_;
  PrimaryOptions opts_;
  std::vector<Replica> replicas_;
  persistence::SnapshotChild child_;
  std::string snapshot_path_;
  std::vector<char> bulk_buf_;  // one chunk of a snapshot file on its way to a replica
  uint64_t snapshot_offset_ = 0;
  struct Waiter {
    uint64_t client_id;
    uint64_t offset;
    int64_t numreplicas;
    int64_t deadline_ms;  // 0: none
  };
  std::vector<Waiter> waiters_;
  bool want_acks_ = false;
  uint64_t fed_to_ = 0;        // journal offset the online replicas were last fed up to
  int64_t held_since_us_ = 0;  // monotonic time new bytes were first held back (0: none)
  int64_t last_ping_ms_ = 0;
  int64_t last_newline_ms_ = 0;
  int64_t no_replicas_since_ms_ = 0;
  SyncStats sync_stats_;
};

}  // namespace pykv::replication
