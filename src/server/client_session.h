// ClientSession: one client connection as the server sees it: the socket (net::Connection),
// the request parser, the reply writer and the command layer's ClientState. It turns bytes
// in into Dispatcher::Execute calls, pipelined, and leaves replies in the connection's
// output buffer for the server to flush before the loop sleeps. Loop thread only; owned by
// the Server, destroyed only after the connection's close callback.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "commands/client_state.h"
#include "commands/command.h"
#include "net/connection.h"
#include "resp/reply_writer.h"
#include "resp/request_parser.h"
#include "server/config.h"
#include "store/prefetch_window.h"

namespace pykv::server {

class Server;

class ClientSession final : public net::ConnectionHandler {
 public:
  ClientSession(Server* server, std::unique_ptr<net::Connection> conn, uint64_t id,
                const resp::ParserLimits* limits, int64_t now_ms);
  ~ClientSession() override;

  cmd::ClientState& state() { return state_; }
  const cmd::ClientState& state() const { return state_; }
  net::Connection& connection() { return *conn_; }
  const net::Connection& connection() const { return *conn_; }
  const resp::RequestParser& parser() const { return parser_; }
  resp::ReplyWriter& writer() { return writer_; }

  // Runs every complete command buffered (after a read).
  void ProcessInput();
  // A client pause ended: run the command that waited, then the rest of the input.
  void Resume();
  // The output has grown: enforce the output buffer limits.
  void CheckOutputLimits(int64_t now_ms);
  // Returns buffer memory of a client that has been idle for a while.
  void ReleaseIdleBuffers();
  // Sends queued replies; closes afterwards when the client asked (QUIT) or was killed.
  void Flush();
  // Closes after the current reply is out (CLIENT KILL, SHUTDOWN, timeouts).
  void Kill();
  bool closing() const { return conn_->closing(); }
  // Waiting for CLIENT UNPAUSE / pause expiry with commands still buffered.
  bool paused() const { return paused_; }
  // Set while the session sits in the server's list of clients to flush.
  bool write_scheduled = false;
  // AOF position its queued replies acknowledge: they go out once that is durable.
  uint64_t ack_barrier() const { return ack_barrier_; }

  // The CLIENT LIST line (no trailing newline), Redis 7.0's fields.
  std::string Describe(int64_t now_ms) const;
  // Output + query buffer memory (INFO clients, CLIENT LIST tot-mem).
  size_t MemoryUsage() const;
  int64_t soft_limit_since_ms() const { return soft_limit_since_ms_; }

  // net::ConnectionHandler
  std::span<char> OnReadBuffer(size_t suggested) override;
  void OnRead(size_t n) override;
  void OnClose() override;
  void OnDrained() override;

 private:
  // False when CLIENT PAUSE postponed it (nothing ran).
  bool ExecuteOne(cmd::Args argv);
  void Postpone();
  // Closes past the hard limit, or pauses input past the pause threshold; true if either.
  bool OutputOverLimit();
  const OutputLimit& output_limit() const;
  bool CloseIfOverHardLimit();
  bool PauseIfOutputPiledUp();

  Server* server_;
  std::unique_ptr<net::Connection> conn_;
  resp::RequestParser parser_;
  resp::ReplyWriter writer_;
  cmd::ClientState state_;
  bool paused_ = false;
  uint64_t ack_barrier_ = 0;
  std::vector<std::string> pending_;  // the command that met a CLIENT PAUSE
  bool executing_ = false;            // inside Dispatcher::Execute for this client
  bool reading_paused_for_output_ = false;
  int64_t soft_limit_since_ms_ = 0;
  store::PrefetchWindow prefetch_;
};

}  // namespace pykv::server
