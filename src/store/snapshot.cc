#include "store/snapshot.h"

#include <zlib.h>

#include <algorithm>
#include <cstring>
#include <limits>
#include <utility>

#include "store/keyspace.h"
#include "store/varint.h"

namespace pykv::store {
namespace {

constexpr size_t kFileHeaderBytes = 12;  // magic + u32 version
constexpr size_t kFrameBytes = 8;        // u32 length + u32 crc
constexpr char kHeaderBlock = 'H';
constexpr char kRecordBlock = 'R';
constexpr char kEndBlock = 'E';
constexpr uint8_t kFlagExpire = 1;
// Version 1 headers end after the size hint; version 2 adds the replication position.
constexpr uint32_t kVersionPlain = 1;
constexpr uint32_t kVersionWithPosition = 2;
static_assert(kVersionWithPosition == kSnapshotVersion);
// Replication offsets are Redis's long long.
constexpr int64_t kMaxOffset = std::numeric_limits<int64_t>::max();
// A payload length is a u32; leave room for the record's own framing bytes.
constexpr uint64_t kMaxPayload = std::numeric_limits<uint32_t>::max();

uint32_t Crc(uint32_t crc, const char* p, size_t n) {
  return static_cast<uint32_t>(crc32_z(crc, reinterpret_cast<const Bytef*>(p), n));
}

void PutU32(char* p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<char>((v >> (8 * i)) & 0xff);
}

uint32_t GetU32(const char* p) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v |= static_cast<uint32_t>(static_cast<uint8_t>(p[i])) << (8 * i);
  return v;
}

void AppendVarint(std::string* s, uint64_t v) {
  char tmp[kMaxVarintBytes];
  s->append(tmp, static_cast<size_t>(PutVarint(tmp, v) - tmp));
}

std::string AtOffset(std::string_view reason, uint64_t offset) {
  std::string msg(reason);
  msg.append(" at offset ").append(std::to_string(offset));
  return msg;
}

}  // namespace

// ---------------------------------------------------------------------------------------
// Encoder

SnapshotEncoder::SnapshotEncoder(Sink sink, size_t block_size)
    : sink_(std::move(sink)), block_size_(std::max<size_t>(block_size, 64)) {}

Status SnapshotEncoder::Emit(std::string_view bytes) {
  Status s = sink_(bytes);
  if (!s.ok()) {
    state_ = State::kFailed;
    error_ = s;
    return s;
  }
  bytes_written_ += bytes.size();
  return s;
}

void SnapshotEncoder::NoteBlockCrc(uint32_t crc) {
  char le[4];
  PutU32(le, crc);
  chain_crc_ = Crc(chain_crc_, le, 4);
  ++blocks_;
}

Status SnapshotEncoder::Begin(int64_t created_ms, uint64_t expected_records,
                              const std::optional<ReplicationPosition>& position) {
  if (state_ == State::kFailed) return error_;
  if (state_ != State::kNew) return Status::Invalid("snapshot: Begin called twice");
  if (position && (position->replid.size() != kReplicationIdSize ||
                   position->offset > static_cast<uint64_t>(kMaxOffset))) {
    return Status::Invalid("snapshot: malformed replication position");
  }
  state_ = State::kOpen;
  char head[kFileHeaderBytes];
  std::memcpy(head, kSnapshotMagic.data(), kSnapshotMagic.size());
  PutU32(head + 8, position ? kVersionWithPosition : kVersionPlain);
  Status s = Emit(std::string_view(head, sizeof(head)));
  if (!s.ok()) return s;

  payload_.assign(kFrameBytes, '\0');
  payload_.push_back(kHeaderBlock);
  AppendVarint(&payload_, static_cast<uint64_t>(std::max<int64_t>(created_ms, 0)));
  AppendVarint(&payload_, expected_records);
  if (position) {
    payload_.append(position->replid);
    AppendVarint(&payload_, position->offset);
  }
  s = FlushBlock();
  if (!s.ok()) return s;
  payload_.reserve(kFrameBytes + block_size_ + 64);
  return s;
}

