#include "store/keyspace.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "common/clock.h"
#include "store/prefetch_window.h"

namespace pykv::store {
namespace {

// Records every listener call, in order.
struct Recorder final : KeyspaceListener {
  std::vector<std::string> expired;
  std::vector<std::string> evicted;
  std::vector<std::string> modified;
  int flushes = 0;
  void OnKeyExpired(std::string_view key) override { expired.emplace_back(key); }
  void OnKeyEvicted(std::string_view key) override { evicted.emplace_back(key); }
  void OnKeyModified(std::string_view key) override { modified.emplace_back(key); }
  void OnFlush() override { ++flushes; }
};

// A clock whose monotonic time advances on every read, so time budgets run out.
class TickingClock final : public Clock {
 public:
  int64_t NowMs() const override { return now_ms_; }
  int64_t NowUs() const override { return now_ms_ * 1000; }
  int64_t MonotonicUs() const override { return mono_us_ += tick_us_; }
  void AdvanceMs(int64_t ms) { now_ms_ += ms; }
  void set_tick_us(int64_t t) { tick_us_ = t; }

 private:
  int64_t now_ms_ = 1'700'000'000'000;
  mutable int64_t mono_us_ = 0;
  int64_t tick_us_ = 1;
};

struct Fixture {
  FakeClock clock;
  Keyspace ks{&clock, {0x12, 0x34}};
  Recorder rec;
  Fixture() { ks.set_listener(&rec); }
  int64_t now() const { return clock.NowMs(); }
};

std::string Key(int i) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "key:%012d", i);  // 16 bytes
  return buf;
}

// prefix + decimal i (GCC 12's -Wrestrict misfires on "p" + std::to_string(i)).
std::string Name(const char* prefix, int i) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%s%d", prefix, i);
  return buf;
}

std::string ValueOf(const Keyspace& /*unused*/, const Entry* e) {
  return e == nullptr ? std::string("<null>") : std::string(e->value());
}

TEST_CASE_FIXTURE(Fixture, "set, get, overwrite, delete") {
  CHECK(ks.size() == 0);
  CHECK(ks.Find("a") == nullptr);
  const Entry* e = ks.Set("a", "1");
  REQUIRE(e != nullptr);
  CHECK(e->key() == "a");
  CHECK(e->value() == "1");
  CHECK(e->type() == ValueType::kString);
  CHECK_FALSE(e->has_expire());
  CHECK(e->expire_at_ms() == -1);
  CHECK(ks.size() == 1);
  CHECK(ValueOf(ks, ks.Find("a")) == "1");
  ks.Set("a", "22222");
  CHECK(ValueOf(ks, ks.Find("a")) == "22222");
  ks.Set("a", std::string(300, 'x'));
  CHECK(ValueOf(ks, ks.Find("a")) == std::string(300, 'x'));
  ks.Set("a", "3");
  CHECK(ValueOf(ks, ks.Find("a")) == "3");
  CHECK(ks.size() == 1);
  CHECK(ks.CheckInvariants());
  CHECK(ks.Delete("a"));
  CHECK_FALSE(ks.Delete("a"));
  CHECK(ks.Find("a") == nullptr);
  CHECK(ks.size() == 0);
  CHECK(ks.CheckInvariants());
}

TEST_CASE_FIXTURE(Fixture, "same-size overwrite stays in place; own value may be passed back") {
  const Entry* e1 = ks.Set("k", "abcd");
  const Entry* e2 = ks.Set("k", "wxyz");
  CHECK(e1 == e2);
  // The caller passes a view into the entry itself (e.g. a command copying a value).
  const Entry* e = ks.Find("k");
  ks.Set("k", e->value());
  CHECK(ValueOf(ks, ks.Find("k")) == "wxyz");
  e = ks.Find("k");
  ks.Set("k", e->value(), now() + 1000);  // moves (gains a TTL) while reading the old block
  CHECK(ValueOf(ks, ks.Find("k")) == "wxyz");
  e = ks.Find("k");
  ks.Set("k", e->value().substr(1, 2));
  CHECK(ValueOf(ks, ks.Find("k")) == "xy");
  CHECK(ks.CheckInvariants());
}

TEST_CASE_FIXTURE(Fixture, "binary keys and values, empty key and value") {
  std::string k1("a\0b", 3);
  std::string k2("a\0c", 3);
  std::string v1("\0\0\xff\x80", 4);
  ks.Set(k1, v1);
  ks.Set(k2, "");
  ks.Set("", "empty key");
  ks.Set(std::string(1, '\0'), std::string(1, '\0'));
  CHECK(ks.size() == 4);
  CHECK(ValueOf(ks, ks.Find(k1)) == v1);
  CHECK(ks.Find(k2) != nullptr);
  CHECK(ks.Find(k2)->value().empty());
  CHECK(ValueOf(ks, ks.Find("")) == "empty key");
  CHECK(ks.Find("")->key().empty());
  CHECK(ValueOf(ks, ks.Find(std::string(1, '\0'))) == std::string(1, '\0'));
  CHECK(ks.Find(std::string("a\0", 2)) == nullptr);
  CHECK(ks.Find("a") == nullptr);
  CHECK(ks.Delete(""));
  CHECK(ks.Find("") == nullptr);
  CHECK(ks.CheckInvariants());
}

TEST_CASE_FIXTURE(Fixture, "large values") {
  std::string big(10 * 1024 * 1024, 'q');
  for (size_t i = 0; i < big.size(); i += 4099) big[i] = static_cast<char>(i);
  const Entry* e = ks.Set("big", big);
  CHECK(e->value() == big);
  CHECK(ks.EntryBytes(e) >= big.size());
  CHECK(ks.bytes() >= big.size());
  CHECK(ValueOf(ks, ks.Find("big")) == big);
  ks.Set("big", "small");
  CHECK(ks.bytes() < 4096);
  CHECK(ks.CheckInvariants());
  // A key longer than 127 and 16383 bytes (multi-byte varints).
  std::string long_key(20000, 'k');
  ks.Set(long_key, big.substr(0, 200));
  CHECK(ValueOf(ks, ks.Find(long_key)) == big.substr(0, 200));
  CHECK(ks.CheckInvariants());
}

