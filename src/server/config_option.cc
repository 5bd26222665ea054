// The typed option kinds and formatting helpers of config_option.h. Error texts are Redis
// 7.0's, so a bad value is refused with the words Redis uses.
#include "server/config_option.h"

#include <algorithm>

#include "resp/split_args.h"

namespace pykv::server::config_detail {

std::string Repr(std::string_view s) {
  std::string out;
  resp::AppendRepr(&out, s);
  return out;
}

std::string FormatMemory(uint64_t bytes) {
  constexpr uint64_t kKb = 1024;
  if (bytes != 0 && bytes % (kKb * kKb * kKb) == 0) {
    return std::to_string(bytes / (kKb * kKb * kKb)) + "gb";
  }
  if (bytes != 0 && bytes % (kKb * kKb) == 0) return std::to_string(bytes / (kKb * kKb)) + "mb";
  if (bytes != 0 && bytes % kKb == 0) return std::to_string(bytes / kKb) + "kb";
  return std::to_string(bytes);
}

std::string Join(const Args& parts, std::string_view sep) {
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i != 0) out += sep;
    out += parts[i];
  }
  return out;
}

std::string RangeError(int64_t min, int64_t max) {
  return "argument must be between " + std::to_string(min) + " and " + std::to_string(max) +
         " inclusive";
}

std::string RangeError(uint64_t min, uint64_t max) {
  return "argument must be between " + std::to_string(min) + " and " + std::to_string(max) +
         " inclusive";
}

OptionSpec Bool(std::string_view name, bool Settings::*field, unsigned flags) {
  return {
      .name = name,
      .flags = flags,
      .set = [field](Settings* s, const Args& a) -> std::string {
        if (EqualsIgnoreCase(a[0], "yes")) {
          s->*field = true;
        } else if (EqualsIgnoreCase(a[0], "no")) {
          s->*field = false;
        } else {
          return "argument must be 'yes' or 'no'";
        }
        return {};
      },
      .get = [field](const Settings& s) { return std::string(s.*field ? "yes" : "no"); },
  };
}

OptionSpec ClampedInt(std::string_view name, int Settings::*field, int64_t min, int64_t max, int lo,
                      int hi, unsigned flags) {
  OptionSpec spec = Int(name, field, min, max, flags);
  spec.set = [field, min, max, lo, hi](Settings* s, const Args& a) -> std::string {
    int64_t v;
    if (!ParseInt64(a[0], &v)) return "argument couldn't be parsed into an integer";
    if (v < min || v > max) return RangeError(min, max);
    s->*field = static_cast<int>(std::clamp<int64_t>(v, lo, hi));
    return {};
  };
  return spec;
}

OptionSpec Memory(std::string_view name, uint64_t Settings::*field, uint64_t min, uint64_t max,
                  unsigned flags) {
  return {
      .name = name,
      .flags = flags,
      .set = [field, min, max](Settings* s, const Args& a) -> std::string {
        uint64_t v;
        if (!ParseMemorySize(a[0], &v)) return "argument must be a memory value";
        if (v < min || v > max) return RangeError(min, max);
        s->*field = v;
        return {};
      },
      .get = [field](const Settings& s) { return std::to_string(s.*field); },
      .conf = [field](const Settings& s) { return Args{FormatMemory(s.*field)}; },
  };
}

OptionSpec String(std::string_view name, std::string Settings::*field, unsigned flags,
                  StringCheck check) {
  return {
      .name = name,
      .flags = flags,
      .set = [field, check](Settings* s, const Args& a) -> std::string {
        if (check != nullptr) {
          std::string reason = check(a[0]);
          if (!reason.empty()) return reason;
        }
        s->*field = a[0];
        return {};
      },
      .get = [field](const Settings& s) { return s.*field; },
      // Quoted, so that empty values and values with blanks read back unchanged.
      .conf = [field](const Settings& s) { return Args{Repr(s.*field)}; },
  };
}

OptionSpec Enum(std::string_view name, std::string Settings::*field,
                std::vector<std::string_view> values, unsigned flags) {
  return {
      .name = name,
      .flags = flags,
      .set = [field, values](Settings* s, const Args& a) -> std::string {
        for (const std::string_view v : values) {
          if (EqualsIgnoreCase(a[0], v)) {
            s->*field = std::string(v);
            return {};
          }
        }
        std::string reason = "argument(s) must be one of the following: ";
        for (size_t i = 0; i < values.size(); ++i) {
          if (i != 0) reason += ", ";
          reason += values[i];
        }
        return reason;
      },
      .get = [field](const Settings& s) { return s.*field; },
  };
}

}  // namespace pykv::server::config_detail
