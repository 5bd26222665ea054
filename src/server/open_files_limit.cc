#include "server/open_files_limit.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>

namespace pykv::server {
namespace {

// A limit that cannot be had is retried this much lower each time, down to the current
// one, as Redis does: the result is the highest of those the system grants.
constexpr rlim_t kStep = 16;

std::string ErrnoText(int err) {
  return std::strerror(err);
}

}  // namespace

RlimitOps SystemRlimitOps() {
  return RlimitOps{
      .get = [](struct rlimit* out) { return getrlimit(RLIMIT_NOFILE, out) == 0 ? 0 : errno; },
      .set = [](const struct rlimit& in) { return setrlimit(RLIMIT_NOFILE, &in) == 0 ? 0 : errno; },
  };
}

OpenFilesPlan AdjustOpenFilesLimit(int maxclients, const RlimitOps& ops) {
  OpenFilesPlan plan;
  plan.maxclients = maxclients;
  const rlim_t wanted = static_cast<rlim_t>(maxclients) + kReservedFds;

  struct rlimit now {};
  if (const int err = ops.get(&now); err != 0) {
    plan.maxclients = std::min(maxclients, 1024 - kReservedFds);
    plan.log.push_back({true, "Unable to obtain the current NOFILE limit (" + ErrnoText(err) +
                                  "), assuming 1024 and setting the max clients configuration "
                                  "accordingly."});
    return plan;
  }
  const rlim_t old = now.rlim_cur;
  if (old >= wanted) return plan;  // RLIM_INFINITY included

  // The hard limit is only ever raised (which needs privileges), never lowered: a later
  // CONFIG SET maxclients may still want the room.
  rlim_t best = wanted;
  int last_err = 0;
  bool raised = false;
  while (best > old) {
    struct rlimit want {};
    want.rlim_cur = best;
    want.rlim_max = now.rlim_max == RLIM_INFINITY || now.rlim_max >= best ? now.rlim_max : best;
    const int err = ops.set(want);
    if (err == 0) {
      raised = true;
      break;
    }
    last_err = err;
    best = best - old > kStep ? best - kStep : old;
  }
  if (!raised) best = old;

  if (best >= wanted) {
    plan.log.push_back({false, "Increased maximum number of open files to " +
                                   std::to_string(wanted) + " (it was originally set to " +
                                   std::to_string(old) + ")."});
    return plan;
  }
  if (best <= static_cast<rlim_t>(kReservedFds)) {
    plan.fatal = true;
    plan.log.push_back({true, "Your current 'ulimit -n' of " + std::to_string(old) +
                                  " is not enough for the server to start. Please increase your "
                                  "open file limit to at least " +
                                  std::to_string(wanted) + ". Exiting."});
    return plan;
  }
  plan.maxclients = static_cast<int>(best - kReservedFds);
  plan.log.push_back({true, "You requested maxclients of " + std::to_string(maxclients) +
                                " requiring at least " + std::to_string(wanted) +
                                " max file descriptors."});
  plan.log.push_back({true, "Server can't set maximum open files to " + std::to_string(wanted) +
                                " because of OS error: " + ErrnoText(last_err) + "."});
  plan.log.push_back({true, "Current maximum open files is " + std::to_string(best) +
                                ". maxclients has been reduced to " +
                                std::to_string(plan.maxclients) +
                                " to compensate for low ulimit. If you need higher maxclients "
                                "increase 'ulimit -n'."});
  return plan;
}

Status FitOpenFilesLimit(Config* config, const RlimitOps& ops) {
  const int wanted = config->settings().maxclients;
  const OpenFilesPlan plan = AdjustOpenFilesLimit(wanted, ops);
  for (const OpenFilesPlan::Line& line : plan.log) {
    if (line.warning) {
      spdlog::warn("{}", line.text);
    } else {
      spdlog::info("{}", line.text);
    }
  }
  if (plan.fatal) return Status::Invalid("not enough file descriptors to start");
  if (plan.maxclients != wanted) {
    Status st = config->SetAtRuntime({{"maxclients", std::to_string(plan.maxclients)}});
    if (!st.ok()) return st;
  }
  return Status::Ok();
}

}  // namespace pykv::server
