#include "cli/http_command.h"

#include <cctype>
#include <limits>

#include "common/numbers.h"

namespace pykv::cli {
namespace {

using Kind = HttpCommand::Kind;

Status WrongArity(std::string_view name) {
  return Status::Invalid("ERR wrong number of arguments for '" + ToLower(name) + "' command");
}

// Redis's checks for EX/PX: an integer, above zero, and small enough in milliseconds.
Status ParseExpire(std::string_view name, const std::string& text, bool seconds,
                   std::optional<int64_t>* ttl_ms) {
  int64_t n = 0;
  if (!ParseInt64(text, &n)) return Status::Invalid("ERR value is not an integer or out of range");
  if (n <= 0 || (seconds && n > std::numeric_limits<int64_t>::max() / 1000)) {
    return Status::Invalid("ERR invalid expire time in '" + ToLower(name) + "' command");
  }
  *ttl_ms = seconds ? n * 1000 : n;
  return Status::Ok();
}

// SET/UPDATE key value [options]: NX, XX and KEEPTTL only for SET.
StatusOr<HttpCommand> ParseWrite(Kind kind, std::span<const std::string> argv) {
  const std::string& name = argv[0];
  if (argv.size() < 3) return WrongArity(name);
  HttpCommand cmd;
  cmd.kind = kind;
  cmd.keys.push_back(argv[1]);
  cmd.value = argv[2];
  bool keepttl = false;
  for (size_t i = 3; i < argv.size(); ++i) {
    const std::string& opt = argv[i];
    const bool has_next = i + 1 < argv.size();
    const bool is_set = kind == Kind::kSet;
    if ((EqualsIgnoreCase(opt, "EX") || EqualsIgnoreCase(opt, "PX")) && has_next && !cmd.ttl_ms &&
        !keepttl) {
      if (Status s = ParseExpire(name, argv[i + 1], EqualsIgnoreCase(opt, "EX"), &cmd.ttl_ms);
          !s.ok()) {
        return s;
      }
      ++i;
    } else if (is_set && EqualsIgnoreCase(opt, "NX") && !cmd.xx) {
      cmd.nx = true;
    } else if (is_set && EqualsIgnoreCase(opt, "XX") && !cmd.nx) {
      cmd.xx = true;
    } else if (is_set && EqualsIgnoreCase(opt, "KEEPTTL") && !cmd.ttl_ms) {
      // An update over HTTP keeps the TTL whenever it sets none: nothing more to ask.
      keepttl = true;
    } else if (is_set && (EqualsIgnoreCase(opt, "GET") || EqualsIgnoreCase(opt, "EXAT") ||
                          EqualsIgnoreCase(opt, "PXAT"))) {
      std::string upper = opt;
      for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      return Status::Invalid("ERR SET " + upper + " is not supported in HTTP mode");
    } else {
      return Status::Invalid("ERR syntax error");
    }
  }
  return cmd;
}

}  // namespace

std::string GlobLiteralPrefix(std::string_view pattern) {
  const size_t end = pattern.find_first_of("*?[\\");
  return std::string(pattern.substr(0, end));
}

StatusOr<HttpCommand> ParseHttpCommand(std::span<const std::string> argv) {
  if (argv.empty()) return Status::Invalid("ERR empty command");
  const std::string& name = argv[0];
  auto is = [&](const char* candidate) { return EqualsIgnoreCase(name, candidate); };
  HttpCommand cmd;
  if (is("SET")) return ParseWrite(Kind::kSet, argv);
  if (is("UPDATE")) return ParseWrite(Kind::kUpdate, argv);
  if (is("GET") || is("TTL") || is("PTTL")) {
    if (argv.size() != 2) return WrongArity(name);
    cmd.kind = is("GET") ? Kind::kGet : is("TTL") ? Kind::kTtl : Kind::kPttl;
    cmd.keys.push_back(argv[1]);
    return cmd;
  }
  if (is("DEL") || is("EXISTS")) {
    if (argv.size() < 2) return WrongArity(name);
    cmd.kind = is("DEL") ? Kind::kDel : Kind::kExists;
    cmd.keys.assign(argv.begin() + 1, argv.end());
    return cmd;
  }
  if (is("LIST") || is("KEYS")) {
    if (argv.size() > 2) return WrongArity(name);
    cmd.kind = Kind::kList;
    if (argv.size() == 2) {
      if (is("KEYS")) {
        cmd.prefix = GlobLiteralPrefix(argv[1]);
        cmd.pattern = argv[1];
      } else {
        cmd.prefix = argv[1];
      }
    }
    return cmd;
  }
  if (is("PING")) {
    if (argv.size() > 2) return WrongArity(name);
    cmd.kind = Kind::kPing;
    if (argv.size() == 2) cmd.keys.push_back(argv[1]);
    return cmd;
  }
  return Status::Invalid("ERR unknown command '" + name +
                         "' in HTTP mode (supported: " + kHttpSupportedCommands + ")");
}

}  // namespace pykv::cli
