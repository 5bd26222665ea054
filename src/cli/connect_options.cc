#include "cli/connect_options.h"

#include <charconv>
#include <string>

namespace pykv::cli {
namespace {

bool ParsePort(std::string_view text, int* port) {
  int value = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || ptr != text.data() + text.size() || value < 1 || value > 65535) {
    return false;
  }
  *port = value;
  return true;
}

}  // namespace

Status ApplyUri(std::string_view uri, ConnectOptions* options) {
  std::string_view rest = uri;
  size_t scheme_end = rest.find("://");
  if (scheme_end == std::string_view::npos) {
    return Status::Invalid("Invalid URI scheme: expected pykv://[[user]:password@]host[:port]");
  }
  std::string_view scheme = rest.substr(0, scheme_end);
  if (scheme != "pykv" && scheme != "redis") {
    return Status::Invalid("Invalid URI scheme '" + std::string(scheme) +
                           "': expected pykv:// or redis://");
  }
  rest.remove_prefix(scheme_end + 3);

  // The database is the path; only 0 exists.
  if (size_t slash = rest.find('/'); slash != std::string_view::npos) {
    std::string_view db = rest.substr(slash + 1);
    if (!db.empty() && db != "0") {
      return Status::Invalid("Invalid URI: PyKV serves database 0 only");
    }
    rest = rest.substr(0, slash);
  }
  if (size_t at = rest.rfind('@'); at != std::string_view::npos) {
    std::string_view credentials = rest.substr(0, at);
    rest.remove_prefix(at + 1);
    if (size_t colon = credentials.find(':'); colon != std::string_view::npos) {
      options->user = std::string(credentials.substr(0, colon));
      options->password = std::string(credentials.substr(colon + 1));
    } else {
      // redis-cli reads a lone credential as the password.
      options->password = std::string(credentials);
    }
  }
  std::string_view host = rest;
  std::string_view port;
  if (!rest.empty() && rest.front() == '[') {
    size_t close = rest.find(']');
    if (close == std::string_view::npos) return Status::Invalid("Invalid URI: unclosed '['");
    host = rest.substr(1, close - 1);
    std::string_view after = rest.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return Status::Invalid("Invalid URI: text after ']'");
      port = after.substr(1);
    }
  } else if (size_t colon = rest.rfind(':'); colon != std::string_view::npos) {
    host = rest.substr(0, colon);
    port = rest.substr(colon + 1);
  }
  if (!host.empty()) options->host = std::string(host);
  if (!port.empty() && !ParsePort(port, &options->port)) {
    return Status::Invalid("Invalid URI: bad port '" + std::string(port) + "'");
  }
  return Status::Ok();
}

std::string AddressLabel(std::string_view host, int port) {
  std::string out;
  if (host.find(':') != std::string_view::npos) {
    out += '[';
    out += host;
    out += ']';
  } else {
    out += host;
  }
  out += ':';
  out += std::to_string(port);
  return out;
}

}  // namespace pykv::cli
