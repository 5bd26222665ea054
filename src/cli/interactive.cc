#include "cli/interactive.h"

#include <unistd.h>

#include <clocale>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "cli/cli_modes.h"
#include "cli/command_help.h"
#include "cli/history_file.h"
#include "cli/line_editor.h"
#include "common/numbers.h"
#include "resp/split_args.h"

namespace pykv::cli {
namespace {

constexpr const char* kVersion = PYKV_VERSION;

// One interactive session: the prompt loop, the help catalog and the history.
class Session {
 public:
  Session(CommandRunner& runner, OutputMode mode)
      : runner_(runner),
        mode_(mode),
        color_(mode == OutputMode::kHuman && isatty(STDOUT_FILENO) != 0),
        history_file_(HistoryPath(std::getenv("PYKVCLI_HISTFILE"), std::getenv("HOME"))),
        editor_([this](std::string_view line) { return Hint(line); },
                [this](std::string_view before, size_t* start) {
                  return Completions(catalog_, before, start);
                }) {}

  int Run() {
    for (const std::string& line : history_file_.Load()) editor_.AddHistory(line);
    if (Connect()) FetchDocs();
    for (;;) {
      std::optional<std::string> line = ReadLine();
      if (!line) return 0;
      if (!HandleLine(*line)) return 0;
      if (runner_.connected() && catalog_.empty() && !docs_tried_) FetchDocs();
    }
  }

 private:
  std::string Prompt() const {
    if (!runner_.connected()) return "not connected> ";
    return runner_.address_label() + (in_transaction_ ? "(TX)" : "") + "> ";
  }

  std::optional<std::string> ReadLine() {
    if (editor_.ok()) return editor_.ReadLine(Prompt());
    // No usable terminal for libedit: a plain prompt still works.
    Print(Prompt());
    std::string line;
    if (!std::getline(std::cin, line)) return std::nullopt;
    return line;
  }

  // Connects if needed; prints why not on failure.
  bool Connect() {
    if (runner_.connected()) return true;
    Status st = runner_.EnsureConnected();
    if (st.ok()) {
      docs_tried_ = false;
      return true;
    }
    std::fprintf(stderr, "%s\n", st.message().c_str());
    return false;
  }

  void FetchDocs() {
    docs_tried_ = true;
    const std::vector<std::string> argv = {"COMMAND", "DOCS"};
    StatusOr<resp::ReplyValue> reply = runner_.Run(argv);
    if (!reply.ok()) {
      docs_tried_ = false;  // lost the connection: try again once it is back
      return;
    }
    if (!reply->is_error()) catalog_.Load(*reply);
  }

  // The arguments still expected, for the line being typed.
  std::string Hint(std::string_view line) const {
    if (catalog_.empty()) return "";
    std::vector<std::string> words;
    if (!resp::SplitArgs(line, &words) || words.empty()) return "";
    size_t first = 0;
    int64_t repeat = 0;
    if (words.size() > 1 && ParseInt64(words[0], &repeat) && repeat > 0) first = 1;
    const std::span<const std::string> command(words.data() + first, words.size() - first);
    size_t name_words = 0;
    const CommandDoc* doc = catalog_.Match(command, &name_words);
    if (doc == nullptr) return "";
    return RemainingSynopsis(doc->args, command.subspan(name_words));
  }

  void Remember(const std::string& line, std::span<const std::string> argv) {
    if (!ShouldRemember(argv)) return;
    editor_.AddHistory(line);
    history_file_.Append(line);
  }

  // Runs one line; false when the session is over.
  bool HandleLine(const std::string& line) {
    std::vector<std::string> argv;
    if (!resp::SplitArgs(line, &argv)) {
      editor_.AddHistory(line);  // in memory only, to be fixed with the arrow keys
      Print("Invalid argument(s)\n");
      return true;
    }
    if (argv.empty()) return true;
    Remember(line, argv);
    if (EqualsIgnoreCase(argv[0], "quit") || EqualsIgnoreCase(argv[0], "exit")) return false;
    if (EqualsIgnoreCase(argv[0], "help") || argv[0] == "?") {
      Help(std::span<const std::string>(argv).subspan(1));
      return true;
    }
    if (EqualsIgnoreCase(argv[0], "clear") && argv.size() == 1) {
      Print("\033[H\033[2J");
      return true;
    }
    // "3 incr counter" runs the command three times, as in redis-cli.
    int64_t repeat = 1;
    if (argv.size() > 1 && ParseInt64(argv[0], &repeat) && repeat > 0) {
      argv.erase(argv.begin());
    } else {
      repeat = 1;
    }
    for (int64_t i = 0; i < repeat; ++i) {
      if (!Connect()) return true;
      StatusOr<resp::ReplyValue> reply = runner_.Run(argv);
      TrackTransaction(argv, reply);
      PrintResult(runner_, argv, reply, mode_);
      if (!reply.ok()) break;
    }
    return true;
  }

  void TrackTransaction(std::span<const std::string> argv,
                        const StatusOr<resp::ReplyValue>& reply) {
    if (!reply.ok()) {
      in_transaction_ = false;  // a new connection starts outside any MULTI
    } else if (EqualsIgnoreCase(argv[0], "multi")) {
      in_transaction_ = in_transaction_ || !reply->is_error();
    } else if (EqualsIgnoreCase(argv[0], "exec") || EqualsIgnoreCase(argv[0], "discard")) {
      in_transaction_ = false;
    }
  }

  // help, help <command>, help @<group>.
  void Help(std::span<const std::string> args) {
    if (args.empty()) {
      Print(GeneralHelp(kVersion));
      return;
    }
    if (catalog_.empty()) {
      if (!Connect()) return;
      FetchDocs();
      if (catalog_.empty()) {
        Print("No help available: the server did not describe its commands (COMMAND DOCS).\n");
        return;
      }
    }
    std::string out;
    if (args[0].size() > 1 && args[0][0] == '@') {
      for (const CommandDoc* doc : catalog_.InGroup(args[0].substr(1))) {
        out += FormatCommandHelp(*doc, false, color_);
      }
    } else {
      std::string name = args[0];
      for (size_t i = 1; i < args.size(); ++i) name += " " + args[i];
      const CommandDoc* doc = catalog_.Find(name);
      if (doc == nullptr && args.size() > 1) doc = catalog_.Find(args[0]);
      if (doc == nullptr) {
        Print("No help for \"" + name + "\": try \"help @<group>\" or \"help <TAB>\".\n");
        return;
      }
      out += FormatCommandHelp(*doc, true, color_);
      // A container command (CLIENT, CONFIG...) also shows its subcommands.
      if (doc->name.find(' ') == std::string::npos) {
        for (const std::string& sub : catalog_.SubcommandsWithPrefix(doc->name, "")) {
          out += FormatCommandHelp(*catalog_.Find(doc->name + " " + sub), true, color_);
        }
      }
    }
    Print(out + "\n");
  }

  CommandRunner& runner_;
  const OutputMode mode_;
  const bool color_;
  HistoryFile history_file_;
  CommandCatalog catalog_;
  bool docs_tried_ = false;  // COMMAND DOCS was asked on this connection
  bool in_transaction_ = false;
  LineEditor editor_;  // last: its callbacks use the members above
};

}  // namespace

int RunInteractive(CommandRunner& runner, OutputMode mode) {
  // libedit reads and draws multibyte text in the terminal's encoding.
  std::setlocale(LC_CTYPE, "");
  Session session(runner, mode);
  return session.Run();
}

}  // namespace pykv::cli
