#include "common/numbers.h"

#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <limits>
#include <random>
#include <string>

namespace pykv {
namespace {

bool Int(std::string_view s, int64_t* v = nullptr) {
  int64_t tmp = 12345;
  const bool ok = ParseInt64(s, &tmp);
  if (v != nullptr) *v = tmp;
  return ok;
}

TEST_CASE("ParseInt64 accepts exactly what Redis string2ll accepts") {
  int64_t v = 0;
  CHECK(Int("0", &v));
  CHECK(v == 0);
  CHECK(Int("1", &v));
  CHECK(v == 1);
  CHECK(Int("-1", &v));
  CHECK(v == -1);
  CHECK(Int("1234567890", &v));
  CHECK(v == 1234567890);
  CHECK(Int("9223372036854775807", &v));
  CHECK(v == std::numeric_limits<int64_t>::max());
  CHECK(Int("-9223372036854775808", &v));
  CHECK(v == std::numeric_limits<int64_t>::min());

  // Every spelling redis-server 7.0 answers "value is not an integer or out of range".
  for (const char* bad : {"",
                          "-",
                          "+1",
                          "+",
                          " 1",
                          "1 ",
                          "01",
                          "00",
                          "-0",
                          "-01",
                          "1.0",
                          "1e3",
                          "0x10",
                          "abc",
                          "1a",
                          "--1",
                          "9223372036854775808",
                          "-9223372036854775809",
                          "18446744073709551616",
                          "99999999999999999999",
                          "-99999999999999999999",
                          "123456789012345678901"}) {
    CAPTURE(bad);
    int64_t untouched = 777;
    CHECK_FALSE(ParseInt64(bad, &untouched));
    CHECK(untouched == 777);  // Failure leaves the output alone.
  }
  // An embedded NUL is not a digit even though C would stop there.
  CHECK_FALSE(
      Int(std::string_view("12\0"
                           "3",
                           4)));
  // Huge strings are refused without scanning (Redis's LONG_STR_SIZE cut-off).
  CHECK_FALSE(Int(std::string(100000, '1')));
  // nullptr output just validates.
  CHECK(ParseInt64("42", nullptr));
}

TEST_CASE("ParseInt64 round-trips with FormatInt64 at random") {
  std::mt19937_64 rng(7);
  for (int i = 0; i < 20000; ++i) {
    int64_t x = static_cast<int64_t>(rng());
    x >>= (rng() % 64);  // Cover every magnitude, not just 19-digit numbers.
    char buf[21];
    const size_t len = FormatInt64(x, buf);
    char expected[32];
    const int n = std::snprintf(expected, sizeof(expected), "%lld", static_cast<long long>(x));
    REQUIRE(std::string_view(buf, len) == std::string_view(expected, static_cast<size_t>(n)));
    int64_t back = 0;
    REQUIRE(ParseInt64(std::string_view(buf, len), &back));
    REQUIRE(back == x);
  }
}

TEST_CASE("FormatInt64 boundaries") {
  char buf[21];
  struct Case {
    int64_t v;
    const char* text;
  };
  for (const Case& c :
       {Case{0, "0"}, Case{9, "9"}, Case{10, "10"}, Case{99, "99"}, Case{100, "100"},
        Case{-1, "-1"}, Case{-10, "-10"}, Case{1000000000000000000, "1000000000000000000"},
        Case{std::numeric_limits<int64_t>::max(), "9223372036854775807"},
        Case{std::numeric_limits<int64_t>::min(), "-9223372036854775808"}}) {
    const size_t len = FormatInt64(c.v, buf);
    CHECK(std::string_view(buf, len) == c.text);
    CHECK(buf[len] == '\0');
  }
  // Every power of ten and its neighbours, where digit counting can go wrong.
  for (int64_t p = 1;; p *= 10) {
    for (int64_t v : {p - 1, p, p + 1, -p}) {
      CHECK(Int64ToString(v) == std::to_string(v));
    }
    if (p > std::numeric_limits<int64_t>::max() / 10) break;
  }
}

TEST_CASE("ParseUint64: string2ll's spelling rules, unsigned range") {
  uint64_t v = 0;
  CHECK(ParseUint64("0", &v));
  CHECK(v == 0);
  CHECK(ParseUint64("18446744073709551615", &v));
  CHECK(v == std::numeric_limits<uint64_t>::max());
  CHECK(ParseUint64("9223372036854775808", &v));
  CHECK(v == 9223372036854775808ULL);
  for (const char* bad : {"", "-", "-1", "-0", "+1", "01", " 1", "1 ", "18446744073709551616",
                          "99999999999999999999", "1.5", "x"}) {
    CAPTURE(bad);
    uint64_t untouched = 5;
    CHECK_FALSE(ParseUint64(bad, &untouched));
    CHECK(untouched == 5);
  }
}

TEST_CASE("ParseLongDouble follows Redis string2ld") {
  long double v = 0;
  CHECK(ParseLongDouble("1.5", &v));
  CHECK(v == 1.5L);
  CHECK(ParseLongDouble("0", &v));
  CHECK(v == 0);
  CHECK(ParseLongDouble("-0", &v));
  CHECK(v == 0);
  CHECK(ParseLongDouble("+1", &v));  // INCRBYFLOAT k +1 works in Redis.
  CHECK(v == 1);
  CHECK(ParseLongDouble("3.0e3", &v));
  CHECK(v == 3000);
  CHECK(ParseLongDouble(".5", &v));
  CHECK(v == 0.5L);
  CHECK(ParseLongDouble("5.", &v));
  CHECK(v == 5);
  // strtold reads hex, so Redis does too ("INCRBYFLOAT k 0x10" gives 16).
  CHECK(ParseLongDouble("0x10", &v));
  CHECK(v == 16);
  CHECK(ParseLongDouble("0x1p-3", &v));
  CHECK(v == 0.125L);
  // Infinity parses here; INCRBYFLOAT then refuses the result.
  CHECK(ParseLongDouble("inf", &v));
  CHECK((std::isinf(v) && v > 0));
  CHECK(ParseLongDouble("-inf", &v));
  CHECK((std::isinf(v) && v < 0));
  CHECK(ParseLongDouble("Infinity", &v));
  CHECK(std::isinf(v));
  // Long double reaches past double's range; a denormal result is kept, not refused.
  CHECK(ParseLongDouble("1e4000", &v));
  CHECK(v > 1e4000L / 2);
  CHECK(ParseLongDouble("1e-4940", &v));
  CHECK(v > 0);

  for (const char* bad : {"", " 1", "\t1", "1 ", "abc", "1.5x", "nan", "NaN", "-nan", "nan(1)",
                          "1e5000", "-1e5000", "1e-5000", "--1", "."}) {
    CAPTURE(bad);
    long double untouched = 9;
    CHECK_FALSE(ParseLongDouble(bad, &untouched));
    CHECK(untouched == 9);
  }
  CHECK_FALSE(ParseLongDouble(std::string_view("1\0"
                                               "2",
                                               3),
                              &v));

  // MAX_LONG_DOUBLE_CHARS is 5120: 5119 characters still parse, 5120 do not.
  std::string s = "1." + std::string(5117, '0');
  REQUIRE(s.size() == 5119);
  CHECK(ParseLongDouble(s, &v));
  CHECK(v == 1);
  s.push_back('0');
  CHECK_FALSE(ParseLongDouble(s, &v));
}

TEST_CASE("ParseDouble follows Redis string2d") {
  double v = 0;
  CHECK(ParseDouble("1.5", &v));
  CHECK(v == 1.5);
  CHECK(ParseDouble("-2e3", &v));
  CHECK(v == -2000);
  CHECK(ParseDouble("+inf", &v));
  CHECK((std::isinf(v) && v > 0));
  CHECK(ParseDouble("-inf", &v));
  CHECK((std::isinf(v) && v < 0));
  CHECK(ParseDouble("0x10", &v));
  CHECK(v == 16);
  CHECK(ParseDouble("4e-320", &v));  // Denormal: accepted.
  CHECK(v > 0);
  for (const char* bad : {"", " 1", "1 ", "nan", "1e309", "-1e309", "1e-400", "x", "1,5"}) {
    CAPTURE(bad);
    double untouched = 3;
    CHECK_FALSE(ParseDouble(bad, &untouched));
    CHECK(untouched == 3);
  }
  // No length cap, unlike string2ld; longer than the stack copy too.
  const std::string long_zeros = "0." + std::string(6000, '0') + "1";
  CHECK_FALSE(ParseDouble(long_zeros, &v));  // Underflows to zero.
  const std::string long_one = "1." + std::string(6000, '0');
  CHECK(ParseDouble(long_one, &v));
  CHECK(v == 1);
}

long double Ld(const char* s) {
  long double v = 0;
  REQUIRE(ParseLongDouble(s, &v));
  return v;
}

TEST_CASE("FormatLongDoubleHuman matches redis-server 7.0 INCRBYFLOAT output") {
  // {stored value, increment, reply}, each reply recorded from redis-server 7.0.15.
  struct Case {
    const char* a;
    const char* b;
    const char* reply;
  };
  for (const Case& c : {
           Case{"10.5", "0.1", "10.6"},
           Case{"0.1", "0.2", "0.3"},
           Case{"5.0e3", "2.0e2", "5200"},
           Case{"3.0e3", "0", "3000"},
           Case{"1", "-1", "0"},
           Case{"-1", "0.5", "-0.5"},
           Case{"1e17", "1", "100000000000000001"},
           Case{"1e20", "0.5", "100000000000000000000"},
           Case{"123456789.123456789", "0", "123456789.12345678899873747"},
           Case{"3.14159265358979323846", "0", "3.14159265358979324"},
           Case{"-0.000000000000000001", "0", "0"},
           Case{"0.000000000000000001", "0", "0"},
           Case{"1.23456789012345678e-10", "0", "0.00000000012345679"},
           Case{"5", "-10.25", "-5.25"},
           Case{"17179869184", "0.1", "17179869184.09999999962747097"},
           Case{"1.0000000000000000001", "0", "1"},
           Case{"0x1p-3", "0", "0.125"},
           Case{"1e-4940", "0", "0"},
           Case{"99999999999999999999", "1", "100000000000000000000"},
           Case{"0x10", "0", "16"},
           Case{"1.5e308", "0",
                "149999999999999999999901476489468468031016840965"
                "060944967133685421180106066691046036756664728216"
                "022031902928370522024964340854582506645209487860"
                "806577896175175227643677561112877760303256738896"
                "516844124921428435196017215141331511736789270744"
                "288327321353040504243421434090049846615188904452"
                "633296864511849922560"},
       }) {
    CAPTURE(c.a);
    CAPTURE(c.b);
    const auto out = FormatLongDoubleHuman(Ld(c.a) + Ld(c.b));
    REQUIRE(out.has_value());
    CHECK(*out == c.reply);
  }
  CHECK(FormatLongDoubleHuman(-0.0L) == "0");
  CHECK(FormatLongDoubleHuman(-1e-30L) == "0");
  CHECK(FormatLongDoubleHuman(100.0L) == "100");
  CHECK(FormatLongDoubleHuman(-100.0L) == "-100");
  CHECK_FALSE(FormatLongDoubleHuman(std::numeric_limits<long double>::infinity()).has_value());
  CHECK_FALSE(FormatLongDoubleHuman(-std::numeric_limits<long double>::infinity()).has_value());
  CHECK_FALSE(FormatLongDoubleHuman(std::numeric_limits<long double>::quiet_NaN()).has_value());
  // The largest values take the long path: 4933 integer digits, no fraction left.
  const auto big = FormatLongDoubleHuman(std::numeric_limits<long double>::max());
  REQUIRE(big.has_value());
  CHECK(big->size() == 4933);
  CHECK(big->find('.') == std::string::npos);
  CHECK(big->substr(0, 6) == "118973");
  // What INCRBYFLOAT stores must parse back.
  long double back = 0;
  CHECK(ParseLongDouble(*big, &back));
}

TEST_CASE("ParseMemorySize: Redis memtoull units") {
  struct Case {
    const char* text;
    uint64_t bytes;
  };
  for (const Case& c : {Case{"0", 0}, Case{"100", 100}, Case{"1b", 1}, Case{"1B", 1},
                        Case{"1k", 1000}, Case{"1K", 1000}, Case{"1kb", 1024}, Case{"1KB", 1024},
                        Case{"1kB", 1024}, Case{"2m", 2000000}, Case{"1Mb", 1048576},
                        Case{"1g", 1000000000}, Case{"1gb", 1073741824}, Case{"3GB", 3221225472ULL},
                        Case{"0100", 100}, Case{"18446744073709551615", 18446744073709551615ULL},
                        Case{"17179869183gb", 17179869183ULL * 1073741824ULL}}) {
    CAPTURE(c.text);
    uint64_t v = 1;
    REQUIRE(ParseMemorySize(c.text, &v));
    CHECK(v == c.bytes);
  }
  // Garbage, negatives, other units, and (unlike Redis 7.0, which reads them as 0 or wraps)
  // a missing number and overflow.
  for (const char* bad :
       {"-1", "-1kb", "1t", "1tb", " 1", "1 ", "1.5k", "1kbb", "k1", "0x10", "", "kb", "gb",
        "18446744073709551616", "17179869184gb", "99999999999999999999999"}) {
    CAPTURE(bad);
    uint64_t untouched = 4;
    CHECK_FALSE(ParseMemorySize(bad, &untouched));
    CHECK(untouched == 4);
  }
}

TEST_CASE("ASCII case helpers") {
  CHECK(EqualsIgnoreCase("GET", "get"));
  CHECK(EqualsIgnoreCase("PexpireAt", "PEXPIREAT"));
  CHECK(EqualsIgnoreCase("", ""));
  CHECK_FALSE(EqualsIgnoreCase("get", "gets"));
  CHECK_FALSE(EqualsIgnoreCase("get", "set"));
  // '@' (0x40) and '`' (0x60) differ from letters by the same bit; they must not fold.
  CHECK_FALSE(EqualsIgnoreCase("@", "`"));
  CHECK_FALSE(EqualsIgnoreCase("[", "{"));
  // Non-ASCII bytes are compared as they are (no locale folding).
  CHECK_FALSE(EqualsIgnoreCase("\xc3\x89", "\xc3\xa9"));
  CHECK(EqualsIgnoreCase("\xc3\x89", "\xc3\x89"));

  CHECK(ToLower("HeLLo-WORLD_09") == "hello-world_09");
  CHECK(ToLower("\xc3\x89Z") == "\xc3\x89z");
  std::string s = "MaxMemory-Policy";
  ToLowerInPlace(&s);
  CHECK(s == "maxmemory-policy");
  std::string embedded("A\0B", 3);
  ToLowerInPlace(&embedded);
  CHECK(embedded == std::string("a\0b", 3));
}

}  // namespace
}  // namespace pykv
