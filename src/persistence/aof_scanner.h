// AofScanner: reads one incremental AOF file (RESP commands, as the mutation sink wrote
// them) and decides which prefix of it can be trusted. The loader and pykv-check-aof both
// use it, so "what is a valid AOF" is decided in exactly one place.
//
// Rules (docs/aof-format.md has the full story):
//  - A file is a sequence of items: RESP multibulk commands ('*') and annotation lines
//    ('#'). Anything else is bad framing.
//  - PyKV's writer follows each flushed batch with "#pykv-crc32 <8 hex> <len>\r\n": the
//    CRC-32 and length of the bytes since the previous annotation (or the file start).
//    Every such line is verified. Other '#' lines (Redis's "#TS:") are skipped.
//  - Before a file's first annotation every complete command counts as good: that is how
//    Redis-written files (no annotations at all) load, unverified. The first annotation may
//    cover only the last <len> bytes (PyKV appended to a Redis-written or cut-back file).
//    From the first annotation on, only verified batches count.
//  - An open MULTI is never part of the good prefix: the good end moves back before it.
//  - good_end() is therefore where the file may be cut so that what remains is trusted.
//
// At end of file, everything after good_end() is classified as either
//  - kTail: a torn write. Incomplete command, commands without their annotation, MULTI
//    without EXEC, a checksum mismatch or bad framing after the last verified batch, with
//    no batch after it that verifies. Cutting at good_end() repairs it.
//  - kCorrupt: damage with verified data after it (a later batch's checksum matches), or
//    bad framing in a file that never had an annotation (as Redis, which cannot tell a
//    torn write from garbage there).
// A problem found in the middle is reported at once by Next() (kProblem) so a caller that
// allows no damage at all (a file that is not the last one) can stop early; the final
// classification needs the rest of the file (Feed it, then Finish).
//
// No I/O: the caller feeds the bytes. Not thread-safe; one scanner per file.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "resp/request_parser.h"

namespace pykv::persistence {

// The annotation line prefix the AOF writer uses after every batch.
inline constexpr std::string_view kAofCrcAnnotation = "#pykv-crc32 ";

// Parser limits for reading an AOF of file_size bytes: no argument can be longer than the
// file, so a damaged length is a framing error, never a huge allocation.
resp::ParserLimits AofParserLimits(uint64_t file_size);

enum class AofDamage {
  kNone,     // the whole file is good
  kTail,     // a torn tail after good_end(): cutting there repairs the file
  kCorrupt,  // damage before the tail
};

class AofScanner {
 public:
  enum class Result {
    kNeedMore,  // Feed more bytes, or call Finish at end of file
    kCommand,   // argv() holds the next command (annotation lines are never returned)
    kProblem,   // the file is not clean from problem_offset() on; see the class comment
  };

  // file_size bounds argument lengths (see AofParserLimits).
  explicit AofScanner(uint64_t file_size);
  AofScanner(const AofScanner&) = delete;
  AofScanner& operator=(const AofScanner&) = delete;

  // The next bytes of the file. After a problem, the bytes are only searched for later
  // annotation lines (which decide tail vs corrupt).
  void Feed(std::string_view bytes);
  Result Next();
  // The last command; views valid until the next call of Feed or Next.
  std::span<const std::string_view> argv() const { return parser_.argv(); }
  // The last command's bytes as they are in the file; valid as long as argv().
  std::string_view last_bytes() const { return parser_.last_bytes(); }
  // Keys of the commands buffered behind the current one (prefetch hints; see
  // resp::RequestParser::PeekSecondArgs). An annotation line stops the peek early.
  size_t PeekSecondArgs(std::span<std::string_view> out) const {
    return parser_.PeekSecondArgs(out);
  }
  // End of file: classifies what follows good_end().
  void Finish();

