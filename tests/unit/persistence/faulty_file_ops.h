// Test helpers for persistence: FaultyFileOps wraps a real FileOps (FileOps::Posix() by
// default) and, when told, makes the next calls fail the way a sick disk does: writes with
// ENOSPC or EIO, a short write, an fdatasync with EIO, a failed rename or truncate. It also
// counts calls, so a test can assert "one fsync for 1000 writes". ScopedTempDir gives each
// test its own directory on the real file system and removes it afterwards.
//
// Thread-safe: the AOF writer's everysec thread calls Sync while the test thread arms faults.
#pragma once

#include <cerrno>
#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "persistence/file_ops.h"
#include "support/temp_files.h"

namespace pykv::persistence::testing {

class FaultyFileOps final : public FileOps {
 public:
  explicit FaultyFileOps(FileOps* base = FileOps::Posix());

  // Arming faults. Each is used up by the calls it hits, on any file opened through this
  // object (also files opened before arming).
  // The next n WritableFile::Write calls fail with err, writing nothing.
  void FailWrites(int n, int err = ENOSPC);
  // The next Write writes k bytes fewer than asked (0 if it asked for k or less) and
  // returns the short count. Used before FailWrites: ShortWrite(k) + FailWrites(1) is a
  // disk that fills up in the middle of a batch.
  void ShortWrite(size_t k);
  // The next n Sync (fdatasync) calls fail with err, syncing nothing.
  void FailSyncs(int n, int err = EIO);
  // The next n Rename calls fail with err, renaming nothing.
  void FailRenames(int n, int err = EIO);
  // The next n Truncate / TruncateFile calls fail with err.
  void FailTruncates(int n, int err = EIO);
  // Disarms everything (counters stay).
  void ClearFaults();

  // Calls seen so far, failed ones included.
  int write_calls() const;
  int sync_calls() const;
  int sync_dir_calls() const;
  int rename_calls() const;
  int truncate_calls() const;

  StatusOr<std::unique_ptr<WritableFile>> OpenAppend(const std::string& path) override;
  StatusOr<std::unique_ptr<WritableFile>> OpenTruncate(const std::string& path) override;
  StatusOr<std::unique_ptr<ReadableFile>> OpenRead(const std::string& path) override;
  Status Rename(const std::string& from, const std::string& to) override;
  Status Remove(const std::string& path) override;
  Status SyncDir(const std::string& dir) override;
  Status MakeDir(const std::string& dir) override;
  bool Exists(const std::string& path) override;
  StatusOr<uint64_t> FileSize(const std::string& path) override;
  StatusOr<std::vector<std::string>> ListDir(const std::string& dir) override;
  Status TruncateFile(const std::string& path, uint64_t size) override;

  // Shared with the files this object opens, so a file may outlive it.
  struct State {
    mutable std::mutex mu;
    int fail_writes = 0;
    int write_errno = 0;
    size_t short_by = 0;
    bool short_armed = false;
    int fail_syncs = 0;
    int sync_errno = 0;
    int fail_renames = 0;
    int rename_errno = 0;
    int fail_truncates = 0;
    int truncate_errno = 0;
    int write_calls = 0;
    int sync_calls = 0;
    int sync_dir_calls = 0;
    int rename_calls = 0;
    int truncate_calls = 0;
  };

 private:
  StatusOr<std::unique_ptr<WritableFile>> Wrap(StatusOr<std::unique_ptr<WritableFile>> f);

  FileOps* base_;
  std::shared_ptr<State> state_;
};

// "<op> <path>: <strerror>", the way PosixFileOps words its errors.
Status ErrnoStatus(const std::string& op, const std::string& path, int err);

// A fresh directory under the temp dir, removed with everything in it on destruction.
using ScopedTempDir = pykv::testing::TempDir;

}  // namespace pykv::persistence::testing
