#include "resp/reply_writer.h"

#include <doctest/doctest.h>

#include <array>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

namespace pykv::resp {
namespace {

using namespace std::string_literals;

// Runs fn against a writer in the given protocol and returns the bytes written.
template <typename Fn>
std::string Out(int protocol, Fn fn) {
  OutBuffer buf;
  ReplyWriter w(&buf);
  w.set_protocol(protocol);
  fn(w);
  return buf.ToString();
}

template <typename Fn>
void Both(Fn fn, const std::string& resp2, const std::string& resp3) {
  CHECK(Out(2, fn) == resp2);
  CHECK(Out(3, fn) == resp3);
}

TEST_CASE("protocol switch") {
  ReplyWriter w;
  CHECK(w.protocol() == 2);
  w.set_protocol(3);
  CHECK(w.protocol() == 3);
  w.set_protocol(2);
  CHECK(w.protocol() == 2);
}

TEST_CASE("simple strings, OK") {
  Both([](ReplyWriter& w) { w.Simple("PONG"); }, "+PONG\r\n", "+PONG\r\n");
  Both([](ReplyWriter& w) { w.Ok(); }, "+OK\r\n", "+OK\r\n");
  Both([](ReplyWriter& w) { w.Simple(""); }, "+\r\n", "+\r\n");
}

TEST_CASE("errors: dash added once, CR and LF become spaces") {
  Both([](ReplyWriter& w) { w.Error("ERR syntax error"); }, "-ERR syntax error\r\n",
       "-ERR syntax error\r\n");
  Both([](ReplyWriter& w) { w.Error("-WRONGTYPE x"); }, "-WRONGTYPE x\r\n", "-WRONGTYPE x\r\n");
  Both([](ReplyWriter& w) { w.Error("ERR a\r\nb\nc\rd"); }, "-ERR a  b c d\r\n",
       "-ERR a  b c d\r\n");
  Both([](ReplyWriter& w) { w.Error("Protocol error: expected '$', got '\r'"); },
       "-Protocol error: expected '$', got ' '\r\n", "-Protocol error: expected '$', got ' '\r\n");
  Both([](ReplyWriter& w) { w.Error(""); }, "-\r\n", "-\r\n");
}

TEST_CASE("integers, including the extremes") {
  Both([](ReplyWriter& w) { w.Integer(0); }, ":0\r\n", ":0\r\n");
  Both([](ReplyWriter& w) { w.Integer(-1); }, ":-1\r\n", ":-1\r\n");
  Both([](ReplyWriter& w) { w.Integer(1234567890); }, ":1234567890\r\n", ":1234567890\r\n");
  Both([](ReplyWriter& w) { w.Integer(std::numeric_limits<int64_t>::max()); },
       ":9223372036854775807\r\n", ":9223372036854775807\r\n");
  Both([](ReplyWriter& w) { w.Integer(std::numeric_limits<int64_t>::min()); },
       ":-9223372036854775808\r\n", ":-9223372036854775808\r\n");
  // Every power of ten and its neighbours, against the standard library.
  int64_t v = 1;
  for (int i = 0; i < 19; ++i) {
    for (int64_t x : {v - 1, v, v + 1, -v}) {
      CHECK(Out(2, [x](ReplyWriter& w) { w.Integer(x); }) == ":" + std::to_string(x) + "\r\n");
    }
    if (i < 18) v *= 10;  // 10^18 is the last power of ten an int64 holds
  }
}

TEST_CASE("bulk strings of every size class") {
  Both([](ReplyWriter& w) { w.Bulk("hello"); }, "$5\r\nhello\r\n", "$5\r\nhello\r\n");
  Both([](ReplyWriter& w) { w.Bulk(""); }, "$0\r\n\r\n", "$0\r\n\r\n");
  Both([](ReplyWriter& w) { w.Bulk("a\r\n\0b"s); }, "$5\r\na\r\n\0b\r\n"s, "$5\r\na\r\n\0b\r\n"s);
  for (size_t n : {4095, 4096, 4097, 16 * 1024 - 30, 16 * 1024, 100000, 1 << 20}) {
    std::string v(n, 'x');
    std::string expected = "$" + std::to_string(n) + "\r\n" + v + "\r\n";
    // Also after something already in the tail chunk, to cross chunk boundaries.
    CHECK(Out(2, [&](ReplyWriter& w) { w.Bulk(v); }) == expected);
    CHECK(Out(3, [&](ReplyWriter& w) {
            w.Simple("x");
            w.Bulk(v);
          }) == "+x\r\n" + expected);
  }
}

TEST_CASE("nulls") {
  Both([](ReplyWriter& w) { w.Null(); }, "$-1\r\n", "_\r\n");
  Both([](ReplyWriter& w) { w.NullArray(); }, "*-1\r\n", "_\r\n");
}

TEST_CASE("aggregate headers") {
  Both([](ReplyWriter& w) { w.ArrayHeader(3); }, "*3\r\n", "*3\r\n");
  Both([](ReplyWriter& w) { w.ArrayHeader(0); }, "*0\r\n", "*0\r\n");
  Both([](ReplyWriter& w) { w.MapHeader(2); }, "*4\r\n", "%2\r\n");
  Both([](ReplyWriter& w) { w.MapHeader(0); }, "*0\r\n", "%0\r\n");
  Both([](ReplyWriter& w) { w.SetHeader(5); }, "*5\r\n", "~5\r\n");
  Both([](ReplyWriter& w) { w.PushHeader(3); }, "*3\r\n", ">3\r\n");
  Both([](ReplyWriter& w) { w.AttributeHeader(1); }, "", "|1\r\n");
}

TEST_CASE("doubles: %.17g, inf spelled out, RESP2 as a bulk string") {
  Both([](ReplyWriter& w) { w.Double(1.5); }, "$3\r\n1.5\r\n", ",1.5\r\n");
  Both([](ReplyWriter& w) { w.Double(3); }, "$1\r\n3\r\n", ",3\r\n");
  Both([](ReplyWriter& w) { w.Double(0.1); }, "$19\r\n0.10000000000000001\r\n",
       ",0.10000000000000001\r\n");
  Both([](ReplyWriter& w) { w.Double(-2.5e-300); }, "$9\r\n-2.5e-300\r\n", ",-2.5e-300\r\n");
  Both([](ReplyWriter& w) { w.Double(1e300); }, "$23\r\n1.0000000000000001e+300\r\n",
       ",1.0000000000000001e+300\r\n");
  Both([](ReplyWriter& w) { w.Double(std::numeric_limits<double>::infinity()); }, "$3\r\ninf\r\n",
       ",inf\r\n");
  Both([](ReplyWriter& w) { w.Double(-std::numeric_limits<double>::infinity()); }, "$4\r\n-inf\r\n",
       ",-inf\r\n");
  Both([](ReplyWriter& w) { w.Double(-0.0); }, "$2\r\n-0\r\n", ",-0\r\n");
  Both([](ReplyWriter& w) { w.Double(-std::numeric_limits<double>::max()); },
       "$24\r\n-1.7976931348623157e+308\r\n", ",-1.7976931348623157e+308\r\n");
  Both([](ReplyWriter& w) { w.Double(std::numeric_limits<double>::denorm_min()); },
       "$23\r\n4.9406564584124654e-324\r\n", ",4.9406564584124654e-324\r\n");
}

TEST_CASE("booleans") {
  Both([](ReplyWriter& w) { w.Bool(true); }, ":1\r\n", "#t\r\n");
  Both([](ReplyWriter& w) { w.Bool(false); }, ":0\r\n", "#f\r\n");
}

TEST_CASE("verbatim strings") {
  Both([](ReplyWriter& w) { w.Verbatim("hello"); }, "$5\r\nhello\r\n", "=9\r\ntxt:hello\r\n");
  Both([](ReplyWriter& w) { w.Verbatim("# Server\r\nx:1\r\n", "txt"); },
       "$15\r\n# Server\r\nx:1\r\n\r\n", "=19\r\ntxt:# Server\r\nx:1\r\n\r\n");
  Both([](ReplyWriter& w) { w.Verbatim("", "mkd"); }, "$0\r\n\r\n", "=4\r\nmkd:\r\n");
}

TEST_CASE("big numbers") {
  Both([](ReplyWriter& w) { w.BigNumber("3492890328409238509324850943850943825024385"); },
       "$43\r\n3492890328409238509324850943850943825024385\r\n",
       "(3492890328409238509324850943850943825024385\r\n");
}

TEST_CASE("raw bytes pass through") {
  Both([](ReplyWriter& w) { w.Raw("+already encoded\r\n"); }, "+already encoded\r\n",
       "+already encoded\r\n");
}

TEST_CASE("bulk arrays from any range") {
  std::vector<std::string> v = {"a", "bc"};
  Both([&](ReplyWriter& w) { w.BulkArray(v); }, "*2\r\n$1\r\na\r\n$2\r\nbc\r\n",
       "*2\r\n$1\r\na\r\n$2\r\nbc\r\n");
  std::array<std::string_view, 0> none{};
  Both([&](ReplyWriter& w) { w.BulkArray(none); }, "*0\r\n", "*0\r\n");
}

TEST_CASE("a nested reply in sequence") {
  Both(
      [](ReplyWriter& w) {
        w.MapHeader(2);
        w.Bulk("server");
        w.Bulk("pykv");
        w.Bulk("proto");
        w.Integer(3);
      },
      "*4\r\n$6\r\nserver\r\n$4\r\npykv\r\n$5\r\nproto\r\n:3\r\n",
      "%2\r\n$6\r\nserver\r\n$4\r\npykv\r\n$5\r\nproto\r\n:3\r\n");
}

TEST_CASE("without an output buffer every method is a no-op") {
  for (int proto : {2, 3}) {
    ReplyWriter w;
    w.set_protocol(proto);
    CHECK(w.output() == nullptr);
    w.Simple("x");
    w.Ok();
    w.Error("ERR x");
    w.Integer(5);
    w.Bulk("x");
    w.Bulk(std::string(100000, 'x'));
    w.Null();
    w.NullArray();
    w.ArrayHeader(1);
    w.MapHeader(1);
    w.SetHeader(1);
    w.PushHeader(1);
    w.Double(1.5);
    w.Bool(true);
    w.Verbatim("x");
    w.BigNumber("1");
    w.AttributeHeader(1);
    w.Raw("x");
    w.BulkArray(std::vector<std::string>{"a"});
  }
  // Output can be attached and detached at will (CLIENT REPLY OFF/ON).
  OutBuffer buf;
  ReplyWriter w;
  w.set_output(&buf);
  w.Ok();
  w.set_output(nullptr);
  w.Ok();
  CHECK(buf.ToString() == "+OK\r\n");
}

TEST_CASE("many small replies stay in few chunks") {
  OutBuffer buf;
  ReplyWriter w(&buf);
  std::string expected;
  for (int i = 0; i < 10000; ++i) {
    w.Integer(i);
    w.Bulk("v");
    expected += ":" + std::to_string(i) + "\r\n$1\r\nv\r\n";
  }
  CHECK(buf.ToString() == expected);
  CHECK(buf.MemoryUsage() < expected.size() + 2 * OutBuffer::kChunkSize);
}

}  // namespace
}  // namespace pykv::resp
