#include "commands/slowlog.h"

#include <string>

namespace pykv::cmd {

namespace {
// Redis keeps at most 32 arguments and 128 bytes of each, so a huge call cannot make the
// slow log huge.
constexpr size_t kMaxArgs = 32;
constexpr size_t kMaxArgLen = 128;
}  // namespace

void SlowLog::Configure(int64_t slower_than_us, uint64_t max_len) {
  slower_than_us_ = slower_than_us;
  max_len_ = max_len;
  while (entries_.size() > max_len_) entries_.pop_back();
}

void SlowLog::Maybe(Args argv, int64_t duration_us, int64_t unix_seconds, const std::string& addr,
                    const std::string& name) {
  if (slower_than_us_ < 0 || duration_us < slower_than_us_ || max_len_ == 0) return;
  SlowLogEntry e{next_id_++, unix_seconds, duration_us, {}, addr, name};
  size_t n = std::min(argv.size(), kMaxArgs);
  for (size_t i = 0; i < n; ++i) {
    if (i == kMaxArgs - 1 && argv.size() > kMaxArgs) {
      e.args.push_back("... (" + std::to_string(argv.size() - kMaxArgs + 1) + " more arguments)");
      break;
    }
    std::string_view a = argv[i];
    if (a.size() > kMaxArgLen) {
      e.args.push_back(std::string(a.substr(0, kMaxArgLen)) + "... (" +
                       std::to_string(a.size() - kMaxArgLen) + " more bytes)");
    } else {
      e.args.emplace_back(a);
    }
  }
  entries_.push_front(std::move(e));
  while (entries_.size() > max_len_) entries_.pop_back();
}

}  // namespace pykv::cmd
