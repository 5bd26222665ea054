// Logging set-up: the one place spdlog is configured. InitLogging installs spdlog's default
// logger (stdout, or a file opened for append) with a Redis-like line format
//   "<pid>:<role> 01 Jan 2024 12:00:00.123 <level> message"
// where role is 'M' ('S' on a replica, 'C' in a forked child) and level is Redis's '.' debug, '*'
// notice and
// '#' warning or worse. Every other module then logs with spdlog::info/warn/... directly;
// only this file includes spdlog's sink and formatter headers.
//
// Threads: call InitLogging once from the main thread before any other thread logs (it
// replaces spdlog's default logger, which concurrent log calls read without locking). After
// that, logging is safe from any thread (the sink serializes lines, and every line is
// flushed as written, as Redis does, so a crash loses nothing), and SetLogLevel may be called
// from any thread. A child forked while other threads may be logging calls
// ReinitLoggingInChild() before its first log line, since the sink's lock may have been held
// at fork time.
#pragma once

#include <string>
#include <string_view>

#include "common/status.h"

namespace pykv {

// loglevel is Redis's debug|verbose|notice|warning (case-insensitive; verbose logs as
// debug); logfile "" means stdout. Invalid for an unknown level, IoError if the file cannot
// be opened (the previous logger then stays in place).
[[nodiscard]] Status InitLogging(std::string_view loglevel, const std::string& logfile);

// Changes the level of the installed logger (CONFIG SET loglevel). Invalid for unknown names.
[[nodiscard]] Status SetLogLevel(std::string_view loglevel);

// The role column of later lines: 'M' on a primary, 'S' on a replica (as Redis marks them).
void SetLogRole(bool replica);

// In a forked child: marks lines with role 'C' and swaps in a fresh sink (same destination)
// whose lock no parent thread can be holding. The child must be single-threaded.
[[nodiscard]] Status ReinitLoggingInChild();

}  // namespace pykv
