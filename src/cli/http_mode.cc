#include "cli/http_mode.h"

#include <cstdio>
#include <functional>
#include <set>
#include <thread>
#include <utility>

#include "cli/http_command.h"
#include "cli/http_json.h"
#include "common/glob.h"

namespace pykv::cli {
namespace {

using resp::ReplyValue;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// The largest page the listing route serves: fewer round trips for LIST.
constexpr int kListPageSize = 1000;
// Retries of SET when the key vanishes or appears between its two requests.
constexpr int kSetAttempts = 3;

std::string NormalizeBaseUrl(std::string url) {
  if (url.find("://") == std::string::npos) url = "http://" + url;
  while (!url.empty() && url.back() == '/') url.pop_back();
  return url;
}

// Server errors that already carry a Redis error code ("READONLY You can't write...",
// "OOM command not allowed...") are shown as they are.
bool StartsWithErrorCode(std::string_view detail) {
  size_t n = 0;
  while (n < detail.size() && detail[n] >= 'A' && detail[n] <= 'Z') ++n;
  return n >= 2 && n < detail.size() && detail[n] == ' ';
}

bool IsKeyNotFound(const HttpResponse& r) {
  return r.status == 404 && ErrorDetail(r.body) == "Key not found";
}
bool IsKeyExists(const HttpResponse& r) {
  return r.status == 409 && ErrorDetail(r.body) == "Key already exists";
}
bool IsReadonly(const HttpResponse& r) {
  return r.status == 409 && ErrorDetail(r.body).rfind("READONLY", 0) == 0;
}

ReplyValue ErrorFromResponse(const HttpResponse& r, bool sent_token) {
  const std::string status = "HTTP " + std::to_string(r.status);
  std::string detail = ErrorDetail(r.body);
  if (r.status == 401) {
    // Redis's words for the same two situations, with the server's own after them.
    return ReplyValue::Error(
        sent_token ? "WRONGPASS invalid password (" + status + ": " + detail + ")"
                   : "NOAUTH Authentication required (" + status + ": " + detail + ")");
  }
  if (detail.empty()) return ReplyValue::Error("ERR " + status);
  if (StartsWithErrorCode(detail)) return ReplyValue::Error(detail);
  return ReplyValue::Error("ERR " + detail + " (" + status + ")");
}

ReplyValue NotUtf8(const char* what) {
  return ReplyValue::Error(std::string("ERR the ") + what +
                           " is not UTF-8 text, which the HTTP API cannot carry (use RESP mode)");
}

// The commands, on top of a request function that takes care of choosing the server.
class Commands {
 public:
  using SendFn =
      std::function<StatusOr<HttpResponse>(std::string_view, const std::string&, std::string_view)>;
  Commands(SendFn send, bool sent_token) : send_(std::move(send)), sent_token_(sent_token) {}

  StatusOr<ReplyValue> Run(const HttpCommand& cmd) {
    for (const std::string& key : cmd.keys) {
      // "/kv/" alone is the listing route.
      if (key.empty() && cmd.kind != HttpCommand::Kind::kPing) {
        return ReplyValue::Error("ERR the HTTP API cannot address the empty key");
      }
    }
    switch (cmd.kind) {
      case HttpCommand::Kind::kSet:
        return Set(cmd);
      case HttpCommand::Kind::kUpdate:
        return Update(cmd);
      case HttpCommand::Kind::kGet:
        return Get(cmd.keys[0]);
      case HttpCommand::Kind::kDel:
        return Del(cmd.keys);
      case HttpCommand::Kind::kExists:
        return Exists(cmd.keys);
      case HttpCommand::Kind::kTtl:
      case HttpCommand::Kind::kPttl:
        return Ttl(cmd.keys[0], cmd.kind == HttpCommand::Kind::kPttl);
      case HttpCommand::Kind::kList:
        return List(cmd);
      case HttpCommand::Kind::kPing:
        return Ping(cmd);
    }
    return ReplyValue::Error("ERR unknown command");
  }

 private:
  static std::string KeyPath(const std::string& key) { return "/kv/" + HttpClient::Escape(key); }

  ReplyValue Failed(const HttpResponse& r) const { return ErrorFromResponse(r, sent_token_); }

  // POST /kv/: OK when created, nil when the key exists.
  StatusOr<ReplyValue> Create(const std::string& body) {
    StatusOr<HttpResponse> r = send_("POST", "/kv/", body);
    if (!r.ok()) return r.status();
    if (r->status == 201) return ReplyValue::Simple("OK");
    if (IsKeyExists(*r)) return ReplyValue::Null();
    return Failed(*r);
  }

  // PUT /kv/{key}: OK when updated, nil when there is no such key.
  StatusOr<ReplyValue> Replace(const std::string& key, const std::string& body) {
    StatusOr<HttpResponse> r = send_("PUT", KeyPath(key), body);
    if (!r.ok()) return r.status();
    if (r->status == 200) return ReplyValue::Simple("OK");
    if (IsKeyNotFound(*r)) return ReplyValue::Null();
    return Failed(*r);
  }

