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

#include <span>
#include <string>

#include "resp/reply_parser.h"

namespace pykv::cli {

// kText is kRaw without the final newline: the server's text already ends with one.
enum class OutputMode { kHuman, kRaw, kText };

// Commands whose reply is text meant to be read as it is (INFO, CLIENT LIST and INFO,
// LATENCY DOCTOR and GRAPH, MEMORY DOCTOR and MALLOC-STATS, LOLWUT, ...): redis-cli prints
// them as kText even on a terminal, and so does pykv-cli.
bool RepliesWithText(std::span<const std::string> argv);

// The text to print for one reply, ending with a newline (kText: as the reply has it).
std::string FormatReply(const resp::ReplyValue& reply, OutputMode mode);

}  // namespace pykv::cli
