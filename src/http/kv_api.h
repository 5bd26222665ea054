// KvApi: the HTTP routes. It maps each request to commands run through the server's one
// request path (a CommandRunner the HTTP session provides: the RequestExecutor, with the
// reply read back by resp::ReplyParser), and renders the replies as JSON in FastAPI's
// shapes: /kv CRUD and listing, /health, /stats, /metrics (Prometheus text built from
// INFO and the command latency histogram), /openapi.json, /docs and the embedded GUI.
// It holds no request rules of its own beyond validation and bearer authentication.
// Loop thread only; one per server, shared by every HTTP session.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>

#include "commands/command.h"
#include "commands/dispatcher.h"
#include "http/request_reader.h"
#include "http/response.h"
#include "resp/reply_parser.h"

namespace pykv::http {

// Runs one command as the HTTP client; empty optional when CLIENT PAUSE postponed it
// (nothing ran: the whole HTTP request is retried when the pause ends).
class CommandRunner {
 public:
  virtual ~CommandRunner() = default;
  virtual std::optional<resp::ReplyValue> Run(cmd::Args argv) = 0;
};

// Requests answered, by route and status (/metrics).
class HttpStats {
 public:
  void Count(const std::string& route, int status) { ++counts_[{route, status}]; }
  const std::map<std::pair<std::string, int>, uint64_t>& counts() const { return counts_; }
  void Reset() { counts_.clear(); }

 private:
  std::map<std::pair<std::string, int>, uint64_t> counts_;
};

struct ApiContext {
  const std::string* requirepass;             // "" = no authentication
  const uint64_t* max_value_bytes;            // proto-max-bulk-len
  const cmd::DispatcherStats* command_stats;  // the latency histogram
  HttpStats* http_stats;
};

// The longest key a JSON body may name (a longer one is a 422).
inline constexpr size_t kMaxKeyBytes = 64 * 1024;

class KvApi {
 public:
  explicit KvApi(const ApiContext& ctx) : ctx_(ctx) {}

  // The response, or empty when a command was postponed by CLIENT PAUSE. *route is set
  // to the route's label for the request counters.
  std::optional<HttpResponse> Handle(const HttpRequest& req, CommandRunner& run,
                                     std::string* route);

 private:
  ApiContext ctx_;
};

}  // namespace pykv::http
