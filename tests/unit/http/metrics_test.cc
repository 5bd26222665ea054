#include "http/metrics.h"

#include <doctest/doctest.h>

#include <string>

namespace pykv::http {
namespace {

TEST_CASE("ParseInfo: field:value lines; headers, blank lines and others skipped") {
  const std::string info =
      "# Server\r\n"
      "redis_version:7.0.15\r\n"
      "uptime_in_seconds:42\r\n"
      "\r\n"
      "# Keyspace\r\n"
      "db0:keys=3,expires=1,avg_ttl=0\r\n"
      "no colon here\r\n"
      "empty:\r\n"
      "url:http://x:1\n"
      "last:1";
  const auto m = ParseInfo(info);
  CHECK(m.size() == 6);
  CHECK(m.at("redis_version") == "7.0.15");
  CHECK(m.at("uptime_in_seconds") == "42");
  CHECK(m.at("db0") == "keys=3,expires=1,avg_ttl=0");
  CHECK(m.at("empty") == "");
  CHECK(m.at("url") == "http://x:1");  // split at the first colon only
  CHECK(m.at("last") == "1");          // no line end
  CHECK(m.count("# Server") == 0);
  CHECK(ParseInfo("").empty());
  CHECK(ParseInfo("\r\n\r\n# X\r\n").empty());
}

TEST_CASE("ParseInfo: the first of repeated fields wins") {
  const auto m = ParseInfo("a:1\r\na:2\r\n");
  CHECK(m.at("a") == "1");
}

TEST_CASE("RenderMetrics: families from INFO, HTTP counts and the latency histogram") {
  cmd::DispatcherStats commands;
  commands.latency.Record(1);
  commands.latency.Record(3);
  commands.latency.Record(1000000000);
  HttpStats http;
  http.Count("/kv/{key}", 200);
  http.Count("/kv/{key}", 200);
  http.Count("/kv/", 422);
  const std::string text = RenderMetrics(
      "# Server\r\nuptime_in_seconds:7\r\n# Stats\r\ntotal_commands_processed:12\r\n"
      "# Keyspace\r\ndb0:keys=3,expires=1,avg_ttl=0\r\n"
      "# Commandstats\r\ncmdstat_set:calls=2,usec=10,usec_per_call=5.00,rejected_calls=0,"
      "failed_calls=1\r\n",
      commands, http);
  CHECK(text.find("# TYPE pykv_uptime_seconds gauge\npykv_uptime_seconds 7\n") !=
        std::string::npos);
  CHECK(text.find("pykv_commands_processed_total 12\n") != std::string::npos);
  CHECK(text.find("pykv_keys 3\n") != std::string::npos);
  CHECK(text.find("pykv_keys_with_expiry 1\n") != std::string::npos);
  CHECK(text.find("pykv_command_calls_total{cmd=\"set\"} 2\n") != std::string::npos);
  CHECK(text.find("pykv_command_failed_calls_total{cmd=\"set\"} 1\n") != std::string::npos);
  CHECK(text.find("pykv_http_requests_total{route=\"/kv/{key}\",code=\"200\"} 2\n") !=
        std::string::npos);
  CHECK(text.find("pykv_http_requests_total{route=\"/kv/\",code=\"422\"} 1\n") !=
        std::string::npos);
  CHECK(text.find("# TYPE pykv_command_duration_seconds histogram\n") != std::string::npos);
  CHECK(text.find("pykv_command_duration_seconds_bucket{le=\"0.000001\"} 1\n") !=
        std::string::npos);
  CHECK(text.find("pykv_command_duration_seconds_bucket{le=\"+Inf\"} 3\n") != std::string::npos);
  CHECK(text.find("pykv_command_duration_seconds_count 3\n") != std::string::npos);
  // Missing INFO fields read as 0, never as an empty sample.
  const std::string bare = RenderMetrics("", commands, HttpStats());
  CHECK(bare.find("pykv_keys 0\n") != std::string::npos);
  CHECK(bare.find(" \n") == std::string::npos);
}

}  // namespace
}  // namespace pykv::http
