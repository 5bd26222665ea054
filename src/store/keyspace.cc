// Keyspace implementation. The layout of one entry (a single malloc'd block):
//
//   offset 0   Entry* hash_next_      chain in the bucket
//          8   Entry* lru_prev_       main LRU list, towards the least recently used
//         16   Entry* lru_next_       towards the most recently used
//         24   uint32 lru_            seconds clock of the last access
//         28   uint8  flags_          kHasExpire
//         29   uint8  type_
//         30   varint key length, varint value length
//              [extension, only with kHasExpire: int64 expire_at_ms, uint32 index in
//               volatile_, Entry* prev and Entry* next on the volatile LRU list]
//              key bytes, value bytes
//
// A 16-byte key with a 32-byte value and no TTL takes 30 + 2 + 48 = 80 bytes: exactly
// jemalloc's 80-byte class, against Redis's ~136 bytes for the same key (dictEntry, robj,
// two sds). The extension is unaligned (varints precede it) and is read with memcpy, which
// compiles to plain loads on x86-64 and arm64.
//
// Anything that changes an entry's size (TTL added or removed, value resized) may move it;
// Relocate() is the one place that repoints the hash chain, both LRU lists and the
// volatile index at the new address.
#include "store/keyspace.h"

#include <algorithm>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "common/memory.h"
#include "store/varint.h"

#ifdef PYKV_HAVE_JEMALLOC
// Declared here rather than through <jemalloc/jemalloc.h>, whose redeclarations of
// malloc & co. are not worth their noise: nallocx reports the size class a request lands
// in, so entries can ask for (and own) the whole class.
extern "C" size_t nallocx(size_t size, int flags);
#endif

