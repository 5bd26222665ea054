// AofWriter: see the header for the contract. The invariants this file keeps:
//  - appended_seq_ == written_seq_ + buf_.size() between calls (seqs count stream bytes,
//    never checksum lines);
//  - the file holds exactly file_size_ bytes of whole batches, each followed by its checksum
//    line: a failed write is cut away (or the cut is owed before the next write), so a batch
//    is either in the file once, whole, or still in buf_;
//  - durable_seq_ <= written_seq_; under always it moves only after a successful fdatasync;
//  - the everysec thread exists only while a file is open under everysec, and is joined
//    before that file is closed or replaced, so Sync never meets a closed file.
#include "persistence/aof_writer.h"

#include <zlib.h>

#include <cinttypes>
#include <cstdio>
#include <system_error>
#include <utility>

#include "common/numbers.h"

namespace pykv::persistence {
namespace {

// The OS's reason from a FileOps error ("write /x/f: No space left on device" gives "No
// space left on device"): what MISCONF shows, as Redis does.
std::string Reason(const Status& s) {
  const std::string& msg = s.message();
  const size_t colon = msg.rfind(": ");
  return colon == std::string::npos ? msg : msg.substr(colon + 2);
}

// A big one-off batch (a MULTI with huge values) should not pin its memory forever.
constexpr size_t kMaxIdleBufferCapacity = 4 * 1024 * 1024;

}  // namespace

StatusOr<FsyncPolicy> ParseFsyncPolicy(std::string_view name) {
  if (EqualsIgnoreCase(name, "always")) return FsyncPolicy::kAlways;
  if (EqualsIgnoreCase(name, "everysec")) return FsyncPolicy::kEverySec;
  if (EqualsIgnoreCase(name, "no")) return FsyncPolicy::kNo;
  return Status::Invalid("argument(s) must be one of the following: always, everysec, no");
}

AofWriter::AofWriter(FileOps* ops, const Clock* clock, FsyncPolicy policy)
    : ops_(ops), clock_(clock), policy_(policy) {}

AofWriter::~AofWriter() {
  StopFsyncThread();
}

Status AofWriter::Open(const std::string& path) {
  if (file_) return Status::Invalid("AOF file already open: " + path_);
  StatusOr<std::unique_ptr<WritableFile>> f = ops_->OpenAppend(path);
  if (!f.ok()) return f.status();
  StatusOr<uint64_t> size = ops_->FileSize(path);
  if (!size.ok()) return size.status();
  file_ = std::move(*f);
  path_ = path;
  file_size_ = *size;
  truncate_owed_ = false;
  if (policy_ == FsyncPolicy::kEverySec) {
    Status s = StartFsyncThread();
    if (!s.ok()) {
      file_.reset();
      path_.clear();
      return s;
    }
  }
  return Status::Ok();
}

Status AofWriter::SwitchTo(const std::string& path) {
  if (!file_) return Open(path);
  // Everything appended so far belongs to the old file: a rewrite's snapshot already holds
  // it, so it must not spill into the new incremental file (it would be applied twice).
  Status s = Flush();
  if (!s.ok()) return s;
  s = SyncNow();
  if (!s.ok()) return s;
  StatusOr<std::unique_ptr<WritableFile>> f = ops_->OpenAppend(path);
  if (!f.ok()) return f.status();
  StatusOr<uint64_t> size = ops_->FileSize(path);
  if (!size.ok()) return size.status();
  StopFsyncThread();
  // The old file is fsynced; a close error cannot lose anything now.
  (void)file_->Close();
  file_ = std::move(*f);
  path_ = path;
  file_size_ = *size;
  truncate_owed_ = false;
  if (policy_ == FsyncPolicy::kEverySec) {
    s = StartFsyncThread();
    if (!s.ok()) {
      sync_error_ = s.message();
      RefreshLastError();
      return s;
    }
  }
  return Status::Ok();
}

Status AofWriter::Close() {
  if (!file_) return Status::Ok();
  // On failure the file stays open: the caller may retry, or destroy the writer to give up.
  Status s = Flush();
  if (!s.ok()) return s;
  s = SyncNow();
  if (!s.ok()) return s;
  StopFsyncThread();
  s = file_->Close();
  file_.reset();
  path_.clear();
  return s;
}

bool AofWriter::is_open() const {
  return file_ != nullptr;
}

const std::string& AofWriter::path() const {
  return path_;
}

void AofWriter::set_policy(FsyncPolicy p) {
  if (p == policy_) return;
  const FsyncPolicy old = policy_;
  policy_ = p;
  std::string bg_error;
  if (old == FsyncPolicy::kEverySec) {
    StopFsyncThread();
    std::lock_guard<std::mutex> lock(mu_);
    bg_error = std::exchange(bg_error_, std::string());
  }
  if (p == FsyncPolicy::kAlways) {
    // Bytes the thread failed to sync are owed under the stricter policy.
    if (!bg_error.empty()) {
      sync_owed_ = true;
      sync_error_ = bg_error;
    }
  } else {
    // Leaving always: what is written counts as done under the laxer policies.
    durable_seq_ = written_seq_;
    const bool owed = std::exchange(sync_owed_, false);
    sync_error_.clear();
    if (p == FsyncPolicy::kEverySec && file_) {
      Status s = StartFsyncThread();
      if (!s.ok()) {
        sync_error_ = s.message();
      } else if (owed) {
        RequestFsync();
      }
    }
  }
  RefreshLastError();
}

uint64_t AofWriter::CommitAppended() {
  appended_seq_ = written_seq_ + buf_.size();
  return appended_seq_;
}

Status AofWriter::Flush() {
  if (policy_ == FsyncPolicy::kEverySec) RefreshLastError();  // pick up the thread's news
  if (buf_.empty() && !sync_owed_) return Status::Ok();
  if (!file_) return Status::Invalid("the AOF file is not open");

  if (!buf_.empty()) {
    Status s = WriteBatch();
    if (!s.ok()) return s;
  }
  switch (policy_) {
    case FsyncPolicy::kAlways: {
      // Group commit: one fdatasync covers every write of this loop iteration, and any
      // earlier batch whose fsync failed (its bytes are in the file; never write them twice).
      Status s = SyncFile();
      if (!s.ok()) {
        sync_error_ = Reason(s);
        RefreshLastError();
        return s;
      }
      sync_owed_ = false;
      sync_error_.clear();
      durable_seq_ = written_seq_;
      break;
    }
    case FsyncPolicy::kEverySec:
      durable_seq_ = written_seq_;
      RequestFsync();
      break;
    case FsyncPolicy::kNo:
      durable_seq_ = written_seq_;
      break;
  }
  RefreshLastError();
  return Status::Ok();
}

Status AofWriter::WriteBatch() {
  if (truncate_owed_) {
    Status s = file_->Truncate(file_size_);
    if (!s.ok()) {
      write_error_ = Reason(s);
      RefreshLastError();
      return s;
    }
    truncate_owed_ = false;
  }

  // The checksum line goes into buf_ itself so batch and line leave in one write(2) without
  // copying the batch; it is taken off again if the write fails.
  const size_t batch_len = buf_.size();
  const auto crc =
      static_cast<uint32_t>(crc32_z(0L, reinterpret_cast<const Bytef*>(buf_.data()), batch_len));
  char line[64];
  const int line_len =
      std::snprintf(line, sizeof(line), "#pykv-crc32 %08" PRIx32 " %zu\r\n", crc, batch_len);
  buf_.append(line, static_cast<size_t>(line_len));

  size_t done = 0;
  Status err;
  while (done < buf_.size()) {
    StatusOr<size_t> n = file_->Write(buf_.data() + done, buf_.size() - done);
    if (!n.ok()) {
      err = n.status();
      break;
    }
    if (*n == 0) {
      // No progress on a regular file: the disk is full (Redis reports short writes so).
      err = Status::IoError("write " + path_ + ": " +
                            std::error_code(ENOSPC, std::generic_category()).message());
      break;
    }
    done += *n;
  }

  if (!err.ok()) {
    buf_.resize(batch_len);
    // Cut the partial batch away so the retry writes it whole after the last good batch.
    if (!file_->Truncate(file_size_).ok()) truncate_owed_ = true;
    write_error_ = Reason(err);
    RefreshLastError();
    return err;
  }

  file_size_ += buf_.size();
  written_seq_ += batch_len;
  if (buf_.capacity() > kMaxIdleBufferCapacity) {
    std::string().swap(buf_);
  } else {
    buf_.clear();
  }
  write_error_.clear();
  if (policy_ == FsyncPolicy::kAlways) sync_owed_ = true;
  return Status::Ok();
}

Status AofWriter::SyncNow() {
  if (!file_) return Status::Ok();
  Status s = SyncFile();
  if (!s.ok()) {
    if (policy_ == FsyncPolicy::kAlways) {
      sync_error_ = Reason(s);
      RefreshLastError();
    }
    return s;
  }
  if (sync_owed_) {
    sync_owed_ = false;
    durable_seq_ = written_seq_;
  }
  sync_error_.clear();
  RefreshLastError();
  return Status::Ok();
}

Status AofWriter::SyncFile() {
  Status s = file_->Sync();
  if (s.ok()) {
    std::lock_guard<std::mutex> lock(mu_);
    ++fsyncs_;
    has_fsynced_ = true;
    last_fsync_ = std::chrono::steady_clock::now();
    bg_error_.clear();  // this fsync covered everything the thread failed to sync
  }
  return s;
}

void AofWriter::RefreshLastError() {
  if (!write_error_.empty()) {
    last_error_ = write_error_;
  } else if (!sync_error_.empty()) {
    last_error_ = sync_error_;
  } else {
    std::lock_guard<std::mutex> lock(mu_);
    last_error_ = bg_error_;
  }
}

uint64_t AofWriter::fsync_count() const {
  std::lock_guard<std::mutex> lock(mu_);
  return fsyncs_;
}

int64_t AofWriter::last_fsync_ms() const {
  std::chrono::steady_clock::time_point last;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!has_fsynced_) return 0;
    last = last_fsync_;
  }
  const auto ago = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - last);
  return clock_->NowMs() - ago.count();
}

