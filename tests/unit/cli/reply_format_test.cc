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

std::string Human(const ReplyValue& v) {
  return FormatReply(v, OutputMode::kHuman);
}
std::string Raw(const ReplyValue& v) {
  return FormatReply(v, OutputMode::kRaw);
}

TEST_CASE("scalars") {
  CHECK(Human(ReplyValue::Of(Type::kSimple, "OK")) == "OK\n");
  CHECK(Raw(ReplyValue::Of(Type::kSimple, "OK")) == "OK\n");
  CHECK(Human(ReplyValue::Bulk("hello")) == "\"hello\"\n");
  CHECK(Human(ReplyValue::Bulk(std::string("a\"\\\n\x01\xff", 6))) ==
        "\"a\\\"\\\\\\n\\x01\\xff\"\n");
  CHECK(Raw(ReplyValue::Bulk("two\nlines")) == "two\nlines\n");
  CHECK(Human(ReplyValue{}) == "(nil)\n");
  CHECK(Raw(ReplyValue{}) == "\n");
  CHECK(Human(ReplyValue::Integer(-3)) == "(integer) -3\n");
  CHECK(Raw(ReplyValue::Integer(-3)) == "-3\n");
  CHECK(Human(ReplyValue::Of(Type::kError, "ERR nope")) == "(error) ERR nope\n");
  CHECK(Raw(ReplyValue::Of(Type::kError, "ERR nope")) == "ERR nope\n\n");
  CHECK(Human(ReplyValue::Of(Type::kDouble, "1.5")) == "(double) 1.5\n");
  CHECK(Raw(ReplyValue::Of(Type::kDouble, "inf")) == "inf\n");
  CHECK(Human(ReplyValue::Of(Type::kBigNumber, "123456789012345678901234567890")) ==
        "(big number) 123456789012345678901234567890\n");
  ReplyValue yes;
  yes.type = Type::kBool;
  yes.integer = 1;
  ReplyValue no = yes;
  no.integer = 0;
  CHECK(Human(yes) == "(true)\n");
  CHECK(Human(no) == "(false)\n");
  ReplyValue verbatim = ReplyValue::Of(Type::kVerbatim, "# Server\r\nx:1\r\n");
  verbatim.format = "txt";
  CHECK(Human(verbatim) == "# Server\r\nx:1\r\n\n");
  CHECK(FormatReply(verbatim, OutputMode::kText) == "# Server\r\nx:1\r\n");
}

TEST_CASE("empty aggregates name their type") {
  CHECK(Human(ReplyValue::Aggregate(Type::kArray, {})) == "(empty array)\n");
  CHECK(Human(ReplyValue::Aggregate(Type::kMap, {})) == "(empty hash)\n");
  CHECK(Human(ReplyValue::Aggregate(Type::kSet, {})) == "(empty set)\n");
  CHECK(Human(ReplyValue::Aggregate(Type::kPush, {})) == "(empty push)\n");
  CHECK(Raw(ReplyValue::Aggregate(Type::kArray, {})) == "\n");
}

TEST_CASE("arrays are numbered, nested ones indented, numbers right-aligned") {
  std::vector<ReplyValue> ten;
  for (int i = 0; i < 10; ++i) ten.push_back(ReplyValue::Bulk(std::to_string(i)));
  std::string expect;
  for (int i = 0; i < 10; ++i) {
    expect += (i < 9 ? " " : "") + std::to_string(i + 1) + ") \"" + std::to_string(i) + "\"\n";
  }
  CHECK(Human(ReplyValue::Aggregate(Type::kArray, ten)) == expect);

  ReplyValue nested = ReplyValue::Aggregate(
      Type::kArray,
      {ReplyValue::Integer(1),
       ReplyValue::Aggregate(
           Type::kArray,
           {ReplyValue::Integer(2), ReplyValue::Aggregate(Type::kArray, {ReplyValue::Integer(3)})}),
       ReplyValue::Aggregate(Type::kArray, {}), ReplyValue::Bulk("x")});
  CHECK(Human(nested) ==
        "1) (integer) 1\n"
        "2) 1) (integer) 2\n"
        "   2) 1) (integer) 3\n"
        "3) (empty array)\n"
        "4) \"x\"\n");
  CHECK(Raw(nested) == "1\n2\n3\n\nx\n");
}

TEST_CASE("maps use # and =>, sets ~; a nested aggregate value starts on its own line") {
  ReplyValue map = ReplyValue::Aggregate(
      Type::kMap, {ReplyValue::Bulk("name"), ReplyValue::Bulk("key"), ReplyValue::Bulk("flags"),
                   ReplyValue::Aggregate(Type::kSet, {ReplyValue::Of(Type::kSimple, "a"),
                                                      ReplyValue::Of(Type::kSimple, "b")}),
                   ReplyValue::Bulk("none"), ReplyValue::Aggregate(Type::kArray, {})});
  CHECK(Human(map) ==
        "1# \"name\" => \"key\"\n"
        "2# \"flags\" => \n"
        "   1~ a\n"
        "   2~ b\n"
        "3# \"none\" => (empty array)\n");
  CHECK(Raw(map) == "name key\nflags a\nb\nnone \n");
  ReplyValue push = ReplyValue::Aggregate(
      Type::kPush, {ReplyValue::Bulk("message"), ReplyValue::Bulk("ch"), ReplyValue::Bulk("hi")});
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