  StatusOr<ReplyValue> Set(const HttpCommand& cmd) {
    const std::string& key = cmd.keys[0];
    std::optional<std::string> update = BuildKvBody(std::nullopt, cmd.value, cmd.ttl_ms);
    if (!update) return NotUtf8("value");
    std::optional<std::string> create = BuildKvBody(key, cmd.value, cmd.ttl_ms);
    if (cmd.xx) return Replace(key, *update);
    if (!create) {
      // A key that is not text can be named in a path (PUT) but not in a body (POST).
      if (cmd.nx) return NotUtf8("key");
      StatusOr<ReplyValue> r = Replace(key, *update);
      if (r.ok() && r->is_null()) return NotUtf8("key (to create)");
      return r;
    }
    if (cmd.nx) return Create(*create);
    // SET overwrites: create, else update; each may lose a race with another client
    // deleting or creating the key, so the pair is retried a few times.
    for (int attempt = 0; attempt < kSetAttempts; ++attempt) {
      StatusOr<ReplyValue> created = Create(*create);
      if (!created.ok() || !created->is_null()) return created;
      StatusOr<ReplyValue> updated = Replace(key, *update);
      if (!updated.ok() || !updated->is_null()) return updated;
    }
    return ReplyValue::Error("ERR the key kept appearing and disappearing; SET gave up");
  }

  StatusOr<ReplyValue> Update(const HttpCommand& cmd) {
    std::optional<std::string> body = BuildKvBody(std::nullopt, cmd.value, cmd.ttl_ms);
    if (!body) return NotUtf8("value");
    StatusOr<ReplyValue> r = Replace(cmd.keys[0], *body);
    if (r.ok() && r->is_null()) return ReplyValue::Error("ERR no such key");
    return r;
  }

  // The item, or nullopt inside an ok result when the key does not exist; an error reply
  // in *error otherwise.
  StatusOr<std::optional<KvItem>> Fetch(const std::string& key, ReplyValue* error) {
    StatusOr<HttpResponse> r = send_("GET", KeyPath(key), "");
    if (!r.ok()) return r.status();
    if (IsKeyNotFound(*r)) return std::optional<KvItem>();
    if (r->status != 200) {
      *error = Failed(*r);
      return std::optional<KvItem>();
    }
    std::optional<KvItem> item = ParseKvItem(r->body);
    if (!item)
      *error =
          ReplyValue::Error("ERR unexpected answer from the server: " + r->body.substr(0, 200));
    return item;
  }

  StatusOr<ReplyValue> Get(const std::string& key) {
    ReplyValue error = ReplyValue::Null();
    StatusOr<std::optional<KvItem>> item = Fetch(key, &error);
    if (!item.ok()) return item.status();
    if (error.is_error()) return error;
    if (!item->has_value()) return ReplyValue::Null();
    return ReplyValue::Bulk(std::move((*item)->value));
  }

  StatusOr<ReplyValue> Ttl(const std::string& key, bool in_ms) {
    ReplyValue error = ReplyValue::Null();
    StatusOr<std::optional<KvItem>> item = Fetch(key, &error);
    if (!item.ok()) return item.status();
    if (error.is_error()) return error;
    if (!item->has_value()) return ReplyValue::Integer(-2);
    const std::optional<int64_t> ttl = (*item)->ttl_ms;
    if (!ttl) return ReplyValue::Integer(-1);
    // Redis rounds TTL to the nearest second.
    return ReplyValue::Integer(in_ms ? *ttl : (*ttl + 500) / 1000);
  }

  StatusOr<ReplyValue> Exists(const std::vector<std::string>& keys) {
    int64_t found = 0;
    for (const std::string& key : keys) {
      ReplyValue error = ReplyValue::Null();
      StatusOr<std::optional<KvItem>> item = Fetch(key, &error);
      if (!item.ok()) return item.status();
      if (error.is_error()) return error;
      if (item->has_value()) ++found;
    }
    return ReplyValue::Integer(found);
  }

  StatusOr<ReplyValue> Del(const std::vector<std::string>& keys) {
    int64_t deleted = 0;
    for (const std::string& key : keys) {
      StatusOr<HttpResponse> r = send_("DELETE", KeyPath(key), "");
      if (!r.ok()) return r.status();
      if (r->status == 200) {
        ++deleted;
      } else if (!IsKeyNotFound(*r)) {
        return Failed(*r);
      }
    }
    return ReplyValue::Integer(deleted);
  }

