#include "server/admission.h"

#include <doctest/doctest.h>

namespace pykv::server {

TEST_CASE("protected mode refuses remote peers only while no password is set") {
  Settings s;
  CHECK(AdmissionRefusal(s, 0, /*peer_is_loopback=*/true).empty());
  std::string refusal = AdmissionRefusal(s, 0, /*peer_is_loopback=*/false);
  CHECK(refusal.rfind("-DENIED ", 0) == 0);
  CHECK(refusal.size() > 2);
  CHECK(refusal.substr(refusal.size() - 2) == "\r\n");
  CHECK(refusal.find('\n') == refusal.size() - 1);  // one RESP line

  s.requirepass = "secret";
  CHECK(AdmissionRefusal(s, 0, false).empty());
  s.requirepass.clear();
  s.protected_mode = false;
  CHECK(AdmissionRefusal(s, 0, false).empty());
}

TEST_CASE("maxclients refuses the connection past the limit") {
  Settings s;
  s.maxclients = 2;
  CHECK(AdmissionRefusal(s, 1, true).empty());
  CHECK(AdmissionRefusal(s, 2, true) == "-ERR max number of clients reached\r\n");
}

}  // namespace pykv::server
