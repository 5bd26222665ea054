#include "resp/reply_parser.h"

#include <doctest/doctest.h>

#include <cmath>
#include <cstdio>
#include <limits>
#include <string>
#include <vector>

#include "common/out_buffer.h"
#include "resp/reply_writer.h"

namespace pykv::resp {
namespace {

using namespace std::string_literals;
using Limits = ReplyParser::Limits;
using Result = ReplyParser::Result;
using Type = ReplyValue::Type;
using Dumps = std::vector<std::string>;

// A compact, unambiguous text for a value, so expectations read like the wire format:
// "+OK", "$hello", ":5", "_", "[:1, $a]", "{+k: :1}", "~[...]", ">[...]", ",1.5", "#t",
// "=txt:text", "(123".
std::string Dump(const ReplyValue& v) {
  auto join = [](const std::vector<ReplyValue>& items, bool pairs) {
    std::string s;
    for (size_t i = 0; i < items.size(); ++i) {
      if (i > 0) s += (pairs && i % 2 == 1) ? ": " : ", ";
      s += Dump(items[i]);
    }
    return s;
  };
  switch (v.type) {
    case Type::kSimple:
      return "+" + v.str;
    case Type::kError:
      return "-" + v.str;
    case Type::kInteger:
      return ":" + std::to_string(v.integer);
    case Type::kBulk:
      return "$" + v.str;
    case Type::kNull:
      return "_";
    case Type::kArray:
      return "[" + join(v.elements, false) + "]";
    case Type::kMap:
      return "{" + join(v.elements, true) + "}";
    case Type::kSet:
      return "~[" + join(v.elements, false) + "]";
    case Type::kPush:
      return ">[" + join(v.elements, false) + "]";
    case Type::kDouble:
      return "," + v.str;
    case Type::kBool:
      return v.integer ? "#t" : "#f";
    case Type::kVerbatim:
      return "=" + v.format + ":" + v.str;
    case Type::kBigNumber:
      return "(" + v.str;
    case Type::kAttribute:
      return "|{" + join(v.elements, true) + "}";
  }
  return "?";
}

struct Outcome {
  Dumps replies;
  std::string error;    // set when Next() returned kError
  size_t buffered = 0;  // buffered() once all input was fed and parsed
  bool operator==(const Outcome&) const = default;
};

// Feeds input in pieces ending at each cut (and at the end), taking every complete reply
// after each piece.
Outcome ParsePieces(std::string_view input, const std::vector<size_t>& cuts, const Limits& limits) {
  ReplyParser parser(limits);
  Outcome out;
  size_t from = 0;
  size_t returned = 0;  // bytes fed minus buffered() at the last reply
  std::vector<size_t> ends = cuts;
  ends.push_back(input.size());
  for (size_t to : ends) {
    parser.Feed(input.substr(from, to - from));
    from = to;
    for (;;) {
      ReplyValue v;
      Result r = parser.Next(&v);
      if (r == Result::kNeedMore) break;
      if (r == Result::kError) {
        out.error = parser.error();
        REQUIRE(!out.error.empty());
        // Sticky, whatever comes after.
        parser.Feed("+OK\r\n");
        CHECK(parser.Next(&v) == Result::kError);
        CHECK(parser.error() == out.error);
        return out;
      }
      out.replies.push_back(Dump(v));
      // Each reply consumes some bytes, and none that were not fed.
      CHECK(parser.buffered() <= to);
      CHECK(to - parser.buffered() > returned);
      returned = to - parser.buffered();
    }
    CHECK(parser.error().empty());
    // Nothing is consumed without a reply to show for it.
    CHECK(parser.buffered() == to - returned);
  }
  out.buffered = parser.buffered();
  return out;
}

// Where to split an input in two: every boundary of a small input; for a large one the
// boundaries near each end and a stride through the middle (every boundary of a megabyte
// would be a trillion parsed bytes).
std::vector<size_t> Boundaries(size_t n) {
  std::vector<size_t> at;
  for (size_t i = 1; i < n; ++i) {
    if (n <= 4096 || i < 64 || i > n - 64 || i % 997 == 0) at.push_back(i);
  }
  return at;
}

// Parses input whole, split in two at every boundary, and byte by byte; every way must
// give the same outcome, which is returned.
Outcome Parse(std::string_view input, const Limits& limits = {}) {
  Outcome whole = ParsePieces(input, {}, limits);
  for (size_t cut : Boundaries(input.size())) {
    Outcome split = ParsePieces(input, {cut}, limits);
    if (!(split == whole)) {
      INFO("split at " << cut);
      CHECK(split == whole);
    }
  }
  std::vector<size_t> every;
  for (size_t i = 1; i < input.size(); ++i) every.push_back(i);
  Outcome bytewise = ParsePieces(input, every, limits);
  CHECK(bytewise == whole);
  return whole;
}

Dumps Replies(std::string_view input, const Limits& limits = {}) {
  Outcome o = Parse(input, limits);
  CHECK(o.error == "");
  CHECK(o.buffered == 0);
  return o.replies;
}

std::string ErrorOf(std::string_view input, const Limits& limits = {}) {
  return Parse(input, limits).error;
}

// What a ReplyWriter in the given protocol writes.
template <typename Fn>
std::string Written(int protocol, Fn fn) {
  OutBuffer buf;
  ReplyWriter w(&buf);
  w.set_protocol(protocol);
  fn(w);
  return buf.ToString();
}

TEST_CASE("RESP2 scalars") {
  CHECK(Replies("+OK\r\n") == Dumps{"+OK"});
  CHECK(Replies("+\r\n") == Dumps{"+"});
  CHECK(Replies("-ERR unknown command 'x'\r\n") == Dumps{"-ERR unknown command 'x'"});
  CHECK(Replies(":0\r\n:-1\r\n:+7\r\n:007\r\n") == Dumps{":0", ":-1", ":7", ":7"});
  CHECK(Replies(":9223372036854775807\r\n:-9223372036854775808\r\n") ==
        Dumps{":9223372036854775807", ":-9223372036854775808"});
  CHECK(Replies("$5\r\nhello\r\n$0\r\n\r\n") == Dumps{"$hello", "$"});
  // A bulk is binary: CR, LF and NUL inside are payload.
  CHECK(Replies("$7\r\na\r\n\0b\nc\r\n"s) == Dumps{"$a\r\n\0b\nc"s});
}

TEST_CASE("values carry the typed fields") {
  ReplyParser p;
  p.Feed(":-42\r\n#t\r\n,2.5\r\n=9\r\nmkd:hello\r\n(12345678901234567890\r\n!4\r\nOOPS\r\n");
  ReplyValue v;
  REQUIRE(p.Next(&v) == Result::kReply);
  CHECK((v.is_integer() && v.integer == -42));
  REQUIRE(p.Next(&v) == Result::kReply);
  CHECK((v.is_bool() && v.integer == 1));
  REQUIRE(p.Next(&v) == Result::kReply);
  CHECK((v.is_double() && v.dbl == 2.5 && v.str == "2.5"));
  REQUIRE(p.Next(&v) == Result::kReply);
  CHECK((v.is_verbatim() && v.format == "mkd" && v.str == "hello" && v.is_string()));
  REQUIRE(p.Next(&v) == Result::kReply);
  CHECK((v.is_big_number() && v.str == "12345678901234567890"));
  REQUIRE(p.Next(&v) == Result::kReply);
  CHECK((v.is_error() && v.str == "OOPS"));
  CHECK(p.Next(&v) == Result::kNeedMore);
  CHECK(p.buffered() == 0);
}

TEST_CASE("null forms") {
  CHECK(Replies("$-1\r\n*-1\r\n_\r\n") == Dumps{"_", "_", "_"});
  ReplyParser p;
  p.Feed("$-1\r\n");
  ReplyValue v;
  v.type = Type::kBulk;
  REQUIRE(p.Next(&v) == Result::kReply);
  CHECK(v.is_null());
}

TEST_CASE("arrays, nested and empty") {
  CHECK(Replies("*0\r\n") == Dumps{"[]"});
  CHECK(Replies("*2\r\n$3\r\nfoo\r\n:1\r\n") == Dumps{"[$foo, :1]"});
  CHECK(Replies("*3\r\n*2\r\n:1\r\n:2\r\n*0\r\n*1\r\n*1\r\n$-1\r\n") ==
        Dumps{"[[:1, :2], [], [[_]]]"});
  CHECK(Replies("*2\r\n*-1\r\n-ERR in array\r\n") == Dumps{"[_, -ERR in array]"});
}

TEST_CASE("RESP3 scalars") {
  CHECK(Replies(",1.5\r\n,-0.25\r\n,3\r\n,1e10\r\n,inf\r\n,-inf\r\n") ==
        Dumps{",1.5", ",-0.25", ",3", ",1e10", ",inf", ",-inf"});
  ReplyParser p;
  p.Feed(",inf\r\n,-inf\r\n,nan\r\n,1e400\r\n,-1.5e-3\r\n");
  ReplyValue v;
  REQUIRE(p.Next(&v) == Result::kReply);
  CHECK(v.dbl == std::numeric_limits<double>::infinity());
  REQUIRE(p.Next(&v) == Result::kReply);
  CHECK(v.dbl == -std::numeric_limits<double>::infinity());
  REQUIRE(p.Next(&v) == Result::kReply);
  CHECK(std::isnan(v.dbl));
  REQUIRE(p.Next(&v) == Result::kReply);
  CHECK(v.dbl == std::numeric_limits<double>::infinity());  // out of range rounds
  REQUIRE(p.Next(&v) == Result::kReply);
  CHECK(v.dbl == -1.5e-3);
  CHECK(Replies("#t\r\n#f\r\n") == Dumps{"#t", "#f"});
  CHECK(Replies("(3492890328409238509324850943850943825024385\r\n(-12\r\n") ==
        Dumps{"(3492890328409238509324850943850943825024385", "(-12"});
  CHECK(Replies("!21\r\nSYNTAX invalid syntax\r\n") == Dumps{"-SYNTAX invalid syntax"});
  CHECK(Replies("!0\r\n\r\n") == Dumps{"-"});
  CHECK(Replies("=15\r\ntxt:Some string\r\n=4\r\ntxt:\r\n") == Dumps{"=txt:Some string", "=txt:"});
  // The verbatim text is binary like a bulk.
  CHECK(Replies("=8\r\ntxt:a\r\nb\r\n") == Dumps{"=txt:a\r\nb"});
}

TEST_CASE("RESP3 maps, sets, pushes") {
  CHECK(Replies("%2\r\n+first\r\n:1\r\n+second\r\n:2\r\n") == Dumps{"{+first: :1, +second: :2}"});
  CHECK(Replies("%0\r\n~0\r\n>0\r\n") == Dumps{"{}", "~[]", ">[]"});
  CHECK(Replies("~3\r\n+a\r\n:1\r\n#f\r\n") == Dumps{"~[+a, :1, #f]"});
  CHECK(Replies(">3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$2\r\nhi\r\n") ==
        Dumps{">[$message, $ch, $hi]"});
  // Aggregates as map keys and values.
  CHECK(Replies("%2\r\n*2\r\n:1\r\n:2\r\n%1\r\n_\r\n~1\r\n,0.5\r\n+k\r\n>1\r\n#t\r\n") ==
        Dumps{"{[:1, :2]: {_: ~[,0.5]}, +k: >[#t]}"});
  ReplyParser p;
  p.Feed("%2\r\n+a\r\n:1\r\n+b\r\n:2\r\n");
  ReplyValue v;
  REQUIRE(p.Next(&v) == Result::kReply);
  CHECK((v.is_map() && v.is_aggregate() && v.map_size() == 2 && v.elements.size() == 4));
}

TEST_CASE("attributes are skipped, at the top and inside aggregates") {
  CHECK(Replies("|1\r\n+key-popularity\r\n%2\r\n$1\r\na\r\n,0.1923\r\n$1\r\nb\r\n,0.0012\r\n"
                "*2\r\n:2039123\r\n:9543892\r\n") == Dumps{"[:2039123, :9543892]"});
  CHECK(Replies("*3\r\n:1\r\n|1\r\n+ttl\r\n:3600\r\n:2\r\n:3\r\n") == Dumps{"[:1, :2, :3]"});
  // The element an attribute precedes may be the one that completes the aggregate.
  CHECK(Replies("*1\r\n|1\r\n+a\r\n+b\r\n%1\r\n+k\r\n|0\r\n+v\r\n") == Dumps{"[{+k: +v}]"});
  // Attributes inside attributes, and an aggregate as an attribute key.
  CHECK(Replies("|0\r\n|1\r\n|1\r\n+x\r\n+y\r\n*1\r\n:1\r\n:5\r\n:6\r\n") == Dumps{":6"});
  // An attribute alone is not a reply: its bytes wait for the reply it belongs to.
  Outcome o = Parse("+OK\r\n|1\r\n+a\r\n+b\r\n");
  CHECK(o.replies == Dumps{"+OK"});
  CHECK(o.error == "");
  CHECK(o.buffered == 12);
}

TEST_CASE("pipelined replies in one feed") {
  std::string in;
  Dumps expected;
  for (int i = 0; i < 50; ++i) {
    in += "+OK\r\n:" + std::to_string(i) + "\r\n$3\r\nabc\r\n*1\r\n_\r\n";
    expected.insert(expected.end(), {"+OK", ":" + std::to_string(i), "$abc", "[_]"});
  }
  CHECK(Replies(in) == expected);
}

TEST_CASE("buffered() counts the bytes of the reply being assembled") {
  ReplyParser p;
  ReplyValue v;
  CHECK(p.buffered() == 0);
  p.Feed("+OK\r\n*2\r\n:1");
  REQUIRE(p.Next(&v) == Result::kReply);
  CHECK(p.buffered() == 6);
  CHECK(p.Next(&v) == Result::kNeedMore);
  CHECK(p.buffered() == 6);
  p.Feed("\r\n$3\r\nab");
  CHECK(p.Next(&v) == Result::kNeedMore);
  CHECK(p.buffered() == 14);
  p.Feed("c\r\n+");
  REQUIRE(p.Next(&v) == Result::kReply);
  CHECK(Dump(v) == "[:1, $abc]");
  CHECK(p.buffered() == 1);
}

TEST_CASE("big bulks") {
  for (size_t n : {4095, 4096, 65536, 1 << 20}) {
    std::string payload(n, 'x');
    for (size_t i = 0; i < n; i += 4099) payload[i] = static_cast<char>('a' + i % 26);
    payload[n / 2] = '\r';
    payload[n / 2 + 1] = '\n';
    std::string in = "$" + std::to_string(n) + "\r\n" + payload + "\r\n:1\r\n";
    CHECK(Replies(in) == Dumps{"$" + payload, ":1"});
  }
}

TEST_CASE("a huge bulk in many small feeds") {
  // Every piece wakes the parser; if it rescanned the buffered payload each time this
  // would never finish.
  const size_t n = 8 << 20;
  std::string payload(n, 'y');
  std::string in = "*2\r\n$" + std::to_string(n) + "\r\n" + payload + "\r\n+end\r\n";
  ReplyParser p;
  ReplyValue v;
  size_t replies = 0;
  for (size_t at = 0; at < in.size(); at += 7) {
    p.Feed(std::string_view(in).substr(at, 7));
    Result r = p.Next(&v);
    REQUIRE(r != Result::kError);
    if (r == Result::kReply) ++replies;
  }
  REQUIRE(replies == 1);
  REQUIRE(v.elements.size() == 2);
  CHECK(v.elements[0].str == payload);
  CHECK(v.elements[1].str == "end");
  CHECK(p.buffered() == 0);
}

TEST_CASE("deep nesting: within the limit, beyond it, and no recursion when parsing") {
  std::string nest;
  for (int i = 0; i < 128; ++i) nest += "*1\r\n";
  CHECK(Replies(nest + ":1\r\n").size() == 1);
  CHECK(Replies(nest + "*0\r\n", Limits{.max_depth = 129}).size() == 1);
  CHECK(ErrorOf(nest + "*0\r\n") == "Protocol error: aggregates nested deeper than 128");
  CHECK(ErrorOf(nest + "%1\r\n") == "Protocol error: aggregates nested deeper than 128");
  CHECK(ErrorOf("*1\r\n|1\r\n", Limits{.max_depth = 1}) ==
        "Protocol error: aggregates nested deeper than 1");
  CHECK(ErrorOf("*0\r\n", Limits{.max_depth = 0}) ==
        "Protocol error: aggregates nested deeper than 0");

  // Parsing is iterative: a deep value in a parser allowed to build one.
  const int depth = 20000;
  std::string deep;
  for (int i = 0; i < depth; ++i) deep += i % 2 ? "*1\r\n" : "~1\r\n";
  deep += "$4\r\nleaf\r\n";
  ReplyParser p(Limits{.max_depth = depth});
  p.Feed(deep);
  ReplyValue v;
  REQUIRE(p.Next(&v) == Result::kReply);
  const ReplyValue* at = &v;
  int levels = 0;
  while (at->is_aggregate()) {
    REQUIRE(at->elements.size() == 1);
    at = &at->elements[0];
    ++levels;
  }
  CHECK(levels == depth);
  CHECK(Dump(*at) == "$leaf");
  // Taken apart from the leaves up, so destroying it does not recurse 20000 deep either.
  std::vector<ReplyValue> chain;
  chain.push_back(std::move(v));
  while (!chain.back().elements.empty()) {
    ReplyValue inner = std::move(chain.back().elements[0]);
    chain.back().elements.clear();
    chain.push_back(std::move(inner));
  }
}

TEST_CASE("what ReplyWriter writes parses back, RESP2 and RESP3") {
  auto all = [](ReplyWriter& w) {
    w.Ok();
    w.Error("ERR bad\r\nthing");
    w.Integer(std::numeric_limits<int64_t>::min());
    w.Bulk("bin\0ary\r\n"s);
    w.Bulk(std::string(5000, 'z'));
    w.Null();
    w.NullArray();
    w.ArrayHeader(0);
    w.MapHeader(2);
    w.Bulk("k1");
    w.Double(1.5);
    w.Bulk("k2");
    w.SetHeader(2);
    w.Bool(true);
    w.Bool(false);
    w.PushHeader(3);
    w.Bulk("message");
    w.Bulk("chan");
    w.BigNumber("123456789012345678901234567890");
    w.Verbatim("line1\nline2", "txt");
    w.AttributeHeader(1);
    w.Simple("ttl");
    w.Integer(10);
    w.Simple("after attribute");
    w.Double(-std::numeric_limits<double>::infinity());
    w.Double(0.1);
    w.BulkArray(std::vector<std::string>{"a", "", "c"});
  };
  const std::string z(5000, 'z');
  CHECK(Replies(Written(3, all)) ==
        Dumps{"+OK", "-ERR bad  thing", ":-9223372036854775808", "$bin\0ary\r\n"s, "$" + z, "_",
              "_", "[]", "{$k1: ,1.5, $k2: ~[#t, #f]}",
              ">[$message, $chan, (123456789012345678901234567890]", "=txt:line1\nline2",
              "+after attribute", ",-inf", ",0.10000000000000001", "[$a, $, $c]"});
  // RESP2 has no attribute: the writer leaves out the header, the caller its pairs.
  auto resp2 = [&](ReplyWriter& w) {
    w.Ok();
    w.Error("ERR bad\r\nthing");
    w.Integer(std::numeric_limits<int64_t>::min());
    w.Bulk("bin\0ary\r\n"s);
    w.Bulk(std::string(5000, 'z'));
    w.Null();
    w.NullArray();
    w.ArrayHeader(0);
    w.MapHeader(2);
    w.Bulk("k1");
    w.Double(1.5);
    w.Bulk("k2");
    w.SetHeader(2);
    w.Bool(true);
    w.Bool(false);
    w.PushHeader(3);
    w.Bulk("message");
    w.Bulk("chan");
    w.BigNumber("123456789012345678901234567890");
    w.Verbatim("line1\nline2", "txt");
    w.Simple("after attribute");
    w.Double(-std::numeric_limits<double>::infinity());
    w.Double(0.1);
    w.BulkArray(std::vector<std::string>{"a", "", "c"});
  };
  CHECK(Replies(Written(2, resp2)) ==
        Dumps{"+OK", "-ERR bad  thing", ":-9223372036854775808", "$bin\0ary\r\n"s, "$" + z, "_",
              "_", "[]", "[$k1, $1.5, $k2, [:1, :0]]",
              "[$message, $chan, $123456789012345678901234567890]", "$line1\nline2",
              "+after attribute", "$-inf", "$0.10000000000000001", "[$a, $, $c]"});
}

TEST_CASE("writer doubles come back as the same double") {
  for (double d :
       {0.0, -0.0, 1.0, -2.5, 0.1, 1e-300, 1.7976931348623157e308, 3.14159265358979,
        std::numeric_limits<double>::denorm_min(), std::numeric_limits<double>::infinity()}) {
    ReplyParser p;
    p.Feed(Written(3, [d](ReplyWriter& w) { w.Double(d); }));
    ReplyValue v;
    REQUIRE(p.Next(&v) == Result::kReply);
    CHECK(v.is_double());
    CHECK(v.dbl == d);
    CHECK(std::signbit(v.dbl) == std::signbit(d));
  }
}

TEST_CASE("malformed input") {
  // Type bytes.
  CHECK(ErrorOf("@\r\n") == "Protocol error: unknown reply type byte '@'");
  CHECK(ErrorOf("\r\n") == "Protocol error: unknown reply type byte \\x0d");
  CHECK(ErrorOf("+OK\r\n\x00"s) == "Protocol error: unknown reply type byte \\x00");
  CHECK(ErrorOf("*2\r\n:1\r\nhello\r\n") == "Protocol error: unknown reply type byte 'h'");
  CHECK(ErrorOf("$3\r\nabc\r\n;2\r\n") == "Protocol error: unknown reply type byte ';'");
  // Line framing.
  CHECK(ErrorOf("+OK\n") == "Protocol error: line not terminated by CRLF");
  CHECK(ErrorOf("+\n") == "Protocol error: line not terminated by CRLF");
  CHECK(ErrorOf(":1\n\r") == "Protocol error: line not terminated by CRLF");
  CHECK(ErrorOf("+O\rK\r\n") == "Protocol error: CR inside a line");
  CHECK(ErrorOf("-ERR\r\r\n") == "Protocol error: CR inside a line");
  // Numbers and fixed forms.
  for (const char* bad :
       {":\r\n", ":12a\r\n", ":1 \r\n", ": 1\r\n", ":--1\r\n", ":+-1\r\n", ":+\r\n", ":0x10\r\n",
        ":9223372036854775808\r\n", ":-9223372036854775809\r\n"}) {
    INFO(bad);
    CHECK(ErrorOf(bad) == "Protocol error: invalid integer");
  }
  for (const char* bad : {",\r\n", ",abc\r\n", ",1.5x\r\n", ",+-1\r\n", ", 1\r\n", ",0x1p3\r\n"}) {
    INFO(bad);
    CHECK(ErrorOf(bad) == "Protocol error: invalid double");
  }
  CHECK(ErrorOf("#x\r\n") == "Protocol error: invalid boolean");
  CHECK(ErrorOf("#\r\n") == "Protocol error: invalid boolean");
  CHECK(ErrorOf("#tt\r\n") == "Protocol error: invalid boolean");
  CHECK(ErrorOf("_x\r\n") == "Protocol error: invalid null");
  CHECK(ErrorOf("(\r\n") == "Protocol error: invalid big number");
  CHECK(ErrorOf("(-\r\n") == "Protocol error: invalid big number");
  CHECK(ErrorOf("(12a\r\n") == "Protocol error: invalid big number");
  // Bulk lengths and payloads.
  for (const char* bad : {"$\r\n", "$abc\r\n", "$-2\r\n", "$?\r\n", "$1.5\r\n", "$+1\r\n",
                          "!-1\r\n", "=-1\r\n", "$99999999999999999999\r\n"}) {
    INFO(bad);
    CHECK(ErrorOf(bad) == "Protocol error: invalid bulk length");
  }
  CHECK(ErrorOf("$3\r\nabcd\r\n") == "Protocol error: bulk payload not terminated by CRLF");
  CHECK(ErrorOf("$3\r\nab\r\n\r\n") == "Protocol error: bulk payload not terminated by CRLF");
  CHECK(ErrorOf("$0\r\nx\r\n") == "Protocol error: bulk payload not terminated by CRLF");
  CHECK(ErrorOf("=3\r\ntxt\r\n") == "Protocol error: invalid verbatim string");
  CHECK(ErrorOf("=5\r\ntxtab\r\n") == "Protocol error: invalid verbatim string");
  // Aggregate lengths.
  CHECK(ErrorOf("*-2\r\n") == "Protocol error: invalid array length");
  CHECK(ErrorOf("*\r\n") == "Protocol error: invalid array length");
  CHECK(ErrorOf("*?\r\n") == "Protocol error: invalid array length");
  CHECK(ErrorOf("%-1\r\n") == "Protocol error: invalid map length");
  CHECK(ErrorOf("~x\r\n") == "Protocol error: invalid set length");
  CHECK(ErrorOf(">-1\r\n") == "Protocol error: invalid push length");
  CHECK(ErrorOf("|-1\r\n") == "Protocol error: invalid attribute length");
  // An error ends the stream; what was complete before it was still returned.
  Outcome o = Parse("+OK\r\n*2\r\n:1\r\n@\r\n+later\r\n");
  CHECK(o.replies == Dumps{"+OK"});
  CHECK(o.error == "Protocol error: unknown reply type byte '@'");
}

TEST_CASE("limits") {
  CHECK(Replies("$4\r\nabcd\r\n", Limits{.max_bulk = 4}) == Dumps{"$abcd"});
  CHECK(ErrorOf("$5\r\nabcde\r\n", Limits{.max_bulk = 4}) ==
        "Protocol error: bulk length 5 exceeds the limit of 4");
  CHECK(ErrorOf("!5\r\n", Limits{.max_bulk = 4}) ==
        "Protocol error: bulk length 5 exceeds the limit of 4");
  CHECK(ErrorOf("=9\r\n", Limits{.max_bulk = 4}) ==
        "Protocol error: bulk length 9 exceeds the limit of 4");
  // The default is Redis's proto-max-bulk-len.
  CHECK(ErrorOf("$536870913\r\n") ==
        "Protocol error: bulk length 536870913 exceeds the limit "
        "of 536870912");

  CHECK(Replies("*2\r\n:1\r\n:2\r\n%2\r\n:1\r\n:2\r\n:3\r\n:4\r\n", Limits{.max_elements = 2}) ==
        Dumps{"[:1, :2]", "{:1: :2, :3: :4}"});
  CHECK(ErrorOf("*3\r\n", Limits{.max_elements = 2}) ==
        "Protocol error: array length 3 exceeds the limit of 2");
  CHECK(ErrorOf("%3\r\n", Limits{.max_elements = 2}) ==
        "Protocol error: map length 3 exceeds the limit of 2");
  CHECK(ErrorOf("*4294967296\r\n") ==
        "Protocol error: array length 4294967296 exceeds the limit of 4294967295");

  CHECK(Replies("+abc\r\n-def\r\n:123\r\n$10\r\n0123456789\r\n", Limits{.max_line = 3}) ==
        Dumps{"+abc", "-def", ":123", "$0123456789"});
  CHECK(ErrorOf("+abcd\r\n", Limits{.max_line = 3}) == "Protocol error: too big line");
  CHECK(ErrorOf("+abcde", Limits{.max_line = 3}) == "Protocol error: too big line");
  CHECK(ErrorOf("+abcde\n", Limits{.max_line = 3}) == "Protocol error: too big line");
  CHECK(ErrorOf("$1234\r\n", Limits{.max_line = 3}) == "Protocol error: too big line");
  // No limit at all is not an overflow.
  constexpr size_t kNoLimit = std::numeric_limits<size_t>::max();
  CHECK(Replies("+abc\r\n$3\r\nabc\r\n*1\r\n:1\r\n",
                Limits{.max_bulk = kNoLimit, .max_elements = kNoLimit, .max_line = kNoLimit}) ==
        Dumps{"+abc", "$abc", "[:1]"});
  // Up to the limit plus a CR could still be a good line.
  Outcome o = Parse("+abc\r", Limits{.max_line = 3});
  CHECK(o.error == "");
  CHECK(o.buffered == 5);
}

TEST_CASE("incomplete input waits") {
  for (const char* partial :
       {"+OK", "+OK\r", "$5\r\nhel", "$5\r\nhello", "$5\r\nhello\r", "*2\r\n:1\r\n", "%1\r\n+k\r\n",
        "|1\r\n+a\r\n+b\r\n", "=4\r\ntxt", ":"}) {
    INFO(partial);
    Outcome o = Parse(partial);
    CHECK(o.replies.empty());
    CHECK(o.error == "");
    CHECK(o.buffered == std::string_view(partial).size());
  }
}

TEST_CASE("DescribeType") {
  CHECK(DescribeType(Type::kBulk) == "bulk string");
  CHECK(DescribeType(Type::kMap) == "map");
  CHECK(DescribeType(Type::kAttribute) == "attribute");
}

}  // namespace
}  // namespace pykv::resp
