// Failed authentication: counted (INFO acl_access_denied_auth), logged at most once a
// second, and an unauthenticated client is dropped after Dispatcher::kMaxAuthFailures
// consecutive failures, its last error reply still sent.
#include <doctest/doctest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

#include "command_test_fixture.h"
#include "commands/errors.h"
#include "common/logging.h"

namespace pykv::cmd::testing {
namespace {

constexpr uint32_t kMax = Dispatcher::kMaxAuthFailures;

struct AuthTest : CommandTest {
  AuthTest() {
    server.requirepass = "s3cret";
    client.state.authenticated = false;
  }
};

// Sends log lines to a file for the test's lifetime, then back to stdout.
class LogCapture {
 public:
  LogCapture() : path_("/tmp/pykv-auth-test-" + std::to_string(getpid()) + ".log") {
    std::remove(path_.c_str());
    REQUIRE(InitLogging("notice", path_).ok());
  }
  ~LogCapture() {
    (void)InitLogging("notice", "");
    std::remove(path_.c_str());
  }
  std::string Text() const {
    std::ifstream in(path_);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }
  size_t CountLines(std::string_view needle) const {
    const std::string t = Text();
    size_t n = 0;
    for (size_t at = t.find(needle); at != std::string::npos; at = t.find(needle, at + 1)) ++n;
    return n;
  }

 private:
  std::string path_;
};

}  // namespace

TEST_CASE_FIXTURE(AuthTest, "failed AUTH is counted and closes after the limit, reply still sent") {
  for (uint32_t i = 1; i < kMax; ++i) {
    CHECK(Run({"AUTH", "wrong"}) == Err(err::kWrongPass));
    CHECK(client.state.auth_failures == i);
    CHECK_FALSE(client.state.close_after_reply);
  }
  CHECK(dispatcher.stats().acl_access_denied_auth == kMax - 1);
  // The last one is answered too, then the connection goes.
  CHECK(Run({"AUTH", "default", "wrong"}) == Err(err::kWrongPass));
  CHECK(client.state.close_after_reply);
  CHECK(dispatcher.stats().acl_access_denied_auth == kMax);
  // Refused before the password check: not an authentication failure.
  TestClient other;
  other.state.authenticated = false;
  CHECK(RunAs(other, {"AUTH", "a", "b", "c"}) == Err(err::kSyntax));
  CHECK(RunAs(other, {"GET", "k"}) == Err(err::kNoAuth));
  CHECK(dispatcher.stats().acl_access_denied_auth == kMax);
  CHECK(other.state.auth_failures == 0);
  // CONFIG RESETSTAT clears the counter with the others.
  dispatcher.ResetStats();
  CHECK(dispatcher.stats().acl_access_denied_auth == 0);
}

TEST_CASE_FIXTURE(AuthTest, "a success resets the run; RESET does not") {
  for (uint32_t i = 0; i + 1 < kMax; ++i) CHECK(Run({"AUTH", "wrong"}) == Err(err::kWrongPass));
  CHECK(Run({"AUTH", "s3cret"}) == kOk);
  CHECK(client.state.auth_failures == 0);
  CHECK(Run({"RESET"}) == Simple("RESET"));
  CHECK_FALSE(client.state.authenticated);
  for (uint32_t i = 0; i + 1 < kMax; ++i) CHECK(Run({"AUTH", "wrong"}) == Err(err::kWrongPass));
  CHECK(Run({"RESET"}) == Simple("RESET"));
  CHECK_FALSE(client.state.close_after_reply);
  CHECK(Run({"AUTH", "wrong"}) == Err(err::kWrongPass));
  CHECK(client.state.close_after_reply);
}

TEST_CASE_FIXTURE(AuthTest, "an authenticated client is counted but never dropped") {
  CHECK(Run({"AUTH", "s3cret"}) == kOk);
  for (uint32_t i = 0; i < kMax + 5; ++i) CHECK(Run({"AUTH", "wrong"}) == Err(err::kWrongPass));
  CHECK(client.state.authenticated);  // a failed AUTH does not log a client out
  CHECK_FALSE(client.state.close_after_reply);
  CHECK(dispatcher.stats().acl_access_denied_auth == kMax + 5);
}

TEST_CASE_FIXTURE(AuthTest, "HELLO AUTH failures count the same way") {
  for (uint32_t i = 1; i < kMax; ++i) {
    CHECK(Run({"HELLO", "3", "AUTH", "default", "wrong"}) == Err(err::kWrongPass));
  }
  CHECK_FALSE(client.state.close_after_reply);
  CHECK(Run({"HELLO", "2", "AUTH", "default", "s3cret"}).starts_with("*14\r\n"));
  CHECK(client.state.auth_failures == 0);
  CHECK(Run({"RESET"}) == Simple("RESET"));
  for (uint32_t i = 0; i < kMax; ++i) {
    CHECK(Run({"HELLO", "2", "AUTH", "nouser", "s3cret"}) == Err(err::kWrongPass));
  }
  CHECK(client.state.close_after_reply);
  CHECK(dispatcher.stats().acl_access_denied_auth == 2 * kMax - 1);
}

TEST_CASE_FIXTURE(AuthTest, "failures are logged at most once a second, with the count left out") {
  LogCapture log;
  for (int i = 0; i < 5; ++i) {
    TestClient c;
    c.state.authenticated = false;
    c.state.addr = "10.0.0.1:" + std::to_string(1000 + i);
    CHECK(RunAs(c, {"AUTH", "wrong"}) == Err(err::kWrongPass));
  }
  CHECK(log.CountLines("Failed authentication") == 1);
  CHECK(log.Text().find("addr=10.0.0.1:1000") != std::string::npos);
  CHECK(log.Text().find("wrong") == std::string::npos);  // never the password
  clock.AdvanceMs(999);
  CHECK(Run({"AUTH", "wrong"}) == Err(err::kWrongPass));
  CHECK(log.CountLines("Failed authentication") == 1);
  clock.AdvanceMs(1);
  CHECK(Run({"AUTH", "wrong"}) == Err(err::kWrongPass));
  CHECK(log.CountLines("Failed authentication") == 2);
  CHECK(log.CountLines("(5 more failed authentications not logged)") == 1);
}

}  // namespace pykv::cmd::testing
