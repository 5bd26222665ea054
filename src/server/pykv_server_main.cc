// pykv-server: `pykv-server [config-file] [--option value ...]`, as redis-server is run.
#include <spdlog/spdlog.h>

#include <cstdio>
#include <cstring>
#include <string>

#include "common/logging.h"
#include "server/config.h"
#include "server/daemonize.h"
#include "server/open_files_limit.h"
#include "server/server.h"

namespace {

void PrintUsage() {
  std::printf(
      "Usage: pykv-server [/path/to/pykv.conf] [options]\n"
      "       pykv-server -v or --version\n"
      "       pykv-server -h or --help\n\n"
      "Examples:\n"
      "       pykv-server (run the server with default settings)\n"
      "       pykv-server conf/pykv.conf\n"
      "       pykv-server --port 7777\n"
      "       pykv-server conf/pykv.conf --port 7777 --loglevel verbose\n\n"
      "Every option of the config file may be given as --name value; conf/pykv.conf\n"
      "documents them all with their defaults.\n");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 2 && (std::strcmp(argv[1], "-v") == 0 || std::strcmp(argv[1], "--version") == 0)) {
    std::printf("PyKV server v=%s (Redis protocol 7.0 compatible)\n", PYKV_VERSION);
    return 0;
  }
  if (argc == 2 && (std::strcmp(argv[1], "-h") == 0 || std::strcmp(argv[1], "--help") == 0)) {
    PrintUsage();
    return 0;
  }
  pykv::server::Config config;
  pykv::Status st = config.LoadFromArgs(argc, argv);
  if (!st.ok()) {
    std::fprintf(stderr, "%s\n", st.message().c_str());
    return 1;
  }
  // Before the log, the loop or any thread exists: fork keeps only the calling thread.
  if (config.settings().daemonize) {
    st = pykv::server::Daemonize();
    if (!st.ok()) {
      std::fprintf(stderr, "%s\n", st.message().c_str());
      return 1;
    }
  }
  st = pykv::InitLogging(config.settings().loglevel, config.settings().logfile);
  if (!st.ok()) {
    std::fprintf(stderr, "Can't open the log file: %s\n", st.message().c_str());
    return 1;
  }
  // Directives accepted for redis.conf compatibility that do nothing (yet): said once, here.
  for (const std::string& notice : config.StartupNotices()) spdlog::warn("{}", notice);
  // Descriptor room for maxclients (or a lower maxclients) before anything is opened.
  if (!pykv::server::FitOpenFilesLimit(&config).ok()) return 1;
  if (config.settings().dir != ".") {
    if (chdir(config.settings().dir.c_str()) != 0) {
      spdlog::critical("Can't chdir to '{}': {}", config.settings().dir, std::strerror(errno));
      return 1;
    }
  }
  pykv::server::Server server(std::move(config));
  st = server.Run();
  if (!st.ok()) {
    spdlog::critical("{}", st.message());
    return 1;
  }
  return 0;
}