Status AofWriter::StartFsyncThread() {
  if (fsync_thread_.joinable()) return Status::Ok();
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = false;
    fsync_requested_ = false;
  }
  try {
    fsync_thread_ = std::thread(&AofWriter::FsyncLoop, this, file_.get());
  } catch (const std::system_error& e) {
    return Status::IoError(std::string("cannot start the AOF fsync thread: ") + e.what());
  }
  return Status::Ok();
}

void AofWriter::StopFsyncThread() {
  if (!fsync_thread_.joinable()) return;
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  fsync_thread_.join();
}

void AofWriter::RequestFsync() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (fsync_requested_) return;
    fsync_requested_ = true;
  }
  cv_.notify_all();
}

void AofWriter::FsyncLoop(WritableFile* file) {
  using std::chrono::steady_clock;
  constexpr auto kInterval = std::chrono::seconds(1);
  bool attempted = false;
  steady_clock::time_point last_attempt;
  std::unique_lock<std::mutex> lock(mu_);
  while (true) {
    cv_.wait(lock, [this] { return stop_ || fsync_requested_; });
    if (stop_) return;
    // At most one fsync a second: wait out the rest of the second (or a stop).
    if (attempted && cv_.wait_until(lock, last_attempt + kInterval, [this] { return stop_; })) {
      return;
    }
    fsync_requested_ = false;
    lock.unlock();
    // The loop thread may write to the file meanwhile: that is fine, it holds no lock here.
    Status s = file->Sync();
    const steady_clock::time_point now = steady_clock::now();
    lock.lock();
    attempted = true;
    last_attempt = now;
    if (s.ok()) {
      ++fsyncs_;
      has_fsynced_ = true;
      last_fsync_ = now;
      bg_error_.clear();
    } else {
      bg_error_ = Reason(s);
      fsync_requested_ = true;  // try again in a second
    }
  }
}

}  // namespace pykv::persistence
