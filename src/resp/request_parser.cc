#include "resp/request_parser.h"

#include <algorithm>
#include <cstring>
#include <limits>

#include "resp/split_args.h"

namespace pykv::resp {

namespace {

// command_start_offset() adds a rebased cmd_start_ that may have wrapped below zero after
// Compact(); that is exact only if both operands wrap modulo the same 2^64.
static_assert(sizeof(size_t) == sizeof(uint64_t));

constexpr size_t kNpos = std::numeric_limits<size_t>::max();
// Redis PROTO_MBULK_BIG_ARG: from this size on, room for the whole bulk is reserved when
// its header arrives, so the payload is read straight into place and never copied again.
constexpr int64_t kBigArg = 32 * 1024;
// Extra room reserved past a big bulk, so a typical 64 KiB read near its end still fits
// without regrowing (and copying) the big buffer.
constexpr size_t kReadSlack = 64 * 1024;
// Never reserve more than this up front, whatever the limits say (a sanity bound that
// keeps the size arithmetic far from overflow).
constexpr uint64_t kMaxReserve = 1ull << 40;
// The smallest buffer worth allocating, and the size above which an empty one is freed.
constexpr size_t kMinBuffer = 16 * 1024;
constexpr size_t kKeepIdle = 64 * 1024;
// A buffer this big that is mostly empty is shrunk by Compact().
constexpr size_t kShrinkAbove = 1024 * 1024;
// Unauthenticated clients' limits (Redis's fix for CVE-2021-32675).
constexpr int64_t kUnauthMultibulk = 10;
constexpr int64_t kUnauthBulk = 16384;

// Redis string2ll: optional '-', digits without leading zeros (but "0"), no '+', no
// spaces, no overflow. Local so the parser depends on nothing that may be mid-rewrite.
bool ParseLength(const char* p, size_t n, int64_t* out) {
  if (n == 0) return false;
  if (n == 1 && p[0] == '0') {
    *out = 0;
    return true;
  }
  bool negative = false;
  if (p[0] == '-') {
    negative = true;
    ++p;
    --n;
    if (n == 0) return false;
  }
  if (p[0] < '1' || p[0] > '9') return false;
  uint64_t v = 0;
  for (size_t i = 0; i < n; ++i) {
    if (p[i] < '0' || p[i] > '9') return false;
    uint64_t d = static_cast<uint64_t>(p[i] - '0');
    if (v > (std::numeric_limits<uint64_t>::max() - d) / 10) return false;
    v = v * 10 + d;
  }
  constexpr uint64_t kMax = static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
  if (negative) {
    if (v > kMax + 1) return false;
    // Negating in unsigned space avoids the overflow of -(INT64_MIN).
    *out = static_cast<int64_t>(0 - v);
  } else {
    if (v > kMax) return false;
    *out = static_cast<int64_t>(v);
  }
  return true;
}

// The common header, "*3\r\n" or "$5\r\n": up to 18 digits (so no overflow is possible),
// a valid string2ll number, then CR and one more byte, all buffered. Returns the CR's index,
// or kNpos to send the line down the general path (which also produces the errors). Saves a
// memchr call and a second pass over the digits on every header.
size_t QuickHeader(const char* buf, size_t start, size_t end, int64_t* value) {
  size_t i = start + 1;
  size_t limit = std::min(end, i + 18);
  int64_t v = 0;
  while (i < limit && buf[i] >= '0' && buf[i] <= '9') {
    v = v * 10 + (buf[i] - '0');
    ++i;
  }
  size_t digits = i - start - 1;
  if (digits == 0 || i + 1 >= end || buf[i] != '\r') return kNpos;
  if (digits > 1 && buf[start + 1] == '0') return kNpos;  // leading zero: invalid
  *value = v;
  return i;
}

}  // namespace

RequestParser::RequestParser(const ParserLimits* limits) : limits_(limits) {}

std::span<char> RequestParser::PrepareWrite(size_t hint) {
  // Always at least one byte: a read into an empty buffer would look like end of file.
  EnsureRoom(std::max<size_t>(hint, 1));
  return {buf_.get() + end_, cap_ - end_};
}

void RequestParser::CommitWrite(size_t n) {
  end_ += std::min(n, cap_ - end_);
}

void RequestParser::Append(std::string_view bytes) {
  if (bytes.empty()) return;
  std::span<char> room = PrepareWrite(bytes.size());
  std::memcpy(room.data(), bytes.data(), bytes.size());
  CommitWrite(bytes.size());
}

void RequestParser::EnsureRoom(size_t n) {
  if (cap_ - end_ >= n) return;
  // Dropping consumed bytes is cheaper than growing when it makes enough room.
  if (consumed_ > 0) {
    Shift();
    if (cap_ - end_ >= n) return;
  }
  // Geometric growth keeps a long run of small reads O(total bytes).
  Reallocate(std::max({cap_ * 2, end_ + n, kMinBuffer}));
}

void RequestParser::Reallocate(size_t new_cap) {
  if (consumed_ > 0) Shift();
  if (new_cap < end_) new_cap = end_;
  std::unique_ptr<char[]> fresh;
  if (new_cap > 0) {
    fresh = std::make_unique_for_overwrite<char[]>(new_cap);
    if (end_ > 0) std::memcpy(fresh.get(), buf_.get(), end_);
  }
  buf_ = std::move(fresh);
  cap_ = new_cap;
  // The views pointed into the old allocation.
  argv_.clear();
}

void RequestParser::Shift() {
  if (consumed_ == 0) return;
  size_t live = end_ - consumed_;
  if (live > 0) std::memmove(buf_.get(), buf_.get() + consumed_, live);
  for (auto& [offset, len] : arg_offsets_) offset -= consumed_;
  pos_ -= consumed_;
  scan_ = scan_ > consumed_ ? scan_ - consumed_ : 0;
  // Wraps below zero once the last returned command has been dropped; see static_assert.
  cmd_start_ -= consumed_;
  base_offset_ += consumed_;
  end_ = live;
  consumed_ = 0;
  // The views point at bytes that just moved.
  argv_.clear();
}

void RequestParser::Compact() {
  Shift();
  if (end_ == 0) {
    // An idle client keeps at most a small buffer.
    if (cap_ > kKeepIdle) Reallocate(0);
    return;
  }
  // A burst (or a finished big bulk) may have left a huge, mostly empty buffer behind;
  // keep it only while a big bulk is still being read into its reserved room.
  bool reading_big_bulk = multibulk_left_ > 0 && bulk_len_ >= kBigArg;
  if (cap_ > kShrinkAbove && end_ * 4 < cap_ && !reading_big_bulk) {
    Reallocate(std::max(end_ * 2, kKeepIdle));
  }
}

void RequestParser::ReleaseIfIdle() {
  Shift();
  if (end_ == 0 && cap_ > 0) Reallocate(0);
}

size_t RequestParser::FindByte(char c, size_t from) {
  if (nul_blocked_) return kNpos;
  size_t start = std::max(scan_, from);
  if (start >= end_) {
    scan_ = end_;
    return kNpos;
  }
  const char* base = buf_.get();
  const void* hit = std::memchr(base + start, c, end_ - start);
  const size_t stop =
      hit == nullptr ? end_ : static_cast<size_t>(static_cast<const char*>(hit) - base);
  // Redis looks for line ends with strchr on its query buffer, so a NUL byte before the
  // terminator hides it: the request then waits for more input until the too-big limit.
  if (std::memchr(base + start, '\0', stop - start) != nullptr) {
    nul_blocked_ = true;
    scan_ = end_;
    return kNpos;
  }
  scan_ = stop;
  return hit == nullptr ? kNpos : stop;
}

RequestParser::Result RequestParser::Fail(std::string msg) {
  error_ = std::move(msg);
  argv_.clear();
  return Result::kError;
}

RequestParser::Result RequestParser::Next() {
  // A protocol error is final: the framing is lost, so nothing after it can be trusted.
  if (!error_.empty()) return Result::kError;
  argv_.clear();
  for (;;) {
    Result r;
    if (multibulk_left_ == 0) {
      // Between commands: the first byte decides the protocol, as in Redis.
      arg_offsets_.clear();
      pos_ = consumed_;
      if (consumed_ == end_) return Result::kNeedMore;
      r = buf_[consumed_] == '*' ? ParseMultibulk() : ParseInline();
    } else {
      r = ParseMultibulk();
    }
    if (r == Result::kNeedMore) {
      if (buffered() > limits_->max_query_buffer) {
        query_buffer_overflow_ = true;
        return Fail("Protocol error: query buffer limit reached");
      }
      return r;
    }
    // *0, *-1 and empty inline lines are skipped without a reply.
    if (r == Result::kCommand && argv_.empty()) continue;
    return r;
  }
}

size_t RequestParser::PeekSecondArgs(std::span<std::string_view> out) const {
  if (!error_.empty() || multibulk_left_ != 0) return 0;
  const char* buf = buf_.get();
  size_t at = consumed_;
  size_t filled = 0;
  while (filled < out.size() && at < end_ && buf[at] == '*') {
    int64_t count = 0;
    size_t cr = QuickHeader(buf, at, end_, &count);
    if (cr == kNpos || count <= 0) break;
    size_t p = cr + 2;
    std::string_view second;
    bool complete = true;
    for (int64_t i = 0; i < count; ++i) {
      int64_t len = 0;
      if (p >= end_ || buf[p] != '$') {
        complete = false;
        break;
      }
      size_t bcr = QuickHeader(buf, p, end_, &len);
      if (bcr == kNpos || end_ - (bcr + 2) < static_cast<uint64_t>(len) + 2) {
        complete = false;
        break;
      }
      if (i == 1) second = std::string_view(buf + bcr + 2, static_cast<size_t>(len));
      p = bcr + 2 + static_cast<size_t>(len) + 2;
    }
    if (!complete) break;
    out[filled++] = second;
    at = p;
  }
  return filled;
}

RequestParser::Result RequestParser::ParseMultibulk() {
  const char* buf = buf_.get();
  if (multibulk_left_ == 0) {
    int64_t count = 0;
    size_t cr = QuickHeader(buf, consumed_, end_, &count);
    if (cr == kNpos) {
      cr = FindByte('\r', consumed_);
      if (cr == kNpos) {
        if (end_ - consumed_ > limits_->max_inline_len) {
          return Fail("Protocol error: too big mbulk count string");
        }
        return Result::kNeedMore;
      }
      // Redis skips the byte after '\r' without looking at it; it only has to be there.
      if (cr + 1 >= end_) return Result::kNeedMore;
      if (!ParseLength(buf + consumed_ + 1, cr - consumed_ - 1, &count)) {
        return Fail("Protocol error: invalid multibulk length");
      }
    }
    if (count > 0 && static_cast<uint64_t>(count) > limits_->max_multibulk_len) {
      return Fail("Protocol error: invalid multibulk length");
    }
    if (count > kUnauthMultibulk && !authenticated_) {
      return Fail("Protocol error: unauthenticated multibulk length");
    }
    pos_ = cr + 2;
    canonical_ = buf[cr + 1] == '\n';
    if (count <= 0) {
      consumed_ = pos_;
      return Result::kCommand;  // no arguments: the caller skips it
    }
    multibulk_left_ = count;
    bulk_len_ = -1;
    // Redis caps the initial argv allocation the same way: a count is only a claim.
    arg_offsets_.reserve(static_cast<size_t>(std::min<int64_t>(count, 1024)));
  }

  while (multibulk_left_ > 0) {
    if (bulk_len_ == -1) {
      int64_t len = 0;
      size_t cr = QuickHeader(buf, pos_, end_, &len);
      bool parsed = cr != kNpos;
      if (!parsed) {
        cr = FindByte('\r', pos_);
        if (cr == kNpos) {
          if (end_ - pos_ > limits_->max_inline_len) {
            return Fail("Protocol error: too big bulk count string");
          }
          return Result::kNeedMore;
        }
        if (cr + 1 >= end_) return Result::kNeedMore;
      }
      // Checked only once the whole line is buffered, as Redis does.
      if (buf[pos_] != '$') {
        return Fail(std::string("Protocol error: expected '$', got '") + buf[pos_] + "'");
      }
      if (!parsed && !ParseLength(buf + pos_ + 1, cr - pos_ - 1, &len)) {
        return Fail("Protocol error: invalid bulk length");
      }
      if (len < 0 || static_cast<uint64_t>(len) > limits_->max_bulk_len) {
        return Fail("Protocol error: invalid bulk length");
      }
      if (len > kUnauthBulk && !authenticated_) {
        return Fail("Protocol error: unauthenticated bulk length");
      }
      if (buf[cr + 1] != '\n') canonical_ = false;
      pos_ = cr + 2;
      bulk_len_ = len;
      uint64_t want = static_cast<uint64_t>(len) + 2;
      if (len >= kBigArg && end_ - pos_ < want) {
        // Reserve the whole bulk (plus read slack) now, so later reads land in place and
        // the buffer is never regrown and copied while the payload streams in. Only if the
        // query buffer limit would let it be buffered at all: the header is just a claim.
        uint64_t command_bytes = (pos_ - consumed_) + want;
        if (command_bytes <= std::min(limits_->max_query_buffer, kMaxReserve)) {
          Shift();
          size_t need = pos_ + static_cast<size_t>(want) + kReadSlack;
          if (cap_ < need) Reallocate(need);
          buf = buf_.get();
        }
      }
    }
    // Redis does not check that the two bytes after the payload are CRLF; it skips them.
    if (end_ - pos_ < static_cast<uint64_t>(bulk_len_) + 2) return Result::kNeedMore;
    arg_offsets_.emplace_back(pos_, static_cast<size_t>(bulk_len_));
    pos_ += static_cast<size_t>(bulk_len_) + 2;
    if (buf[pos_ - 2] != '\r' || buf[pos_ - 1] != '\n') canonical_ = false;
    bulk_len_ = -1;
    --multibulk_left_;
  }

  cmd_start_ = consumed_;
  consumed_ = pos_;
  argv_.reserve(arg_offsets_.size());
  for (const auto& [offset, len] : arg_offsets_) argv_.emplace_back(buf + offset, len);
  return Result::kCommand;
}

RequestParser::Result RequestParser::ParseInline() {
  size_t start = consumed_;
  size_t nl = FindByte('\n', start);
  if (nl == kNpos) {
    if (end_ - start > limits_->max_inline_len) {
      return Fail("Protocol error: too big inline request");
    }
    return Result::kNeedMore;
  }
  size_t line_end = nl;
  if (line_end > start && buf_[line_end - 1] == '\r') --line_end;
  // FindByte saw no NUL byte before the newline.
  std::string_view line(buf_.get() + start, line_end - start);
  inline_args_.clear();
  if (!SplitArgs(line, &inline_args_)) {
    return Fail("Protocol error: unbalanced quotes in request");
  }
  consumed_ = nl + 1;
  pos_ = consumed_;
  if (inline_args_.empty()) return Result::kCommand;  // empty line: the caller skips it
  canonical_ = false;
  cmd_start_ = start;
  argv_.reserve(inline_args_.size());
  for (const std::string& a : inline_args_) argv_.emplace_back(a);
  return Result::kCommand;
}

}  // namespace pykv::resp
