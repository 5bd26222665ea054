#include "common/memory.h"

#include <doctest/doctest.h>

#include <cstring>
#include <memory>
#include <string>
#include <vector>

namespace pykv {
namespace {

// Keeps the compiler from eliding an allocation whose contents are never read.
void Touch(char* p, size_t n) {
  std::memset(p, 0x5a, n);
  asm volatile("" : : "r"(p) : "memory");
}

TEST_CASE("allocator identity") {
  const std::string name = AllocatorName();
  if (AllocatorHasStats()) {
    CHECK(name.rfind("jemalloc-", 0) == 0);
    // "jemalloc-5.3.0": a version, with the git suffix stripped.
    CHECK(name.size() > std::strlen("jemalloc-"));
    CHECK(name.find("-g") == std::string::npos);
    CHECK(std::isdigit(static_cast<unsigned char>(name[std::strlen("jemalloc-")])));
  } else {
    CHECK(name == "libc");
    CHECK(AllocatedBytes() == 0);
  }
}

TEST_CASE("AllocatedBytes follows a large allocation between and across refreshes") {
  if (!AllocatorHasStats()) {
    RefreshAllocatorStats();  // Harmless without jemalloc.
    CHECK(AllocatedBytes() == 0);
    return;
  }
  constexpr size_t kBig = 64 << 20;
  RefreshAllocatorStats();
  const size_t before = AllocatedBytes();
  CHECK(before > 0);

  auto block = std::make_unique<char[]>(kBig);
  Touch(block.get(), kBig);
  // Without a refresh: the per-thread counters must already show it.
  const size_t during = AllocatedBytes();
  CHECK(during >= before + kBig);
  CHECK(during < before + kBig + (8 << 20));

  // After a refresh: the global figure includes it too.
  RefreshAllocatorStats();
  const size_t refreshed = AllocatedBytes();
  CHECK(refreshed >= before + kBig);
  CHECK(refreshed < before + kBig + (8 << 20));

  block.reset();
  const size_t after = AllocatedBytes();
  CHECK(after + kBig <= refreshed + (1 << 20));
  RefreshAllocatorStats();
  CHECK(AllocatedBytes() + kBig <= refreshed + (1 << 20));
}

TEST_CASE("many small allocations are counted without a refresh") {
  if (!AllocatorHasStats()) return;
  RefreshAllocatorStats();
  const size_t before = AllocatedBytes();
  std::vector<std::unique_ptr<char[]>> blocks;
  for (int i = 0; i < 10000; ++i) {
    blocks.push_back(std::make_unique<char[]>(100));
    Touch(blocks.back().get(), 100);
  }
  // 10000 x 100 bytes lands in 112-byte size classes.
  CHECK(AllocatedBytes() >= before + 10000 * 100);
  blocks.clear();
  blocks.shrink_to_fit();
  CHECK(AllocatedBytes() < before + 10000 * 100);
}

TEST_CASE("resident set size is read from /proc") {
  const size_t rss = ResidentSetBytes();
  CHECK(rss > 1 << 20);
  constexpr size_t kBig = 32 << 20;
  auto block = std::make_unique<char[]>(kBig);
  Touch(block.get(), kBig);  // Touching makes the pages resident.
  const size_t grown = ResidentSetBytes();
  CHECK(grown >= rss + kBig / 2);
  const size_t peak = PeakResidentSetBytes();
  CHECK(peak >= grown - (1 << 20));  // VmHWM is sampled in kB; allow rounding.
  CHECK(peak % 1024 == 0);
}

TEST_CASE("UsableSize") {
  CHECK(UsableSize(nullptr) == 0);
  auto small = std::make_unique<char[]>(10);
  CHECK(UsableSize(small.get()) >= 10);
  CHECK(UsableSize(small.get()) < 64);
  auto big = std::make_unique<char[]>(100000);
  CHECK(UsableSize(big.get()) >= 100000);
}

}  // namespace
}  // namespace pykv
