// Glob matching with Redis's stringmatchlen rules (*, ?, [abc], [^a-z], \ escapes), used by
// KEYS, SCAN MATCH, CONFIG GET and PSUBSCRIBE. Pure function; any thread.
#pragma once

#include <string_view>

namespace pykv {

bool GlobMatch(std::string_view pattern, std::string_view text, bool nocase = false);

}  // namespace pykv