Status SnapshotEncoder::FlushBlock() {
  // payload_ = frame placeholder + type byte + body; a lone 'R' means nothing to write.
  if (payload_.size() <= kFrameBytes + 1 && payload_[kFrameBytes] == kRecordBlock) {
    return Status::Ok();
  }
  const size_t len = payload_.size() - kFrameBytes;
  const uint32_t crc = Crc(0, payload_.data() + kFrameBytes, len);
  PutU32(payload_.data(), static_cast<uint32_t>(len));
  PutU32(payload_.data() + 4, crc);
  NoteBlockCrc(crc);
  Status s = Emit(payload_);
  payload_.resize(kFrameBytes);
  payload_.push_back(kRecordBlock);
  return s;
}

Status SnapshotEncoder::Add(std::string_view key, std::string_view value, int64_t expire_at_ms) {
  if (state_ == State::kFailed) return error_;
  if (state_ != State::kOpen) return Status::Invalid("snapshot: Add outside Begin/Finish");
  if (expire_at_ms < -1) return Status::Invalid("snapshot: negative expire time");
  const bool has_expire = expire_at_ms >= 0;
  const size_t rec_bytes = 1 + VarintLen(key.size()) + key.size() + VarintLen(value.size()) +
                           value.size() +
                           (has_expire ? VarintLen(static_cast<uint64_t>(expire_at_ms)) : 0);
  ++records_;
  if (rec_bytes > block_size_) {
    Status s = FlushBlock();
    if (!s.ok()) return s;
    return EmitLargeRecord(key, value, expire_at_ms);
  }
  if (payload_.size() - kFrameBytes - 1 + rec_bytes > block_size_) {
    Status s = FlushBlock();
    if (!s.ok()) return s;
  }
  // Appending piece by piece into reserved room: no allocation per record.
  const size_t at = payload_.size();
  payload_.resize(at + rec_bytes);
  char* p = payload_.data() + at;
  *p++ = static_cast<char>(has_expire ? kFlagExpire : 0);
  p = PutVarint(p, key.size());
  std::memcpy(p, key.data(), key.size());
  p += key.size();
  p = PutVarint(p, value.size());
  std::memcpy(p, value.data(), value.size());
  p += value.size();
  if (has_expire) PutVarint(p, static_cast<uint64_t>(expire_at_ms));
  return Status::Ok();
}

Status SnapshotEncoder::EmitLargeRecord(std::string_view key, std::string_view value,
                                        int64_t expire_at_ms) {
  const bool has_expire = expire_at_ms >= 0;
  char head[kFrameBytes + 2 + kMaxVarintBytes];
  char* p = head + kFrameBytes;
  *p++ = kRecordBlock;
  *p++ = static_cast<char>(has_expire ? kFlagExpire : 0);
  p = PutVarint(p, key.size());
  const size_t head_len = static_cast<size_t>(p - head);
  char mid[kMaxVarintBytes];
  const size_t mid_len = static_cast<size_t>(PutVarint(mid, value.size()) - mid);
  char tail[kMaxVarintBytes];
  const size_t tail_len =
      has_expire ? static_cast<size_t>(PutVarint(tail, static_cast<uint64_t>(expire_at_ms)) - tail)
                 : 0;
  const uint64_t len = (head_len - kFrameBytes) + key.size() + mid_len + value.size() + tail_len;
  if (len > kMaxPayload) return Status::Invalid("snapshot: record too large for a block");

  uint32_t crc = Crc(0, head + kFrameBytes, head_len - kFrameBytes);
  crc = Crc(crc, key.data(), key.size());
  crc = Crc(crc, mid, mid_len);
  crc = Crc(crc, value.data(), value.size());
  crc = Crc(crc, tail, tail_len);
  PutU32(head, static_cast<uint32_t>(len));
  PutU32(head + 4, crc);
  NoteBlockCrc(crc);
  for (std::string_view piece :
       {std::string_view(head, head_len), key, std::string_view(mid, mid_len), value,
        std::string_view(tail, tail_len)}) {
    if (piece.empty()) continue;
    Status s = Emit(piece);
    if (!s.ok()) return s;
  }
  return Status::Ok();
}

