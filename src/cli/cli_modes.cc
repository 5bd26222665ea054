#include "cli/cli_modes.h"

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <iostream>
#include <iterator>
#include <thread>

#include "cli/http_mode.h"
#include "cli/interactive.h"
#include "common/numbers.h"
#include "resp/split_args.h"

namespace pykv::cli {
namespace {

// SHUTDOWN that worked ends the connection without a reply: redis-cli prints nothing.
bool IsShutdown(std::span<const std::string> argv) {
  return !argv.empty() && EqualsIgnoreCase(argv[0], "shutdown");
}

bool StartsStream(std::string_view name) {
  return EqualsIgnoreCase(name, "subscribe") || EqualsIgnoreCase(name, "psubscribe") ||
         EqualsIgnoreCase(name, "ssubscribe") || EqualsIgnoreCase(name, "monitor");
}

OutputMode ChooseMode(const CliOptions& o) {
  if (o.force_raw) return OutputMode::kRaw;
  if (o.force_human) return OutputMode::kHuman;
  return isatty(STDOUT_FILENO) ? OutputMode::kHuman : OutputMode::kRaw;
}

// Runs one command and prints its outcome: kOk, kErrorReply, or kLost when no reply could
// be had (the message is printed; there is no point going on).
enum class Outcome { kOk, kErrorReply, kLost };
using Execute = std::function<Outcome(std::span<const std::string>)>;

// One command, -r times, -i seconds apart.
int RunRepeated(const Execute& execute, const CliOptions& o) {
  int status = 0;
  for (int64_t i = 0; o.repeat < 0 || i < o.repeat; ++i) {
    if (i > 0 && o.interval_s > 0) {
      std::this_thread::sleep_for(std::chrono::duration<double>(o.interval_s));
    }
    Outcome outcome = execute(o.command);
    if (outcome == Outcome::kLost) return 1;
    status = outcome == Outcome::kOk ? 0 : 1;
  }
  return status;
}

// Piped stdin: one command per line, split with redis-cli's quoting rules. The exit status
// is 1 when any command got an error reply.
int RunStdin(const Execute& execute) {
  int status = 0;
  std::string line;
  while (std::getline(std::cin, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    std::vector<std::string> argv;
    if (!resp::SplitArgs(line, &argv)) {
      std::fputs("Invalid argument(s)\n", stderr);
      status = 1;
      continue;
    }
    if (argv.empty()) continue;
    if (EqualsIgnoreCase(argv[0], "quit") || EqualsIgnoreCase(argv[0], "exit")) break;
    Outcome outcome = execute(argv);
    if (outcome == Outcome::kLost) return 1;
    if (outcome == Outcome::kErrorReply) status = 1;
  }
  return status;
}

}  // namespace

void Print(std::string_view text) {
  std::fwrite(text.data(), 1, text.size(), stdout);
  // SIGPIPE is ignored (a server closing mid-write must not kill the client), so a reader
  // that went away (`pykv-cli monitor | head`) shows up here: stop, as SIGPIPE would have.
  if (std::fflush(stdout) != 0) std::exit(1);
}

int PrintResult(CommandRunner& runner, std::span<const std::string> argv,
                const StatusOr<resp::ReplyValue>& reply, OutputMode mode) {
  if (RepliesWithText(argv)) mode = OutputMode::kText;
  if (!reply.ok() && IsShutdown(argv) && runner.server_shut_down()) return 0;
  if (!reply.ok()) {
    std::fprintf(stderr, "%s\n", reply.status().message().c_str());
    return 1;
  }
  int status = reply->is_error() ? 1 : 0;
  if (argv.empty() || reply->is_error() || !StartsStream(argv[0])) {
    Print(FormatReply(reply.value(), mode));
    return status;
  }
  if (mode == OutputMode::kHuman && !EqualsIgnoreCase(argv[0], "monitor")) {
    Print("Reading messages... (press Ctrl-C to quit)\n");
  }
  Print(FormatReply(reply.value(), mode));
  for (;;) {
    StatusOr<resp::ReplyValue> next = runner.ReadMore();
    if (!next.ok()) {
      std::fprintf(stderr, "%s\n", next.status().message().c_str());
      return 1;
    }
    Print(FormatReply(*next, mode));
  }
}

int RunCli(CliOptions o) {
  std::signal(SIGPIPE, SIG_IGN);
  if (!o.uri.empty()) {
    Status st = ApplyUri(o.uri, &o.connect);
    if (!st.ok()) {
      std::fprintf(stderr, "%s\n", st.message().c_str());
      return 1;
    }
  }
  // Like redis-benchmark, the benchmark does not warn about a password on the command line.
  if (o.bench != nullptr) return RunBench(*o.bench, o.connect);
  if (!o.connect.password.empty() && !o.no_auth_warning) {
    std::fputs(
        "Warning: Using a password with '-a' or '-u' option on the command line interface may "
        "not be safe.\n",
        stderr);
  }
  if (o.last_arg_from_stdin) {
    if (o.command.empty()) {
      std::fputs("-x needs a command to append stdin to\n", stderr);
      return 1;
    }
    o.command.emplace_back(std::istreambuf_iterator<char>(std::cin),
                           std::istreambuf_iterator<char>());
  }
  const OutputMode mode = ChooseMode(o);
  o.sentinel.failover_wait_ms = static_cast<uint64_t>(std::max(0.0, o.failover_timeout_s) * 1000);

  if (!o.http_urls.empty()) {
    HttpModeOptions http;
    http.urls = o.http_urls;
    http.token = o.connect.password;
    http.failover_wait_ms = o.sentinel.failover_wait_ms;
    HttpCommandRunner runner(http);
    Execute execute = [&](std::span<const std::string> argv) {
      StatusOr<resp::ReplyValue> reply = runner.Execute(argv);
      if (!reply.ok()) {
        std::fprintf(stderr, "%s\n", reply.status().message().c_str());
        return Outcome::kLost;
      }
      Print(FormatReply(reply.value(), mode));
      return reply->is_error() ? Outcome::kErrorReply : Outcome::kOk;
    };
    if (!o.command.empty()) return RunRepeated(execute, o);
    return RunStdin(execute);
  }

  if (!o.sentinel_list.empty() || !o.sentinel.master.empty()) {
    if (o.sentinel.master.empty()) {
      std::fputs("--sentinel needs --master NAME\n", stderr);
      return 1;
    }
    if (o.sentinel_list.empty()) o.sentinel_list = "127.0.0.1:26379";
    Status st = ParseSentinelList(o.sentinel_list, &o.sentinel.sentinels);
    if (!st.ok()) {
      std::fprintf(stderr, "%s\n", st.message().c_str());
      return 1;
    }
  }
  CommandRunner runner(o.connect, o.sentinel);
  Execute execute = [&](std::span<const std::string> argv) {
    StatusOr<resp::ReplyValue> reply = runner.Run(argv);
    const int status = PrintResult(runner, argv, reply, mode);
    if (status == 0) return Outcome::kOk;
    return reply.ok() ? Outcome::kErrorReply : Outcome::kLost;
  };
  if (!o.command.empty()) return RunRepeated(execute, o);
  if (!isatty(STDIN_FILENO)) return RunStdin(execute);
  return RunInteractive(runner, mode);
}

}  // namespace pykv::cli
