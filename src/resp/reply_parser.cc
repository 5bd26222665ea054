#include "resp/reply_parser.h"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <utility>

namespace pykv::resp {

namespace {

using Type = ReplyValue::Type;

// The front of the buffer is dropped only once at least this much has been parsed, so a
// stream of tiny replies does not move the (short) remainder on every call.
constexpr size_t kCompactMin = 4096;
// An aggregate header is only a claim: room for at most this many elements is reserved up
// front, the rest grows as the elements actually arrive.
constexpr uint64_t kMaxReserve = 1024;
// A buffer left this big by a burst (or one huge bulk) is given back once mostly empty.
constexpr size_t kKeepCapacity = 1024 * 1024;

bool IsTypeByte(char c) {
  switch (c) {
    case '+':
    case '-':
    case ':':
    case '$':
    case '*':
    case '_':
    case ',':
    case '#':
    case '!':
    case '=':
    case '(':
    case '%':
    case '~':
    case '>':
    case '|':
      return true;
    default:
      return false;
  }
}

// 'x' for a printable byte, \xNN otherwise, so the message stays one readable line.
std::string QuoteByte(char c) {
  auto u = static_cast<unsigned char>(c);
  if (u > 0x20 && u < 0x7f) return std::string("'") + c + "'";
  char buf[8];
  std::snprintf(buf, sizeof(buf), "\\x%02x", u);
  return buf;
}

// Decimal int64: optional '-' (and '+' when allow_plus), at least one digit, nothing else,
// no overflow.
bool ParseInteger(std::string_view s, bool allow_plus, int64_t* out) {
  if (allow_plus && !s.empty() && s[0] == '+') {
    s.remove_prefix(1);
    if (s.empty() || s[0] == '-') return false;
  }
  if (s.empty()) return false;
  const char* end = s.data() + s.size();
  auto [ptr, ec] = std::from_chars(s.data(), end, *out);
  return ec == std::errc() && ptr == end;
}

// RESP3 double: a decimal or exponent form, "inf", "-inf" or "nan". A value beyond the
// range of double is still a double (it rounds to infinity or zero), as strtod has it.
bool ParseDouble(std::string_view s, double* out) {
  if (!s.empty() && s[0] == '+') {
    s.remove_prefix(1);
    if (!s.empty() && s[0] == '-') return false;
  }
  if (s.empty()) return false;
  const char* end = s.data() + s.size();
  auto [ptr, ec] = std::from_chars(s.data(), end, *out, std::chars_format::general);
  if (ptr != end) return false;
  if (ec == std::errc::result_out_of_range) {
    std::string copy(s);  // strtod needs a terminator
    *out = std::strtod(copy.c_str(), nullptr);
    return true;
  }
  return ec == std::errc();
}

// RESP3 big number: optional sign, then digits.
bool ValidBigNumber(std::string_view s) {
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) s.remove_prefix(1);
  if (s.empty()) return false;
  return std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

Type AggregateType(char c) {
  switch (c) {
    case '%':
      return Type::kMap;
    case '~':
      return Type::kSet;
    case '>':
      return Type::kPush;
    case '|':
      return Type::kAttribute;
    default:
      return Type::kArray;
  }
}

}  // namespace

std::string DescribeType(ReplyValue::Type type) {
  switch (type) {
    case Type::kSimple:
      return "simple string";
    case Type::kError:
      return "error";
    case Type::kInteger:
      return "integer";
    case Type::kBulk:
      return "bulk string";
    case Type::kNull:
      return "null";
    case Type::kArray:
      return "array";
    case Type::kMap:
      return "map";
    case Type::kSet:
      return "set";
    case Type::kPush:
      return "push";
    case Type::kDouble:
      return "double";
    case Type::kBool:
      return "boolean";
    case Type::kVerbatim:
      return "verbatim string";
    case Type::kBigNumber:
      return "big number";
    case Type::kAttribute:
      return "attribute";
  }
  return "unknown";
}

ReplyParser::ReplyParser(Limits limits) : limits_(limits) {}

void ReplyParser::Feed(std::string_view bytes) {
  // After an error nothing is parsed again; keeping the bytes would only hold memory.
  if (!error_.empty()) return;
  buf_.append(bytes);
  fed_ += bytes.size();
}

ReplyParser::Result ReplyParser::Fail(std::string msg) {
  error_ = std::move(msg);
  // The framing is lost: nothing buffered or half built can be used any more.
  buf_.clear();
  buf_.shrink_to_fit();
  stack_.clear();
  return Result::kError;
}

ReplyParser::Result ReplyParser::Next(ReplyValue* out) {
  if (!error_.empty()) return Result::kError;
  for (;;) {
    ReplyValue value;
    Step step = in_bulk_ ? ParseBulkBody(&value) : ParseItem(&value);
    switch (step) {
      case Step::kNeedMore:
        Compact();
        return Result::kNeedMore;
      case Step::kError:
        return Result::kError;
      case Step::kProgress:
        break;
      case Step::kValue:
        if (Deliver(std::move(value), out)) {
          returned_ = base_ + pos_;
          Compact();
          return Result::kReply;
        }
        break;
    }
  }
}

bool ReplyParser::Deliver(ReplyValue value, ReplyValue* out) {
  for (;;) {
    // A finished attribute describes what follows it; it is dropped and does not count
    // as an element of the aggregate around it.
    if (value.type == Type::kAttribute) return false;
    if (stack_.empty()) {
      *out = std::move(value);
      return true;
    }
    Frame& frame = stack_.back();
    frame.value.elements.push_back(std::move(value));
    if (--frame.remaining > 0) return false;
    value = std::move(frame.value);
    stack_.pop_back();
  }
}

ReplyParser::Step ReplyParser::ParseItem(ReplyValue* value) {
  if (pos_ >= buf_.size()) return Step::kNeedMore;
  const char type = buf_[pos_];
  if (!IsTypeByte(type)) {
    Fail("Protocol error: unknown reply type byte " + QuoteByte(type));
    return Step::kError;
  }
  // Resume the search for LF where the previous call gave up.
  size_t from = std::max(scan_, pos_ + 1);
  const char* base = buf_.data();
  const void* hit =
      from < buf_.size() ? std::memchr(base + from, '\n', buf_.size() - from) : nullptr;
  if (hit == nullptr) {
    scan_ = buf_.size();
    // Even if the next byte were the LF (after a CR), the line would be too long. The
    // same test runs once the LF is here, so the verdict does not depend on the splits.
    const size_t have = buf_.size() - pos_;
    if (have > 2 && have - 2 > limits_.max_line) {
      Fail("Protocol error: too big line");
      return Step::kError;
    }
    return Step::kNeedMore;
  }
  const size_t nl = static_cast<size_t>(static_cast<const char*>(hit) - base);
  const size_t span = nl - pos_;  // type byte, payload and CR
  if (span >= 2 && span - 2 > limits_.max_line) {
    Fail("Protocol error: too big line");
    return Step::kError;
  }
  if (span < 2 || base[nl - 1] != '\r') {
    Fail("Protocol error: line not terminated by CRLF");
    return Step::kError;
  }
  const std::string_view line(base + pos_ + 1, span - 2);
  if (std::memchr(line.data(), '\r', line.size()) != nullptr) {
    Fail("Protocol error: CR inside a line");
    return Step::kError;
  }

  switch (type) {
    case '+':
    case '-':
      value->type = type == '+' ? Type::kSimple : Type::kError;
      value->str.assign(line);
      break;
    case ':':
      value->type = Type::kInteger;
      if (!ParseInteger(line, true, &value->integer)) {
        Fail("Protocol error: invalid integer");
        return Step::kError;
      }
      break;
    case ',':
      value->type = Type::kDouble;
      if (!ParseDouble(line, &value->dbl)) {
        Fail("Protocol error: invalid double");
        return Step::kError;
      }
      value->str.assign(line);
      break;
    case '#':
      value->type = Type::kBool;
      if (line != "t" && line != "f") {
        Fail("Protocol error: invalid boolean");
        return Step::kError;
      }
      value->integer = line == "t" ? 1 : 0;
      break;
    case '_':
      value->type = Type::kNull;
      if (!line.empty()) {
        Fail("Protocol error: invalid null");
        return Step::kError;
      }
      break;
    case '(':
      value->type = Type::kBigNumber;
      if (!ValidBigNumber(line)) {
        Fail("Protocol error: invalid big number");
        return Step::kError;
      }
      value->str.assign(line);
      break;
    case '$':
    case '!':
    case '=': {
      int64_t len = 0;
      // -1 is RESP2's null bulk; RESP3 has its own null and no null blob error or
      // verbatim string.
      if (!ParseInteger(line, false, &len) || len < (type == '$' ? -1 : 0)) {
        Fail("Protocol error: invalid bulk length");
        return Step::kError;
      }
      if (len == -1) {
        value->type = Type::kNull;
        break;
      }
      if (static_cast<uint64_t>(len) > limits_.max_bulk) {
        Fail("Protocol error: bulk length " + std::to_string(len) + " exceeds the limit of " +
             std::to_string(limits_.max_bulk));
        return Step::kError;
      }
      pos_ = nl + 1;
      scan_ = pos_;
      in_bulk_ = true;
      bulk_type_ = type;
      bulk_len_ = static_cast<uint64_t>(len);
      // Usually the payload is already here.
      return ParseBulkBody(value);
    }
    default: {  // the aggregates: * % ~ > |
      const Type agg = AggregateType(type);
      int64_t count = 0;
      if (!ParseInteger(line, false, &count) || count < (type == '*' ? -1 : 0)) {
        Fail("Protocol error: invalid " + DescribeType(agg) + " length");
        return Step::kError;
      }
      if (count == -1) {  // RESP2's null array
        value->type = Type::kNull;
        break;
      }
      if (static_cast<uint64_t>(count) > limits_.max_elements) {
        Fail("Protocol error: " + DescribeType(agg) + " length " + std::to_string(count) +
             " exceeds the limit of " + std::to_string(limits_.max_elements));
        return Step::kError;
      }
      if (stack_.size() >= limits_.max_depth) {
        Fail("Protocol error: aggregates nested deeper than " + std::to_string(limits_.max_depth));
        return Step::kError;
      }
      value->type = agg;
      pos_ = nl + 1;
      scan_ = pos_;
      if (count == 0) return Step::kValue;
      // Maps and attributes hold a key and a value per entry; count <= max_elements, so
      // doubling a count below 2^63 cannot overflow.
      const bool pairs = agg == Type::kMap || agg == Type::kAttribute;
      uint64_t items = static_cast<uint64_t>(count) * (pairs ? 2 : 1);
      Frame frame;
      frame.value = std::move(*value);
      frame.value.elements.reserve(static_cast<size_t>(std::min(items, kMaxReserve)));
      frame.remaining = items;
      stack_.push_back(std::move(frame));
      return Step::kProgress;
    }
  }
  pos_ = nl + 1;
  scan_ = pos_;
  return Step::kValue;
}

ReplyParser::Step ReplyParser::ParseBulkBody(ReplyValue* value) {
  // bulk_len_ <= max_bulk, a size_t, so this cannot overflow.
  if (buf_.size() - pos_ < bulk_len_ + 2) return Step::kNeedMore;
  const size_t len = static_cast<size_t>(bulk_len_);
  const char* p = buf_.data() + pos_;
  if (p[len] != '\r' || p[len + 1] != '\n') {
    Fail("Protocol error: bulk payload not terminated by CRLF");
    return Step::kError;
  }
  std::string_view payload(p, len);
  switch (bulk_type_) {
    case '!':
      value->type = Type::kError;
      value->str.assign(payload);
      break;
    case '=':
      // "txt:" or "mkd:" before the text.
      if (len < 4 || payload[3] != ':') {
        Fail("Protocol error: invalid verbatim string");
        return Step::kError;
      }
      value->type = Type::kVerbatim;
      value->format.assign(payload.substr(0, 3));
      value->str.assign(payload.substr(4));
      break;
    default:
      value->type = Type::kBulk;
      value->str.assign(payload);
      break;
  }
  pos_ += len + 2;
  scan_ = pos_;
  in_bulk_ = false;
  return Step::kValue;
}

void ReplyParser::Compact() {
  if (pos_ == 0) return;
  if (pos_ < buf_.size() && (pos_ < kCompactMin || pos_ < buf_.size() - pos_)) return;
  // Moves at most as many bytes as were parsed since the last compaction.
  buf_.erase(0, pos_);
  base_ += pos_;
  scan_ = scan_ > pos_ ? scan_ - pos_ : 0;
  pos_ = 0;
  if (buf_.capacity() > kKeepCapacity && buf_.size() * 4 < buf_.capacity()) buf_.shrink_to_fit();
}

}  // namespace pykv::resp
