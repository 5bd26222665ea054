// pykv-cli's interactive prompt, driven through a pseudo-terminal as a person would use it:
// the prompt, replies, help from COMMAND DOCS, the hint, TAB completion, the arrow keys and
// the history file, Ctrl-C, and reconnecting after the server restarts.
#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <string>
#include <vector>

#include "server_harness.h"

namespace pykv::it {
namespace {

using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

milliseconds Scaled(milliseconds ms) {
  return milliseconds(static_cast<int64_t>(static_cast<double>(ms.count()) * TimeScale()));
}

size_t Count(const std::string& haystack, std::string_view needle) {
  size_t n = 0;
  for (size_t pos = haystack.find(needle); pos != std::string::npos;
       pos = haystack.find(needle, pos + needle.size())) {
    ++n;
  }
  return n;
}

// pykv-cli on the slave side of a pty. Everything it prints is kept in output(); every wait
// is bounded; the destructor kills and reaps the process whatever happened.
class PtyCli {
 public:
  PtyCli(std::vector<std::string> args, std::vector<std::pair<std::string, std::string>> env) {
    winsize ws{};
    ws.ws_row = 40;
    ws.ws_col = 160;
    std::vector<std::string> argv = {PYKV_CLI_BIN};
    argv.insert(argv.end(), args.begin(), args.end());
    std::vector<char*> cargv;
    for (auto& a : argv) cargv.push_back(a.data());
    cargv.push_back(nullptr);
    pid_ = forkpty(&fd_, nullptr, nullptr, &ws);
    REQUIRE(pid_ >= 0);
    if (pid_ == 0) {
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      setenv("TERM", "xterm", 1);
      for (auto& [k, v] : env) setenv(k.c_str(), v.c_str(), 1);
      execv(cargv[0], cargv.data());
      _exit(127);
    }
    fcntl(fd_, F_SETFL, fcntl(fd_, F_GETFL) | O_NONBLOCK);
  }
  ~PtyCli() {
    if (pid_ > 0 && !exited_) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    if (fd_ >= 0) close(fd_);
  }
  PtyCli(const PtyCli&) = delete;
  PtyCli& operator=(const PtyCli&) = delete;

  const std::string& output() const { return out_; }
  // Where the next expectation starts looking.
  size_t Mark() const { return out_.size(); }

  void Send(std::string_view keys) {
    const auto deadline = Clock::now() + Scaled(milliseconds(5000));
    while (!keys.empty() && Clock::now() < deadline) {
      ssize_t n = write(fd_, keys.data(), keys.size());
      if (n > 0) {
        keys.remove_prefix(static_cast<size_t>(n));
      } else {
        Pump(milliseconds(10));
      }
    }
  }

  // Waits until `needle` shows up in the output after `from`; true if it did.
  bool Expect(std::string_view needle, size_t from, milliseconds timeout = milliseconds(10000)) {
    const auto deadline = Clock::now() + Scaled(timeout);
    for (;;) {
      if (out_.find(needle, from) != std::string::npos) return true;
      if (Clock::now() >= deadline || closed_) return false;
      Pump(milliseconds(50));
    }
  }

  // Waits for the process to exit; its exit status, or nullopt (not exited, or killed).
  std::optional<int> WaitExit(milliseconds timeout = milliseconds(10000)) {
    const auto deadline = Clock::now() + Scaled(timeout);
    for (;;) {
      int status = 0;
      pid_t r = waitpid(pid_, &status, WNOHANG);
      if (r == pid_) {
        exited_ = true;
        if (WIFEXITED(status)) return WEXITSTATUS(status);
        return std::nullopt;
      }
      if (Clock::now() >= deadline) return std::nullopt;
      Pump(milliseconds(20));  // keep draining so the child never blocks on a full pty
    }
  }

 private:
  void Pump(milliseconds wait) {
    pollfd p{fd_, POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(wait.count())) <= 0) return;
    char buf[4096];
    for (;;) {
      ssize_t n = read(fd_, buf, sizeof buf);
      if (n > 0) {
        out_.append(buf, static_cast<size_t>(n));
        continue;
      }
      if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) closed_ = true;  // EIO: gone
      return;
    }
  }

  int fd_ = -1;
  pid_t pid_ = -1;
  bool exited_ = false;
  bool closed_ = false;
  std::string out_;
};

std::string ReadAll(const std::string& path) {
  std::ifstream in(path);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

struct TempDir {
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "pykv-cli-it-XXXXXX").string();
    REQUIRE(mkdtemp(tmpl.data()) != nullptr);
    path = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  std::string path;
};

}  // namespace

