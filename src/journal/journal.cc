#include "journal/journal.h"

#include <algorithm>
#include <utility>

#include "resp/command_encoder.h"

namespace pykv::journal {
namespace {

// Dead space at the front is reclaimed once it is this large and at least half the buffer,
// so trimming costs O(1) amortised per byte.
constexpr size_t kCompactMin = 64 * 1024;
// A buffer this large with nothing in it is released rather than kept for reuse.
constexpr size_t kMaxIdleCapacity = 4 * 1024 * 1024;

}  // namespace

uint64_t Journal::Append(std::span<const std::string_view> argv) {
  if (!active()) return end_;
  const size_t before = buf_.size();
  resp::EncodeCommand(argv, &buf_);
  end_ += buf_.size() - before;
  if (readers_.empty()) Trim();  // only the backlog holds bytes: keep it bounded
  return end_;
}

uint64_t Journal::AppendEncoded(std::string_view bytes) {
  if (!active()) return end_;
  buf_.append(bytes);
  end_ += bytes.size();
  if (readers_.empty()) Trim();
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
  readers_.push_back(Reader{id, std::clamp(offset, start_offset(), end_)});
  return id;
}

void Journal::Reset(uint64_t offset) {
  buf_.clear();
  head_ = 0;
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
  if (r == nullptr) return {};
  const size_t from = head_ + static_cast<size_t>(r->offset - start_offset());
  return std::string_view(buf_).substr(from);
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
  const bool sole_owner =
      readers_.size() == 1 && backlog_size_ == 0 && r->offset == start_offset() && head_ == 0;
  if (sole_owner && out->empty()) {
    std::swap(buf_, *out);
    buf_.clear();
    head_ = 0;
    r->offset = end_;
    return;
  }
  out->append(Unread(id));
  r->offset = end_;
  Trim();
}

void Journal::set_backlog_size(uint64_t bytes) {
  backlog_size_ = bytes;
  Trim();
}

uint64_t Journal::backlog_length() const {
  return std::min<uint64_t>(backlog_size_, end_ - start_offset());
}

void Journal::Trim() {
  uint64_t keep_from = end_ - std::min<uint64_t>(backlog_size_, end_ - start_offset());
  for (const Reader& r : readers_) keep_from = std::min(keep_from, r.offset);
  const uint64_t drop = keep_from - start_offset();
  if (drop == 0) return;
  head_ += static_cast<size_t>(drop);
  if (head_ == buf_.size()) {
    if (buf_.capacity() > kMaxIdleCapacity) {
      std::string().swap(buf_);
    } else {
      buf_.clear();
    }
    head_ = 0;
  } else if (head_ >= kCompactMin && head_ >= buf_.size() / 2) {
    buf_.erase(0, head_);
    head_ = 0;
  }
}

}  // namespace pykv::journal
