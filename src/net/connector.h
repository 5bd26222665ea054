// Connector: opens one outgoing TCP connection. It resolves the host (a numeric address
// directly, a name with uv_getaddrinfo), connects with a time limit covering both steps,
// and hands back a net::Connection set up like an accepted one (no-delay, addresses), so
// clients of PyKV (pykv-cli, the replica link) read and write exactly as the server's
// sessions do. Loop thread only: construct, Start(), and receive the result on the loop.
//
// The callback runs exactly once per Start() (before Start returns when the address is
// malformed or the kernel refuses at once), unless the Connector is destroyed first:
// destroying it cancels the attempt and the callback never runs (what is in flight frees
// itself once libuv let go of it).
#pragma once

#include <uv.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "common/status.h"
#include "net/connection.h"

namespace pykv::net {

class Connector {
 public:
  // On failure the message reads like redis-cli's: "Connection refused", "Connection timed
  // out", or the resolver's words for a bad name.
  using Done = std::function<void(StatusOr<std::unique_ptr<Connection>>)>;

  explicit Connector(uv_loop_t* loop);
  ~Connector();
  Connector(const Connector&) = delete;
  Connector& operator=(const Connector&) = delete;

  // Starts connecting to host:port; a previous attempt still in flight is cancelled.
  // timeout_ms 0 means no limit beyond the kernel's.
  void Start(std::string host, int port, uint64_t timeout_ms, Done done);
  void Cancel();
  bool busy() const { return attempt_ != nullptr; }

 private:
  struct Attempt;
  friend struct Attempt;
  uv_loop_t* loop_;
  Attempt* attempt_ = nullptr;  // owned by itself: it lives until libuv let go of it
};

}  // namespace pykv::net
