// HistoryFile: the file behind the interactive prompt's history, plain text with one line
// per command as redis-cli keeps ~/.rediscli_history: $PYKVCLI_HISTFILE when set (empty or
// /dev/null: no history kept), else ~/.pykvcli_history. Lines are appended as they are
// entered, so a crash loses nothing and two sessions do not overwrite each other; the file
// is cut back to its newest lines when it is loaded. Lines that carry a password (AUTH,
// HELLO ... AUTH, ACL SETUSER, CONFIG SET requirepass...) are never written, as redis-cli
// does since 7.0. One thread; not thread-safe.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <vector>

namespace pykv::cli {

// The history path from $PYKVCLI_HISTFILE's value (null: unset) and $HOME (null: unset);
// "" when no history is to be kept.
std::string HistoryPath(const char* histfile_env, const char* home_env);

// False for a command line that may carry a secret and so must not be remembered.
bool ShouldRemember(std::span<const std::string> argv);

class HistoryFile {
 public:
  // path "" keeps nothing.
  explicit HistoryFile(std::string path, size_t max_lines = 1000);

  // The newest max_lines lines of the file, oldest first; rewrites the file with only
  // those when it held more.
  std::vector<std::string> Load();
  // Appends one line (which holds no newline). Failures are silent: history is a comfort.
  void Append(const std::string& line);

 private:
  std::string path_;
  size_t max_lines_;
};

}  // namespace pykv::cli
