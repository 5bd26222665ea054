// Admission: whether a new TCP connection may become a client (maxclients, protected
// mode), decided from the settings alone so the rule is testable without sockets.
// Pure function; loop thread.
#pragma once

#include <cstddef>
#include <string>

#include "server/config.h"

namespace pykv::server {

// "" when the connection is admitted; otherwise the RESP error line (with CRLF) to send
// before closing it.
std::string AdmissionRefusal(const Settings& settings, size_t connected_clients,
                             bool peer_is_loopback);

}  // namespace pykv::server