Status SnapshotEncoder::Finish() {
  if (state_ == State::kFailed) return error_;
  if (state_ != State::kOpen) return Status::Invalid("snapshot: Finish without Begin");
  Status s = FlushBlock();
  if (!s.ok()) return s;
  payload_.resize(kFrameBytes);
  payload_.push_back(kEndBlock);
  AppendVarint(&payload_, records_);
  AppendVarint(&payload_, blocks_);
  char le[4];
  PutU32(le, chain_crc_);
  payload_.append(le, 4);
  const size_t len = payload_.size() - kFrameBytes;
  const uint32_t crc = Crc(0, payload_.data() + kFrameBytes, len);
  PutU32(payload_.data(), static_cast<uint32_t>(len));
  PutU32(payload_.data() + 4, crc);
  s = Emit(payload_);
  if (!s.ok()) return s;
  state_ = State::kDone;
  std::string().swap(payload_);
  return s;
}

Status EncodeKeyspace(const Keyspace& ks, int64_t created_ms, const SnapshotEncoder::Sink& sink,
                      uint64_t* records, size_t block_size,
                      const std::optional<ReplicationPosition>& position) {
  SnapshotEncoder enc(sink, block_size);
  Status s = enc.Begin(created_ms, ks.size(), position);
  // Expired keys stay in the table until something removes them; a snapshot has no reason
  // to carry them (the loader would skip them anyway).
  const int64_t now_ms = ks.clock()->NowMs();
  ks.ForEach([&](const Entry* e) {
    if (!s.ok()) return;
    const int64_t at = e->expire_at_ms();
    if (at != -1 && at < now_ms) return;
    s = enc.Add(e->key(), e->value(), at);
  });
  if (s.ok()) s = enc.Finish();
  if (s.ok() && records != nullptr) *records = enc.records();
  return s;
}

// ---------------------------------------------------------------------------------------
// Decoder

SnapshotDecoder::SnapshotDecoder() = default;

Status SnapshotDecoder::Fail(uint64_t offset, std::string reason) {
  state_ = State::kFailed;
  error_offset_ = offset;
  error_reason_ = std::move(reason);
  error_ = Status::Corruption(AtOffset(error_reason_, offset));
  return error_;
}

void SnapshotDecoder::Compact() {
  if (begin_ == 0) return;
  const size_t live = end_ - begin_;
  if (live > 0) std::memmove(buf_.get(), buf_.get() + begin_, live);
  // Only whole consumed blocks lie before begin_; the record cursor moves with the bytes.
  if (rec_end_ > 0) {
    rec_pos_ -= begin_;
    rec_end_ -= begin_;
  }
  base_offset_ += begin_;
  end_ = live;
  begin_ = 0;
}

std::span<char> SnapshotDecoder::PrepareWrite(size_t hint) {
  hint = std::max<size_t>(hint, 1);
  if (cap_ - end_ < hint) {
    Compact();
    if (cap_ - end_ < hint) {
      const size_t new_cap = std::max({cap_ * 2, end_ + hint, size_t{64 * 1024}});
      auto fresh = std::make_unique_for_overwrite<char[]>(new_cap);
      if (end_ > 0) std::memcpy(fresh.get(), buf_.get(), end_);
      buf_ = std::move(fresh);
      cap_ = new_cap;
    }
  }
  return {buf_.get() + end_, cap_ - end_};
}

void SnapshotDecoder::CommitWrite(size_t n) {
  end_ += std::min(n, cap_ - end_);
}

void SnapshotDecoder::Feed(std::string_view bytes) {
  if (bytes.empty()) return;
  std::span<char> room = PrepareWrite(bytes.size());
  std::memcpy(room.data(), bytes.data(), bytes.size());
  CommitWrite(bytes.size());
}

