// Turning TTL arguments (EX/PX/EXAT/PXAT, EXPIRE's seconds, ...) into absolute
// milliseconds with Redis's overflow rules, shared by the string and expire families so
// every command rejects the same inputs. Pure functions.
#pragma once

#include <cstdint>
#include <limits>

namespace pykv::cmd {

enum class TtlUnit { kSeconds, kMilliseconds };

// value in unit, relative to now_ms when relative; false when the result overflows.
inline bool ToAbsoluteMs(int64_t value, TtlUnit unit, bool relative, int64_t now_ms, int64_t* out) {
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
  int64_t ms = value;
  if (unit == TtlUnit::kSeconds) {
    if (value > kMax / 1000 || value < kMin / 1000) return false;
    ms = value * 1000;
  }
  if (relative) {
    if (ms > 0 && now_ms > kMax - ms) return false;
    if (ms < 0 && now_ms < kMin - ms) return false;
    ms += now_ms;
  }
  *out = ms;
  return true;
}

}  // namespace pykv::cmd
