// libFuzzer target for the HTTP adapter's request path: bytes go to RequestReader, split
// at pseudo-random points, and each complete request goes to KvApi::Handle with a fake
// CommandRunner answering canned replies (chosen by the input). Besides "no crash, no
// sanitizer report", it checks the properties the session relies on:
//  - the same bytes give the same requests and the same error however they are split
//    (except which of two errors is met first, when the input has both);
//  - every request gets a response (a postponed one on the retry, as after CLIENT PAUSE)
//    with a known status, and JSON responses are valid UTF-8 JSON objects;
//  - no header name or value carries CR or LF (no header injection from a key), and the
//    encoded response announces the body's real length.
// Input layout: byte 0 chooses the limits, the password and which command is postponed, bytes 1-3
// seed the split points, bytes 4-7 choose the canned replies; the rest is the stream.
#include <rapidjson/document.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/out_buffer.h"
#include "fuzz_check.h"
#include "http/kv_api.h"
#include "http/request_reader.h"
#include "http/response.h"

namespace {

using pykv::OutBuffer;
using pykv::http::ApiContext;
using pykv::http::CommandRunner;
using pykv::http::HttpRequest;
using pykv::http::HttpResponse;
using pykv::http::HttpStats;
using pykv::http::KvApi;
using pykv::http::ReaderLimits;
using pykv::http::RequestReader;
using pykv::resp::ReplyValue;
using Type = ReplyValue::Type;

constexpr size_t kHeader = 8;

ReplyValue Of(Type t, std::string s = "", int64_t n = 0) {
  ReplyValue v;
  v.type = t;
  v.str = std::move(s);
  v.integer = n;
  return v;
}

ReplyValue Scan(std::string cursor, std::vector<std::string> keys) {
  ReplyValue v = Of(Type::kArray);
  v.elements.push_back(Of(Type::kBulk, std::move(cursor)));
  ReplyValue list = Of(Type::kArray);
  for (auto& k : keys) list.elements.push_back(Of(Type::kBulk, std::move(k)));
  v.elements.push_back(std::move(list));
  return v;
}

// Canned replies by command name; `choice` picks among plausible ones, wrong-typed ones
// included (the adapter must cope with any reply shape).
class FakeRunner : public CommandRunner {
 public:
  explicit FakeRunner(uint32_t choices) : choices_(choices) {}

  // The next attempt at a request: its `index`th command (none when -1) is postponed, as
  // CLIENT PAUSE would, once.
  void StartAttempt(int index) {
    attempt_calls_ = 0;
    postpone_at_ = index;
  }

  std::optional<ReplyValue> Run(pykv::cmd::Args argv) override {
    FUZZ_CHECK(!argv.empty());
    ++calls_;
    if (attempt_calls_++ == postpone_at_) return std::nullopt;
    const unsigned c = (choices_ >> ((calls_ % 8) * 4)) & 0xf;
    const std::string_view name = argv[0];
    if (name == "GET") {
      switch (c % 5) {
        case 0:
          return Of(Type::kBulk, "value");
        case 1:
          return Of(Type::kBulk, std::string("\xff\xfe\x00z", 4));
        case 2:
          return Of(Type::kNull);
        case 3:
          return Of(Type::kError, "WRONGTYPE Operation against a key holding the wrong kind");
        default:
          return Of(Type::kInteger, "", 7);
      }
    }
    if (name == "PTTL") return Of(Type::kInteger, "", c % 3 == 0 ? -1 : c % 3 == 1 ? -2 : 1234);
    if (name == "SET") {
      switch (c % 5) {
        case 0:
        case 1:
          return Of(Type::kSimple, "OK");
        case 2:
          return Of(Type::kNull);
        case 3:
          return Of(Type::kError, "OOM command not allowed when used memory > 'maxmemory'.");
        default:
          return Of(Type::kError, "MISCONF Errors writing to the AOF file");
      }
    }
    if (name == "DEL") return Of(Type::kInteger, "", c % 2);
    if (name == "SCAN") {
      switch (c % 4) {
        case 0:
          return Scan("0", {"a", "b/c"});
        case 1:
          return Scan("17", {std::string("\xff", 1), "k"});
        case 2:
          return Of(Type::kArray);  // malformed: no elements
        default:
          return Of(Type::kError, "ERR invalid cursor");
      }
    }
    if (name == "INFO") {
      if (c % 3 == 2) return Of(Type::kError, "LOADING PyKV is loading the dataset in memory");
      return Of(Type::kBulk,
                "# Server\r\nrole:master\r\nuptime_in_seconds:5\r\nloading:" +
                    std::string(c % 3 == 1 ? "1" : "0") +
                    "\r\naof_enabled:1\r\naof_last_write_status:ok\r\n# Keyspace\r\n"
                    "db0:keys=2,expires=1,avg_ttl=0\r\ncmdstat_get:calls=3,usec=1\r\n");
    }
    return Of(Type::kError, "ERR unknown command");
  }

