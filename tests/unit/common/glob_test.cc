#include "common/glob.h"

#include <doctest/doctest.h>

#include <chrono>
#include <string>

namespace pykv {
namespace {

struct Case {
  const char* pattern;
  const char* text;
  bool match;
};

void CheckAll(std::initializer_list<Case> cases, bool nocase = false) {
  for (const Case& c : cases) {
    CAPTURE(c.pattern);
    CAPTURE(c.text);
    CHECK(GlobMatch(c.pattern, c.text, nocase) == c.match);
  }
}

TEST_CASE("literals, ? and *") {
  CheckAll({
      {"", "", true},
      {"abc", "abc", true},
      {"abc", "abd", false},
      {"abc", "ab", false},
      {"ab", "abc", false},
      {"", "a", false},
      {"?", "a", true},
      {"?", "", false},
      {"?", "ab", false},
      {"a?c", "abc", true},
      {"a?c", "ac", false},
      {"*", "anything", true},
      {"*", "*", true},
      {"a*", "a", true},
      {"a*", "abc", true},
      {"*c", "abc", true},
      {"*c", "abd", false},
      {"a*c", "ac", true},
      {"a*c", "abbbc", true},
      {"a*c", "abbbcd", false},
      {"a*b*c", "aXbYc", true},
      {"a*b*c", "aXcYb", false},
      {"*a*", "bab", true},
      {"***", "x", true},
      {"a***", "a", true},
      {"a**b", "ab", true},
      {"a*?", "a", false},
      {"a*?", "ab", true},
      {"*?*?*", "a", false},
      {"*?*?*", "ab", true},
      // Backtracking past a partial match of the tail.
      {"*abc", "ababc", true},
      {"*aab", "aaaab", true},
      {"h*llo", "hello hallo", true},
      {"user:*:name", "user:1000:name", true},
      {"user:*:name", "user:1000:email", false},
  });
}

TEST_CASE("the empty text matches only the empty pattern, as in stringmatchlen") {
  // Redis never enters its match loop for an empty string: "KEYS **" skips the key "" (a lone
  // "*" only finds it because KEYS/SCAN special-case that pattern).
  CHECK(GlobMatch("", ""));
  CHECK_FALSE(GlobMatch("*", ""));
  CHECK_FALSE(GlobMatch("**", ""));
  CHECK_FALSE(GlobMatch("[^a]", ""));
}

TEST_CASE("character classes") {
  CheckAll({
      {"[abc]", "a", true},
      {"[abc]", "c", true},
      {"[abc]", "d", false},
      {"[abc]", "", false},
      {"h[ae]llo", "hallo", true},
      {"h[ae]llo", "hillo", false},
      {"[^abc]", "d", true},
      {"[^abc]", "a", false},
      {"h[^e]llo", "hallo", true},
      {"h[^e]llo", "hello", false},
      {"[a-c]", "b", true},
      {"[a-c]", "d", false},
      {"h[a-b]llo", "hbllo", true},
      {"[c-a]", "b", true},  // Reversed ranges are swapped.
      {"[c-a]", "d", false},
      {"[^a-c]", "b", false},
      {"[^a-c]", "z", true},
      {"[a-cx-z]", "y", true},
      {"[a-cx-z]", "m", false},
      {"[0-9][0-9]", "42", true},
      {"[0-9][0-9]", "4x", false},
      {"[]", "a", false},   // Empty class matches nothing...
      {"[^]", "a", true},   // ...and its negation anything.
      {"[-a]", "-", true},  // '-' first is literal.
      {"[a-]", "]", true},  // "a-]" is the range ']'..'a' (swapped); the class is unterminated.
      {"[a-]", "_", true},
      {"[a-]", "b", false},
      {"[*]", "*", true},
      {"[*]", "a", false},
      {"[?]", "?", true},
      {"[?]", "a", false},
      {"[[]", "[", true},
      {"a[]]", "a]", false},  // "[]" is empty, then a literal ']'.
      {"[^]]", "]]", true},   // "[^]" matches any char, then literal ']'.
      // An unterminated class takes the rest of the pattern.
      {"[abc", "a", true},
      {"[abc", "ab", false},
      {"x[ab", "xb", true},
      {"[", "a", false},
      {"[^", "a", true},
      {"[^a", "b", true},
      {"[^a", "a", false},
  });
}

TEST_CASE("backslash escapes") {
  CheckAll({
      {"\\*", "*", true},     {"\\*", "a", false},
      {"\\?", "?", true},     {"\\?", "a", false},
      {"\\[a]", "[a]", true}, {"\\[a]", "a", false},
      {"\\\\", "\\", true},   {"\\a", "a", true},
      {"a\\", "a\\", true},  // A trailing backslash is literal.
      {"a\\*b", "a*b", true}, {"a\\*b", "axb", false},
      {"*\\*", "abc*", true}, {"*\\*", "abc", false},
      {"a\\*", "a", false},  // Only unescaped trailing '*' may match nothing.
      {"[\\]]", "]", true},   {"[\\^a]", "^", true},
      {"[a\\-z]", "-", true}, {"[a\\-z]", "m", false},
      {"[\\", "\\", true},
  });
}

TEST_CASE("nocase") {
  CheckAll(
      {
          {"HELLO", "hello", true},
          {"hello", "HeLLo", true},
          {"h?LLO", "Hello", true},
          {"H*O", "hello", true},
          {"[A-C]x", "bX", true},
          {"[a-c]", "B", true},
          {"[^a-c]", "B", false},
          {"[ABC]", "b", true},
          {"\\A", "a", true},
          // An escaped character inside a class is compared exactly, even with nocase.
          {"[\\A]", "a", false},
          {"[\\A]", "A", true},
          // Bounds are swapped before they are folded: "Z-a" is 'z'..'a' folded, i.e. empty.
          {"[Z-a]", "m", false},
          {"[Z-a]", "_", false},
          // Only ASCII letters fold.
          {"\xc3\x89", "\xc3\xa9", false},
          {"@", "`", false},
      },
      /*nocase=*/true);
  CHECK_FALSE(GlobMatch("HELLO", "hello"));
  CHECK_FALSE(GlobMatch("[a-c]", "B"));
  CHECK(GlobMatch("[Z-a]", "_"));  // Case-sensitive: 'Z'..'a' includes '_'.
}

TEST_CASE("bytes above 0x7f compare as signed chars, as Redis does on x86-64") {
  CHECK(GlobMatch("\xff", "\xff"));
  CHECK(GlobMatch("?", "\xff"));
  CHECK(GlobMatch("[\x80-\xff]", "\x90"));
  // 0xff is -1, so "[a-\xff]" is the range -1..'a': it holds '0' and 0xff but not 'b' or 0x90.
  CHECK(GlobMatch("[a-\xff]", "0"));
  CHECK(GlobMatch("[a-\xff]", "\xff"));
  CHECK_FALSE(GlobMatch("[a-\xff]", "b"));
  CHECK_FALSE(GlobMatch("[a-\xff]", "\x90"));
}

TEST_CASE("embedded NUL bytes are ordinary characters") {
  const std::string text("a\0b", 3);
  CHECK(GlobMatch(std::string_view("a\0b", 3), text));
  CHECK(GlobMatch(std::string_view("a?b", 3), text));
  CHECK(GlobMatch("a*", text));
  CHECK_FALSE(GlobMatch("a", text));
}

TEST_CASE("pathological patterns finish quickly") {
  const auto start = std::chrono::steady_clock::now();
  // Naive recursion is exponential in the number of '*' here.
  std::string pattern;
  for (int i = 0; i < 60; ++i) pattern += "a*";
  pattern += "b";
  const std::string text(20000, 'a');
  CHECK_FALSE(GlobMatch(pattern, text));
  CHECK(GlobMatch(pattern, text + "b"));

  // Redis's CVE-2022-36021 pattern shape: many "*a" against a long run without a match.
  std::string star_a;
  for (int i = 0; i < 1000; ++i) star_a += "*a";
  star_a += "*x";
  CHECK_FALSE(GlobMatch(star_a, std::string(5000, 'a')));
  // More than Redis's 1000 nested '*' still matches correctly here.
  CHECK(GlobMatch(star_a, std::string(1000, 'a') + "x"));

  const std::string q(2000, '?');
  CHECK_FALSE(GlobMatch("*" + q + "*b", std::string(10000, 'a')));
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  CHECK(seconds < 5.0);  // Generous for sanitizer builds; exponential would never finish.
}

}  // namespace
}  // namespace pykv