TEST_CASE("cli interactive: a session at the prompt, help, history, Ctrl-C and reconnect") {
  std::optional<TestServer> srv;
  srv.emplace();
  const int port = srv->port();
  const std::string prompt = "127.0.0.1:" + std::to_string(port) + "> ";
  TempDir home;
  const std::string histfile = home.path + "/history";
  PtyCli cli({"-p", std::to_string(port)}, {{"PYKVCLI_HISTFILE", histfile}, {"HOME", home.path}});
  REQUIRE(cli.Expect(prompt, 0));

  // Runs one line and waits for what it should print, then for the next prompt.
  auto run = [&](const std::string& keys, std::string_view expected,
                 std::string_view next_prompt = {}) {
    const size_t mark = cli.Mark();
    cli.Send(keys);
    const bool printed = cli.Expect(expected, mark);
    CHECK_MESSAGE(printed, "no \"" << std::string(expected) << "\" after " << keys
                                   << "; output: " << cli.output().substr(mark));
    const std::string want_prompt(next_prompt.empty() ? prompt : std::string(next_prompt));
    CHECK(cli.Expect(want_prompt, mark + 1));
    return printed;
  };

  run("set k v\r", "\nOK\r\n");
  run("get k\r", "\n\"v\"\r\n");
  run("incr k\r", "(error) ERR value is not an integer or out of range");
  run("set \"quoted key\" 'a b'\r", "\nOK\r\n");
  CHECK(Cmd(srv->Connect(), {"GET", "quoted key"}) == Bulk("a b"));
  run("set \"unbalanced\r", "Invalid argument(s)");

  // help from COMMAND DOCS.
  size_t mark = cli.Mark();
  run("help get\r", "Get the value of a key");
  std::string help = cli.output().substr(mark);
  CHECK(help.find("GET") != std::string::npos);
  CHECK(help.find("summary:") != std::string::npos);
  CHECK(help.find("since:") != std::string::npos);
  CHECK(help.find("string") != std::string::npos);
  run("help\r", "help @<group>");
  run("help @string\r", "Increment the integer value of a key by one");
  mark = cli.Mark();
  run("help set\r", "Set the string value of a key");
  CHECK(cli.output().find("key value [NX|XX] [GET] [EX seconds|PX milliseconds|", mark) !=
        std::string::npos);

  // Up-arrow recalls the previous line: `help set` again prints its help a second time.
  const size_t before = Count(cli.output(), "Set the string value of a key");
  run("\x1b[A\r", "Set the string value of a key");
  CHECK(Count(cli.output(), "Set the string value of a key") == before + 1);

  // The hint: typing "set " shows the arguments greyed, which go once they are typed.
  mark = cli.Mark();
  cli.Send("set ");
  CHECK(cli.Expect("\x1b[90mkey value [NX|XX]", mark));
  cli.Send("hk hv");
  run("\r", "\nOK\r\n");

  // TAB completes a command name.
  run("ech\thi\r", "\n\"hi\"\r\n");

  // Ctrl-C drops the line being typed and the session goes on.
  mark = cli.Mark();
  cli.Send("get k");
  cli.Send("\x03");
  CHECK(cli.Expect(prompt, mark + 1));
  CHECK(cli.output().find("\"v\"", mark) == std::string::npos);
  run("ping\r", "PONG");

  // Password-bearing lines are answered but not remembered.
  run("auth not-the-password\r", "(error)");

  // The server goes away: the next command says so and the prompt says "not connected".
  CHECK(srv->Stop() == 0);
  srv.reset();
  run("get k\r", "Could not connect to 127.0.0.1:" + std::to_string(port), "not connected> ");
  // It comes back on the same port (empty): the next command connects and runs there.
  srv.emplace(std::vector<std::string>{"--port", std::to_string(port)});
  REQUIRE(srv->port() == port);
  run("set after restart\r", "\nOK\r\n");
  CHECK(Cmd(srv->Connect(), {"GET", "after"}) == Bulk("restart"));

  // The server restarts under a connected prompt: the command reconnects and is answered.
  CHECK(srv->Stop() == 0);
  srv.reset();
  srv.emplace(std::vector<std::string>{"--port", std::to_string(port)});
  run("set again 1\r", "\nOK\r\n");
  CHECK(Cmd(srv->Connect(), {"GET", "again"}) == Bulk("1"));

  mark = cli.Mark();
  cli.Send("quit\r");
  CHECK(cli.WaitExit() == std::optional<int>(0));

  const std::string history = ReadAll(histfile);
  CHECK(history.find("set k v\n") != std::string::npos);
  CHECK(history.find("get k\n") != std::string::npos);
  CHECK(Count(history, "help set\n") == 2);
  CHECK(history.find("set hk hv\n") != std::string::npos);
  CHECK(history.find("quit\n") != std::string::npos);
  CHECK(history.find("auth") == std::string::npos);
  CHECK(history.find("not-the-password") == std::string::npos);
}

TEST_CASE("cli interactive: not connected at start, connects when the server appears") {
  TempDir home;
  int port = 0;
  {
    TestServer probe;  // a port that was free a moment ago
    port = probe.port();
    CHECK(probe.Stop() == 0);
  }
  PtyCli cli({"-p", std::to_string(port)},
             {{"PYKVCLI_HISTFILE", "/dev/null"}, {"HOME", home.path}});
  CHECK(cli.Expect(
      "Could not connect to 127.0.0.1:" + std::to_string(port) + ": Connection refused", 0));
  REQUIRE(cli.Expect("not connected> ", 0));
  TestServer srv(std::vector<std::string>{"--port", std::to_string(port)});
  size_t mark = cli.Mark();
  cli.Send("ping\r");
  CHECK(cli.Expect("PONG", mark));
  CHECK(cli.Expect("127.0.0.1:" + std::to_string(port) + "> ", mark));
  // Ctrl-D on an empty line leaves with status 0.
  mark = cli.Mark();
  cli.Send("\x04");
  CHECK_MESSAGE(cli.WaitExit() == std::optional<int>(0), "output: " << cli.output().substr(mark));
  CHECK_FALSE(std::filesystem::exists(home.path + "/.pykvcli_history"));
}

}  // namespace pykv::it
