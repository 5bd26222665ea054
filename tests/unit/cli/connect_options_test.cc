// ApplyUri (-u) and ParseSentinelList (--sentinel): what they accept and refuse.
#include "cli/connect_options.h"

#include <doctest/doctest.h>

#include "cli/command_runner.h"

namespace pykv::cli {
namespace {

TEST_CASE("ApplyUri: host, port, user and password") {
  ConnectOptions o;
  REQUIRE(ApplyUri("pykv://:pw@example.org:7000", &o).ok());
  CHECK(o.host == "example.org");
  CHECK(o.port == 7000);
  CHECK(o.user.empty());
  CHECK(o.password == "pw");

  ConnectOptions a;
  REQUIRE(ApplyUri("redis://alice:s:ecret@10.0.0.1/0", &a).ok());
  CHECK(a.user == "alice");
  CHECK(a.password == "s:ecret");
  CHECK(a.host == "10.0.0.1");
  CHECK(a.port == 6379);

  ConnectOptions lone;
  REQUIRE(ApplyUri("pykv://onlypass@h", &lone).ok());
  CHECK(lone.password == "onlypass");
  CHECK(lone.user.empty());

  ConnectOptions v6;
  REQUIRE(ApplyUri("pykv://[::1]:6390", &v6).ok());
  CHECK(v6.host == "::1");
  CHECK(v6.port == 6390);
  CHECK(AddressLabel(v6.host, v6.port) == "[::1]:6390");
  CHECK(AddressLabel("127.0.0.1", 6379) == "127.0.0.1:6379");
}

TEST_CASE("ApplyUri: refusals") {
  ConnectOptions o;
  CHECK_FALSE(ApplyUri("127.0.0.1:6379", &o).ok());
  CHECK_FALSE(ApplyUri("http://h:1", &o).ok());
  CHECK_FALSE(ApplyUri("pykv://h:notaport", &o).ok());
  CHECK_FALSE(ApplyUri("pykv://h:70000", &o).ok());
  CHECK_FALSE(ApplyUri("pykv://h:1/2", &o).ok());
  CHECK_FALSE(ApplyUri("pykv://[::1", &o).ok());
}

TEST_CASE("ParseSentinelList") {
  std::vector<SentinelOptions::Address> out;
  REQUIRE(ParseSentinelList("127.0.0.1:26379,sentinel-b,[::1]:26380", &out).ok());
  REQUIRE(out.size() == 3);
  CHECK(out[0].host == "127.0.0.1");
  CHECK(out[0].port == 26379);
  CHECK(out[1].host == "sentinel-b");
  CHECK(out[1].port == 26379);
  CHECK(out[2].host == "::1");
  CHECK(out[2].port == 26380);
  std::vector<SentinelOptions::Address> bad;
  CHECK_FALSE(ParseSentinelList("h:0", &bad).ok());
  std::vector<SentinelOptions::Address> none;
  CHECK_FALSE(ParseSentinelList(",", &none).ok());
}

}  // namespace
}  // namespace pykv::cli
