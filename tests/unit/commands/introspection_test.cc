// COMMAND and its subcommands (introspection.cc): reply shapes checked against Redis 7.0,
// plus checks that the whole command table is well-formed data.
#include <doctest/doctest.h>

#include <cctype>
#include <set>
#include <string>
#include <vector>

#include "unit/commands/command_test_fixture.h"

namespace pykv::cmd::testing {
namespace {

// Redis 7.0.15's exact RESP2 bytes for COMMAND INFO get (our table has the same record).
const std::string kGetInfoResp2 =
    "*10\r\n$3\r\nget\r\n:2\r\n*2\r\n+readonly\r\n+fast\r\n:1\r\n:1\r\n:1\r\n*3\r\n+@read\r\n"
    "+@string\r\n+@fast\r\n*0\r\n*1\r\n*6\r\n$5\r\nflags\r\n*2\r\n+RO\r\n+access\r\n$12\r\n"
    "begin_search\r\n*4\r\n$4\r\ntype\r\n$5\r\nindex\r\n$4\r\nspec\r\n*2\r\n$5\r\nindex\r\n:1\r\n"
    "$9\r\nfind_keys\r\n*4\r\n$4\r\ntype\r\n$5\r\nrange\r\n$4\r\nspec\r\n*6\r\n$7\r\nlastkey\r\n"
    ":0\r\n$7\r\nkeystep\r\n:1\r\n$5\r\nlimit\r\n:0\r\n*0\r\n";
// And in RESP3 (after HELLO 3): sets and maps.
const std::string kGetInfoResp3 =
    "*10\r\n$3\r\nget\r\n:2\r\n~2\r\n+readonly\r\n+fast\r\n:1\r\n:1\r\n:1\r\n~3\r\n+@read\r\n"
    "+@string\r\n+@fast\r\n~0\r\n~1\r\n%3\r\n$5\r\nflags\r\n~2\r\n+RO\r\n+access\r\n$12\r\n"
    "begin_search\r\n%2\r\n$4\r\ntype\r\n$5\r\nindex\r\n$4\r\nspec\r\n%1\r\n$5\r\nindex\r\n:1\r\n"
    "$9\r\nfind_keys\r\n%2\r\n$4\r\ntype\r\n$5\r\nrange\r\n$4\r\nspec\r\n%3\r\n$7\r\nlastkey\r\n"
    ":0\r\n$7\r\nkeystep\r\n:1\r\n$5\r\nlimit\r\n:0\r\n~0\r\n";

std::set<std::string> Strings(const RespValue& v) {
  std::set<std::string> out;
  for (const RespValue& e : v.elems) out.insert(e.str);
  return out;
}

// Checks one COMMAND INFO entry's shape (recursively for subcommands) and what redis-cli's
// help integration requires of it: an array of at least 4, [0] a string, [1] and [3]
// integers.
void CheckInfoEntry(const RespValue& e, const Command& c) {
  CAPTURE(c.name);
  REQUIRE(e.type == '*');
  REQUIRE(e.size() == 10);
  CHECK(e[0].type == '$');
  CHECK(e[0].str == c.name);
  CHECK(e[1].type == ':');
  CHECK(e[1].integer == c.arity);
  CHECK(e[2].is_aggregate());
  for (const RespValue& f : e[2].elems) CHECK(f.type == '+');
  CHECK(e[3].type == ':');
  CHECK(e[4].type == ':');
  CHECK(e[5].type == ':');
  CHECK(e[3].integer == c.legacy_keys.first);
  REQUIRE(e[6].is_aggregate());
  CHECK(e[6].size() >= 1);  // at least @fast or @slow
  for (const RespValue& cat : e[6].elems) CHECK(cat.str.rfind('@', 0) == 0);
  CHECK(e[7].is_aggregate());
  CHECK(e[8].is_aggregate());
  CHECK(e[8].size() == c.key_specs.size());
  REQUIRE(e[9].is_aggregate());
  REQUIRE(e[9].size() == c.subcommands.size());
  for (size_t i = 0; i < c.subcommands.size(); ++i) CheckInfoEntry(e[9][i], c.subcommands[i]);
}

void CheckDocs(const RespValue& doc, const Command& c) {
  CAPTURE(c.name);
  REQUIRE(doc.type == '*');  // a map in RESP2
  REQUIRE(doc.size() % 2 == 0);
  REQUIRE(doc.Get("summary") != nullptr);
  CHECK(doc.Get("summary")->str == c.summary);
  REQUIRE(doc.Get("since") != nullptr);
  CHECK(doc.Get("since")->str == c.since);
  REQUIRE(doc.Get("group") != nullptr);
  CHECK(doc.Get("group")->str == c.group);
  if (c.subcommands.empty()) {
    CHECK(doc.Get("subcommands") == nullptr);
    return;
  }
  const RespValue* subs = doc.Get("subcommands");
  REQUIRE(subs != nullptr);
  REQUIRE(subs->size() == 2 * c.subcommands.size());
  for (size_t i = 0; i < c.subcommands.size(); ++i) {
    CHECK((*subs)[2 * i].str == c.subcommands[i].name);
    CheckDocs((*subs)[2 * i + 1], c.subcommands[i]);
  }
}

TEST_CASE_FIXTURE(CommandTest, "the command table is well-formed") {
  const CommandTable& table = dispatcher.table();
  REQUIRE(table.size() == table.all().size());
  std::set<std::string> names;
  auto check = [&](const Command& c, std::string_view parent) {
    CAPTURE(c.name);
    CHECK((c.handler != nullptr));
    CHECK(c.arity != 0);
    CHECK(!c.summary.empty());
    CHECK(!c.since.empty());
    CHECK(!c.group.empty());
    for (char ch : c.name) CHECK(!std::isupper(static_cast<unsigned char>(ch)));
    CHECK(names.insert(c.name).second);
    if (!parent.empty()) {
      CHECK(c.name.rfind(std::string(parent) + "|", 0) == 0);
      CHECK(c.subcommands.empty());
    } else {
      CHECK(c.name.find('|') == std::string::npos);
      CHECK(table.Find(c.name) == &c);
    }
    // Key positions are consistent: a command with keys says where the first one is.
    CHECK(c.legacy_keys.first >= 0);
    if (c.legacy_keys.first > 0) {
      CHECK(c.legacy_keys.step >= 1);
      CHECK((c.legacy_keys.last < 0 || c.legacy_keys.last >= c.legacy_keys.first));
    }
    CHECK(!(c.has(kWrite) && c.has(kReadonly)));
  };
  for (const Command* c : table.all()) {
    check(*c, "");
    if (!c->subcommands.empty()) CHECK(c->arity < 0);  // a container takes a subcommand
    for (const Command& s : c->subcommands) check(s, c->name);
  }
  // The families this layer owns are all registered.
  for (const char* n :
       {"del",     "unlink",     "exists",      "type",     "rename",    "renamenx", "copy",
        "keys",    "scan",       "randomkey",   "dbsize",   "flushdb",   "flushall", "touch",
        "object",  "expire",     "pexpire",     "expireat", "pexpireat", "ttl",      "pttl",
        "persist", "expiretime", "pexpiretime", "command"}) {
    CAPTURE(n);
    CHECK(table.Find(n) != nullptr);
  }
}

TEST_CASE_FIXTURE(CommandTest, "COMMAND COUNT") {
  CHECK(Run({"COMMAND", "COUNT"}) == Int(static_cast<int64_t>(dispatcher.table().size())));
  CHECK(Run({"COMMAND", "COUNT", "x"}) ==
        Err("ERR wrong number of arguments for 'command|count' command"));
}

TEST_CASE_FIXTURE(CommandTest, "COMMAND INFO matches Redis byte for byte for GET") {
  CHECK(Run({"COMMAND", "INFO", "get"}) == "*1\r\n" + kGetInfoResp2);
  CHECK(Run({"COMMAND", "INFO", "GET", "nope"}) == "*2\r\n" + kGetInfoResp2 + kNil);
  CHECK(Run({"COMMAND", "INFO", "nope"}) == "*1\r\n" + kNil);
  client.writer.set_protocol(3);
  client.state.resp = 3;
  CHECK(Run({"COMMAND", "INFO", "get", "nope"}) == "*2\r\n" + kGetInfoResp3 + "_\r\n");
}

TEST_CASE_FIXTURE(CommandTest, "COMMAND INFO of containers and subcommands") {
  RespValue v = ParseResp(Run({"COMMAND", "INFO", "object", "object|encoding", "OBJECT|nope"}));
  REQUIRE(v.size() == 3);
  const Command* object = dispatcher.table().Find("object");
  REQUIRE(object != nullptr);
  CheckInfoEntry(v[0], *object);
  CHECK(v[0][1].integer == -2);
  CHECK(v[0][9].size() == 5);
  CHECK(Strings(v[0][2]).empty());  // the container itself has no flags, as in Redis
  CHECK(Strings(v[0][6]) == std::set<std::string>{"@slow"});
  CheckInfoEntry(v[1], *object->FindSubcommand("encoding"));
  CHECK(v[1][0].str == "object|encoding");
  CHECK(v[1][1].integer == 3);
  CHECK(Strings(v[1][2]) == std::set<std::string>{"readonly"});
  CHECK(v[1][3].integer == 2);
  CHECK(v[1][4].integer == 2);
  CHECK(v[1][5].integer == 1);
  CHECK(Strings(v[1][6]) == std::set<std::string>{"@keyspace", "@read", "@slow"});
  CHECK(v[2].null);
}

TEST_CASE_FIXTURE(CommandTest, "COMMAND INFO flags, key ranges and categories") {
  RespValue v = ParseResp(
      Run({"COMMAND", "INFO", "set", "mset", "del", "keys", "flushall", "multi", "command"}));
  REQUIRE(v.size() == 7);
  // SET: write denyoom, one key.
  CHECK(v[0][2][0].str == "write");
  CHECK(v[0][2][1].str == "denyoom");
  CHECK(Strings(v[0][6]) == std::set<std::string>{"@write", "@string", "@slow"});
  // MSET: keys 1, -1, step 2, and the key spec says the same relative to the first key.
  CHECK(v[1][3].integer == 1);
  CHECK(v[1][4].integer == -1);
  CHECK(v[1][5].integer == 2);
  const RespValue& spec = v[1][8][0];
  CHECK(spec.Get("begin_search")->Get("spec")->Get("index")->integer == 1);
  CHECK(spec.Get("find_keys")->Get("type")->str == "range");
  CHECK(spec.Get("find_keys")->Get("spec")->Get("lastkey")->integer == -1);
  CHECK(spec.Get("find_keys")->Get("spec")->Get("keystep")->integer == 2);
  // DEL: @keyspace @write @slow.
  CHECK(Strings(v[2][6]) == std::set<std::string>{"@keyspace", "@write", "@slow"});
  // KEYS: no key arguments; dangerous like in Redis.
  CHECK(v[3][3].integer == 0);
  CHECK(v[3][8].size() == 0);
  CHECK(Strings(v[3][6]) == std::set<std::string>{"@keyspace", "@read", "@slow", "@dangerous"});
  CHECK(Strings(v[4][6]) == std::set<std::string>{"@keyspace", "@write", "@slow", "@dangerous"});
  // MULTI: flags in Redis's order (7.0 does not mark it no_multi), transaction category.
  std::vector<std::string> multi_flags;
  for (const RespValue& f : v[5][2].elems) multi_flags.push_back(f.str);
  CHECK(multi_flags ==
        std::vector<std::string>{"noscript", "loading", "stale", "fast", "allow_busy"});
  CHECK(Strings(v[5][6]) == std::set<std::string>{"@fast", "@transaction"});
  // COMMAND itself: arity -1, loading and stale, seven subcommands.
  CHECK(v[6][1].integer == -1);
  CHECK(Strings(v[6][2]) == std::set<std::string>{"loading", "stale"});
  CHECK(v[6][9].size() == 7);
}

TEST_CASE_FIXTURE(CommandTest, "COMMAND with no arguments describes every command") {
  RespValue v = ParseResp(Run({"COMMAND"}));
  const auto& all = dispatcher.table().all();
  REQUIRE(v.type == '*');
  REQUIRE(v.size() == all.size());
  for (size_t i = 0; i < all.size(); ++i) CheckInfoEntry(v[i], *all[i]);
  // COMMAND INFO without names is the same.
  CHECK(Run({"COMMAND", "INFO"}) == Run({"command"}));
}

TEST_CASE_FIXTURE(CommandTest, "COMMAND DOCS") {
  RespValue v = ParseResp(Run({"COMMAND", "DOCS", "get", "nope", "object"}));
  REQUIRE(v.type == '*');
  REQUIRE(v.size() == 4);  // unknown names are left out
  CHECK(v[0].str == "get");
  CheckDocs(v[1], *dispatcher.table().Find("get"));
  CHECK(v[1].Get("complexity")->str == "O(1)");
  CHECK(v[1].Get("group")->str == "string");
  CHECK(v[2].str == "object");
  CheckDocs(v[3], *dispatcher.table().Find("object"));
  CHECK(v[3].Get("subcommands")->size() == 10);

  CHECK(Run({"COMMAND", "DOCS", "nope"}) == ArrHeader(0));
  RespValue sub = ParseResp(Run({"COMMAND", "DOCS", "object|help"}));
  REQUIRE(sub.size() == 2);
  CHECK(sub[0].str == "object|help");

  RespValue all = ParseResp(Run({"COMMAND", "DOCS"}));
  REQUIRE(all.size() == 2 * dispatcher.table().size());
  for (size_t i = 0; i < dispatcher.table().size(); ++i) {
    const Command* c = dispatcher.table().all()[i];
    CHECK(all[2 * i].str == c->name);
    CheckDocs(all[2 * i + 1], *c);
  }
}

TEST_CASE_FIXTURE(CommandTest, "COMMAND DOCS in RESP3 is a map of maps") {
  client.writer.set_protocol(3);
  client.state.resp = 3;
  std::string r = Run({"COMMAND", "DOCS", "get"});
  CHECK(r.rfind("%1\r\n$3\r\nget\r\n%5\r\n$7\r\nsummary\r\n", 0) == 0);
  RespValue v = ParseResp(r);
  CHECK(v.type == '%');
  CHECK(v[1].type == '%');
  CHECK(Run({"COMMAND", "DOCS", "nope"}) == "%0\r\n");
}

TEST_CASE_FIXTURE(CommandTest, "COMMAND LIST") {
  RespValue all = ParseResp(Run({"COMMAND", "LIST"}));
  std::set<std::string> names = Strings(all);
  size_t expected = 0;
  for (const Command* c : dispatcher.table().all()) expected += 1 + c->subcommands.size();
  CHECK(all.size() == expected);
  CHECK(names.count("get") == 1);
  CHECK(names.count("object") == 1);
  CHECK(names.count("object|encoding") == 1);
  CHECK(names.count("command|list") == 1);

  std::set<std::string> ex =
      Strings(ParseResp(Run({"COMMAND", "LIST", "FILTERBY", "PATTERN", "EX*"})));
  CHECK(ex == std::set<std::string>{"exec", "exists", "expire", "expireat", "expiretime"});
  std::set<std::string> obj =
      Strings(ParseResp(Run({"COMMAND", "LIST", "filterby", "pattern", "object|*"})));
  CHECK(obj.size() == 5);

  std::set<std::string> keyspace_cat =
      Strings(ParseResp(Run({"COMMAND", "LIST", "FILTERBY", "ACLCAT", "keyspace"})));
  CHECK(keyspace_cat.count("del") == 1);
  CHECK(keyspace_cat.count("object|encoding") == 1);
  CHECK(keyspace_cat.count("get") == 0);
  CHECK(keyspace_cat.count("object") == 0);
  std::set<std::string> dangerous =
      Strings(ParseResp(Run({"COMMAND", "LIST", "FILTERBY", "ACLCAT", "DANGEROUS"})));
  CHECK(dangerous.count("keys") == 1);
  CHECK(dangerous.count("flushall") == 1);
  CHECK(dangerous.count("get") == 0);
  CHECK(Run({"COMMAND", "LIST", "FILTERBY", "ACLCAT", "nosuchcat"}) == ArrHeader(0));
  CHECK(Run({"COMMAND", "LIST", "FILTERBY", "MODULE", "x"}) == ArrHeader(0));

  CHECK(Run({"COMMAND", "LIST", "FILTERBY"}) == Err("ERR syntax error"));
  CHECK(Run({"COMMAND", "LIST", "x"}) == Err("ERR syntax error"));
  CHECK(Run({"COMMAND", "LIST", "FILTERBY", "foo", "x"}) == Err("ERR syntax error"));
  CHECK(Run({"COMMAND", "LIST", "FILTERBY", "PATTERN", "x", "y"}) == Err("ERR syntax error"));
}

TEST_CASE_FIXTURE(CommandTest, "COMMAND GETKEYS") {
  CHECK(Run({"COMMAND", "GETKEYS", "get", "a"}) == BulkArr({"a"}));
  CHECK(Run({"COMMAND", "GETKEYS", "GET", "a"}) == BulkArr({"a"}));
  CHECK(Run({"COMMAND", "GETKEYS", "mset", "a", "1", "b", "2"}) == BulkArr({"a", "b"}));
  CHECK(Run({"COMMAND", "GETKEYS", "del", "a", "b", "c"}) == BulkArr({"a", "b", "c"}));
  CHECK(Run({"COMMAND", "GETKEYS", "rename", "a", "b"}) == BulkArr({"a", "b"}));
  CHECK(Run({"COMMAND", "GETKEYS", "set", "k", "v", "EX", "10"}) == BulkArr({"k"}));
  CHECK(Run({"COMMAND", "GETKEYS", "object", "encoding", "k"}) == BulkArr({"k"}));
  CHECK(Run({"COMMAND", "GETKEYS", "nope", "a"}) == Err("ERR Invalid command specified"));
  CHECK(Run({"COMMAND", "GETKEYS", "object", "nope", "k"}) == Err("ERR Invalid command specified"));
  CHECK(Run({"COMMAND", "GETKEYS", "ping", "x"}) == Err("ERR The command has no key arguments"));
  CHECK(Run({"COMMAND", "GETKEYS", "object", "help", "x"}) ==
        Err("ERR The command has no key arguments"));
  CHECK(Run({"COMMAND", "GETKEYS", "get", "a", "b"}) ==
        Err("ERR Invalid number of arguments specified for command"));
  CHECK(Run({"COMMAND", "GETKEYS", "set", "a"}) ==
        Err("ERR Invalid number of arguments specified for command"));
  CHECK(Run({"COMMAND", "GETKEYS", "object", "encoding"}) ==
        Err("ERR Invalid number of arguments specified for command"));
  CHECK(Run({"COMMAND", "GETKEYS", "get"}) ==
        Err("ERR wrong number of arguments for 'command|getkeys' command"));
  CHECK(Run({"COMMAND", "GETKEYS"}) ==
        Err("ERR wrong number of arguments for 'command|getkeys' command"));
}

TEST_CASE_FIXTURE(CommandTest, "COMMAND GETKEYSANDFLAGS") {
  auto key = [](const char* k, std::initializer_list<const char*> flags) {
    std::string f = ArrHeader(flags.size());
    for (const char* x : flags) f += Simple(x);
    return Arr({Bulk(k), f});
  };
  CHECK(Run({"COMMAND", "GETKEYSANDFLAGS", "get", "a"}) == Arr({key("a", {"RO", "access"})}));
  CHECK(Run({"COMMAND", "GETKEYSANDFLAGS", "del", "a", "b"}) ==
        Arr({key("a", {"RM", "delete"}), key("b", {"RM", "delete"})}));
  // One spec per key: COPY reads its source and overwrites its destination.
  CHECK(Run({"COMMAND", "GETKEYSANDFLAGS", "copy", "a", "b", "REPLACE"}) ==
        Arr({key("a", {"RO", "access"}), key("b", {"OW", "update"})}));
  CHECK(Run({"COMMAND", "GETKEYSANDFLAGS", "renamenx", "a", "b"}) ==
        Arr({key("a", {"RW", "access", "delete"}), key("b", {"OW", "insert"})}));
  // SET's flags depend on GET, as Redis's setGetKeys decides them.
  CHECK(Run({"COMMAND", "GETKEYSANDFLAGS", "set", "k", "v", "EX", "1"}) ==
        Arr({key("k", {"OW", "update"})}));
  CHECK(Run({"COMMAND", "GETKEYSANDFLAGS", "set", "k", "v", "get"}) ==
        Arr({key("k", {"RW", "access", "update"})}));
  CHECK(Run({"COMMAND", "GETKEYSANDFLAGS", "mset", "a", "1", "b", "2"}) ==
        Arr({key("a", {"OW", "update"}), key("b", {"OW", "update"})}));
  CHECK(Run({"COMMAND", "GETKEYSANDFLAGS", "memory", "usage", "k"}) == Arr({key("k", {"RO"})}));
  CHECK(Run({"COMMAND", "GETKEYSANDFLAGS", "ping", "x"}) ==
        Err("ERR The command has no key arguments"));
}

TEST_CASE_FIXTURE(CommandTest, "COMMAND HELP and errors") {
  RespValue help = ParseResp(Run({"COMMAND", "HELP"}));
  REQUIRE(help.size() == 21);
  CHECK(help[0].type == '+');
  CHECK(help[0].str == "COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:");
  CHECK(help[20].str == "    Prints this help.");
  CHECK(Run({"COMMAND", "nope"}) == Err("ERR unknown subcommand 'nope'. Try COMMAND HELP."));
  CHECK(Run({"COMMAND", "HELP", "x"}) ==
        Err("ERR wrong number of arguments for 'command|help' command"));
}

TEST_CASE_FIXTURE(CommandTest, "COMMAND works while loading") {
  dispatcher.set_loading(true);
  CHECK(Run({"COMMAND", "COUNT"}) == Int(static_cast<int64_t>(dispatcher.table().size())));
  CHECK(Run({"GET", "k"}).rfind("-LOADING", 0) == 0);
  dispatcher.set_loading(false);
}

}  // namespace
}  // namespace pykv::cmd::testing
