// Redis's error replies, spelled once so every handler answers with the same bytes as
// Redis 7.0 does.
#pragma once

#include <span>
#include <string>
#include <string_view>

namespace pykv::cmd::err {

inline constexpr std::string_view kSyntax = "ERR syntax error";
inline constexpr std::string_view kWrongType =
    "WRONGTYPE Operation against a key holding the wrong kind of value";
inline constexpr std::string_view kNotInteger = "ERR value is not an integer or out of range";
inline constexpr std::string_view kNotFloat = "ERR value is not a valid float";
inline constexpr std::string_view kOverflow = "ERR increment or decrement would overflow";
inline constexpr std::string_view kNoSuchKey = "ERR no such key";
inline constexpr std::string_view kNoAuth = "NOAUTH Authentication required.";
inline constexpr std::string_view kWrongPass =
    "WRONGPASS invalid username-password pair or user is disabled.";
inline constexpr std::string_view kOom = "OOM command not allowed when used memory > 'maxmemory'.";
// maxkeys is PyKV's own limit: its refusal names it, so nobody goes looking at maxmemory.
inline constexpr std::string_view kOomKeys =
    "OOM command not allowed when the number of keys > 'maxkeys'.";
inline constexpr std::string_view kLoading = "LOADING PyKV is loading the dataset in memory";
inline constexpr std::string_view kReadonly =
    "READONLY You can't write against a read only replica.";
inline constexpr std::string_view kNoReplicas = "NOREPLICAS Not enough good replicas to write.";
inline constexpr std::string_view kMasterDown =
    "MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.";
inline constexpr std::string_view kDbIndex = "ERR DB index is out of range";
inline constexpr std::string_view kStringTooLong =
    "ERR string exceeds maximum allowed size (proto-max-bulk-len)";

std::string WrongArgs(std::string_view command_name);  // wrong number of arguments
std::string UnknownCommand(std::string_view name, std::span<const std::string_view> args);
std::string UnknownSubcommand(std::string_view sub, std::string_view parent);
// A known subcommand given the wrong number of arguments where Redis checks the count in
// the handler (CLIENT PAUSE a b c, SLOWLOG GET 1 2): args[0] and args[1] are named.
std::string SubcommandSyntax(std::span<const std::string_view> args);
std::string InvalidExpire(std::string_view command_name);

}  // namespace pykv::cmd::err
