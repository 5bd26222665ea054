#include "journal/journal.h"

#include <algorithm>
#include <cstring>
#include <utility>

#include "resp/command_encoder.h"

namespace pykv::journal {
namespace {

// A block holds many commands: large enough that a replica's batch or an AOF write is a
// handful of pieces, small enough that the backlog's last partly dead block costs little.
constexpr size_t kBlockSize = 64 * 1024;

}  // namespace

char* Journal::Reserve(size_t n) {
  if (blocks_.empty() || blocks_.back().capacity - blocks_.back().used < n) {
    Block b;
    if (spare_ && n <= spare_->capacity) {
      b = std::move(*spare_);
      spare_.reset();
    } else {
      // A command larger than a block gets one of its own size.
      b.capacity = std::max(n, kBlockSize);
      b.data = std::make_unique_for_overwrite<char[]>(b.capacity);
    }
    b.used = 0;
    b.offset = end_;
    blocks_.push_back(std::move(b));
  }
  Block& last = blocks_.back();
  return last.data.get() + last.used;
}

void Journal::Commit(size_t n) {
  blocks_.back().used += n;
  end_ += n;
  if (readers_.empty()) Trim();  // only the backlog holds bytes: keep it bounded
}

uint64_t Journal::Append(std::span<const std::string_view> argv) {
  if (!active()) return end_;
  const size_t n = resp::EncodedCommandSize(argv);
  resp::EncodeCommandAt(argv, Reserve(n));
  Commit(n);
  return end_;
}

uint64_t Journal::AppendEncoded(std::string_view bytes) {
  if (!active() || bytes.empty()) return end_;
  std::memcpy(Reserve(bytes.size()), bytes.data(), bytes.size());
  Commit(bytes.size());
  return end_;
}

Journal::Reader* Journal::Find(ReaderId id) {
  for (Reader& r : readers_) {
    if (r.id == id) return &r;
  }
  return nullptr;
}

const Journal::Reader* Journal::Find(ReaderId id) const {
  for (const Reader& r : readers_) {
    if (r.id == id) return &r;
  }
  return nullptr;
}

Journal::ReaderId Journal::AddReader() {
  const ReaderId id = next_id_++;
  readers_.push_back(Reader{id, end_});
  return id;
}

Journal::ReaderId Journal::AddReaderAt(uint64_t offset) {
  const ReaderId id = next_id_++;
  readers_.push_back(Reader{id, std::clamp(offset, start_, end_)});
  return id;
}

void Journal::Reset(uint64_t offset) {
  while (!blocks_.empty()) {
    Recycle(std::move(blocks_.front()));
    blocks_.pop_front();
  }
  start_ = offset;
  end_ = offset;
  for (Reader& r : readers_) r.offset = offset;
}

void Journal::RemoveReader(ReaderId id) {
  readers_.erase(std::remove_if(readers_.begin(), readers_.end(),
                                [id](const Reader& r) { return r.id == id; }),
                 readers_.end());
  Trim();
}

uint64_t Journal::reader_offset(ReaderId id) const {
  const Reader* r = Find(id);
  return r != nullptr ? r->offset : end_;
}

std::string_view Journal::Unread(ReaderId id) const {
  const Reader* r = Find(id);
  if (r == nullptr || r->offset == end_) return {};
  // Readers are mostly near the end: look from the newest block back.
  for (auto it = blocks_.rbegin(); it != blocks_.rend(); ++it) {
    if (it->offset <= r->offset) {
      const size_t at = static_cast<size_t>(r->offset - it->offset);
      return std::string_view(it->data.get() + at, it->used - at);
    }
  }
  return {};
}

void Journal::Advance(ReaderId id, uint64_t to) {
  Reader* r = Find(id);
  if (r == nullptr) return;
  r->offset = std::clamp(to, r->offset, end_);
  Trim();
}

void Journal::TakeAll(ReaderId id, std::string* out) {
  Reader* r = Find(id);
  if (r == nullptr || r->offset == end_) return;
  // One pass from the oldest block: a reader far behind (the AOF during a rewrite) may
  // span many blocks, and Unread would search for each.
  for (const Block& b : blocks_) {
    const uint64_t block_end = b.offset + b.used;
    if (block_end <= r->offset) continue;
    const size_t at = static_cast<size_t>(r->offset - b.offset);
    out->append(b.data.get() + at, b.used - at);
    r->offset = block_end;
  }
  Trim();
}

void Journal::set_backlog_size(uint64_t bytes) {
  backlog_size_ = bytes;
  Trim();
}

uint64_t Journal::backlog_length() const {
  return std::min<uint64_t>(backlog_size_, end_ - start_);
}

uint64_t Journal::allocated() const {
  uint64_t n = spare_ ? spare_->capacity : 0;
  for (const Block& b : blocks_) n += b.capacity;
  return n;
}

void Journal::Recycle(Block&& b) {
  if (!spare_ && b.capacity == kBlockSize) spare_ = std::move(b);
}

void Journal::Trim() {
  uint64_t keep_from = end_ - std::min<uint64_t>(backlog_size_, end_ - start_);
  for (const Reader& r : readers_) keep_from = std::min(keep_from, r.offset);
  start_ = keep_from;
  while (!blocks_.empty() && blocks_.front().offset + blocks_.front().used <= start_) {
    Recycle(std::move(blocks_.front()));
    blocks_.pop_front();
  }
}

}  // namespace pykv::journal
