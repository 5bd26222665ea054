// Session: one connected client as the server's client registry sees it, whatever its
// transport (a RESP connection, an HTTP connection). The registry keeps every session in
// one table so CLIENT LIST/KILL, maxclients, timeouts, CLIENT PAUSE and the reply release
// after the AOF (the ack barrier in ClientState) treat all transports alike.
// SessionHost: what a session asks of that registry. Both: loop thread only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "commands/client_state.h"

namespace pykv::cmd {

// The connection's figures CLIENT LIST shows.
struct ConnectionFigures {
  int fd = -1;
  size_t query_buffered = 0;   // qbuf
  size_t query_capacity = 0;   // qbuf-free, rbs, rbp
  size_t output_buffered = 0;  // obl
  size_t output_memory = 0;    // omem
  size_t total_memory = 0;     // tot-mem
  bool reading = false;        // events=r
};

class Session {
 public:
  virtual ~Session() = default;

  virtual ClientState& state() = 0;
  virtual const ClientState& state() const = 0;
  // A CLIENT PAUSE ended: run the postponed request, then the rest of the input.
  virtual void Resume() = 0;
  // Sends queued replies (the registry calls it once the AOF holds state().ack_barrier).
  virtual void Flush() = 0;
  // The output has grown: enforce the output buffer limits.
  virtual void CheckOutputLimits(int64_t now_ms) = 0;
  // Returns buffer memory of a client idle for a while.
  virtual void ReleaseIdleBuffers() = 0;
  // Closes after the current reply is out (CLIENT KILL, timeouts).
  virtual void Kill() = 0;
  // Closes now, dropping unsent output.
  virtual void CloseNow() = 0;
  virtual bool closing() const = 0;
  virtual bool peer_is_loopback() const = 0;
  virtual ConnectionFigures Figures() const = 0;
  // Since when the output has been over the soft limit (0: it is not).
  virtual int64_t soft_limit_since_ms() const = 0;
  // The cron's per-client check for what the transport times out on its own (an HTTP
  // connection idle or stuck in a request).
  virtual void Tick(int64_t /*now_ms*/) {}

  // Set while the session sits in the registry's list of sessions to flush.
  bool write_scheduled = false;
};

// The CLIENT LIST line of a client (no trailing newline), Redis 7.0's fields.
std::string DescribeClient(const ClientState& c, const ConnectionFigures& f, int64_t now_ms);

// Counters the sessions feed (INFO stats).
struct NetStats {
  uint64_t total_net_input_bytes = 0;
  uint64_t total_net_output_bytes = 0;
  uint64_t client_query_buffer_limit_disconnections = 0;
  uint64_t client_output_buffer_limit_disconnections = 0;
};

class SessionHost {
 public:
  virtual ~SessionHost() = default;
  // The session has replies to flush before the loop sleeps.
  virtual void MarkPendingWrite(Session* s) = 0;
  // The session holds a postponed request; Resume() it when the pause ends.
  virtual void AddPaused(Session* s) = 0;
  // Called from the session's close callback; the host frees it after the callback.
  virtual void OnSessionClosed(Session* s) = 0;
  virtual NetStats& net_stats() = 0;
};

}  // namespace pykv::cmd
