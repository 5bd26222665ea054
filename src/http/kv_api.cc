#include "http/kv_api.h"

#include <strings.h>

#include <string_view>
#include <vector>

#include "common/base64.h"
#include "http/assets.h"
#include "http/json.h"
#include "http/metrics.h"
#include "http/url.h"

namespace pykv::http {

namespace {

constexpr std::string_view kKvPrefix = "/kv/";
constexpr int64_t kDefaultPageSize = 100;
constexpr int64_t kMaxPageSize = 1000;

HttpResponse Json(int status, std::string body) {
  HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

HttpResponse Unprocessable(const std::vector<ValidationError>& errors) {
  return Json(422, ValidationBody(errors));
}

HttpResponse MethodNotAllowed(std::string allow) {
  HttpResponse r = HttpResponse::Detail(405, "Method Not Allowed");
  r.headers.emplace_back("Allow", std::move(allow));
  return r;
}

// A command's error reply as the HTTP status FastAPI users would expect.
HttpResponse FromError(const std::string& error) {
  auto starts = [&](std::string_view code) { return error.rfind(code, 0) == 0; };
  int status = 500;
  if (starts("OOM")) {
    status = 507;
  } else if (starts("MISCONF") || starts("LOADING") || starts("MASTERDOWN") ||
             starts("NOREPLICAS")) {
    status = 503;
  } else if (starts("READONLY")) {
    status = 409;
  }
  return HttpResponse::Detail(status, error);
}

// {"key": ..., "value": ..., "ttl_ms": ...} (+ "encoding": "base64" for non-text values).
HttpResponse Item(int status, std::string_view key, std::string_view value,
                  std::optional<int64_t> ttl_ms) {
  rapidjson::StringBuffer sb;
  JsonWriter w(sb);
  w.StartObject();
  w.Key("key");
  if (IsValidUtf8(key)) {
    WriteString(w, key);
  } else {
    WriteString(w, Base64Encode(key));
  }
  w.Key("value");
  const bool text = IsValidUtf8(value);
  WriteString(w, text ? std::string(value) : Base64Encode(value));
  w.Key("ttl_ms");
  if (ttl_ms) {
    w.Int64(*ttl_ms);
  } else {
    w.Null();
  }
  if (!text) {
    w.Key("encoding");
    w.String("base64");
  }
  w.EndObject();
  return Json(status, std::string(sb.GetString(), sb.GetSize()));
}

std::optional<int64_t> RemainingTtl(const resp::ReplyValue& pttl) {
  if (pttl.type == resp::ReplyValue::Type::kInteger && pttl.integer >= 0) return pttl.integer;
  return std::nullopt;
}

// Glob metacharacters in a prefix match themselves.
std::string GlobEscape(std::string_view s) {
  std::string out;
  for (const char c : s) {
    if (c == '*' || c == '?' || c == '[' || c == ']' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  return out;
}

bool ParseInt(std::string_view s, int64_t* out) {
  if (s.empty() || s.size() > 18) return false;
  int64_t v = 0;
  for (const char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  *out = v;
  return true;
}

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  for (size_t i = 0; i < a.size(); ++i) {
    diff |= static_cast<unsigned char>(a[i] ^ (i < b.size() ? b[i] : 0));
  }
  return diff == 0;
}

class Routes {
 public:
  Routes(const ApiContext& ctx, CommandRunner& run) : ctx_(ctx), run_(run) {}

  // Each returns the response, or nothing when a command was postponed.
  std::optional<HttpResponse> Get(std::string_view key) {
    auto value = RunTwo("GET", key);
    if (!value) return std::nullopt;
    if (value->is_error()) return FromError(value->str);
    if (value->type == resp::ReplyValue::Type::kNull) {
      return HttpResponse::Detail(404, "Key not found");
    }
    auto pttl = RunTwo("PTTL", key);
    if (!pttl) return std::nullopt;
    return Item(200, key, value->str, RemainingTtl(*pttl));
  }

  std::optional<HttpResponse> Create(const HttpRequest& req) {
    std::vector<ValidationError> errors;
    std::optional<KvBody> body = ParseKvBody(req.body, Rules(true), &errors);
    if (!body) return Unprocessable(errors);
    std::vector<std::string> argv = {"SET", *body->key, *body->value, "NX"};
    if (body->ttl_ms) {
      argv.push_back("PX");
      argv.push_back(std::to_string(*body->ttl_ms));
    }
    auto r = RunOwned(argv);
    if (!r) return std::nullopt;
    if (r->is_error()) return FromError(r->str);
    if (r->type == resp::ReplyValue::Type::kNull) {
      return HttpResponse::Detail(409, "Key already exists");
    }
    HttpResponse out = Item(201, *body->key, *body->value, body->ttl_ms);
    out.headers.emplace_back("Location", std::string(kKvPrefix) + PercentEncode(*body->key));
    return out;
  }

  std::optional<HttpResponse> Update(std::string_view key, const HttpRequest& req) {
    std::vector<ValidationError> errors;
    std::optional<KvBody> body = ParseKvBody(req.body, Rules(false), &errors);
    if (!body) return Unprocessable(errors);
    std::vector<std::string> argv = {"SET", std::string(key), *body->value, "XX"};
    if (body->ttl_ms) {
      argv.push_back("PX");
      argv.push_back(std::to_string(*body->ttl_ms));
    } else {
      argv.push_back("KEEPTTL");  // an existing TTL survives an update without ttl_ms
    }
    auto r = RunOwned(argv);
    if (!r) return std::nullopt;
    if (r->is_error()) return FromError(r->str);
    if (r->type == resp::ReplyValue::Type::kNull) return HttpResponse::Detail(404, "Key not found");
    auto pttl = RunTwo("PTTL", key);
    if (!pttl) return std::nullopt;
    return Item(200, key, *body->value, RemainingTtl(*pttl));
  }

  std::optional<HttpResponse> Delete(std::string_view key) {
    auto r = RunTwo("DEL", key);
    if (!r) return std::nullopt;
    if (r->is_error()) return FromError(r->str);
    if (r->integer == 0) return HttpResponse::Detail(404, "Key not found");
    return Json(200, R"({"deleted":true})");
  }

  std::optional<HttpResponse> List(std::string_view query) {
    auto params = ParseQuery(query);
    std::vector<ValidationError> errors;
    std::string prefix;
    std::string cursor = "0";
    int64_t limit = kDefaultPageSize;
    if (!params) {
      errors.push_back({{"query"}, "Malformed percent-encoding", "value_error"});
      return Unprocessable(errors);
    }
    for (const auto& [name, value] : *params) {
      int64_t n = 0;
      if (name == "prefix") {
        prefix = value;
      } else if (name == "cursor") {
        if (!ParseInt(value, &n)) {
          errors.push_back({{"query", "cursor"}, "Input should be a valid integer", "int_parsing"});
        }
        cursor = value;
      } else if (name == "limit") {
        if (!ParseInt(value, &n)) {
          errors.push_back({{"query", "limit"}, "Input should be a valid integer", "int_parsing"});
        } else if (n < 1 || n > kMaxPageSize) {
          errors.push_back({{"query", "limit"},
                            "Input should be between 1 and " + std::to_string(kMaxPageSize),
                            "value_error"});
        }
        limit = n;
      }
    }
    if (!errors.empty()) return Unprocessable(errors);
    const std::vector<std::string> argv = {
        "SCAN", cursor, "MATCH", GlobEscape(prefix) + "*", "COUNT", std::to_string(limit)};
    auto r = RunOwned(argv);
    if (!r) return std::nullopt;
    if (r->is_error()) return FromError(r->str);
    if (r->elements.size() != 2) return HttpResponse::Detail(500, "unexpected SCAN reply");
    rapidjson::StringBuffer sb;
    JsonWriter w(sb);
    w.StartObject();
    w.Key("keys");
    w.StartArray();
    // Keys that are not UTF-8 text cannot be JSON strings: they are listed base64-encoded
    // in "binary_keys" instead of being dropped.
    std::vector<std::string_view> binary;
    for (const resp::ReplyValue& k : r->elements[1].elements) {
      if (IsValidUtf8(k.str)) {
        WriteString(w, k.str);
      } else {
        binary.push_back(k.str);
      }
    }
    w.EndArray();
    if (!binary.empty()) {
      w.Key("binary_keys");
      w.StartArray();
      for (std::string_view k : binary) WriteString(w, Base64Encode(k));
      w.EndArray();
    }
    w.Key("next_cursor");
    if (r->elements[0].str == "0") {
      w.Null();
    } else {
      WriteString(w, r->elements[0].str);
    }
    w.EndObject();
    return Json(200, std::string(sb.GetString(), sb.GetSize()));
  }

  // Only the sections a route reads: /health and /stats are polled (load balancers, the
  // console every second), and "everything" renders commandstats for every command.
  std::optional<resp::ReplyValue> Info(std::initializer_list<std::string_view> sections) {
    std::vector<std::string_view> argv = {"INFO"};
    argv.insert(argv.end(), sections);
    return run_.Run(argv);
  }

  std::optional<HttpResponse> Health() {
    auto r = Info({"server", "persistence", "replication"});
    if (!r) return std::nullopt;
    const InfoMap info = ParseInfo(r->str);
    const bool loading = InfoNumber(info, "loading") == 1;
    std::string aof = "off";
    if (InfoNumber(info, "aof_enabled") == 1) {
      aof = InfoField(info, "aof_last_write_status", "ok") == "ok" ? "ok" : "error";
    }
    const bool ok = !loading && aof != "error";
    rapidjson::StringBuffer sb;
    JsonWriter w(sb);
    w.StartObject();
    w.Key("status");
    w.String(ok ? "ok" : "unavailable");
    w.Key("role");
    WriteString(w, InfoField(info, "role", ""));
    // A replica: whether its link to the primary is up, so a load balancer can tell
    // fresh reads from stale ones.
    if (InfoField(info, "role", "") == "slave") {
      w.Key("master_link_status");
      WriteString(w, InfoField(info, "master_link_status", "down"));
      w.Key("master_host");
      WriteString(w, InfoField(info, "master_host", ""));
      w.Key("master_port");
      w.Int64(InfoNumber(info, "master_port"));
    }
    w.Key("loading");
    w.Bool(loading);
    w.Key("aof");
    WriteString(w, aof);
    w.Key("uptime_seconds");
    w.Int64(InfoNumber(info, "uptime_in_seconds"));
    w.EndObject();
    return Json(ok ? 200 : 503, std::string(sb.GetString(), sb.GetSize()));
  }

  std::optional<HttpResponse> Stats() {
    auto r = Info({"server", "clients", "memory", "stats", "replication", "keyspace"});
    if (!r) return std::nullopt;
    const InfoMap info = ParseInfo(r->str);
    auto number = [&](const char* name) { return InfoNumber(info, name); };
    const std::string_view db0 = InfoField(info, "db0", "");
    const int64_t keys = std::atoll(std::string(InfoSubField(db0, "keys")).c_str());
    const int64_t expires = std::atoll(std::string(InfoSubField(db0, "expires")).c_str());
    rapidjson::StringBuffer sb;
    JsonWriter w(sb);
    w.StartObject();
    w.Key("ops_per_sec");
    w.Int64(number("instantaneous_ops_per_sec"));
    w.Key("keys");
    w.Int64(keys);
    w.Key("expires");
    w.Int64(expires);
    w.Key("used_memory");
    w.Int64(number("used_memory"));
    w.Key("used_memory_human");
    WriteString(w, InfoField(info, "used_memory_human", ""));
    w.Key("connected_clients");
    w.Int64(number("connected_clients"));
    w.Key("total_commands_processed");
    w.Int64(number("total_commands_processed"));
    w.Key("uptime_seconds");
    w.Int64(number("uptime_in_seconds"));
    w.Key("role");
    WriteString(w, InfoField(info, "role", ""));
    w.EndObject();
    return Json(200, std::string(sb.GetString(), sb.GetSize()));
  }

  std::optional<HttpResponse> Metrics() {
    auto r = Info({"everything"});
    if (!r) return std::nullopt;
    HttpResponse out;
    out.content_type = "text/plain; version=0.0.4; charset=utf-8";
    out.body = RenderMetrics(r->str, *ctx_.command_stats, *ctx_.http_stats);
    return out;
  }

 private:
  BodyRules Rules(bool with_key) const {
    BodyRules rules;
    rules.key_allowed = with_key;
    rules.max_key_bytes = kMaxKeyBytes;
    rules.max_value_bytes = *ctx_.max_value_bytes;
    return rules;
  }
  std::optional<resp::ReplyValue> RunTwo(std::string_view name, std::string_view arg) {
    const std::string_view argv[2] = {name, arg};
    return run_.Run(argv);
  }
  std::optional<resp::ReplyValue> RunOwned(const std::vector<std::string>& argv) {
    const std::vector<std::string_view> views(argv.begin(), argv.end());
    return run_.Run(views);
  }

  const ApiContext& ctx_;
  CommandRunner& run_;
};

}  // namespace

std::optional<HttpResponse> KvApi::Handle(const HttpRequest& req, CommandRunner& run,
                                          std::string* route) {
  std::optional<Target> target = SplitTarget(req.target);
  if (!target) {
    *route = "other";
    return HttpResponse::Detail(400, "Malformed request target");
  }
  const std::string& path = target->path;
  const bool get = req.method == "GET" || req.method == "HEAD";

  // The page, its assets and the API description are public, so a browser can load the
  // console and then ask for the password; everything that touches data needs it.
  if (const Asset* asset = FindAsset(path); asset != nullptr && path != "/openapi.json") {
    *route = path.rfind("/ui/", 0) == 0 ? "/ui" : path;
    if (!get) return MethodNotAllowed("GET, HEAD");
    HttpResponse r;
    r.content_type = std::string(asset->content_type);
    r.body = std::string(asset->body);
    return r;
  }
  if (path == "/health") {
    *route = path;
    if (!get) return MethodNotAllowed("GET, HEAD");
    return Routes(ctx_, run).Health();
  }

  if (!ctx_.requirepass->empty()) {
    constexpr std::string_view kBearer = "Bearer ";
    const std::string& auth = req.authorization;
    // The scheme is case-insensitive (RFC 9110 11.1): "bearer" and "BEARER" count too.
    const bool ok =
        auth.size() > kBearer.size() &&
        strncasecmp(auth.data(), kBearer.data(), kBearer.size()) == 0 &&
        ConstantTimeEquals(std::string_view(auth).substr(kBearer.size()), *ctx_.requirepass);
    if (!ok) {
      *route = "unauthorized";
      HttpResponse r = HttpResponse::Detail(401, "Not authenticated");
      r.headers.emplace_back("WWW-Authenticate", "Bearer");
      return r;
    }
  }

  Routes routes(ctx_, run);
  if (path == "/openapi.json") {
    *route = path;
    if (!get) return MethodNotAllowed("GET, HEAD");
    const Asset* asset = FindAsset(path);
    HttpResponse r;
    r.body = asset ? std::string(asset->body) : std::string("{}");
    return r;
  }
  if (path == "/stats") {
    *route = path;
    if (!get) return MethodNotAllowed("GET, HEAD");
    return routes.Stats();
  }
  if (path == "/metrics") {
    *route = path;
    if (!get) return MethodNotAllowed("GET, HEAD");
    return routes.Metrics();
  }
  if (path == "/kv" || path == "/kv/") {
    *route = "/kv/";
    if (get) return routes.List(target->query);
    if (req.method == "POST") return routes.Create(req);
    return MethodNotAllowed("GET, HEAD, POST");
  }
  if (path.rfind(kKvPrefix, 0) == 0) {
    *route = "/kv/{key}";
    std::optional<std::string> key = PercentDecode(std::string_view(path).substr(kKvPrefix.size()));
    if (!key) {
      return Unprocessable({{{"path", "key"}, "Malformed percent-encoding", "value_error"}});
    }
    if (get) return routes.Get(*key);
    if (req.method == "PUT") return routes.Update(*key, req);
    if (req.method == "DELETE") return routes.Delete(*key);
    return MethodNotAllowed("GET, HEAD, PUT, DELETE");
  }
  *route = "other";
  return HttpResponse::Detail(404, "Not Found");
}

}  // namespace pykv::http
