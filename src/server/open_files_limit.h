// Open files limit: at start, makes RLIMIT_NOFILE room for maxclients connections plus a
// reserve for listeners, log and AOF files, as Redis does: the soft limit is raised toward
// maxclients + kReservedFds (the hard limit too where the process may, e.g. as root), and
// when that cannot be had, maxclients is lowered to fit what there is, with Redis's
// warnings. The rlimit calls are injected so tests can play any limit. Main thread, before
// the server starts.
#pragma once

#include <sys/resource.h>

#include <functional>
#include <string>
#include <vector>

#include "common/status.h"
#include "server/config.h"

namespace pykv::server {

// Descriptors kept out of maxclients' share (Redis's CONFIG_MIN_RESERVED_FDS).
inline constexpr int kReservedFds = 32;

// getrlimit / setrlimit for RLIMIT_NOFILE; each returns 0 or an errno value.
struct RlimitOps {
  std::function<int(struct rlimit*)> get;
  std::function<int(const struct rlimit&)> set;
};
// The real calls.
RlimitOps SystemRlimitOps();

struct OpenFilesPlan {
  int maxclients = 0;  // what the server can serve
  // Too few descriptors to start at all: the caller logs the warning and exits.
  bool fatal = false;
  struct Line {
    bool warning;  // else notice
    std::string text;
  };
  std::vector<Line> log;  // Redis's lines, in its order
};

// Raises the limit as needed for `maxclients` and says what maxclients the server can
// really have.
OpenFilesPlan AdjustOpenFilesLimit(int maxclients, const RlimitOps& ops);

// The start-up step: adjusts the process's limit for config's maxclients, logs Redis's
// lines, and lowers maxclients in config when it must. Invalid when the server cannot
// start (the reason is already logged). Call after logging is set up, before the server.
Status FitOpenFilesLimit(Config* config, const RlimitOps& ops = SystemRlimitOps());

}  // namespace pykv::server
