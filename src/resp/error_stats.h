// ErrorStats: how many error replies of each code ("ERR", "WRONGTYPE", "EXECABORT", ...)
// the server has sent, for INFO errorstats. The dispatcher owns one and points a client's
// ReplyWriter at it while a command runs, so every error reply is counted exactly once,
// whether a check or a handler wrote it. Loop thread only.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>

namespace pykv::resp {

class ErrorStats {
 public:
  // As Redis: past this many distinct codes new ones are no longer tracked, so replies
  // with made-up codes cannot grow the table without bound.
  static constexpr size_t kMaxCodes = 128;

  // message: the error line with or without its leading '-'.
  void Count(std::string_view message) {
    if (!message.empty() && message[0] == '-') message.remove_prefix(1);
    std::string_view code = message.substr(0, message.find(' '));
    auto it = codes_.find(code);
    if (it != codes_.end()) {
      ++it->second;
    } else if (codes_.size() < kMaxCodes) {
      codes_.emplace(std::string(code), 1);
    }
  }
  // Sorted by code, the order Redis lists them in.
  const std::map<std::string, uint64_t, std::less<>>& codes() const { return codes_; }

 private:
  std::map<std::string, uint64_t, std::less<>> codes_;
};

}  // namespace pykv::resp
