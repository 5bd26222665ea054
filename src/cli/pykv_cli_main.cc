// pykv-cli: a minimal entry point that runs one command in HTTP mode (--http), enough for
// the HTTP mode's tests until the full client's main takes its place.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <sstream>
#include <string>
#include <vector>

#include "cli/http_mode.h"

int main(int argc, char** argv) {
  CLI::App app("pykv-cli");
  app.set_help_flag("--help");
  app.prefix_command();
  std::string urls;
  std::string password;
  bool raw = false;
  bool no_raw = false;
  app.add_option("--http", urls, "HTTP base URLs, comma-separated");
  app.add_option("-a", password, "password (bearer token over HTTP)");
  app.add_flag("--raw", raw, "raw output");
  app.add_flag("--no-raw", no_raw, "human output even when piped");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  if (urls.empty()) {
    std::fprintf(stderr, "only --http mode is built in this binary\n");
    return 1;
  }
  pykv::cli::HttpModeOptions options;
  std::stringstream list(urls);
  for (std::string url; std::getline(list, url, ',');) {
    if (!url.empty()) options.urls.push_back(url);
  }
  options.token = password;
  const bool human = no_raw || (!raw && isatty(STDOUT_FILENO));
  const std::vector<std::string> command = app.remaining();
  if (command.empty()) return 0;
  return pykv::cli::RunHttpCommand(
      options, command, human ? pykv::cli::OutputMode::kHuman : pykv::cli::OutputMode::kRaw);
}
