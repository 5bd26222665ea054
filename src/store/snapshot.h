// Snapshot: the binary base file of the AOF (written by a rewrite, read at start-up), as
// pure encoding and decoding on bytes; files are someone else's business. The format is
// documented in docs/aof-format.md. In short:
//
//   "PYKVSNAP" u32le version (1, or 2 when the header carries a replication position)
//   block*: u32le payload length, u32le crc32(payload), payload = u8 type + body
//     'H' header   varint created_ms, varint expected record count (0 = unknown: a
//                  hint to size the hash table up front), and in version 2 the
//                  replication position: 40-byte replid, varint offset   (first, once)
//     'R' records  { u8 flags, varint klen, key, varint vlen, value,
//                    [varint expire_at_ms if flags & 1] }*
//     'E' end      varint record count, varint block count, u32le crc32 over the
//                  little-endian crcs of every block before it          (last, once)
//
// Every byte after the version is covered by a block checksum, and the end block ties the
// blocks together (none dropped, repeated or reordered), so any damage and any truncation
// is reported instead of loading wrong data. Records are never split across blocks: a
// block is ~64 KiB, or one record when that record is bigger.
//
// Threading: plain objects, one thread at a time (the rewrite child encodes, the loop
// thread decodes).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "common/replication_position.h"
#include "common/status.h"

namespace pykv::store {

class Keyspace;

inline constexpr std::string_view kSnapshotMagic = "PYKVSNAP";
// The newest format version written and read. A file is written with the lowest version
// that can hold it (1 unless the header carries a replication position), so a snapshot
// without one stays readable by builds that know only version 1.
inline constexpr uint32_t kSnapshotVersion = 2;
inline constexpr size_t kSnapshotBlockSize = 64 * 1024;

struct SnapshotRecord {
  std::string_view key;
  std::string_view value;
  int64_t expire_at_ms = -1;  // absolute, ms since the epoch; -1 = no TTL
};

class SnapshotEncoder {
 public:
  // Receives the encoded bytes in order. An error from it stops the encoder: every later
  // call returns that error.
  using Sink = std::function<Status(std::string_view)>;

  explicit SnapshotEncoder(Sink sink, size_t block_size = kSnapshotBlockSize);
  SnapshotEncoder(const SnapshotEncoder&) = delete;
  SnapshotEncoder& operator=(const SnapshotEncoder&) = delete;

  // Writes the magic, the version and the header block. expected_records (0 = unknown)
  // lets a loader size its table once instead of growing it step by step. position (its
  // replid must be kReplicationIdSize bytes) says which replication history and offset
  // the records correspond to.
  Status Begin(int64_t created_ms, uint64_t expected_records = 0,
               const std::optional<ReplicationPosition>& position = std::nullopt);
  // Buffers one record (expire_at_ms: absolute ms, or -1); writes a block when it is full.
  Status Add(std::string_view key, std::string_view value, int64_t expire_at_ms);
  // Writes the last records and the end block. The encoder is done afterwards.
  Status Finish();

  uint64_t records() const { return records_; }
  // Bytes handed to the sink so far.
  uint64_t bytes_written() const { return bytes_written_; }

 private:
  Status Emit(std::string_view bytes);
  // Frames payload_ (type byte included) as one block and sends it.
  Status FlushBlock();
  // A record bigger than a block goes out as a block of its own, straight from the
  // caller's bytes, so a 512 MB value is not copied into the block buffer first.
  Status EmitLargeRecord(std::string_view key, std::string_view value, int64_t expire_at_ms);
  void NoteBlockCrc(uint32_t crc);

