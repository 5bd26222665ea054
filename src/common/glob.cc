#include "common/glob.h"

#include <cstddef>

namespace pykv {
namespace {

// Redis reads pattern and text bytes as plain `char`, which is signed on the platforms it is
// deployed on (x86-64); range bounds compare those signed values, so "[a-\xff]" means
// -1..'a'. We pin that down explicitly rather than depend on this compiler's char.
inline int SignedByte(char c) {
  return static_cast<signed char>(c);
}

// tolower() in the "C" locale: ASCII only, everything else unchanged.
inline int FoldAscii(int c) {
  return (c >= 'A' && c <= 'Z') ? c + ('a' - 'A') : c;
}

inline bool SameChar(char a, char b, bool nocase) {
  return nocase ? FoldAscii(SignedByte(a)) == FoldAscii(SignedByte(b)) : a == b;
}

// Matches the "[...]" element that starts at pattern[p] ('[') against c and returns the index
// just past the element. Every quirk of Redis's stringmatchlen is kept on purpose, since
// KEYS/SCAN/PSUBSCRIBE patterns must select the same keys: an unterminated class runs to the
// end of the pattern; an escaped character inside a class compares case-sensitively even
// with nocase; a range swaps reversed bounds before folding case; "x-" needs a third
// character to be a range (so "[a-]" is the range 'a'..']').
size_t MatchClass(std::string_view pattern, size_t p, char c, bool nocase, bool* matched) {
  const size_t m = pattern.size();
  size_t i = p + 1;
  const bool negate = i < m && pattern[i] == '^';
  if (negate) ++i;
  bool match = false;
  for (;;) {
    if (i >= m) break;  // Unterminated: the class took the rest of the pattern.
    if (pattern[i] == '\\' && m - i >= 2) {
      ++i;
      if (pattern[i] == c) match = true;
    } else if (pattern[i] == ']') {
      ++i;
      break;
    } else if (m - i >= 3 && pattern[i + 1] == '-') {
      int start = SignedByte(pattern[i]);
      int end = SignedByte(pattern[i + 2]);
      int x = SignedByte(c);
      if (start > end) {
        const int t = start;
        start = end;
        end = t;
      }
      if (nocase) {
        start = FoldAscii(start);
        end = FoldAscii(end);
        x = FoldAscii(x);
      }
      i += 2;
      if (x >= start && x <= end) match = true;
    } else if (SameChar(pattern[i], c, nocase)) {
      match = true;
    }
    ++i;
  }
  *matched = negate ? !match : match;
  return i;
}

// Matches the single non-'*' element at pattern[p] against c; returns the index just past
// the element. Each such element consumes exactly one text character, which is what makes
// the one-backtrack-point search in GlobMatch exact.
size_t MatchOne(std::string_view pattern, size_t p, char c, bool nocase, bool* matched) {
  switch (pattern[p]) {
    case '?':
      *matched = true;
      return p + 1;
    case '[':
      return MatchClass(pattern, p, c, nocase, matched);
    case '\\':
      // A trailing backslash is a literal backslash.
      if (pattern.size() - p >= 2) {
        *matched = SameChar(pattern[p + 1], c, nocase);
        return p + 2;
      }
      [[fallthrough]];
    default:
      *matched = SameChar(pattern[p], c, nocase);
      return p + 1;
  }
}

}  // namespace

// Redis recurses at every '*' and needed a nesting cap against patterns like "a*a*a*...b".
// Because every other element consumes exactly one character, only the most recent '*'
// ever needs to be retried: if the rest of the pattern cannot match after it at some
// offset, extending an earlier '*' cannot help. So one saved (pattern, text) position gives
// the same answers in O(pattern * text) time and constant space.
bool GlobMatch(std::string_view pattern, std::string_view text, bool nocase) {
  const size_t m = pattern.size();
  const size_t n = text.size();
  // stringmatchlen never enters its loop for an empty text, so only an empty pattern matches
  // it (not even "*"; Redis's KEYS special-cases a lone "*" before matching).
  if (n == 0) return m == 0;
  size_t p = 0;
  size_t t = 0;
  constexpr size_t kNoStar = static_cast<size_t>(-1);
  size_t star_p = kNoStar;  // Pattern index just after the last run of '*'.
  size_t star_t = 0;        // Text index that run is currently assumed to stop at.
  while (t < n) {
    if (p < m && pattern[p] == '*') {
      while (p < m && pattern[p] == '*') ++p;
      if (p == m) return true;
      star_p = p;
      star_t = t;
      continue;
    }
    if (p < m) {
      bool matched;
      const size_t next = MatchOne(pattern, p, text[t], nocase, &matched);
      if (matched) {
        p = next;
        ++t;
        continue;
      }
    }
    if (star_p == kNoStar) return false;
    p = star_p;
    t = ++star_t;
  }
  while (p < m && pattern[p] == '*') ++p;
  return p == m;
}

}  // namespace pykv
