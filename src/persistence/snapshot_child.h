// SnapshotChild: the snapshot service. It forks a child that writes the keyspace as of the
// fork to a file (the snapshot format of store/snapshot.h) while the parent goes on
// serving; the parent polls for the result from its cron. The AOF rewrite uses it for a
// new base file; it knows nothing of the AOF, so a replica's full synchronisation can use
// it for the data set it sends. One object runs at most one child at a time.
//
// Loop thread only (the child runs alone in its own process and never returns).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>

#include "common/clock.h"
#include "common/replication_position.h"
#include "common/status.h"

namespace pykv::store {
class Keyspace;
}

namespace pykv::persistence {

class SnapshotChild {
 public:
  explicit SnapshotChild(const Clock* clock) : clock_(clock) {}
  ~SnapshotChild();  // kills and reaps a child still running
  SnapshotChild(const SnapshotChild&) = delete;
  SnapshotChild& operator=(const SnapshotChild&) = delete;

  // Forks a child that writes keyspace to path (created or truncated, fsynced, closed),
  // with `position` (the replication history and offset the data set stands at, as of the
  // fork) in the snapshot's header if given. IoError when fork fails; Invalid when a child
  // is already running.
  Status Start(const store::Keyspace& keyspace, const std::string& path,
               const std::optional<ReplicationPosition>& position = std::nullopt);
  bool running() const { return pid_ > 0; }
  pid_t pid() const { return pid_; }
  // How long the last fork() took (INFO latest_fork_usec).
  int64_t last_fork_usec() const { return last_fork_usec_; }
  // Empty while the child runs (or none was started); the child's outcome once it ended
  // (reaped: the next call returns empty again).
  std::optional<Status> Poll();
  // Kills the child and waits for it.
  void Abort();

 private:
  const Clock* clock_;
  pid_t pid_ = -1;
  int64_t last_fork_usec_ = 0;
};

}  // namespace pykv::persistence
