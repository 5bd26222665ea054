// URL pieces the HTTP adapter needs: splitting a request-target into its path and query
// (libhttp-parser's URL parser finds them), percent-decoding (RFC 3986; '+' is a space in
// queries only), and percent-encoding a key for a Location header. Pure functions; any
// thread.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace pykv::http {

struct Target {
  std::string path;   // still percent-encoded
  std::string query;  // without the '?'
};
// Empty optional when the target is not a valid origin-form URL.
std::optional<Target> SplitTarget(std::string_view target);

// Empty optional on a malformed escape ("%G1", a trailing "%").
std::optional<std::string> PercentDecode(std::string_view s, bool plus_is_space = false);
// Encodes every byte outside RFC 3986's unreserved set.
std::string PercentEncode(std::string_view s);

// "a=1&b=x%20y" -> {{"a","1"},{"b","x y"}}; empty optional on a malformed escape.
std::optional<std::vector<std::pair<std::string, std::string>>> ParseQuery(std::string_view q);

}  // namespace pykv::http
