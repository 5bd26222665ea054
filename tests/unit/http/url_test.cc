#include "http/url.h"

#include <doctest/doctest.h>

#include <string>
#include <utility>
#include <vector>

namespace pykv::http {
namespace {

using Params = std::vector<std::pair<std::string, std::string>>;

TEST_CASE("SplitTarget: path and query of an origin-form target") {
  auto t = SplitTarget("/kv/a%2Fb?prefix=x&limit=5");
  REQUIRE(t.has_value());
  CHECK(t->path == "/kv/a%2Fb");
  CHECK(t->query == "prefix=x&limit=5");

  t = SplitTarget("/health");
  REQUIRE(t.has_value());
  CHECK(t->path == "/health");
  CHECK(t->query.empty());

  t = SplitTarget("/");
  REQUIRE(t.has_value());
  CHECK(t->path == "/");

  t = SplitTarget("/kv/?");
  REQUIRE(t.has_value());
  CHECK(t->path == "/kv/");
  CHECK(t->query.empty());

  // A fragment is not part of the path or the query.
  t = SplitTarget("/kv/a?x=1#frag");
  REQUIRE(t.has_value());
  CHECK(t->path == "/kv/a");
  CHECK(t->query == "x=1");
}

TEST_CASE("SplitTarget: what is not an origin-form target") {
  CHECK_FALSE(SplitTarget("").has_value());
  CHECK_FALSE(SplitTarget("kv/a").has_value());
  CHECK_FALSE(SplitTarget("*").has_value());
  CHECK_FALSE(SplitTarget("http://example.com/kv/a").has_value());
  CHECK_FALSE(SplitTarget("/kv/a b").has_value());
}

TEST_CASE("PercentDecode") {
  CHECK(PercentDecode("abc") == "abc");
  CHECK(PercentDecode("") == "");
  CHECK(PercentDecode("a%2Fb") == "a/b");
  CHECK(PercentDecode("a%2fb") == "a/b");
  CHECK(PercentDecode("%20%25%00") == std::string(" %\0", 3));
  CHECK(PercentDecode("%C3%A9") == "\xc3\xa9");
  CHECK(PercentDecode("%ff") == "\xff");
  // '+' is a space only where asked (query strings), never in a path.
  CHECK(PercentDecode("a+b") == "a+b");
  CHECK(PercentDecode("a+b", true) == "a b");
  CHECK(PercentDecode("a%2Bb", true) == "a+b");
  // Malformed escapes.
  CHECK_FALSE(PercentDecode("%").has_value());
  CHECK_FALSE(PercentDecode("%4").has_value());
  CHECK_FALSE(PercentDecode("abc%").has_value());
  CHECK_FALSE(PercentDecode("abc%2").has_value());
  CHECK_FALSE(PercentDecode("%G1").has_value());
  CHECK_FALSE(PercentDecode("%1G").has_value());
  CHECK_FALSE(PercentDecode("%%").has_value());
}

TEST_CASE("PercentEncode encodes every byte outside the unreserved set") {
  CHECK(PercentEncode("") == "");
  CHECK(PercentEncode("AZaz09-._~") == "AZaz09-._~");
  CHECK(PercentEncode("a/b c") == "a%2Fb%20c");
  CHECK(PercentEncode("user:1") == "user%3A1");
  CHECK(PercentEncode("?#[]@!$&'()*+,;=%") ==
        "%3F%23%5B%5D%40%21%24%26%27%28%29%2A%2B%2C%3B%3D%25");
  CHECK(PercentEncode("\xc3\xa9") == "%C3%A9");
  CHECK(PercentEncode(std::string("\x00\xff", 2)) == "%00%FF");
}

TEST_CASE("PercentDecode undoes PercentEncode for every byte") {
  std::string all;
  for (int c = 0; c < 256; ++c) all.push_back(static_cast<char>(c));
  CHECK(PercentDecode(PercentEncode(all)) == all);
  CHECK(PercentDecode(PercentEncode(all), true) == all);
}

TEST_CASE("ParseQuery") {
  CHECK(ParseQuery("") == Params{});
  CHECK(ParseQuery("a=1&b=x%20y") == Params{{"a", "1"}, {"b", "x y"}});
  CHECK(ParseQuery("prefix=a+b") == Params{{"prefix", "a b"}});
  CHECK(ParseQuery("prefix=a%2Bb") == Params{{"prefix", "a+b"}});
  // Empty parts are skipped; a name without '=' has an empty value; '=' may repeat.
  CHECK(ParseQuery("&&a=1&") == Params{{"a", "1"}});
  CHECK(ParseQuery("flag") == Params{{"flag", ""}});
  CHECK(ParseQuery("a=") == Params{{"a", ""}});
  CHECK(ParseQuery("=v") == Params{{"", "v"}});
  CHECK(ParseQuery("a=b=c") == Params{{"a", "b=c"}});
  // Repeats are all kept, in order.
  CHECK(ParseQuery("a=1&a=2") == Params{{"a", "1"}, {"a", "2"}});
  // Encoded names.
  CHECK(ParseQuery("%61=1") == Params{{"a", "1"}});
  CHECK(ParseQuery("a=%26%3D") == Params{{"a", "&="}});
  // Malformed escapes fail the whole query.
  CHECK_FALSE(ParseQuery("a=%").has_value());
  CHECK_FALSE(ParseQuery("a=1&b=%zz").has_value());
  CHECK_FALSE(ParseQuery("%=1").has_value());
}

}  // namespace
}  // namespace pykv::http
