// The interactive prompt of pykv-cli ("127.0.0.1:6379> "): line editing and history
// (libedit), quoted arguments, help from COMMAND DOCS, argument hints, and reconnection
// after the server restarts. Runs on the main thread until the user quits or stdin ends.
#pragma once

#include "cli/command_runner.h"
#include "cli/reply_format.h"

namespace pykv::cli {

// Returns the process exit status.
int RunInteractive(CommandRunner& runner, OutputMode mode);

}  // namespace pykv::cli