namespace pykv::store {
namespace {

// Bytes of fixed header before the varints: the Entry fields up to and including type_.
constexpr size_t kHeaderBytes = 30;

// Volatile extension: offsets inside it, all unaligned.
constexpr size_t kExtExpireOff = 0;  // int64 absolute expiry, ms
constexpr size_t kExtIndexOff = 8;   // uint32 position in volatile_
constexpr size_t kExtPrevOff = 12;   // Entry* towards the oldest on the volatile list
constexpr size_t kExtNextOff = 20;   // Entry* towards the newest
constexpr size_t kExtBytes = 28;

// Redis's dict parameters: start at 4 buckets, grow at load factor 1, shrink below 10%.
constexpr size_t kInitialBuckets = 4;
constexpr size_t kMinFillPercent = 10;
// Buckets rehashed per lookup, and empty buckets a step may skip before giving up (as in
// Redis's dictRehash: bounded work per call even in a sparse table).
constexpr size_t kEmptyVisitsPerBucket = 10;
constexpr size_t kRehashPrefetchAhead = 8;

// Values up to this size are stored exactly (no growth slack): most values are small and
// rewritten whole by SET, so slack would only waste memory. Larger values that grow
// (APPEND, SETRANGE) get 1.5x room so that repeated appends are amortized O(1).
constexpr size_t kSlackThreshold = 64;

// Active expiry (Redis's activeExpireCycle): keys sampled per round, and the share of
// expired samples above which another round is worth it.
constexpr size_t kExpireSamples = 20;
constexpr size_t kExpireRepeatPercent = 25;
// volatile-ttl samples this many volatile keys and evicts the soonest to expire.
constexpr size_t kTtlSamples = 16;
// RandomEntry gives up after this many expired picks (a replica full of stale keys).
constexpr int kRandomTries = 100;

// ---- Allocation: the only place entries and bucket arrays meet the allocator ----

[[noreturn]] void OutOfMemory(size_t n) {
  std::fprintf(stderr, "pykv: out of memory allocating %zu bytes\n", n);
  std::abort();
}

// The size an allocation of n bytes really gets. Asking for it up front means every byte
// of the block was requested, so using all of it (value growth in place) is legitimate
// rather than a read of malloc_usable_size slack.
size_t GoodSize(size_t n) {
#ifdef PYKV_HAVE_JEMALLOC
  size_t good = nallocx(n, 0);
  if (good == 0) OutOfMemory(n);  // beyond the largest size class
  return good;
#else
  return n;
#endif
}

void* AllocBlock(size_t n) {
  void* p = std::malloc(n);
  if (p == nullptr) OutOfMemory(n);
  return p;
}

void* ReallocBlock(void* p, size_t n) {
  void* q = std::realloc(p, n);
  if (q == nullptr) OutOfMemory(n);
  return q;
}

void FreeBlock(void* p) {
  std::free(p);
}

struct FreeDeleter {
  void operator()(void* p) const { FreeBlock(p); }
};

// ---- Entry layout ----

struct Layout {
  size_t key_len;
  size_t value_len;
  size_t ext_off;  // meaningful only with an extension
  size_t key_off;
  size_t value_off;
};

Layout Parse(const void* entry, bool has_ext) {
  const char* base = static_cast<const char*>(entry);
  const char* p = base + kHeaderBytes;
  uint64_t klen;
  uint64_t vlen;
  p = GetVarintUnchecked(p, &klen);
  p = GetVarintUnchecked(p, &vlen);
  Layout l;
  l.key_len = klen;
  l.value_len = vlen;
  l.ext_off = static_cast<size_t>(p - base);
  if (has_ext) p += kExtBytes;
  l.key_off = static_cast<size_t>(p - base);
  l.value_off = l.key_off + klen;
  return l;
}

size_t EntrySize(size_t klen, size_t vlen, bool has_ext) {
  return kHeaderBytes + VarintLen(klen) + VarintLen(vlen) + (has_ext ? kExtBytes : 0) + klen + vlen;
}

// Whether an entry whose block holds `cap` bytes may keep a new size `need` in place.
bool FitsInPlace(size_t need, size_t cap, size_t value_len) {
  if (need > cap) return false;
  // Small values stay in exactly the class a fresh allocation would get.
  if (value_len <= kSlackThreshold) return GoodSize(need) == cap;
  // Large ones keep growth slack, but never more than half the block.
  return need >= cap / 2;
}

// Block size for a value that is growing to value_len (entry size need).
size_t GrowthSize(size_t need, size_t value_len) {
  if (value_len <= kSlackThreshold) return GoodSize(need);
  return GoodSize(need + need / 2);
}

char* Raw(Entry* e) {
  return reinterpret_cast<char*>(e);
}
const char* Raw(const Entry* e) {
  return reinterpret_cast<const char*>(e);
}

char* ExtOf(Entry* e) {
  return Raw(e) + Parse(e, true).ext_off;
}
const char* ExtOf(const Entry* e) {
  return Raw(e) + Parse(e, true).ext_off;
}

template <typename T>
T LoadAt(const char* p) {
  T v;
  std::memcpy(&v, p, sizeof(T));
  return v;
}
template <typename T>
void StoreAt(char* p, T v) {
  std::memcpy(p, &v, sizeof(T));
}

int64_t ExtExpire(const Entry* e) {
  return LoadAt<int64_t>(ExtOf(e) + kExtExpireOff);
}
void SetExtExpire(Entry* e, int64_t ms) {
  StoreAt<int64_t>(ExtOf(e) + kExtExpireOff, ms);
}
uint32_t ExtIndex(const Entry* e) {
  return LoadAt<uint32_t>(ExtOf(e) + kExtIndexOff);
}
void SetExtIndex(Entry* e, uint32_t i) {
  StoreAt<uint32_t>(ExtOf(e) + kExtIndexOff, i);
}
Entry* ExtPrev(const Entry* e) {
  return LoadAt<Entry*>(ExtOf(e) + kExtPrevOff);
}
void SetExtPrev(Entry* e, Entry* p) {
  StoreAt<Entry*>(ExtOf(e) + kExtPrevOff, p);
}
Entry* ExtNext(const Entry* e) {
  return LoadAt<Entry*>(ExtOf(e) + kExtNextOff);
}
void SetExtNext(Entry* e, Entry* p) {
  StoreAt<Entry*>(ExtOf(e) + kExtNextOff, p);
}

char* ValuePtr(Entry* e) {
  return Raw(e) + Parse(e, e->has_expire()).value_off;
}

// Redis's rule: a key is expired once the clock has passed its expiry time.
bool IsExpired(const Entry* e, int64_t now_ms) {
  return e->has_expire() && ExtExpire(e) < now_ms;
}

uint32_t LruClock(int64_t now_ms) {
  return static_cast<uint32_t>(now_ms / 1000);
}

bool KeyEquals(const Entry* e, std::string_view key) {
  const char* p = Raw(e) + kHeaderBytes;
  uint64_t klen;
  p = GetVarintUnchecked(p, &klen);
  if (klen != key.size()) return false;
  while (static_cast<uint8_t>(*p) & 0x80) ++p;  // skip the value length
  ++p;
  if (e->has_expire()) p += kExtBytes;
  return klen == 0 || std::memcmp(p, key.data(), klen) == 0;
}

uint64_t NextPow2(uint64_t v) {
  uint64_t n = kInitialBuckets;
  while (n < v) n <<= 1;
  return n;
}

uint64_t ReverseBits(uint64_t v) {
  v = ((v >> 1) & 0x5555555555555555ULL) | ((v & 0x5555555555555555ULL) << 1);
  v = ((v >> 2) & 0x3333333333333333ULL) | ((v & 0x3333333333333333ULL) << 2);
  v = ((v >> 4) & 0x0f0f0f0f0f0f0f0fULL) | ((v & 0x0f0f0f0f0f0f0f0fULL) << 4);
  return __builtin_bswap64(v);
}

}  // namespace

// ---- Entry accessors ----

std::string_view Entry::key() const {
  Layout l = Parse(this, has_expire());
  return {Raw(this) + l.key_off, l.key_len};
}

std::string_view Entry::value() const {
  Layout l = Parse(this, has_expire());
  return {Raw(this) + l.value_off, l.value_len};
}

int64_t Entry::expire_at_ms() const {
  return has_expire() ? ExtExpire(this) : -1;
}

// ---- Policies ----

StatusOr<EvictionPolicy> ParseEvictionPolicy(std::string_view name) {
  struct Named {
    const char* name;
    EvictionPolicy policy;
  };
  static constexpr Named kNames[] = {
      {"noeviction", EvictionPolicy::kNoEviction},
      {"allkeys-lru", EvictionPolicy::kAllKeysLru},
      {"volatile-lru", EvictionPolicy::kVolatileLru},
      {"allkeys-random", EvictionPolicy::kAllKeysRandom},
      {"volatile-random", EvictionPolicy::kVolatileRandom},
      {"volatile-ttl", EvictionPolicy::kVolatileTtl},
  };
  for (const Named& n : kNames) {
    std::string_view candidate(n.name);
    // Redis matches config enum values case-insensitively.
    if (candidate.size() == name.size() &&
        std::equal(candidate.begin(), candidate.end(), name.begin(), [](char x, char y) {
          return x == (y >= 'A' && y <= 'Z' ? static_cast<char>(y - 'A' + 'a') : y);
        })) {
      return n.policy;
    }
  }
  return Status::Invalid("invalid maxmemory-policy");
}

const char* EvictionPolicyName(EvictionPolicy p) {
  switch (p) {
    case EvictionPolicy::kNoEviction:
      return "noeviction";
    case EvictionPolicy::kAllKeysLru:
      return "allkeys-lru";
    case EvictionPolicy::kVolatileLru:
      return "volatile-lru";
    case EvictionPolicy::kAllKeysRandom:
      return "allkeys-random";
    case EvictionPolicy::kVolatileRandom:
      return "volatile-random";
    case EvictionPolicy::kVolatileTtl:
      return "volatile-ttl";
  }
  return "noeviction";
}

// ---- Tables ----

struct Keyspace::Table {
  std::unique_ptr<Entry*[], FreeDeleter> buckets;
  size_t size = 0;  // power of two, or 0 before the first insert
  size_t mask = 0;
  size_t used = 0;

