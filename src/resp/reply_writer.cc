#include "resp/reply_writer.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>

namespace pykv::resp {

namespace {

// "-9223372036854775808": the longest decimal int64.
constexpr size_t kMaxIntLen = 20;
// A type byte, an integer and CRLF.
constexpr size_t kMaxLineLen = 1 + kMaxIntLen + 2;
// Bulk payloads up to this size are written with their header in one Reserve/Commit; larger
// ones are appended after the header so they land in a chunk of their own.
constexpr size_t kSmallBulk = 4096;
// %.17g of any finite double: sign, 17 digits, '.', "e-308" and change.
constexpr size_t kDoubleBuf = 32;

// Writes <type><v>\r\n at p (room for kMaxLineLen) and returns one past the end.
// std::to_chars is the fast formatter here: libstdc++ emits two digits per step from a
// table, with no locale and no allocation.
inline char* PutLine(char* p, char type, int64_t v) {
  *p++ = type;
  p = std::to_chars(p, p + kMaxIntLen, v).ptr;
  *p++ = '\r';
  *p++ = '\n';
  return p;
}

inline char* PutCrlf(char* p) {
  *p++ = '\r';
  *p++ = '\n';
  return p;
}

// Writes <type><text>\r\n in one reservation.
void PutText(OutBuffer* out, char type, std::string_view text) {
  char* start = out->Reserve(text.size() + 3);
  char* p = start;
  *p++ = type;
  if (!text.empty()) std::memcpy(p, text.data(), text.size());
  p = PutCrlf(p + text.size());
  out->Commit(static_cast<size_t>(p - start));
}

// The text Redis's addReplyDouble sends: "%.17g", but inf spelled out explicitly because
// libcs disagree on it. Returns the length written into buf (kDoubleBuf bytes).
size_t FormatDoubleText(double v, char* buf) {
  if (std::isinf(v)) {
    const char* text = v > 0 ? "inf" : "-inf";
    size_t n = std::strlen(text);
    std::memcpy(buf, text, n);
    return n;
  }
  int n = std::snprintf(buf, kDoubleBuf, "%.17g", v);
  return n < 0 ? 0 : std::min(static_cast<size_t>(n), kDoubleBuf - 1);
}

}  // namespace

void ReplyWriter::Header(char type, int64_t n) {
  if (out_ == nullptr) return;
  char* start = out_->Reserve(kMaxLineLen);
  out_->Commit(static_cast<size_t>(PutLine(start, type, n) - start));
}

void ReplyWriter::Simple(std::string_view text) {
  if (out_ == nullptr) return;
  PutText(out_, '+', text);
}

void ReplyWriter::Error(std::string_view message) {
  ++errors_;  // counted even when replies are discarded: the call still failed
  if (error_stats_ != nullptr) error_stats_->Count(message);
  if (out_ == nullptr) return;
  bool has_dash = !message.empty() && message[0] == '-';
  char* start = out_->Reserve(message.size() + 3);
  char* p = start;
  if (!has_dash) *p++ = '-';
  // CR or LF inside would end the error line early and desynchronise the client.
  for (char c : message) *p++ = (c == '\r' || c == '\n') ? ' ' : c;
  p = PutCrlf(p);
  out_->Commit(static_cast<size_t>(p - start));
}

void ReplyWriter::Integer(int64_t v) {
  Header(':', v);
}

void ReplyWriter::Bulk(std::string_view bytes) {
  if (out_ == nullptr) return;
  size_t n = bytes.size();
  if (n <= kSmallBulk) {
    char* start = out_->Reserve(kMaxLineLen + n + 2);
    char* p = PutLine(start, '$', static_cast<int64_t>(n));
    if (n != 0) std::memcpy(p, bytes.data(), n);
    p = PutCrlf(p + n);
    out_->Commit(static_cast<size_t>(p - start));
    return;
  }
  Header('$', static_cast<int64_t>(n));
  out_->Append(bytes.data(), n);
  out_->Append("\r\n", 2);
}

void ReplyWriter::Null() {
  if (out_ == nullptr) return;
  if (resp3_) {
    out_->Append("_\r\n", 3);
  } else {
    out_->Append("$-1\r\n", 5);
  }
}

void ReplyWriter::NullArray() {
  if (out_ == nullptr) return;
  if (resp3_) {
    out_->Append("_\r\n", 3);
  } else {
    out_->Append("*-1\r\n", 5);
  }
}

void ReplyWriter::ArrayHeader(size_t n) {
  Header('*', static_cast<int64_t>(n));
}

void ReplyWriter::MapHeader(size_t n) {
  if (resp3_) {
    Header('%', static_cast<int64_t>(n));
  } else {
    Header('*', static_cast<int64_t>(n) * 2);
  }
}

void ReplyWriter::SetHeader(size_t n) {
  Header(resp3_ ? '~' : '*', static_cast<int64_t>(n));
}

void ReplyWriter::PushHeader(size_t n) {
  Header(resp3_ ? '>' : '*', static_cast<int64_t>(n));
}

void ReplyWriter::Double(double v) {
  if (out_ == nullptr) return;
  char buf[kDoubleBuf];
  std::string_view text(buf, FormatDoubleText(v, buf));
  if (resp3_) {
    PutText(out_, ',', text);
  } else {
    Bulk(text);
  }
}

void ReplyWriter::Bool(bool v) {
  if (out_ == nullptr) return;
  if (resp3_) {
    out_->Append(v ? "#t\r\n" : "#f\r\n", 4);
  } else {
    out_->Append(v ? ":1\r\n" : ":0\r\n", 4);
  }
}

void ReplyWriter::Verbatim(std::string_view text, std::string_view format) {
  if (out_ == nullptr) return;
  if (!resp3_) {
    Bulk(text);
    return;
  }
  Header('=', static_cast<int64_t>(format.size() + 1 + text.size()));
  out_->Append(format);
  out_->Append(':');
  out_->Append(text);
  out_->Append("\r\n", 2);
}

void ReplyWriter::BigNumber(std::string_view digits) {
  if (out_ == nullptr) return;
  if (resp3_) {
    PutText(out_, '(', digits);
  } else {
    Bulk(digits);
  }
}

void ReplyWriter::AttributeHeader(size_t n) {
  if (resp3_) Header('|', static_cast<int64_t>(n));
}

void ReplyWriter::Raw(std::string_view bytes) {
  if (out_ == nullptr) return;
  out_->Append(bytes);
}

}  // namespace pykv::resp