StatusOr<SnapshotDecoder::Event> SnapshotDecoder::Next(SnapshotRecord* rec) {
  for (;;) {
    switch (state_) {
      case State::kFailed:
        return error_;
      case State::kEnd:
        if (buffered() > 0) {
          return Fail(base_offset_ + begin_, "unexpected data after the end block");
        }
        return Event::kEnd;
      case State::kMagic: {
        // Compare what has arrived so far, so a file that is not a snapshot at all is
        // rejected without waiting for more.
        const size_t n = std::min(buffered(), kSnapshotMagic.size());
        if (n > 0 && std::memcmp(buf_.get() + begin_, kSnapshotMagic.data(), n) != 0) {
          return Fail(0, "not a PyKV snapshot (bad magic)");
        }
        if (buffered() < kFileHeaderBytes) return Event::kNeedMore;
        const uint32_t version = GetU32(buf_.get() + begin_ + 8);
        if (version != kVersionPlain && version != kVersionWithPosition) {
          return Fail(8, "unsupported snapshot format version " + std::to_string(version));
        }
        version_ = version;
        begin_ += kFileHeaderBytes;
        block_start_ = base_offset_ + begin_;
        state_ = State::kBlocks;
        continue;
      }
      case State::kBlocks:
        break;
    }

    if (rec_pos_ < rec_end_) {
      const char* p = buf_.get() + rec_pos_;
      const char* end = buf_.get() + rec_end_;
      const auto flags = static_cast<uint8_t>(*p++);
      uint64_t klen = 0;
      uint64_t vlen = 0;
      uint64_t expire = 0;
      bool ok = (flags & ~kFlagExpire) == 0;
      if (ok) ok = (p = GetVarint(p, end, &klen)) != nullptr && klen <= uint64_t(end - p);
      if (ok) {
        rec->key = std::string_view(p, klen);
        p += klen;
        ok = (p = GetVarint(p, end, &vlen)) != nullptr && vlen <= uint64_t(end - p);
      }
      if (ok) {
        rec->value = std::string_view(p, vlen);
        p += vlen;
        rec->expire_at_ms = -1;
        if (flags & kFlagExpire) {
          ok = (p = GetVarint(p, end, &expire)) != nullptr &&
               expire <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
          if (ok) rec->expire_at_ms = static_cast<int64_t>(expire);
        }
      }
      if (!ok) {
        // The checksum matched, so this is a writer bug rather than disk damage; either way
        // the data cannot be trusted.
        return Fail(block_start_, "malformed record in a block");
      }
      rec_pos_ = static_cast<size_t>(p - buf_.get());
      ++records_;
      return Event::kRecord;
    }
    if (rec_end_ > 0) {
      // The record block is used up: consume it.
      begin_ = rec_end_;
      rec_pos_ = rec_end_ = 0;
      block_start_ = base_offset_ + begin_;
    }
    StatusOr<Event> ev = NextBlock();
    if (!ev.ok() || *ev != Event::kRecord) return ev;
    // kRecord from NextBlock means "go on": a record block is ready, or a header block was
    // taken; loop to hand out the next record.
  }
}

