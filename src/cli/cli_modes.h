// The modes of pykv-cli and how the parsed command line picks one: a single command (with
// -x, -r and -i), commands read from piped stdin one per line, the interactive prompt,
// the same over the /kv HTTP API with --http, and the benchmark (`bench`). Called once from main,
// on the main thread.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "cli/bench.h"
#include "cli/command_runner.h"
#include "cli/connect_options.h"
#include "cli/reply_format.h"
#include "resp/reply_parser.h"

namespace pykv::cli {

struct CliOptions {
  ConnectOptions connect;
  std::string uri;  // -u
  bool force_raw = false;
  bool force_human = false;
  bool last_arg_from_stdin = false;  // -x
  int64_t repeat = 1;                // -r (-1: forever)
  double interval_s = 0;             // -i
  bool no_auth_warning = false;
  std::vector<std::string> http_urls;
  std::string sentinel_list;
  SentinelOptions sentinel;
  double failover_timeout_s = 30;
  std::vector<std::string> command;     // empty: stdin or interactive
  const BenchOptions* bench = nullptr;  // set when the `bench` subcommand was given
};

// Runs what the options ask; returns the process exit status (0, or 1 after a connection
// error, an error reply or bad options, each explained on stderr or stdout as redis-cli
// would).
int RunCli(CliOptions options);

// Writes to stdout at once; exits when stdout is gone (the reader of a pipe quit).
void Print(std::string_view text);

// Prints one reply of a RESP command to stdout and, for the commands that turn the
// connection into a stream (SUBSCRIBE, PSUBSCRIBE, SSUBSCRIBE, MONITOR), keeps printing
// what arrives until the connection ends. Returns 1 for an error reply or a lost
// connection, else 0. Shared by every RESP mode.
int PrintResult(CommandRunner& runner, std::span<const std::string> argv,
                const StatusOr<resp::ReplyValue>& reply, OutputMode mode);

}  // namespace pykv::cli
