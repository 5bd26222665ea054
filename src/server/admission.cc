#include "server/admission.h"

namespace pykv::server {

std::string AdmissionRefusal(const Settings& s, size_t connected_clients, bool peer_is_loopback) {
  if (connected_clients >= static_cast<size_t>(s.maxclients)) {
    return "-ERR max number of clients reached\r\n";
  }
  // As Redis: with no password, only the local machine may talk to an unprotected server.
  if (s.protected_mode && s.requirepass.empty() && !peer_is_loopback) {
    return "-DENIED PyKV is running in protected mode because protected mode is enabled and "
           "no password is set for the default user. In this mode connections are only "
           "accepted from the loopback interface. To accept connections from other hosts, "
           "either set a password (requirepass), or disable protected mode with 'CONFIG SET "
           "protected-mode no' from the loopback interface (and CONFIG REWRITE to keep it), or "
           "restart the server with '--protected-mode no'.\r\n";
  }
  return {};
}

}  // namespace pykv::server
