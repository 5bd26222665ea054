// The generic key family (keys.cc): replies and error texts checked against Redis 7.0.
#include <doctest/doctest.h>

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "unit/commands/command_test_fixture.h"

namespace pykv::cmd::testing {
namespace {

// Splits a flat RESP array of bulk strings (as KEYS answers) into its items.
std::vector<std::string> ParseBulkArray(const std::string& resp, size_t* pos_in_out = nullptr) {
  size_t pos = pos_in_out ? *pos_in_out : 0;
  std::vector<std::string> items;
  REQUIRE(resp[pos] == '*');
  size_t eol = resp.find("\r\n", pos);
  long n = std::stol(resp.substr(pos + 1, eol - pos - 1));
  pos = eol + 2;
  for (long i = 0; i < n; ++i) {
    REQUIRE(resp[pos] == '$');
    eol = resp.find("\r\n", pos);
    size_t len = std::stoul(resp.substr(pos + 1, eol - pos - 1));
    items.push_back(resp.substr(eol + 2, len));
    pos = eol + 2 + len + 2;
  }
  if (pos_in_out) *pos_in_out = pos;
  return items;
}

std::set<std::string> KeySet(const std::string& resp) {
  auto v = ParseBulkArray(resp);
  return {v.begin(), v.end()};
}

// One SCAN call: the next cursor and the keys.
struct ScanPage {
  std::string cursor;
  std::vector<std::string> keys;
};
ScanPage ParseScan(const std::string& resp) {
  REQUIRE(resp.rfind("*2\r\n", 0) == 0);
  size_t pos = 4;
  REQUIRE(resp[pos] == '$');
  size_t eol = resp.find("\r\n", pos);
  size_t len = std::stoul(resp.substr(pos + 1, eol - pos - 1));
  ScanPage page;
  page.cursor = resp.substr(eol + 2, len);
  pos = eol + 2 + len + 2;
  page.keys = ParseBulkArray(resp, &pos);
  CHECK(pos == resp.size());
  return page;
}

TEST_CASE_FIXTURE(CommandTest, "DEL and UNLINK count the keys removed") {
  Run({"SET", "a", "1"});
  Run({"SET", "b", "2"});
  CHECK(Run({"DEL", "a", "b", "c", "a"}) == Int(2));
  CHECK(Run({"EXISTS", "a", "b"}) == Int(0));
  Run({"SET", "a", "1"});
  CHECK(Run({"UNLINK", "a", "zz"}) == Int(1));
  CHECK(Run({"UNLINK", "a"}) == Int(0));
  CHECK(Run({"DEL"}) == Err("ERR wrong number of arguments for 'del' command"));
}

TEST_CASE_FIXTURE(CommandTest, "EXISTS counts repeats, TYPE names the type") {
  Run({"SET", "a", "1"});
  CHECK(Run({"EXISTS", "a", "a", "x", "a"}) == Int(3));
  CHECK(Run({"TYPE", "a"}) == Simple("string"));
  CHECK(Run({"TYPE", "x"}) == Simple("none"));
}

TEST_CASE_FIXTURE(CommandTest, "EXISTS and TYPE do not see expired keys") {
  Run({"SET", "a", "1", "PX", "100"});
  CHECK(Run({"EXISTS", "a"}) == Int(1));
  clock.AdvanceMs(101);
  CHECK(Run({"EXISTS", "a"}) == Int(0));
  CHECK(Run({"TYPE", "a"}) == Simple("none"));
}

TEST_CASE_FIXTURE(CommandTest, "RENAME") {
  CHECK(Run({"RENAME", "nokey", "b"}) == Err("ERR no such key"));
  Run({"SET", "a", "1", "EX", "100"});
  Run({"SET", "b", "old"});
  CHECK(Run({"RENAME", "a", "a"}) == kOk);
  CHECK(Run({"GET", "a"}) == Bulk("1"));
  CHECK(Run({"RENAME", "a", "b"}) == kOk);
  CHECK(Run({"GET", "a"}) == kNil);
  CHECK(Run({"GET", "b"}) == Bulk("1"));
  // The TTL moves with the value.
  CHECK(Run({"TTL", "b"}) == Int(100));
}

TEST_CASE_FIXTURE(CommandTest, "RENAMENX") {
  CHECK(Run({"RENAMENX", "nokey", "b"}) == Err("ERR no such key"));
  Run({"SET", "a", "1"});
  Run({"SET", "b", "2"});
  CHECK(Run({"RENAMENX", "a", "a"}) == Int(0));
  CHECK(Run({"RENAMENX", "a", "b"}) == Int(0));
  CHECK(Run({"GET", "b"}) == Bulk("2"));
  CHECK(Run({"RENAMENX", "a", "c"}) == Int(1));
  CHECK(Run({"GET", "c"}) == Bulk("1"));
  CHECK(Run({"EXISTS", "a"}) == Int(0));
}

TEST_CASE_FIXTURE(CommandTest, "RENAME to itself changes nothing and propagates nothing") {
  Run({"SET", "a", "1"});
  ClearPropagated();
  CHECK(Run({"RENAME", "a", "a"}) == kOk);
  CHECK(Run({"RENAMENX", "a", "a"}) == Int(0));
  CHECK(propagated().empty());
}

TEST_CASE_FIXTURE(CommandTest, "COPY") {
  Run({"SET", "a", "1"});
  CHECK(Run({"COPY", "a", "a"}) == Err("ERR source and destination objects are the same"));
  CHECK(Run({"COPY", "nokey", "nokey"}) ==
        Err("ERR source and destination objects are the same"));
  CHECK(Run({"COPY", "a", "b", "DB", "1"}) == Err("ERR DB index is out of range"));
  CHECK(Run({"COPY", "a", "b", "DB", "-1"}) == Err("ERR DB index is out of range"));
  // The DB is checked before the keys are compared, as in Redis.
  CHECK(Run({"COPY", "a", "a", "DB", "16"}) == Err("ERR DB index is out of range"));
  CHECK(Run({"COPY", "a", "b", "DB", "x"}) == Err("ERR value is not an integer or out of range"));
  CHECK(Run({"COPY", "a", "b", "DB"}) == Err("ERR syntax error"));
  CHECK(Run({"COPY", "a", "b", "FOO"}) == Err("ERR syntax error"));
  CHECK(Run({"COPY", "nokey", "b"}) == Int(0));
  CHECK(Run({"COPY", "a", "b", "DB", "0"}) == Int(1));
  CHECK(Run({"GET", "b"}) == Bulk("1"));
  Run({"SET", "a", "2"});
  CHECK(Run({"COPY", "a", "b"}) == Int(0));
  CHECK(Run({"GET", "b"}) == Bulk("1"));
  CHECK(Run({"COPY", "a", "b", "replace"}) == Int(1));
  CHECK(Run({"GET", "b"}) == Bulk("2"));
  CHECK(Run({"GET", "a"}) == Bulk("2"));
}

TEST_CASE_FIXTURE(CommandTest, "COPY copies the TTL, and REPLACE drops the target's") {
  Run({"SET", "src", "v", "EX", "50"});
  Run({"SET", "plain", "v"});
  Run({"SET", "dst", "old", "EX", "1000"});
  CHECK(Run({"COPY", "src", "c1"}) == Int(1));
  CHECK(Run({"PTTL", "c1"}) == Int(50000));
  CHECK(Run({"COPY", "plain", "dst", "REPLACE"}) == Int(1));
  CHECK(Run({"TTL", "dst"}) == Int(-1));
}

TEST_CASE_FIXTURE(CommandTest, "KEYS matches globs and skips expired keys") {
  CHECK(Run({"KEYS", "*"}) == ArrHeader(0));
  Run({"SET", "hello", "1"});
  Run({"SET", "hallo", "1"});
  Run({"SET", "hxllo", "1"});
  Run({"SET", "world", "1"});
  Run({"SET", "gone", "1", "PX", "10"});
  CHECK(KeySet(Run({"KEYS", "*"})) ==
        std::set<std::string>{"hello", "hallo", "hxllo", "world", "gone"});
  CHECK(KeySet(Run({"KEYS", "h?llo"})) == std::set<std::string>{"hello", "hallo", "hxllo"});
  CHECK(KeySet(Run({"KEYS", "h[ae]llo"})) == std::set<std::string>{"hello", "hallo"});
  CHECK(KeySet(Run({"KEYS", "h[^e]llo"})) == std::set<std::string>{"hallo", "hxllo"});
  CHECK(KeySet(Run({"KEYS", "*orl*"})) == std::set<std::string>{"world"});
  CHECK(Run({"KEYS", "nomatch*"}) == ArrHeader(0));
  clock.AdvanceMs(11);
  CHECK(KeySet(Run({"KEYS", "*"})) ==
        std::set<std::string>{"hello", "hallo", "hxllo", "world"});
}

TEST_CASE_FIXTURE(CommandTest, "SCAN argument errors") {
  CHECK(Run({"SCAN", "x"}) == Err("ERR invalid cursor"));
  CHECK(Run({"SCAN", " 0"}) == Err("ERR invalid cursor"));
  CHECK(Run({"SCAN", "1x"}) == Err("ERR invalid cursor"));
  CHECK(Run({"SCAN", "18446744073709551616"}) == Err("ERR invalid cursor"));
  CHECK(Run({"SCAN", "+"}) == Err("ERR invalid cursor"));
  CHECK(Run({"SCAN", "0", "COUNT", "0"}) == Err("ERR syntax error"));
  CHECK(Run({"SCAN", "0", "COUNT", "-5"}) == Err("ERR syntax error"));
  CHECK(Run({"SCAN", "0", "COUNT", "x"}) == Err("ERR value is not an integer or out of range"));
  CHECK(Run({"SCAN", "0", "FOO"}) == Err("ERR syntax error"));
  CHECK(Run({"SCAN", "0", "MATCH"}) == Err("ERR syntax error"));
  CHECK(Run({"SCAN", "0", "TYPE"}) == Err("ERR syntax error"));
  // strtoul's spellings Redis accepts.
  CHECK(Run({"SCAN", "00"}) == Arr({Bulk("0"), ArrHeader(0)}));
  CHECK(Run({"SCAN", "+0"}) == Arr({Bulk("0"), ArrHeader(0)}));
  CHECK(Run({"SCAN", ""}) == Arr({Bulk("0"), ArrHeader(0)}));
  CHECK(Run({"SCAN", "18446744073709551615"}) == Arr({Bulk("0"), ArrHeader(0)}));
  CHECK(Run({"SCAN", "-1"}) == Arr({Bulk("0"), ArrHeader(0)}));
}

TEST_CASE_FIXTURE(CommandTest, "SCAN visits every key once with small COUNTs") {
  std::set<std::string> expected;
  for (int i = 0; i < 500; ++i) {
    std::string k = "key:" + std::to_string(i);
    Run(Argv{"SET", k, "v"});
    expected.insert(k);
  }
  std::multiset<std::string> seen;
  std::string cursor = "0";
  int calls = 0;
  do {
    ScanPage page = ParseScan(Run(Argv{"SCAN", cursor, "COUNT", "7"}));
    seen.insert(page.keys.begin(), page.keys.end());
    cursor = page.cursor;
    REQUIRE(++calls < 10000);
  } while (cursor != "0");
  CHECK(std::set<std::string>(seen.begin(), seen.end()) == expected);
  CHECK(seen.size() == expected.size());  // no duplicates when the table does not change
}

TEST_CASE_FIXTURE(CommandTest, "SCAN MATCH, TYPE and expired keys") {
  for (int i = 0; i < 50; ++i) Run(Argv{"SET", "user:" + std::to_string(i), "v"});
  for (int i = 0; i < 50; ++i) Run(Argv{"SET", "item:" + std::to_string(i), "v"});
  Run({"SET", "user:gone", "v", "PX", "5"});
  clock.AdvanceMs(6);
  ClearPropagated();

  auto full_scan = [&](Argv extra) {
    std::set<std::string> keys;
    std::string cursor = "0";
    do {
      Argv argv{"SCAN", cursor};
      argv.insert(argv.end(), extra.begin(), extra.end());
      ScanPage page = ParseScan(Run(argv));
      keys.insert(page.keys.begin(), page.keys.end());
      cursor = page.cursor;
    } while (cursor != "0");
    return keys;
  };
  std::set<std::string> users = full_scan({"MATCH", "user:*", "COUNT", "5"});
  CHECK(users.size() == 50);
  CHECK(users.count("user:gone") == 0);
  for (const std::string& k : users) CHECK(k.rfind("user:", 0) == 0);
  // The expired key met by the scan was removed and its DEL propagated.
  CHECK(propagated() == std::vector<std::vector<std::string>>{{"DEL", "user:gone"}});
  CHECK(Run({"DBSIZE"}) == Int(100));

  CHECK(full_scan({"TYPE", "string"}).size() == 100);
  CHECK(full_scan({"TYPE", "STRING", "MATCH", "item:1*"}).size() == 11);
  CHECK(full_scan({"TYPE", "list"}).empty());
  CHECK(full_scan({"MATCH", "*"}).size() == 100);
}

TEST_CASE_FIXTURE(CommandTest, "RANDOMKEY and DBSIZE") {
  CHECK(Run({"RANDOMKEY"}) == kNil);
  CHECK(Run({"DBSIZE"}) == Int(0));
  Run({"SET", "only", "1"});
  CHECK(Run({"RANDOMKEY"}) == Bulk("only"));
  Run({"SET", "other", "1"});
  CHECK(Run({"DBSIZE"}) == Int(2));
  std::string r = Run({"RANDOMKEY"});
  CHECK((r == Bulk("only") || r == Bulk("other")));
  CHECK(Run({"DBSIZE", "x"}) == Err("ERR wrong number of arguments for 'dbsize' command"));
}

TEST_CASE_FIXTURE(CommandTest, "RANDOMKEY skips expired keys") {
  Run({"SET", "gone", "1", "PX", "5"});
  clock.AdvanceMs(10);
  CHECK(Run({"RANDOMKEY"}) == kNil);
}

TEST_CASE_FIXTURE(CommandTest, "FLUSHDB and FLUSHALL") {
  Run({"SET", "a", "1"});
  Run({"SET", "b", "1"});
  CHECK(Run({"FLUSHDB", "x"}) == Err("ERR syntax error"));
  CHECK(Run({"FLUSHALL", "SYNC", "ASYNC"}) == Err("ERR syntax error"));
  CHECK(Run({"DBSIZE"}) == Int(2));
  CHECK(Run({"FLUSHDB"}) == kOk);
  CHECK(Run({"DBSIZE"}) == Int(0));
  Run({"SET", "a", "1"});
  CHECK(Run({"FLUSHALL", "async"}) == kOk);
  CHECK(Run({"DBSIZE"}) == Int(0));
  Run({"SET", "a", "1"});
  CHECK(Run({"FLUSHDB", "SYNC"}) == kOk);
  CHECK(Run({"EXISTS", "a"}) == Int(0));
  ClearPropagated();
  // Propagated even when nothing was there.
  CHECK(Run({"FLUSHALL"}) == kOk);
  CHECK(propagated() == std::vector<std::vector<std::string>>{{"FLUSHALL"}});
}

TEST_CASE_FIXTURE(CommandTest, "TOUCH counts existing keys and refreshes their idle time") {
  Run({"SET", "a", "1"});
  Run({"SET", "b", "1"});
  clock.AdvanceMs(10'000);
  CHECK(Run({"OBJECT", "IDLETIME", "a"}) == Int(10));
  CHECK(Run({"TOUCH", "a", "a", "x"}) == Int(2));
  CHECK(Run({"OBJECT", "IDLETIME", "a"}) == Int(0));
  CHECK(Run({"OBJECT", "IDLETIME", "b"}) == Int(10));
  ClearPropagated();
  Run({"TOUCH", "b"});
  CHECK(propagated().empty());
}

TEST_CASE_FIXTURE(CommandTest, "OBJECT ENCODING") {
  auto encoding = [&](std::string_view value) {
    Run({"SET", "k", value});
    return Run({"OBJECT", "ENCODING", "k"});
  };
  CHECK(encoding("12345") == Bulk("int"));
  CHECK(encoding("-9223372036854775808") == Bulk("int"));
  CHECK(encoding("9223372036854775807") == Bulk("int"));
  CHECK(encoding("9223372036854775808") == Bulk("embstr"));  // overflows a long
  CHECK(encoding("-0") == Bulk("embstr"));
  CHECK(encoding("012") == Bulk("embstr"));
  CHECK(encoding(" 1") == Bulk("embstr"));
  CHECK(encoding("") == Bulk("embstr"));
  CHECK(encoding(std::string(44, 'x')) == Bulk("embstr"));
  CHECK(encoding(std::string(45, 'x')) == Bulk("raw"));
  CHECK(Run({"OBJECT", "ENCODING", "nokey"}) == kNil);
  CHECK(Run({"object", "encoding"}) ==
        Err("ERR wrong number of arguments for 'object|encoding' command"));
  CHECK(Run({"OBJECT", "ENCODING", "a", "b"}) ==
        Err("ERR wrong number of arguments for 'object|encoding' command"));
}

TEST_CASE_FIXTURE(CommandTest, "OBJECT IDLETIME does not touch the key") {
  Run({"SET", "k", "v"});
  clock.AdvanceMs(5'000);
  CHECK(Run({"OBJECT", "IDLETIME", "k"}) == Int(5));
  clock.AdvanceMs(2'000);
  CHECK(Run({"OBJECT", "IDLETIME", "k"}) == Int(7));
  Run({"GET", "k"});
  CHECK(Run({"OBJECT", "IDLETIME", "k"}) == Int(0));
  CHECK(Run({"OBJECT", "IDLETIME", "nokey"}) == kNil);
}

TEST_CASE_FIXTURE(CommandTest, "OBJECT FREQ, REFCOUNT, HELP and errors") {
  Run({"SET", "k", "v"});
  CHECK(Run({"OBJECT", "FREQ", "nokey"}) == kNil);
  CHECK(Run({"OBJECT", "FREQ", "k"}) ==
        Err("ERR An LFU maxmemory policy is not selected, access frequency not tracked. "
            "Please note that when switching between policies at runtime LRU and LFU data "
            "will take some time to adjust."));
  CHECK(Run({"OBJECT", "REFCOUNT", "k"}) == Int(1));
  CHECK(Run({"OBJECT", "REFCOUNT", "nokey"}) == kNil);
  std::string help = Run({"OBJECT", "HELP"});
  CHECK(help.rfind("*15\r\n+OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:\r\n",
                   0) == 0);
  CHECK(help.find("+    Prints this help.\r\n") != std::string::npos);
  CHECK(Run({"OBJECT"}) == Err("ERR wrong number of arguments for 'object' command"));
  CHECK(Run({"OBJECT", "foo"}) == Err("ERR unknown subcommand 'foo'. Try OBJECT HELP."));
  CHECK(Run({"OBJECT", "HELP", "x"}) ==
        Err("ERR wrong number of arguments for 'object|help' command"));
}

TEST_CASE_FIXTURE(CommandTest, "key commands propagate as received only when they change data") {
  Run({"SET", "a", "1"});
  Run({"SET", "b", "1"});
  ClearPropagated();
  Run({"DEL", "nokey"});
  Run({"EXISTS", "a"});
  Run({"COPY", "nokey", "x"});
  Run({"RENAME", "nokey", "x"});
  Run({"KEYS", "*"});
  Run({"SCAN", "0"});
  Run({"OBJECT", "ENCODING", "a"});
  CHECK(propagated().empty());
  Run({"DEL", "a", "nokey"});
  Run({"RENAME", "b", "c"});
  Run({"COPY", "c", "d"});
  CHECK(propagated() == std::vector<std::vector<std::string>>{
                            {"DEL", "a", "nokey"}, {"RENAME", "b", "c"}, {"COPY", "c", "d"}});
}

TEST_CASE_FIXTURE(CommandTest, "DEL of an expired key propagates the expiry, not the DEL") {
  Run({"SET", "a", "1", "PX", "5"});
  clock.AdvanceMs(6);
  ClearPropagated();
  CHECK(Run({"DEL", "a"}) == Int(0));
  CHECK(propagated() == std::vector<std::vector<std::string>>{{"DEL", "a"}});
}

}  // namespace
}  // namespace pykv::cmd::testing
