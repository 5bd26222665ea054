// Keyspace: the data set. A chained hash table (incremental rehash, as Redis does, so a
// resize never stalls the loop) whose entries also sit on an intrusive doubly linked list
// in access order: exact O(1) LRU. A key, its value and its metadata share one allocation.
// Keys with a TTL also sit on a second list (exact LRU among volatile keys, for
// volatile-lru) and in a dense index (random sampling for active expiry, volatile-random,
// volatile-ttl).
//
// The keyspace decides expiry and eviction itself and reports each removal to its
// listener, which the dispatcher implements to propagate DEL. It knows nothing of
// commands, clients or files. Loop thread only. Entry pointers stay valid only until the
// next call of a non-const method.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/siphash.h"
#include "common/status.h"

namespace pykv::store {

enum class EvictionPolicy {
  kNoEviction,
  kAllKeysLru,
  kVolatileLru,
  kAllKeysRandom,
  kVolatileRandom,
  kVolatileTtl,
};
// "allkeys-lru" etc.; Invalid on an unknown name.
StatusOr<EvictionPolicy> ParseEvictionPolicy(std::string_view name);
const char* EvictionPolicyName(EvictionPolicy p);

// Value types. Only strings exist today; the byte is reserved in every entry so that
// later types do not change the layout.
enum class ValueType : uint8_t { kString = 0 };

// How Redis would encode a string value (OBJECT ENCODING): by its content, or fixed by
// the command that made it. Kept through RENAME and COPY, as Redis keeps the object.
enum class StringForm : uint8_t {
  kByContent = 0,   // SET & co.: "int" if it reads as an integer, else embstr/raw by length
  kRaw = 1,         // edited in place (APPEND, SETRANGE): always "raw"
  kNotInteger = 2,  // INCRBYFLOAT's result: embstr/raw by length, never "int"
};

// One key. Layout is private to the keyspace; callers read through these accessors.
class Entry {
 public:
  std::string_view key() const;
  std::string_view value() const;
  ValueType type() const { return static_cast<ValueType>(type_); }
  bool has_expire() const { return (flags_ & kHasExpire) != 0; }
  StringForm string_form() const {
    return static_cast<StringForm>((flags_ & kFormMask) >> kFormShift);
  }
  // Absolute expiry in ms since the epoch; -1 without a TTL.
  int64_t expire_at_ms() const;
  // LRU clock (seconds, wrapping) of the last access.
  uint32_t lru_seconds() const { return lru_; }
  // The same as Redis shows it (DEBUG OBJECT lru:, INFO lru_clock): 24 bits of seconds.
  static constexpr uint32_t kRedisLruClockMask = (1u << 24) - 1;

 private:
  friend class Keyspace;
  Entry() = default;
  static constexpr uint8_t kHasExpire = 1;
  static constexpr uint8_t kFormShift = 1;
  static constexpr uint8_t kFormMask = 3 << kFormShift;  // a StringForm

  Entry* hash_next_;
  Entry* lru_prev_;
  Entry* lru_next_;
  uint32_t lru_;
  uint8_t flags_;
  uint8_t type_;
  // Then: varint key length, varint value length, [VolatileExt when kHasExpire],
  // key bytes, value bytes.
};

struct KeyspaceLimits {
  uint64_t maxkeys = 0;    // 0 = unlimited
  uint64_t maxmemory = 0;  // bytes; 0 = unlimited
  EvictionPolicy policy = EvictionPolicy::kNoEviction;
};

// Told about removals the keyspace decides, and (while enabled) about every change.
class KeyspaceListener {
 public:
  virtual ~KeyspaceListener() = default;
  virtual void OnKeyExpired(std::string_view key) = 0;
  virtual void OnKeyEvicted(std::string_view key) = 0;
  // Any change to the key's value, TTL or existence (WATCH). Called only while
  // set_track_modifications(true).
  virtual void OnKeyModified(std::string_view key) = 0;
  // A key was created (SET of a missing key, RENAME's and COPY's destination: Redis's
  // dbAdd). Called only while set_report_new_keys(true).
  virtual void OnKeyAdded(std::string_view /*key*/) {}
  // FLUSHDB/FLUSHALL, called just before every key goes: Keyspace::ContainsRaw still
  // tells which keys existed (WATCH is broken only for those, as in Redis).
  virtual void OnFlush() = 0;
};

struct KeyspaceStats {
  uint64_t expired_keys = 0;
  uint64_t evicted_keys = 0;
  uint64_t keyspace_hits = 0;
  uint64_t keyspace_misses = 0;
  uint64_t expired_stale_perc_x100 = 0;
  uint64_t expire_cycle_cpu_us = 0;
};

class Keyspace {
 public:
  // Keys are placed by SipHash-1-3 under hash_key, which must be secret and random per
  // process (RandomSipHashKey) so that clients cannot aim keys at one bucket. Tests pass
  // fixed keys for reproducible runs.
  Keyspace(const Clock* clock, const SipHashKey& hash_key);
  ~Keyspace();
  Keyspace(const Keyspace&) = delete;
  Keyspace& operator=(const Keyspace&) = delete;

