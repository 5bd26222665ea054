// OutBuffer tests live with resp's because the common test binary belongs to another
// module owner; OutBuffer is reached here through pykv_resp's dependency on pykv_common.
#include "common/out_buffer.h"

#include <doctest/doctest.h>

#include <cstring>
#include <random>
#include <string>
#include <vector>

namespace pykv {
namespace {

constexpr size_t kChunk = OutBuffer::kChunkSize;

std::vector<std::string> Iovs(const OutBuffer& b, size_t max = 64) {
  std::vector<struct iovec> iov(max);
  size_t n = b.PeekIov(iov.data(), max);
  std::vector<std::string> out;
  for (size_t i = 0; i < n; ++i) {
    out.emplace_back(static_cast<const char*>(iov[i].iov_base), iov[i].iov_len);
  }
  return out;
}

TEST_CASE("empty buffer") {
  OutBuffer b;
  CHECK(b.empty());
  CHECK(b.size() == 0);
  CHECK(b.MemoryUsage() == 0);
  CHECK(b.ToString().empty());
  CHECK(Iovs(b).empty());
  b.Commit(0);  // harmless without a Reserve
  b.Consume(0);
  b.Clear();
  b.ShrinkIfIdle();
  CHECK(b.empty());
}

TEST_CASE("small appends share one chunk") {
  OutBuffer b;
  b.Append("+OK\r\n");
  b.Append(':');
  b.Append("12\r\n", 4);
  b.Append(std::string_view());
  CHECK(b.size() == 10);
  CHECK(b.ToString() == "+OK\r\n:12\r\n");
  CHECK(b.MemoryUsage() == kChunk);
  CHECK(Iovs(b) == std::vector<std::string>{"+OK\r\n:12\r\n"});
}

TEST_CASE("reserve and commit") {
  OutBuffer b;
  char* p = b.Reserve(10);
  std::memcpy(p, "abc", 3);
  b.Commit(3);
  CHECK(b.ToString() == "abc");
  // Committing less than reserved leaves the rest for the next write.
  p = b.Reserve(100);
  p[0] = 'd';
  b.Commit(1);
  b.Append("e");
  CHECK(b.ToString() == "abcde");
  CHECK(b.MemoryUsage() == kChunk);
  // Reserve bigger than what is left in the tail: a new contiguous chunk.
  p = b.Reserve(kChunk);
  std::memset(p, 'x', kChunk);
  b.Commit(kChunk);
  CHECK(b.size() == 5 + kChunk);
  CHECK(Iovs(b).size() == 2);
  CHECK(Iovs(b)[1] == std::string(kChunk, 'x'));
  // Reserve bigger than a chunk.
  p = b.Reserve(3 * kChunk);
  std::memset(p, 'y', 3 * kChunk);
  b.Commit(3 * kChunk);
  CHECK(Iovs(b).size() == 3);
  CHECK(Iovs(b)[2].size() == 3 * kChunk);
}

TEST_CASE("an empty tail too small for a reservation is replaced, never left empty") {
  OutBuffer b;
  b.Append("a");
  b.Reserve(kChunk);  // new chunk, left empty
  b.Commit(0);
  b.Reserve(2 * kChunk);  // the empty tail is too small: replaced
  b.Commit(1);
  CHECK(Iovs(b).size() == 2);
  CHECK(b.MemoryUsage() == kChunk + 2 * kChunk);
}

TEST_CASE("a big append fills the tail, then lands in one chunk") {
  OutBuffer b;
  b.Append(std::string(100, 'a'));
  std::string big(1 << 20, 'b');
  b.Append(big);
  std::vector<std::string> iovs = Iovs(b);
  REQUIRE(iovs.size() == 2);
  CHECK(iovs[0].size() == kChunk);
  CHECK(iovs[1].size() == big.size() - (kChunk - 100));
  CHECK(b.ToString() == std::string(100, 'a') + big);
  CHECK(b.MemoryUsage() == kChunk + iovs[1].size());
  // A following small append gets a fresh standard chunk.
  b.Append("\r\n");
  CHECK(Iovs(b).size() == 3);
  CHECK(b.MemoryUsage() == 2 * kChunk + iovs[1].size());
}

TEST_CASE("consume across chunks") {
  OutBuffer b;
  std::string all;
  for (int i = 0; i < 5000; ++i) {
    std::string s = "reply-" + std::to_string(i) + "\r\n";
    b.Append(s);
    all += s;
  }
  CHECK(b.size() == all.size());
  size_t chunks = Iovs(b).size();
  CHECK(chunks > 2);
  b.Consume(10);
  CHECK(b.ToString() == all.substr(10));
  b.Consume(kChunk);
  CHECK(b.ToString() == all.substr(10 + kChunk));
  CHECK(Iovs(b).size() == chunks - 1);
  CHECK(b.MemoryUsage() == (chunks - 1) * kChunk);
  // PeekIov honours max.
  CHECK(Iovs(b, 1).size() == 1);
  CHECK(Iovs(b, 1)[0] == all.substr(10 + kChunk, kChunk - 10));
  b.Consume(b.size());
  CHECK(b.empty());
  CHECK(Iovs(b).empty());
}

TEST_CASE("a drained buffer keeps one standard chunk, but not a big one") {
  OutBuffer b;
  for (int i = 0; i < 3000; ++i) b.Append("some reply\r\n");  // several standard chunks
  CHECK(Iovs(b).size() > 1);
  b.Consume(b.size());
  CHECK(b.empty());
  CHECK(b.MemoryUsage() == kChunk);
  char* first = b.Reserve(1);
  b.Append("x");
  CHECK(b.ToString() == "x");
  // The kept chunk is rewound, so the next reply starts at its beginning.
  struct iovec iov;
  REQUIRE(b.PeekIov(&iov, 1) == 1);
  CHECK(iov.iov_base == first);
  b.Consume(1);
  CHECK(b.MemoryUsage() == kChunk);

  OutBuffer big;
  big.Reserve(10 * kChunk);
  big.Commit(10 * kChunk);
  big.Consume(10 * kChunk);
  CHECK(big.MemoryUsage() == 0);
}

TEST_CASE("clear and shrink") {
  OutBuffer b;
  b.Append(std::string(5 * kChunk, 'a'));
  b.Clear();
  CHECK(b.empty());
  CHECK(b.MemoryUsage() <= kChunk);
  b.Append("abc");
  b.ShrinkIfIdle();  // not idle: keeps its bytes
  CHECK(b.ToString() == "abc");
  b.Consume(3);
  b.ShrinkIfIdle();
  CHECK(b.MemoryUsage() == 0);
  b.Append("again");
  CHECK(b.ToString() == "again");
}

TEST_CASE("moves carry the contents") {
  OutBuffer a;
  a.Append("hello");
  OutBuffer b(std::move(a));
  CHECK(b.ToString() == "hello");
  OutBuffer c;
  c = std::move(b);
  c.Append(" world");
  CHECK(c.ToString() == "hello world");
}

TEST_CASE("queued bytes never move while more is appended (writes in flight)") {
  OutBuffer b;
  b.Append(std::string(kChunk - 10, 'a'));
  std::vector<struct iovec> iov(4);
  REQUIRE(b.PeekIov(iov.data(), 4) == 1);
  const void* base = iov[0].iov_base;
  for (int i = 0; i < 1000; ++i) b.Append("more bytes");
  REQUIRE(b.PeekIov(iov.data(), 4) >= 1);
  CHECK(iov[0].iov_base == base);
}

TEST_CASE("random operations match a string model") {
  std::mt19937 rng(7);
  OutBuffer b;
  std::string model;
  for (int step = 0; step < 20000; ++step) {
    switch (rng() % 6) {
      case 0:
      case 1: {
        size_t n = rng() % 3 == 0 ? rng() % (3 * kChunk) : rng() % 64;
        std::string s(n, static_cast<char>('a' + step % 26));
        b.Append(s);
        model += s;
        break;
      }
      case 2: {
        size_t n = rng() % 2 == 0 ? rng() % 64 : rng() % (2 * kChunk);
        size_t k = n == 0 ? 0 : rng() % (n + 1);
        char* p = b.Reserve(n);
        std::memset(p, 'r', k);
        b.Commit(k);
        model.append(k, 'r');
        break;
      }
      case 3:
      case 4: {
        size_t n = model.empty() ? 0 : rng() % (model.size() + 1);
        b.Consume(n);
        model.erase(0, n);
        break;
      }
      case 5:
        if (rng() % 10 == 0) {
          b.Clear();
          model.clear();
        } else {
          b.ShrinkIfIdle();
        }
        break;
    }
    REQUIRE(b.size() == model.size());
    if (step % 97 == 0) {
      REQUIRE(b.ToString() == model);
      std::string joined;
      for (const std::string& s : Iovs(b, 1 << 12)) {
        CHECK(!s.empty());
        joined += s;
      }
      REQUIRE(joined == model);
    }
  }
}

}  // namespace
}  // namespace pykv
