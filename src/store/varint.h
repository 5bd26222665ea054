// Varints (LEB128, 7 bits a byte, low bits first): the length encoding shared by the
// keyspace's entry layout and the snapshot format, so that a key or value length costs one
// byte in the common case. Header-only and inline because entry lookups decode two of these
// on every access. Pure functions on caller-owned bytes: store/ code, any thread.
#pragma once

#include <cstddef>
#include <cstdint>

namespace pykv::store {

// The most bytes a 64-bit value takes.
inline constexpr size_t kMaxVarintBytes = 10;

inline size_t VarintLen(uint64_t v) {
  size_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    ++n;
  }
  return n;
}

// Writes v at p (VarintLen(v) bytes, at most kMaxVarintBytes); returns the byte after it.
inline char* PutVarint(char* p, uint64_t v) {
  while (v >= 0x80) {
    *p++ = static_cast<char>((v & 0x7f) | 0x80);
    v >>= 7;
  }
  *p++ = static_cast<char>(v);
  return p;
}

// Decodes a varint that this process wrote with PutVarint (an entry in memory): no bounds
// and no overflow checks, which would cost on every key access and can never fire there.
// Never for bytes from outside (use GetVarint with an end).
inline const char* GetVarintUnchecked(const char* p, uint64_t* v) {
  uint8_t b = static_cast<uint8_t>(*p++);
  if (b < 0x80) {
    *v = b;
    return p;
  }
  uint64_t r = b & 0x7f;
  int shift = 7;
  for (;;) {
    b = static_cast<uint8_t>(*p++);
    r |= static_cast<uint64_t>(b & 0x7f) << shift;
    if (b < 0x80) break;
    shift += 7;
  }
  *v = r;
  return p;
}

// Decodes a varint from untrusted bytes [p, end); null if it runs past end or past 64 bits
// (a damaged length must not turn into a plausible one by overflowing).
inline const char* GetVarint(const char* p, const char* end, uint64_t* v) {
  uint64_t result = 0;
  for (int shift = 0; shift < 64 && p < end; shift += 7) {
    const auto byte = static_cast<uint8_t>(*p++);
    if (shift == 63 && byte > 1) return nullptr;
    result |= static_cast<uint64_t>(byte & 0x7f) << shift;
    if ((byte & 0x80) == 0) {
      *v = result;
      return p;
    }
  }
  return nullptr;
}

}  // namespace pykv::store
