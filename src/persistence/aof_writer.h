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
  // Flushes and fsyncs the current file, then continues in a new one (rewrite start).
  Status SwitchTo(const std::string& path);
  // Flush + fsync + close (SHUTDOWN, disabling appendonly).
  Status Close();
  bool is_open() const;

  void set_policy(FsyncPolicy p);
  FsyncPolicy policy() const { return policy_; }

  // Adds one encoded command (or several) to the buffer. Returns the sequence number of
  // the last byte appended (monotonic, counted in bytes).
  uint64_t Append(std::string_view resp);
  // The buffer itself, for the sink to encode straight into.
  std::string& buffer() { return buf_; }
  // After appending straight into buffer(): returns the new sequence number.
  uint64_t CommitAppended();

  // Writes the buffer (+ checksum line); fsyncs under always. Ok when nothing is pending.
  Status Flush();
  // fsync now (SHUTDOWN, BGREWRITEAOF start).
  Status SyncNow();

  // Everything up to this sequence number is written (and under always, fsynced).
  uint64_t durable_seq() const { return durable_seq_; }
  uint64_t appended_seq() const { return appended_seq_; }
  bool has_pending() const { return !buf_.empty(); }
  // "" when the last Flush succeeded; else why it failed (strerror text).
  const std::string& last_error() const { return last_error_; }
  // Size of the current file as written so far.
  uint64_t file_size() const { return file_size_; }
  const std::string& path() const;
  // Counters for INFO and tests.
  uint64_t fsync_count() const;
  int64_t last_fsync_ms() const;

 private:
  void FsyncLoop();

  FileOps* ops_;
  const Clock* clock_;
  FsyncPolicy policy_;
  std::unique_ptr<WritableFile> file_;
  std::string buf_;
  uint64_t appended_seq_ = 0;
  uint64_t durable_seq_ = 0;
  uint64_t file_size_ = 0;
  std::string last_error_;
  // everysec: the background thread fsyncs when asked, at most once a second.
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::thread fsync_thread_;
  bool stop_ = false;
  bool fsync_requested_ = false;
  uint64_t fsyncs_ = 0;
  int64_t last_fsync_ms_ = 0;
};

}  // namespace pykv::persistence
