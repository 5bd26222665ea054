// Manifest: the list of files that make up the AOF in dir/appenddirname/: at most one base
// file (a binary snapshot written by a rewrite) and the incremental files (RESP, the
// bytes the mutation sink produced), in replay order. Same text format as Redis 7:
//   file appendonly.aof.3.base.pkv seq 3 type b
//   file appendonly.aof.5.incr.aof seq 5 type i
// (PyKV also reads Redis's "h" history entries and skips them.) Pure data; any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace pykv::persistence {

struct AofFileInfo {
  std::string name;  // a bare file name inside the AOF directory
  uint64_t seq = 0;
  char type = 'i';  // 'b' base, 'i' incremental, 'h' history (ignored)
};

struct Manifest {
  std::optional<AofFileInfo> base;
  std::vector<AofFileInfo> incrs;  // replay order (ascending seq)

  // The text form (one line per file, base first; names quoted as Redis's sdscatrepr when
  // they hold spaces, quotes or unprintable bytes).
  std::string Serialize() const;
  // Parses text; Corruption("Invalid AOF manifest file format at line N: <why>") on
  // malformed input. Like Redis: names may be quoted (sdssplitargs rules), extra key/value
  // pairs are ignored (later Redis versions add some), one base at most, incremental seqs
  // strictly ascending, and a manifest naming no file at all is an error. Unlike Redis,
  // blank lines, CRLF and a missing final newline are accepted; '#' comments are skipped.
  static StatusOr<Manifest> Parse(std::string_view text);

  // File names for a new generation, from appendfilename ("appendonly.aof"):
  // "<prefix>.<seq>.base.pkv" and "<prefix>.<seq>.incr.aof".
  static std::string BaseName(std::string_view prefix, uint64_t seq);
  static std::string IncrName(std::string_view prefix, uint64_t seq);
  // Name of the manifest file: "<prefix>.manifest".
  static std::string ManifestName(std::string_view prefix);
  // Highest seq used by any file (new files take the next one).
  uint64_t MaxSeq() const;
};

}  // namespace pykv::persistence