  Entry** bucket(uint64_t h) const { return &buckets[h & mask]; }
};

Keyspace::Keyspace(const Clock* clock, const SipHashKey& hash_key)
    : clock_(clock), hash_key_(SipHashKeyToWords(hash_key)) {
  static_assert(offsetof(Entry, type_) + 1 == kHeaderBytes, "entry header layout changed");
  static_assert(sizeof(Entry) <= kHeaderBytes + 2, "varints must start inside the header");
  // The sampling generator's output shows through RANDOMKEY and eviction, and its state
  // can be recovered from enough output, so it is seeded with a value derived from the
  // hash key that reveals nothing about the key (SipHash is a PRF).
  rng_.seed(SipHash13(hash_key_, "keyspace sampling"));
  tables_[0] = std::make_unique<Table>();
  tables_[1] = std::make_unique<Table>();
  lru_head_.hash_next_ = nullptr;
  lru_head_.lru_prev_ = &lru_head_;
  lru_head_.lru_next_ = &lru_head_;
  lru_head_.lru_ = 0;
  lru_head_.flags_ = 0;
  lru_head_.type_ = 0;
}

Keyspace::~Keyspace() {
  FreeAll();
}

// Keyed so that bucket placement cannot be predicted from outside: a client that could
// compute hashes could send keys that all land in one chain and turn every lookup into a
// linear scan (hash flooding). SipHash-1-3 is Redis's choice: a PRF with a public
// analysis, and fast enough on the 8-40 byte keys that are the common case.
uint64_t Keyspace::Hash(std::string_view key) const {
  return SipHash13(hash_key_, key);
}

size_t Keyspace::BucketOf(std::string_view key, size_t buckets) const {
  return Hash(key) & (buckets - 1);
}

Entry** Keyspace::FindSlot(std::string_view key, uint64_t h, int* table) const {
  for (int t = 0; t < 2; ++t) {
    const Table& tb = *tables_[t];
    if (tb.size != 0) {
      for (Entry** pp = tb.bucket(h); *pp != nullptr; pp = &(*pp)->hash_next_) {
        if (KeyEquals(*pp, key)) {
          *table = t;
          return pp;
        }
      }
    }
    if (rehash_index_ < 0) break;
  }
  return nullptr;
}

void Keyspace::PrefetchBucket(uint64_t h) const {
  const Table& t0 = *tables_[0];
  if (t0.size != 0) __builtin_prefetch(t0.bucket(h));
  if (rehash_index_ >= 0 && tables_[1]->size != 0) __builtin_prefetch(tables_[1]->bucket(h));
}

void Keyspace::PrefetchEntry(uint64_t h) const {
  // While rehashing the key may sit in either table; the new one is where it ends up.
  const Table& t = rehash_index_ >= 0 ? *tables_[1] : *tables_[0];
  if (t.size == 0) return;
  const Entry* e = *t.bucket(h);
  if (e == nullptr) return;
  // The header, the lengths and the start of the key share the first line; a short value
  // ends in the second.
  __builtin_prefetch(e);
  __builtin_prefetch(reinterpret_cast<const char*>(e) + 64);
}

Entry** Keyspace::SlotOf(const Entry* e, int* table) const {
  uint64_t h = Hash(e->key());
  for (int t = 0; t < 2; ++t) {
    const Table& tb = *tables_[t];
    if (tb.size != 0) {
      for (Entry** pp = tb.bucket(h); *pp != nullptr; pp = &(*pp)->hash_next_) {
        if (*pp == e) {
          *table = t;
          return pp;
        }
      }
    }
    if (rehash_index_ < 0) break;
  }
  return nullptr;
}

void Keyspace::RehashBuckets(size_t n) {
  Table& from = *tables_[0];
  Table& to = *tables_[1];
  size_t empty_visits = n * kEmptyVisitsPerBucket;
  while (n-- > 0 && from.used != 0) {
    while (from.buckets[rehash_index_] == nullptr) {
      ++rehash_index_;
      if (--empty_visits == 0) return;
    }
    // The bucket array is read in order but the entries are scattered: ask for the chain
    // a few buckets ahead, so the move below does not wait for each entry in turn.
    if (static_cast<size_t>(rehash_index_) + kRehashPrefetchAhead < from.size) {
      const Entry* ahead = from.buckets[rehash_index_ + kRehashPrefetchAhead];
      if (ahead != nullptr) {
        __builtin_prefetch(ahead);
        __builtin_prefetch(reinterpret_cast<const char*>(ahead) + 64);
      }
    }
    Entry* e = from.buckets[rehash_index_];
    while (e != nullptr) {
      Entry* next = e->hash_next_;
      Entry** dst = to.bucket(Hash(e->key()));
      e->hash_next_ = *dst;
      *dst = e;
      --from.used;
      ++to.used;
      e = next;
    }
    from.buckets[rehash_index_] = nullptr;
    ++rehash_index_;
  }
  if (from.used == 0) {
    bytes_ -= UsableSize(from.buckets.get());
    std::swap(tables_[0], tables_[1]);
    tables_[1]->buckets.reset();
    tables_[1]->size = tables_[1]->mask = tables_[1]->used = 0;
    rehash_index_ = -1;
  }
}

void Keyspace::Resize(size_t min_buckets) {
  size_t n = NextPow2(min_buckets);
  Table& t0 = *tables_[0];
  if (rehash_index_ >= 0 || n == t0.size) return;
  void* block = std::calloc(n, sizeof(Entry*));
  if (block == nullptr) OutOfMemory(n * sizeof(Entry*));
  bytes_ += UsableSize(block);
  Table& target = t0.size == 0 ? t0 : *tables_[1];
  target.buckets.reset(static_cast<Entry**>(block));
  target.size = n;
  target.mask = n - 1;
  target.used = 0;
  if (&target != &t0) rehash_index_ = 0;
}

void Keyspace::Reserve(size_t n) {
  reserved_ = n;
  if (rehash_index_ >= 0 || n <= tables_[0]->size) return;
  Resize(n);
}

void Keyspace::ExpandIfNeeded() {
  if (rehash_index_ >= 0) return;
  const Table& t0 = *tables_[0];
  if (t0.size == 0) {
    Resize(kInitialBuckets);
  } else if (t0.used >= t0.size) {
    Resize(t0.used + 1);
  }
}

void Keyspace::ShrinkIfNeeded() {
  if (rehash_index_ >= 0) return;
  const Table& t0 = *tables_[0];
  const size_t keys = std::max(t0.used, reserved_);
  if (t0.size > kInitialBuckets && keys * 100 < t0.size * kMinFillPercent) {
    Resize(keys);
  }
}

void Keyspace::InsertIntoTable(Entry* e, uint64_t h) {
  ExpandIfNeeded();
  // During a rehash new keys go straight to the new table, so the old one only drains.
  Table& t = *tables_[rehash_index_ >= 0 ? 1 : 0];
  Entry** b = t.bucket(h);
  e->hash_next_ = *b;
  *b = e;
  ++t.used;
  ++count_;
}

// ---- Entries ----

Entry* Keyspace::NewEntry(std::string_view key, size_t value_len, bool with_ext,
                          size_t alloc_bytes) {
  void* block = AllocBlock(alloc_bytes);
  // Entry is an implicit-lifetime type: malloc'd storage holds one without a constructor.
  auto* e = static_cast<Entry*>(block);
  e->flags_ = with_ext ? Entry::kHasExpire : 0;
  e->type_ = static_cast<uint8_t>(ValueType::kString);
  // Measured after the header is written: GCC warns about handing untouched malloc'd
  // memory to a function taking const void*.
  bytes_ += UsableSize(block);
  char* p = Raw(e) + kHeaderBytes;
  p = PutVarint(p, key.size());
  p = PutVarint(p, value_len);
  if (with_ext) p += kExtBytes;
  if (!key.empty()) std::memcpy(p, key.data(), key.size());
  return e;
}

void Keyspace::FreeEntry(Entry* e) {
  bytes_ -= UsableSize(e);
  FreeBlock(e);
}

// `moved` has the entry's outgoing links (copied or carried over by realloc); point every
// incoming link at it. slot is the hash link (null when the caller rehooks the chain);
// on_volatile_list says whether moved's extension holds live volatile links and index.
void Keyspace::Relocate(Entry** slot, Entry* moved, bool on_volatile_list) {
  if (slot != nullptr) *slot = moved;
  moved->lru_prev_->lru_next_ = moved;
  moved->lru_next_->lru_prev_ = moved;
  if (on_volatile_list) {
    VolatileRepointNeighbours(ExtPrev(moved), ExtNext(moved), moved, moved);
    volatile_[ExtIndex(moved)] = moved;
  }
}

// Replaces *slot's entry by a new block with the same key, a value of value_len bytes
// starting with `fill` (read before the old block is freed, so it may point into it) and
// an extension iff with_ext. Expiry of a newly volatile entry is left to the caller.
Entry* Keyspace::Rebuild(Entry** slot, size_t value_len, bool with_ext, std::string_view fill,
                         size_t alloc_bytes) {
  Entry* old = *slot;
  bool old_ext = old->has_expire();
  if (old_ext && !with_ext) VolatileRemove(old);
  Entry* e = NewEntry(old->key(), value_len, with_ext, alloc_bytes);
  e->hash_next_ = old->hash_next_;
  e->lru_prev_ = old->lru_prev_;
  e->lru_next_ = old->lru_next_;
  e->lru_ = old->lru_;
  e->type_ = old->type_;
  if (!fill.empty()) std::memcpy(ValuePtr(e), fill.data(), fill.size());
  if (old_ext && with_ext) std::memcpy(ExtOf(e), ExtOf(old), kExtBytes);
  Relocate(slot, e, old_ext && with_ext);
  if (!old_ext && with_ext) {
    SetExtExpire(e, 0);
    VolatileAdd(e);
  }
  FreeEntry(old);
  return e;
}

// ---- Lists ----

void Keyspace::LruUnlink(Entry* e) {
  e->lru_prev_->lru_next_ = e->lru_next_;
  e->lru_next_->lru_prev_ = e->lru_prev_;
}

// The most recent end is lru_head_.lru_prev_; eviction takes lru_head_.lru_next_.
void Keyspace::LruPushNewest(Entry* e) {
  Entry* newest = lru_head_.lru_prev_;
  e->lru_prev_ = newest;
  e->lru_next_ = &lru_head_;
  newest->lru_next_ = e;
  lru_head_.lru_prev_ = e;
}

// The volatile list has no sentinel (its links live in the entries' extensions): a null
// neighbour means the node sits at that end, and the list's end pointer takes the link.
void Keyspace::VolatileRepointNeighbours(Entry* prev, Entry* next, Entry* after_prev,
                                         Entry* before_next) {
  if (prev != nullptr) {
    SetExtNext(prev, after_prev);
  } else {
    volatile_oldest_ = after_prev;
  }
  if (next != nullptr) {
    SetExtPrev(next, before_next);
  } else {
    volatile_newest_ = before_next;
  }
}

void Keyspace::VolatileListUnlink(Entry* e) {
  Entry* prev = ExtPrev(e);
  Entry* next = ExtNext(e);
  VolatileRepointNeighbours(prev, next, next, prev);
}

void Keyspace::VolatileListPushNewest(Entry* e) {
  SetExtPrev(e, volatile_newest_);
  SetExtNext(e, nullptr);
  VolatileRepointNeighbours(volatile_newest_, nullptr, e, e);
}

void Keyspace::VolatileAdd(Entry* e) {
  SetExtIndex(e, static_cast<uint32_t>(volatile_.size()));
  volatile_.push_back(e);
  SyncVolatileBytes();
  VolatileListPushNewest(e);
}

void Keyspace::VolatileRemove(Entry* e) {
  VolatileListUnlink(e);
  uint32_t i = ExtIndex(e);
  Entry* last = volatile_.back();
  volatile_[i] = last;
  SetExtIndex(last, i);
  volatile_.pop_back();
  // Give back the index after a mass expiry, with hysteresis so that churn around one size
  // does not reallocate.
  if (volatile_.capacity() > 64 && volatile_.size() * 4 < volatile_.capacity()) {
    volatile_.shrink_to_fit();
  }
  SyncVolatileBytes();
}

void Keyspace::SyncVolatileBytes() {
  size_t now = volatile_.capacity() * sizeof(Entry*);
  bytes_ = bytes_ - volatile_bytes_ + now;
  volatile_bytes_ = now;
}

void Keyspace::SetForm(Entry* e, StringForm form) {
  e->flags_ = static_cast<uint8_t>((e->flags_ & ~Entry::kFormMask) |
                                   (static_cast<uint8_t>(form) << Entry::kFormShift));
}

void Keyspace::Touch(Entry* e, int64_t now_ms) {
  e->lru_ = LruClock(now_ms);
  if (lru_head_.lru_prev_ != e) {
    LruUnlink(e);
    LruPushNewest(e);
  }
  if (e->has_expire() && volatile_newest_ != e) {
    VolatileListUnlink(e);
    VolatileListPushNewest(e);
  }
}

// ---- Removal ----

void Keyspace::RemoveEntry(Entry** slot, int table, Removal why) {
  Entry* e = *slot;
  *slot = e->hash_next_;
  --tables_[table]->used;
  --count_;
  LruUnlink(e);
  if (e->has_expire()) VolatileRemove(e);
  // The listener sees the key while its bytes are still alive.
  std::string_view key = e->key();
  switch (why) {
    case Removal::kDeleted:
      break;
    case Removal::kExpired:
      ++stats_.expired_keys;
      if (listener_ != nullptr) listener_->OnKeyExpired(key);
      break;
    case Removal::kEvicted:
      ++stats_.evicted_keys;
      if (listener_ != nullptr) listener_->OnKeyEvicted(key);
      break;
  }
  // Expiry and eviction change existence too: a WATCH on the key must fail.
  Modified(key);
  FreeEntry(e);
  ShrinkIfNeeded();
}

void Keyspace::RemoveByPointer(Entry* e, Removal why) {
  int t = 0;
  Entry** slot = SlotOf(e, &t);
  if (slot != nullptr) RemoveEntry(slot, t, why);
}

void Keyspace::FreeAll() {
  for (auto& tp : tables_) {
    Table& t = *tp;
    for (size_t i = 0; i < t.size; ++i) {
      Entry* e = t.buckets[i];
      while (e != nullptr) {
        Entry* next = e->hash_next_;
        FreeEntry(e);
        e = next;
      }
    }
    bytes_ -= UsableSize(t.buckets.get());
    t.buckets.reset();
    t.size = t.mask = t.used = 0;
  }
  rehash_index_ = -1;
  lru_head_.lru_prev_ = &lru_head_;
  lru_head_.lru_next_ = &lru_head_;
  volatile_.clear();
  volatile_.shrink_to_fit();
  SyncVolatileBytes();
  volatile_oldest_ = nullptr;
  volatile_newest_ = nullptr;
  count_ = 0;
  reserved_ = 0;
}

// ---- Reads ----

const Entry* Keyspace::Lookup(std::string_view key, bool touch, bool count_stats) {
  if (rehash_index_ >= 0) RehashBuckets(1);
  uint64_t h = Hash(key);
  int t = 0;
  Entry** slot = FindSlot(key, h, &t);
  if (slot == nullptr) {
    if (count_stats) ++stats_.keyspace_misses;
    return nullptr;
  }
  Entry* e = *slot;
  int64_t now_ms = 0;
  bool have_now = false;
  if (e->has_expire()) {
    now_ms = clock_->NowMs();
    have_now = true;
    if (ExtExpire(e) < now_ms) {
      // A replica or a loading server hides the key but leaves its removal to the source.
      if (expire_enabled_) RemoveEntry(slot, t, Removal::kExpired);
      if (count_stats) ++stats_.keyspace_misses;
      return nullptr;
    }
  }
  if (touch) {
    if (!have_now) now_ms = clock_->NowMs();
    Touch(e, now_ms);
  }
  if (count_stats) ++stats_.keyspace_hits;
  return e;
}

const Entry* Keyspace::Find(std::string_view key) {
  return Lookup(key, /*touch=*/true, /*count_stats=*/true);
}

const Entry* Keyspace::FindNoTouch(std::string_view key) {
  return Lookup(key, /*touch=*/false, /*count_stats=*/true);
}

const Entry* Keyspace::FindForWrite(std::string_view key) {
  return Lookup(key, /*touch=*/true, /*count_stats=*/false);
}

const Entry* Keyspace::Peek(std::string_view key) {
  return Lookup(key, false, false);
}

uint64_t Keyspace::IdleSeconds(const Entry* e) const {
  // Unsigned subtraction is right across the 32-bit wrap (every ~136 years).
  return static_cast<uint32_t>(LruClock(clock_->NowMs()) - e->lru_);
}

size_t Keyspace::EntryBytes(const Entry* e) const {
  return UsableSize(e);
}

void Keyspace::ResetStats() {
  stats_ = KeyspaceStats();
}

// ---- Writes ----

const Entry* Keyspace::Set(std::string_view key, std::string_view value, int64_t expire_at_ms,
                           bool keep_ttl, StringForm form) {
  if (rehash_index_ >= 0) RehashBuckets(1);
  int64_t now_ms = clock_->NowMs();
  uint64_t h = Hash(key);
  int t = 0;
  Entry** slot = FindSlot(key, h, &t);
  if (slot != nullptr && expire_enabled_ && IsExpired(*slot, now_ms)) {
    // As Redis's lookupKeyWrite: the stale key expires (and is reported) first.
    RemoveEntry(slot, t, Removal::kExpired);
    slot = nullptr;
  }
  int64_t ttl = expire_at_ms;
  if (keep_ttl && slot != nullptr && (*slot)->has_expire()) ttl = ExtExpire(*slot);
  bool with_ext = ttl >= 0;
  size_t need = EntrySize(key.size(), value.size(), with_ext);
  Entry* e;
  if (slot != nullptr) {
    Entry* old = *slot;
    Layout l = Parse(old, old->has_expire());
    if (old->has_expire() == with_ext && VarintLen(l.value_len) == VarintLen(value.size()) &&
        (l.value_len == value.size() || FitsInPlace(need, UsableSize(old), value.size()))) {
      e = old;
      PutVarint(Raw(e) + kHeaderBytes + VarintLen(key.size()), value.size());
      // memmove: the caller may pass this entry's own value back.
      if (!value.empty()) std::memmove(Raw(e) + l.value_off, value.data(), value.size());
    } else {
      e = Rebuild(slot, value.size(), with_ext, value, GoodSize(need));
    }
  } else {
    // maxkeys is exact: a new key beyond the limit first evicts one by policy, so the count
    // never exceeds maxkeys even between the dispatcher's EvictToLimits calls. noeviction
    // still inserts (the dispatcher refused the write earlier when it had to), and a
    // replica or loading server (expire disabled) mirrors its source and never evicts.
    if (limits_.maxkeys != 0 && count_ >= limits_.maxkeys &&
        limits_.policy != EvictionPolicy::kNoEviction && expire_enabled_) {
      while (count_ >= limits_.maxkeys) {
        Entry* victim = PickVictim();
        if (victim == nullptr) break;
        RemoveByPointer(victim, Removal::kEvicted);
      }
    }
    e = NewEntry(key, value.size(), with_ext, GoodSize(need));
    if (!value.empty()) std::memcpy(ValuePtr(e), value.data(), value.size());
    e->lru_ = LruClock(now_ms);
    LruPushNewest(e);
    if (with_ext) VolatileAdd(e);
    InsertIntoTable(e, h);
    Added(key);
  }
  if (with_ext) SetExtExpire(e, std::max<int64_t>(ttl, 0));
  SetForm(e, form);
  Touch(e, now_ms);
  Modified(key);
  return e;
}

char* Keyspace::ResizeValue(std::string_view key, size_t new_len) {
  if (rehash_index_ >= 0) RehashBuckets(1);
  int t = 0;
  Entry** slot = FindSlot(key, Hash(key), &t);
  if (slot == nullptr) return nullptr;  // contract: the caller checked the key exists
  Entry* e = *slot;
  bool ext = e->has_expire();
  Layout l = Parse(e, ext);
  size_t old_len = l.value_len;
  size_t need = EntrySize(l.key_len, new_len, ext);
  size_t cap = UsableSize(e);
  bool same_width = VarintLen(old_len) == VarintLen(new_len);
  if (same_width && FitsInPlace(need, cap, new_len)) {
    PutVarint(Raw(e) + kHeaderBytes + VarintLen(l.key_len), new_len);
  } else {
    size_t target = new_len > old_len ? GrowthSize(need, new_len) : GoodSize(need);
    if (same_width) {
      // Same layout up to the value: realloc keeps the bytes (and may grow in place for
      // large blocks); only the incoming links need repointing.
      bytes_ -= cap;
      auto* moved = static_cast<Entry*>(ReallocBlock(e, target));
      bytes_ += UsableSize(moved);
      Relocate(slot, moved, moved->has_expire());
      e = moved;
      PutVarint(Raw(e) + kHeaderBytes + VarintLen(l.key_len), new_len);
    } else {
      // The value length's varint changed width, shifting key and value: rebuild.
      e = Rebuild(slot, new_len, ext, e->value().substr(0, std::min(old_len, new_len)), target);
    }
  }
  char* v = ValuePtr(e);
  if (new_len > old_len) std::memset(v + old_len, 0, new_len - old_len);
  SetForm(e, StringForm::kRaw);
  Touch(e, clock_->NowMs());
  Modified(key);
  return v;
}

Entry** Keyspace::FindLiveSlot(std::string_view key, int* table) {
  if (rehash_index_ >= 0) RehashBuckets(1);
  Entry** slot = FindSlot(key, Hash(key), table);
  if (slot == nullptr) return nullptr;
  // The clock is read only for keys with a TTL.
  if (expire_enabled_ && (*slot)->has_expire() && IsExpired(*slot, clock_->NowMs())) {
    RemoveEntry(slot, *table, Removal::kExpired);
    return nullptr;
  }
  return slot;
}

bool Keyspace::Delete(std::string_view key) {
  int t = 0;
  Entry** slot = FindLiveSlot(key, &t);
  if (slot == nullptr) return false;
  RemoveEntry(slot, t, Removal::kDeleted);
  return true;
}

bool Keyspace::SetExpire(std::string_view key, int64_t at_ms) {
  int t = 0;
  Entry** slot = FindLiveSlot(key, &t);
  if (slot == nullptr) return false;
  const int64_t now_ms = clock_->NowMs();
  if (expire_enabled_ && at_ms <= now_ms) {
    // Redis deletes instead of storing a TTL in the past; the caller propagates DEL. A
    // replica keeps the key with its TTL and waits for its primary's DEL.
    RemoveEntry(slot, t, Removal::kDeleted);
    return true;
  }
  Entry* e = *slot;
  if (!e->has_expire()) {
    std::string_view v = e->value();
    e = Rebuild(slot, v.size(), true, v, GoodSize(EntrySize(key.size(), v.size(), true)));
  }
  SetExtExpire(e, std::max<int64_t>(at_ms, 0));
  Touch(e, now_ms);
  Modified(key);
  return true;
}

bool Keyspace::Persist(std::string_view key) {
  int t = 0;
  Entry** slot = FindLiveSlot(key, &t);
  if (slot == nullptr) return false;
  const int64_t now_ms = clock_->NowMs();
  Entry* e = *slot;
  if (!e->has_expire()) {
    Touch(e, now_ms);
    return false;
  }
  std::string_view v = e->value();
  e = Rebuild(slot, v.size(), false, v, GoodSize(EntrySize(key.size(), v.size(), false)));
  Touch(e, now_ms);
  Modified(key);
  return true;
}

void Keyspace::Rename(std::string_view src, std::string_view dst) {
  if (rehash_index_ >= 0) RehashBuckets(1);
  int64_t now_ms = clock_->NowMs();
  int t = 0;
  if (src == dst) {
    // Redis answers OK and changes nothing.
    Entry** slot = FindSlot(src, Hash(src), &t);
    if (slot != nullptr) Touch(*slot, now_ms);
    return;
  }
  uint64_t dst_hash = Hash(dst);
  // Drop dst first: removal may shrink the table, which would invalidate a slot taken
  // earlier.
  if (Entry** dslot = FindSlot(dst, dst_hash, &t); dslot != nullptr) {
    RemoveEntry(dslot, t, Removal::kDeleted);
  }
  Entry** slot = FindSlot(src, Hash(src), &t);
  if (slot == nullptr) return;  // contract: the caller checked src exists
  Entry* old = *slot;
  *slot = old->hash_next_;
  --tables_[t]->used;
  --count_;
  bool ext = old->has_expire();
  std::string_view v = old->value();
  Entry* e = NewEntry(dst, v.size(), ext, GoodSize(EntrySize(dst.size(), v.size(), ext)));
  e->lru_prev_ = old->lru_prev_;
  e->lru_next_ = old->lru_next_;
  e->lru_ = old->lru_;
  e->type_ = old->type_;
  SetForm(e, old->string_form());
  if (!v.empty()) std::memcpy(ValuePtr(e), v.data(), v.size());
  if (ext) std::memcpy(ExtOf(e), ExtOf(old), kExtBytes);
  Relocate(nullptr, e, ext);
  // Reported before the old block goes, in case src points into it.
  Modified(src);
  FreeEntry(old);
  InsertIntoTable(e, dst_hash);
  Added(dst);
  Touch(e, now_ms);
  Modified(dst);
}

void Keyspace::Clear() {
  if (listener_ != nullptr) listener_->OnFlush();
  FreeAll();
}

bool Keyspace::ContainsRaw(std::string_view key) const {
  int t = 0;
  return FindSlot(key, Hash(key), &t) != nullptr;
}

// ---- Iteration ----

uint64_t Keyspace::Scan(uint64_t cursor, size_t count,
                        const std::function<void(const Entry*)>& fn) {
  // fn must not modify the keyspace: a bucket's chain is walked while fn runs.
  if (count_ == 0 || tables_[0]->size == 0) return 0;
  size_t seen = 0;
  size_t rounds = std::max<size_t>(count, 1) * 10;  // bounds work in a sparse table
  auto emit = [&](const Table& tb, uint64_t idx) {
    for (const Entry* e = tb.buckets[idx & tb.mask]; e != nullptr; e = e->hash_next_) {
      fn(e);
      ++seen;
    }
  };
  uint64_t v = cursor;
  do {
    if (rehash_index_ < 0) {
      const Table& t0 = *tables_[0];
      emit(t0, v);
      // Increment the cursor's reversed bits: high bits above the mask are set so the
      // carry runs through the masked ones, which visits buckets in an order that stays
      // valid when the table doubles or halves between calls.
      v |= ~t0.mask;
      v = ReverseBits(v);
      ++v;
      v = ReverseBits(v);
    } else {
      const Table* small = tables_[0].get();
      const Table* large = tables_[1].get();
      if (small->size > large->size) std::swap(small, large);
      uint64_t m0 = small->mask;
      uint64_t m1 = large->mask;
      emit(*small, v);
      // Then every bucket of the larger table that expands the smaller one's bucket.
      do {
        emit(*large, v);
        v |= ~m1;
        v = ReverseBits(v);
        ++v;
        v = ReverseBits(v);
      } while ((v & (m0 ^ m1)) != 0);
    }
  } while (v != 0 && seen < count && --rounds != 0);
  return v;
}

void Keyspace::ForEach(const std::function<void(const Entry*)>& fn) const {
  for (const auto& tp : tables_) {
    const Table& t = *tp;
    for (size_t i = 0; i < t.size; ++i) {
      for (const Entry* e = t.buckets[i]; e != nullptr; e = e->hash_next_) fn(e);
    }
  }
}

// A random entry, expired or not: a random non-empty bucket, then a random chain element.
Entry* Keyspace::RandomBucketEntry() {
  if (count_ == 0) return nullptr;
  Entry* head;
  if (rehash_index_ >= 0) {
    // Buckets of the old table below rehash_index_ are empty by construction.
    size_t s0 = tables_[0]->size;
    size_t lo = static_cast<size_t>(rehash_index_);
    size_t span = s0 + tables_[1]->size - lo;
    do {
      size_t i = lo + rng_() % span;
      head = i < s0 ? tables_[0]->buckets[i] : tables_[1]->buckets[i - s0];
    } while (head == nullptr);
  } else {
    const Table& t0 = *tables_[0];
    do {
      head = t0.buckets[rng_() & t0.mask];
    } while (head == nullptr);
  }
  size_t len = 0;
  for (Entry* e = head; e != nullptr; e = e->hash_next_) ++len;
  size_t k = rng_() % len;
  while (k-- > 0) head = head->hash_next_;
  return head;
}

const Entry* Keyspace::RandomEntry() {
  if (rehash_index_ >= 0) RehashBuckets(1);
  int64_t now_ms = clock_->NowMs();
  for (int tries = 0; tries < kRandomTries && count_ > 0; ++tries) {
    Entry* e = RandomBucketEntry();
    if (!IsExpired(e, now_ms)) return e;
    if (expire_enabled_) RemoveByPointer(e, Removal::kExpired);
  }
  return nullptr;
}

// ---- Expiry and eviction ----

size_t Keyspace::ActiveExpireCycle(int64_t budget_us) {
  if (volatile_.empty()) avg_ttl_ms_ = 0;
  if (!expire_enabled_ || volatile_.empty()) return 0;
  int64_t start = clock_->MonotonicUs();
  int64_t now_ms = clock_->NowMs();
  size_t removed = 0;
  size_t sampled_total = 0;
  int64_t ttl_sum = 0;
  int64_t ttl_samples = 0;
  for (;;) {
    size_t n = std::min(kExpireSamples, volatile_.size());
    size_t expired = 0;
    for (size_t i = 0; i < n && !volatile_.empty(); ++i) {
      Entry* e = volatile_[rng_() % volatile_.size()];
      const int64_t ttl = ExtExpire(e) - now_ms;
      if (ttl < 0) {
        RemoveByPointer(e, Removal::kExpired);
        ++expired;
      } else if (ttl > 0) {
        ttl_sum += ttl;
        ++ttl_samples;
      }
    }
    sampled_total += n;
    removed += expired;
    if (volatile_.empty() || expired * 100 <= n * kExpireRepeatPercent) break;
    if (clock_->MonotonicUs() - start >= budget_us) break;
  }
  int64_t elapsed = clock_->MonotonicUs() - start;
  stats_.expire_cycle_cpu_us += static_cast<uint64_t>(std::max<int64_t>(elapsed, 0));
  // Running average of the stale share, weighted like Redis's stat_expired_stale_perc.
  uint64_t current = sampled_total ? removed * 10000 / sampled_total : 0;
  stats_.expired_stale_perc_x100 = (current * 5 + stats_.expired_stale_perc_x100 * 95) / 100;
  if (ttl_samples > 0) {
    // INFO keyspace avg_ttl: the remaining TTL of the sampled keys, smoothed over cycles
    // the way Redis smooths it (each cycle weighs 1/50).
    const int64_t avg = ttl_sum / ttl_samples;
    if (avg_ttl_ms_ == 0) avg_ttl_ms_ = avg;
    avg_ttl_ms_ = (avg_ttl_ms_ / 50) * 49 + avg / 50;
  }
  return removed;
}

bool Keyspace::OverLimits() const {
  if (limits_.maxkeys != 0 && count_ > limits_.maxkeys) return true;
  if (limits_.maxmemory != 0) {
    size_t used = used_memory_fn_ ? used_memory_fn_() : bytes_;
    return used > limits_.maxmemory;
  }
  return false;
}

Entry* Keyspace::PickVictim() {
  switch (limits_.policy) {
    case EvictionPolicy::kNoEviction:
      return nullptr;
    case EvictionPolicy::kAllKeysLru:
      return lru_head_.lru_next_ != &lru_head_ ? lru_head_.lru_next_ : nullptr;
    case EvictionPolicy::kVolatileLru:
      return volatile_oldest_;
    case EvictionPolicy::kAllKeysRandom:
      return RandomBucketEntry();
    case EvictionPolicy::kVolatileRandom:
      return volatile_.empty() ? nullptr : volatile_[rng_() % volatile_.size()];
    case EvictionPolicy::kVolatileTtl: {
      if (volatile_.empty()) return nullptr;
      Entry* best = nullptr;
      auto consider = [&](Entry* e) {
        if (best == nullptr || ExtExpire(e) < ExtExpire(best)) best = e;
      };
      if (volatile_.size() <= kTtlSamples) {
        for (Entry* e : volatile_) consider(e);
      } else {
        for (size_t i = 0; i < kTtlSamples; ++i) consider(volatile_[rng_() % volatile_.size()]);
      }
      return best;
    }
  }
  return nullptr;
}

bool Keyspace::EvictToLimits() {
  if (!OverLimits()) return true;
  if (limits_.policy == EvictionPolicy::kNoEviction) return false;
  // Each round removes one key, so this ends at the latest when nothing evictable is left,
  // even if used memory (measured outside) does not drop.
  while (OverLimits()) {
    Entry* victim = PickVictim();
    if (victim == nullptr) break;
    RemoveByPointer(victim, Removal::kEvicted);
  }
  return !OverLimits();
}

void Keyspace::RehashStep(int64_t budget_us) {
  if (rehash_index_ < 0) ShrinkIfNeeded();
  if (rehash_index_ < 0) return;
  int64_t start = clock_->MonotonicUs();
  while (rehash_index_ >= 0) {
    RehashBuckets(100);
    // Keys deleted while a shrink ran can leave the finished table too big for what is
    // left: check again at once rather than one cron tick later. Each shrink at least
    // halves the table, so this ends.
    if (rehash_index_ < 0) ShrinkIfNeeded();
    if (clock_->MonotonicUs() - start >= budget_us) break;
  }
}

// ---- Invariants (tests) ----

bool Keyspace::CheckInvariants() const {
  auto fail = [](const char* what) {
    std::fprintf(stderr, "keyspace invariant failed: %s\n", what);
    return false;
  };
  size_t total = 0;
  size_t with_ttl = 0;
  size_t block_bytes = 0;
  for (int t = 0; t < 2; ++t) {
    const Table& tb = *tables_[t];
    if (t == 1 && rehash_index_ < 0 && tb.size != 0) return fail("second table outside rehash");
    size_t n = 0;
    for (size_t i = 0; i < tb.size; ++i) {
      for (const Entry* e = tb.buckets[i]; e != nullptr; e = e->hash_next_) {
        if ((Hash(e->key()) & tb.mask) != i) return fail("entry in the wrong bucket");
        if (t == 0 && rehash_index_ >= 0 && i < static_cast<size_t>(rehash_index_)) {
          return fail("entry below rehash_index_");
        }
        if (e->lru_next_->lru_prev_ != e || e->lru_prev_->lru_next_ != e) {
          return fail("LRU links");
        }
        int found_t = -1;
        if (FindSlot(e->key(), Hash(e->key()), &found_t) == nullptr || found_t != t) {
          return fail("key not findable");
        }
        if (e->has_expire()) {
          ++with_ttl;
          uint32_t idx = ExtIndex(e);
          if (idx >= volatile_.size() || volatile_[idx] != e) return fail("volatile index");
        }
        block_bytes += UsableSize(e);
        ++n;
      }
    }
    if (n != tb.used) return fail("table used count");
    if (tb.buckets) block_bytes += UsableSize(tb.buckets.get());
    total += n;
  }
  if (total != count_) return fail("count_");
  if (with_ttl != volatile_.size()) return fail("volatile_ size");
  size_t lru_len = 0;
  for (const Entry* e = lru_head_.lru_next_; e != &lru_head_; e = e->lru_next_) {
    if (++lru_len > count_) return fail("LRU list longer than count_");
  }
  if (lru_len != count_) return fail("LRU list length");
  size_t vlen = 0;
  const Entry* prev = nullptr;
  for (const Entry* e = volatile_oldest_; e != nullptr; e = ExtNext(e)) {
    if (!e->has_expire() || ExtPrev(e) != prev) return fail("volatile list links");
    prev = e;
    if (++vlen > volatile_.size()) return fail("volatile list longer than index");
  }
  if (prev != volatile_newest_) return fail("volatile_newest_");
  if (vlen != volatile_.size()) return fail("volatile list length");
  if (volatile_bytes_ != volatile_.capacity() * sizeof(Entry*)) return fail("volatile bytes");
  if (block_bytes + volatile_bytes_ != bytes_) return fail("bytes_");
  return true;
}

}  // namespace pykv::store
