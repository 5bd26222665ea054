#include "cli/bench_plan.h"

#include <http_parser.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <string>
#include <utility>

#include "resp/command_encoder.h"

namespace pykv::cli {
namespace {

// Stands for a key number while a template is encoded; replaced by zeros once its offsets
// are known. No request byte is ever \x01 otherwise (values are 'x's, keys are ASCII).
const std::string kMarker(kKeyDigits, '\x01');

std::string Lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// Key names as redis-benchmark spells them: a literal __rand_int__ without -r.
std::string KeyName(std::string_view prefix, bool random) {
  return std::string(prefix) + (random ? kMarker : std::string("__rand_int__"));
}

// Records where the markers are and zeroes them.
RequestTemplate Finish(std::string bytes) {
  RequestTemplate t;
  for (size_t at = bytes.find(kMarker); at != std::string::npos;
       at = bytes.find(kMarker, at + kKeyDigits)) {
    t.key_offsets.push_back(static_cast<uint32_t>(at));
    WriteKeyNumber(bytes.data() + at, 0);
  }
  t.bytes = std::move(bytes);
  return t;
}

RequestTemplate Resp(const std::vector<std::string>& args) {
  std::vector<std::string_view> argv(args.begin(), args.end());
  return Finish(resp::EncodeCommand(argv));
}

RequestTemplate RespRequest(BenchKind kind, const std::string& value, bool random) {
  const std::string key = KeyName("key:", random);
  switch (kind) {
    case BenchKind::kSet:
      return Resp({"SET", key, value});
    case BenchKind::kGet:
      return Resp({"GET", key});
    case BenchKind::kIncr:
      return Resp({"INCR", KeyName("counter:", random)});
    case BenchKind::kMset: {
      // Ten keys, as redis-benchmark's MSET; each gets its own number with -r.
      std::vector<std::string> args = {"MSET"};
      for (int i = 0; i < 10; ++i) {
        args.push_back(key);
        args.push_back(value);
      }
      return Resp(args);
    }
    default:
      return {};
  }
}

std::string JsonValueBody(const std::string& value) {
  // The value is all 'x' and keys are key:<digits>: nothing in either needs escaping.
  return "{\"value\":\"" + value + "\"}";
}

RequestTemplate HttpRequest(std::string_view method, const std::string& path,
                            const std::string& body, const BenchPlan& plan,
                            const std::string& password) {
  std::string r;
  r += method;
  r += ' ';
  r += path;
  r += " HTTP/1.1\r\nHost: ";
  r += plan.target.host;
  if (plan.target.port != 80) r += ':' + std::to_string(plan.target.port);
  r += "\r\n";
  if (!password.empty()) r += "Authorization: Bearer " + password + "\r\n";
  if (!body.empty()) {
    r +=
        "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) + "\r\n";
  }
  r += "\r\n";
  r += body;
  return Finish(std::move(r));
}

std::string KindName(BenchKind kind) {
  switch (kind) {
    case BenchKind::kSet:
      return "SET";
    case BenchKind::kGet:
      return "GET";
    case BenchKind::kIncr:
      return "INCR";
    case BenchKind::kMset:
      return "MSET (10 keys)";
    case BenchKind::kHttpPut:
      return "PUT /kv/{key}";
    case BenchKind::kHttpGet:
      return "GET /kv/{key}";
    default:
      return "MIXED";
  }
}

std::string Handshake(const ConnectOptions& connect, int* replies) {
  std::string out;
  *replies = 0;
  std::vector<std::string> args;
  if (connect.resp3) {
    args = {"HELLO", "3"};
    if (!connect.password.empty()) {
      args.insert(args.end(),
                  {"AUTH", connect.user.empty() ? "default" : connect.user, connect.password});
    }
  } else if (!connect.password.empty()) {
    args = {"AUTH"};
    if (!connect.user.empty()) args.push_back(connect.user);
    args.push_back(connect.password);
  }
  if (args.empty()) return out;
  std::vector<std::string_view> argv(args.begin(), args.end());
  *replies = 1;
  return resp::EncodeCommand(argv);
}

}  // namespace

StatusOr<std::vector<BenchKind>> ParseTestList(const std::vector<std::string>& items, bool http) {
  std::vector<BenchKind> out;
  auto add = [&](BenchKind k) {
    if (std::find(out.begin(), out.end(), k) == out.end()) out.push_back(k);
  };
  for (const std::string& item : items) {
    size_t start = 0;
    while (start <= item.size()) {
      size_t comma = item.find(',', start);
      if (comma == std::string::npos) comma = item.size();
      const std::string name = Lower(item.substr(start, comma - start));
      start = comma + 1;
      if (name.empty()) continue;
      if (http) {
        if (name == "put" || name == "set") {
          add(BenchKind::kHttpPut);
        } else if (name == "get") {
          add(BenchKind::kHttpGet);
        } else if (name == "mixed") {
          add(BenchKind::kHttpMixed);
        } else {
          return Status::Invalid("Unknown HTTP test '" + name + "': expected put, get or mixed");
        }
        continue;
      }
      if (name == "set") {
        add(BenchKind::kSet);
      } else if (name == "get") {
        add(BenchKind::kGet);
      } else if (name == "incr") {
        add(BenchKind::kIncr);
      } else if (name == "mset") {
        add(BenchKind::kMset);
      } else if (name == "mixed") {
        add(BenchKind::kMixed);
      } else {
        return Status::Invalid("Unknown test '" + name +
                               "': expected set, get, incr, mset or mixed");
      }
    }
  }
  if (out.empty()) {
    if (http) return std::vector<BenchKind>{BenchKind::kHttpPut, BenchKind::kHttpGet};
    return std::vector<BenchKind>{BenchKind::kSet, BenchKind::kGet, BenchKind::kIncr,
                                  BenchKind::kMset};
  }
  return out;
}

StatusOr<SetGetRatio> ParseRatio(std::string_view text) {
  const size_t colon = text.find(':');
  auto number = [](std::string_view s, uint32_t* v) {
    auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), *v);
    return !s.empty() && ec == std::errc() && ptr == s.data() + s.size();
  };
  SetGetRatio r;
  if (colon == std::string_view::npos || !number(text.substr(0, colon), &r.set) ||
      !number(text.substr(colon + 1), &r.get) || r.set > 1000000 || r.get > 1000000) {
    return Status::Invalid("Invalid --ratio '" + std::string(text) +
                           "': expected SET:GET, e.g. 1:10");
  }
  if (r.set == 0 && r.get == 0) return Status::Invalid("Invalid --ratio: both sides are 0");
  return r;
}

