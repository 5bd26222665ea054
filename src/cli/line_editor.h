// LineEditor: the prompt's line editing on a terminal, an owning wrapper over libedit's
// EditLine and History (emacs keys, or whatever ~/.editrc asks). On top of libedit it adds:
//   - a hint: text the owner computes from the line as it stands, shown in grey at the right
//     edge of the line (libedit's right prompt) and redrawn at every key, removed when the
//     line is entered;
//   - TAB completion from a callback: one candidate is inserted, several are narrowed to
//     their common prefix or else listed under the line;
//   - Ctrl-C drops the line being typed and starts a fresh prompt instead of killing the
//     process (the terminal's interrupt key is turned off while editing only).
// The history list is in memory; the owner decides what to remember and where to keep it.
// One per process, on the main thread (libedit keeps per-terminal state).
#pragma once

#include <histedit.h>

#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pykv::cli {

class LineEditor {
 public:
  // The hint for a line ("" for none).
  using HintFn = std::function<std::string(std::string_view line)>;
  // Candidates for the word that ends at the cursor; *word_start is where it begins.
  using CompleteFn =
      std::function<std::vector<std::string>(std::string_view before_cursor, size_t* word_start)>;

  LineEditor(HintFn hint, CompleteFn complete);
  ~LineEditor();
  LineEditor(const LineEditor&) = delete;
  LineEditor& operator=(const LineEditor&) = delete;

  // False when libedit could not start (no usable terminal): callers read lines otherwise.
  bool ok() const { return el_ != nullptr; }
  // Reads one line (without its newline) after showing `prompt`. std::nullopt at the end of
  // input (Ctrl-D on an empty line, or the terminal went away); "" after Ctrl-C.
  std::optional<std::string> ReadLine(const std::string& prompt);
  // Adds a line to the list that up/down arrows walk (a repeat of the last one is not).
  void AddHistory(const std::string& line);

 private:
  struct EditLineEnd {
    void operator()(EditLine* el) const { el_end(el); }
  };
  struct HistoryEnd {
    void operator()(History* h) const { history_end(h); }
  };

  static LineEditor* Self(EditLine* el);
  static char* PromptCallback(EditLine* el);
  static char* RightPromptCallback(EditLine* el);
  static unsigned char InsertKey(EditLine* el, int ch);
  static unsigned char AcceptKey(EditLine* el, int ch);
  static unsigned char InterruptKey(EditLine* el, int ch);
  static unsigned char CompleteKey(EditLine* el, int ch);
  // Ends the line: first a redraw without the hint, then the newline.
  unsigned char FinishLine();
  int Columns();

  HintFn hint_;
  CompleteFn complete_;
  std::unique_ptr<History, HistoryEnd> history_;
  std::unique_ptr<EditLine, EditLineEnd> el_;
  std::string prompt_;
  std::string right_prompt_;
  bool finishing_ = false;    // the line is being entered: no hint any more
  bool interrupted_ = false;  // Ctrl-C ended the line
};

}  // namespace pykv::cli
