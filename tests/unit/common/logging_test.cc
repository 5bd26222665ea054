#include "common/logging.h"

#include <doctest/doctest.h>
#include <spdlog/spdlog.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

namespace pykv {
namespace {

std::vector<std::string> ReadLines(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

class TempLog {
 public:
  TempLog() {
    char tmpl[] = "/tmp/pykv_logging_test_XXXXXX";
    const int fd = ::mkstemp(tmpl);
    REQUIRE(fd >= 0);
    ::close(fd);
    path_ = tmpl;
  }
  ~TempLog() {
    // Put logging back on stdout before the file goes, so later tests do not write to it.
    (void)InitLogging("warning", "");
    std::remove(path_.c_str());
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

TEST_CASE("unknown log levels are rejected") {
  for (const char* bad : {"", "info", "warn", "trace", "nothing", "debugx", "error"}) {
    CAPTURE(bad);
    const Status st = InitLogging(bad, "");
    CHECK(st.code() == Status::Code::kInvalid);
    CHECK(st.message().find("log level") != std::string::npos);
    CHECK(SetLogLevel(bad).code() == Status::Code::kInvalid);
  }
  for (const char* good : {"debug", "verbose", "notice", "warning", "NOTICE", "Warning"}) {
    CAPTURE(good);
    CHECK(SetLogLevel(good).ok());
  }
}

TEST_CASE("a log file that cannot be opened is an I/O error, and no directory is made") {
  char tmpl[] = "/tmp/pykv_logging_dir_XXXXXX";
  REQUIRE(::mkdtemp(tmpl) != nullptr);
  const std::string dir = tmpl;
  const std::string path = dir + "/missing/test.log";
  const Status st = InitLogging("notice", path);
  CHECK(st.code() == Status::Code::kIo);
  CHECK(st.message().find(path) != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(dir + "/missing"));
  std::filesystem::remove_all(dir);
}

TEST_CASE("lines go to the file in Redis's format, filtered by level") {
  TempLog log;
  {
    std::ofstream pre(log.path());
    pre << "existing line\n";  // Append mode: an existing log is kept.
  }
  REQUIRE(InitLogging("notice", log.path()).ok());
  spdlog::debug("debug hidden");
  spdlog::info("hello {}", 42);
  spdlog::warn("careful");
  REQUIRE(SetLogLevel("warning").ok());
  spdlog::info("info hidden");
  spdlog::error("broken");
  REQUIRE(SetLogLevel("debug").ok());
  spdlog::debug("debug shown");
  REQUIRE(SetLogLevel("verbose").ok());
  spdlog::debug("verbose shown");

  // Lines are flushed as written: no explicit flush before reading.
  const auto lines = ReadLines(log.path());
  REQUIRE(lines.size() == 6);
  CHECK(lines[0] == "existing line");
  const std::string pid = std::to_string(::getpid());
  const std::regex format(pid +
                          R"(:M \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2}\.\d{3} ([.*#]) (.*))");
  const std::vector<std::pair<std::string, std::string>> expected = {{"*", "hello 42"},
                                                                     {"#", "careful"},
                                                                     {"#", "broken"},
                                                                     {".", "debug shown"},
                                                                     {".", "verbose shown"}};
  for (size_t i = 0; i < expected.size(); ++i) {
    CAPTURE(lines[i + 1]);
    std::smatch m;
    REQUIRE(std::regex_match(lines[i + 1], m, format));
    CHECK(m[1].str() == expected[i].first);
    CHECK(m[2].str() == expected[i].second);
  }
}

TEST_CASE("a forked child logs with role C and its own pid") {
  TempLog log;
  REQUIRE(InitLogging("notice", log.path()).ok());
  spdlog::info("parent before");
  const pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    const bool ok = ReinitLoggingInChild().ok();
    spdlog::info("child line");
    ::_exit(ok ? 0 : 1);
  }
  int status = 0;
  REQUIRE(::waitpid(child, &status, 0) == child);
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  spdlog::info("parent after");

  const auto lines = ReadLines(log.path());
  REQUIRE(lines.size() == 3);
  const std::string ppid = std::to_string(::getpid());
  const std::string cpid = std::to_string(child);
  CHECK(lines[0].rfind(ppid + ":M ", 0) == 0);
  CHECK(lines[1].rfind(cpid + ":C ", 0) == 0);
  CHECK(lines[1].find(" * child line") != std::string::npos);
  CHECK(lines[2].rfind(ppid + ":M ", 0) == 0);  // The parent's role is untouched.
  CHECK(lines[2].find(" * parent after") != std::string::npos);
}

}  // namespace
}  // namespace pykv
