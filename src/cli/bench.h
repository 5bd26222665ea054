// pykv-cli bench: the load generator, in the manner of redis-benchmark. It measures the
// throughput and latency of SET, GET, INCR, MSET and a SET:GET mix over RESP (against
// PyKV or Redis), or of GET and PUT on PyKV's /kv HTTP API, with many connections spread
// over one or more threads, each running its own libuv loop.
// AddBenchCommand and RunBench are called from the main thread of pykv-cli; RunBench
// starts the benchmark's threads and joins them before it returns.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "cli/connect_options.h"

namespace CLI {
class App;
}

namespace pykv::cli {

struct BenchOptions {
  int clients = 50;                // -c: connections, spread over the threads
  uint64_t requests = 100000;      // -n: per test
  double duration_s = 0;           // --duration: run each test this long instead of -n
  int threads = 1;                 // --threads: event loops, each on its own thread
  std::vector<std::string> tests;  // -t: empty means set,get,incr,mset (HTTP: put,get)
  std::string ratio = "1:10";      // --ratio SET:GET for the mixed test
  uint64_t data_size = 3;          // -d: value bytes
  uint64_t keyspace = 0;           // -r: random keys in [0, N); 0: one fixed key
  int pipeline = 1;                // -P: requests in flight per connection
  std::string http_url;            // --http: benchmark the /kv API at this base URL
  bool csv = false;
  bool json = false;
};

// Registers the `bench` subcommand and its options on app; values land in *options.
CLI::App* AddBenchCommand(CLI::App* app, BenchOptions* options);

// Runs the benchmark against `connect` (the RESP server; with --http the URL's server,
// authenticated with connect's password as a bearer token). Results go to stdout, progress
// and errors to stderr. Returns the process exit status: 0, or 1 when a connection could
// not be made or was lost, or every request of a test failed.
int RunBench(const BenchOptions& options, const ConnectOptions& connect);

}  // namespace pykv::cli
