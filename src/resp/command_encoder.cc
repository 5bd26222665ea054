#include "resp/command_encoder.h"

#include <charconv>
#include <cstring>

namespace pykv::resp {

namespace {

// "*" or "$", the longest size_t in decimal, CRLF.
constexpr size_t kMaxLineLen = 1 + 20 + 2;
// Arguments up to this size are encoded with their header in one Reserve/Commit.
constexpr size_t kSmallArg = 4096;

size_t DecimalDigits(size_t v) {
  size_t n = 1;
  while (v >= 10) {
    v /= 10;
    ++n;
  }
  return n;
}

// Writes <type><v>\r\n at p and returns one past the end; to_chars because it is fast
// (table driven, no locale) and needs no buffer of its own.
char* PutLine(char* p, char type, size_t v) {
  *p++ = type;
  p = std::to_chars(p, p + 20, v).ptr;
  *p++ = '\r';
  *p++ = '\n';
  return p;
}

}  // namespace

void EncodeCommand(std::span<const std::string_view> argv, OutBuffer* out) {
  char* start = out->Reserve(kMaxLineLen);
  out->Commit(static_cast<size_t>(PutLine(start, '*', argv.size()) - start));
  for (std::string_view arg : argv) {
    if (arg.size() <= kSmallArg) {
      start = out->Reserve(kMaxLineLen + arg.size() + 2);
      char* p = PutLine(start, '$', arg.size());
      if (!arg.empty()) std::memcpy(p, arg.data(), arg.size());
      p += arg.size();
      *p++ = '\r';
      *p++ = '\n';
      out->Commit(static_cast<size_t>(p - start));
    } else {
      // Big values go in after the header so OutBuffer can give them a chunk of their own.
      start = out->Reserve(kMaxLineLen);
      out->Commit(static_cast<size_t>(PutLine(start, '$', arg.size()) - start));
      out->Append(arg);
      out->Append("\r\n", 2);
    }
  }
}

size_t EncodedCommandSize(std::span<const std::string_view> argv) {
  size_t total = 3 + DecimalDigits(argv.size());
  for (std::string_view arg : argv) total += 5 + DecimalDigits(arg.size()) + arg.size();
  return total;
}

char* EncodeCommandAt(std::span<const std::string_view> argv, char* p) {
  p = PutLine(p, '*', argv.size());
  for (std::string_view arg : argv) {
    p = PutLine(p, '$', arg.size());
    if (!arg.empty()) std::memcpy(p, arg.data(), arg.size());
    p += arg.size();
    *p++ = '\r';
    *p++ = '\n';
  }
  return p;
}

void EncodeCommand(std::span<const std::string_view> argv, std::string* out) {
  // Size exactly first: one allocation, and AOF records do not carry slack.
  const size_t old = out->size();
  out->resize(old + EncodedCommandSize(argv));
  EncodeCommandAt(argv, out->data() + old);
}

std::string EncodeCommand(std::span<const std::string_view> argv) {
  std::string s;
  EncodeCommand(argv, &s);
  return s;
}

}  // namespace pykv::resp
