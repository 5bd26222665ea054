#include "cli/line_editor.h"

#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <utility>

namespace pykv::cli {
namespace {

// Bytes between two of these in the right prompt are printed as they are and take no room
// (libedit's EL_RPROMPT_ESC): the color sequences around the hint.
constexpr char kLiteral = '\1';
// A key sequence nobody types, bound to libedit's own end of line (which moves below the
// whole line before the newline): FinishLine pushes it once the hint is gone.
constexpr const char* kNewlineKeys = "^X^]";
constexpr const char* kNewlineInput = "\030\035";

bool EqualsNoCase(char a, char b) {
  return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b));
}

// The longest prefix all candidates share, ignoring case (taken from the first).
std::string CommonPrefix(const std::vector<std::string>& items) {
  std::string prefix = items.front();
  for (const std::string& s : items) {
    size_t n = 0;
    while (n < prefix.size() && n < s.size() && EqualsNoCase(prefix[n], s[n])) ++n;
    prefix.resize(n);
  }
  return prefix;
}

}  // namespace

LineEditor::LineEditor(HintFn hint, CompleteFn complete)
    : hint_(std::move(hint)), complete_(std::move(complete)), history_(history_init()) {
  if (!history_) return;
  HistEvent ev;
  history(history_.get(), &ev, H_SETSIZE, 1000);
  history(history_.get(), &ev, H_SETUNIQUE, 1);
  el_.reset(el_init("pykv-cli", stdin, stdout, stderr));
  if (!el_) return;
  EditLine* el = el_.get();
  el_set(el, EL_CLIENTDATA, this);
  el_set(el, EL_EDITOR, "emacs");
  el_set(el, EL_SIGNAL, 1);  // redraws after a window resize or a suspend
  el_set(el, EL_HIST, history, history_.get());
  el_set(el, EL_PROMPT, &LineEditor::PromptCallback);
  el_set(el, EL_RPROMPT_ESC, &LineEditor::RightPromptCallback, kLiteral);
  el_source(el, nullptr);  // the user's ~/.editrc, if any
  // Ctrl-C becomes a key while editing, so it can drop the line instead of the process.
  el_set(el, EL_SETTY, "-d", "-isig", nullptr);
  // The wide-character call keeps these static names: el_set would wcsdup them into
  // copies libedit never frees (LeakSanitizer reports them at exit).
  el_wset(el, EL_ADDFN, L"pykv-insert", L"insert and refresh the hint", &LineEditor::InsertKey);
  el_wset(el, EL_ADDFN, L"pykv-accept", L"enter the line", &LineEditor::AcceptKey);
  el_wset(el, EL_ADDFN, L"pykv-interrupt", L"drop the line", &LineEditor::InterruptKey);
  el_wset(el, EL_ADDFN, L"pykv-complete", L"complete the word", &LineEditor::CompleteKey);
  // libedit draws a plain insertion at the end of the line itself, without a refresh, so
  // the hint would go stale: printable keys go through a function that asks for one.
  for (int c = 0x20; c < 0x7f; ++c) {
    std::string key;
    if (c == '^' || c == '\\' || c == '-') key += '\\';
    key += static_cast<char>(c);
    el_set(el, EL_BIND, key.c_str(), "pykv-insert", nullptr);
  }
  el_set(el, EL_BIND, "^M", "pykv-accept", nullptr);
  el_set(el, EL_BIND, "^J", "pykv-accept", nullptr);
  el_set(el, EL_BIND, "^C", "pykv-interrupt", nullptr);
  el_set(el, EL_BIND, kNewlineKeys, "ed-newline", nullptr);
  el_set(el, EL_BIND, "^I", "pykv-complete", nullptr);
}

LineEditor::~LineEditor() = default;

LineEditor* LineEditor::Self(EditLine* el) {
  void* self = nullptr;
  el_get(el, EL_CLIENTDATA, &self);
  return static_cast<LineEditor*>(self);
}

char* LineEditor::PromptCallback(EditLine* el) {
  return Self(el)->prompt_.data();
}

