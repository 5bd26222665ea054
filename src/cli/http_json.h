// The JSON side of pykv-cli's HTTP mode, on RapidJSON: the bodies it sends to /kv and the
// pieces it reads back from /kv items, key pages, error details and /health, including
// the base64 the API uses for values and keys that are not UTF-8 text.
// Pure functions; any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pykv::cli {

// {"key": ..., "value": ..., "ttl_ms": ...} for POST /kv/ (with key) and PUT /kv/{key}
// (without). Empty optional when the key or value is not UTF-8 text, which a JSON string
// cannot carry (the API takes text only).
std::optional<std::string> BuildKvBody(std::optional<std::string_view> key, std::string_view value,
                                       std::optional<int64_t> ttl_ms);

// What GET /kv/{key} answers: the value's bytes (base64 decoded when the item says
// "encoding": "base64") and the remaining TTL (none when the key does not expire).
struct KvItem {
  std::string value;
  std::optional<int64_t> ttl_ms;
};
std::optional<KvItem> ParseKvItem(std::string_view body);

// One page of GET /kv/?prefix=...: the keys (text ones and the decoded "binary_keys") and
// the cursor of the next page (none on the last page).
struct KeyPage {
  std::vector<std::string> keys;
  std::optional<std::string> next_cursor;
};
std::optional<KeyPage> ParseKeyPage(std::string_view body);

// The server's explanation in an error response: "detail" as text, or FastAPI's list of
// validation errors as "body.value: Input should be a valid string; ...". Empty when the
// body says nothing readable.
std::string ErrorDetail(std::string_view body);

// The "role" of a /health answer ("master", "slave"); empty when absent or not JSON.
std::string HealthRole(std::string_view body);

}  // namespace pykv::cli
