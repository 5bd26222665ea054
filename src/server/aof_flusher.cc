#include "server/aof_flusher.h"

#include <spdlog/spdlog.h>

namespace pykv::server {

void AofFlusher::Flush(persistence::AofWriter& w) {
  const int64_t now = clock_->NowMs();
  if (!error_.empty() && now - last_attempt_ms_ < kRetryIntervalMs) return;
  last_attempt_ms_ = now;
  Status s = w.Flush();
  // A background (everysec) fsync failure shows only in last_error().
  const std::string& err = w.last_error();
  if (!err.empty() || !s.ok()) {
    std::string why = err.empty() ? s.message() : err;
    if (error_.empty()) {
      spdlog::warn("Error writing to the AOF file: {}; refusing writes until it works", why);
    }
    error_ = std::move(why);
  } else if (!error_.empty()) {
    spdlog::warn("AOF write error is solved, accepting writes again");
    error_.clear();
  }
}

}  // namespace pykv::server
