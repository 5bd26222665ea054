// Base64Encode and Base64Decode: RFC 4648 vectors, every byte value, malformed input.
#include "common/base64.h"

#include <doctest/doctest.h>

#include <string>

namespace pykv {
namespace {

TEST_CASE("Base64Encode: RFC 4648 test vectors") {
  CHECK(Base64Encode("") == "");
  CHECK(Base64Encode("f") == "Zg==");
  CHECK(Base64Encode("fo") == "Zm8=");
  CHECK(Base64Encode("foo") == "Zm9v");
  CHECK(Base64Encode("foob") == "Zm9vYg==");
  CHECK(Base64Encode("fooba") == "Zm9vYmE=");
  CHECK(Base64Encode("foobar") == "Zm9vYmFy");
  // Every byte value, and the two characters past the letters and digits.
  CHECK(Base64Encode(std::string("\xff\xfe\x00"
                                 "a",
                                 4)) == "//4AYQ==");
  CHECK(Base64Encode("\xfb\xff") == "+/8=");
  std::string all;
  for (int c = 0; c < 256; ++c) all.push_back(static_cast<char>(c));
  const std::string enc = Base64Encode(all);
  CHECK(enc.size() == 344);
  CHECK(enc.substr(0, 12) == "AAECAwQFBgcI");
  CHECK(enc.substr(enc.size() - 8) == "/P3+/w==");
}

TEST_CASE("Base64Decode: well-formed and malformed input") {
  CHECK(Base64Decode("") == "");
  CHECK(Base64Decode("Zg==") == "f");
  CHECK(Base64Decode("Zm8=") == "fo");
  CHECK(Base64Decode("Zm9v") == "foo");
  CHECK(Base64Decode("Zm9vYmFy") == "foobar");
  CHECK(Base64Decode("+/+/") == "\xfb\xff\xbf");
  CHECK_FALSE(Base64Decode("Zm9").has_value());       // not a multiple of 4
  CHECK_FALSE(Base64Decode("Zm=v").has_value());      // padding inside
  CHECK_FALSE(Base64Decode("Zg==Zg==").has_value());  // padding before the end
  CHECK_FALSE(Base64Decode("Z===").has_value());
  CHECK_FALSE(Base64Decode("Zm9v\n").has_value());
}

TEST_CASE("Base64: every byte value round-trips") {
  std::string all;
  for (int c = 0; c < 256; ++c) all.push_back(static_cast<char>(c));
  for (size_t n = 0; n <= all.size(); n += 37) {
    CHECK(Base64Decode(Base64Encode(all.substr(0, n))) == all.substr(0, n));
  }
}

}  // namespace
}  // namespace pykv
