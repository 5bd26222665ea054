#include "common/out_buffer.h"

#include <algorithm>
#include <cstring>

namespace pykv {

OutBuffer::Chunk& OutBuffer::AddChunk(size_t min_cap) {
  size_t cap = std::max(kChunkSize, min_cap);
  Chunk& c = chunks_.emplace_back();
  // for_overwrite: the bytes are written before they are read, so zeroing them (which
  // make_unique<char[]> does) would only cost time on every large reply.
  c.data = std::make_unique_for_overwrite<char[]>(cap);
  c.cap = cap;
  capacity_ += cap;
  return c;
}

void OutBuffer::AppendSlow(const char* data, size_t n) {
  if (!chunks_.empty()) {
    Chunk& tail = chunks_.back();
    size_t room = tail.cap - tail.end;
    // Fill the tail first so small chunks are not left half empty in the queue.
    if (room > 0) {
      std::memcpy(tail.data.get() + tail.end, data, room);
      tail.end += room;
      size_ += room;
      data += room;
      n -= room;
    }
  }
  // The rest goes into one chunk sized for it, so a big value is one iovec.
  Chunk& c = AddChunk(n);
  std::memcpy(c.data.get(), data, n);
  c.end = n;
  size_ += n;
}

char* OutBuffer::ReserveSlow(size_t n) {
  if (!chunks_.empty() && chunks_.back().begin == chunks_.back().end) {
    // An empty tail is too small for n: replace it rather than leave an empty chunk in the
    // middle of the queue.
    capacity_ -= chunks_.back().cap;
    chunks_.pop_back();
  }
  Chunk& c = AddChunk(n);
  return c.data.get();
}

size_t OutBuffer::PeekIov(struct iovec* iov, size_t max) const {
  size_t filled = 0;
  for (const Chunk& c : chunks_) {
    if (filled == max) break;
    if (c.end == c.begin) continue;
    iov[filled].iov_base = c.data.get() + c.begin;
    iov[filled].iov_len = c.end - c.begin;
    ++filled;
  }
  return filled;
}

void OutBuffer::Consume(size_t n) {
  n = std::min(n, size_);
  size_ -= n;
  while (n > 0) {
    Chunk& front = chunks_.front();
    size_t avail = front.end - front.begin;
    if (n < avail || chunks_.size() == 1) {
      front.begin += n;
      break;
    }
    n -= avail;
    capacity_ -= front.cap;
    chunks_.pop_front();
  }
  if (size_ == 0) Clear();
}

void OutBuffer::Clear() {
  // Keep one standard chunk for the next reply: a client that is answered and drained on
  // every loop iteration then never touches the allocator. Oversized chunks (a big value)
  // are freed so an idle client does not keep megabytes.
  while (chunks_.size() > 1) {
    capacity_ -= chunks_.front().cap;
    chunks_.pop_front();
  }
  if (!chunks_.empty()) {
    Chunk& last = chunks_.back();
    if (last.cap > kChunkSize) {
      capacity_ -= last.cap;
      chunks_.pop_back();
    } else {
      last.begin = last.end = 0;
    }
  }
  size_ = 0;
}

std::string OutBuffer::ToString() const {
  std::string s;
  s.reserve(size_);
  for (const Chunk& c : chunks_) s.append(c.data.get() + c.begin, c.end - c.begin);
  return s;
}

void OutBuffer::ShrinkIfIdle() {
  if (size_ != 0) return;
  chunks_.clear();
  capacity_ = 0;
}

}  // namespace pykv
