#include "cli/command_help.h"

#include <algorithm>
#include <cctype>
#include <deque>
#include <functional>
#include <set>

#include "common/numbers.h"
#include "resp/split_args.h"

namespace pykv::cli {
namespace {

using resp::ReplyValue;

// COMMAND DOCS answers with maps in RESP3 and flat key/value arrays in RESP2.
void ForEachField(const ReplyValue& v,
                  const std::function<void(std::string_view, const ReplyValue&)>& fn) {
  if (!v.is_map() && !v.is_array()) return;
  for (size_t i = 0; i + 1 < v.elements.size(); i += 2) {
    if (v.elements[i].is_string()) fn(v.elements[i].str, v.elements[i + 1]);
  }
}

std::string Text(const ReplyValue& v) {
  return v.is_string() ? v.str : std::string();
}

CommandArg ParseArg(const ReplyValue& v) {
  CommandArg arg;
  ForEachField(v, [&](std::string_view key, const ReplyValue& value) {
    if (key == "name") {
      arg.name = Text(value);
    } else if (key == "type") {
      arg.type = Text(value);
    } else if (key == "token") {
      arg.token = Text(value);
    } else if (key == "flags") {
      for (const ReplyValue& flag : value.elements) {
        if (flag.str == "optional") arg.optional = true;
        if (flag.str == "multiple") arg.multiple = true;
        if (flag.str == "multiple_token") arg.multiple_token = true;
      }
    } else if (key == "arguments") {
      for (const ReplyValue& child : value.elements) arg.children.push_back(ParseArg(child));
    }
  });
  return arg;
}

std::string Join(const std::vector<std::string>& parts, std::string_view sep) {
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i > 0) out += sep;
    out += parts[i];
  }
  return out;
}

std::string Upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

bool StartsWithIgnoreCase(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && EqualsIgnoreCase(s.substr(0, prefix.size()), prefix);
}

bool IsPureToken(const CommandArg& a) {
  return a.type == "pure-token";
}

// The argument without its token, flags and repetition: "seconds", "NX|XX", "offset count".
std::string RenderValue(const CommandArg& a) {
  if (IsPureToken(a)) return a.token;
  std::vector<std::string> parts;
  for (const CommandArg& child : a.children) parts.push_back(RenderArg(child));
  if (a.type == "oneof") return Join(parts, "|");
  if (a.type == "block") return Join(parts, " ");
  return a.name;
}

std::string WithToken(const CommandArg& a, const std::string& value) {
  if (a.token.empty() || IsPureToken(a)) return value;
  return value.empty() ? a.token : a.token + " " + value;
}

// The repetition that may follow a first occurrence: "[key ...]", "[GET pattern ...]".
std::string RenderRepeat(const CommandArg& a) {
  const std::string value = RenderValue(a);
  return "[" + (a.multiple_token ? WithToken(a, value) : value) + " ...]";
}

// Whether `word` can begin argument `a`: a token must match; a plain value takes anything.
bool CanStart(const CommandArg& a, std::string_view word) {
  if (!a.token.empty()) return EqualsIgnoreCase(a.token, word);
  if (a.type == "oneof") {
    return std::any_of(a.children.begin(), a.children.end(),
                       [&](const CommandArg& c) { return CanStart(c, word); });
  }
  if (a.type == "block") {
    for (const CommandArg& c : a.children) {
      if (CanStart(c, word)) return true;
      if (!c.optional) return false;
    }
    return false;
  }
  return true;
}

// The words still expected inside `a` once `word` began it, one entry per word to come.
std::deque<std::string> RestAfter(const CommandArg& a, std::string_view word) {
  std::deque<std::string> rest;
  if (!a.token.empty() && !IsPureToken(a)) {
    if (a.type == "block") {
      for (const CommandArg& c : a.children) rest.push_back(RenderArg(c));
    } else if (a.type == "oneof" || !a.children.empty()) {
      rest.push_back(RenderValue(a));
    } else {
      rest.push_back(a.name);
    }
    return rest;
  }
  if (a.type == "oneof") {
    // Prefer the alternative whose token the word is over a plain value.
    const CommandArg* chosen = nullptr;
    for (const CommandArg& c : a.children) {
      if (!c.token.empty() && EqualsIgnoreCase(c.token, word)) {
        chosen = &c;
        break;
      }
      if (chosen == nullptr && CanStart(c, word)) chosen = &c;
    }
    return chosen == nullptr ? rest : RestAfter(*chosen, word);
  }
  if (a.type == "block") {
    size_t i = 0;
    while (i < a.children.size() && !CanStart(a.children[i], word)) ++i;
    if (i == a.children.size()) return rest;
    rest = RestAfter(a.children[i], word);
    for (++i; i < a.children.size(); ++i) rest.push_back(RenderArg(a.children[i]));
  }
  return rest;
}

