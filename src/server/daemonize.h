// Daemonize: `daemonize yes` as redis-server does it. The process forks, the parent exits 0
// at once, and the child leaves the caller's session (setsid) and points stdin, stdout and
// stderr at /dev/null, so with no logfile the log goes nowhere, as Redis's does. The
// pidfile is written later by the server once it listens. Main thread, before any other
// thread, the log or the event loop exist (fork keeps only the calling thread).
#pragma once

#include "common/status.h"

namespace pykv::server {

// Returns in the daemon only; the parent exits here. An error (fork or setsid failing)
// returns in the original process, which has not forked or has no child left.
Status Daemonize();

}  // namespace pykv::server
