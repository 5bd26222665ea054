// Builders for AOF test files: RESP commands and "#pykv-crc32" batches exactly as
// AofWriter writes them, so scanner and loader tests can make valid files and then damage
// them byte by byte.
#pragma once

#include <zlib.h>

#include <cstdio>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "resp/command_encoder.h"

namespace pykv::persistence::testing {

inline std::string Cmd(std::initializer_list<std::string_view> args) {
  std::vector<std::string_view> v(args);
  return resp::EncodeCommand(v);
}

// The annotation line AofWriter appends after a batch.
inline std::string Annotation(std::string_view batch) {
  const auto crc = static_cast<uint32_t>(
      crc32_z(0L, reinterpret_cast<const Bytef*>(batch.data()), batch.size()));
  char line[64];
  std::snprintf(line, sizeof(line), "#pykv-crc32 %08x %zu\r\n", crc, batch.size());
  return line;
}

// batch + its annotation.
inline std::string Batch(std::string_view batch) {
  return std::string(batch) + Annotation(batch);
}

}  // namespace pykv::persistence::testing
