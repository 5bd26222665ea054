#include "persistence/snapshot_child.h"

#include <spdlog/spdlog.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>

#include "common/logging.h"
#include "persistence/aof.h"
#include "persistence/file_ops.h"

namespace pykv::persistence {

SnapshotChild::~SnapshotChild() {
  Abort();
}

Status SnapshotChild::Start(const store::Keyspace& keyspace, const std::string& path,
                            const std::optional<ReplicationPosition>& position) {
  if (running()) return Status::Invalid("a snapshot child is already running");
  const int64_t start = clock_->MonotonicUs();
  const pid_t pid = fork();
  if (pid == 0) {
    // A child left behind by a parent killed with -9 must not go on writing.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    // The child: write the snapshot as of the fork and leave without running any
    // destructor (the parent owns every handle and thread that was copied).
    Status l = ReinitLoggingInChild();
    (void)l;
    Status w = WriteSnapshotFile(FileOps::Posix(), keyspace, SystemClock::Instance()->NowMs(), path,
                                 position);
    if (!w.ok()) spdlog::warn("Snapshot child: {}", w.message());
    _exit(w.ok() ? 0 : 1);
  }
  last_fork_usec_ = clock_->MonotonicUs() - start;
  if (pid < 0) return Status::IoError(std::string("fork: ") + std::strerror(errno));
  pid_ = pid;
  return Status::Ok();
}

std::optional<Status> SnapshotChild::Poll() {
  if (pid_ <= 0) return std::nullopt;
  int status = 0;
  const pid_t r = waitpid(pid_, &status, WNOHANG);
  if (r == 0) return std::nullopt;
  pid_ = -1;
  if (r < 0) return Status::IoError(std::string("waitpid: ") + std::strerror(errno));
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return Status::Ok();
  return Status::IoError(WIFSIGNALED(status)
                             ? "child killed by signal " + std::to_string(WTERMSIG(status))
                             : "child exited with status " + std::to_string(WEXITSTATUS(status)));
}

void SnapshotChild::Abort() {
  if (pid_ <= 0) return;
  kill(pid_, SIGKILL);
  int status;
  while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  pid_ = -1;
}

}  // namespace pykv::persistence
