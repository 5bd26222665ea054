// RespClient: a blocking RESP client for pykv-cli's one-command, stdin and interactive
// modes, built on the project's own pieces: net::Connector and net::Connection for the
// socket, resp::EncodeCommand for requests and resp::ReplyParser for replies. It owns a
// private libuv loop that runs only while a call waits, so the caller reads as plain
// sequential code. One thread; not thread-safe.
#pragma once

#include <uv.h>

#include <cstdint>
#include <deque>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "cli/connect_options.h"
#include "common/status.h"
#include "net/connection.h"
#include "net/connector.h"
#include "resp/reply_parser.h"

namespace pykv::cli {

class RespClient : private net::ConnectionHandler {
 public:
  RespClient();
  ~RespClient() override;
  RespClient(const RespClient&) = delete;
  RespClient& operator=(const RespClient&) = delete;

  // Opens the connection (closing any previous one). The message on failure is the
  // system's ("Connection refused").
  [[nodiscard]] Status Connect(const std::string& host, int port, uint64_t timeout_ms);
  // Connects, then AUTH and HELLO 3 as the options ask. An AUTH refusal is an error
  // whose message is the server's ("WRONGPASS ...").
  [[nodiscard]] Status ConnectAndIntroduce(const ConnectOptions& options);
  bool connected() const { return conn_ != nullptr && !conn_->closing(); }
  void Disconnect();

  // Sends one command and waits for its reply. timeout_ms 0 waits as long as it takes.
  // An error reply is a reply (check is_error()); a Status error means the connection
  // failed or timed out (and is then closed).
  StatusOr<resp::ReplyValue> Call(std::span<const std::string> argv, uint64_t timeout_ms = 0);
  // The two halves of Call, for pipelines and for streams (MONITOR, SUBSCRIBE).
  void Send(std::span<const std::string> argv);
  StatusOr<resp::ReplyValue> Read(uint64_t timeout_ms = 0);

 private:
  std::span<char> OnReadBuffer(size_t suggested) override;
  void OnRead(size_t n) override;
  void OnClose() override;
  // Runs the loop until `done` holds, the connection is lost, or timeout_ms passed.
  template <typename Pred>
  bool RunUntil(Pred done, uint64_t timeout_ms);
  void DrainClosed();

  uv_loop_t loop_;
  uv_timer_t timer_;
  bool timed_out_ = false;
  std::unique_ptr<net::Connector> connector_;
  std::unique_ptr<net::Connection> conn_;
  std::vector<std::unique_ptr<net::Connection>> closing_;  // waiting for their close callback
  resp::ReplyParser parser_;
  std::deque<resp::ReplyValue> replies_;
  std::string read_buf_;
  std::string error_;  // why the connection dropped (protocol error), if known
};

}  // namespace pykv::cli