  StatusOr<ReplyValue> List(const HttpCommand& cmd) {
    // SCAN may return a key twice across pages; a set also gives a stable order.
    std::set<std::string> keys;
    std::optional<std::string> cursor;
    do {
      std::string path = "/kv/?prefix=" + HttpClient::Escape(cmd.prefix) +
                         "&limit=" + std::to_string(kListPageSize);
      if (cursor) path += "&cursor=" + HttpClient::Escape(*cursor);
      StatusOr<HttpResponse> r = send_("GET", path, "");
      if (!r.ok()) return r.status();
      if (r->status != 200) return Failed(*r);
      std::optional<KeyPage> page = ParseKeyPage(r->body);
      if (!page)
        return ReplyValue::Error("ERR unexpected answer from the server: " +
                                 r->body.substr(0, 200));
      for (std::string& key : page->keys) {
        if (!cmd.pattern || GlobMatch(*cmd.pattern, key)) keys.insert(std::move(key));
      }
      cursor = std::move(page->next_cursor);
    } while (cursor);
    ReplyValue out;
    out.type = ReplyValue::Type::kArray;
    for (const std::string& key : keys) out.elements.push_back(ReplyValue::Bulk(key));
    return out;
  }

  StatusOr<ReplyValue> Ping(const HttpCommand& cmd) {
    StatusOr<HttpResponse> r = send_("GET", "/health", "");
    if (!r.ok()) return r.status();
    if (r->status != 200) return Failed(*r);
    return cmd.keys.empty() ? ReplyValue::Simple("PONG") : ReplyValue::Bulk(cmd.keys[0]);
  }

  SendFn send_;
  bool sent_token_;
};

}  // namespace

HttpCommandRunner::HttpCommandRunner(HttpModeOptions options)
    : options_(std::move(options)), client_(options_.timeout_ms, options_.token) {
  for (std::string& url : options_.urls) url = NormalizeBaseUrl(std::move(url));
}

Status HttpCommandRunner::SelectPrimary(Deadline deadline) {
  if (options_.urls.empty()) return Status::Invalid("No HTTP URL given");
  if (options_.urls.size() == 1) {
    current_ = options_.urls[0];
    return Status::Ok();
  }
  milliseconds backoff(50);
  for (;;) {
    std::string seen;
    for (const std::string& url : options_.urls) {
      HttpResponse r;
      HttpFailure failure;
      std::string what;
      if (!client_.Request("GET", url + "/health", "", &r, &failure)) {
        what = failure.message;
      } else {
        const std::string role = HealthRole(r.body);
        if (role == "master" || role == "primary") {
          current_ = url;
          return Status::Ok();
        }
        what = role.empty() ? "HTTP " + std::to_string(r.status) + ", no role" : "role " + role;
      }
      seen += (seen.empty() ? "" : "; ") + url + ": " + what;
    }
    const auto now = Clock::now();
    if (now >= deadline) {
      return Status::IoError("No primary among the HTTP servers after waiting " +
                             std::to_string(options_.failover_wait_ms) + " ms (" + seen + ")");
    }
    std::this_thread::sleep_for(std::min<Clock::duration>(backoff, deadline - now));
    backoff = std::min(backoff * 2, milliseconds(1000));
  }
}

StatusOr<HttpResponse> HttpCommandRunner::Send(std::string_view method, const std::string& path,
                                               std::string_view body) {
  const bool several = options_.urls.size() > 1;
  const Deadline deadline = Clock::now() + milliseconds(options_.failover_wait_ms);
  for (;;) {
    if (current_.empty()) {
      if (Status s = SelectPrimary(deadline); !s.ok()) return s;
    }
    HttpResponse r;
    HttpFailure failure;
    if (!client_.Request(method, current_ + path, body, &r, &failure)) {
      const std::string message = "Could not connect to " + current_ + ": " + failure.message;
      if (several) {
        current_.clear();
        // Only a request that never left can go again: another may have run.
        if (failure.not_sent && Clock::now() < deadline) continue;
      }
      return Status::IoError(message);
    }
    if (several && IsReadonly(r) && Clock::now() < deadline) {
      // The server we knew as primary was demoted: find the new one.
      current_.clear();
      std::this_thread::sleep_for(milliseconds(100));
      continue;
    }
    return r;
  }
}

StatusOr<resp::ReplyValue> HttpCommandRunner::Execute(std::span<const std::string> argv) {
  StatusOr<HttpCommand> cmd = ParseHttpCommand(argv);
  if (!cmd.ok()) return ReplyValue::Error(cmd.status().message());
  Commands commands([this](std::string_view method, const std::string& path,
                           std::string_view body) { return Send(method, path, body); },
                    !options_.token.empty());
  return commands.Run(*cmd);
}

int HttpCommandRunner::Run(std::span<const std::string> argv, OutputMode mode) {
  StatusOr<resp::ReplyValue> reply = Execute(argv);
  if (!reply.ok()) {
    std::fflush(stdout);
    std::fprintf(stderr, "%s\n", reply.status().message().c_str());
    return 1;
  }
  const std::string text = FormatReply(*reply, mode);
  std::fwrite(text.data(), 1, text.size(), stdout);
  std::fflush(stdout);
  return reply->is_error() ? 1 : 0;
}

int RunHttpCommand(const HttpModeOptions& options, std::span<const std::string> argv,
                   OutputMode mode) {
  HttpCommandRunner runner(options);
  return runner.Run(argv, mode);
}

}  // namespace pykv::cli