  void set_listener(KeyspaceListener* l) { listener_ = l; }
  void set_limits(const KeyspaceLimits& limits) { limits_ = limits; }
  const KeyspaceLimits& limits() const { return limits_; }
  // fn reports the process's used memory for maxmemory; when unset the keyspace's own
  // byte count is used.
  void set_used_memory_fn(std::function<size_t()> fn) { used_memory_fn_ = std::move(fn); }
  void set_track_modifications(bool on) { track_modifications_ = on; }
  void set_report_new_keys(bool on) { report_new_keys_ = on; }
  // Replicas report expired keys as missing but leave the deletion to their primary;
  // AOF loading does the same until the data set is complete.
  void set_expire_enabled(bool on) { expire_enabled_ = on; }
  bool expire_enabled() const { return expire_enabled_; }
  const Clock* clock() const { return clock_; }

  // ---- Reads ----
  // Each returns a live key or null (an expired key is removed and reported on the way).
  // They differ as Redis's lookups do in what else they do:
  // Find (lookupKeyRead): moves the key to the most-recent end, counts a hit or miss.
  const Entry* Find(std::string_view key);
  // FindNoTouch (lookupKeyRead NOTOUCH: EXISTS, TYPE, TTL, OBJECT): counts, keeps LRU order.
  const Entry* FindNoTouch(std::string_view key);
  // FindForWrite (lookupKeyWrite: INCR, APPEND, EXPIRE, RENAME...): moves, does not count.
  const Entry* FindForWrite(std::string_view key);
  // Peek: neither (the server's own checks: NX/XX, WATCH, SCAN's TYPE filter, DEBUG).
  const Entry* Peek(std::string_view key);
  // In the table, expired or not, without any side effect (Redis's dictFind): for
  // listeners, which must not trigger expiry from inside a callback.
  bool ContainsRaw(std::string_view key) const;
  size_t size() const { return count_; }
  size_t volatile_size() const { return volatile_.size(); }
  // Seconds since the entry was last touched.
  uint64_t IdleSeconds(const Entry* e) const;
  // Bytes the entry occupies (MEMORY USAGE).
  size_t EntryBytes(const Entry* e) const;
  // Bytes held by entries and tables: the keyspace's share of used memory.
  size_t bytes() const { return bytes_; }
  const KeyspaceStats& stats() const { return stats_; }
  void ResetStats();

  // ---- Writes (each reports OnKeyModified when tracking) ----
  // Creates or replaces the key. expire_at_ms: -1 clears any TTL; keep_ttl keeps the old
  // one (SET KEEPTTL). Returns the stored entry.
  const Entry* Set(std::string_view key, std::string_view value, int64_t expire_at_ms = -1,
                   bool keep_ttl = false, StringForm form = StringForm::kByContent);
  // Resizes the value of an existing key to new_len, keeping the first min(old,new) bytes
  // and zero-filling the rest, and returns its bytes for the caller to write into
  // (APPEND, SETRANGE). The key must exist. The value's form becomes kRaw.
  char* ResizeValue(std::string_view key, size_t new_len);
  bool Delete(std::string_view key);
  // Sets an absolute TTL on an existing key; false if the key is missing. A time in the
  // past deletes the key (the caller propagates DEL, as Redis does).
  bool SetExpire(std::string_view key, int64_t at_ms);
  // Removes the TTL; true if there was one.
  bool Persist(std::string_view key);
  // Moves src to dst (replacing dst), keeping value and TTL. src must exist.
  void Rename(std::string_view src, std::string_view dst);
  void Clear();

  // ---- Iteration ----
  // Redis's reverse-binary cursor: every key present for the whole scan is returned at
  // least once even while the table grows or shrinks. Visits whole buckets until about
  // `count` entries were seen; returns the next cursor (0 = done). Expired keys are passed
  // too; the caller skips them.
  uint64_t Scan(uint64_t cursor, size_t count, const std::function<void(const Entry*)>& fn);
  // Every entry (KEYS, snapshots). fn must not modify the keyspace.
  void ForEach(const std::function<void(const Entry*)>& fn) const;
  // A random live key, or null when empty.
  const Entry* RandomEntry();

  // ---- Expiry and eviction ----
  // Samples volatile keys and removes expired ones until the time budget is spent or few
  // sampled keys were expired (Redis's adaptive cycle). Returns keys removed.
  size_t ActiveExpireCycle(int64_t budget_us);
  // Mean remaining TTL (ms) of the keys the expiry cycle sampled, smoothed; 0 without
  // volatile keys. INFO keyspace avg_ttl. Not a statistic: CONFIG RESETSTAT keeps it.
  int64_t avg_ttl_ms() const { return volatile_.empty() ? 0 : avg_ttl_ms_; }
  // True when a write must first make room: over maxkeys or maxmemory.
  bool OverLimits() const;
  // Evicts by policy until within limits (or nothing evictable is left). Returns false if
  // still over limits (the caller answers -OOM). kNoEviction evicts nothing.
  bool EvictToLimits();
  // Sizes the table for n keys in one step (loading a base whose key count is known) and
  // keeps it from shrinking below that (the cron's shrink check would otherwise undo it
  // while the table is still filling) until EndReserve().
  void Reserve(size_t n);
  void EndReserve() { reserved_ = 0; }
  // Incremental rehash work bounded by time (server cron).
  void RehashStep(int64_t budget_us);