// redis-cli's help colors.
const char* kBold = "\033[1m";
const char* kGrey = "\033[90m";
const char* kYellow = "\033[33m";
const char* kReset = "\033[0m";

}  // namespace

bool CommandCatalog::Load(const ReplyValue& reply) {
  if (!reply.is_map() && !reply.is_array()) return false;
  if (reply.elements.size() % 2 != 0) return false;
  for (size_t i = 0; i + 1 < reply.elements.size(); i += 2) {
    const ReplyValue& name = reply.elements[i];
    const ReplyValue& fields = reply.elements[i + 1];
    if (!name.is_string() || !(fields.is_map() || fields.is_array())) return false;
    Add(name.str, fields);
  }
  return true;
}

void CommandCatalog::Add(std::string name, const ReplyValue& fields) {
  ToLowerInPlace(&name);
  std::replace(name.begin(), name.end(), '|', ' ');
  CommandDoc doc;
  doc.name = name;
  ForEachField(fields, [&](std::string_view key, const ReplyValue& value) {
    if (key == "summary") {
      doc.summary = Text(value);
    } else if (key == "since") {
      doc.since = Text(value);
    } else if (key == "group") {
      doc.group = Text(value);
    } else if (key == "arguments") {
      for (const ReplyValue& a : value.elements) doc.args.push_back(ParseArg(a));
    } else if (key == "subcommands") {
      for (size_t i = 0; i + 1 < value.elements.size(); i += 2) {
        if (value.elements[i].is_string()) Add(value.elements[i].str, value.elements[i + 1]);
      }
    }
  });
  docs_[name] = std::move(doc);
}

const CommandDoc* CommandCatalog::Find(std::string_view name) const {
  std::string key = ToLower(name);
  std::replace(key.begin(), key.end(), '|', ' ');
  auto it = docs_.find(key);
  return it == docs_.end() ? nullptr : &it->second;
}

const CommandDoc* CommandCatalog::Match(std::span<const std::string> words,
                                        size_t* name_words) const {
  if (words.empty()) return nullptr;
  if (words.size() >= 2) {
    if (const CommandDoc* sub = Find(words[0] + " " + words[1])) {
      *name_words = 2;
      return sub;
    }
  }
  const CommandDoc* doc = Find(words[0]);
  if (doc != nullptr) *name_words = 1;
  return doc;
}

std::vector<const CommandDoc*> CommandCatalog::InGroup(std::string_view group) const {
  std::vector<const CommandDoc*> out;
  for (const auto& [name, doc] : docs_) {
    if (EqualsIgnoreCase(doc.group, group)) out.push_back(&doc);
  }
  return out;
}

std::vector<std::string> CommandCatalog::Groups() const {
  std::set<std::string> groups;
  for (const auto& [name, doc] : docs_) {
    if (!doc.group.empty()) groups.insert(doc.group);
  }
  return {groups.begin(), groups.end()};
}

std::vector<std::string> CommandCatalog::NamesWithPrefix(std::string_view prefix) const {
  std::vector<std::string> out;
  for (const auto& [name, doc] : docs_) {
    if (name.find(' ') == std::string::npos && StartsWithIgnoreCase(name, prefix)) {
      out.push_back(name);
    }
  }
  return out;
}

std::vector<std::string> CommandCatalog::SubcommandsWithPrefix(std::string_view command,
                                                               std::string_view prefix) const {
  const std::string head = ToLower(command) + " ";
  std::vector<std::string> out;
  for (auto it = docs_.lower_bound(head); it != docs_.end(); ++it) {
    if (it->first.compare(0, head.size(), head) != 0) break;
    std::string_view sub = std::string_view(it->first).substr(head.size());
    if (StartsWithIgnoreCase(sub, prefix)) out.emplace_back(sub);
  }
  return out;
}

std::string RenderArg(const CommandArg& arg) {
  std::string s = WithToken(arg, RenderValue(arg));
  if (arg.multiple) s += " " + RenderRepeat(arg);
  return arg.optional ? "[" + s + "]" : s;
}

