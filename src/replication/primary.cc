#include "replication/primary.h"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "common/numbers.h"

namespace pykv::replication {

namespace {
// Snapshot bytes read per chunk, and the most a replica is handed before the kernel took
// the previous ones (a big snapshot is not copied into memory as a whole).
constexpr size_t kBulkChunk = 256 * 1024;
constexpr size_t kBulkQueued = 4 * 1024 * 1024;
// A replica waiting for its snapshot gets a newline this often, so that its repl-timeout
// does not run out (Redis's pre-synchronisation keepalive).
constexpr int64_t kNewlineEveryMs = 1000;
// The stream's batching (Primary::BeforeSleep): at most this long a delay, and this many
// bytes make a batch worth sending at once.
constexpr int64_t kFeedDelayUs = 1000;
constexpr uint64_t kFeedBatchBytes = 64 * 1024;
}  // namespace

Primary::Primary(journal::Journal* journal, ReplicationIds* ids, const Clock* clock,
                 PrimaryHooks* hooks)
    : journal_(journal), ids_(ids), clock_(clock), hooks_(hooks), child_(clock) {}

Primary::~Primary() {
  Shutdown();
}

void Primary::set_options(const PrimaryOptions& o) {
  opts_ = o;
  if (journal_->backlog_size() > 0) journal_->set_backlog_size(opts_.backlog_size);
}

Primary::Replica* Primary::Find(uint64_t client_id) {
  for (Replica& r : replicas_) {
    if (r.client_id == client_id) return &r;
  }
  return nullptr;
}

void Primary::EnsureBacklog() {
  if (journal_->backlog_size() > 0) return;
  journal_->set_backlog_size(opts_.backlog_size);
}

Status Primary::Sync(uint64_t client_id, const ReplicaAddress& addr, std::string_view replid,
                     std::string_view offset, bool psync) {
  ReplicaChannel* ch = hooks_->Channel(client_id);
  if (ch == nullptr) return Status::Invalid("ERR PSYNC needs a RESP connection");
  spdlog::info("Replica {} asks for synchronization", addr.peer);
  Replica r;
  r.client_id = client_id;
  r.addr = addr;
  r.psync = psync;
  r.ack_ms = clock_->NowMs();
  if (psync && TryPartial(r, replid, offset)) {
    ++sync_stats_.partial_ok;
    replicas_.push_back(std::move(r));
    return Status::Ok();
  }
  if (psync && replid != "?") ++sync_stats_.partial_err;
  ++sync_stats_.full;
  if (journal_->backlog_size() == 0) {
    // Nothing before this moment was kept, so no replica can hold this history: start
    // a new one, as Redis does when it creates its backlog.
    ids_->Renew();
    EnsureBacklog();
    spdlog::info("Replication backlog created, my new replication IDs are '{}' and '{}'",
                 ids_->replid, ids_->replid2);
  }
  if (child_.running() && journal_->Holds(snapshot_offset_)) {
    // A snapshot forked for another replica is being written: share it, and the stream
    // from the offset it was forked at.
    r.reader = journal_->AddReaderAt(snapshot_offset_);
    r.state = State::kSnapshot;
    if (psync) {
      ch->Send("+FULLRESYNC " + ids_->replid + " " + std::to_string(snapshot_offset_) + "\r\n");
    }
    spdlog::info("Waiting for end of BGSAVE for SYNC");
    replicas_.push_back(std::move(r));
    return Status::Ok();
  }
  replicas_.push_back(std::move(r));
  StartSnapshot();
  return Status::Ok();
}

bool Primary::TryPartial(Replica& r, std::string_view replid, std::string_view offset) {
  int64_t psync_offset = 0;
  if (!ParseInt64(offset, &psync_offset)) psync_offset = -1;
  if (replid == "?") {
    spdlog::info("Full resync requested by replica {}", r.addr.peer);
    return false;
  }
  if (!ids_->Knows(replid, psync_offset)) {
    if (replid != ids_->replid && replid != ids_->replid2) {
      spdlog::info(
          "Partial resynchronization not accepted: Replication ID mismatch (Replica asked for "
          "'{}', my replication IDs are '{}' and '{}')",
          replid, ids_->replid, ids_->replid2);
    } else {
      spdlog::info(
          "Partial resynchronization not accepted: Requested offset for second ID was {}, but I "
          "can reply up to {}",
          psync_offset, ids_->second_offset);
    }
    return false;
  }
  const uint64_t from = psync_offset > 0 ? static_cast<uint64_t>(psync_offset - 1) : 0;
  if (journal_->backlog_size() == 0 || psync_offset < 1 || !journal_->Holds(from)) {
    spdlog::info(
        "Unable to partial resync with replica {} for lack of backlog (Replica request was: {}).",
        r.addr.peer, psync_offset);
    return false;
  }
  ReplicaChannel* ch = hooks_->Channel(r.client_id);
  r.reader = journal_->AddReaderAt(from);
  r.state = State::kOnline;
  r.ack_offset = from;
  ch->Send("+CONTINUE " + ids_->replid + "\r\n");
  spdlog::info(
      "Partial resynchronization request from {} accepted. Sending {} bytes of backlog starting "
      "from offset {}.",
      r.addr.peer, journal_->offset() - from, psync_offset);
  return true;
}

void Primary::StartSnapshot() {
  if (child_.running()) return;
  bool waiting = false;
  for (const Replica& r : replicas_) waiting |= r.state == State::kWaitSnapshot;
  if (!waiting) return;
  snapshot_path_ = opts_.snapshot_dir + "/temp-repl-" + std::to_string(getpid()) + ".pkv";
  spdlog::info("Starting BGSAVE for SYNC with target: disk");
  Status st = hooks_->StartSnapshot(child_, snapshot_path_);
  if (!st.ok()) {
    spdlog::warn("BGSAVE for replication failed: {}", st.message());
    for (Replica& r : replicas_) {
      if (r.state == State::kWaitSnapshot) Drop(r, "BGSAVE for replication failed");
    }
    return;
  }
  spdlog::info("Background saving started by pid {}", child_.pid());
  snapshot_offset_ = journal_->offset();
  for (Replica& r : replicas_) {
    if (r.state != State::kWaitSnapshot) continue;
    r.reader = journal_->AddReaderAt(snapshot_offset_);
    r.state = State::kSnapshot;
    ReplicaChannel* ch = hooks_->Channel(r.client_id);
    if (r.psync && ch != nullptr) {
      ch->Send("+FULLRESYNC " + ids_->replid + " " + std::to_string(snapshot_offset_) + "\r\n");
    }
  }
  // The stream a new replica gets begins by naming the database, as Redis's does.
  std::string_view select[] = {"SELECT", "0"};
  journal_->Append(select);
}

void Primary::SnapshotEnded(const Status& st) {
  if (!st.ok()) {
    spdlog::warn("Background saving for replication failed: {}", st.message());
    for (Replica& r : replicas_) {
      if (r.state == State::kSnapshot) Drop(r, "SYNC failed. BGSAVE child returned an error");
    }
    ::unlink(snapshot_path_.c_str());
    return;
  }
  spdlog::info("Background saving terminated with success");
  for (Replica& r : replicas_) {
    if (r.state != State::kSnapshot) continue;
    ReplicaChannel* ch = hooks_->Channel(r.client_id);
    const int fd = ::open(snapshot_path_.c_str(), O_RDONLY | O_CLOEXEC);
    const off_t size = fd >= 0 ? ::lseek(fd, 0, SEEK_END) : -1;
    if (ch == nullptr || fd < 0 || size < 0 || ::lseek(fd, 0, SEEK_SET) != 0) {
      if (fd >= 0) ::close(fd);
      spdlog::warn("SYNC failed. Can't open/stat DB after BGSAVE: {}", std::strerror(errno));
      Drop(r, "snapshot unreadable");
      continue;
    }
    r.bulk_fd = fd;
    r.bulk_left = static_cast<uint64_t>(size);
    r.state = State::kSendBulk;
    ch->Send("$" + std::to_string(size) + "\r\n");
  }
  // Every replica holds its own descriptor: the name can go now.
  ::unlink(snapshot_path_.c_str());
  StartSnapshot();  // replicas that could not join this one
}

void Primary::SendBulk(Replica& r, ReplicaChannel& ch) {
  bulk_buf_.resize(kBulkChunk);
  char* buf = bulk_buf_.data();
  while (r.bulk_left > 0 && ch.pending_output() < kBulkQueued) {
    const size_t want = static_cast<size_t>(std::min<uint64_t>(r.bulk_left, kBulkChunk));
    const ssize_t n = ::read(r.bulk_fd, buf, want);
    if (n <= 0) {
      spdlog::warn("Read error sending DB to replica: {}",
                   n < 0 ? std::strerror(errno) : "unexpected end of file");
      Drop(r, "snapshot read error");
      return;
    }
    ch.Send(std::string_view(buf, static_cast<size_t>(n)));
    r.bulk_left -= static_cast<uint64_t>(n);
  }
  if (r.bulk_left > 0) return;
  if (r.bulk_fd >= 0) {
    ::close(r.bulk_fd);
    r.bulk_fd = -1;
  }
  // Online (and so under the output limits, which are about the stream) only once the
  // kernel took the whole snapshot: its bytes never count against those limits.
  ch.Flush();
  if (ch.pending_output() > 0) return;
  r.state = State::kOnline;
  r.ack_ms = clock_->NowMs();
  spdlog::info("Synchronization with replica {} succeeded", r.addr.peer);
}

void Primary::Feed(Replica& r, ReplicaChannel& ch) {
  for (std::string_view bytes = journal_->Unread(*r.reader); !bytes.empty();
       bytes = journal_->Unread(*r.reader)) {
    ch.Send(bytes);
    journal_->Advance(*r.reader, journal_->reader_offset(*r.reader) + bytes.size());
  }
}

bool Primary::StreamDue(bool flush) {
  const uint64_t held = journal_->offset() - fed_to_;
  if (held == 0) return false;
  if (flush || !waiters_.empty() || held >= kFeedBatchBytes) return true;
  const int64_t now = clock_->MonotonicUs();
  if (held_since_us_ == 0) held_since_us_ = now;
  return now - held_since_us_ >= kFeedDelayUs;
}

std::optional<uint64_t> Primary::BeforeSleep(bool flush) {
  if (replicas_.empty()) {
    fed_to_ = journal_->offset();
    held_since_us_ = 0;
    return std::nullopt;
  }
  // The loop wakes at least every cron tick (10 ms): a finished snapshot is noticed here
  // rather than at the next (hz) cron, which may be 100 ms away.
  if (child_.running()) {
    if (std::optional<Status> done = child_.Poll()) SnapshotEnded(*done);
  }
  if (want_acks_) {
    want_acks_ = false;
    std::string_view getack[] = {"REPLCONF", "GETACK", "*"};
    journal_->Append(getack);
  }
  const bool due = StreamDue(flush);
  if (due) {
    fed_to_ = journal_->offset();
    held_since_us_ = 0;
  }
  const int64_t now = clock_->NowMs();
  // Drop() may remove entries: walk by id.
  std::vector<uint64_t> ids;
  ids.reserve(replicas_.size());
  for (const Replica& r : replicas_) ids.push_back(r.client_id);
  for (uint64_t id : ids) {
    Replica* r = Find(id);
    if (r == nullptr) continue;
    ReplicaChannel* ch = hooks_->Channel(id);
    if (ch == nullptr || ch->closing()) continue;
    if (r->state == State::kSendBulk) SendBulk(*r, *ch);
    r = Find(id);
    if (r == nullptr) continue;
    if (r->state == State::kOnline) {
      // A replica behind the others (it just got its snapshot, or continues from the
      // backlog) takes what it lacks at once.
      if (!due && journal_->reader_offset(*r->reader) >= fed_to_) continue;
      Feed(*r, *ch);
    } else if (r->reader && opts_.output_hard_limit > 0 &&
               journal_->offset() - journal_->reader_offset(*r->reader) > opts_.output_hard_limit) {
      // The journal keeps what the replica will be sent after its snapshot; past the
      // limit the replica goes, so that the journal does not grow for ever. The snapshot
      // bytes in its output are not counted: SendBulk bounds them, and a snapshot larger
      // than the limit must still get through.
      spdlog::warn("Client id={} addr={} closed for overcoming of output buffer limits.", id,
                   r->addr.peer);
      Drop(*r, "output buffer limit");
      continue;
    }
    ch->Flush();
    if (r->state == State::kOnline) ch->CheckOutputLimits(now);
  }
  if (journal_->offset() == fed_to_) return std::nullopt;
  const int64_t waited_us = clock_->MonotonicUs() - held_since_us_;
  return static_cast<uint64_t>(std::max<int64_t>(1, (kFeedDelayUs - waited_us + 999) / 1000));
}

void Primary::Cron(bool is_replica) {
  const int64_t now = clock_->NowMs();
  if (child_.running()) {
    if (std::optional<Status> done = child_.Poll()) SnapshotEnded(*done);
  } else {
    StartSnapshot();
  }
  if (!replicas_.empty()) {
    no_replicas_since_ms_ = 0;
    // PINGs go through the journal (so offsets count them, as Redis's do); only a primary
    // sends them: a replica passes its primary's on.
    if (!is_replica && now - last_ping_ms_ >= static_cast<int64_t>(opts_.ping_period_s) * 1000) {
      last_ping_ms_ = now;
      std::string_view ping[] = {"PING"};
      journal_->Append(ping);
    }
    if (now - last_newline_ms_ >= kNewlineEveryMs) {
      last_newline_ms_ = now;
      for (Replica& r : replicas_) {
        if (r.state != State::kWaitSnapshot && r.state != State::kSnapshot) continue;
        if (ReplicaChannel* ch = hooks_->Channel(r.client_id)) ch->Send("\n");
      }
    }
    std::vector<uint64_t> timed_out;
    for (const Replica& r : replicas_) {
      if (r.state == State::kOnline &&
          now - r.ack_ms > static_cast<int64_t>(opts_.timeout_s) * 1000) {
        timed_out.push_back(r.client_id);
      }
    }
    for (uint64_t id : timed_out) {
      if (Replica* r = Find(id)) {
        spdlog::warn("Disconnecting timedout replica (streaming sync): {}", r->addr.peer);
        Drop(*r, "timeout");
      }
    }
  } else if (!is_replica && journal_->backlog_size() > 0 && opts_.backlog_ttl_s > 0) {
    if (no_replicas_since_ms_ == 0) no_replicas_since_ms_ = now;
    if (now - no_replicas_since_ms_ >= opts_.backlog_ttl_s * 1000) {
      journal_->set_backlog_size(0);
      ids_->Renew();
      no_replicas_since_ms_ = 0;
      spdlog::info("Replication backlog freed after {} seconds without connected replicas.",
                   opts_.backlog_ttl_s);
    }
  }
  // WAIT deadlines.
  for (size_t i = 0; i < waiters_.size();) {
    const Waiter w = waiters_[i];
    if (w.deadline_ms != 0 && now >= w.deadline_ms) {
      waiters_.erase(waiters_.begin() + static_cast<std::ptrdiff_t>(i));
      hooks_->WaitDone(w.client_id, CountAcked(w.offset));
    } else {
      ++i;
    }
  }
  if (!waiters_.empty()) want_acks_ = true;
}

void Primary::Ack(uint64_t client_id, uint64_t offset) {
  Replica* r = Find(client_id);
  if (r == nullptr) return;
  r->ack_ms = clock_->NowMs();
  // An ACK from a replica still loading its snapshot carries no position yet.
  if (r->state == State::kOnline && offset > r->ack_offset) r->ack_offset = offset;
  if (!waiters_.empty()) CheckWaiters();
}

void Primary::CheckWaiters() {
  for (size_t i = 0; i < waiters_.size();) {
    const Waiter w = waiters_[i];
    const int64_t n = CountAcked(w.offset);
    if (n >= w.numreplicas) {
      waiters_.erase(waiters_.begin() + static_cast<std::ptrdiff_t>(i));
      hooks_->WaitDone(w.client_id, n);
    } else {
      ++i;
    }
  }
}

int64_t Primary::CountAcked(uint64_t offset) const {
  int64_t n = 0;
  for (const Replica& r : replicas_) {
    if (r.state == State::kOnline && r.ack_offset >= offset) ++n;
  }
  return n;
}

std::optional<int64_t> Primary::Wait(uint64_t client_id, uint64_t offset, int64_t numreplicas,
                                     int64_t timeout_ms, bool may_block) {
  const int64_t acked = CountAcked(offset);
  if (acked >= numreplicas || !may_block) return acked;
  waiters_.push_back(
      Waiter{client_id, offset, numreplicas, timeout_ms > 0 ? clock_->NowMs() + timeout_ms : 0});
  want_acks_ = true;
  return std::nullopt;
}

bool Primary::TooFewGoodReplicas() const {
  if (opts_.min_replicas_to_write <= 0 || opts_.min_replicas_max_lag_s <= 0) return false;
  const int64_t now = clock_->NowMs();
  int good = 0;
  for (const Replica& r : replicas_) {
    if (r.state == State::kOnline &&
        (now - r.ack_ms) / 1000 <= static_cast<int64_t>(opts_.min_replicas_max_lag_s)) {
      ++good;
    }
  }
  return good < opts_.min_replicas_to_write;
}

void Primary::Drop(Replica& r, const char* why) {
  const uint64_t id = r.client_id;
  spdlog::debug("Dropping replica {}: {}", r.addr.peer, why);
  if (ReplicaChannel* ch = hooks_->Channel(id)) ch->Close();
  Remove(id);
}

void Primary::Remove(uint64_t client_id) {
  auto it = std::find_if(replicas_.begin(), replicas_.end(),
                         [client_id](const Replica& r) { return r.client_id == client_id; });
  if (it == replicas_.end()) return;
  if (it->reader) journal_->RemoveReader(*it->reader);
  if (it->bulk_fd >= 0) ::close(it->bulk_fd);
  replicas_.erase(it);
  // No replica waits for the snapshot any more: stop writing it.
  if (child_.running() && std::none_of(replicas_.begin(), replicas_.end(), [](const Replica& x) {
        return x.state == State::kSnapshot;
      })) {
    child_.Abort();
    ::unlink(snapshot_path_.c_str());
  }
}

void Primary::Forget(uint64_t client_id) {
  if (Replica* r = Find(client_id)) {
    spdlog::info("Connection with replica {} lost.", r->addr.peer);
    Remove(client_id);
    if (!waiters_.empty()) CheckWaiters();
  }
  waiters_.erase(std::remove_if(waiters_.begin(), waiters_.end(),
                                [client_id](const Waiter& w) { return w.client_id == client_id; }),
                 waiters_.end());
}

void Primary::DisconnectAll() {
  std::vector<uint64_t> ids;
  for (const Replica& r : replicas_) ids.push_back(r.client_id);
  for (uint64_t id : ids) {
    if (Replica* r = Find(id)) Drop(*r, "role change");
  }
}

void Primary::Shutdown() {
  if (child_.running()) {
    child_.Abort();
    ::unlink(snapshot_path_.c_str());
  }
  for (Replica& r : replicas_) {
    if (r.bulk_fd >= 0) ::close(r.bulk_fd);
    r.bulk_fd = -1;
  }
}

std::vector<Primary::ReplicaView> Primary::Replicas() const {
  const int64_t now = clock_->NowMs();
  std::vector<ReplicaView> out;
  for (const Replica& r : replicas_) {
    const char* state = r.state == State::kOnline     ? "online"
                        : r.state == State::kSendBulk ? "send_bulk"
                                                      : "wait_bgsave";
    out.push_back(
        ReplicaView{r.addr.ip, r.addr.port, state, r.ack_offset, (now - r.ack_ms) / 1000});
  }
  return out;
}

}  // namespace pykv::replication
