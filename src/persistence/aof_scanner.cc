#include "persistence/aof_scanner.h"

#include <zlib.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <limits>
#include <utility>

namespace pykv::persistence {
namespace {

// Boundaries kept before a file's first annotation. A Redis-written file may hold millions
// of commands; only the most recent ones matter (the first PyKV batch follows them), so
// the oldest half is dropped when the cap is reached: 24 bytes each, ~6 MB at most.
constexpr size_t kMaxBoundaries = 256 * 1024;
// The raw buffer is trimmed only when at least this much can go (fewer memmoves).
constexpr size_t kTrimAbove = 64 * 1024;
// A half-read command's raw bytes are kept up to this size (the parser holds a copy too;
// a 512 MB value should not be held twice). Beyond it they are checksummed and dropped.
constexpr size_t kMaxPendingRaw = 1024 * 1024;
// After a problem the rest of the file is kept (to look for a later batch that verifies)
// up to this size. More unverifiable data than this is no torn write.
constexpr size_t kMaxAfterProblem = 64 * 1024 * 1024;
// "\n#pykv-crc32 " as searched for in the stream.
constexpr size_t kPatternLen = 1 + kAofCrcAnnotation.size();

uint32_t Crc(uint32_t crc, const char* p, size_t n) {
  return static_cast<uint32_t>(crc32_z(crc, reinterpret_cast<const Bytef*>(p), n));
}

bool IsCommand(std::string_view name, std::string_view want) {
  if (name.size() != want.size()) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    if (c != want[i]) return false;
  }
  return true;
}

// "#pykv-crc32 <8 lowercase hex> <decimal len>\r\n", exactly as AofWriter writes it.
bool ParseAnnotation(std::string_view line, uint32_t* crc, uint64_t* len) {
  if (line.size() < kAofCrcAnnotation.size() + 8 + 1 + 1 + 2) return false;
  if (line.substr(line.size() - 2) != "\r\n") return false;
  std::string_view p =
      line.substr(kAofCrcAnnotation.size(), line.size() - 2 - kAofCrcAnnotation.size());
  uint32_t c = 0;
  for (size_t i = 0; i < 8; ++i) {
    const char h = p[i];
    uint32_t d;
    if (h >= '0' && h <= '9') {
      d = static_cast<uint32_t>(h - '0');
    } else if (h >= 'a' && h <= 'f') {
      d = static_cast<uint32_t>(h - 'a' + 10);
    } else {
      return false;
    }
    c = (c << 4) | d;
  }
  if (p[8] != ' ') return false;
  std::string_view digits = p.substr(9);
  if (digits.empty() || digits.size() > 19 || (digits.size() > 1 && digits[0] == '0')) {
    return false;
  }
  uint64_t v = 0;
  for (char d : digits) {
    if (d < '0' || d > '9') return false;
    v = v * 10 + static_cast<uint64_t>(d - '0');
  }
  *crc = c;
  *len = v;
  return true;
}

std::string Hex8(uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof(buf), "%08x", v);
  return buf;
}

std::string ByteText(char c) {
  const auto u = static_cast<unsigned char>(c);
  char buf[16];
  if (u >= 0x20 && u < 0x7f) {
    std::snprintf(buf, sizeof(buf), "'%c'", c);
  } else {
    std::snprintf(buf, sizeof(buf), "0x%02x", u);
  }
  return buf;
}

}  // namespace

resp::ParserLimits AofParserLimits(uint64_t file_size) {
  resp::ParserLimits l;
  const uint64_t bound = std::max<uint64_t>(file_size, 1);
  l.max_bulk_len = bound;
  l.max_multibulk_len = bound;
  // A lagging replayer buffers a whole batch; the file bounds it anyway.
  l.max_query_buffer = std::numeric_limits<uint64_t>::max();
  return l;
}

AofScanner::AofScanner(uint64_t file_size)
    : limits_(AofParserLimits(file_size)), parser_(&limits_) {}