std::string Synopsis(const std::vector<CommandArg>& args) {
  std::vector<std::string> parts;
  for (const CommandArg& a : args) parts.push_back(RenderArg(a));
  return Join(parts, " ");
}

std::string RemainingSynopsis(const std::vector<CommandArg>& args,
                              std::span<const std::string> typed) {
  size_t next = 0;                  // the first argument not yet used
  bool repeating = false;           // args[next] is a multiple argument already given once
  std::deque<std::string> pending;  // words still due inside the argument being typed
  for (const std::string& word : typed) {
    if (!pending.empty()) {
      pending.pop_front();
      continue;
    }
    size_t j = next;
    bool found = false;
    for (; j < args.size(); ++j) {
      const CommandArg& a = args[j];
      const bool may_skip = a.optional || (j == next && repeating);
      if (CanStart(a, word) || !may_skip) {
        found = true;
        break;
      }
    }
    if (!found) return "";
    pending = RestAfter(args[j], word);
    next = args[j].multiple ? j : j + 1;
    repeating = args[j].multiple;
  }
  std::vector<std::string> parts(pending.begin(), pending.end());
  for (size_t j = next; j < args.size(); ++j) {
    parts.push_back(j == next && repeating ? RenderRepeat(args[j]) : RenderArg(args[j]));
  }
  return Join(parts, " ");
}

std::string FormatCommandHelp(const CommandDoc& doc, bool with_group, bool color) {
  const std::string synopsis = Synopsis(doc.args);
  auto label = [&](std::string_view name, std::string_view value) {
    std::string line = "  ";
    line += color ? std::string(kYellow) + std::string(name) + kReset : std::string(name);
    line += " ";
    line += value;
    line += "\n";
    return line;
  };
  std::string out = "\n  ";
  out += color ? kBold + Upper(doc.name) + kReset : Upper(doc.name);
  if (!synopsis.empty()) out += " " + (color ? kGrey + synopsis + kReset : synopsis);
  out += "\n";
  out += label("summary:", doc.summary);
  out += label("since:", doc.since);
  if (with_group) out += label("group:", doc.group);
  return out;
}

std::string GeneralHelp(std::string_view version) {
  std::string out = "pykv-cli";
  if (!version.empty()) out += " " + std::string(version);
  out +=
      "\n"
      "Type \"help <command>\" for a command's arguments and summary (help set),\n"
      "     \"help @<group>\" for the commands of a group (help @string),\n"
      "     \"help <TAB>\" to list the commands and groups,\n"
      "     \"quit\" or Ctrl-D to leave.\n"
      "While a command is typed, the arguments it still expects are shown in grey on the "
      "right.\n";
  return out;
}

std::vector<std::string> Completions(const CommandCatalog& catalog, std::string_view before_cursor,
                                     size_t* word_start) {
  size_t start = before_cursor.find_last_of(" \t");
  start = start == std::string_view::npos ? 0 : start + 1;
  *word_start = start;
  const std::string_view word = before_cursor.substr(start);
  std::vector<std::string> done;
  if (!resp::SplitArgs(before_cursor.substr(0, start), &done)) return {};
  std::vector<std::string> out;
  if (done.empty()) {
    out = catalog.NamesWithPrefix(word);
    for (std::string_view extra : {"help", "quit", "exit", "clear"}) {
      if (StartsWithIgnoreCase(extra, word) && catalog.Find(extra) == nullptr) {
        out.emplace_back(extra);
      }
    }
  } else if (done.size() == 1 && EqualsIgnoreCase(done[0], "help")) {
    if (word.empty() || word[0] == '@') {
      for (const std::string& g : catalog.Groups()) {
        if (StartsWithIgnoreCase("@" + g, word)) out.push_back("@" + g);
      }
    }
    if (word.empty() || word[0] != '@') {
      for (std::string& name : catalog.NamesWithPrefix(word)) out.push_back(std::move(name));
    }
  } else if (done.size() == 1) {
    // A subcommand of a container command: "client k<TAB>" offers "kill".
    out = catalog.SubcommandsWithPrefix(done[0], word);
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  // Lower-case names complete in the case the user started with.
  if (!word.empty() && std::isupper(static_cast<unsigned char>(word[0]))) {
    for (std::string& s : out) s = Upper(s);
  }
  return out;
}

}  // namespace pykv::cli
