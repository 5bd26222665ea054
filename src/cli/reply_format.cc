#include "cli/reply_format.h"

#include <cctype>
#include <string_view>

#include "common/numbers.h"
#include "resp/split_args.h"

namespace pykv::cli {
namespace {

using resp::ReplyValue;
using Type = ReplyValue::Type;

bool IsNonEmptyAggregate(const ReplyValue& r) {
  return r.is_aggregate() && !r.elements.empty();
}

const char* EmptyLabel(const ReplyValue& r) {
  switch (r.type) {
    case Type::kMap:
      return "(empty hash)\n";
    case Type::kSet:
      return "(empty set)\n";
    case Type::kPush:
      return "(empty push)\n";
    default:
      return "(empty array)\n";
  }
}

// `prefix` is the indentation of the aggregate this reply is an element of: its own first
// line follows the number the caller already wrote, its later lines start with prefix.
void AppendHuman(const ReplyValue& r, const std::string& prefix, std::string* out) {
  switch (r.type) {
    case Type::kError:
      *out += "(error) ";
      *out += r.str;
      *out += '\n';
      return;
    case Type::kSimple:
    case Type::kVerbatim:
      // Verbatim text (INFO under RESP3) is meant to be read as it is.
      *out += r.str;
      *out += '\n';
      return;
    case Type::kBulk:
      resp::AppendRepr(out, r.str);
      *out += '\n';
      return;
    case Type::kInteger:
      *out += "(integer) ";
      *out += std::to_string(r.integer);
      *out += '\n';
      return;
    case Type::kDouble:
      *out += "(double) ";
      *out += r.str;
      *out += '\n';
      return;
    case Type::kBigNumber:
      *out += "(big number) ";
      *out += r.str;
      *out += '\n';
      return;
    case Type::kBool:
      *out += r.integer != 0 ? "(true)\n" : "(false)\n";
      return;
    case Type::kNull:
      *out += "(nil)\n";
      return;
    case Type::kArray:
    case Type::kSet:
    case Type::kPush:
    case Type::kMap:
    case Type::kAttribute:
      break;
  }
  if (r.elements.empty()) {
    *out += EmptyLabel(r);
    return;
  }
  const bool is_map = r.is_map() || r.type == Type::kAttribute;
  const size_t count = is_map ? r.map_size() : r.elements.size();
  size_t width = 0;
  for (size_t n = count; width == 0 || n > 0; n /= 10) ++width;
  // Nested lines line up under the text after "NN) ".
  const std::string child_prefix = prefix + std::string(width + 2, ' ');
  const char mark = r.is_set() ? '~' : (is_map ? '#' : ')');
  const size_t step = is_map ? 2 : 1;
  for (size_t i = 0; i < r.elements.size(); i += step) {
    if (i > 0) *out += prefix;
    std::string index = std::to_string(i / step + 1);
    out->append(width - index.size(), ' ');
    *out += index;
    *out += mark;
    *out += ' ';
    AppendHuman(r.elements[i], child_prefix, out);
    if (!is_map) continue;
    const ReplyValue& value = r.elements[i + 1];
    out->pop_back();  // the key's newline: the value follows on its line
    *out += " => ";
    if (IsNonEmptyAggregate(value)) {
      *out += '\n';
      *out += child_prefix;
    }
    AppendHuman(value, child_prefix, out);
  }
}

void AppendRaw(const ReplyValue& r, std::string* out) {
  switch (r.type) {
    case Type::kError:
      // redis-cli ends an error with a newline of its own, before the line's newline.
      *out += r.str;
      *out += '\n';
      return;
    case Type::kSimple:
    case Type::kBulk:
    case Type::kVerbatim:
    case Type::kDouble:
    case Type::kBigNumber:
      *out += r.str;
      return;
    case Type::kInteger:
      *out += std::to_string(r.integer);
      return;
    case Type::kBool:
      *out += r.integer != 0 ? "(true)" : "(false)";
      return;
    case Type::kNull:
      return;
    case Type::kArray:
    case Type::kSet:
    case Type::kPush:
    case Type::kMap:
    case Type::kAttribute:
      break;
  }
  const bool is_map = r.is_map() || r.type == Type::kAttribute;
  for (size_t i = 0; i < r.elements.size(); ++i) {
    if (i > 0) *out += (is_map && i % 2 == 1) ? ' ' : '\n';
    AppendRaw(r.elements[i], out);
  }
}

bool Is(std::string_view a, std::string_view b) {
  return EqualsIgnoreCase(a, b);
}

}  // namespace

bool RepliesWithText(std::span<const std::string> argv) {
  if (argv.empty()) return false;
  const std::string& cmd = argv[0];
  if (Is(cmd, "info") || Is(cmd, "lolwut")) return true;
  if (argv.size() < 2) return false;
  const std::string& sub = argv[1];
  if (Is(cmd, "client")) return Is(sub, "list") || Is(sub, "info");
  if (Is(cmd, "memory")) return Is(sub, "doctor") || Is(sub, "malloc-stats");
  if (Is(cmd, "latency")) return Is(sub, "doctor") || Is(sub, "graph");
  if (Is(cmd, "debug")) return Is(sub, "htstats") || Is(sub, "htstats-key");
  if (Is(cmd, "cluster")) return Is(sub, "nodes") || Is(sub, "info");
  return false;
}

std::string FormatReply(const resp::ReplyValue& reply, OutputMode mode) {
  std::string out;
  if (mode == OutputMode::kHuman) {
    AppendHuman(reply, "", &out);
  } else {
    AppendRaw(reply, &out);
    if (mode == OutputMode::kRaw) out += '\n';
  }
  return out;
}

}  // namespace pykv::cli
