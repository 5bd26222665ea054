// Aof: the append-only directory as a whole (dir/appenddirname/): its manifest, the writer
// of the current incremental file, and compaction. A rewrite first continues the log in a
// new incremental file (recorded in the manifest at once, so a crash at any moment leaves
// base + increments that hold everything), then a forked child writes a snapshot of the
// keyspace as of the fork to a temp file; when the child succeeds, the parent renames it
// into place as the new base, writes the new manifest atomically (temp, fsync, rename,
// fsync the directory) and deletes the files the manifest no longer names. No rewrite
// buffer is needed: everything after the fork is in the new incremental file.
//
// The rewrite paths take the replication position of the moment they start (the caller's
// journal offset, with everything before it already handed to the writer): the base
// records it, and since the new incremental file begins at exactly that offset, base +
// incremental files tell the loader the offset the whole data set stands at.
//
// Loop thread only (the child runs alone in its own process).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "common/clock.h"
#include "common/replication_position.h"
#include "common/status.h"
#include "persistence/aof_writer.h"
#include "persistence/file_ops.h"
#include "persistence/manifest.h"
#include "persistence/snapshot_child.h"

namespace pykv::store {
class Keyspace;
}

namespace pykv::persistence {

struct AofOptions {
  std::string dir;     // the AOF directory (dir/appenddirname)
  std::string prefix;  // appendfilename, e.g. "appendonly.aof"
  FsyncPolicy fsync = FsyncPolicy::kEverySec;
};

struct RewriteStats {
  uint64_t rewrites = 0;
  bool last_ok = true;
  int64_t last_duration_sec = -1;
  int64_t started_ms = 0;  // 0 when none is running
  uint64_t consecutive_failures = 0;
  int64_t last_success_unix = 0;
  int64_t last_fork_usec = 0;
};

class Aof {
 public:
  Aof(FileOps* ops, const Clock* clock, AofOptions options);
  ~Aof();
  Aof(const Aof&) = delete;
  Aof& operator=(const Aof&) = delete;

  // Creates the directory if needed and reads the manifest (none = empty data set).
  // Also removes leftovers of an interrupted rewrite (temp files, files no manifest names).
  Status Init();
  // CONFIG SET appendonly yes: like Init, but starts a new generation that ignores the
  // files of an earlier run (the rewrite that follows replaces them).
  Status InitFresh();
  const Manifest& manifest() const { return manifest_; }
  const AofOptions& options() const { return options_; }
  std::string PathOf(const std::string& name) const { return options_.dir + "/" + name; }
  std::string ManifestPath() const;

  // After loading: appends to the last incremental file, or starts the first one (and
  // writes the manifest) on a fresh directory.
  Status OpenForAppend();
  // CONFIG SET appendonly yes, after InitFresh: starts the first rewrite in a child and
  // appends to a new incremental file meanwhile, but writes no manifest until the base is
  // complete (Redis 7 holds its manifest back the same way): a crash before that leaves no
  // AOF at all, never a partial data set. A manifest of an earlier run is removed first,
  // so it cannot bring back a data set this server no longer has.
  Status StartInitialRewrite(const store::Keyspace& keyspace,
                             const std::optional<ReplicationPosition>& position = std::nullopt);
  // The first rewrite after StartInitialRewrite has not completed yet (it may have failed:
  // the cron retries), so the files on disk do not hold the data set.
  bool initial_rewrite_pending() const { return initial_pending_; }
  // SHUTDOWN (or a retry) while the initial rewrite is pending: stops any child and writes
  // the base in this process, so nothing is lost.
  Status CompleteInitialRewriteNow(
      const store::Keyspace& keyspace,
      const std::optional<ReplicationPosition>& position = std::nullopt);
  bool writer_ready() const { return writer_ != nullptr && writer_->is_open(); }
  AofWriter& writer() { return *writer_; }
  const AofWriter& writer() const { return *writer_; }

  // BGREWRITEAOF: starts a child. Invalid if one is running; IoError if fork fails (the
  // server goes on; the extra incremental file is harmless).
  Status StartBackgroundRewrite(const store::Keyspace& keyspace,
                                const std::optional<ReplicationPosition>& position = std::nullopt);
  // From the cron: reaps a finished child and installs its snapshot. Returns true when a
  // rewrite finished (either way) during this call.
  bool PollRewrite();
  // SAVE, DEBUG RELOAD: the same steps, the snapshot written by this process.
  Status RewriteNow(const store::Keyspace& keyspace,
                    const std::optional<ReplicationPosition>& position = std::nullopt);
  bool rewrite_in_progress() const { return child_.running(); }
  // SHUTDOWN: stops a running child and removes its temp file.
  void AbortRewrite();
  // SHUTDOWN: stops a rewrite, writes and fsyncs what is buffered, closes the file.
  Status Shutdown();
  const RewriteStats& rewrite_stats() const { return stats_; }

  // Sizes for INFO and the automatic rewrite thresholds.
  uint64_t base_size() const { return base_size_; }
  uint64_t current_size() const;
  // auto-aof-rewrite-percentage / -min-size: grown by percentage over the size after the
  // last rewrite (or start-up) and at least min_size.
  bool ShouldAutoRewrite(int percentage, uint64_t min_size) const;

 private:
  Status BeginRewrite(std::string* temp_path);
  Status FinishRewrite(const std::string& temp_path);
  void FailRewrite(const std::string& temp_path, const std::string& why);
  Status WriteManifest(const Manifest& m);
  uint64_t NextSeq() const;
  uint64_t FileSizeOr0(const std::string& name) const;

  FileOps* ops_;
  const Clock* clock_;
  AofOptions options_;
  Manifest manifest_;
  std::unique_ptr<AofWriter> writer_;
  uint64_t base_size_ = 0;          // AOF size right after the last rewrite / start-up
  uint64_t closed_incr_bytes_ = 0;  // sizes of the incremental files before the current one
  SnapshotChild child_;             // the rewrite's forked snapshot writer
  std::string child_temp_;          // the file it writes
  uint64_t pending_seq_ = 0;        // seq of the incremental file the rewrite started
  uint64_t seq_floor_ = 0;          // new files get a seq above this (InitFresh)
  bool initial_pending_ = false;    // StartInitialRewrite: no manifest until the base is in
  RewriteStats stats_;
};

// Writes a snapshot of keyspace to path (create/truncate, fsync, close) through ops, with
// `position` in its header if given. Used by the rewrite child and by RewriteNow.
Status WriteSnapshotFile(FileOps* ops, const store::Keyspace& keyspace, int64_t now_ms,
                         const std::string& path,
                         const std::optional<ReplicationPosition>& position = std::nullopt);

}  // namespace pykv::persistence
