// Command help for pykv-cli's prompt: the catalog of commands the server describes with
// COMMAND DOCS (summary, since, group, argument tree), and the texts built from it: the
// argument synopsis ("key value [NX|XX] [GET] [EX seconds|PX milliseconds|...]"), `help
// <command>` and `help @<group>` as redis-cli prints them, the hint of the arguments still
// expected while a line is typed, and TAB completion of command names. The same catalog
// works for PyKV and Redis (both answer COMMAND DOCS in RESP2 or RESP3).
// Plain values and pure functions; any thread.
#pragma once

#include <cstddef>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "resp/reply_parser.h"

namespace pykv::cli {

// One node of a command's argument tree, as COMMAND DOCS describes it.
struct CommandArg {
  std::string name;
  std::string type;   // "key", "string", "integer", "pure-token", "oneof", "block"...
  std::string token;  // the literal word before the value ("EX"), or the pure token itself
  bool optional = false;
  bool multiple = false;
  bool multiple_token = false;       // each repetition repeats the token
  std::vector<CommandArg> children;  // "oneof" and "block"
};

struct CommandDoc {
  std::string name;  // lower case; a subcommand is "client kill"
  std::string summary;
  std::string since;
  std::string group;
  std::vector<CommandArg> args;
};

class CommandCatalog {
 public:
  // Reads the reply of COMMAND DOCS (with or without names), including each container
  // command's "subcommands". Returns false when the reply does not have that shape.
  bool Load(const resp::ReplyValue& reply);
  bool empty() const { return docs_.empty(); }
  size_t size() const { return docs_.size(); }

  // The command `name` names ("set", "client kill", "CLIENT|KILL"); null if unknown.
  const CommandDoc* Find(std::string_view name) const;
  // The command the first words of a typed line name, the subcommand when the second word
  // is one ("client kill ..."); *name_words tells how many words that took. Null if unknown.
  const CommandDoc* Match(std::span<const std::string> words, size_t* name_words) const;
  // The commands of a group ("string"), sorted by name.
  std::vector<const CommandDoc*> InGroup(std::string_view group) const;
  // Every group name, sorted.
  std::vector<std::string> Groups() const;
  // Top-level command names (no subcommands) starting with `prefix`, case-insensitively,
  // sorted.
  std::vector<std::string> NamesWithPrefix(std::string_view prefix) const;
  // The subcommands of `command` ("kill" for "client") starting with `prefix`, sorted.
  std::vector<std::string> SubcommandsWithPrefix(std::string_view command,
                                                 std::string_view prefix) const;

 private:
  void Add(std::string name, const resp::ReplyValue& fields);

  std::map<std::string, CommandDoc> docs_;  // by lower-case name, subcommands "a b"
};

// The synopsis of one argument and of a whole argument list, with redis-cli's notation:
// [optional], a|b for one of, "x [x ...]" for multiple, "TOKEN value" for tokens.
std::string RenderArg(const CommandArg& arg);
std::string Synopsis(const std::vector<CommandArg>& args);

// What is still expected after the arguments typed so far (the words after the command
// name), for the hint shown while typing. The match is by position and by tokens, so it
// is a guide rather than a validation: an unrecognised word simply ends the hint.
std::string RemainingSynopsis(const std::vector<CommandArg>& args,
                              std::span<const std::string> typed);

// `help set`: "\n  SET key value ...\n  summary: ...\n  since: 1.0.0\n  group: string\n"
// (with_group false for the entries of `help @group`). color adds redis-cli's terminal
// colors (bold name, grey synopsis, yellow labels).
std::string FormatCommandHelp(const CommandDoc& doc, bool with_group, bool color);
// `help` alone: the version and how to ask for more.
std::string GeneralHelp(std::string_view version);

// TAB completion of the word under the cursor: the command name (or, after `help`, a
// command name or @group). *word_start is where the word being completed begins in
// `before_cursor`. Empty when there is nothing to offer.
std::vector<std::string> Completions(const CommandCatalog& catalog, std::string_view before_cursor,
                                     size_t* word_start);

}  // namespace pykv::cli
