// pykv-cli: a minimal entry point carrying only the bench subcommand and the connection
// options, until the full client is merged in.
#include <CLI/CLI.hpp>

#include "cli/bench.h"
#include "cli/connect_options.h"

int main(int argc, char** argv) {
  CLI::App app("pykv-cli: the PyKV command-line client");
  app.set_help_flag("--help", "Print this help message and exit");
  pykv::cli::ConnectOptions connect;
  bool resp3 = false;
  std::string uri;
  app.add_option("-h", connect.host, "Server hostname (default 127.0.0.1)");
  app.add_option("-p", connect.port, "Server port (default 6379)");
  app.add_option("-a", connect.password, "Password to use when connecting");
  app.add_option("--user", connect.user, "Used to send ACL style 'AUTH username pass'");
  app.add_option("-u", uri, "Server URI: pykv://[[user]:password@]host[:port]");
  app.add_flag("-3", resp3, "Start the session in RESP3 protocol mode");
  pykv::cli::BenchOptions bench;
  CLI::App* bench_cmd = pykv::cli::AddBenchCommand(&app, &bench);
  CLI11_PARSE(app, argc, argv);
  connect.resp3 = resp3;
  if (!uri.empty()) {
    pykv::Status s = pykv::cli::ApplyUri(uri, &connect);
    if (!s.ok()) {
      std::fprintf(stderr, "%s\n", s.message().c_str());
      return 1;
    }
  }
  if (bench_cmd->parsed()) return pykv::cli::RunBench(bench, connect);
  return 0;
}
