#include "commands/errors.h"

#include <cctype>
#include <string>

#include "common/numbers.h"

namespace pykv::cmd::err {

std::string WrongArgs(std::string_view command_name) {
  return "ERR wrong number of arguments for '" + ToLower(command_name) + "' command";
}

namespace {
// Redis formats these texts with %s, which ends at a NUL byte.
std::string_view UpToNul(std::string_view s) {
  return s.substr(0, s.find('\0'));
}

std::string Upper(std::string_view s) {
  std::string upper(s);
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return upper;
}
}  // namespace

std::string UnknownCommand(std::string_view name, std::span<const std::string_view> args) {
  // Redis quotes the arguments until the list reaches 128 bytes.
  std::string quoted;
  for (size_t i = 1; i < args.size() && quoted.size() < 128; ++i) {
    size_t room = 128 - quoted.size();
    quoted += "'";
    quoted.append(UpToNul(args[i]).substr(0, room));
    quoted += "' ";
  }
  return "ERR unknown command '" + std::string(UpToNul(name).substr(0, 128)) +
         "', with args beginning with: " + quoted;
}

std::string UnknownSubcommand(std::string_view sub, std::string_view parent) {
  return "ERR unknown subcommand '" + std::string(UpToNul(sub).substr(0, 128)) + "'. Try " +
         Upper(parent) + " HELP.";
}

std::string SubcommandSyntax(std::span<const std::string_view> args) {
  return "ERR unknown subcommand or wrong number of arguments for '" +
         std::string(UpToNul(args[1]).substr(0, 128)) + "'. Try " + Upper(args[0]) + " HELP.";
}

std::string InvalidExpire(std::string_view command_name) {
  return "ERR invalid expire time in '" + ToLower(command_name) + "' command";
}

}  // namespace pykv::cmd::err
