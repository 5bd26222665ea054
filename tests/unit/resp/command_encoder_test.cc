#include "resp/command_encoder.h"

#include <doctest/doctest.h>

#include <string>
#include <string_view>
#include <vector>

#include "resp/request_parser.h"

namespace pykv::resp {
namespace {

using namespace std::string_literals;

TEST_CASE("encodes a command as a multibulk") {
  std::vector<std::string_view> argv = {"SET", "key", "value"};
  const std::string expected = "*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$5\r\nvalue\r\n";
  CHECK(EncodeCommand(argv) == expected);

  std::string s = "prefix";
  EncodeCommand(argv, &s);
  CHECK(s == "prefix" + expected);

  OutBuffer buf;
  buf.Append("x");
  EncodeCommand(argv, &buf);
  CHECK(buf.ToString() == "x" + expected);
}

TEST_CASE("empty argv, empty and binary arguments") {
  CHECK(EncodeCommand(std::vector<std::string_view>{}) == "*0\r\n");
  std::string bin = "a\r\n\0b"s;
  std::vector<std::string_view> argv = {"", bin};
  const std::string expected = "*2\r\n$0\r\n\r\n$5\r\na\r\n\0b\r\n"s;
  CHECK(EncodeCommand(argv) == expected);
  OutBuffer buf;
  EncodeCommand(argv, &buf);
  CHECK(buf.ToString() == expected);
}

TEST_CASE("all overloads agree for big arguments and many arguments") {
  std::string big(100000, 'b');
  std::string mid(OutBuffer::kChunkSize - 10, 'm');
  std::vector<std::string> storage;
  for (int i = 0; i < 1000; ++i) storage.push_back(std::to_string(i));
  std::vector<std::string_view> argv = {"RPUSH", big, mid};
  argv.insert(argv.end(), storage.begin(), storage.end());
  std::string s = EncodeCommand(argv);
  OutBuffer buf;
  EncodeCommand(argv, &buf);
  CHECK(buf.ToString() == s);
  CHECK(s.substr(0, 8) == "*1003\r\n$");

  // Round trip through the parser.
  ParserLimits limits;
  RequestParser p(&limits);
  p.Append(s);
  REQUIRE(p.Next() == RequestParser::Result::kCommand);
  REQUIRE(p.argv().size() == argv.size());
  for (size_t i = 0; i < argv.size(); ++i) CHECK(p.argv()[i] == argv[i]);
  CHECK(p.consumed_offset() == s.size());
}

}  // namespace
}  // namespace pykv::resp
