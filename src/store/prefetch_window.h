// PrefetchWindow: hides memory latency for a batch of commands that arrived together (a
// pipeline, or an AOF being replayed). Most of a lookup in a big keyspace is waiting for
// two cache misses, the bucket and the entry. Before each command the window asks the
// keyspace to prefetch the entry of the next command's key, whose bucket it asked for a
// while earlier, when it last peeked at the commands queued behind the current one. Hints
// only: the keyspace state never changes, and a wrong or stale key costs one wasted
// prefetch. One window per input stream (client session, loader); loop thread only.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "store/keyspace.h"

namespace pykv::store {

class PrefetchWindow {
 public:
  static constexpr size_t kDepth = 16;

  // Call before running each command. peek(std::span<std::string_view> out) fills out with
  // the keys (empty views for none) of the complete commands buffered behind the current
  // one, in order, and returns how many; it is called only when the window is used up.
  template <typename PeekFn>
  void BeforeCommand(const Keyspace& ks, PeekFn&& peek) {
    if (next_ < count_) {
      if (valid_[next_]) ks.PrefetchEntry(hashes_[next_]);
      ++next_;
      return;
    }
    std::array<std::string_view, kDepth> keys;
    count_ = peek(std::span<std::string_view>(keys));
    // The first queued command runs next; its bucket cannot have arrived by then, so its
    // entry is not asked for (reading the bucket would wait for memory).
    next_ = 1;
    for (size_t i = 0; i < count_; ++i) {
      valid_[i] = !keys[i].empty();
      if (!valid_[i]) continue;
      hashes_[i] = ks.HashForPrefetch(keys[i]);
      ks.PrefetchBucket(hashes_[i]);
    }
  }

  // The input the window described is gone or was not run (a new read, a stop midway).
  void Reset() {
    count_ = 0;
    next_ = 0;
  }

 private:
  std::array<uint64_t, kDepth> hashes_{};
  std::array<bool, kDepth> valid_{};
  size_t count_ = 0;
  size_t next_ = 0;
};

}  // namespace pykv::store