TEST_CASE_FIXTURE(Fixture, "stats count hits and misses of reads, as Redis's lookupKeyRead") {
  ks.Set("a", "1");
  ks.Find("a");
  ks.Find("b");
  ks.FindNoTouch("a");  // EXISTS, TYPE, TTL: counted
  ks.FindNoTouch("b");
  ks.FindForWrite("a");  // INCR, APPEND, EXPIRE: not counted
  ks.FindForWrite("b");
  ks.Peek("a");
  ks.Peek("b");
  CHECK(ks.stats().keyspace_hits == 2);
  CHECK(ks.stats().keyspace_misses == 2);
  ks.ResetStats();
  CHECK(ks.stats().keyspace_hits == 0);
}

TEST_CASE_FIXTURE(Fixture, "LRU order is exact after touches; Peek does not touch") {
  for (const char* k : {"a", "b", "c", "d"}) {
    ks.Set(k, "v");
    clock.AdvanceMs(1000);
  }
  ks.Find("a");          // order now: b c d a
  ks.Peek("b");          // no change
  ks.FindNoTouch("c");   // no change
  ks.FindForWrite("d");  // order now: b c a d
  ks.Find("a");          // order now: b c d a
  CHECK(ks.IdleSeconds(ks.Peek("b")) == 3);
  CHECK(ks.IdleSeconds(ks.Peek("a")) == 0);
  ks.set_limits({4, 0, EvictionPolicy::kAllKeysLru});
  ks.Set("e", "v");
  CHECK(rec.evicted == std::vector<std::string>{"b"});
  ks.Set("c", "v2");  // a write touches too: order d a e c
  ks.Set("f", "v");
  ks.Set("g", "v");
  CHECK(rec.evicted == std::vector<std::string>{"b", "d", "a"});
  CHECK(ks.size() == 4);
  CHECK(ks.stats().evicted_keys == 3);
  CHECK(ks.CheckInvariants());
}

