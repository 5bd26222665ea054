// SipHash: Aumasson and Bernstein's keyed pseudorandom function with a 64-bit output, for
// hash tables whose keys come from clients. Without the 128-bit key an attacker cannot
// predict where a key lands, so cannot send keys that all share one bucket (hash
// flooding). SipHash-1-3 (one compression round per 8-byte word, three finalization
// rounds) is the table hash, as in Redis; SipHash-2-4 is the variant the published test
// vectors cover. Pure functions, any thread; RandomSipHashKey may block at boot until the
// kernel's entropy pool is ready.
#pragma once

#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace pykv {

using SipHashKey = std::array<uint8_t, 16>;

// The key as the two little-endian words the algorithm works on, converted once so that
// each hash starts from registers.
struct SipHashKeyWords {
  uint64_t k0 = 0;
  uint64_t k1 = 0;
};
SipHashKeyWords SipHashKeyToWords(const SipHashKey& key);

// 16 bytes from getrandom(2) (std::random_device if that fails): a fresh secret per process.
SipHashKey RandomSipHashKey();

namespace siphash_internal {

inline uint64_t LoadLe64(const uint8_t* p) {
  uint64_t v;
  std::memcpy(&v, p, sizeof(v));
  if constexpr (std::endian::native == std::endian::big) v = __builtin_bswap64(v);
  return v;
}

inline uint64_t LoadLe32(const uint8_t* p) {
  uint32_t v;
  std::memcpy(&v, p, sizeof(v));
  if constexpr (std::endian::native == std::endian::big) v = __builtin_bswap32(v);
  return v;
}

struct State {
  uint64_t v0, v1, v2, v3;

  void Round() {
    v0 += v1;
    v1 = std::rotl(v1, 13);
    v1 ^= v0;
    v0 = std::rotl(v0, 32);
    v2 += v3;
    v3 = std::rotl(v3, 16);
    v3 ^= v2;
    v0 += v3;
    v3 = std::rotl(v3, 21);
    v3 ^= v0;
    v2 += v1;
    v1 = std::rotl(v1, 17);
    v1 ^= v2;
    v2 = std::rotl(v2, 32);
  }

  template <int kRounds>
  void Absorb(uint64_t m) {
    v3 ^= m;
    for (int i = 0; i < kRounds; ++i) Round();
    v0 ^= m;
  }
};

// The last 1..7 bytes of the input as a little-endian word; `end` is one past the input,
// `n` its total length. Whole-word loads where they stay inside the input.
inline uint64_t TailWord(const uint8_t* end, size_t n, size_t r) {
  if (n >= 8) {
    // The word ending at the input's end holds the tail in its top r bytes.
    return LoadLe64(end - 8) >> (64 - 8 * r);
  }
  const uint8_t* p = end - r;
  if (r >= 4) {
    // Two overlapping 4-byte reads; the bytes read twice agree, so OR merges them.
    return LoadLe32(p) | (LoadLe32(p + r - 4) << (8 * (r - 4)));
  }
  // r in 1..3: first, middle and last byte cover every position.
  return static_cast<uint64_t>(p[0]) | (static_cast<uint64_t>(p[r / 2]) << (8 * (r / 2))) |
         (static_cast<uint64_t>(p[r - 1]) << (8 * (r - 1)));
}

}  // namespace siphash_internal

// SipHash-c-d of data[0..n) under key.
template <int kCompressionRounds, int kFinalizationRounds>
uint64_t SipHash(const SipHashKeyWords& key, const void* data, size_t n) {
  using siphash_internal::LoadLe64;
  // The initial state is the key XORed with the ASCII of "somepseudorandomlygeneratedbytes".
  siphash_internal::State s{key.k0 ^ 0x736f6d6570736575ULL, key.k1 ^ 0x646f72616e646f6dULL,
                            key.k0 ^ 0x6c7967656e657261ULL, key.k1 ^ 0x7465646279746573ULL};
  const auto* p = static_cast<const uint8_t*>(data);
  const uint8_t* const end = p + n;
  const uint8_t* const words_end = p + (n & ~size_t{7});
  for (; p != words_end; p += 8) s.Absorb<kCompressionRounds>(LoadLe64(p));
  // The last word carries the length (mod 256) in its top byte, below it any leftover bytes.
  uint64_t last = static_cast<uint64_t>(n) << 56;
  size_t r = n & 7;
  if (r != 0) last |= siphash_internal::TailWord(end, n, r);
  s.Absorb<kCompressionRounds>(last);
  s.v2 ^= 0xff;
  for (int i = 0; i < kFinalizationRounds; ++i) s.Round();
  return s.v0 ^ s.v1 ^ s.v2 ^ s.v3;
}

inline uint64_t SipHash13(const SipHashKeyWords& key, std::string_view data) {
  return SipHash<1, 3>(key, data.data(), data.size());
}

inline uint64_t SipHash24(const SipHashKeyWords& key, std::string_view data) {
  return SipHash<2, 4>(key, data.data(), data.size());
}

}  // namespace pykv
