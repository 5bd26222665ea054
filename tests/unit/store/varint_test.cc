#include "store/varint.h"

#include <doctest/doctest.h>

#include <cstdint>
#include <initializer_list>
#include <limits>

namespace pykv::store {
namespace {

constexpr uint64_t kMax = std::numeric_limits<uint64_t>::max();

TEST_CASE("round trip at every width boundary, through both decoders") {
  for (const uint64_t v : {uint64_t{0}, uint64_t{1}, uint64_t{0x7f}, uint64_t{0x80},
                           uint64_t{0x3fff}, uint64_t{0x4000}, uint64_t{1} << 63, kMax}) {
    CAPTURE(v);
    char buf[kMaxVarintBytes + 1] = {};
    const char* end = PutVarint(buf, v);
    CHECK(static_cast<size_t>(end - buf) == VarintLen(v));
    uint64_t a = 1;
    CHECK(GetVarintUnchecked(buf, &a) == end);
    CHECK(a == v);
    uint64_t b = 1;
    CHECK(GetVarint(buf, end, &b) == end);
    CHECK(b == v);
  }
  CHECK(VarintLen(0x7f) == 1);
  CHECK(VarintLen(0x80) == 2);
  CHECK(VarintLen(kMax) == kMaxVarintBytes);
}

TEST_CASE("the bounded decoder refuses truncated and overlong input") {
  char buf[kMaxVarintBytes + 1];
  const char* end = PutVarint(buf, 300);  // two bytes
  uint64_t v = 0;
  CHECK(GetVarint(buf, end - 1, &v) == nullptr);
  CHECK(GetVarint(buf, buf, &v) == nullptr);
  // Eleven continuation bytes, and a tenth byte carrying bits past 64: both damaged.
  char overlong[11];
  for (char& c : overlong) c = static_cast<char>(0x80);
  CHECK(GetVarint(overlong, overlong + sizeof(overlong), &v) == nullptr);
  char too_big[kMaxVarintBytes];
  for (char& c : too_big) c = static_cast<char>(0xff);
  too_big[kMaxVarintBytes - 1] = 0x02;
  CHECK(GetVarint(too_big, too_big + sizeof(too_big), &v) == nullptr);
}

}  // namespace
}  // namespace pykv::store
