// AppendInfoField: one "name:value\r\n" line of an INFO section, in Redis's format. Every
// module that writes a section (the server's, persistence, replication) uses it, so the
// lines cannot drift apart. Pure functions; any thread.
#pragma once

#include <concepts>
#include <string>
#include <string_view>

namespace pykv {

inline void AppendInfoField(std::string* out, std::string_view name, std::string_view value) {
  out->append(name);
  out->push_back(':');
  out->append(value);
  out->append("\r\n");
}

// Integers in decimal (a bool reads 1 or 0, as Redis writes flags).
template <std::integral T>
void AppendInfoField(std::string* out, std::string_view name, T value) {
  AppendInfoField(out, name, std::to_string(value));
}

}  // namespace pykv
