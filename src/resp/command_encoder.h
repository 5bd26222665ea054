// Encodes an argument vector as a RESP multibulk command: the one form in which mutations
// go to the AOF and to replicas, and in which clients (pykv-cli, tests) send commands.
// Pure functions; any thread.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "common/out_buffer.h"

namespace pykv::resp {

void EncodeCommand(std::span<const std::string_view> argv, OutBuffer* out);
void EncodeCommand(std::span<const std::string_view> argv, std::string* out);
std::string EncodeCommand(std::span<const std::string_view> argv);

}  // namespace pykv::resp
