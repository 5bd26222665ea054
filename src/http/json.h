// JSON for the HTTP adapter, on RapidJSON: reading and validating /kv request bodies into
// FastAPI's 422 error shape, UTF-8 checks and a small writer alias (base64 for what is not
// text is common/base64.h). Pure functions; any thread.
#pragma once

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pykv::http {

using JsonWriter = rapidjson::Writer<rapidjson::StringBuffer>;

inline void WriteString(JsonWriter& w, std::string_view s) {
  w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
}

bool IsValidUtf8(std::string_view s);

// One entry of FastAPI's {"detail": [...]}.
struct ValidationError {
  std::vector<std::string> loc;  // "body", "value"
  std::string msg;
  std::string type;
  std::optional<int64_t> ctx_gt;   // ctx.gt for greater_than
  std::optional<int64_t> ctx_le;   // ctx.le for less_than_equal
  std::optional<int64_t> ctx_len;  // ctx.min_length / ctx.max_length
  std::string ctx_len_name;
};
// {"detail": [...]} text.
std::string ValidationBody(const std::vector<ValidationError>& errors);

// The largest ttl_ms a body may give (2^62 ms): any larger and now + ttl could overflow the
// expiry clock, which SET refuses.
inline constexpr int64_t kMaxTtlMs = int64_t{1} << 62;

// The fields of a /kv body. Which are allowed and required depends on the route.
struct KvBody {
  std::optional<std::string> key;
  std::optional<std::string> value;
  std::optional<int64_t> ttl_ms;
};
struct BodyRules {
  bool key_allowed = false;
  uint64_t max_key_bytes = 0;
  uint64_t max_value_bytes = 0;
};
// Parses and validates; on failure the errors to answer with 422.
std::optional<KvBody> ParseKvBody(std::string_view body, const BodyRules& rules,
                                  std::vector<ValidationError>* errors);

}  // namespace pykv::http