TEST_CASE_FIXTURE(Fixture, "idle time and the LRU clock") {
  const Entry* e = ks.Set("a", "1");
  CHECK(e->lru_seconds() == static_cast<uint32_t>(now() / 1000));
  clock.AdvanceMs(10'500);
  CHECK(ks.IdleSeconds(ks.Peek("a")) == 10);
  ks.Find("a");
  CHECK(ks.IdleSeconds(ks.Peek("a")) == 0);
}

TEST_CASE_FIXTURE(Fixture, "maxkeys under allkeys-random and volatile policies") {
  SUBCASE("allkeys-random") {
    ks.set_limits({10, 0, EvictionPolicy::kAllKeysRandom});
    for (int i = 0; i < 100; ++i) ks.Set(Key(i), "v");
    CHECK(ks.size() == 10);
    CHECK(rec.evicted.size() == 90);
    CHECK(ks.Peek(Key(99)) != nullptr);  // the key just written survives
  }
  SUBCASE("volatile-lru evicts only volatile keys, least recent first") {
    ks.set_limits({6, 0, EvictionPolicy::kVolatileLru});
    ks.Set("p1", "v");
    ks.Set("v1", "v", now() + 100000);
    ks.Set("p2", "v");
    ks.Set("v2", "v", now() + 100000);
    ks.Set("v3", "v", now() + 100000);
    ks.Set("p3", "v");
    ks.Find("v1");  // volatile order: v2 v3 v1
    ks.Set("n1", "v");
    ks.Set("n2", "v");
    CHECK(rec.evicted == std::vector<std::string>{"v2", "v3"});
    ks.Set("n3", "v");
    ks.Set("n4", "v");  // v1 gone, then nothing volatile is left: inserted over the limit
    CHECK(rec.evicted == std::vector<std::string>{"v2", "v3", "v1"});
    CHECK(ks.size() == 7);
    CHECK(ks.OverLimits());
    CHECK_FALSE(ks.EvictToLimits());
  }
  SUBCASE("volatile-random") {
    ks.set_limits({5, 0, EvictionPolicy::kVolatileRandom});
    for (int i = 0; i < 3; ++i) ks.Set(Name("p", i), "v");
    for (int i = 0; i < 20; ++i) ks.Set(Name("v", i), "v", now() + 1000);
    CHECK(ks.size() == 5);
    for (int i = 0; i < 3; ++i) CHECK(ks.Peek(Name("p", i)) != nullptr);
    for (const std::string& k : rec.evicted) CHECK(k[0] == 'v');
  }
  SUBCASE("volatile-ttl evicts the soonest to expire") {
    ks.set_limits({4, 0, EvictionPolicy::kVolatileTtl});
    ks.Set("p", "v");
    ks.Set("t30", "v", now() + 30000);
    ks.Set("t10", "v", now() + 10000);
    ks.Set("t20", "v", now() + 20000);
    ks.Set("t40", "v", now() + 40000);
    ks.Set("t50", "v", now() + 50000);
    CHECK(rec.evicted == std::vector<std::string>{"t10", "t20"});
  }
  SUBCASE("noeviction inserts and reports over limits") {
    ks.set_limits({3, 0, EvictionPolicy::kNoEviction});
    for (int i = 0; i < 5; ++i) ks.Set(Key(i), "v");
    CHECK(ks.size() == 5);
    CHECK(ks.OverLimits());
    CHECK_FALSE(ks.EvictToLimits());
    CHECK(rec.evicted.empty());
  }
  SUBCASE("a replica never evicts on its own") {
    ks.set_expire_enabled(false);
    ks.set_limits({3, 0, EvictionPolicy::kAllKeysLru});
    for (int i = 0; i < 5; ++i) ks.Set(Key(i), "v");
    CHECK(ks.size() == 5);
  }
  SUBCASE("lowering maxkeys then EvictToLimits") {
    for (int i = 0; i < 50; ++i) ks.Set(Key(i), "v");
    ks.set_limits({20, 0, EvictionPolicy::kAllKeysLru});
    CHECK(ks.OverLimits());
    CHECK(ks.EvictToLimits());
    CHECK(ks.size() == 20);
    CHECK(rec.evicted.front() == Key(0));
    CHECK(rec.evicted.back() == Key(29));
  }
  CHECK(ks.CheckInvariants());
}

TEST_CASE_FIXTURE(Fixture, "maxmemory eviction with a controlled used-memory function") {
  for (int i = 0; i < 100; ++i) ks.Set(Key(i), "v");
  size_t extra = 0;
  ks.set_used_memory_fn([&] { return ks.size() * 100 + extra; });
  ks.set_limits({0, 5000, EvictionPolicy::kAllKeysLru});
  CHECK(ks.OverLimits());
  CHECK(ks.EvictToLimits());
  CHECK(ks.size() == 50);
  CHECK(rec.evicted.front() == Key(0));
  CHECK_FALSE(ks.OverLimits());
  // Memory held elsewhere that eviction cannot free: stops once the keyspace is empty.
  extra = 1'000'000;
  CHECK_FALSE(ks.EvictToLimits());
  CHECK(ks.size() == 0);
  ks.set_limits({0, 5000, EvictionPolicy::kNoEviction});
  CHECK_FALSE(ks.EvictToLimits());
  extra = 0;
  CHECK(ks.EvictToLimits());
}

TEST_CASE_FIXTURE(Fixture, "maxmemory against the keyspace's own bytes") {
  for (int i = 0; i < 1000; ++i) ks.Set(Key(i), std::string(32, 'v'));
  size_t half = ks.bytes() / 2;
  ks.set_limits({0, half, EvictionPolicy::kAllKeysRandom});
  CHECK(ks.EvictToLimits());
  CHECK(ks.bytes() <= half);
  CHECK(ks.size() < 1000);
  CHECK(ks.CheckInvariants());
}

TEST_CASE_FIXTURE(Fixture, "lazy expiry reports to the listener") {
  ks.set_track_modifications(true);
  ks.Set("k", "v", now() + 1000);
  ks.Set("p", "v");
  CHECK(ks.volatile_size() == 1);
  const Entry* e = ks.Find("k");
  REQUIRE(e != nullptr);
  CHECK(e->has_expire());
  CHECK(e->expire_at_ms() == now() + 1000);
  clock.AdvanceMs(1000);  // at the expiry time the key still lives (Redis: now > when)
  CHECK(ks.Find("k") != nullptr);
  clock.AdvanceMs(1);
  rec.modified.clear();
  CHECK(ks.Find("k") == nullptr);
  CHECK(rec.expired == std::vector<std::string>{"k"});
  CHECK(rec.modified == std::vector<std::string>{"k"});
  CHECK(ks.stats().expired_keys == 1);
  CHECK(ks.stats().keyspace_misses == 1);
  CHECK(ks.size() == 1);
  CHECK(ks.volatile_size() == 0);
  // Peek, Delete and Set see expired keys too.
  ks.Set("a", "v", now() + 10);
  ks.Set("b", "v", now() + 10);
  ks.Set("c", "v", now() + 10);
  clock.AdvanceMs(11);
  CHECK(ks.Peek("a") == nullptr);
  CHECK_FALSE(ks.Delete("b"));
  ks.Set("c", "new", -1, /*keep_ttl=*/true);
  CHECK(rec.expired == std::vector<std::string>{"k", "a", "b", "c"});
  CHECK(ValueOf(ks, ks.Find("c")) == "new");
  CHECK_FALSE(ks.Find("c")->has_expire());
  CHECK(ks.CheckInvariants());
}

TEST_CASE_FIXTURE(Fixture, "Set stores a past expiry; SetExpire in the past deletes") {
  ks.set_track_modifications(true);
  ks.Set("k", "v", now() - 5);
  CHECK(ks.size() == 1);
  CHECK(ks.Find("k") == nullptr);
  CHECK(rec.expired.size() == 1);
  ks.Set("k", "v");
  rec.modified.clear();
  CHECK(ks.SetExpire("k", now()));
  CHECK(ks.size() == 0);
  CHECK(rec.expired.size() == 1);  // not an expiry: the caller propagates DEL
  CHECK(rec.modified == std::vector<std::string>{"k"});
  CHECK_FALSE(ks.SetExpire("missing", now() + 100));
  // A replica keeps the key with its past TTL and hides it.
  ks.set_expire_enabled(false);
  ks.Set("r", "v");
  CHECK(ks.SetExpire("r", now() - 100));
  CHECK(ks.size() == 1);
  CHECK(ks.Find("r") == nullptr);
  CHECK(ks.size() == 1);
  CHECK(ks.CheckInvariants());
}

TEST_CASE_FIXTURE(Fixture, "expiry disabled hides expired keys but keeps them") {
  ks.set_expire_enabled(false);
  ks.Set("k", "v", now() + 100);
  clock.AdvanceMs(200);
  CHECK(ks.Find("k") == nullptr);
  CHECK(ks.Peek("k") == nullptr);
  CHECK(ks.RandomEntry() == nullptr);
  CHECK(ks.ActiveExpireCycle(1000) == 0);
  CHECK(ks.size() == 1);
  CHECK(rec.expired.empty());
  // The primary's DEL removes it.
  CHECK(ks.Delete("k"));
  ks.Set("k", "v", now() + 100);
  clock.AdvanceMs(200);
  ks.set_expire_enabled(true);
  CHECK(ks.Find("k") == nullptr);
  CHECK(ks.size() == 0);
  CHECK(rec.expired == std::vector<std::string>{"k"});
}

TEST_CASE_FIXTURE(Fixture, "active expiry removes untouched keys") {
  for (int i = 0; i < 1000; ++i) ks.Set(Key(i), "v", now() + 1000);
  for (int i = 1000; i < 2000; ++i) ks.Set(Key(i), "v");
  clock.AdvanceMs(2000);
  CHECK(ks.ActiveExpireCycle(1'000'000) == 1000);
  CHECK(ks.size() == 1000);
  CHECK(ks.volatile_size() == 0);
  CHECK(rec.expired.size() == 1000);
  CHECK(ks.stats().expired_keys == 1000);
  CHECK(ks.stats().expired_stale_perc_x100 > 0);
  CHECK(ks.CheckInvariants());

  // Half stale: the cycle stops early each time but repeated cycles get them all.
  for (int i = 0; i < 500; ++i) ks.Set(Name("s", i), "v", now() + 10);
  for (int i = 0; i < 500; ++i) ks.Set(Name("l", i), "v", now() + 1'000'000);
  clock.AdvanceMs(20);
  int cycles = 0;
  while (ks.volatile_size() > 500 && cycles < 10000) {
    ks.ActiveExpireCycle(1000);
    ++cycles;
  }
  CHECK(ks.volatile_size() == 500);
  CHECK(ks.CheckInvariants());
}

TEST_CASE("active expiry respects its time budget") {
  TickingClock clock;
  Keyspace ks(&clock, {7});
  for (int i = 0; i < 10000; ++i) ks.Set(Key(i), "v", clock.NowMs() + 10);
  clock.AdvanceMs(100);
  clock.set_tick_us(10);
  size_t removed = ks.ActiveExpireCycle(100);  // about 10 rounds of 20
  CHECK(removed > 0);
  CHECK(removed < 1000);
  CHECK(ks.stats().expire_cycle_cpu_us > 0);
  while (ks.volatile_size() > 0) ks.ActiveExpireCycle(100);
  CHECK(ks.size() == 0);
  CHECK(ks.CheckInvariants());
}

TEST_CASE_FIXTURE(Fixture, "SCAN returns every key present throughout, while the table grows") {
  std::set<std::string> original;
  for (int i = 0; i < 1000; ++i) {
    ks.Set(Key(i), "v");
    original.insert(Key(i));
  }
  std::set<std::string> seen;
  uint64_t cursor = 0;
  int next = 1000;
  int calls = 0;
  do {
    cursor = ks.Scan(cursor, 10, [&](const Entry* e) { seen.insert(std::string(e->key())); });
    for (int j = 0; j < 50; ++j) ks.Set(Key(next++), "v");  // forces several doublings
    ++calls;
  } while (cursor != 0);
  CHECK(ks.size() == static_cast<size_t>(next));
  for (const std::string& k : original) {
    CAPTURE(k);
    CHECK(seen.count(k) == 1);
  }
  MESSAGE("scan calls while growing: " << calls);
  CHECK(ks.CheckInvariants());
}

TEST_CASE_FIXTURE(Fixture, "SCAN returns every key present throughout, while the table shrinks") {
  for (int i = 0; i < 20000; ++i) ks.Set(Key(i), "v");
  std::set<std::string> kept;
  for (int i = 0; i < 20000; i += 97) kept.insert(Key(i));
  std::vector<std::string> doomed;
  for (int i = 0; i < 20000; ++i) {
    if (kept.count(Key(i)) == 0) doomed.push_back(Key(i));
  }
  std::shuffle(doomed.begin(), doomed.end(), std::mt19937(1));
  std::set<std::string> seen;
  uint64_t cursor = 0;
  size_t d = 0;
  do {
    cursor = ks.Scan(cursor, 20, [&](const Entry* e) { seen.insert(std::string(e->key())); });
    for (int j = 0; j < 400 && d < doomed.size(); ++j) ks.Delete(doomed[d++]);
  } while (cursor != 0);
  for (const std::string& k : kept) {
    CAPTURE(k);
    CHECK(seen.count(k) == 1);
  }
  CHECK(ks.CheckInvariants());
}

TEST_CASE_FIXTURE(Fixture, "SCAN over a table caught mid-rehash, then alternating growth") {
  std::mt19937 rng(5);
  std::set<std::string> stable;
  for (int i = 0; i < 3000; ++i) {
    ks.Set(Key(i), "v");
    stable.insert(Key(i));
  }
  int next = 3000;
  std::vector<std::string> transient;
  std::set<std::string> seen;
  uint64_t cursor = 0;
  int round = 0;
  do {
    cursor = ks.Scan(cursor, 1 + rng() % 30,
                     [&](const Entry* e) { seen.insert(std::string(e->key())); });
    // Phases of growth and shrinkage so scans see both directions and rehash states.
    if ((round / 20) % 2 == 0) {
      for (int j = 0; j < 300; ++j) {
        transient.push_back(Key(next++));
        ks.Set(transient.back(), "v");
      }
    } else {
      for (int j = 0; j < 300 && !transient.empty(); ++j) {
        ks.Delete(transient.back());
        transient.pop_back();
      }
    }
    ++round;
  } while (cursor != 0 && round < 100000);
  CHECK(cursor == 0);
  for (const std::string& k : stable) {
    CAPTURE(k);
    CHECK(seen.count(k) == 1);
  }
  CHECK(ks.CheckInvariants());
}

TEST_CASE_FIXTURE(Fixture, "SCAN on an empty keyspace and full iteration counts") {
  int n = 0;
  CHECK(ks.Scan(0, 10, [&](const Entry*) { ++n; }) == 0);
  CHECK(n == 0);
  for (int i = 0; i < 777; ++i) ks.Set(Key(i), "v");
  std::multiset<std::string> seen;
  uint64_t cursor = 0;
  do {
    cursor = ks.Scan(cursor, 7, [&](const Entry* e) { seen.insert(std::string(e->key())); });
  } while (cursor != 0);
  CHECK(seen.size() == 777);  // stable table: each key exactly once
  std::set<std::string> unique(seen.begin(), seen.end());
  CHECK(unique.size() == 777);
}

TEST_CASE_FIXTURE(Fixture, "ForEach visits every entry once") {
  for (int i = 0; i < 5000; ++i) ks.Set(Key(i), std::to_string(i));
  std::map<std::string, std::string> got;
  ks.ForEach([&](const Entry* e) { got[std::string(e->key())] = std::string(e->value()); });
  CHECK(got.size() == 5000);
  CHECK(got[Key(1234)] == "1234");
}

TEST_CASE_FIXTURE(Fixture, "RandomEntry") {
  CHECK(ks.RandomEntry() == nullptr);
  for (int i = 0; i < 100; ++i) ks.Set(Key(i), "v");
  std::set<std::string> seen;
  for (int i = 0; i < 2000; ++i) {
    const Entry* e = ks.RandomEntry();
    REQUIRE(e != nullptr);
    seen.insert(std::string(e->key()));
  }
  CHECK(seen.size() > 90);
  // Expired keys are skipped (and removed on the way).
  ks.Clear();
  ks.Set("live", "v");
  for (int i = 0; i < 20; ++i) ks.Set(Key(i), "v", now() + 5);
  clock.AdvanceMs(10);
  for (int i = 0; i < 50; ++i) {
    const Entry* e = ks.RandomEntry();
    REQUIRE(e != nullptr);
    CHECK(e->key() == "live");
  }
  CHECK(ks.CheckInvariants());
}

TEST_CASE_FIXTURE(Fixture, "Rename keeps value and TTL, replaces dst") {
  ks.set_track_modifications(true);
  ks.Set("src", "value", now() + 5000);
  ks.Set("dst", "old");
  ks.Set("other", "x", now() + 9000);
  rec.modified.clear();
  ks.Rename("src", "dst");
  CHECK(ks.Peek("src") == nullptr);
  const Entry* e = ks.Peek("dst");
  REQUIRE(e != nullptr);
  CHECK(e->value() == "value");
  CHECK(e->expire_at_ms() == now() + 5000);
  CHECK(ks.size() == 2);
  CHECK(ks.volatile_size() == 2);
  CHECK(rec.modified == std::vector<std::string>{"dst", "src", "dst"});
  CHECK(ks.CheckInvariants());
  // Without TTL, to a new name, and onto itself.
  ks.Set("plain", "p");
  ks.Rename("plain", "renamed-with-a-much-longer-name");
  CHECK(ValueOf(ks, ks.Find("renamed-with-a-much-longer-name")) == "p");
  CHECK_FALSE(ks.Find("renamed-with-a-much-longer-name")->has_expire());
  ks.Rename("dst", "dst");
  CHECK(ValueOf(ks, ks.Find("dst")) == "value");
  CHECK(ks.CheckInvariants());
  // The renamed key keeps its TTL.
  clock.AdvanceMs(5001);
  CHECK(ks.Find("dst") == nullptr);
  CHECK(ks.CheckInvariants());
}

TEST_CASE_FIXTURE(Fixture, "ResizeValue grows, shrinks and crosses varint widths") {
  ks.set_track_modifications(true);
  ks.Set("k", "abc");
  std::string model = "abc";
  // Appends of one byte cross the 127/128 and 16383/16384 length boundaries.
  for (int i = 0; i < 20000; ++i) {
    size_t old = model.size();
    char* v = ks.ResizeValue("k", old + 1);
    REQUIRE(v != nullptr);
    CHECK(v[old] == 0);
    v[old] = static_cast<char>('a' + i % 26);
    model.push_back(static_cast<char>('a' + i % 26));
  }
  CHECK(ValueOf(ks, ks.Find("k")) == model);
  CHECK(ks.CheckInvariants());
  // Shrink releases memory.
  size_t before = ks.EntryBytes(ks.Peek("k"));
  char* v = ks.ResizeValue("k", 10);
  CHECK(std::string(v, 10) == model.substr(0, 10));
  CHECK(ks.EntryBytes(ks.Peek("k")) < before / 2);
  // SETRANGE-like growth with zero fill, on a key with a TTL.
  ks.Set("t", "xy", now() + 1000);
  v = ks.ResizeValue("t", 1000);
  CHECK(std::string(v, 2) == "xy");
  CHECK(std::string(v + 2, 998) == std::string(998, '\0'));
  CHECK(ks.Find("t")->expire_at_ms() == now() + 1000);
  CHECK(ks.ResizeValue("missing", 3) == nullptr);
  CHECK(ks.CheckInvariants());
  CHECK(std::count(rec.modified.begin(), rec.modified.end(), "k") == 20002);
}

TEST_CASE_FIXTURE(Fixture, "small values stay exact; large appends get amortized slack") {
  ks.Set("s", std::string(32, 'v'));
  size_t exact = ks.EntryBytes(ks.Peek("s"));
  ks.ResizeValue("s", 33);
  ks.ResizeValue("s", 32);
  CHECK(ks.EntryBytes(ks.Peek("s")) == exact);
  ks.Set("big", std::string(100, 'v'));
  int moves = 0;
  const Entry* last = ks.Peek("big");
  for (int i = 0; i < 10000; ++i) {
    ks.ResizeValue("big", 101 + i);
    const Entry* e = ks.Peek("big");
    if (e != last) ++moves;
    last = e;
  }
  MESSAGE("block moves over 10000 appends: " << moves);
  CHECK(moves < 40);
}

TEST_CASE_FIXTURE(Fixture, "TTL changes relocate entries and keep every structure consistent") {
  ks.set_track_modifications(true);
  std::mt19937 rng(99);
  std::map<std::string, std::pair<std::string, int64_t>> model;
  for (int step = 0; step < 20000; ++step) {
    std::string k = Key(static_cast<int>(rng() % 300));
    int op = static_cast<int>(rng() % 8);
    auto it = model.find(k);
    switch (op) {
      case 0: {
        std::string v(rng() % 200, static_cast<char>('a' + rng() % 26));
        int64_t ttl = rng() % 2 ? now() + 1'000'000 + rng() % 1000 : -1;
        ks.Set(k, v, ttl);
        model[k] = {v, ttl};
        break;
      }
      case 1:
        if (it != model.end()) {
          int64_t at = now() + 2'000'000 + rng() % 1000;
          CHECK(ks.SetExpire(k, at));
          it->second.second = at;
        } else {
          CHECK_FALSE(ks.SetExpire(k, now() + 1000));
        }
        break;
      case 2:
        CHECK(ks.Persist(k) == (it != model.end() && it->second.second >= 0));
        if (it != model.end()) it->second.second = -1;
        break;
      case 3:
        if (it != model.end()) {
          size_t n = rng() % 300;
          char* v = ks.ResizeValue(k, n);
          std::string& mv = it->second.first;
          mv.resize(n, '\0');
          if (n > 0) {
            v[n - 1] = 'z';
            mv[n - 1] = 'z';
          }
        }
        break;
      case 4:
        CHECK(ks.Delete(k) == (it != model.end()));
        if (it != model.end()) model.erase(it);
        break;
      case 5: {
        std::string dst = Key(static_cast<int>(rng() % 300));
        if (it != model.end()) {
          ks.Rename(k, dst);
          auto val = it->second;
          model.erase(it);
          model[dst] = val;
        }
        break;
      }
      case 6: {
        std::string v(rng() % 100, 'k');
        if (it != model.end()) {
          ks.Set(k, v, -1, /*keep_ttl=*/true);
          it->second.first = v;
        }
        break;
      }
      default:
        ks.Find(k);
        break;
    }
    if (step % 500 == 0) REQUIRE(ks.CheckInvariants());
  }
  REQUIRE(ks.CheckInvariants());
  CHECK(ks.size() == model.size());
  size_t volatile_count = 0;
  for (const auto& [k, vt] : model) {
    const Entry* e = ks.Peek(k);
    REQUIRE(e != nullptr);
    CHECK(e->value() == vt.first);
    CHECK(e->expire_at_ms() == vt.second);
    if (vt.second >= 0) ++volatile_count;
  }
  CHECK(ks.volatile_size() == volatile_count);
}

TEST_CASE_FIXTURE(Fixture, "random operations with expiry and eviction keep invariants") {
  std::mt19937 rng(2024);
  const EvictionPolicy policies[] = {EvictionPolicy::kAllKeysLru, EvictionPolicy::kVolatileLru,
                                     EvictionPolicy::kAllKeysRandom,
                                     EvictionPolicy::kVolatileRandom, EvictionPolicy::kVolatileTtl};
  for (EvictionPolicy policy : policies) {
    CAPTURE(EvictionPolicyName(policy));
    ks.Clear();
    ks.ResetStats();
    ks.set_limits({150, 0, policy});
    for (int step = 0; step < 10000; ++step) {
      std::string k = Key(static_cast<int>(rng() % 400));
      switch (rng() % 10) {
        case 0:
        case 1:
        case 2:
          ks.Set(k, std::string(rng() % 150, 'x'), rng() % 2 ? now() + rng() % 5000 : -1);
          break;
        case 3:
          ks.SetExpire(k, now() + static_cast<int64_t>(rng() % 5000) - 100);
          break;
        case 4:
          ks.Persist(k);
          break;
        case 5:
          if (ks.Find(k) != nullptr) ks.ResizeValue(k, rng() % 200);
          break;
        case 6:
          if (ks.Find(k) != nullptr) ks.Rename(k, Key(static_cast<int>(rng() % 400)));
          break;
        case 7:
          clock.AdvanceMs(rng() % 200);
          ks.ActiveExpireCycle(1000);
          break;
        case 8:
          ks.RandomEntry();
          ks.Delete(k);
          break;
        default:
          ks.Scan(rng(), 10, [](const Entry*) {});
          ks.RehashStep(10);
          break;
      }
      if (policy == EvictionPolicy::kAllKeysLru || policy == EvictionPolicy::kAllKeysRandom) {
        REQUIRE(ks.size() <= 150);
      }
      if (step % 250 == 0) REQUIRE(ks.CheckInvariants());
    }
    REQUIRE(ks.CheckInvariants());
    CHECK(ks.stats().evicted_keys > 0);
    CHECK(ks.stats().expired_keys > 0);
  }
}

TEST_CASE_FIXTURE(Fixture, "modification tracking") {
  ks.Set("a", "1");
  CHECK(rec.modified.empty());
  ks.set_track_modifications(true);
  ks.Set("a", "2");
  ks.ResizeValue("a", 5);
  ks.SetExpire("a", now() + 100);
  ks.Persist("a");
  ks.Persist("a");  // no TTL: no change
  ks.Delete("a");
  ks.Delete("a");  // missing: no change
  ks.Find("b");
  CHECK(rec.modified == std::vector<std::string>{"a", "a", "a", "a", "a"});
  ks.set_track_modifications(false);
  ks.Set("c", "1");
  CHECK(rec.modified.size() == 5);
}

TEST_CASE_FIXTURE(Fixture, "Clear returns bytes to zero and reports a flush") {
  CHECK(ks.bytes() == 0);
  for (int i = 0; i < 10000; ++i) {
    ks.Set(Key(i), std::string(i % 100, 'v'), i % 3 == 0 ? now() + 1000 : -1);
  }
  CHECK(ks.bytes() > 0);
  CHECK(ks.CheckInvariants());
  ks.Clear();
  CHECK(ks.size() == 0);
  CHECK(ks.volatile_size() == 0);
  CHECK(ks.bytes() == 0);
  CHECK(rec.flushes == 1);
  CHECK(ks.Find(Key(1)) == nullptr);
  ks.Set("after", "clear");
  CHECK(ValueOf(ks, ks.Find("after")) == "clear");
  CHECK(ks.CheckInvariants());
  // Deleting everything also returns to (almost) nothing: tables shrink.
  for (int i = 0; i < 10000; ++i) ks.Set(Key(i), "v");
  for (int i = 0; i < 10000; ++i) ks.Delete(Key(i));
  ks.Delete("after");
  ks.RehashStep(1'000'000);
  CHECK(ks.bytes() <= 4 * sizeof(void*) + 64);
  CHECK(ks.CheckInvariants());
}

TEST_CASE_FIXTURE(Fixture, "RehashStep finishes a pending rehash") {
  for (int i = 0; i < 4097; ++i) ks.Set(Key(i), "v");  // grows at 4096 -> 8192
  ks.RehashStep(1'000'000);
  CHECK(ks.CheckInvariants());
  for (int i = 0; i < 4097; ++i) CHECK(ks.Peek(Key(i)) != nullptr);
}

TEST_CASE("eviction policy names") {
  for (EvictionPolicy p : {EvictionPolicy::kNoEviction, EvictionPolicy::kAllKeysLru,
                           EvictionPolicy::kVolatileLru, EvictionPolicy::kAllKeysRandom,
                           EvictionPolicy::kVolatileRandom, EvictionPolicy::kVolatileTtl}) {
    auto parsed = ParseEvictionPolicy(EvictionPolicyName(p));
    REQUIRE(parsed.ok());
    CHECK(*parsed == p);
  }
  CHECK(std::string(EvictionPolicyName(EvictionPolicy::kVolatileTtl)) == "volatile-ttl");
  CHECK(ParseEvictionPolicy("ALLKEYS-LRU").ok());
  CHECK_FALSE(ParseEvictionPolicy("allkeys-lfu").ok());
  CHECK_FALSE(ParseEvictionPolicy("").ok());
}

TEST_CASE("different hash keys place keys differently") {
  FakeClock clock;
  Keyspace a(&clock, {1});
  Keyspace b(&clock, {2});
  for (int i = 0; i < 64; ++i) {
    a.Set(Key(i), "v");
    b.Set(Key(i), "v");
  }
  std::vector<std::string> order_a;
  std::vector<std::string> order_b;
  a.ForEach([&](const Entry* e) { order_a.emplace_back(e->key()); });
  b.ForEach([&](const Entry* e) { order_b.emplace_back(e->key()); });
  CHECK(order_a != order_b);
}

TEST_CASE("the bucket is SipHash-1-3 of the key under the keyspace's hash key") {
  FakeClock clock;
  const SipHashKey key = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
  Keyspace ks(&clock, key);
  const SipHashKeyWords words = SipHashKeyToWords(key);
  for (int i = 0; i < 100; ++i) {
    std::string k = Key(i);
    CHECK(ks.HashForPrefetch(k) == SipHash13(words, k));
    CHECK(ks.BucketOf(k, 1024) == (SipHash13(words, k) & 1023));
  }
}

TEST_CASE("keys that collide under one hash key spread out under another") {
  // What a flooding client would do if it knew the hash key: keep the keys that share a
  // bucket. Under an unknown key the same keys land in buckets like any others.
  FakeClock clock;
  constexpr size_t kBuckets = 64;
  constexpr size_t kWanted = 48;
  Keyspace k1(&clock, {0x4b, 0x31});
  Keyspace k2(&clock, {0x4b, 0x32});
  std::vector<std::string> colliding;
  for (int i = 0; colliding.size() < kWanted; ++i) {
    REQUIRE(i < 100'000);
    std::string k = Name("flood:", i);
    if (k1.BucketOf(k, kBuckets) == 0) colliding.push_back(k);
  }
  std::set<size_t> buckets_k2;
  size_t still_colliding = 0;
  for (const std::string& k : colliding) {
    size_t b = k2.BucketOf(k, kBuckets);
    buckets_k2.insert(b);
    if (b == 0) ++still_colliding;
  }
  // 48 random keys over 64 buckets fill about 34 of them; one bucket gets about 0.75.
  CHECK(buckets_k2.size() >= 24);
  CHECK(still_colliding <= 6);

  // In a real table: all in one chain under k1, yet every lookup still works.
  for (const std::string& k : colliding) k1.Set(k, "v");
  for (const std::string& k : colliding) CHECK(k1.Peek(k) != nullptr);
  CHECK(k1.CheckInvariants());
}

TEST_CASE("one million keys: bytes per key") {
  FakeClock clock;
  Keyspace ks(&clock, {0xfe, 0xed});
  constexpr int kKeys = 1'000'000;
  std::string value(32, 'v');
  for (int i = 0; i < kKeys; ++i) ks.Set(Key(i), value);
  REQUIRE(ks.size() == static_cast<size_t>(kKeys));
  double per_key = static_cast<double>(ks.bytes()) / kKeys;
  MESSAGE("bytes per key (16-byte key, 32-byte value, no TTL): "
          << per_key << " (entry " << ks.EntryBytes(ks.Peek(Key(1))) << " bytes)");
  CHECK(per_key <= 110.0);
  // 30-byte header + two 1-byte varints + 16 + 32: jemalloc's 80 class (and exact under
  // ASan); glibc rounds to 88 usable bytes.
#ifdef PYKV_HAVE_JEMALLOC
  CHECK(ks.EntryBytes(ks.Peek(Key(1))) == 80);
#else
  CHECK(ks.EntryBytes(ks.Peek(Key(1))) <= 88);
#endif
  for (int i = 0; i < kKeys; i += 1000) CHECK(ks.Peek(Key(i))->value() == value);
}

TEST_CASE("prefetch window: hints never change the keyspace or the LRU order") {
  FakeClock clock;
  Keyspace ks(&clock, {11});
  for (int i = 0; i < 1000; ++i) ks.Set("key:" + std::to_string(i), "v");
  std::vector<std::string> before;
  ks.ForEach([&](const Entry* e) { before.emplace_back(e->key()); });
  const size_t bytes = ks.bytes();
  PrefetchWindow window;
  size_t peeks = 0;
  std::vector<std::string> keys = {"key:1", "", "missing", "key:999"};
  for (int round = 0; round < 100; ++round) {
    window.BeforeCommand(ks, [&](std::span<std::string_view> out) {
      ++peeks;
      size_t n = std::min(out.size(), keys.size());
      for (size_t i = 0; i < n; ++i) out[i] = keys[i];
      return n;
    });
  }
  // One peek per window of four hints (the peek's own command plus three more).
  CHECK(peeks == 25);
  std::vector<std::string> after;
  ks.ForEach([&](const Entry* e) { after.emplace_back(e->key()); });
  CHECK(after == before);
  CHECK(ks.bytes() == bytes);
  CHECK(ks.CheckInvariants());
  // The least recently used key is still the first one set.
  ks.set_limits({.maxkeys = 1000, .policy = EvictionPolicy::kAllKeysLru});
  ks.Set("new", "v");
  CHECK(ks.Peek("key:0") == nullptr);
  CHECK(ks.Peek("key:1") != nullptr);
}

TEST_CASE("command clock: one instant per command, nested commands share it") {
  FakeClock base;
  CommandClock clock(&base);
  const int64_t t0 = base.NowMs();
  CHECK(clock.NowMs() == t0);
  base.AdvanceMs(5);
  CHECK(clock.NowMs() == t0 + 5);  // outside a command: live
  clock.Enter();
  base.AdvanceMs(7);
  CHECK(clock.NowMs() == t0 + 5);  // frozen at Enter
  CHECK(clock.LiveUs() == (t0 + 12) * 1000);
  clock.Enter();  // EXEC's commands
  base.AdvanceMs(1);
  CHECK(clock.NowMs() == t0 + 5);
  clock.Leave();
  CHECK(clock.frozen());
  clock.Leave();
  CHECK_FALSE(clock.frozen());
  CHECK(clock.NowMs() == t0 + 13);
  {
    CommandClock::Scope scope(&clock);
    base.AdvanceMs(100);
    CHECK(clock.NowMs() == t0 + 13);
  }
  CHECK(clock.NowMs() == t0 + 113);
}

TEST_CASE("a key cannot expire halfway through a command") {
  FakeClock base;
  CommandClock clock(&base);
  Keyspace ks(&clock, {3});
  ks.Set("k", "v", base.NowMs() + 10);
  CommandClock::Scope scope(&clock);
  base.AdvanceMs(50);
  CHECK(ks.Find("k") != nullptr);  // the command started before the expiry
}

TEST_CASE("Reserve holds the table size until EndReserve, whatever the shrink check says") {
  FakeClock clock;
  Keyspace ks(&clock, {5});
  ks.Reserve(100'000);
  for (int i = 0; i < 10; ++i) ks.Set("k" + std::to_string(i), "v");
  const size_t reserved_bytes = ks.bytes();
  CHECK(reserved_bytes >= 100'000 * sizeof(void*));
  // The server cron: nearly empty, so it would shrink, but a load is still filling it.
  for (int i = 0; i < 10; ++i) ks.RehashStep(1'000'000);
  CHECK(ks.bytes() == reserved_bytes);
  ks.EndReserve();
  for (int i = 0; i < 10; ++i) ks.RehashStep(1'000'000);
  CHECK(ks.bytes() < reserved_bytes / 100);
  CHECK(ks.size() == 10);
  CHECK(ks.CheckInvariants());
}

}  // namespace
}  // namespace pykv::store

namespace pykv::store {
namespace {

TEST_CASE_FIXTURE(Fixture, "avg_ttl: the sampled keys' remaining TTL, 0 without volatile keys") {
  CHECK(ks.avg_ttl_ms() == 0);
  for (int i = 0; i < 100; ++i) {
    ks.Set("k" + std::to_string(i), "v", clock.NowMs() + 1'000'000);
  }
  ks.Set("persistent", "v");
  ks.ActiveExpireCycle(1000);
  CHECK(ks.avg_ttl_ms() > 990'000);
  CHECK(ks.avg_ttl_ms() <= 1'000'000);
  clock.AdvanceMs(500'000);
  for (int i = 0; i < 200; ++i) ks.ActiveExpireCycle(1000);
  // Smoothed toward the new mean of 500 s remaining, each cycle weighing 1/50.
  CHECK(ks.avg_ttl_ms() < 600'000);
  CHECK(ks.avg_ttl_ms() > 490'000);
  ks.ResetStats();  // CONFIG RESETSTAT: avg_ttl is a property of the data, not a counter
  CHECK(ks.avg_ttl_ms() > 490'000);
  for (int i = 0; i < 100; ++i) CHECK(ks.Persist("k" + std::to_string(i)));
  ks.ActiveExpireCycle(1000);
  CHECK(ks.avg_ttl_ms() == 0);
}

}  // namespace
}  // namespace pykv::store