char* LineEditor::RightPromptCallback(EditLine* el) {
  LineEditor* self = Self(el);
  self->right_prompt_.clear();
  if (self->finishing_ || !self->hint_) return self->right_prompt_.data();
  const LineInfo* li = el_line(el);
  const std::string_view line(li->buffer, static_cast<size_t>(li->lastchar - li->buffer));
  std::string hint = self->hint_(line);
  // libedit drops a right prompt that does not fit: keep what fits, with a gap of two.
  const int room = self->Columns() - static_cast<int>(self->prompt_.size() + line.size()) - 4;
  if (hint.empty() || room < 4) return self->right_prompt_.data();
  if (hint.size() > static_cast<size_t>(room)) hint = hint.substr(0, room - 3) + "...";
  // The color reset rides on a trailing blank: libedit emits a literal with the next cell.
  self->right_prompt_ = std::string(1, kLiteral) + "\033[90m" + kLiteral + hint + kLiteral +
                        "\033[0m" + kLiteral + " ";
  return self->right_prompt_.data();
}

int LineEditor::Columns() {
  int cols = 0;
  if (el_get(el_.get(), EL_GETTC, "co", &cols, nullptr) != 0 || cols <= 0) return 80;
  return cols;
}

unsigned char LineEditor::InsertKey(EditLine* el, int ch) {
  const char text[2] = {static_cast<char>(ch), '\0'};
  if (el_insertstr(el, text) != 0) return CC_ERROR;
  return CC_REFRESH;
}

unsigned char LineEditor::FinishLine() {
  // Redraw once without the hint (so it does not stay on the screen), then let libedit end
  // the line through the pushed keys.
  finishing_ = true;
  el_push(el_.get(), kNewlineInput);
  return CC_REFRESH;
}

unsigned char LineEditor::AcceptKey(EditLine* el, int) {
  return Self(el)->FinishLine();
}

unsigned char LineEditor::InterruptKey(EditLine* el, int) {
  LineEditor* self = Self(el);
  self->interrupted_ = true;
  return self->FinishLine();
}

unsigned char LineEditor::CompleteKey(EditLine* el, int) {
  LineEditor* self = Self(el);
  if (!self->complete_) return CC_ERROR;
  const LineInfo* li = el_line(el);
  const std::string before(li->buffer, static_cast<size_t>(li->cursor - li->buffer));
  size_t start = before.size();
  std::vector<std::string> candidates = self->complete_(before, &start);
  if (candidates.empty() || start > before.size()) return CC_REFRESH_BEEP;
  const size_t typed = before.size() - start;
  std::string insert = candidates.size() == 1 ? candidates.front() + " " : CommonPrefix(candidates);
  if (insert.size() > typed) {
    el_deletestr(el, static_cast<int>(typed));
    el_insertstr(el, insert.c_str());
    return CC_REFRESH;
  }
  // Nothing more to add: list the choices under the line, then draw the line again.
  std::string list = "\n";
  for (const std::string& c : candidates) list += c + "  ";
  list += "\n";
  std::fputs(list.c_str(), stdout);
  std::fflush(stdout);
  return CC_REDISPLAY;
}

std::optional<std::string> LineEditor::ReadLine(const std::string& prompt) {
  prompt_ = prompt;
  finishing_ = false;
  interrupted_ = false;
  // libedit draws the prompt before it leaves cooked mode, and a key typed in between
  // (as soon as the prompt shows) would be a signal (Ctrl-C) or an end of file (Ctrl-D)
  // there: leave cooked mode first, and put the terminal back as it was afterwards.
  termios cooked{};
  const bool is_tty = tcgetattr(STDIN_FILENO, &cooked) == 0;
  if (is_tty) {
    termios quiet = cooked;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ISIG | ICANON | ECHO | IEXTEN);
    quiet.c_cc[VMIN] = 1;
    quiet.c_cc[VTIME] = 0;
    tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
  }
  int count = 0;
  const char* line = el_gets(el_.get(), &count);
  if (is_tty) tcsetattr(STDIN_FILENO, TCSANOW, &cooked);
  finishing_ = false;
  if (line == nullptr || count <= 0) return std::nullopt;
  if (interrupted_) return std::string();
  std::string out(line, static_cast<size_t>(count));
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  return out;
}

void LineEditor::AddHistory(const std::string& line) {
  if (!history_ || line.empty()) return;
  HistEvent ev;
  history(history_.get(), &ev, H_ENTER, line.c_str());
}

}  // namespace pykv::cli