  // ---- Any time ----
  // End of the trusted prefix, and the number of items (commands and '#' lines, as a
  // resp::RequestParser returns them) in it: a second parser fed the same bytes may
  // replay exactly that many items.
  uint64_t good_end() const { return good_end_; }
  uint64_t good_items() const { return good_items_; }
  // Whether a "#pykv-crc32" line has been seen (the file is PyKV-annotated).
  bool annotated() const { return annotated_; }
  uint64_t verified_batches() const { return verified_batches_; }
  uint64_t commands() const { return commands_; }
  uint64_t bytes_fed() const { return read_end_; }
  bool has_problem() const { return has_problem_; }
  // After kProblem: where and what.
  uint64_t problem_offset() const { return problem_offset_; }
  const std::string& problem() const { return problem_reason_; }

  // ---- After Finish ----
  AofDamage damage() const { return damage_; }
  // The first byte that is not good: good_end() for a tail, the damage for kCorrupt.
  uint64_t bad_offset() const { return bad_offset_; }
  // Why (empty for kNone).
  const std::string& reason() const { return reason_; }

 private:
  enum class ProblemKind { kFraming, kChecksum };
  struct Boundary {
    uint64_t offset;  // end of an item
    uint64_t items;   // items up to here
    uint32_t crc;     // CRC-32 of the file's bytes [0, offset)
  };

  // offset: where the damage begins (reported); at: the item where it was noticed (data
  // beyond it decides tail vs corrupt).
  Result Problem(uint64_t offset, uint64_t at, ProblemKind kind, std::string reason);
  char FirstByteAt(uint64_t offset) const;
  // Handles one '#' line [start, end); false on a problem.
  bool OnHashLine(uint64_t start, uint64_t end);
  bool VerifyAnnotation(uint64_t start, uint64_t end, std::string_view line);
  // Bookkeeping after every item that is not a PyKV annotation.
  void OnItemEnd(uint64_t end);
  void SetGood(uint64_t end, uint64_t items);
  void AdvanceCrc(uint64_t to);
  // Drops raw bytes nobody needs any more (called when the parser needs more input).
  void Release();
  void ScanForAnnotations(std::string_view bytes);
  // Whether a "#pykv-crc32" line that starts after `from` verifies against the raw bytes
  // kept before it: proof that whole batches were written after a problem.
  bool VerifiedAnnotationAfter(uint64_t from) const;

  resp::ParserLimits limits_;
  resp::RequestParser parser_;
  // Raw file bytes [raw_base_, read_end_): the checksums need them, and '#' lines are
  // read from here. Bytes before crc_pos_ and before the current item are dropped.
  std::string raw_;
  uint64_t raw_base_ = 0;
  uint64_t read_end_ = 0;
  char dropped_first_ = 0;  // first byte of the item at prev_end_ once its bytes are dropped

  uint64_t prev_end_ = 0;  // end of the last item
  uint64_t items_ = 0;
  uint64_t commands_ = 0;

  // CRC-32 of [batch_start_, crc_pos_).
  uint64_t batch_start_ = 0;
  uint64_t crc_pos_ = 0;
  uint32_t crc_ = 0;
  bool annotated_ = false;
  uint64_t verified_batches_ = 0;
  // Before the first annotation: item ends with their running CRC, to verify a first
  // annotation that covers only the end of what precedes it. Bounded: see kMaxBoundaries.
  std::vector<Boundary> boundaries_;
  bool boundaries_dropped_ = false;

  bool multi_open_ = false;
  uint64_t multi_start_ = 0;
  uint64_t multi_items_ = 0;  // items before the open MULTI

  uint64_t good_end_ = 0;
  uint64_t good_items_ = 0;

  // Offset of the '#' of the last "\n#pykv-crc32 " seen anywhere in the bytes fed (-1:
  // none); carry_ holds the stream's last bytes so a match split across Feed calls counts.
  int64_t last_annotation_at_ = -1;
  std::string carry_;

  bool has_problem_ = false;
  bool after_problem_overflow_ = false;  // too much after the problem to keep
  bool problem_annotated_ = false;       // annotated_ when the problem was found
  ProblemKind problem_kind_ = ProblemKind::kFraming;
  uint64_t problem_offset_ = 0;
  uint64_t problem_at_ = 0;
  std::string problem_reason_;

  bool finished_ = false;
  AofDamage damage_ = AofDamage::kNone;
  uint64_t bad_offset_ = 0;
  std::string reason_;
};

}  // namespace pykv::persistence
