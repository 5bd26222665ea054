// ReplyParser: the client side of RESP. Turns the bytes a server sends (RESP2, or RESP3
// after HELLO 3) into ReplyValue trees, incrementally and without I/O: the owner feeds
// whatever bytes it has and takes out each reply as soon as it is complete. Users: the HTTP
// adapter (reading back what ReplyWriter wrote into a scratch buffer), the CLI and the
// replica link. One parser per connection or buffer; not thread-safe, so a parser stays
// on the thread that owns it.
//
// RESP3 attributes (|n followed by n key-value pairs) are read and dropped: the reply or
// aggregate element that follows is returned as if they were not there. Nothing the server
// sends carries one, and no caller has a use for them yet. RESP3 streamed strings and
// aggregates ($?, *?) are not supported (Redis never sends them) and are protocol errors.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace pykv::resp {

struct ReplyValue {
  enum class Type {
    kSimple,     // +text
    kError,      // -text, and RESP3 blob errors (!len)
    kInteger,    // :n
    kBulk,       // $len
    kNull,       // RESP2 $-1 and *-1, RESP3 _
    kArray,      // *n
    kMap,        // RESP3 %n
    kSet,        // RESP3 ~n
    kPush,       // RESP3 >n
    kDouble,     // RESP3 ,text
    kBool,       // RESP3 #t / #f
    kVerbatim,   // RESP3 =len with a "fmt:" prefix
    kBigNumber,  // RESP3 (digits
    kAttribute,  // RESP3 |n; never returned by ReplyParser (see above)
  };

  Type type = Type::kNull;
  // Simple, error, bulk and verbatim text (without the "txt:" prefix), big number digits,
  // double text as sent.
  std::string str;
  // Verbatim format ("txt", "mkd").
  std::string format;
  // Integer; bool as 0 or 1.
  int64_t integer = 0;
  double dbl = 0;
  // Array, set and push items; map and attribute entries as key, value, key, value...
  std::vector<ReplyValue> elements;

  // Built values, for code that makes replies of its own (pykv-cli's HTTP mode, tests).
  static ReplyValue Of(Type type, std::string str = {}) {
    ReplyValue v;
    v.type = type;
    v.str = std::move(str);
    return v;
  }
  static ReplyValue Simple(std::string s) { return Of(Type::kSimple, std::move(s)); }
  static ReplyValue Error(std::string s) { return Of(Type::kError, std::move(s)); }
  static ReplyValue Bulk(std::string s) { return Of(Type::kBulk, std::move(s)); }
  static ReplyValue Null() { return Of(Type::kNull); }
  static ReplyValue Integer(int64_t n) {
    ReplyValue v = Of(Type::kInteger);
    v.integer = n;
    return v;
  }
  static ReplyValue Aggregate(Type type, std::vector<ReplyValue> elements) {
    ReplyValue v = Of(type);
    v.elements = std::move(elements);
    return v;
  }
  static ReplyValue Array(std::vector<ReplyValue> elements) {
    return Aggregate(Type::kArray, std::move(elements));
  }

  bool is_simple() const { return type == Type::kSimple; }
  bool is_error() const { return type == Type::kError; }
  bool is_integer() const { return type == Type::kInteger; }
  bool is_bulk() const { return type == Type::kBulk; }
  bool is_null() const { return type == Type::kNull; }
  bool is_array() const { return type == Type::kArray; }
  bool is_map() const { return type == Type::kMap; }
  bool is_set() const { return type == Type::kSet; }
  bool is_push() const { return type == Type::kPush; }
  bool is_double() const { return type == Type::kDouble; }
  bool is_bool() const { return type == Type::kBool; }
  bool is_verbatim() const { return type == Type::kVerbatim; }
  bool is_big_number() const { return type == Type::kBigNumber; }
  // Any of the types whose payload is `str` as text: simple, bulk, verbatim.
  bool is_string() const { return is_simple() || is_bulk() || is_verbatim(); }
  // Types that hold `elements`.
  bool is_aggregate() const {
    return is_array() || is_map() || is_set() || is_push() || type == Type::kAttribute;
  }
  // Map entries (or attribute entries) in `elements`: key i is 2i, its value 2i + 1.
  size_t map_size() const { return elements.size() / 2; }
};

