// HttpSession: one HTTP/1.1 client connection. Bytes in go to a RequestReader; each
// complete request, in order (pipelining), is answered by the KvApi, whose commands run
// as this client through the server's RequestExecutor exactly like a RESP client's: the
// replies are written as RESP into a scratch buffer and read back by resp::ReplyParser.
// Responses wait in the connection's output until the ClientRegistry releases them (after
// the AOF holds the request's writes). Keep-alive, Connection: close, HEAD, the idle
// timeout (which also ends requests that never finish: slowloris) and CLIENT PAUSE (the
// whole request waits and is run again) are handled here. Loop thread only; owned by the
// ClientRegistry, destroyed only after the connection's close callback.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "commands/client_state.h"
#include "commands/request_executor.h"
#include "commands/session.h"
#include "common/out_buffer.h"
#include "http/kv_api.h"
#include "http/request_reader.h"
#include "net/connection.h"
#include "resp/reply_parser.h"
#include "resp/reply_writer.h"

namespace pykv::http {

struct HttpSettings {
  int idle_timeout_seconds = 60;  // http-timeout
  ReaderLimits limits;
};

struct HttpSessionContext {
  cmd::SessionHost* host;
  cmd::RequestExecutor* executor;
  KvApi* api;
  HttpStats* stats;
  const HttpSettings* settings;
};

class HttpSession final : public cmd::Session,
                          public net::ConnectionHandler,
                          private CommandRunner {
 public:
  HttpSession(const HttpSessionContext& ctx, std::unique_ptr<net::Connection> conn, uint64_t id,
              int64_t now_ms);
  ~HttpSession() override;

  // cmd::Session
  cmd::ClientState& state() override { return state_; }
  const cmd::ClientState& state() const override { return state_; }
  void Resume() override;
  void Flush() override;
  void CheckOutputLimits(int64_t now_ms) override;
  void ReleaseIdleBuffers() override;
  void Kill() override;
  void CloseNow() override { conn_->Close(); }
  bool closing() const override { return conn_->closing(); }
  bool peer_is_loopback() const override { return conn_->peer_is_loopback(); }
  cmd::ConnectionFigures Figures() const override;
  int64_t soft_limit_since_ms() const override { return 0; }
  void Tick(int64_t now_ms) override;

  // net::ConnectionHandler
  std::span<char> OnReadBuffer(size_t suggested) override;
  void OnRead(size_t n) override;
  void OnClose() override;
  void OnDrained() override;

 private:
  // Answers every queued request that can be answered now.
  void ProcessRequests();
  void Respond(const HttpResponse& r, bool keep_alive, bool head);
  // CommandRunner
  std::optional<resp::ReplyValue> Run(cmd::Args argv) override;

  HttpSessionContext ctx_;
  std::unique_ptr<net::Connection> conn_;
  RequestReader reader_;
  cmd::ClientState state_;
  OutBuffer scratch_;  // RESP replies of the request's commands, read back at once
  resp::ReplyWriter writer_;
  resp::ReplyParser replies_;
  std::vector<char> read_buf_;
  bool paused_ = false;
  bool reading_paused_for_output_ = false;
  int64_t last_activity_ms_ = 0;
  int64_t request_started_ms_ = 0;  // when the request being read began
  uint64_t requests_seen_ = 0;      // reader_.requests_begun() at the last read
};

}  // namespace pykv::http
