// RequestParser: turns the bytes a client sends into argument vectors, incrementally.
// Handles RESP multibulk ("*2\r\n$3\r\nGET\r\n$1\r\nk\r\n") and inline commands ("GET k\r\n",
// what telnet sends, with redis-cli's quoting rules), with Redis's limits and error texts.
// No I/O: the owner reads socket bytes straight into PrepareWrite() space. One parser per
// client, used from the loop thread only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace pykv::resp {

struct ParserLimits {
  // proto-max-bulk-len: largest bulk string argument.
  uint64_t max_bulk_len = 512ull * 1024 * 1024;
  // client-query-buffer-limit: the most unparsed bytes a client may have buffered.
  uint64_t max_query_buffer = 1024ull * 1024 * 1024;
  // Redis's fixed limits.
  uint64_t max_multibulk_len = 1024ull * 1024 * 1024;  // Redis: INT_MAX-ish
  size_t max_inline_len = 64 * 1024;                   // PROTO_INLINE_MAX_SIZE
};

class RequestParser {
 public:
  enum class Result {
    kNeedMore,  // no complete command buffered
    kCommand,   // argv() holds one command
    kError,     // protocol error: error() has the text; the connection must be closed
  };

  // limits is read on every call so CONFIG SET takes effect at once; it must outlive us.
  explicit RequestParser(const ParserLimits* limits);

  // Space at the back of the input buffer for at least `hint` bytes; a read goes straight
  // into it, then CommitWrite(bytes_read).
  std::span<char> PrepareWrite(size_t hint);
  void CommitWrite(size_t n);
  // Copies bytes in (tests, the AOF loader, the replication stream).
  void Append(std::string_view bytes);

  // Parses the next command. On kCommand, argv() views the parser's buffer and stays valid
  // until the next call of any non-const method.
  Result Next();
  std::span<const std::string_view> argv() const { return argv_; }
  // Looks at the complete multibulk commands buffered behind the one Next() returned,
  // without consuming anything: out[i] is the second argument (usually the key) of the
  // i-th, or an empty view when it has none. Stops at the first command that is not
  // complete or not plain multibulk; returns how many it filled. For prefetch hints only:
  // Next() still parses, and judges, every byte.
  size_t PeekSecondArgs(std::span<std::string_view> out) const;
  // "Protocol error: invalid bulk length" etc. (no "ERR " prefix).
  const std::string& error() const { return error_; }
  // The error is client-query-buffer-limit, not bad framing (Redis closes such a client
  // without a reply).
  bool query_buffer_overflow() const { return query_buffer_overflow_; }

  // Redis limits unauthenticated clients harder (multibulk <= 10, bulk <= 16384), so that
  // an unauthenticated peer cannot make the server buffer much.
  void set_authenticated(bool v) { authenticated_ = v; }

  // Unparsed bytes buffered (INFO's client query buffer figures, the query buffer limit).
  size_t buffered() const { return end_ - consumed_; }
  // Bytes of memory held by the input buffer.
  size_t capacity() const { return cap_; }
  // Byte offset (from the start of all input ever appended) of the first byte of the
  // command last returned, and one past its end: the AOF loader reports damage with these.
  uint64_t command_start_offset() const { return base_offset_ + cmd_start_; }
  uint64_t consumed_offset() const { return base_offset_ + consumed_; }
  // The bytes of the command last returned, exactly as received: what a replica passes on
  // to its own replicas and counts in its offset. (Blank lines between commands are not
  // part of any command; a primary's stream has none.) Valid as long as argv().
  std::string_view last_bytes() const {
    return std::string_view(buf_.get() + cmd_start_, consumed_ - cmd_start_);
  }
  // last_bytes() are exactly the RESP multibulk encoding of argv(): every line ends in
  // CRLF. Redis, and this parser, skip the byte after a header's CR and the two after a
  // payload without looking at them, so a request can be read as argv and still carry
  // other bytes there; and an inline command is not multibulk at all.
  bool last_canonical() const { return canonical_; }
  // Drops consumed bytes and returns spare memory; call when a read batch is done.
  void Compact();
  // Frees the whole input buffer when nothing is buffered (idle clients cost nothing).
  void ReleaseIfIdle();

 private:
  Result ParseInline();
  Result ParseMultibulk();
  Result Fail(std::string msg);
  // Index of the first `c` in [from, end_), resuming after bytes already searched; npos if
  // none yet, or if a NUL byte comes first (then for good: see nul_blocked_).
  size_t FindByte(char c, size_t from);
  // Moves the unconsumed bytes to the front of buf_ and rebases every offset.
  void Shift();
  // Makes cap_ - end_ >= n: shifts first, then reallocates to exactly new_cap bytes.
  void Reallocate(size_t new_cap);
  void EnsureRoom(size_t n);

  const ParserLimits* limits_;
  // Not a std::vector: growing (or reserving for a big bulk) must not zero-fill memory the
  // next reads overwrite anyway; valid bytes are [consumed_, end_).
  std::unique_ptr<char[]> buf_;
  size_t cap_ = 0;
  size_t end_ = 0;
  size_t consumed_ = 0;  // everything before this is done with
  size_t cmd_start_ = 0;
  uint64_t base_offset_ = 0;  // bytes dropped by Compact() so far
  bool authenticated_ = true;
  bool query_buffer_overflow_ = false;
  // A NUL byte was found where a line terminator was searched for. Redis's strchr never
  // sees past it, so no line there can complete: the request waits until the too-big
  // limit ends it. Sticky, since nothing before it is ever consumed.
  bool nul_blocked_ = false;
  bool canonical_ = false;  // see last_canonical()

  // Multibulk state survives across calls so a large bulk is not rescanned.
  int64_t multibulk_left_ = 0;  // args still to read in the current command; 0 = none
  int64_t bulk_len_ = -1;       // length of the bulk being read; -1 = header not read
  size_t pos_ = 0;              // parse position within buf_
  size_t scan_ = 0;             // bytes in [line start, scan_) hold no line terminator
  std::vector<std::pair<size_t, size_t>> arg_offsets_;  // (offset, len) into buf_
  std::vector<std::string> inline_args_;  // inline commands unescape into owned strings
  std::vector<std::string_view> argv_;
  std::string error_;
};

}  // namespace pykv::resp
