#include "common/siphash.h"

#include <doctest/doctest.h>

#include <cstdint>
#include <random>
#include <set>
#include <string>
#include <vector>

namespace pykv {
namespace {

// SipHash-2-4, 64-bit output, from the algorithm's reference distribution: key 00 01 .. 0f,
// message i = the i bytes 00 01 .. (i-1), output as a little-endian word.
constexpr uint64_t kVectors24[64] = {
    0x726fdb47dd0e0e31ULL, 0x74f839c593dc67fdULL, 0x0d6c8009d9a94f5aULL, 0x85676696d7fb7e2dULL,
    0xcf2794e0277187b7ULL, 0x18765564cd99a68dULL, 0xcbc9466e58fee3ceULL, 0xab0200f58b01d137ULL,
    0x93f5f5799a932462ULL, 0x9e0082df0ba9e4b0ULL, 0x7a5dbbc594ddb9f3ULL, 0xf4b32f46226bada7ULL,
    0x751e8fbc860ee5fbULL, 0x14ea5627c0843d90ULL, 0xf723ca908e7af2eeULL, 0xa129ca6149be45e5ULL,
    0x3f2acc7f57c29bdbULL, 0x699ae9f52cbe4794ULL, 0x4bc1b3f0968dd39cULL, 0xbb6dc91da77961bdULL,
    0xbed65cf21aa2ee98ULL, 0xd0f2cbb02e3b67c7ULL, 0x93536795e3a33e88ULL, 0xa80c038ccd5ccec8ULL,
    0xb8ad50c6f649af94ULL, 0xbce192de8a85b8eaULL, 0x17d835b85bbb15f3ULL, 0x2f2e6163076bcfadULL,
    0xde4daaaca71dc9a5ULL, 0xa6a2506687956571ULL, 0xad87a3535c49ef28ULL, 0x32d892fad841c342ULL,
    0x7127512f72f27cceULL, 0xa7f32346f95978e3ULL, 0x12e0b01abb051238ULL, 0x15e034d40fa197aeULL,
    0x314dffbe0815a3b4ULL, 0x027990f029623981ULL, 0xcadcd4e59ef40c4dULL, 0x9abfd8766a33735cULL,
    0x0e3ea96b5304a7d0ULL, 0xad0c42d6fc585992ULL, 0x187306c89bc215a9ULL, 0xd4a60abcf3792b95ULL,
    0xf935451de4f21df2ULL, 0xa9538f0419755787ULL, 0xdb9acddff56ca510ULL, 0xd06c98cd5c0975ebULL,
    0xe612a3cb9ecba951ULL, 0xc766e62cfcadaf96ULL, 0xee64435a9752fe72ULL, 0xa192d576b245165aULL,
    0x0a8787bf8ecb74b2ULL, 0x81b3e73d20b49b6fULL, 0x7fa8220ba3b2eceaULL, 0x245731c13ca42499ULL,
    0xb78dbfaf3a8d83bdULL, 0xea1ad565322a1a0bULL, 0x60e61c23a3795013ULL, 0x6606d7e446282b93ULL,
    0x6ca4ecb15c5f91e1ULL, 0x9f626da15c9625f3ULL, 0xe51b38608ef25f57ULL, 0x958a324ceb064572ULL,
};

SipHashKey SequentialKey() {
  SipHashKey k{};
  for (size_t i = 0; i < k.size(); ++i) k[i] = static_cast<uint8_t>(i);
  return k;
}

std::string SequentialMessage(size_t n) {
  std::string m(n, '\0');
  for (size_t i = 0; i < n; ++i) m[i] = static_cast<char>(i);
  return m;
}

// A second, deliberately plain implementation: the message is padded into a byte vector
// first and every word is assembled byte by byte, so it shares no code (word loads, tail
// tricks) with the one under test.
uint64_t Rotl(uint64_t x, int b) {
  return (x << b) | (x >> (64 - b));
}

uint64_t SlowSipHash(int c, int d, const SipHashKey& key, const std::string& msg) {
  auto word_at = [](const uint8_t* p) {
    uint64_t w = 0;
    for (int i = 7; i >= 0; --i) w = (w << 8) | p[i];
    return w;
  };
  uint64_t k0 = word_at(key.data());
  uint64_t k1 = word_at(key.data() + 8);
  uint64_t v[4] = {k0 ^ 0x736f6d6570736575ULL, k1 ^ 0x646f72616e646f6dULL,
                   k0 ^ 0x6c7967656e657261ULL, k1 ^ 0x7465646279746573ULL};
  auto round = [&v] {
    v[0] += v[1];
    v[2] += v[3];
    v[1] = Rotl(v[1], 13) ^ v[0];
    v[3] = Rotl(v[3], 16) ^ v[2];
    v[0] = Rotl(v[0], 32);
    v[2] += v[1];
    v[0] += v[3];
    v[1] = Rotl(v[1], 17) ^ v[2];
    v[3] = Rotl(v[3], 21) ^ v[0];
    v[2] = Rotl(v[2], 32);
  };
  std::vector<uint8_t> padded(msg.begin(), msg.end());
  while (padded.size() % 8 != 7) padded.push_back(0);
  padded.push_back(static_cast<uint8_t>(msg.size() & 0xff));
  for (size_t off = 0; off < padded.size(); off += 8) {
    uint64_t m = word_at(padded.data() + off);
    v[3] ^= m;
    for (int i = 0; i < c; ++i) round();
    v[0] ^= m;
  }
  v[2] ^= 0xff;
  for (int i = 0; i < d; ++i) round();
  return v[0] ^ v[1] ^ v[2] ^ v[3];
}

TEST_CASE("key words are read little-endian") {
  SipHashKeyWords w = SipHashKeyToWords(SequentialKey());
  CHECK(w.k0 == 0x0706050403020100ULL);
  CHECK(w.k1 == 0x0f0e0d0c0b0a0908ULL);
}

TEST_CASE("SipHash-2-4 matches the published test vectors, lengths 0..63") {
  SipHashKeyWords w = SipHashKeyToWords(SequentialKey());
  for (size_t n = 0; n < 64; ++n) {
    CAPTURE(n);
    CHECK(SipHash24(w, SequentialMessage(n)) == kVectors24[n]);
  }
}

TEST_CASE("the plain reference implementation matches the published vectors too") {
  for (size_t n = 0; n < 64; ++n) {
    CAPTURE(n);
    CHECK(SlowSipHash(2, 4, SequentialKey(), SequentialMessage(n)) == kVectors24[n]);
  }
}

TEST_CASE("SipHash-1-3 agrees with the plain implementation at every length and alignment") {
  std::mt19937_64 rng(12345);
  for (int trial = 0; trial < 8; ++trial) {
    SipHashKey key{};
    for (uint8_t& b : key) b = static_cast<uint8_t>(rng());
    SipHashKeyWords w = SipHashKeyToWords(key);
    // Offsets 0..7 put the words at every alignment the load path can see.
    std::string buf(200 + 8, '\0');
    for (char& ch : buf) ch = static_cast<char>(rng());
    for (size_t n = 0; n <= 200; ++n) {
      for (size_t off = 0; off < 8; ++off) {
        std::string msg = buf.substr(off, n);
        CAPTURE(n);
        CAPTURE(off);
        uint64_t expected = SlowSipHash(1, 3, key, msg);
        REQUIRE(SipHash<1, 3>(w, buf.data() + off, n) == expected);
        REQUIRE(SipHash13(w, msg) == expected);
        if (n <= 64) REQUIRE(SipHash24(w, msg) == SlowSipHash(2, 4, key, msg));
      }
    }
  }
}

TEST_CASE("SipHash-1-3: the sequential messages of lengths 0..64 all hash apart") {
  SipHashKeyWords w = SipHashKeyToWords(SequentialKey());
  std::set<uint64_t> seen;
  for (size_t n = 0; n <= 64; ++n) {
    CAPTURE(n);
    uint64_t h = SipHash13(w, SequentialMessage(n));
    CHECK(h == SlowSipHash(1, 3, SequentialKey(), SequentialMessage(n)));
    CHECK(h != SipHash24(w, SequentialMessage(n)));
    seen.insert(h);
  }
  CHECK(seen.size() == 65);
  // Trailing zero bytes are not padding: the length is part of the input.
  CHECK(SipHash13(w, std::string("a")) != SipHash13(w, std::string("a\0", 2)));
  CHECK(SipHash13(w, std::string()) != SipHash13(w, std::string(8, '\0')));
}

TEST_CASE("SipHash-1-3: different keys give different outputs") {
  const SipHashKey base = SequentialKey();
  const SipHashKeyWords w_base = SipHashKeyToWords(base);
  for (size_t n = 0; n <= 64; ++n) {
    std::string msg = SequentialMessage(n);
    uint64_t h = SipHash13(w_base, msg);
    // Every single-bit change of the key changes the output (and flips about half its
    // bits; at least 10 of 64 is far below any plausible count).
    for (size_t bit = 0; bit < 128; ++bit) {
      SipHashKey k = base;
      k[bit / 8] ^= static_cast<uint8_t>(1u << (bit % 8));
      uint64_t other = SipHash13(SipHashKeyToWords(k), msg);
      CAPTURE(n);
      CAPTURE(bit);
      REQUIRE(other != h);
      CHECK(__builtin_popcountll(other ^ h) >= 10);
    }
  }
}

TEST_CASE("RandomSipHashKey gives a fresh key each call") {
  SipHashKey a = RandomSipHashKey();
  SipHashKey b = RandomSipHashKey();
  CHECK(a != b);
  CHECK(a != SipHashKey{});
}

}  // namespace
}  // namespace pykv
