#include "cli/command_help.h"

#include <doctest/doctest.h>
#include <stdlib.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>
#include <utility>
#include <vector>

#include "cli/history_file.h"

namespace pykv::cli {
namespace {

using resp::ReplyValue;

// A RESP2 map: the flat key/value array COMMAND DOCS sends without HELLO 3.
ReplyValue Fields(std::vector<std::pair<std::string, ReplyValue>> fields) {
  ReplyValue v;
  v.type = ReplyValue::Type::kArray;
  for (auto& [k, val] : fields) {
    v.elements.push_back(ReplyValue::Bulk(k));
    v.elements.push_back(std::move(val));
  }
  return v;
}

// The same in RESP3: a map, flags as a set.
ReplyValue AsResp3(ReplyValue v) {
  if (v.is_array() && !v.elements.empty() && v.elements.size() % 2 == 0 &&
      v.elements[0].is_bulk()) {
    v.type = ReplyValue::Type::kMap;
  }
  for (size_t i = 0; i < v.elements.size(); ++i) {
    if (v.is_map() && i % 2 == 1 && v.elements[i - 1].str == "flags") {
      v.elements[i].type = ReplyValue::Type::kSet;
      continue;
    }
    v.elements[i] = AsResp3(std::move(v.elements[i]));
  }
  return v;
}

ReplyValue Flags(std::vector<std::string> flags) {
  std::vector<ReplyValue> items;
  for (auto& f : flags) items.push_back(ReplyValue::Simple(f));
  return ReplyValue::Array(std::move(items));
}

ReplyValue Arg(std::string name, std::string type,
               std::vector<std::pair<std::string, ReplyValue>> more = {}) {
  std::vector<std::pair<std::string, ReplyValue>> fields = {
      {"name", ReplyValue::Bulk(std::move(name))}, {"type", ReplyValue::Bulk(std::move(type))}};
  for (auto& f : more) fields.push_back(std::move(f));
  return Fields(std::move(fields));
}

ReplyValue Token(std::string name, std::string type, std::string token,
                 std::vector<std::pair<std::string, ReplyValue>> more = {}) {
  more.insert(more.begin(), {"token", ReplyValue::Bulk(std::move(token))});
  return Arg(std::move(name), std::move(type), std::move(more));
}

// SET's entry exactly as Redis 7.0 and PyKV send it (history and since left out where
// they do not matter).
ReplyValue SetDocs() {
  ReplyValue args = ReplyValue::Array({
      Arg("key", "key", {{"key_spec_index", ReplyValue{}}}),
      Arg("value", "string"),
      Arg("condition", "oneof",
          {{"since", ReplyValue::Bulk("2.6.12")},
           {"flags", Flags({"optional"})},
           {"arguments", ReplyValue::Array(
                             {Token("nx", "pure-token", "NX"), Token("xx", "pure-token", "XX")})}}),
      Token("get", "pure-token", "GET",
            {{"since", ReplyValue::Bulk("6.2.0")}, {"flags", Flags({"optional"})}}),
      Arg("expiration", "oneof",
          {{"flags", Flags({"optional"})},
           {"arguments", ReplyValue::Array({
                             Token("seconds", "integer", "EX"),
                             Token("milliseconds", "integer", "PX"),
                             Token("unix-time-seconds", "unix-time", "EXAT"),
                             Token("unix-time-milliseconds", "unix-time", "PXAT"),
                             Token("keepttl", "pure-token", "KEEPTTL"),
                         })}}),
  });
  return Fields(
      {{"summary", ReplyValue::Bulk("Set the string value of a key")},
       {"since", ReplyValue::Bulk("1.0.0")},
       {"group", ReplyValue::Bulk("string")},
       {"complexity", ReplyValue::Bulk("O(1)")},
       {"history", ReplyValue::Array({ReplyValue::Array(
                       {ReplyValue::Bulk("2.6.12"), ReplyValue::Bulk("Added the `EX`...")})})},
       {"arguments", std::move(args)}});
}

// XADD: nested blocks and oneofs, an optional token inside a block, a multiple block.
ReplyValue XaddDocs() {
  ReplyValue trim = Arg(
      "trim", "block",
      {{"flags", Flags({"optional"})},
       {"arguments",
        ReplyValue::Array(
            {Arg("strategy", "oneof",
                 {{"arguments", ReplyValue::Array({Token("maxlen", "pure-token", "MAXLEN"),
                                                   Token("minid", "pure-token", "MINID")})}}),
             Arg("operator", "oneof",
                 {{"flags", Flags({"optional"})},
                  {"arguments", ReplyValue::Array({Token("equal", "pure-token", "="),
                                                   Token("approximately", "pure-token", "~")})}}),
             Arg("threshold", "string"),
             Token("count", "integer", "LIMIT", {{"flags", Flags({"optional"})}})})}});
  ReplyValue args = ReplyValue::Array({
      Arg("key", "key"),
      Token("nomkstream", "pure-token", "NOMKSTREAM", {{"flags", Flags({"optional"})}}),
      std::move(trim),
      Arg("id_or_auto", "oneof",
          {{"arguments",
            ReplyValue::Array({Token("auto_id", "pure-token", "*"), Arg("id", "string")})}}),
      Arg("data", "block",
          {{"flags", Flags({"multiple"})},
           {"arguments", ReplyValue::Array({Arg("field", "string"), Arg("value", "string")})}}),
  });
  return Fields({{"summary", ReplyValue::Bulk("Appends a new entry to a stream")},
                 {"since", ReplyValue::Bulk("5.0.0")},
                 {"group", ReplyValue::Bulk("stream")},
                 {"arguments", std::move(args)}});
}

// SORT's GET (multiple_token) and MIGRATE's KEYS (token, multiple, optional).
ReplyValue SortDocs() {
  ReplyValue args = ReplyValue::Array({
      Arg("key", "key"),
      Token("pattern", "pattern", "BY", {{"flags", Flags({"optional"})}}),
      Token(
          "limit", "block", "LIMIT",
          {{"flags", Flags({"optional"})},
           {"arguments", ReplyValue::Array({Arg("offset", "integer"), Arg("count", "integer")})}}),
      Token("pattern", "pattern", "GET",
            {{"flags", Flags({"optional", "multiple", "multiple_token"})}}),
      Token("key", "key", "KEYS", {{"flags", Flags({"optional", "multiple"})}}),
  });
  return Fields({{"summary", ReplyValue::Bulk("Sort")},
                 {"since", ReplyValue::Bulk("1.0.0")},
                 {"group", ReplyValue::Bulk("generic")},
                 {"arguments", std::move(args)}});
}

ReplyValue ClientDocs() {
  ReplyValue subs =
      Fields({{"client|setname",
               Fields({{"summary", ReplyValue::Bulk("Set the current connection name")},
                       {"since", ReplyValue::Bulk("2.6.9")},
                       {"group", ReplyValue::Bulk("connection")},
                       {"arguments", ReplyValue::Array({Arg("connection-name", "string")})}})},
              {"client|id", Fields({{"summary", ReplyValue::Bulk("Returns the client ID")},
                                    {"since", ReplyValue::Bulk("5.0.0")},
                                    {"group", ReplyValue::Bulk("connection")}})}});
  return Fields({{"summary", ReplyValue::Bulk("A container for client connection commands")},
                 {"since", ReplyValue::Bulk("2.4.0")},
                 {"group", ReplyValue::Bulk("connection")},
                 {"subcommands", std::move(subs)}});
}

ReplyValue AllDocs() {
  return Fields({{"set", SetDocs()},
                 {"xadd", XaddDocs()},
                 {"sort", SortDocs()},
                 {"client", ClientDocs()},
                 {"get", Fields({{"summary", ReplyValue::Bulk("Get the value of a key")},
                                 {"since", ReplyValue::Bulk("1.0.0")},
                                 {"group", ReplyValue::Bulk("string")},
                                 {"arguments", ReplyValue::Array({Arg("key", "key")})}})}});
}

CommandCatalog Catalog(const ReplyValue& reply) {
  CommandCatalog c;
  REQUIRE(c.Load(reply));
  return c;
}

const char* kSetSynopsis =
    "key value [NX|XX] [GET] [EX seconds|PX milliseconds|EXAT unix-time-seconds|PXAT "
    "unix-time-milliseconds|KEEPTTL]";

TEST_CASE("synopsis of SET from its COMMAND DOCS arguments") {
  CommandCatalog c = Catalog(AllDocs());
  const CommandDoc* set = c.Find("SET");
  REQUIRE(set != nullptr);
  CHECK(set->summary == "Set the string value of a key");
  CHECK(set->since == "1.0.0");
  CHECK(set->group == "string");
  REQUIRE(set->args.size() == 5);
  CHECK(set->args[2].optional);
  CHECK(set->args[2].children.size() == 2);
  CHECK(Synopsis(set->args) == kSetSynopsis);
}

TEST_CASE("the RESP3 shape (maps, flag sets) reads the same") {
  CommandCatalog c = Catalog(AsResp3(AllDocs()));
  REQUIRE(c.Find("set") != nullptr);
  CHECK(Synopsis(c.Find("set")->args) == kSetSynopsis);
  CHECK(c.Find("client setname") != nullptr);
}

TEST_CASE("synopsis of nested blocks and oneofs, multiple and multiple_token") {
  CommandCatalog c = Catalog(AllDocs());
  CHECK(Synopsis(c.Find("xadd")->args) ==
        "key [NOMKSTREAM] [MAXLEN|MINID [=|~] threshold [LIMIT count]] *|id field value "
        "[field value ...]");
  CHECK(Synopsis(c.Find("sort")->args) ==
        "key [BY pattern] [LIMIT offset count] [GET pattern [GET pattern ...]] "
        "[KEYS key [key ...]]");
}

TEST_CASE("help text for one command and for a group") {
  CommandCatalog c = Catalog(AllDocs());
  CHECK(FormatCommandHelp(*c.Find("set"), true, false) ==
        std::string("\n  SET ") + kSetSynopsis +
            "\n  summary: Set the string value of a key\n  since: 1.0.0\n  group: string\n");
  CHECK(FormatCommandHelp(*c.Find("get"), false, false) ==
        "\n  GET key\n  summary: Get the value of a key\n  since: 1.0.0\n");
  CHECK(FormatCommandHelp(*c.Find("get"), true, true) ==
        "\n  \033[1mGET\033[0m \033[90mkey\033[0m\n  \033[33msummary:\033[0m Get the value of a "
        "key\n  \033[33msince:\033[0m 1.0.0\n  \033[33mgroup:\033[0m string\n");
  // No arguments: no trailing blank after the name.
  CHECK(FormatCommandHelp(*c.Find("client id"), true, false).rfind("\n  CLIENT ID\n", 0) == 0);

  std::vector<std::string> names;
  for (const CommandDoc* d : c.InGroup("STRING")) names.push_back(d->name);
  CHECK(names == std::vector<std::string>{"get", "set"});
  CHECK(c.Groups() == std::vector<std::string>{"connection", "generic", "stream", "string"});
  CHECK(GeneralHelp("1.2.3").rfind("pykv-cli 1.2.3\n", 0) == 0);
}

TEST_CASE("subcommands are found by two words or by container|sub") {
  CommandCatalog c = Catalog(AllDocs());
  REQUIRE(c.Find("CLIENT|SETNAME") != nullptr);
  CHECK(c.Find("client setname")->summary == "Set the current connection name");
  std::vector<std::string> line = {"client", "setname", "x"};
  size_t n = 0;
  CHECK(c.Match(line, &n) == c.Find("client setname"));
  CHECK(n == 2);
  line = {"set", "k"};
  CHECK(c.Match(line, &n) == c.Find("set"));
  CHECK(n == 1);
  line = {"nosuch"};
  CHECK(c.Match(line, &n) == nullptr);
  CHECK(c.SubcommandsWithPrefix("CLIENT", "") == std::vector<std::string>{"id", "setname"});
  CHECK(c.NamesWithPrefix("s") == std::vector<std::string>{"set", "sort"});
}

TEST_CASE("a reply of another shape is refused") {
  CommandCatalog c;
  CHECK_FALSE(c.Load(ReplyValue::Bulk("nope")));
  CHECK_FALSE(c.Load(ReplyValue::Array({ReplyValue::Bulk("set")})));
  CHECK(c.empty());
}

std::string Remaining(const CommandCatalog& c, const char* cmd, std::vector<std::string> typed) {
  return RemainingSynopsis(c.Find(cmd)->args, typed);
}

TEST_CASE("the hint shrinks as arguments are typed") {
  CommandCatalog c = Catalog(AllDocs());
  CHECK(Remaining(c, "set", {}) == kSetSynopsis);
  CHECK(Remaining(c, "set", {"k"}).rfind("value [NX|XX] [GET] [EX seconds|", 0) == 0);
  CHECK(Remaining(c, "set", {"k", "v"}).rfind("[NX|XX] [GET] [EX", 0) == 0);
  // An optional token skips what comes before it; a token with a value waits for it.
  CHECK(Remaining(c, "set", {"k", "v", "get"}).rfind("[EX seconds|", 0) == 0);
  CHECK(Remaining(c, "set", {"k", "v", "EX"}) == "seconds");
  CHECK(Remaining(c, "set", {"k", "v", "EX", "10"}) == "");
  CHECK(Remaining(c, "set", {"k", "v", "nx", "px", "5"}) == "");
  // A multiple argument, once given, shows its repetition.
  CHECK(Remaining(c, "xadd", {"s", "*"}) == "field value [field value ...]");
  CHECK(Remaining(c, "xadd", {"s", "*", "f"}) == "value [field value ...]");
  CHECK(Remaining(c, "xadd", {"s", "*", "f", "v"}) == "[field value ...]");
  CHECK(Remaining(c, "xadd", {"s", "maxlen"}) ==
        "[=|~] threshold [LIMIT count] *|id field "
        "value [field value ...]");
  CHECK(Remaining(c, "sort", {"k", "limit"}) ==
        "offset count [GET pattern [GET pattern ...]] [KEYS key [key ...]]");
  CHECK(Remaining(c, "get", {"k", "extra"}) == "");
}

TEST_CASE("TAB completion of command names, subcommands and help topics") {
  CommandCatalog c = Catalog(AllDocs());
  size_t start = 99;
  CHECK(Completions(c, "s", &start) == std::vector<std::string>{"set", "sort"});
  CHECK(start == 0);
  CHECK(Completions(c, "SE", &start) == std::vector<std::string>{"SET"});
  CHECK(Completions(c, "he", &start) == std::vector<std::string>{"help"});
  CHECK(Completions(c, "client s", &start) == std::vector<std::string>{"setname"});
  CHECK(start == 7);
  CHECK(Completions(c, "help @st", &start) == std::vector<std::string>{"@stream", "@string"});
  CHECK(start == 5);
  CHECK(Completions(c, "help g", &start) == std::vector<std::string>{"get"});
  CHECK(Completions(c, "set k", &start).empty());
}

TEST_CASE("the history path and the lines kept out of it") {
  CHECK(HistoryPath(nullptr, "/home/u") == "/home/u/.pykvcli_history");
  CHECK(HistoryPath("/tmp/h", "/home/u") == "/tmp/h");
  CHECK(HistoryPath("", "/home/u").empty());
  CHECK(HistoryPath("/dev/null", "/home/u").empty());
  CHECK(HistoryPath(nullptr, nullptr).empty());

  using V = std::vector<std::string>;
  CHECK(ShouldRemember(V{"set", "k", "v"}));
  CHECK_FALSE(ShouldRemember(V{"AUTH", "secret"}));
  CHECK_FALSE(ShouldRemember(V{"hello", "3", "AUTH", "u", "p"}));
  CHECK(ShouldRemember(V{"hello", "3"}));
  CHECK_FALSE(ShouldRemember(V{"acl", "SETUSER", "u", ">p"}));
  CHECK_FALSE(ShouldRemember(V{"config", "set", "requirepass", "p"}));
  CHECK_FALSE(ShouldRemember(V{"config", "set", "maxmemory", "1", "masterauth", "p"}));
  CHECK(ShouldRemember(V{"config", "set", "maxmemory", "1mb"}));
  CHECK_FALSE(ShouldRemember(V{"migrate", "h", "1", "", "0", "5", "AUTH2", "u", "p"}));
}

TEST_CASE("the history file keeps its newest lines and appends") {
  char dir_template[] = "/tmp/pykv_hist_XXXXXX";
  REQUIRE(mkdtemp(dir_template) != nullptr);
  const std::string path = std::string(dir_template) + "/history";
  {
    HistoryFile file(path, 3);
    CHECK(file.Load().empty());
    for (const char* line : {"a", "b", "c", "d"}) file.Append(line);
    CHECK(file.Load() == std::vector<std::string>{"b", "c", "d"});
    file.Append("e");
  }
  std::ifstream in(path);
  std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  CHECK(all == "b\nc\nd\ne\n");
  HistoryFile none("");
  none.Append("x");
  CHECK(none.Load().empty());
  std::remove(path.c_str());
  rmdir(dir_template);
}

}  // namespace
}  // namespace pykv::cli
