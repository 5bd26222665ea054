// Number parsing and formatting with Redis's exact rules, so that replies and error
// cases match Redis byte for byte. Pure functions; any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace pykv {

// Redis string2ll: optional '-', no '+', no spaces, no leading zeros (but "0"), no overflow.
bool ParseInt64(std::string_view s, int64_t* out);
// Same rules, non-negative only.
bool ParseUint64(std::string_view s, uint64_t* out);
// Redis string2ld: strtold over the whole string, no leading space, no NaN, at most 5120
// chars. Infinity is accepted here (callers reject it where Redis does).
bool ParseLongDouble(std::string_view s, long double* out);
// Redis string2d (used for doubles in commands): whole string, no leading space, no NaN.
bool ParseDouble(std::string_view s, double* out);

// Decimal text of v into buf (at least 21 bytes); returns the length.
size_t FormatInt64(int64_t v, char* buf);
std::string Int64ToString(int64_t v);
// INCRBYFLOAT's result format (Redis ld2string LD_STR_HUMAN): "%.17Lf" with trailing
// zeros (and a trailing '.') removed. Empty optional for inf/nan (caller errors).
std::optional<std::string> FormatLongDoubleHuman(long double v);

// Redis memtoull: "100", "1k" (1000), "1kb" (1024), m/mb, g/gb; case-insensitive.
bool ParseMemorySize(std::string_view s, uint64_t* out);

// Case-insensitive ASCII comparison, as command and option names are matched.
bool EqualsIgnoreCase(std::string_view a, std::string_view b);
void ToLowerInPlace(std::string* s);
std::string ToLower(std::string_view s);

}  // namespace pykv
