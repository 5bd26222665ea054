#include "cli/command_runner.h"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <thread>
#include <utility>

#include "common/numbers.h"

namespace pykv::cli {
namespace {

uint64_t NowMs() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                   std::chrono::steady_clock::now().time_since_epoch())
                                   .count());
}

bool IsReadOnlyRefusal(const resp::ReplyValue& reply) {
  return reply.is_error() && reply.str.starts_with("READONLY");
}

}  // namespace

Status ParseSentinelList(std::string_view text, std::vector<SentinelOptions::Address>* out) {
  while (!text.empty()) {
    size_t comma = text.find(',');
    std::string_view item = text.substr(0, comma);
    text = comma == std::string_view::npos ? std::string_view() : text.substr(comma + 1);
    if (item.empty()) continue;
    SentinelOptions::Address addr;
    size_t colon = item.rfind(':');
    if (colon == std::string_view::npos || (item.front() == '[' && item.back() == ']')) {
      addr.host = std::string(item);
    } else {
      addr.host = std::string(item.substr(0, colon));
      std::string_view port = item.substr(colon + 1);
      auto [p, ec] = std::from_chars(port.data(), port.data() + port.size(), addr.port);
      if (ec != std::errc() || p != port.data() + port.size() || addr.port < 1 ||
          addr.port > 65535) {
        return Status::Invalid("Invalid sentinel address '" + std::string(item) + "'");
      }
    }
    if (addr.host.size() > 2 && addr.host.front() == '[' && addr.host.back() == ']') {
      addr.host = addr.host.substr(1, addr.host.size() - 2);
    }
    out->push_back(std::move(addr));
  }
  if (out->empty()) return Status::Invalid("No sentinel address given");
  return Status::Ok();
}

CommandRunner::CommandRunner(ConnectOptions options, SentinelOptions sentinel)
    : options_(std::move(options)), sentinel_(std::move(sentinel)) {}

Status CommandRunner::LocatePrimary() {
  std::string last_error = "no sentinel answered";
  for (const SentinelOptions::Address& s : sentinel_.sentinels) {
    RespClient sentinel;
    const std::string label = AddressLabel(s.host, s.port);
    Status st = sentinel.Connect(s.host, s.port, options_.connect_timeout_ms);
    if (!st.ok()) {
      last_error = "Could not connect to sentinel " + label + ": " + st.message();
      continue;
    }
    std::vector<std::string> ask = {"SENTINEL", "GET-MASTER-ADDR-BY-NAME", sentinel_.master};
    StatusOr<resp::ReplyValue> reply = sentinel.Call(ask, options_.connect_timeout_ms);
    if (!reply.ok()) {
      last_error = "Sentinel " + label + ": " + reply.status().message();
      continue;
    }
    if (reply->is_error()) {
      last_error = "Sentinel " + label + ": " + reply->str;
      continue;
    }
    if (reply->is_null() || !reply->is_array() || reply->elements.size() != 2) {
      last_error = "Sentinel " + label + " does not know a master named '" + sentinel_.master + "'";
      continue;
    }
    const std::string& port = reply->elements[1].str;
    int port_number = 0;
    auto [p, ec] = std::from_chars(port.data(), port.data() + port.size(), port_number);
    if (ec != std::errc() || p != port.data() + port.size()) {
      last_error = "Sentinel " + label + " answered a bad port '" + port + "'";
      continue;
    }
    options_.host = reply->elements[0].str;
    options_.port = port_number;
    return Status::Ok();
  }
  return Status::IoError(last_error);
}

Status CommandRunner::ConnectOnce() {
  if (uses_sentinel()) {
    Status st = LocatePrimary();
    if (!st.ok()) return st;
  }
  Status st = client_.ConnectAndIntroduce(options_);
  if (st.ok()) return st;
  if (st.code() == Status::Code::kInvalid) return Status::Invalid("AUTH failed: " + st.message());
  return Status::IoError("Could not connect to " + address_label() + ": " + st.message());
}

Status CommandRunner::ConnectFollowingFailover() {
  Status st = ConnectOnce();
  if (st.ok() || !uses_sentinel() || st.code() == Status::Code::kInvalid) return st;
  const uint64_t deadline = NowMs() + sentinel_.failover_wait_ms;
  uint64_t pause_ms = 100;
  while (NowMs() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(pause_ms));
    pause_ms = std::min<uint64_t>(pause_ms * 2, 1000);
    st = ConnectOnce();
    if (st.ok() || st.code() == Status::Code::kInvalid) return st;
  }
  return st;
}

Status CommandRunner::EnsureConnected() {
  if (client_.connected()) return Status::Ok();
  return ConnectFollowingFailover();
}

StatusOr<resp::ReplyValue> CommandRunner::Run(std::span<const std::string> argv) {
  server_shut_down_ = false;
  Status st = EnsureConnected();
  if (!st.ok()) return st;
  StatusOr<resp::ReplyValue> reply = client_.Call(argv);
  if (reply.ok() && !(uses_sentinel() && IsReadOnlyRefusal(*reply))) return reply;
  // A SHUTDOWN that worked closes the connection: sending it again would stop a server
  // that came back (or the new primary).
  if (!reply.ok() && !argv.empty() && EqualsIgnoreCase(argv[0], "shutdown")) {
    server_shut_down_ = true;
    return reply;
  }
  // The server went away mid-command (restart, failover) or, under sentinel, turned into a
  // replica: connect again (to the primary the sentinels name now) and retry once, as
  // redis-cli does after a lost connection.
  client_.Disconnect();
  const uint64_t deadline = NowMs() + (uses_sentinel() ? sentinel_.failover_wait_ms : 0);
  uint64_t pause_ms = 100;
  for (;;) {
    st = ConnectFollowingFailover();
    if (!st.ok()) return st;
    reply = client_.Call(argv);
    if (!reply.ok()) return reply;
    if (!uses_sentinel() || !IsReadOnlyRefusal(*reply) || NowMs() >= deadline) return reply;
    // The sentinels still name the demoted node: they have not finished the failover.
    client_.Disconnect();
    std::this_thread::sleep_for(std::chrono::milliseconds(pause_ms));
    pause_ms = std::min<uint64_t>(pause_ms * 2, 1000);
  }
}

}  // namespace pykv::cli
