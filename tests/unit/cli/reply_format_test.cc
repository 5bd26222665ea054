// FormatReply: redis-cli's human and raw formats for every reply type, including the RESP3
// ones no PyKV command sends today (they come from Redis servers and future commands).
#include "cli/reply_format.h"

#include <doctest/doctest.h>

#include <string>
#include <vector>

namespace pykv::cli {
namespace {

using resp::ReplyValue;
using Type = ReplyValue::Type;

ReplyValue Str(Type type, std::string s) {
  ReplyValue v;
  v.type = type;
  v.str = std::move(s);
  return v;
}
ReplyValue Bulk(std::string s) {
  return Str(Type::kBulk, std::move(s));
}
ReplyValue Int(int64_t n) {
  ReplyValue v;
  v.type = Type::kInteger;
  v.integer = n;
  return v;
}
ReplyValue Agg(Type type, std::vector<ReplyValue> elements) {
  ReplyValue v;
  v.type = type;
  v.elements = std::move(elements);
  return v;
}

std::string Human(const ReplyValue& v) {
  return FormatReply(v, OutputMode::kHuman);
}
std::string Raw(const ReplyValue& v) {
  return FormatReply(v, OutputMode::kRaw);
}

TEST_CASE("scalars") {
  CHECK(Human(Str(Type::kSimple, "OK")) == "OK\n");
  CHECK(Raw(Str(Type::kSimple, "OK")) == "OK\n");
  CHECK(Human(Bulk("hello")) == "\"hello\"\n");
  CHECK(Human(Bulk(std::string("a\"\\\n\x01\xff", 6))) == "\"a\\\"\\\\\\n\\x01\\xff\"\n");
  CHECK(Raw(Bulk("two\nlines")) == "two\nlines\n");
  CHECK(Human(ReplyValue{}) == "(nil)\n");
  CHECK(Raw(ReplyValue{}) == "\n");
  CHECK(Human(Int(-3)) == "(integer) -3\n");
  CHECK(Raw(Int(-3)) == "-3\n");
  CHECK(Human(Str(Type::kError, "ERR nope")) == "(error) ERR nope\n");
  CHECK(Raw(Str(Type::kError, "ERR nope")) == "ERR nope\n\n");
  CHECK(Human(Str(Type::kDouble, "1.5")) == "(double) 1.5\n");
  CHECK(Raw(Str(Type::kDouble, "inf")) == "inf\n");
  CHECK(Human(Str(Type::kBigNumber, "123456789012345678901234567890")) ==
        "(big number) 123456789012345678901234567890\n");
  ReplyValue yes;
  yes.type = Type::kBool;
  yes.integer = 1;
  ReplyValue no = yes;
  no.integer = 0;
  CHECK(Human(yes) == "(true)\n");
  CHECK(Human(no) == "(false)\n");
  ReplyValue verbatim = Str(Type::kVerbatim, "# Server\r\nx:1\r\n");
  verbatim.format = "txt";
  CHECK(Human(verbatim) == "# Server\r\nx:1\r\n\n");
  CHECK(FormatReply(verbatim, OutputMode::kText) == "# Server\r\nx:1\r\n");
}

TEST_CASE("empty aggregates name their type") {
  CHECK(Human(Agg(Type::kArray, {})) == "(empty array)\n");
  CHECK(Human(Agg(Type::kMap, {})) == "(empty hash)\n");
  CHECK(Human(Agg(Type::kSet, {})) == "(empty set)\n");
  CHECK(Human(Agg(Type::kPush, {})) == "(empty push)\n");
  CHECK(Raw(Agg(Type::kArray, {})) == "\n");
}

TEST_CASE("arrays are numbered, nested ones indented, numbers right-aligned") {
  std::vector<ReplyValue> ten;
  for (int i = 0; i < 10; ++i) ten.push_back(Bulk(std::to_string(i)));
  std::string expect;
  for (int i = 0; i < 10; ++i) {
    expect += (i < 9 ? " " : "") + std::to_string(i + 1) + ") \"" + std::to_string(i) + "\"\n";
  }
  CHECK(Human(Agg(Type::kArray, ten)) == expect);

  ReplyValue nested =
      Agg(Type::kArray, {Int(1), Agg(Type::kArray, {Int(2), Agg(Type::kArray, {Int(3)})}),
                         Agg(Type::kArray, {}), Bulk("x")});
  CHECK(Human(nested) ==
        "1) (integer) 1\n"
        "2) 1) (integer) 2\n"
        "   2) 1) (integer) 3\n"
        "3) (empty array)\n"
        "4) \"x\"\n");
  CHECK(Raw(nested) == "1\n2\n3\n\nx\n");
}

TEST_CASE("maps use # and =>, sets ~; a nested aggregate value starts on its own line") {
  ReplyValue map =
      Agg(Type::kMap, {Bulk("name"), Bulk("key"), Bulk("flags"),
                       Agg(Type::kSet, {Str(Type::kSimple, "a"), Str(Type::kSimple, "b")}),
                       Bulk("none"), Agg(Type::kArray, {})});
  CHECK(Human(map) ==
        "1# \"name\" => \"key\"\n"
        "2# \"flags\" => \n"
        "   1~ a\n"
        "   2~ b\n"
        "3# \"none\" => (empty array)\n");
  CHECK(Raw(map) == "name key\nflags a\nb\nnone \n");
  ReplyValue push = Agg(Type::kPush, {Bulk("message"), Bulk("ch"), Bulk("hi")});
  CHECK(Human(push) == "1) \"message\"\n2) \"ch\"\n3) \"hi\"\n");
}

TEST_CASE("commands whose reply is text are printed as text") {
  using V = std::vector<std::string>;
  CHECK(RepliesWithText(V{"INFO"}));
  CHECK(RepliesWithText(V{"info", "server"}));
  CHECK(RepliesWithText(V{"client", "LIST"}));
  CHECK(RepliesWithText(V{"CLIENT", "info"}));
  CHECK(RepliesWithText(V{"latency", "doctor"}));
  CHECK_FALSE(RepliesWithText(V{"client", "id"}));
  CHECK_FALSE(RepliesWithText(V{"get", "info"}));
  CHECK_FALSE(RepliesWithText(V{}));
}

}  // namespace
}  // namespace pykv::cli
