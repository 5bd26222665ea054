#include "common/siphash.h"

#include <errno.h>
#include <spdlog/spdlog.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <exception>
#include <random>

namespace pykv {

namespace {

bool FillFromKernel(uint8_t* out, size_t n) {
  size_t got = 0;
  while (got < n) {
    ssize_t r = getrandom(out + got, n - got, 0);
    if (r < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    got += static_cast<size_t>(r);
  }
  return true;
}

bool FillFromRandomDevice(uint8_t* out, size_t n) {
  try {
    std::random_device rd;
    for (size_t i = 0; i < n; i += 4) {
      uint32_t v = rd();
      std::memcpy(out + i, &v, std::min<size_t>(4, n - i));
    }
    return true;
  } catch (const std::exception& e) {
    spdlog::warn("std::random_device failed: {}", e.what());
    return false;
  }
}

}  // namespace

SipHashKeyWords SipHashKeyToWords(const SipHashKey& key) {
  return {siphash_internal::LoadLe64(key.data()), siphash_internal::LoadLe64(key.data() + 8)};
}

SipHashKey RandomSipHashKey() {
  SipHashKey key{};
  if (FillFromKernel(key.data(), key.size())) return key;
  spdlog::warn("getrandom failed ({}); seeding the hash key from std::random_device",
               std::strerror(errno));
  if (FillFromRandomDevice(key.data(), key.size())) return key;
  // No entropy source at all: still distinct per process and per start, though guessable.
  spdlog::warn("no random source; the hash key is derived from the time and pid");
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  uint64_t words[2] = {
      static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000 + static_cast<uint64_t>(ts.tv_nsec),
      static_cast<uint64_t>(getpid())};
  SipHashKey mix{};
  std::memcpy(mix.data(), words, sizeof(words));
  SipHashKeyWords w = SipHashKeyToWords(mix);
  uint64_t k0 = SipHash24(w, "k0");
  uint64_t k1 = SipHash24(w, "k1");
  std::memcpy(key.data(), &k0, 8);
  std::memcpy(key.data() + 8, &k1, 8);
  return key;
}

}  // namespace pykv
