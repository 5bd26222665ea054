// The plan of a pykv-cli bench run: the options checked and turned into the tests to run,
// each with its requests encoded once, ahead of time, as byte templates in which only the
// key numbers change from one request to the next (as redis-benchmark patches
// __rand_int__). Pure functions and plain values; built on the main thread, then read
// (never written) by every bench thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "cli/bench.h"
#include "common/status.h"

namespace pykv::cli {

// Digits of a key number, zero-padded: key:000000000123, as redis-benchmark writes them.
inline constexpr size_t kKeyDigits = 12;

// One request's bytes, with the offsets of the kKeyDigits-digit key numbers to fill in
// before each send (none when the benchmark uses one fixed key).
struct RequestTemplate {
  std::string bytes;
  std::vector<uint32_t> key_offsets;
};

enum class BenchKind { kSet, kGet, kIncr, kMset, kMixed, kHttpPut, kHttpGet, kHttpMixed };

struct BenchTest {
  BenchKind kind;
  std::string name;  // "SET", "GET /kv/{key}", "MIXED SET:GET 1:10"...
  // The requests sent in turn: `weights[i]` of `requests[i]`, then the next (the mixed
  // test); one entry for the others.
  std::vector<RequestTemplate> requests;
  std::vector<uint32_t> weights;
  // The HTTP statuses that count as success (setup also accepts 409: the key exists).
  bool accept_conflict = false;
};

struct SetGetRatio {
  uint32_t set = 1;
  uint32_t get = 10;
};

// Where --http points: http://host[:port][/prefix].
struct HttpTarget {
  std::string host;
  int port = 80;
  std::string prefix;  // path before /kv, without a trailing '/' ("" or "/api")
};

struct BenchPlan {
  BenchOptions options;
  bool http = false;
  HttpTarget target;  // when http
  std::string host;   // where the connections go
  int port = 0;
  std::string label;  // "127.0.0.1:6379" or the URL, for messages
  uint64_t connect_timeout_ms = 5000;
  std::vector<BenchTest> tests;
  // HTTP: creates the keys (POST /kv/) before the tests, since PUT of a missing key is a
  // 404; its requests fill the keys in order, 0..keyspace-1 (one when no -r).
  std::vector<BenchTest> setup;
  // Sent first on every RESP connection (AUTH, HELLO 3), and how many replies it brings.
  std::string handshake;
  int handshake_replies = 0;
  std::string handshake_name;  // "AUTH" or "HELLO", for messages
};

// "set,get" (any case, also given as several -t values) into test kinds, in the order given,
// without repeats. Over HTTP the tests are put, get and mixed (set is taken for put).
StatusOr<std::vector<BenchKind>> ParseTestList(const std::vector<std::string>& items, bool http);
// "SET:GET", two non-negative integers, not both zero.
StatusOr<SetGetRatio> ParseRatio(std::string_view text);
// http://host[:port][/prefix]
StatusOr<HttpTarget> ParseHttpUrl(std::string_view url);
// Checks the options and builds every test's templates.
StatusOr<BenchPlan> MakePlan(const BenchOptions& options, const ConnectOptions& connect);

// Writes n (mod 10^12) as kKeyDigits digits at p.
inline void WriteKeyNumber(char* p, uint64_t n) {
  for (size_t i = kKeyDigits; i-- > 0;) {
    p[i] = static_cast<char>('0' + n % 10);
    n /= 10;
  }
}

}  // namespace pykv::cli
