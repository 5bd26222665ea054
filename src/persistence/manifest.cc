// Manifest text format, as Redis 7 writes and reads it (aof.c: aofInfoFormat,
// aofLoadManifestFromFile): one line per file, "file <name> seq <n> type <b|h|i>", key/value
// pairs separated by spaces, values quoted like sdscatrepr when they need it, split back
// like sdssplitargs. Reading follows Redis's rules (at least 6 tokens, pairs, unknown keys
// ignored for forward compatibility, one base, ascending incremental seqs) but is kinder
// about blank lines and CRLF, and names the offending line in every error.
#include "persistence/manifest.h"

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "common/numbers.h"
#include "resp/split_args.h"

namespace pykv::persistence {
namespace {

// The C locale's isspace, without depending on the process locale.
bool IsSpace(unsigned char c) {
  return c == ' ' || (c >= '\t' && c <= '\r');
}

constexpr std::string_view kBaseSuffix = ".base.pkv";
constexpr std::string_view kIncrSuffix = ".incr.aof";
constexpr std::string_view kManifestSuffix = ".manifest";

Status LineError(size_t line_no, std::string_view detail) {
  std::string msg = "Invalid AOF manifest file format at line " + std::to_string(line_no);
  if (!detail.empty()) msg.append(": ").append(detail);
  return Status::Corruption(msg);
}

void AppendLine(std::string* out, const AofFileInfo& info) {
  out->append("file ");
  if (resp::NeedsRepr(info.name)) {
    resp::AppendRepr(out, info.name);
  } else {
    out->append(info.name);
  }
  out->append(" seq ").append(std::to_string(info.seq)).append(" type ");
  out->push_back(info.type);
  out->push_back('\n');
}

}  // namespace

std::string Manifest::Serialize() const {
  std::string out;
  if (base) AppendLine(&out, *base);
  for (const AofFileInfo& info : incrs) AppendLine(&out, info);
  return out;
}

StatusOr<Manifest> Manifest::Parse(std::string_view text) {
  Manifest m;
  size_t line_no = 0;
  size_t pos = 0;
  std::vector<std::string> args;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string_view::npos) nl = text.size();
    std::string_view line = text.substr(pos, nl - pos);
    pos = nl + 1;
    ++line_no;

    while (!line.empty() && IsSpace(line.back())) line.remove_suffix(1);  // CR, trailing blanks
    while (!line.empty() && IsSpace(line.front())) line.remove_prefix(1);
    if (line.empty() || line.front() == '#') continue;

    args.clear();
    // Redis reads manifest lines with sdssplitargs too.
    if (!resp::SplitArgs(line, &args)) return LineError(line_no, "unbalanced quotes");
    // At least file/seq/type; more pairs are allowed for forward compatibility (Redis 7.4
    // adds startoffset/endoffset).
    if (args.size() < 6 || args.size() % 2 != 0) {
      return LineError(line_no, "expected 'file <name> seq <n> type <b|h|i>'");
    }
    AofFileInfo info;
    bool have_name = false;
    bool have_seq = false;
    bool have_type = false;
    for (size_t i = 0; i < args.size(); i += 2) {
      const std::string& key = args[i];
      const std::string& value = args[i + 1];
      if (EqualsIgnoreCase(key, "file")) {
        if (value.empty()) return LineError(line_no, "empty file name");
        if (value.find('/') != std::string::npos) {
          return LineError(line_no, "File can't be a path, just a filename");
        }
        info.name = value;
        have_name = true;
      } else if (EqualsIgnoreCase(key, "seq")) {
        if (!ParseUint64(value, &info.seq) || info.seq == 0) {
          return LineError(line_no, "seq must be a positive integer");
        }
        have_seq = true;
      } else if (EqualsIgnoreCase(key, "type")) {
        if (value.size() != 1 || (value[0] != 'b' && value[0] != 'h' && value[0] != 'i')) {
          return LineError(line_no, "Unknown AOF file type");
        }
        info.type = value[0];
        have_type = true;
      }
    }
    if (!have_name || !have_seq || !have_type) {
      return LineError(line_no, "each line needs file, seq and type");
    }
    switch (info.type) {
      case 'b':
        if (m.base) return LineError(line_no, "Found duplicate base file information");
        m.base = std::move(info);
        break;
      case 'h':
        break;  // a file a finished rewrite made obsolete; Redis deletes it later
      default:
        if (!m.incrs.empty() && info.seq <= m.incrs.back().seq) {
          return LineError(line_no, "Found a non-monotonic sequence number");
        }
        m.incrs.push_back(std::move(info));
    }
  }
  if (!m.base && m.incrs.empty()) {
    // Redis refuses an empty manifest too; loading "nothing" would silently drop the data.
    return Status::Corruption("Invalid AOF manifest file format: Found an empty AOF manifest");
  }
  return m;
}

std::string Manifest::BaseName(std::string_view prefix, uint64_t seq) {
  std::string s(prefix);
  s.append(".").append(std::to_string(seq)).append(kBaseSuffix);
  return s;
}

std::string Manifest::IncrName(std::string_view prefix, uint64_t seq) {
  std::string s(prefix);
  s.append(".").append(std::to_string(seq)).append(kIncrSuffix);
  return s;
}

std::string Manifest::ManifestName(std::string_view prefix) {
  std::string s(prefix);
  s.append(kManifestSuffix);
  return s;
}

uint64_t Manifest::MaxSeq() const {
  uint64_t max = base ? base->seq : 0;
  for (const AofFileInfo& info : incrs) max = std::max(max, info.seq);
  return max;
}

}  // namespace pykv::persistence
