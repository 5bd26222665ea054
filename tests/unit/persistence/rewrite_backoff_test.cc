#include "persistence/rewrite_backoff.h"

#include <doctest/doctest.h>

namespace pykv::persistence {
namespace {

constexpr int64_t kMin = 60'000;

TEST_CASE("RewriteBackoff: the first failures retry at once") {
  RewriteBackoff b;
  int64_t wait = -1;
  for (uint64_t failures = 0; failures < RewriteBackoff::kFreeRetries; ++failures) {
    CHECK(b.MayStart(1000, failures, &wait));
    CHECK(wait == 0);
  }
}

TEST_CASE("RewriteBackoff: from the third failure on the wait doubles up to an hour") {
  RewriteBackoff b;
  int64_t now = 5'000;
  int64_t wait = 0;
  uint64_t failures = RewriteBackoff::kFreeRetries;
  int64_t expected = kMin;
  for (int round = 0; round < 9; ++round) {
    // The call that finds the limit opens a wait and says how long it is, once.
    CHECK_FALSE(b.MayStart(now, failures, &wait));
    CHECK(wait == expected);
    CHECK_FALSE(b.MayStart(now + expected - 1, failures, &wait));
    CHECK(wait == 0);
    // When the wait is over one attempt goes ahead; it fails again.
    now += expected;
    CHECK(b.MayStart(now, failures, &wait));
    ++failures;
    expected = expected * 2 > 60 * kMin ? 60 * kMin : expected * 2;
  }
  CHECK(expected == 60 * kMin);
}

TEST_CASE("RewriteBackoff: a success starts over") {
  RewriteBackoff b;
  int64_t wait = 0;
  CHECK_FALSE(b.MayStart(0, 3, &wait));
  CHECK(b.MayStart(kMin, 3, &wait));
  CHECK_FALSE(b.MayStart(kMin, 4, &wait));
  CHECK(wait == 2 * kMin);
  CHECK(b.MayStart(kMin + 1, 0, &wait));  // the rewrite BGREWRITEAOF started succeeded
  CHECK_FALSE(b.MayStart(kMin + 2, 3, &wait));
  CHECK(wait == kMin);
}

}  // namespace
}  // namespace pykv::persistence
