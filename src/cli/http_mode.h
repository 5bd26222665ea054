// HTTP mode of pykv-cli (--http URL[,URL...]): runs redis-cli style commands (SET, GET,
// DEL, UPDATE, LIST/KEYS, EXISTS, TTL, PTTL, PING) as requests to the server's /kv JSON
// API and prints the answers exactly as the RESP path prints replies (FormatReply), so a
// script sees the same "OK", "(nil)" or "(integer) 2" either way.
//
// With several base URLs it talks to the primary: before the first command, and again
// after a connection failure or a READONLY refusal, it asks each URL's /health for its
// role and keeps the one that says master, waiting with back-off (up to failover_wait_ms)
// while none does, as happens during a failover.
//
// Called by pykv-cli's main thread only: HttpCommandRunner keeps one libcurl handle (one
// keep-alive connection) and the primary it found between the commands of a session.
#pragma once

#include <chrono>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "cli/http_client.h"
#include "cli/reply_format.h"
#include "common/status.h"
#include "resp/reply_parser.h"

namespace pykv::cli {

struct HttpModeOptions {
  std::vector<std::string> urls;  // base URLs, e.g. http://127.0.0.1:8080 (http:// may be left out)
  std::string token;              // bearer token (the server's requirepass); empty: none
  uint64_t timeout_ms = 5000;     // per request, connecting included
  uint64_t failover_wait_ms = 30000;  // how long to keep looking for a primary
};

class HttpCommandRunner {
 public:
  explicit HttpCommandRunner(HttpModeOptions options);

  // Runs one command and prints its reply on stdout; a server that cannot be reached is
  // reported on stderr ("Could not connect to http://127.0.0.1:8080: Connection refused").
  // Returns the exit status: 0, or 1 for an error reply or a connection failure.
  int Run(std::span<const std::string> argv, OutputMode mode);

  // The reply without printing it. A Status error means no server answered (its message
  // is the text to show); everything the server or the command refused is an error reply.
  StatusOr<resp::ReplyValue> Execute(std::span<const std::string> argv);

  // The base URL requests go to; empty until one is chosen (or after it failed).
  const std::string& current_url() const { return current_; }

 private:
  using Deadline = std::chrono::steady_clock::time_point;

  // One request to the current server (the primary, found first if need be). A request
  // that never reached a server, or that a replica refused as READONLY, goes to the next
  // primary found before the failover wait ends.
  StatusOr<HttpResponse> Send(std::string_view method, const std::string& path,
                              std::string_view body);
  Status SelectPrimary(Deadline deadline);

  HttpModeOptions options_;
  HttpClient client_;
  std::string current_;
};

// One command with a fresh runner (one-shot use).
int RunHttpCommand(const HttpModeOptions& options, std::span<const std::string> argv,
                   OutputMode mode);

}  // namespace pykv::cli
