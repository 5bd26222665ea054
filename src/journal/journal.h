// Journal: the one encoding of every change. The dispatcher's replayable form of each
// mutation is encoded once, as a RESP command, and appended here; the journal's offset
// (Redis's master_repl_offset) counts every byte ever appended and only grows. Whoever
// consumes the stream (the AOF writer, and each replica link) is a reader holding an
// offset: it takes the bytes after its offset and moves its offset on. The journal keeps
// bytes until every reader has them, plus, once a backlog is enabled, the last
// backlog_size() bytes (so a replica that reconnects can continue from its offset).
//
// With no reader and no backlog the journal is inactive: Append encodes nothing and the
// offset stands still, so a server with neither an AOF nor replicas pays one branch per
// change.
//
// Owned by the server; loop thread only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace pykv::journal {

class Journal {
 public:
  using ReaderId = uint32_t;

  Journal() = default;
  Journal(const Journal&) = delete;
  Journal& operator=(const Journal&) = delete;

  // Appends argv encoded as a RESP multibulk command (nothing while inactive). Returns the
  // offset just past it.
  uint64_t Append(std::span<const std::string_view> argv);
  // Appends bytes that are already a RESP command stream (nothing while inactive).
  uint64_t AppendEncoded(std::string_view bytes);
  bool active() const { return !readers_.empty() || backlog_size_ > 0; }

  // Offset just past the last byte appended.
  uint64_t offset() const { return end_; }
  // Offset of the oldest byte still held (== offset() when nothing is held).
  uint64_t start_offset() const { return end_ - buf_.size() + head_; }
  // True when the bytes from `from` to offset() are all still held.
  bool Holds(uint64_t from) const { return from >= start_offset() && from <= end_; }

  // Registers a reader at the current offset.
  ReaderId AddReader();
  // Registers a reader at `offset`, which Holds() must accept: a replica continuing from
  // the backlog, or one joining a snapshot forked at that offset.
  ReaderId AddReaderAt(uint64_t offset);
  void RemoveReader(ReaderId id);
  uint64_t reader_offset(ReaderId id) const;
  // The bytes the reader has not taken yet, contiguous; valid until the next call that
  // changes the journal.
  std::string_view Unread(ReaderId id) const;
  // The reader has taken everything up to `to` (at most offset()).
  void Advance(ReaderId id, uint64_t to);
  // Moves the reader's unread bytes to the end of *out and advances it to offset(). When
  // nobody else needs the bytes and *out is empty, the buffers are swapped (no copy): the
  // common case of an AOF as the only reader.
  void TakeAll(ReaderId id, std::string* out);

  // Drops every byte held and moves the offset to `offset` (forward or back), every reader
  // with it: a replica takes its primary's offset after a full synchronisation.
  void Reset(uint64_t offset);

  // Keep at least the last `bytes` bytes for partial resynchronisation (0: no backlog).
  void set_backlog_size(uint64_t bytes);
  uint64_t backlog_size() const { return backlog_size_; }
  // Bytes held for the backlog right now (Redis's repl_backlog_histlen).
  uint64_t backlog_length() const;

 private:
  struct Reader {
    ReaderId id;
    uint64_t offset;
  };
  Reader* Find(ReaderId id);
  const Reader* Find(ReaderId id) const;
  // Drops the bytes no reader and no backlog needs any more.
  void Trim();

  // buf_[head_, size) holds the bytes [start_offset(), end_); buf_[0, head_) is dead space
  // left by trimming, reclaimed once it is large.
  std::string buf_;
  size_t head_ = 0;
  uint64_t end_ = 0;
  uint64_t backlog_size_ = 0;
  std::vector<Reader> readers_;
  ReaderId next_id_ = 1;
};

}  // namespace pykv::journal