  // ---- Prefetch hints (pipelined commands) ----
  // A batch of commands read in one go is looked up one after another; most of a lookup is
  // waiting for memory. The session hashes the keys of the commands queued behind the
  // current one, asks for their buckets early, then for the entry of the next command,
  // so that each lookup finds its lines in cache. Hints only: nothing changes, a stale
  // or wrong hash costs one wasted prefetch.
  uint64_t HashForPrefetch(std::string_view key) const { return Hash(key); }
  void PrefetchBucket(uint64_t h) const;
  // Reads the (prefetched) bucket and prefetches the first entry of its chain.
  void PrefetchEntry(uint64_t h) const;

  // Test hook: the bucket key falls in within a table of `buckets` (a power of two) slots.
  size_t BucketOf(std::string_view key, size_t buckets) const;

  // Test hook (debug aid): walks every table, list and index and checks that they agree
  // with each other and with count_ and bytes_. O(n); true when consistent.
  bool CheckInvariants() const;

 private:
  struct Table;
  enum class Removal { kDeleted, kExpired, kEvicted };

  uint64_t Hash(std::string_view key) const;
  // The link (bucket slot or previous entry's hash_next_) pointing at the entry holding
  // key, or null; *table says which table holds it.
  Entry** FindSlot(std::string_view key, uint64_t h, int* table) const;
  Entry** SlotOf(const Entry* e, int* table) const;
  // FindSlot for a write (Redis's lookupKeyWrite): a key whose time has passed is expired
  // (and reported) first, and then counts as missing.
  Entry** FindLiveSlot(std::string_view key, int* table);
  const Entry* Lookup(std::string_view key, bool touch, bool count_stats);
  void RehashBuckets(size_t n);
  void Resize(size_t min_buckets);
  void ExpandIfNeeded();
  void ShrinkIfNeeded();
  void InsertIntoTable(Entry* e, uint64_t h);
  Entry* NewEntry(std::string_view key, size_t value_len, bool with_ext, size_t alloc_bytes);
  void FreeEntry(Entry* e);
  void Relocate(Entry** slot, Entry* moved, bool on_volatile_list);
  Entry* Rebuild(Entry** slot, size_t value_len, bool with_ext, std::string_view fill,
                 size_t alloc_bytes);
  static void SetForm(Entry* e, StringForm form);
  void Touch(Entry* e, int64_t now_ms);
  void LruUnlink(Entry* e);
  void LruPushNewest(Entry* e);
  // Sets the links that lead into a volatile-list node from its neighbours prev and next
  // (null: the node is at that end): prev's forward link to after_prev, next's backward
  // link to before_next. Inserting or moving a node passes it twice; unlinking passes the
  // neighbours to each other.
  void VolatileRepointNeighbours(Entry* prev, Entry* next, Entry* after_prev, Entry* before_next);
  void VolatileListUnlink(Entry* e);
  void VolatileListPushNewest(Entry* e);
  void VolatileAdd(Entry* e);
  void VolatileRemove(Entry* e);
  void SyncVolatileBytes();
  void RemoveEntry(Entry** slot, int table, Removal why);
  void RemoveByPointer(Entry* e, Removal why);
  Entry* PickVictim();
  Entry* RandomBucketEntry();
  void FreeAll();
  void Modified(std::string_view key) {
    if (track_modifications_ && listener_ != nullptr) listener_->OnKeyModified(key);
  }
  void Added(std::string_view key) {
    if (report_new_keys_ && listener_ != nullptr) listener_->OnKeyAdded(key);
  }

  const Clock* clock_;
  KeyspaceListener* listener_ = nullptr;
  KeyspaceLimits limits_;
  std::function<size_t()> used_memory_fn_;
  bool track_modifications_ = false;
  bool report_new_keys_ = false;  // keyspace notifications' "new" events are on
  bool expire_enabled_ = true;
  SipHashKeyWords hash_key_;
  std::unique_ptr<Table> tables_[2];
  int64_t rehash_index_ = -1;
  Entry lru_head_;                // sentinel: lru_next_ is the least recent, lru_prev_ the most
  std::vector<Entry*> volatile_;  // dense index of entries with a TTL
  // Volatile LRU list (links live in each entry's extension), null-terminated.
  Entry* volatile_oldest_ = nullptr;
  Entry* volatile_newest_ = nullptr;
  size_t volatile_bytes_ = 0;  // share of bytes_ held by volatile_'s buffer
  size_t count_ = 0;
  size_t reserved_ = 0;  // Reserve(n) in force: no shrinking below n keys' worth
  size_t bytes_ = 0;
  int64_t avg_ttl_ms_ = 0;
  KeyspaceStats stats_;
  std::mt19937_64 rng_;
};

}  // namespace pykv::store