StatusOr<SnapshotDecoder::Event> SnapshotDecoder::NextBlock() {
  const uint64_t offset = base_offset_ + begin_;
  if (buffered() < kFrameBytes) return Event::kNeedMore;
  const char* frame = buf_.get() + begin_;
  const uint32_t len = GetU32(frame);
  const uint32_t want_crc = GetU32(frame + 4);
  if (len == 0) return Fail(offset, "empty block");
  if (total_size_ > 0 && offset + kFrameBytes + len > total_size_) {
    return Fail(offset, "block length " + std::to_string(len) +
                            " runs past the end of the file (truncated or damaged)");
  }
  if (buffered() < kFrameBytes + len) return Event::kNeedMore;
  const char* payload = frame + kFrameBytes;
  if (Crc(0, payload, len) != want_crc) return Fail(offset, "block checksum mismatch");

  block_start_ = offset;
  switch (payload[0]) {
    case kHeaderBlock: {
      if (have_header_) return Fail(offset, "unexpected second header block");
      Status s = ParseHeaderBlock(payload + 1, len - 1);
      if (!s.ok()) return s;
      char le[4];
      PutU32(le, want_crc);
      chain_crc_ = Crc(chain_crc_, le, 4);
      ++blocks_;
      begin_ += kFrameBytes + len;
      block_start_ = base_offset_ + begin_;
      return Event::kRecord;  // "go on": the caller loops to the next block
    }
    case kRecordBlock: {
      if (!have_header_) return Fail(offset, "record block before the header block");
      char le[4];
      PutU32(le, want_crc);
      chain_crc_ = Crc(chain_crc_, le, 4);
      ++blocks_;
      rec_pos_ = begin_ + kFrameBytes + 1;
      rec_end_ = begin_ + kFrameBytes + len;
      return Event::kRecord;
    }
    case kEndBlock: {
      if (!have_header_) return Fail(offset, "end block before the header block");
      Status s = ParseEndBlock(payload + 1, len - 1);
      if (!s.ok()) return s;
      begin_ += kFrameBytes + len;
      block_start_ = base_offset_ + begin_;
      state_ = State::kEnd;
      if (buffered() > 0) return Fail(block_start_, "unexpected data after the end block");
      return Event::kEnd;
    }
    default:
      return Fail(offset, "unknown block type");
  }
}

Status SnapshotDecoder::ParseHeaderBlock(const char* p, size_t n) {
  const char* end = p + n;
  uint64_t created = 0;
  uint64_t expected = 0;
  p = GetVarint(p, end, &created);
  // The size hint came after the first snapshots were written: optional.
  if (p != nullptr && p != end) p = GetVarint(p, end, &expected);
  // Version 2 adds the replication position; version 1 has no room for it.
  std::optional<ReplicationPosition> position;
  if (p != nullptr && version_ == kVersionWithPosition) {
    const char* id = p;
    uint64_t offset = 0;
    p = static_cast<size_t>(end - p) > kReplicationIdSize
            ? GetVarint(p + kReplicationIdSize, end, &offset)
            : nullptr;
    if (p != nullptr && offset <= static_cast<uint64_t>(kMaxOffset)) {
      position = ReplicationPosition{std::string(id, kReplicationIdSize), offset};
    } else {
      p = nullptr;
    }
  }
  if (p == nullptr || p != end ||
      created > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
    return Fail(block_start_, "malformed header block");
  }
  created_ms_ = static_cast<int64_t>(created);
  expected_records_ = expected;
  position_ = std::move(position);
  have_header_ = true;
  return Status::Ok();
}

Status SnapshotDecoder::ParseEndBlock(const char* p, size_t n) {
  const char* end = p + n;
  uint64_t count = 0;
  uint64_t blocks = 0;
  p = GetVarint(p, end, &count);
  if (p != nullptr) p = GetVarint(p, end, &blocks);
  if (p == nullptr || end - p != 4) return Fail(block_start_, "malformed end block");
  if (count != records_) {
    return Fail(block_start_, "record count mismatch: the end block says " + std::to_string(count) +
                                  ", the file holds " + std::to_string(records_));
  }
  if (blocks != blocks_ || GetU32(p) != chain_crc_) {
    return Fail(block_start_, "blocks missing, repeated or out of order");
  }
  return Status::Ok();
}

Status SnapshotDecoder::Finish() {
  switch (state_) {
    case State::kFailed:
      return error_;
    case State::kEnd:
      if (buffered() > 0) return Fail(base_offset_ + begin_, "unexpected data after the end block");
      return Status::Ok();
    case State::kMagic:
      if (base_offset_ + end_ == 0) return Fail(0, "empty file (not a PyKV snapshot)");
      return Fail(0, "truncated file header");
    case State::kBlocks:
      break;
  }
  // Records of a verified block may still be waiting: the caller stopped early. That is a
  // usage error, but report it as what it looks like from outside: an incomplete read.
  return Fail(base_offset_ + begin_,
              "unexpected end of file: the snapshot's end block is missing (truncated)");
}

}  // namespace pykv::store