StatusOr<HttpTarget> ParseHttpUrl(std::string_view url) {
  http_parser_url u;
  http_parser_url_init(&u);
  const std::string bad = "Invalid --http URL '" + std::string(url) + "'";
  if (http_parser_parse_url(url.data(), url.size(), 0, &u) != 0) {
    return Status::Invalid(bad + ": expected http://host[:port][/prefix]");
  }
  auto field = [&](int f) {
    if (!(u.field_set & (1 << f))) return std::string_view();
    return url.substr(u.field_data[f].off, u.field_data[f].len);
  };
  if (Lower(field(UF_SCHEMA)) != "http") {
    return Status::Invalid(bad + ": only http:// is supported");
  }
  if ((u.field_set & ((1 << UF_QUERY) | (1 << UF_FRAGMENT) | (1 << UF_USERINFO))) != 0) {
    return Status::Invalid(bad + ": no query, fragment or user part expected");
  }
  HttpTarget t;
  t.host = std::string(field(UF_HOST));
  if (t.host.empty()) return Status::Invalid(bad + ": no host");
  if (u.field_set & (1 << UF_PORT)) {
    if (u.port == 0) return Status::Invalid(bad + ": bad port");
    t.port = u.port;
  }
  std::string path(field(UF_PATH));
  while (!path.empty() && path.back() == '/') path.pop_back();
  // The API's own path may be given too: http://host:port/kv is the same base.
  if (path.size() >= 3 && path.compare(path.size() - 3, 3, "/kv") == 0)
    path.resize(path.size() - 3);
  t.prefix = path;
  return t;
}

