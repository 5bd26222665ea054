// pykv-cli (also installed as `pykv`): the command-line client. With a command it runs it
// and prints the reply as redis-cli does; with none it reads commands from stdin when that
// is piped, or opens the interactive prompt on a terminal. `--http` sends the commands to
// the /kv API instead, `--sentinel` finds the primary through redis-sentinel, and `bench`
// is the load generator (cli/bench.h).
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <iterator>
#include <string>
#include <thread>
#include <vector>

#include "cli/cli_modes.h"

int main(int argc, char** argv) {
  using namespace pykv::cli;
  CliOptions opts;
  CLI::App app{"pykv-cli: the PyKV command-line client (speaks RESP, so it works with Redis too)",
               "pykv-cli"};
  // -h is the host, as in redis-cli.
  app.set_help_flag("--help", "Print this help and exit");
  app.set_version_flag("-v,--version", std::string("pykv-cli ") + PYKV_VERSION);
  app.add_option("-h", opts.connect.host, "Server hostname")->default_str("127.0.0.1");
  app.add_option("-p", opts.connect.port, "Server port")->default_str("6379");
  app.add_option("-a,--pass", opts.connect.password, "Password for AUTH (the HTTP bearer token)");
  app.add_option("--user", opts.connect.user, "User name for AUTH (ACL)");
  app.add_option("-u", opts.uri, "Server URI: pykv://[[user]:password@]host[:port]");
  app.add_flag("-3", opts.connect.resp3, "Speak RESP3 (HELLO 3)");
  app.add_flag("--raw", opts.force_raw, "Print replies raw, even on a terminal");
  app.add_flag("--no-raw", opts.force_human, "Print replies formatted, even when piped");
  app.add_flag("-x", opts.last_arg_from_stdin, "Read the last argument from stdin");
  app.add_option("-r", opts.repeat, "Run the command this many times (-1: forever)");
  app.add_option("-i", opts.interval_s, "Seconds to wait between repeats (may be fractional)");
  app.add_flag("--no-auth-warning", opts.no_auth_warning,
               "Do not warn about a password given on the command line");
  app.add_option("--http", opts.http_urls,
                 "Send commands to the /kv HTTP API at URL (URL1,URL2: follow the primary)")
      ->delimiter(',')
      ->allow_extra_args(false);
  app.add_option("--sentinel", opts.sentinel_list,
                 "Ask these sentinels (host:port[,host:port]) where the primary is");
  app.add_option("--master", opts.sentinel.master, "The master name the sentinels monitor");
  app.add_option("--failover-timeout", opts.failover_timeout_s,
                 "Seconds to keep following a failover before giving up")
      ->default_str("30");
  BenchOptions bench;
  CLI::App* bench_command = AddBenchCommand(&app, &bench);
  // Everything from the first word that is not an option or `bench` on is the command, so
  // its arguments may look like options (`pykv-cli set k -1`).
  app.prefix_command();
  CLI11_PARSE(app, argc, argv);
  if (bench_command->parsed()) {
    opts.bench = &bench;
  } else {
    opts.command = app.remaining();
  }
  return RunCli(opts);
}