void AofScanner::Feed(std::string_view bytes) {
  if (bytes.empty() || finished_) return;
  ScanForAnnotations(bytes);
  read_end_ += bytes.size();
  if (has_problem_) {
    // Nothing after a problem is parsed (its framing is lost); the bytes are only kept
    // for Finish to look for a later batch that verifies.
    if (!after_problem_overflow_) {
      if (raw_.size() + bytes.size() > kMaxAfterProblem) {
        after_problem_overflow_ = true;
        std::string().swap(raw_);
        raw_base_ = read_end_;
      } else {
        raw_.append(bytes);
      }
    }
    return;
  }
  parser_.Append(bytes);
  raw_.append(bytes);
}

void AofScanner::ScanForAnnotations(std::string_view bytes) {
  static constexpr std::string_view kPattern = "\n#pykv-crc32 ";
  static_assert(kPattern.size() == kPatternLen);
  // Matches that begin in the carried tail of earlier bytes.
  if (!carry_.empty()) {
    char buf[2 * kPatternLen];  // on the stack: this runs for every Feed
    const std::string_view head = bytes.substr(0, kPatternLen - 1);
    std::memcpy(buf, carry_.data(), carry_.size());
    std::memcpy(buf + carry_.size(), head.data(), head.size());
    const std::string_view joined(buf, carry_.size() + head.size());
    const uint64_t joined_base = read_end_ - carry_.size();
    for (size_t at = joined.find(kPattern); at != std::string_view::npos && at < carry_.size();
         at = joined.find(kPattern, at + 1)) {
      last_annotation_at_ = static_cast<int64_t>(joined_base + at + 1);
    }
  }
  // Matches wholly inside bytes: look for the rare '#' rather than the common '\n'.
  const char* base = bytes.data();
  const size_t n = bytes.size();
  size_t i = 1;
  while (i + kAofCrcAnnotation.size() <= n) {
    const void* hit = std::memchr(base + i, '#', n - kAofCrcAnnotation.size() + 1 - i);
    if (hit == nullptr) break;
    const size_t at = static_cast<size_t>(static_cast<const char*>(hit) - base);
    if (base[at - 1] == '\n' &&
        std::memcmp(base + at, kAofCrcAnnotation.data(), kAofCrcAnnotation.size()) == 0) {
      last_annotation_at_ = static_cast<int64_t>(read_end_ + at);
    }
    i = at + 1;
  }
  // Keep the last kPatternLen - 1 bytes of the stream for the next call.
  if (n >= kPatternLen - 1) {
    carry_.assign(bytes.substr(n - (kPatternLen - 1)));
  } else {
    carry_.append(bytes);
    if (carry_.size() > kPatternLen - 1) carry_.erase(0, carry_.size() - (kPatternLen - 1));
  }
}

char AofScanner::FirstByteAt(uint64_t offset) const {
  if (offset < raw_base_) return dropped_first_;
  return raw_[static_cast<size_t>(offset - raw_base_)];
}

void AofScanner::AdvanceCrc(uint64_t to) {
  if (to <= crc_pos_) return;
  crc_ = Crc(crc_, raw_.data() + (crc_pos_ - raw_base_), static_cast<size_t>(to - crc_pos_));
  crc_pos_ = to;
}

void AofScanner::Release() {
  uint64_t keep_from;
  if (prev_end_ < read_end_ && read_end_ - prev_end_ > kMaxPendingRaw &&
      FirstByteAt(prev_end_) == '*') {
    // A big command is half-read. It is not an annotation line, so all its bytes belong
    // to the batch: checksum them now and drop them (the parser keeps its own copy).
    AdvanceCrc(read_end_);
    dropped_first_ = '*';
    keep_from = read_end_;
  } else {
    // Nothing pending, a '#' line whose text is still needed, or a command small enough
    // to keep (its bytes show, if the file ends inside it, whether batches follow).
    AdvanceCrc(prev_end_);
    keep_from = prev_end_;
  }
  if (keep_from < raw_base_) return;  // already dropped
  const uint64_t drop = keep_from - raw_base_;
  if (drop >= kTrimAbove || drop == raw_.size()) {
    raw_.erase(0, static_cast<size_t>(drop));
    raw_base_ = keep_from;
  }
  // A finished huge command may have left the parser with a huge buffer.
  if (parser_.capacity() > 8 * 1024 * 1024 && parser_.buffered() * 4 < parser_.capacity()) {
    parser_.Compact();
  }
}

