// libFuzzer target for the RESP reply parser. Besides "no crash, no sanitizer report",
// it checks the properties its users rely on:
//  - the same bytes give the same replies (and error) however they are split into feeds;
//  - an error is final, and buffered() accounts for every byte fed;
//  - each reply's bytes, parsed alone, give that reply and nothing more;
//  - whatever ReplyWriter writes, in RESP2 or RESP3, parses back to what was written.
// The first 4 input bytes choose the mode, limits and split points; the rest is the stream,
// or in writer mode the program that drives the writer.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "common/out_buffer.h"
#include "fuzz_check.h"
#include "resp/reply_parser.h"
#include "resp/reply_writer.h"

namespace {

using pykv::OutBuffer;
using pykv::resp::ReplyParser;
using pykv::resp::ReplyValue;
using pykv::resp::ReplyWriter;
using Limits = ReplyParser::Limits;
using Result = ReplyParser::Result;
using Type = ReplyValue::Type;

// Doubles compare by bit pattern (so -0 and 0 differ), every NaN alike.
std::string DoubleKey(double d) {
  if (std::isnan(d)) return "nan";
  uint64_t bits;
  std::memcpy(&bits, &d, sizeof(bits));
  return std::to_string(bits);
}

// An unambiguous text for a value: lengths before payloads, so no payload can imitate
// structure.
std::string Dump(const ReplyValue& v) {
  auto text = [](char tag, const std::string& s) {
    return std::string(1, tag) + std::to_string(s.size()) + ":" + s;
  };
  std::string out;
  switch (v.type) {
    case Type::kSimple:
      return text('+', v.str);
    case Type::kError:
      return text('-', v.str);
    case Type::kInteger:
      return ":" + std::to_string(v.integer);
    case Type::kBulk:
      return text('$', v.str);
    case Type::kNull:
      return "_";
    case Type::kDouble:
      return text(',', v.str) + "=" + DoubleKey(v.dbl);
    case Type::kBool:
      return v.integer ? "#t" : "#f";
    case Type::kVerbatim:
      return text('=', v.format + ":" + v.str);
    case Type::kBigNumber:
      return text('(', v.str);
    case Type::kArray:
      out = "*";
      break;
    case Type::kMap:
      out = "%";
      break;
    case Type::kSet:
      out = "~";
      break;
    case Type::kPush:
      out = ">";
      break;
    case Type::kAttribute:
      FUZZ_CHECK(false);  // never returned
  }
  out += std::to_string(v.elements.size()) + "[";
  for (const ReplyValue& e : v.elements) out += Dump(e);
  return out + "]";
}

struct Parsed {
  std::vector<std::string> replies;
  std::vector<uint64_t> ends;  // stream offset just past each reply
  std::string error;
  bool operator==(const Parsed& o) const { return replies == o.replies && error == o.error; }
};

Parsed Parse(std::string_view data, const std::vector<size_t>& cuts, const Limits& limits) {
  ReplyParser p(limits);
  Parsed out;
  size_t from = 0;
  std::vector<size_t> ends = cuts;
  ends.push_back(data.size());
  uint64_t last_end = 0;
  for (size_t to : ends) {
    p.Feed(data.substr(from, to - from));
    from = to;
    for (;;) {
      ReplyValue v;
      Result r = p.Next(&v);
      if (r == Result::kNeedMore) break;
      if (r == Result::kError) {
        out.error = p.error();
        FUZZ_CHECK(out.error.rfind("Protocol error: ", 0) == 0);
        p.Feed("+OK\r\n");
        FUZZ_CHECK(p.Next(&v) == Result::kError);
        FUZZ_CHECK(p.error() == out.error);
        return out;
      }
      FUZZ_CHECK(r == Result::kReply);
      FUZZ_CHECK(p.buffered() <= to);
      const uint64_t end = to - p.buffered();
      FUZZ_CHECK(end > last_end);
      last_end = end;
      out.replies.push_back(Dump(v));
      out.ends.push_back(end);
    }
    FUZZ_CHECK(p.buffered() == to - last_end);
  }
  return out;
}

// Small deterministic generator for split points, seeded from the input.
struct Rng {
  uint32_t s;
  uint32_t Next() {
    s ^= s << 13;
    s ^= s >> 17;
    s ^= s << 5;
    return s;
  }
};

std::vector<size_t> RandomCuts(size_t n, Rng* rng) {
  std::vector<size_t> cuts;
  for (size_t i = 1; i < n; ++i) {
    if (rng->Next() % 8 == 0) cuts.push_back(i);
  }
  return cuts;
}

std::vector<size_t> EveryByte(size_t n) {
  std::vector<size_t> cuts;
  for (size_t i = 1; i < n; ++i) cuts.push_back(i);
  return cuts;
}

void CheckStream(std::string_view data, const Limits& limits, Rng* rng) {
  Parsed whole = Parse(data, {}, limits);
  FUZZ_CHECK(Parse(data, RandomCuts(data.size(), rng), limits) == whole);
  if (data.size() <= 512) FUZZ_CHECK(Parse(data, EveryByte(data.size()), limits) == whole);
  // Each reply's bytes (with any attributes before it) are that reply alone.
  uint64_t start = 0;
  for (size_t i = 0; i < whole.replies.size() && i < 64; ++i) {
    const uint64_t end = whole.ends[i];
    Parsed alone = Parse(data.substr(start, end - start), {}, limits);
    FUZZ_CHECK(alone.error.empty());
    FUZZ_CHECK(alone.replies.size() == 1);
    FUZZ_CHECK(alone.replies[0] == whole.replies[i]);
    FUZZ_CHECK(alone.ends[0] == end - start);
    start = end;
  }
}

// Reads the writer program: bytes become choices, lengths and payloads.
struct Program {
  std::string_view data;
  size_t at = 0;
  bool done() const { return at >= data.size(); }
  uint8_t Byte() { return done() ? 0 : static_cast<uint8_t>(data[at++]); }
  std::string Bytes() {
    size_t n = Byte() % 24;
    std::string s(data.substr(at, n));
    at += s.size();
    return s;
  }
  uint64_t Word() {
    uint64_t v = 0;
    for (int i = 0; i < 8; ++i) v = v << 8 | Byte();
    return v;
  }
};

std::string Text(char tag, const std::string& s) {
  return std::string(1, tag) + std::to_string(s.size()) + ":" + s;
}

// What a single writer call puts on the wire, to learn the text of a double.
std::string DoubleText(int protocol, double d) {
  OutBuffer buf;
  ReplyWriter w(&buf);
  w.set_protocol(protocol);
  w.Double(d);
  std::string s = buf.ToString();
  if (protocol == 3) return s.substr(1, s.size() - 3);  // ,<text>\r\n
  size_t body = s.find("\r\n") + 2;                     // $<len>\r\n<text>\r\n
  return s.substr(body, s.size() - body - 2);
}

// Writes one value chosen by the program and returns the Dump the parser must give for it.
std::string Emit(Program* prog, ReplyWriter* w, int depth) {
  const bool resp3 = w->protocol() == 3;
  const uint8_t op = prog->Byte() % (depth >= 5 ? 6 : 15);
  auto children = [&](size_t n) {
    std::string s;
    for (size_t i = 0; i < n; ++i) s += Emit(prog, w, depth + 1);
    return s + "]";
  };
  switch (op) {
    case 0: {
      std::string s = prog->Bytes();
      for (char& c : s) {
        if (c == '\r' || c == '\n') c = ' ';
      }
      w->Simple(s);
      return Text('+', s);
    }
    case 1: {
      std::string s = prog->Bytes();
      w->Error(s);
      if (!s.empty() && s[0] == '-') s.erase(0, 1);
      for (char& c : s) {
        if (c == '\r' || c == '\n') c = ' ';
      }
      return Text('-', s);
    }
    case 2: {
      auto v = static_cast<int64_t>(prog->Word());
      w->Integer(v);
      return ":" + std::to_string(v);
    }
    case 3: {
      std::string s = prog->Bytes();
      if (prog->Byte() % 8 == 0) s.append(5000, 'b');  // past the writer's small bulk path
      w->Bulk(s);
      return Text('$', s);
    }
    case 4:
      w->Null();
      return "_";
    case 5: {
      const bool v = prog->Byte() & 1;
      w->Bool(v);
      return resp3 ? (v ? "#t" : "#f") : (v ? ":1" : ":0");
    }
    case 6: {
      size_t n = prog->Byte() % 5;
      w->ArrayHeader(n);
      return "*" + std::to_string(n) + "[" + children(n);
    }
    case 7: {
      size_t n = prog->Byte() % 4;
      w->MapHeader(n);
      return (resp3 ? "%" + std::to_string(n * 2) : "*" + std::to_string(n * 2)) + "[" +
             children(n * 2);
    }
    case 8: {
      size_t n = prog->Byte() % 5;
      w->SetHeader(n);
      return (resp3 ? "~" : "*") + std::to_string(n) + "[" + children(n);
    }
    case 9: {
      size_t n = prog->Byte() % 5;
      w->PushHeader(n);
      return (resp3 ? ">" : "*") + std::to_string(n) + "[" + children(n);
    }
    case 10: {
      uint64_t bits = prog->Word();
      double d;
      std::memcpy(&d, &bits, sizeof(d));
      w->Double(d);
      const std::string text = DoubleText(w->protocol(), d);
      if (!resp3) return Text('$', text);
      // The %.17g text holds every bit of a finite double, and inf and nan parse back.
      return Text(',', text) + "=" + DoubleKey(d);
    }
    case 11: {
      std::string s = prog->Bytes();
      const char* format = prog->Byte() & 1 ? "mkd" : "txt";
      w->Verbatim(s, format);
      return resp3 ? Text('=', std::string(format) + ":" + s) : Text('$', s);
    }
    case 12: {
      std::string digits = prog->Byte() & 1 ? "-" : "";
      for (char c : prog->Bytes()) digits += static_cast<char>('0' + (c & 0x7f) % 10);
      if (digits.empty() || digits == "-") digits += '7';
      w->BigNumber(digits);
      return Text(resp3 ? '(' : '$', digits);
    }
    case 13:
      w->NullArray();
      return "_";
    default: {
      // An attribute, then the value it describes. RESP2 has no attributes: the writer
      // drops the header and the caller the pairs.
      size_t n = prog->Byte() % 3;
      if (resp3) {
        w->AttributeHeader(n);
        for (size_t i = 0; i < n * 2; ++i) Emit(prog, w, depth + 1);
      }
      return Emit(prog, w, depth);
    }
  }
}

void CheckWriter(std::string_view program, int protocol, Rng* rng) {
  OutBuffer buf;
  ReplyWriter w(&buf);
  w.set_protocol(protocol);
  Program prog{program};
  std::vector<std::string> expected;
  while (!prog.done() && expected.size() < 64) expected.push_back(Emit(&prog, &w, 0));
  const std::string wire = buf.ToString();
  Parsed whole = Parse(wire, {}, Limits{});
  FUZZ_CHECK(whole.error.empty());
  FUZZ_CHECK(whole.replies == expected);
  FUZZ_CHECK(whole.ends.empty() || whole.ends.back() == wire.size());
  FUZZ_CHECK(Parse(wire, RandomCuts(wire.size(), rng), Limits{}) == whole);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* bytes, size_t size) {
  if (size < 4) return 0;
  const uint8_t flags = bytes[0];
  Rng rng{
      (static_cast<uint32_t>(bytes[1]) << 16 | static_cast<uint32_t>(bytes[2]) << 8 | bytes[3]) |
      1u};
  std::string_view data(reinterpret_cast<const char*>(bytes) + 4, size - 4);

  if (flags & 64) {
    CheckWriter(data, flags & 128 ? 3 : 2, &rng);
    return 0;
  }
  Limits limits;
  if (flags & 1) limits.max_bulk = bytes[1] % 32;
  if (flags & 2) limits.max_elements = bytes[2] % 8;
  if (flags & 4) limits.max_depth = bytes[3] % 8;
  if (flags & 8) limits.max_line = bytes[1] % 64;
  CheckStream(data, limits, &rng);
  return 0;
}
