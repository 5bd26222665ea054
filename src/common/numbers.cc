#include "common/numbers.h"

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>

namespace pykv {
namespace {

// Redis's LONG_STR_SIZE: string2ll refuses 21 or more characters before scanning them, so
// arbitrarily long digit strings cost nothing to reject.
constexpr size_t kLongStrSize = 21;
// Redis's MAX_LONG_DOUBLE_CHARS: the buffer string2ld copies into (so at most 5119 chars).
constexpr size_t kMaxLongDoubleChars = 5 * 1024;

inline bool IsDigit(char c) {
  return c >= '0' && c <= '9';
}

// C's isspace in the "C" locale, which is what Redis's string2ld/string2d test on the first
// byte (strtod would otherwise skip leading white space silently).
inline bool IsCSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

inline char AsciiLower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
}

// Digits of a non-negative number without '+', spaces or leading zeros ("0" itself is fine).
// Shared by the signed and unsigned parsers so both reject exactly the same spellings.
bool ParseDigits(std::string_view s, uint64_t* out) {
  if (s.empty()) return false;
  if (s.size() == 1 && s[0] == '0') {
    *out = 0;
    return true;
  }
  if (s[0] < '1' || s[0] > '9') return false;
  uint64_t v = 0;
  for (char c : s) {
    if (!IsDigit(c)) return false;
    const uint64_t d = static_cast<uint64_t>(c - '0');
    if (v > (std::numeric_limits<uint64_t>::max() - d) / 10) return false;
    v = v * 10 + d;
  }
  *out = v;
  return true;
}

// strtod/strtold need a NUL-terminated copy; short inputs (nearly all of them) stay on the
// stack.
class CString {
 public:
  explicit CString(std::string_view s) {
    if (s.size() < sizeof(small_)) {
      std::memcpy(small_, s.data(), s.size());
      small_[s.size()] = '\0';
      ptr_ = small_;
    } else {
      big_.assign(s.data(), s.size());
      ptr_ = big_.c_str();
    }
  }
  CString(const CString&) = delete;
  CString& operator=(const CString&) = delete;
  const char* c_str() const { return ptr_; }

 private:
  char small_[128];
  std::string big_;
  const char* ptr_;
};

// The checks string2ld and string2d share after strto(l)d: the whole input consumed (an
// embedded NUL stops the conversion short and so fails), no leading space, no overflow to
// infinity, no underflow all the way to zero (denormals are fine), no NaN.
template <typename T>
bool FloatParseOk(std::string_view s, const char* buf, const char* end, T value, int err) {
  if (IsCSpace(s[0])) return false;
  if (static_cast<size_t>(end - buf) != s.size()) return false;
  if (err == ERANGE && (std::isinf(value) || value == 0)) return false;
  if (err == EINVAL) return false;
  return !std::isnan(value);
}

constexpr char kDigitPairs[201] =
    "00010203040506070809"
    "10111213141516171819"
    "20212223242526272829"
    "30313233343536373839"
    "40414243444546474849"
    "50515253545556575859"
    "60616263646566676869"
    "70717273747576777879"
    "80818283848586878889"
    "90919293949596979899";

inline size_t CountDigits(uint64_t v) {
  size_t n = 1;
  for (;;) {
    if (v < 10) return n;
    if (v < 100) return n + 1;
    if (v < 1000) return n + 2;
    if (v < 10000) return n + 3;
    v /= 10000;
    n += 4;
  }
}

// Writes back to front, two digits per division: integer replies are the hot path.
size_t FormatUint64(uint64_t v, char* buf) {
  const size_t len = CountDigits(v);
  size_t pos = len;
  while (v >= 100) {
    const size_t i = static_cast<size_t>(v % 100) * 2;
    v /= 100;
    buf[--pos] = kDigitPairs[i + 1];
    buf[--pos] = kDigitPairs[i];
  }
  if (v >= 10) {
    const size_t i = static_cast<size_t>(v) * 2;
    buf[1] = kDigitPairs[i + 1];
    buf[0] = kDigitPairs[i];
  } else {
    buf[0] = static_cast<char>('0' + v);
  }
  return len;
}

}  // namespace

bool ParseInt64(std::string_view s, int64_t* out) {
  if (s.empty() || s.size() >= kLongStrSize) return false;
  const bool negative = s[0] == '-';
  if (negative) s.remove_prefix(1);
  uint64_t v;
  // "-0" fails here as Redis does: after the sign the first digit must be 1-9.
  if (negative && !s.empty() && s[0] == '0') return false;
  if (!ParseDigits(s, &v)) return false;
  int64_t result;
  if (negative) {
    constexpr uint64_t kMinMagnitude = uint64_t{1} << 63;
    if (v > kMinMagnitude) return false;
    // Negating in unsigned arithmetic keeps INT64_MIN well defined.
    result = static_cast<int64_t>(uint64_t{0} - v);
  } else {
    if (v > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) return false;
    result = static_cast<int64_t>(v);
  }
  if (out != nullptr) *out = result;
  return true;
}

