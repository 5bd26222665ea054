// AofWriter: appends the mutation stream to the current incremental AOF file. The mutation
// sink appends RESP bytes to an in-memory buffer (cheap, on the hot path); before the loop
// sleeps the server calls Flush(), which writes the whole buffer followed by a checksum
// annotation line ("#pykv-crc32 <8 hex> <len>\r\n": CRC-32 and length of the batch; RESP
// loaders, Redis's included, skip lines starting with '#'), and under `always` fdatasyncs
// before any reply of that iteration goes out (group commit). `everysec` fsyncs on a
// background thread at most once a second; `no` leaves it to the OS.
//
// Failures: a short write or an error truncates the file back to its last good size and
// keeps the batch for the next attempt; last_error() is then non-empty until a Flush fully
// succeeds (the server answers writes with -MISCONF meanwhile). Sequence numbers let the
// server hold back each client's replies until the writes they acknowledge are durable.
//
// Loop thread only, except the internal fsync thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

#include "common/clock.h"
#include "common/status.h"
#include "persistence/file_ops.h"

namespace pykv::persistence {

enum class FsyncPolicy { kAlways, kEverySec, kNo };
StatusOr<FsyncPolicy> ParseFsyncPolicy(std::string_view name);

class AofWriter {
 public:
  AofWriter(FileOps* ops, const Clock* clock, FsyncPolicy policy);
  ~AofWriter();  // stops the fsync thread; does not flush (call Close)
  AofWriter(const AofWriter&) = delete;
  AofWriter& operator=(const AofWriter&) = delete;

  // Opens (appending to) the incremental file at path. Any buffered bytes stay buffered.
  Status Open(const std::string& path);
  // Flushes and fsyncs the current file, then continues in a new one (rewrite start). On
  // failure nothing switches: buffered bytes must never spill into the new file, whose
  // base (the rewrite's snapshot) already holds them.
  Status SwitchTo(const std::string& path);
  // Flush + fsync + close (SHUTDOWN, disabling appendonly). Idempotent. On failure the
  // file stays open: retry, or destroy the writer to give up on the buffer.
  Status Close();
  bool is_open() const;

  void set_policy(FsyncPolicy p);
  FsyncPolicy policy() const { return policy_; }

  // The buffer itself, for the sink to encode commands straight into.
  std::string& buffer() { return buf_; }
  // After appending straight into buffer(): returns the sequence number of the last byte
  // appended (monotonic, counted in bytes).
  uint64_t CommitAppended();

  // Writes the buffer (+ checksum line); fsyncs under always. Ok when nothing is pending.
  Status Flush();
  // fsync now (SHUTDOWN, BGREWRITEAOF start).
  Status SyncNow();

  // Everything up to this sequence number is written (and under always, fsynced).
  uint64_t durable_seq() const { return durable_seq_; }
  uint64_t appended_seq() const { return appended_seq_; }
  bool has_pending() const { return !buf_.empty(); }
  // "" when the last Flush succeeded; else why it failed (strerror text). Under everysec
  // also non-empty while the background fsync keeps failing (seen at the next Flush).
  const std::string& last_error() const { return last_error_; }
  // Size of the current file as written so far.
  uint64_t file_size() const { return file_size_; }
  const std::string& path() const;
  // Counters for INFO and tests: successful fdatasyncs (any thread), and the wall-clock
  // time of the last one (0 if none).
  uint64_t fsync_count() const;
  int64_t last_fsync_ms() const;

 private:
  Status WriteBatch();
  // fdatasync on the calling thread; counts it and clears a background error on success.
  Status SyncFile();
  void RefreshLastError();
  Status StartFsyncThread();
  void StopFsyncThread();
  void RequestFsync();
  void FsyncLoop(WritableFile* file);

  FileOps* ops_;
  const Clock* clock_;
  FsyncPolicy policy_;
  std::unique_ptr<WritableFile> file_;
  std::string path_;
  std::string buf_;
  uint64_t appended_seq_ = 0;
  uint64_t written_seq_ = 0;  // stream bytes in the file (excludes checksum lines)
  uint64_t durable_seq_ = 0;
  uint64_t file_size_ = 0;
  // A failed write could not be cut away: truncate to file_size_ before the next write.
  bool truncate_owed_ = false;
  // always: bytes up to written_seq_ are in the file but their fdatasync has not succeeded.
  bool sync_owed_ = false;
  std::string write_error_;  // why the last write failed ("" once one succeeds)
  std::string sync_error_;   // why the last loop-thread fsync failed under always
  std::string last_error_;   // the first non-empty of the above and the thread's error
  // everysec: the background thread fsyncs when asked, at most once a second. mu_ guards
  // the fields below; the thread never holds it while fsyncing, so the loop never waits.
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::thread fsync_thread_;
  bool stop_ = false;
  bool fsync_requested_ = false;
  std::string bg_error_;  // why the thread's last fsync failed ("" once one succeeds)
  uint64_t fsyncs_ = 0;   // successful fdatasyncs, any thread
  // When the last fsync succeeded, on the steady clock: the thread may not read clock_ (a
  // FakeClock is loop-thread only), so last_fsync_ms() converts on the loop thread.
  bool has_fsynced_ = false;
  std::chrono::steady_clock::time_point last_fsync_;
};

}  // namespace pykv::persistence
