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
// The bytes live in fixed blocks (a command never straddles two), dropped whole once
// nothing needs them and reused: appending never moves what is held, and a backlog of N
// bytes costs N plus at most three blocks (a partly dead first one, a partly filled last
// one, one spare).
//
// Owned by the server; loop thread only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
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
  uint64_t start_offset() const { return start_; }
  // True when the bytes from `from` to offset() are all still held.
  bool Holds(uint64_t from) const { return from >= start_offset() && from <= end_; }

  // Registers a reader at the current offset.
  ReaderId AddReader();
  // Registers a reader at `offset`, which Holds() must accept: a replica continuing from
  // the backlog, or one joining a snapshot forked at that offset.
  ReaderId AddReaderAt(uint64_t offset);
  void RemoveReader(ReaderId id);
  uint64_t reader_offset(ReaderId id) const;
  // The next bytes the reader has not taken yet, as far as they are contiguous (empty when
  // it has everything): read, Advance past them, ask again. Valid until the next call that
  // changes the journal.
  std::string_view Unread(ReaderId id) const;
  // How many bytes the reader has not taken yet.
  uint64_t unread_size(ReaderId id) const { return end_ - reader_offset(id); }
  // The reader has taken everything up to `to` (at most offset()).
  void Advance(ReaderId id, uint64_t to);
  // Appends the reader's unread bytes to *out and advances it to offset().
  void TakeAll(ReaderId id, std::string* out);

  // Drops every byte held and moves the offset to `offset` (forward or back), every reader
  // with it: a replica takes its primary's offset after a full synchronisation.
  void Reset(uint64_t offset);

  // Keep at least the last `bytes` bytes for partial resynchronisation (0: no backlog).
  void set_backlog_size(uint64_t bytes);
  uint64_t backlog_size() const { return backlog_size_; }
  // Bytes held for the backlog right now (Redis's repl_backlog_histlen).
  uint64_t backlog_length() const;
  // Memory the blocks take, the spare one included.
  uint64_t allocated() const;

 private:
  struct Reader {
    ReaderId id;
    uint64_t offset;
  };
  struct Block {
    std::unique_ptr<char[]> data;
    size_t capacity = 0;
    size_t used = 0;
    uint64_t offset = 0;  // stream offset of data[0]
  };
  Reader* Find(ReaderId id);
  const Reader* Find(ReaderId id) const;
  // Room for n contiguous bytes at offset(); the caller writes them and calls Commit(n).
  char* Reserve(size_t n);
  void Commit(size_t n);
  // Drops the bytes no reader and no backlog needs any more.
  void Trim();
  // Keeps one emptied block of the usual size for the next Reserve.
  void Recycle(Block&& b);

  std::deque<Block> blocks_;  // oldest first; bytes before start_ in the first are dead
  std::optional<Block> spare_;
  uint64_t start_ = 0;
  uint64_t end_ = 0;
  uint64_t backlog_size_ = 0;
  std::vector<Reader> readers_;
  ReaderId next_id_ = 1;
};

}  // namespace pykv::journal