 private:
  uint32_t choices_;
  uint64_t calls_ = 0;
  int attempt_calls_ = 0;
  int postpone_at_ = -1;
};

std::string Describe(const HttpRequest& r) {
  return r.method + '\x01' + r.target + '\x01' + r.authorization + '\x01' + r.content_type +
         '\x01' + std::to_string(r.body.size()) + ':' + r.body + '\x01' +
         (r.keep_alive ? "k" : "-") + (r.head ? "h" : "-");
}

struct Outcome {
  std::vector<std::string> requests;
  int error = 0;
  bool operator==(const Outcome&) const = default;
};

Outcome Feed(std::string_view stream, const std::vector<size_t>& cuts, const ReaderLimits& limits,
             std::vector<HttpRequest>* keep) {
  RequestReader reader(&limits);
  Outcome out;
  size_t from = 0;
  auto take = [&] {
    while (!reader.requests().empty()) {
      out.requests.push_back(Describe(reader.requests().front()));
      if (keep != nullptr) keep->push_back(std::move(reader.requests().front()));
      reader.requests().pop_front();
    }
  };
  for (size_t cut : cuts) {
    reader.Feed(stream.substr(from, cut - from));
    take();
    // A 100 Continue is only ever asked for a request still being read.
    if (reader.TakeContinue()) FUZZ_CHECK(reader.in_request());
    from = cut;
  }
  reader.Feed(stream.substr(from));
  take();
  if (reader.TakeContinue()) FUZZ_CHECK(reader.in_request());
  out.error = reader.error_status();
  if (out.error != 0) {
    FUZZ_CHECK(out.error == 400 || out.error == 413 || out.error == 414 || out.error == 431);
  }
  return out;
}

bool IsLimit(int status) {
  return status == 413 || status == 414 || status == 431;
}

bool NoLineBreak(std::string_view s) {
  return s.find('\r') == std::string_view::npos && s.find('\n') == std::string_view::npos;
}

void CheckResponse(const HttpResponse& r, bool head) {
  FUZZ_CHECK(r.status >= 200 && r.status <= 599);
  FUZZ_CHECK(pykv::http::ReasonPhrase(r.status) != "Unknown");
  FUZZ_CHECK(NoLineBreak(r.content_type));
  for (const auto& [name, value] : r.headers) {
    FUZZ_CHECK(!name.empty() && NoLineBreak(name));
    FUZZ_CHECK(NoLineBreak(value));
  }
  if (r.content_type == "application/json") {
    rapidjson::Document d;
    d.Parse<rapidjson::kParseValidateEncodingFlag>(r.body.data(), r.body.size());
    FUZZ_CHECK(!d.HasParseError());
    FUZZ_CHECK(d.IsObject());
  }
  OutBuffer out;
  pykv::http::EncodeResponse(r, true, head, &out);
  const std::string wire = out.ToString();
  FUZZ_CHECK(wire.rfind("HTTP/1.1 " + std::to_string(r.status) + " ", 0) == 0);
  FUZZ_CHECK(wire.find("\r\nContent-Length: " + std::to_string(r.body.size()) + "\r\n") !=
             std::string::npos);
  const size_t end = wire.find("\r\n\r\n");
  FUZZ_CHECK(end != std::string::npos);
  FUZZ_CHECK(wire.size() - end - 4 == (head ? 0 : r.body.size()));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < kHeader) return 0;
  const uint8_t flags = data[0];
  uint32_t seed = (uint32_t{data[1]} << 16) | (uint32_t{data[2]} << 8) | data[3];
  const uint32_t choices =
      (uint32_t{data[4]} << 24) | (uint32_t{data[5]} << 16) | (uint32_t{data[6]} << 8) | data[7];
  const std::string_view stream(reinterpret_cast<const char*>(data) + kHeader, size - kHeader);

  ReaderLimits limits;
  if ((flags & 1) != 0) {  // small limits, so inputs reach 413 and 431 cheaply
    limits.max_header_bytes = 64 + (flags >> 2) * 4;
    limits.max_body_bytes = 16 + (flags >> 3);
  }

  // Split points from a small xorshift generator.
  std::vector<size_t> cuts;
  if (!stream.empty()) {
    const size_t n = seed % 17;
    for (size_t i = 0; i < n; ++i) {
      seed ^= seed << 13;
      seed ^= seed >> 17;
      seed ^= seed << 5;
      cuts.push_back(seed % stream.size());
    }
    std::sort(cuts.begin(), cuts.end());
  }
  std::vector<HttpRequest> requests;
  const Outcome whole = Feed(stream, {}, limits, &requests);
  const Outcome split = Feed(stream, cuts, limits, nullptr);
  // Input that is both too large and malformed may meet either check first, depending on
  // where libhttp-parser's callbacks fall: the status may then differ, never whether the
  // input failed, nor the requests before the failure.
  FUZZ_CHECK(whole.requests == split.requests);
  FUZZ_CHECK((whole.error == 0) == (split.error == 0));
  if (whole.error != split.error) FUZZ_CHECK(IsLimit(whole.error) || IsLimit(split.error));

  const std::string password = (flags & 2) != 0 ? "pw" : "";
  const uint64_t max_value = 1 << 20;
  pykv::cmd::DispatcherStats command_stats;
  HttpStats http_stats;
  KvApi api(ApiContext{&password, &max_value, &command_stats, &http_stats});
  FakeRunner runner(choices);
  const int postpone_at = (flags & 0x30) == 0 ? -1 : ((flags >> 4) & 3) - 1;
  for (const HttpRequest& req : requests) {
    std::string route;
    runner.StartAttempt(postpone_at);
    std::optional<HttpResponse> r = api.Handle(req, runner, &route);
    if (!r) {
      // Postponed: it runs again from the start, as the session does when the pause ends.
      runner.StartAttempt(-1);
      r = api.Handle(req, runner, &route);
    }
    FUZZ_CHECK(r.has_value());
    FUZZ_CHECK(!route.empty());
    http_stats.Count(route, r->status);
    CheckResponse(*r, req.head);
  }
  return 0;
}
