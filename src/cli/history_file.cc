#include "cli/history_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>

#include "common/numbers.h"

namespace pykv::cli {

std::string HistoryPath(const char* histfile_env, const char* home_env) {
  if (histfile_env != nullptr) {
    std::string path = histfile_env;
    if (path.empty() || path == "/dev/null") return "";
    return path;
  }
  if (home_env == nullptr || *home_env == '\0') return "";
  return std::string(home_env) + "/.pykvcli_history";
}

bool ShouldRemember(std::span<const std::string> argv) {
  if (argv.empty()) return true;
  const std::string& cmd = argv[0];
  if (EqualsIgnoreCase(cmd, "auth")) return false;
  if (EqualsIgnoreCase(cmd, "hello") || EqualsIgnoreCase(cmd, "migrate")) {
    for (size_t i = 1; i < argv.size(); ++i) {
      if (EqualsIgnoreCase(argv[i], "auth") || EqualsIgnoreCase(argv[i], "auth2")) return false;
    }
    return true;
  }
  if (argv.size() >= 2 && EqualsIgnoreCase(cmd, "acl") && EqualsIgnoreCase(argv[1], "setuser")) {
    return false;
  }
  if (argv.size() >= 2 && EqualsIgnoreCase(cmd, "config") && EqualsIgnoreCase(argv[1], "set")) {
    for (size_t i = 2; i < argv.size(); i += 2) {
      for (const char* secret : {"requirepass", "masterauth", "masteruser", "tls-key-file-pass",
                                 "tls-client-key-file-pass"}) {
        if (EqualsIgnoreCase(argv[i], secret)) return false;
      }
    }
  }
  return true;
}

HistoryFile::HistoryFile(std::string path, size_t max_lines)
    : path_(std::move(path)), max_lines_(max_lines) {}

std::vector<std::string> HistoryFile::Load() {
  std::vector<std::string> lines;
  if (path_.empty()) return lines;
  std::ifstream in(path_);
  for (std::string line; std::getline(in, line);) {
    if (line.empty()) continue;
    lines.push_back(std::move(line));
  }
  if (lines.size() <= max_lines_) return lines;
  lines.erase(lines.begin(), lines.end() - static_cast<std::ptrdiff_t>(max_lines_));
  // Rewrite through a temporary file so a crash never leaves half a history.
  const std::string tmp = path_ + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    for (const std::string& l : lines) out << l << '\n';
    if (!out) {
      std::remove(tmp.c_str());
      return lines;
    }
  }
  if (std::rename(tmp.c_str(), path_.c_str()) != 0) std::remove(tmp.c_str());
  return lines;
}

void HistoryFile::Append(const std::string& line) {
  if (path_.empty() || line.empty()) return;
  // O_APPEND: sessions running side by side interleave whole lines.
  int fd = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0) return;
  std::string data = line + "\n";
  const char* p = data.data();
  size_t left = data.size();
  while (left > 0) {
    ssize_t n = ::write(fd, p, left);
    if (n <= 0) break;
    p += n;
    left -= static_cast<size_t>(n);
  }
  ::close(fd);
}

}  // namespace pykv::cli