bool AofScanner::VerifiedAnnotationAfter(uint64_t from) const {
  static constexpr std::string_view kPattern = "\n#pykv-crc32 ";
  const std::string_view raw = raw_;
  for (size_t at = raw.find(kPattern); at != std::string_view::npos;
       at = raw.find(kPattern, at + 1)) {
    const uint64_t start = raw_base_ + at + 1;
    if (start <= from) continue;
    const size_t nl = raw.find('\n', at + 1);
    if (nl == std::string_view::npos) break;
    uint32_t want = 0;
    uint64_t len = 0;
    if (!ParseAnnotation(raw.substr(at + 1, nl + 1 - (at + 1)), &want, &len)) continue;
    if (len == 0 || len > at + 1) continue;  // its batch began before the bytes kept
    if (Crc(0, raw.data() + (at + 1 - len), static_cast<size_t>(len)) == want) return true;
  }
  return false;
}

AofScanner::Result AofScanner::Problem(uint64_t offset, uint64_t at, ProblemKind kind,
                                       std::string reason) {
  has_problem_ = true;
  problem_at_ = at;
  problem_annotated_ = annotated_;
  problem_kind_ = kind;
  problem_offset_ = offset;
  problem_reason_ = std::move(reason);
  // Keep the raw bytes from the problem on (see VerifiedAnnotationAfter).
  if (raw_base_ < at && at <= read_end_) {
    raw_.erase(0, static_cast<size_t>(at - raw_base_));
    raw_base_ = at;
  }
  return Result::kProblem;
}

void AofScanner::SetGood(uint64_t end, uint64_t items) {
  if (multi_open_) {
    // The trusted prefix never ends inside a transaction.
    end = multi_start_;
    items = multi_items_;
  }
  if (end >= good_end_) {
    good_end_ = end;
    good_items_ = items;
  }
}

AofScanner::Result AofScanner::Next() {
  if (has_problem_) return Result::kProblem;
  if (finished_) return Result::kNeedMore;
  for (;;) {
    const resp::RequestParser::Result r = parser_.Next();
    if (r == resp::RequestParser::Result::kNeedMore) {
      // A command that has started with anything but '*' or '#' is damage now, not a torn
      // tail: the parser would wait for a line end forever (a NUL hides it, as in Redis).
      if (prev_end_ >= raw_base_ && prev_end_ - raw_base_ < raw_.size()) {
        const char first = FirstByteAt(prev_end_);
        if (first != '*' && first != '#') {
          return Problem(prev_end_, prev_end_, ProblemKind::kFraming,
                         "expected '*' or '#' at the start of a command, got " + ByteText(first));
        }
      }
      Release();
      return Result::kNeedMore;
    }
    if (r == resp::RequestParser::Result::kError) {
      return Problem(prev_end_, prev_end_, ProblemKind::kFraming,
                     "bad RESP framing (" + parser_.error() + ")");
    }
    const uint64_t start = parser_.command_start_offset();
    const uint64_t end = parser_.consumed_offset();
    if (start != prev_end_) {
      // The parser skips empty lines and "*0"; an AOF never holds either.
      return Problem(prev_end_, prev_end_, ProblemKind::kFraming,
                     "unexpected empty line or empty command");
    }
    const char first = FirstByteAt(start);
    ++items_;
    if (first == '#') {
      if (!OnHashLine(start, end)) return Result::kProblem;
      continue;
    }
    if (first != '*') {
      // Redis's loader accepts only multibulk commands too; an inline line here is damage.
      return Problem(start, start, ProblemKind::kFraming,
                     "expected '*' or '#' at the start of a command, got " + ByteText(first));
    }
    const std::string_view name = parser_.argv()[0];
    if (!name.empty() && name[0] == '#') {
      // Replayers skip items named "#..." (annotation lines); a command cannot be one.
      return Problem(start, start, ProblemKind::kFraming, "command name starts with '#'");
    }
    if (IsCommand(name, "MULTI")) {
      if (multi_open_) return Problem(start, start, ProblemKind::kFraming, "MULTI inside MULTI");
      multi_open_ = true;
      multi_start_ = start;
      multi_items_ = items_ - 1;
    } else if (IsCommand(name, "EXEC") || IsCommand(name, "DISCARD")) {
      if (!multi_open_) {
        return Problem(start, start, ProblemKind::kFraming, std::string(name) + " without MULTI");
      }
      multi_open_ = false;
    }
    ++commands_;
    OnItemEnd(end);
    return Result::kCommand;
  }
}

