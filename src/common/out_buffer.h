// OutBuffer: a queue of bytes written at the back (replies, AOF records, replication
// stream) and drained from the front (socket or file writes). Storage is a list of chunks
// so growth never copies what is already queued, and a large value lands in one chunk.
// Not thread-safe: owned and used by one thread (the loop thread).
#pragma once

#include <sys/uio.h>

#include <cstddef>
#include <cstring>
#include <deque>
#include <memory>
#include <string>
#include <string_view>

namespace pykv {

class OutBuffer {
 public:
  static constexpr size_t kChunkSize = 16 * 1024;

  OutBuffer() = default;
  OutBuffer(const OutBuffer&) = delete;
  OutBuffer& operator=(const OutBuffer&) = delete;
  OutBuffer(OutBuffer&&) = default;
  OutBuffer& operator=(OutBuffer&&) = default;

  void Append(std::string_view bytes) { Append(bytes.data(), bytes.size()); }
  // Inline fast path: every reply goes through here, and most fit in the tail chunk.
  void Append(const char* data, size_t n) {
    if (!chunks_.empty()) {
      Chunk& tail = chunks_.back();
      if (tail.cap - tail.end >= n) {
        if (n != 0) std::memcpy(tail.data.get() + tail.end, data, n);
        tail.end += n;
        size_ += n;
        return;
      }
    }
    AppendSlow(data, n);
  }
  void Append(char c) { Append(&c, 1); }

  // Contiguous space for at least n bytes at the back. Write into it, then Commit(k) with
  // k <= n. Nothing else may touch the buffer in between.
  char* Reserve(size_t n) {
    if (!chunks_.empty()) {
      Chunk& tail = chunks_.back();
      if (tail.cap - tail.end >= n) return tail.data.get() + tail.end;
    }
    return ReserveSlow(n);
  }
  void Commit(size_t n) {
    // Commit(0) without a Reserve must not touch a chunk that may not exist.
    if (n == 0) return;
    chunks_.back().end += n;
    size_ += n;
  }

  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }

  // Fills up to max iovecs with the front of the queue; returns how many were filled.
  size_t PeekIov(struct iovec* iov, size_t max) const;
  // Drops n bytes (n <= size()) from the front.
  void Consume(size_t n);
  void Clear();
  // Copies everything into a string (tests and small callers).
  std::string ToString() const;

  // Bytes of memory held, including unused chunk capacity.
  size_t MemoryUsage() const { return capacity_; }
  // Releases spare capacity (an idle client keeps nothing).
  void ShrinkIfIdle();

 private:
  struct Chunk {
    std::unique_ptr<char[]> data;
    size_t cap = 0;
    size_t begin = 0;  // first unread byte
    size_t end = 0;    // one past the last written byte
  };
  Chunk& AddChunk(size_t min_cap);
  void AppendSlow(const char* data, size_t n);
  char* ReserveSlow(size_t n);

  std::deque<Chunk> chunks_;
  size_t size_ = 0;
  size_t capacity_ = 0;
};

}  // namespace pykv