bool ParseUint64(std::string_view s, uint64_t* out) {
  if (s.empty() || s.size() >= kLongStrSize) return false;
  uint64_t v;
  if (!ParseDigits(s, &v)) return false;
  if (out != nullptr) *out = v;
  return true;
}

bool ParseLongDouble(std::string_view s, long double* out) {
  if (s.empty() || s.size() >= kMaxLongDoubleChars) return false;
  const CString buf(s);
  char* end = nullptr;
  errno = 0;
  const long double value = std::strtold(buf.c_str(), &end);
  const int err = errno;
  if (!FloatParseOk(s, buf.c_str(), end, value, err)) return false;
  if (out != nullptr) *out = value;
  return true;
}

bool ParseDouble(std::string_view s, double* out) {
  if (s.empty()) return false;
  const CString buf(s);
  char* end = nullptr;
  errno = 0;
  const double value = std::strtod(buf.c_str(), &end);
  const int err = errno;
  if (!FloatParseOk(s, buf.c_str(), end, value, err)) return false;
  if (out != nullptr) *out = value;
  return true;
}

size_t FormatInt64(int64_t v, char* buf) {
  size_t len;
  if (v < 0) {
    buf[0] = '-';
    len = 1 + FormatUint64(uint64_t{0} - static_cast<uint64_t>(v), buf + 1);
  } else {
    len = FormatUint64(static_cast<uint64_t>(v), buf);
  }
  buf[len] = '\0';  // Fits: at most 20 characters, and the buffer holds 21.
  return len;
}

std::string Int64ToString(int64_t v) {
  char buf[24];
  return std::string(buf, FormatInt64(v, buf));
}

std::optional<std::string> FormatLongDoubleHuman(long double v) {
  if (!std::isfinite(v)) return std::nullopt;
  // The largest finite long double needs about 4950 characters in %f form, so most values fit
  // the small buffer and the rest take one exact-size second pass.
  char small[128];
  const int n = std::snprintf(small, sizeof(small), "%.17Lf", v);
  if (n < 0) return std::nullopt;
  std::string out;
  if (static_cast<size_t>(n) < sizeof(small)) {
    out.assign(small, static_cast<size_t>(n));
  } else {
    out.resize(static_cast<size_t>(n) + 1);
    std::snprintf(out.data(), out.size(), "%.17Lf", v);
    out.resize(static_cast<size_t>(n));
  }
  if (out.find('.') != std::string::npos) {
    size_t len = out.size();
    while (out[len - 1] == '0') --len;
    if (out[len - 1] == '.') --len;
    out.resize(len);
  }
  // A tiny negative value rounds to "-0.000..."; Redis reports that as plain 0.
  if (out == "-0") out = "0";
  return out;
}

// Redis 7.0's memtoull accepts "" and a bare unit (both read as 0) and silently wraps on
// overflow; we reject those as the garbage they are, and otherwise follow it: digits only
// (leading zeros allowed), then an optional case-insensitive unit.
bool ParseMemorySize(std::string_view s, uint64_t* out) {
  size_t i = 0;
  while (i < s.size() && IsDigit(s[i])) ++i;
  const std::string_view digits = s.substr(0, i);
  const std::string_view unit = s.substr(i);
  uint64_t mul;
  if (unit.empty() || EqualsIgnoreCase(unit, "b")) {
    mul = 1;
  } else if (EqualsIgnoreCase(unit, "k")) {
    mul = 1000;
  } else if (EqualsIgnoreCase(unit, "kb")) {
    mul = 1024;
  } else if (EqualsIgnoreCase(unit, "m")) {
    mul = 1000 * 1000;
  } else if (EqualsIgnoreCase(unit, "mb")) {
    mul = 1024 * 1024;
  } else if (EqualsIgnoreCase(unit, "g")) {
    mul = 1000ULL * 1000 * 1000;
  } else if (EqualsIgnoreCase(unit, "gb")) {
    mul = 1024ULL * 1024 * 1024;
  } else {
    return false;
  }
  if (digits.empty()) return false;
  uint64_t v = 0;
  for (char c : digits) {
    const uint64_t d = static_cast<uint64_t>(c - '0');
    if (v > (std::numeric_limits<uint64_t>::max() - d) / 10) return false;
    v = v * 10 + d;
  }
  if (v > std::numeric_limits<uint64_t>::max() / mul) return false;
  if (out != nullptr) *out = v * mul;
  return true;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (AsciiLower(a[i]) != AsciiLower(b[i])) return false;
  }
  return true;
}

void ToLowerInPlace(std::string* s) {
  for (char& c : *s) c = AsciiLower(c);
}

std::string ToLower(std::string_view s) {
  std::string out(s);
  ToLowerInPlace(&out);
  return out;
}

}  // namespace pykv