void AofScanner::OnItemEnd(uint64_t end) {
  prev_end_ = end;
  if (annotated_) return;  // trust moves only at verified annotations from now on
  AdvanceCrc(end);
  if (boundaries_.size() >= kMaxBoundaries) {
    boundaries_.erase(boundaries_.begin(),
                      boundaries_.begin() + static_cast<std::ptrdiff_t>(kMaxBoundaries / 2));
    boundaries_dropped_ = true;
  }
  boundaries_.push_back({end, items_, crc_});
  SetGood(end, items_);
}

bool AofScanner::OnHashLine(uint64_t start, uint64_t end) {
  const std::string_view line(raw_.data() + (start - raw_base_), static_cast<size_t>(end - start));
  if (line.substr(0, kAofCrcAnnotation.size()) != kAofCrcAnnotation) {
    if (annotated_) {
      // PyKV writes no other '#' lines, so in a checksummed file this is most likely a
      // checksum annotation with a damaged prefix. Taken as a foreign line, it would merge
      // two batches and make the next (intact) annotation look like the damaged one.
      Problem(batch_start_, start, ProblemKind::kChecksum,
              "unexpected annotation line at offset " + std::to_string(start) +
                  " in a checksummed file (a damaged checksum annotation?)");
      return false;
    }
    // Someone else's annotation (Redis's "#TS:<time>"): part of the batch, else ignored.
    OnItemEnd(end);
    return true;
  }
  return VerifyAnnotation(start, end, line);
}

