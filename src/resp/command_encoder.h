// Encodes an argument vector as a RESP multibulk command: the one form in which mutations
// go to the AOF and to replicas, and in which clients (pykv-cli, tests) send commands.
// Pure functions; any thread.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>

#include "common/out_buffer.h"

namespace pykv::resp {

// The encoding's exact size, and the encoding written at `out` (which has room for that
// many bytes); returns one past its end.
size_t EncodedCommandSize(std::span<const std::string_view> argv);
char* EncodeCommandAt(std::span<const std::string_view> argv, char* out);

void EncodeCommand(std::span<const std::string_view> argv, OutBuffer* out);
void EncodeCommand(std::span<const std::string_view> argv, std::string* out);
std::string EncodeCommand(std::span<const std::string_view> argv);

}  // namespace pykv::resp
