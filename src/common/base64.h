// Base64 (RFC 4648, standard alphabet, with padding): how the /kv API carries keys and
// values that are not UTF-8 text in JSON. The server encodes (http/), pykv-cli decodes
// (cli/). Pure functions; any thread.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace pykv {

std::string Base64Encode(std::string_view bytes);
// The bytes, or empty optional when `text` is not well-formed padded base64 (no
// whitespace, padding only at the end).
std::optional<std::string> Base64Decode(std::string_view text);

}  // namespace pykv