bool AofScanner::VerifyAnnotation(uint64_t start, uint64_t end, std::string_view line) {
  AdvanceCrc(start);
  const bool first = !annotated_;
  annotated_ = true;
  uint32_t want = 0;
  uint64_t len = 0;
  if (!ParseAnnotation(line, &want, &len)) {
    Problem(start, start, ProblemKind::kChecksum, "malformed checksum annotation");
    return false;
  }
  const uint64_t since = start - batch_start_;
  uint32_t got = crc_;
  uint64_t batch_start = batch_start_;
  bool verified = true;  // false: accepted without a check (see below)
  if (len > since || (!first && len != since)) {
    Problem(batch_start_, start, ProblemKind::kChecksum,
            "checksum annotation at offset " + std::to_string(start) + " covers " +
                std::to_string(len) + " bytes but the batch before it has " +
                std::to_string(since));
    return false;
  }
  if (len < since) {
    // First annotation after a Redis-written (or cut-back) prefix: it covers only the last
    // len bytes, which must start at an item boundary. CRC-32 is linear, so the CRC of that
    // suffix follows from the running CRC at the boundary and at the annotation.
    batch_start = start - len;
    auto it = std::lower_bound(boundaries_.begin(), boundaries_.end(), batch_start,
                               [](const Boundary& b, uint64_t off) { return b.offset < off; });
    if (it != boundaries_.end() && it->offset == batch_start) {
      got = crc_ ^ static_cast<uint32_t>(crc32_combine(it->crc, 0, static_cast<z_off_t>(len)));
      // A mismatch cuts the file back to where the batch began.
      if (got != want && batch_start < good_end_) {
        good_end_ = batch_start;
        good_items_ = it->items;
      }
    } else if (boundaries_dropped_ && !boundaries_.empty() &&
               batch_start < boundaries_.front().offset) {
      // The batch began before the boundaries still kept: more than kMaxBoundaries
      // commands in one batch after a Redis prefix. Accept it unverified rather than
      // refuse a file nothing is known to be wrong with.
      verified = false;
    } else {
      Problem(start, start, ProblemKind::kChecksum,
              "checksum annotation covers " + std::to_string(len) +
                  " bytes, which do not start at a command boundary");
      return false;
    }
  } else if (first && got != want) {
    // The whole prefix was one batch: nothing of it is good.
    good_end_ = 0;
    good_items_ = 0;
  }
  if (verified && got != want) {
    Problem(batch_start, start, ProblemKind::kChecksum,
            "checksum mismatch in the batch of " + std::to_string(len) + " bytes at offset " +
                std::to_string(batch_start) + " (annotation says " + Hex8(want) + ", data has " +
                Hex8(got) + ")");
    return false;
  }
  ++verified_batches_;
  prev_end_ = end;
  batch_start_ = end;
  crc_pos_ = end;
  crc_ = 0;
  if (first) {
    std::vector<Boundary>().swap(boundaries_);
    boundaries_dropped_ = false;
  }
  SetGood(end, items_);
  return true;
}

void AofScanner::Finish() {
  if (finished_) return;
  finished_ = true;
  if (has_problem_) {
    // Damage followed by a batch that verifies means data was written after it: not a
    // torn write. Bad framing in a file that never had an annotation cannot be told from
    // garbage in the middle, so it is damage too (as in Redis).
    const bool later_data = after_problem_overflow_ || VerifiedAnnotationAfter(problem_at_);
    const bool corrupt =
        later_data || (problem_kind_ == ProblemKind::kFraming && !problem_annotated_);
    damage_ = corrupt ? AofDamage::kCorrupt : AofDamage::kTail;
    bad_offset_ = corrupt ? problem_offset_ : good_end_;
    reason_ = problem_reason_;
    if (later_data) reason_ += ", and a later batch verifies";
    return;
  }
  if (prev_end_ < read_end_) {
    // A damaged length can make a command swallow the rest of the file: batches that
    // verify inside it show that this is not a torn last command. (If the command was
    // too big to keep, any annotation-like line inside it counts.)
    const bool kept = raw_base_ <= prev_end_;
    if (kept ? VerifiedAnnotationAfter(prev_end_)
             : last_annotation_at_ > static_cast<int64_t>(prev_end_)) {
      damage_ = AofDamage::kCorrupt;
      bad_offset_ = prev_end_;
      reason_ = "the command at offset " + std::to_string(prev_end_) +
                " runs to the end of the file across later checksummed batches (damaged "
                "length?)";
      return;
    }
    damage_ = AofDamage::kTail;
    bad_offset_ = good_end_;
    reason_ = "unexpected end of file inside a command at offset " + std::to_string(prev_end_) +
              " (torn write)";
    return;
  }
  if (good_end_ < read_end_) {
    damage_ = AofDamage::kTail;
    bad_offset_ = good_end_;
    if (multi_open_ && multi_start_ == good_end_) {
      reason_ =
          "MULTI at offset " + std::to_string(multi_start_) + " without EXEC (torn transaction)";
    } else {
      reason_ = std::to_string(read_end_ - good_end_) + " bytes after offset " +
                std::to_string(good_end_) + " lack their checksum annotation (torn batch)";
    }
    return;
  }
  damage_ = AofDamage::kNone;
  bad_offset_ = read_end_;
}

}  // namespace pykv::persistence
