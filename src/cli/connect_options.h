// ConnectOptions: where pykv-cli connects and how it introduces itself (host, port, user,
// password, RESP3), filled from -h/-p/-a/--user/-3 and -u URIs. Every mode of the CLI
// (one command, interactive, stdin, sentinel lookup, benchmark) connects with it.
// Plain values and pure functions; any thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"

namespace pykv::cli {

struct ConnectOptions {
  std::string host = "127.0.0.1";
  int port = 6379;
  std::string user;      // empty: AUTH with the password alone (the default user)
  std::string password;  // empty: no AUTH
  bool resp3 = false;    // send HELLO 3 after connecting
  uint64_t connect_timeout_ms = 5000;
};

// Applies a URI of the form scheme://[[user]:password@]host[:port][/0], as redis-cli's -u
// does. Accepted schemes: pykv and redis. Only database 0 exists; another number is refused.
[[nodiscard]] Status ApplyUri(std::string_view uri, ConnectOptions* options);

// "127.0.0.1:6379" ("[::1]:6379" for IPv6), as the prompt and messages show it.
std::string AddressLabel(std::string_view host, int port);

}  // namespace pykv::cli
