// CommandRunner: runs the commands a person or a script gives pykv-cli over RESP, keeping
// the connection usable across server restarts and failovers. It connects on first use
// (AUTH and HELLO 3 as the options ask), reconnects when the server went away, and, when
// sentinels are named, asks them for the current primary (SENTINEL
// GET-MASTER-ADDR-BY-NAME) and follows it after a failover: a lost connection or a
// -READONLY refusal (the old primary became a replica) makes it ask again and retry
// there, for up to failover_wait_ms. Used by the one-command, stdin and interactive modes.
// One thread; not thread-safe.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "cli/connect_options.h"
#include "cli/resp_client.h"
#include "common/status.h"
#include "resp/reply_parser.h"

namespace pykv::cli {

struct SentinelOptions {
  struct Address {
    std::string host;
    int port = 26379;
  };
  std::vector<Address> sentinels;  // empty: no sentinel, connect to ConnectOptions' address
  std::string master;              // the name the sentinels monitor
  uint64_t failover_wait_ms = 30000;
};

// Parses "host:port[,host:port...]" (port defaults to 26379) into *out.
[[nodiscard]] Status ParseSentinelList(std::string_view text,
                                       std::vector<SentinelOptions::Address>* out);

class CommandRunner {
 public:
  CommandRunner(ConnectOptions options, SentinelOptions sentinel);

  // Connects now if not connected. The error reads "Could not connect to HOST:PORT: why",
  // or "AUTH failed: ..." when the server refused the credentials.
  [[nodiscard]] Status EnsureConnected();
  bool connected() const { return client_.connected(); }
  // Runs one command. A Status error means no reply could be had (the message is ready to
  // print); an error reply is a reply.
  StatusOr<resp::ReplyValue> Run(std::span<const std::string> argv);
  // The last Run sent SHUTDOWN and the connection then ended with no reply: the server is
  // stopping (redis-cli prints nothing for it and succeeds).
  bool server_shut_down() const { return server_shut_down_; }
  // The next reply of a stream (MONITOR, SUBSCRIBE) on the current connection.
  StatusOr<resp::ReplyValue> ReadMore() { return client_.Read(0); }
  // The address commands go to now ("127.0.0.1:6379"), as the prompt shows it.
  std::string address_label() const { return AddressLabel(options_.host, options_.port); }
  const ConnectOptions& options() const { return options_; }

 private:
  bool uses_sentinel() const { return !sentinel_.sentinels.empty(); }
  // Asks the sentinels, in order, where the primary is; updates options_ on success.
  Status LocatePrimary();
  Status ConnectOnce();
  // With sentinels: keeps locating and connecting, with back-off, for failover_wait_ms.
  Status ConnectFollowingFailover();

  ConnectOptions options_;
  SentinelOptions sentinel_;
  RespClient client_;
  bool server_shut_down_ = false;
};

}  // namespace pykv::cli
