// Reply formatting: how pykv-cli prints a server reply, byte for byte as redis-cli 7.0 does,
// so scripts and eyes trained on redis-cli read PyKV's output unchanged:
//   - kHuman (stdout is a terminal): `OK`, `"hello"` (quoted with C escapes), `(nil)`,
//     `(integer) 3`, `(double) 1.5`, `(error) ERR ...`, numbered arrays `1) ...` with nested
//     aggregates indented under their number, maps as `1# "key" => value`, sets as `1~ ...`,
//     `(empty array)` / `(empty hash)` / `(empty set)`;
//   - kRaw (piped output, --raw): payloads as they are, one per line, map entries as
//     `key value`, nothing for nil, and an error followed by an empty line.
// Pure functions; any thread.
#pragma once

#include <string>

#include "resp/reply_parser.h"

namespace pykv::cli {

enum class OutputMode { kHuman, kRaw };

// The text to print for one reply, ending with a newline.
std::string FormatReply(const resp::ReplyValue& reply, OutputMode mode);

}  // namespace pykv::cli