// "simple", "bulk", "map"...: for messages and logs.
std::string DescribeType(ReplyValue::Type type);

struct ReplyParserLimits {
  // Largest bulk, blob error or verbatim payload (Redis's proto-max-bulk-len default).
  size_t max_bulk = 512ull * 1024 * 1024;
  // Largest element count an aggregate header may announce (map: pairs).
  size_t max_elements = (1ull << 32) - 1;
  // Deepest aggregate nesting; a top-level array is depth 1. This also bounds the
  // recursion of destroying or walking a returned value.
  size_t max_depth = 128;
  // Longest single-line payload (simple string, error, number): a MONITOR line can
  // quote a whole bulk argument, so the default is as large as a bulk.
  size_t max_line = 512ull * 1024 * 1024;
};

class ReplyParser {
 public:
  // Defined outside the class so that `= {}` can use its member defaults.
  using Limits = ReplyParserLimits;

  enum class Result {
    kNeedMore,  // no complete reply buffered yet: Feed() more
    kReply,     // *out holds the next reply
    kError,     // protocol error: error() says what; final, the stream is unusable
  };

  explicit ReplyParser(Limits limits = {});

  // Appends bytes to the internal buffer.
  void Feed(std::string_view bytes);
  // Parses the next complete top-level reply into *out. A reply that is split across
  // Feed() calls is resumed where the previous call stopped, so a huge bulk arriving in
  // many small pieces is not rescanned.
  Result Next(ReplyValue* out);
  // "Protocol error: ..." after kError; empty before.
  const std::string& error() const { return error_; }
  // Bytes fed that are not part of a reply Next() has returned (so a reply still being
  // assembled counts): 0 means the stream stands exactly at a reply boundary.
  size_t buffered() const { return static_cast<size_t>(fed_ - returned_); }

 private:
  // An aggregate being filled: its value and how many more elements it needs.
  struct Frame {
    ReplyValue value;
    uint64_t remaining = 0;
  };

  // What one parsing step achieved.
  enum class Step {
    kNeedMore,  // the item at pos_ is not all buffered
    kError,     // error_ is set
    kValue,     // a value was completed (into the caller's variable)
    kProgress,  // a header was consumed (an aggregate opened, a bulk announced)
  };

  Result Fail(std::string msg);
  // Parses the line-headed item at pos_: a scalar, a bulk header or an aggregate header.
  Step ParseItem(ReplyValue* value);
  // Completes the bulk whose header was read, once its payload and CRLF are all buffered.
  Step ParseBulkBody(ReplyValue* value);
  // Hands a completed value to the aggregate being filled, closing every aggregate it
  // completes; true with *out set when that finishes a top-level reply.
  bool Deliver(ReplyValue value, ReplyValue* out);
  // Drops the parsed front of buf_ when that costs no more than the parsing did.
  void Compact();

  Limits limits_;
  // Bytes fed; valid from pos_ on (everything before is parsed into the state below).
  std::string buf_;
  size_t pos_ = 0;
  // The current line holds no LF in [pos_, scan_): a line arriving in pieces is searched
  // only once.
  size_t scan_ = 0;
  // The header of a bulk (or blob error, or verbatim) whose payload has not all arrived.
  bool in_bulk_ = false;
  char bulk_type_ = 0;
  uint64_t bulk_len_ = 0;
  // Aggregates being filled, outermost first.
  std::vector<Frame> stack_;
  // Absolute stream offsets: bytes fed, and the end of the last reply returned.
  uint64_t fed_ = 0;
  uint64_t returned_ = 0;
  uint64_t base_ = 0;  // absolute offset of buf_[0]
  std::string error_;
};

}  // namespace pykv::resp
