// ClientSession: one RESP client connection: the socket (net::Connection), the request
// parser, the reply writer and the command layer's ClientState. It turns bytes in into
// requests run through the RequestExecutor, pipelined, and leaves replies in the
// connection's output buffer for the ClientRegistry to release before the loop sleeps.
// Loop thread only; owned by the ClientRegistry, destroyed only after the connection's
// close callback.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "commands/client_state.h"
#include "commands/command.h"
#include "commands/request_executor.h"
#include "commands/session.h"
#include "net/connection.h"
#include "replication/replica_channel.h"
#include "resp/reply_writer.h"
#include "resp/request_parser.h"
#include "server/config.h"
#include "store/keyspace.h"
#include "store/prefetch_window.h"

namespace pykv::server {

// What a session needs of the server, all owned by it and outliving every session.
struct SessionContext {
  cmd::SessionHost* host;
  cmd::RequestExecutor* executor;
  store::Keyspace* keyspace;  // key prefetch for pipelines
  const Settings* settings;   // output buffer limits, requirepass
  const resp::ParserLimits* parser_limits;
};

// After PSYNC the same session is the primary side's channel to that replica: its output
// carries the replication stream, its input the replica's REPLCONF ACKs.
class ClientSession final : public cmd::Session,
                            public net::ConnectionHandler,
                            public replication::ReplicaChannel {
 public:
  ClientSession(const SessionContext& ctx, std::unique_ptr<net::Connection> conn, uint64_t id,
                int64_t now_ms);
  ~ClientSession() override;

  // Runs every complete command buffered (after a read).
  void ProcessInput();
  // Waiting for CLIENT UNPAUSE / pause expiry with commands still buffered.
  bool paused() const { return paused_; }

  // cmd::Session
  cmd::ClientState& state() override { return state_; }
  const cmd::ClientState& state() const override { return state_; }
  void Resume() override;
  // Sends queued replies; closes afterwards when the client asked (QUIT) or was killed.
  void Flush() override;
  void CheckOutputLimits(int64_t now_ms) override;
  void ReleaseIdleBuffers() override;
  void Kill() override;
  void CloseNow() override { conn_->Close(); }
  bool closing() const override { return conn_->closing(); }
  bool peer_is_loopback() const override { return conn_->peer_is_loopback(); }
  cmd::ConnectionFigures Figures() const override;
  int64_t soft_limit_since_ms() const override { return soft_limit_since_ms_; }

  // replication::ReplicaChannel
  void Send(std::string_view bytes) override { conn_->output().Append(bytes); }
  size_t pending_output() const override { return conn_->pending_output(); }
  void Close() override { conn_->Close(); }

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

  SessionContext ctx_;
  std::unique_ptr<net::Connection> conn_;
  resp::RequestParser parser_;
  resp::ReplyWriter writer_;
  cmd::ClientState state_;
  bool paused_ = false;
  bool executing_ = false;  // inside Dispatcher::Execute for this client
  bool reading_paused_for_output_ = false;
  int64_t soft_limit_since_ms_ = 0;
  store::PrefetchWindow prefetch_;
};

}  // namespace pykv::server