StatusOr<BenchPlan> MakePlan(const BenchOptions& options, const ConnectOptions& connect) {
  BenchPlan plan;
  plan.options = options;
  BenchOptions& o = plan.options;
  if (o.clients < 1) return Status::Invalid("-c must be at least 1");
  if (o.pipeline < 1) return Status::Invalid("-P must be at least 1");
  if (o.threads < 1) return Status::Invalid("--threads must be at least 1");
  if (o.duration_s < 0 || !std::isfinite(o.duration_s)) {
    return Status::Invalid("--duration must be a positive number of seconds");
  }
  if (o.duration_s == 0 && o.requests < 1) return Status::Invalid("-n must be at least 1");
  if (o.data_size < 1 || o.data_size > 512ull * 1024 * 1024) {
    return Status::Invalid("-d must be between 1 and 536870912 bytes");
  }
  if (o.keyspace > 1000000000000ull) return Status::Invalid("-r must be at most 10^12");
  if (o.csv && o.json) return Status::Invalid("--csv and --json exclude each other");
  // More threads than connections would leave loops with nothing to do.
  o.threads = std::min(o.threads, o.clients);

  plan.http = !o.http_url.empty();
  plan.connect_timeout_ms = connect.connect_timeout_ms;
  auto ratio = ParseRatio(o.ratio);
  if (!ratio.ok()) return ratio.status();
  auto kinds = ParseTestList(o.tests, plan.http);
  if (!kinds.ok()) return kinds.status();

  const bool random = o.keyspace > 0;
  const std::string value(o.data_size, 'x');
  const std::string ratio_text = std::to_string(ratio->set) + ":" + std::to_string(ratio->get);

  if (plan.http) {
    auto target = ParseHttpUrl(o.http_url);
    if (!target.ok()) return target.status();
    plan.target = *target;
    plan.host = plan.target.host;
    plan.port = plan.target.port;
    plan.label = o.http_url;
    const std::string path = plan.target.prefix + "/kv/" + KeyName("key:", random);
    auto put = HttpRequest("PUT", path, JsonValueBody(value), plan, connect.password);
    auto get = HttpRequest("GET", path, "", plan, connect.password);
    for (BenchKind k : *kinds) {
      BenchTest t{k, KindName(k), {}, {}, false};
      if (k == BenchKind::kHttpPut) {
        t.requests = {put};
        t.weights = {1};
      } else if (k == BenchKind::kHttpGet) {
        t.requests = {get};
        t.weights = {1};
      } else {
        t.name = "MIXED PUT:GET " + ratio_text;
        for (auto [tmpl, w] : {std::pair{put, ratio->set}, std::pair{get, ratio->get}}) {
          if (w == 0) continue;
          t.requests.push_back(tmpl);
          t.weights.push_back(w);
        }
      }
      plan.tests.push_back(std::move(t));
    }
    const std::string body =
        "{\"key\":\"" + KeyName("key:", random) + "\",\"value\":\"" + value + "\"}";
    BenchTest setup{BenchKind::kHttpPut, "setup (POST /kv/)", {}, {1}, true};
    setup.requests = {
        HttpRequest("POST", plan.target.prefix + "/kv/", body, plan, connect.password)};
    plan.setup.push_back(std::move(setup));
    return plan;
  }

  plan.host = connect.host;
  plan.port = connect.port;
  plan.label = AddressLabel(connect.host, connect.port);
  plan.handshake = Handshake(connect, &plan.handshake_replies);
  plan.handshake_name = connect.password.empty() ? "HELLO" : "AUTH";
  for (BenchKind k : *kinds) {
    BenchTest t{k, KindName(k), {}, {}, false};
    if (k == BenchKind::kMixed) {
      t.name = "MIXED SET:GET " + ratio_text;
      if (ratio->set > 0) {
        t.requests.push_back(RespRequest(BenchKind::kSet, value, random));
        t.weights.push_back(ratio->set);
      }
      if (ratio->get > 0) {
        t.requests.push_back(RespRequest(BenchKind::kGet, value, random));
        t.weights.push_back(ratio->get);
      }
    } else {
      t.requests = {RespRequest(k, value, random)};
      t.weights = {1};
    }
    plan.tests.push_back(std::move(t));
  }
  return plan;
}

}  // namespace pykv::cli
