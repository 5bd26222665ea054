// SlowLog: the last N calls that ran longer than slowlog-log-slower-than, as SLOWLOG GET
// shows them (arguments trimmed the way Redis trims them). Loop thread only.
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include "commands/command.h"

namespace pykv::cmd {

struct SlowLogEntry {
  uint64_t id;
  int64_t unix_seconds;
  int64_t duration_us;
  std::vector<std::string> args;
  std::string client_addr;
  std::string client_name;
};

class SlowLog {
 public:
  void Configure(int64_t slower_than_us, uint64_t max_len);
  // Records the call if it was slow enough.
  void Maybe(Args argv, int64_t duration_us, int64_t unix_seconds, const std::string& addr,
             const std::string& name);
  // Newest first.
  const std::deque<SlowLogEntry>& entries() const { return entries_; }
  void Reset() { entries_.clear(); }
  uint64_t max_len() const { return max_len_; }

 private:
  int64_t slower_than_us_ = 10000;
  uint64_t max_len_ = 128;
  uint64_t next_id_ = 0;
  std::deque<SlowLogEntry> entries_;
};

}  // namespace pykv::cmd
