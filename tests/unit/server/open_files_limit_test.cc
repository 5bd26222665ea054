#include "server/open_files_limit.h"

#include <doctest/doctest.h>

#include <cerrno>
#include <string>
#include <vector>

namespace pykv::server {
namespace {

// A process's RLIMIT_NOFILE as the kernel would keep it: the soft limit may go up to the
// hard one; the hard one may go up only when privileged, and never above nr_open.
struct FakeLimits {
  rlim_t soft = 256;
  rlim_t hard = 256;
  bool privileged = false;
  rlim_t nr_open = 1 << 20;
  int get_error = 0;
  std::vector<rlimit> calls;

  RlimitOps Ops() {
    return RlimitOps{
        .get =
            [this](struct rlimit* out) {
              if (get_error != 0) return get_error;
              out->rlim_cur = soft;
              out->rlim_max = hard;
              return 0;
            },
        .set =
            [this](const struct rlimit& in) {
              calls.push_back(in);
              if (in.rlim_cur > in.rlim_max) return EINVAL;
              if (in.rlim_max > nr_open) return EPERM;
              if (in.rlim_max > hard && !privileged) return EPERM;
              soft = in.rlim_cur;
              hard = in.rlim_max;
              return 0;
            },
    };
  }
};

std::vector<std::string> Lines(const OpenFilesPlan& p) {
  std::vector<std::string> out;
  for (const auto& l : p.log) out.push_back((l.warning ? "# " : "* ") + l.text);
  return out;
}

}  // namespace

TEST_CASE("enough descriptors: nothing changes") {
  FakeLimits f;
  f.soft = 20000;
  f.hard = 20000;
  OpenFilesPlan p = AdjustOpenFilesLimit(10000, f.Ops());
  CHECK(p.maxclients == 10000);
  CHECK_FALSE(p.fatal);
  CHECK(p.log.empty());
  CHECK(f.calls.empty());
  f.soft = RLIM_INFINITY;
  f.hard = RLIM_INFINITY;
  CHECK(AdjustOpenFilesLimit(10000, f.Ops()).log.empty());
}

TEST_CASE("the soft limit is raised within the hard one, the hard one kept") {
  FakeLimits f;
  f.soft = 256;
  f.hard = 1 << 19;
  OpenFilesPlan p = AdjustOpenFilesLimit(10000, f.Ops());
  CHECK(p.maxclients == 10000);
  CHECK(f.soft == 10032);
  CHECK(f.hard == 1 << 19);
  CHECK(Lines(p) == std::vector<std::string>{
                        "* Increased maximum number of open files to 10032 (it was originally "
                        "set to 256)."});
}

TEST_CASE("privileged: the hard limit is raised too") {
  FakeLimits f;
  f.privileged = true;
  OpenFilesPlan p = AdjustOpenFilesLimit(10000, f.Ops());
  CHECK(p.maxclients == 10000);
  CHECK(f.soft == 10032);
  CHECK(f.hard == 10032);
}

TEST_CASE("a low hard limit lowers maxclients, with Redis's three warnings") {
  FakeLimits f;  // ulimit -n 256, unprivileged
  OpenFilesPlan p = AdjustOpenFilesLimit(10000, f.Ops());
  CHECK(p.maxclients == 224);
  CHECK_FALSE(p.fatal);
  CHECK(Lines(p) ==
        std::vector<std::string>{
            "# You requested maxclients of 10000 requiring at least 10032 max file descriptors.",
            "# Server can't set maximum open files to 10032 because of OS error: Operation not "
            "permitted.",
            "# Current maximum open files is 256. maxclients has been reduced to 224 to "
            "compensate for low ulimit. If you need higher maxclients increase 'ulimit -n'."});
  CHECK(f.soft == 256);
  CHECK(f.hard == 256);

  SUBCASE("soft below hard: the best step of 16 under the hard limit is taken") {
    FakeLimits g;
    g.soft = 100;
    g.hard = 300;
    OpenFilesPlan q = AdjustOpenFilesLimit(10000, g.Ops());
    // 10032 - 16k: the first one at or under 300 is 288.
    CHECK(g.soft == 288);
    CHECK(q.maxclients == 256);
    CHECK(q.log.back().text.starts_with("Current maximum open files is 288."));
  }
  SUBCASE("over nr_open even when privileged") {
    FakeLimits g;
    g.privileged = true;
    g.nr_open = 4096;
    OpenFilesPlan q = AdjustOpenFilesLimit(10000, g.Ops());
    CHECK(g.soft == 4096);
    CHECK(q.maxclients == 4096 - 32);
  }
}

TEST_CASE("too few descriptors to start") {
  FakeLimits f;
  f.soft = 20;
  f.hard = 20;
  OpenFilesPlan p = AdjustOpenFilesLimit(10000, f.Ops());
  CHECK(p.fatal);
  CHECK(Lines(p) == std::vector<std::string>{
                        "# Your current 'ulimit -n' of 20 is not enough for the server to start. "
                        "Please increase your open file limit to at least 10032. Exiting."});
  f.soft = 32;
  f.hard = 32;
  CHECK(AdjustOpenFilesLimit(10000, f.Ops()).fatal);
  f.soft = 33;
  f.hard = 33;
  OpenFilesPlan q = AdjustOpenFilesLimit(10000, f.Ops());
  CHECK_FALSE(q.fatal);
  CHECK(q.maxclients == 1);
}

TEST_CASE("getrlimit failing: assume 1024") {
  FakeLimits f;
  f.get_error = EINVAL;
  OpenFilesPlan p = AdjustOpenFilesLimit(10000, f.Ops());
  CHECK(p.maxclients == 992);
  CHECK(Lines(p) == std::vector<std::string>{
                        "# Unable to obtain the current NOFILE limit (Invalid argument), assuming "
                        "1024 and setting the max clients configuration accordingly."});
}

}  // namespace pykv::server
