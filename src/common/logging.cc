#include "common/logging.h"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <exception>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "common/numbers.h"

namespace pykv {
namespace {

// Redis's "M"/"S"/"C" role column; read by every line, written once after fork.
std::atomic<char> g_role{'M'};
// Where the installed logger writes, so a forked child can reopen the same destination.
// Written only by InitLogging, which runs before other threads start.
std::string g_logfile;

std::optional<spdlog::level::level_enum> ParseLevel(std::string_view name) {
  if (EqualsIgnoreCase(name, "debug")) return spdlog::level::debug;
  // spdlog has no level between debug and info; verbose lines are debug lines.
  if (EqualsIgnoreCase(name, "verbose")) return spdlog::level::debug;
  if (EqualsIgnoreCase(name, "notice")) return spdlog::level::info;
  if (EqualsIgnoreCase(name, "warning")) return spdlog::level::warn;
  return std::nullopt;
}

Status InvalidLevel(std::string_view name) {
  return Status::Invalid("invalid log level '" + std::string(name) +
                         "' (expected debug, verbose, notice or warning)");
}

class RoleFlag final : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg&, const std::tm&,
              spdlog::memory_buf_t& dest) override {
    dest.push_back(g_role.load(std::memory_order_relaxed));
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<RoleFlag>();
  }
};

// Redis marks lines '.' debug, '-' verbose, '*' notice, '#' warning; spdlog's error and
// critical have no Redis counterpart and are at least warnings.
class LevelFlag final : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& msg, const std::tm&,
              spdlog::memory_buf_t& dest) override {
    char c = '#';
    switch (msg.level) {
      case spdlog::level::trace:
      case spdlog::level::debug:
        c = '.';
        break;
      case spdlog::level::info:
        c = '*';
        break;
      default:
        break;
    }
    dest.push_back(c);
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<LevelFlag>();
  }
};

std::unique_ptr<spdlog::formatter> MakeFormatter() {
  auto f = std::make_unique<spdlog::pattern_formatter>();
  // Custom flags must be registered before the pattern that uses them is compiled.
  f->add_flag<RoleFlag>('N').add_flag<LevelFlag>('q');
  f->set_pattern("%P:%N %d %b %Y %H:%M:%S.%e %q %v");
  return f;
}

// Mutex-guarded sinks for the multi-threaded server; lock-free ones for a forked child,
// whose inherited locks (including spdlog's process-wide console mutex) may be held forever.
Status MakeSink(const std::string& logfile, bool single_threaded, spdlog::sink_ptr* out) {
  if (logfile.empty()) {
    if (single_threaded) {
      *out = std::make_shared<spdlog::sinks::stdout_sink_st>();
    } else {
      *out = std::make_shared<spdlog::sinks::stdout_sink_mt>();
    }
    return Status::Ok();
  }
  // Opened once here first because spdlog would create missing directories; Redis refuses a
  // log file it cannot open as given, and so do we.
  std::FILE* probe = std::fopen(logfile.c_str(), "a");
  if (probe == nullptr) {
    return Status::IoError("cannot open log file '" + logfile + "': " + std::strerror(errno));
  }
  std::fclose(probe);
  try {
    if (single_threaded) {
      *out = std::make_shared<spdlog::sinks::basic_file_sink_st>(logfile, /*truncate=*/false);
    } else {
      *out = std::make_shared<spdlog::sinks::basic_file_sink_mt>(logfile, /*truncate=*/false);
    }
  } catch (const std::exception& e) {
    return Status::IoError("cannot open log file '" + logfile + "': " + e.what());
  }
  return Status::Ok();
}

}  // namespace

Status InitLogging(std::string_view loglevel, const std::string& logfile) {
  const auto level = ParseLevel(loglevel);
  if (!level) return InvalidLevel(loglevel);
  spdlog::sink_ptr sink;
  if (Status st = MakeSink(logfile, /*single_threaded=*/false, &sink); !st.ok()) return st;
  try {
    auto logger = std::make_shared<spdlog::logger>("pykv", std::move(sink));
    logger->set_formatter(MakeFormatter());
    logger->set_level(*level);
    // Redis writes each line out at once; a crash or kill -9 then loses nothing.
    logger->flush_on(spdlog::level::trace);
    spdlog::set_default_logger(std::move(logger));
  } catch (const std::exception& e) {
    return Status::Invalid(std::string("cannot set up logging: ") + e.what());
  }
  g_logfile = logfile;
  return Status::Ok();
}

Status SetLogLevel(std::string_view loglevel) {
  const auto level = ParseLevel(loglevel);
  if (!level) return InvalidLevel(loglevel);
  // The logger's level is atomic, so this is safe while other threads log.
  spdlog::default_logger_raw()->set_level(*level);
  return Status::Ok();
}

void SetLogRole(bool replica) {
  g_role.store(replica ? 'S' : 'M', std::memory_order_relaxed);
}

Status ReinitLoggingInChild() {
  g_role.store('C', std::memory_order_relaxed);
  spdlog::sink_ptr sink;
  if (Status st = MakeSink(g_logfile, /*single_threaded=*/true, &sink); !st.ok()) return st;
  sink->set_formatter(MakeFormatter());
  spdlog::logger* logger = spdlog::default_logger_raw();
  // The old sinks are parked rather than destroyed: destroying a mutex that a vanished parent
  // thread holds is undefined, and a child ends with _exit, which skips static destructors.
  static std::vector<spdlog::sink_ptr> parked;
  for (auto& s : logger->sinks()) parked.push_back(std::move(s));
  logger->sinks().clear();
  logger->sinks().push_back(std::move(sink));
  return Status::Ok();
}

}  // namespace pykv