  Sink sink_;
  size_t block_size_;
  std::string payload_;  // the block being filled: type byte, then records
  uint64_t records_ = 0;
  uint64_t blocks_ = 0;
  uint32_t chain_crc_ = 0;  // crc32 over the little-endian crcs of the blocks so far
  uint64_t bytes_written_ = 0;
  enum class State { kNew, kOpen, kDone, kFailed } state_ = State::kNew;
  Status error_;
};

// Encodes every live key of ks (keys already expired at the keyspace clock's now are left
// out), with `position` in the header if given. On success *records (if given) holds the
// number of keys written.
Status EncodeKeyspace(const Keyspace& ks, int64_t created_ms, const SnapshotEncoder::Sink& sink,
                      uint64_t* records = nullptr, size_t block_size = kSnapshotBlockSize,
                      const std::optional<ReplicationPosition>& position = std::nullopt);

// Incremental decoder: feed the file's bytes in any pieces, take records out as whole
// blocks arrive and verify. Records of a block are handed out only after its checksum
// matched, so a damaged block never yields a record. Errors are Status::Corruption whose
// message ends with "at offset <N>" (N = the offset of the damaged block or field); the
// same offset and the bare reason are also available separately.
class SnapshotDecoder {
 public:
  enum class Event {
    kNeedMore,  // feed more bytes (or call Finish at end of file)
    kRecord,    // *rec holds a record; its views stay valid until the next PrepareWrite
    kEnd,       // the end block was read and checked: the snapshot is complete
  };

  SnapshotDecoder();
  SnapshotDecoder(const SnapshotDecoder&) = delete;
  SnapshotDecoder& operator=(const SnapshotDecoder&) = delete;

  // The size of the whole file, when known: a damaged length field that points past the
  // end is then reported at once instead of after buffering the rest of the file.
  void set_total_size(uint64_t n) { total_size_ = n; }

  void Feed(std::string_view bytes);
  // Room for at least `hint` bytes, to read straight into; then CommitWrite(n).
  std::span<char> PrepareWrite(size_t hint);
  void CommitWrite(size_t n);

  StatusOr<Event> Next(SnapshotRecord* rec);
  // Call at end of file: Ok only if the end block was read and nothing follows it.
  Status Finish();

  // The file's format version; valid (like everything from the header) once the first
  // record or kEnd was returned.
  uint32_t version() const { return version_; }
  int64_t created_ms() const { return created_ms_; }
  // The header's hint (0 = unknown).
  uint64_t expected_records() const { return expected_records_; }
  // The header's replication position; empty when the file has none (version 1).
  const std::optional<ReplicationPosition>& position() const { return position_; }
  uint64_t records() const { return records_; }
  // Bytes of verified blocks consumed so far (progress).
  uint64_t verified_offset() const { return block_start_; }
  // After an error: the offset of the damage and the reason without the offset.
  uint64_t error_offset() const { return error_offset_; }
  const std::string& error_reason() const { return error_reason_; }

 private:
  Status Fail(uint64_t offset, std::string reason);
  // Drops the bytes before the current block.
  void Compact();
  size_t buffered() const { return end_ - begin_; }
  StatusOr<Event> NextBlock();
  Status ParseHeaderBlock(const char* p, size_t n);
  Status ParseEndBlock(const char* p, size_t n);

  std::unique_ptr<char[]> buf_;
  size_t cap_ = 0;
  size_t begin_ = 0;  // first byte not yet consumed (start of the current block)
  size_t end_ = 0;
  uint64_t base_offset_ = 0;  // file offset of buf_[0]
  uint64_t total_size_ = 0;   // 0 = unknown

  enum class State { kMagic, kBlocks, kEnd, kFailed } state_ = State::kMagic;
  // The record block being handed out: [rec_pos_, rec_end_) in buf_.
  size_t rec_pos_ = 0;
  size_t rec_end_ = 0;
  uint64_t block_start_ = 0;  // file offset of the block being handed out (or next one)
  bool have_header_ = false;
  uint32_t version_ = 0;
  int64_t created_ms_ = 0;
  uint64_t expected_records_ = 0;
  std::optional<ReplicationPosition> position_;
  uint64_t records_ = 0;
  uint64_t blocks_ = 0;
  uint32_t chain_crc_ = 0;
  Status error_;
  uint64_t error_offset_ = 0;
  std::string error_reason_;
};

}  // namespace pykv::store
