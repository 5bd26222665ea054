// The generic key family (keys.cc): replies and error texts checked against Redis 7.0.
#include <doctest/doctest.h>

#include <set>
#include <string>
#include <vector>

#include "unit/commands/command_test_fixture.h"

namespace pykv::cmd::testing {
namespace {

using namespace std::string_literals;

// Redis 7.0.15's replies to these sequences, recorded from a real server.
// clang-format off
const std::vector<RedisCase> kRedisCases = {
    {"DEL, UNLINK, EXISTS, TYPE", {
        {{"SET", "a", "1"}, "+OK\r\n"s},
        {{"SET", "b", "2"}, "+OK\r\n"s},
        {{"DEL", "a", "b", "c", "a"}, ":2\r\n"s},
        {{"DEL", "a"}, ":0\r\n"s},
        {{"DEL"}, "-ERR wrong number of arguments for 'del' command\r\n"s},
        {{"UNLINK"}, "-ERR wrong number of arguments for 'unlink' command\r\n"s},
        {{"SET", "a", "1"}, "+OK\r\n"s},
        {{"UNLINK", "a", "a"}, ":1\r\n"s},
        {{"SET", "a", "1"}, "+OK\r\n"s},
        {{"EXISTS", "a", "a", "x", "a"}, ":3\r\n"s},
        {{"EXISTS"}, "-ERR wrong number of arguments for 'exists' command\r\n"s},
        {{"TYPE", "a"}, "+string\r\n"s},
        {{"TYPE", "x"}, "+none\r\n"s},
        {{"TYPE"}, "-ERR wrong number of arguments for 'type' command\r\n"s},
        {{"TYPE", "a", "b"}, "-ERR wrong number of arguments for 'type' command\r\n"s},
    }},
    {"RENAME, RENAMENX", {
        {{"RENAME", "nokey", "b"}, "-ERR no such key\r\n"s},
        {{"RENAMENX", "nokey", "b"}, "-ERR no such key\r\n"s},
        {{"RENAME", "nokey", "nokey"}, "-ERR no such key\r\n"s},
        {{"RENAMENX", "nokey", "nokey"}, "-ERR no such key\r\n"s},
        {{"SET", "a", "1", "EX", "100"}, "+OK\r\n"s},
        {{"SET", "b", "old"}, "+OK\r\n"s},
        {{"RENAME", "a", "a"}, "+OK\r\n"s},
        {{"RENAMENX", "a", "a"}, ":0\r\n"s},
        {{"RENAMENX", "a", "b"}, ":0\r\n"s},
        {{"RENAME", "a", "b"}, "+OK\r\n"s},
        {{"GET", "b"}, "$1\r\n1\r\n"s},
        {{"TTL", "b"}, ":100\r\n"s},
        {{"EXISTS", "a"}, ":0\r\n"s},
        {{"RENAMENX", "b", "c"}, ":1\r\n"s},
        {{"GET", "c"}, "$1\r\n1\r\n"s},
        {{"TTL", "c"}, ":100\r\n"s},
        {{"RENAME", "c"}, "-ERR wrong number of arguments for 'rename' command\r\n"s},
        {{"RENAME", "c", "d", "e"}, "-ERR wrong number of arguments for 'rename' command\r\n"s},
    }},
    {"COPY", {
        {{"SET", "a", "1"}, "+OK\r\n"s},
        {{"COPY", "a", "a"}, "-ERR source and destination objects are the same\r\n"s},
        {{"COPY", "nokey", "nokey"}, "-ERR source and destination objects are the same\r\n"s},
        // PyKV has one database: Redis (16 databases) answers :1 here.
        {{"COPY", "a", "b", "DB", "1"}, "-ERR DB index is out of range\r\n"s},
        {{"COPY", "a", "b", "DB", "-1"}, "-ERR DB index is out of range\r\n"s},
        {{"COPY", "a", "a", "DB", "16"}, "-ERR DB index is out of range\r\n"s},
        {{"COPY", "a", "b", "DB", "x"}, "-ERR value is not an integer or out of range\r\n"s},
        {{"COPY", "a", "b", "DB"}, "-ERR syntax error\r\n"s},
        {{"COPY", "a", "b", "FOO"}, "-ERR syntax error\r\n"s},
        {{"COPY", "a", "b", "REPLACE", "FOO"}, "-ERR syntax error\r\n"s},
        {{"COPY", "nokey", "b"}, ":0\r\n"s},
        {{"COPY", "a", "b", "DB", "0"}, ":1\r\n"s},
        {{"GET", "b"}, "$1\r\n1\r\n"s},
        {{"SET", "a", "2"}, "+OK\r\n"s},
        {{"COPY", "a", "b"}, ":0\r\n"s},
        {{"GET", "b"}, "$1\r\n1\r\n"s},
        {{"COPY", "a", "b", "replace"}, ":1\r\n"s},
        {{"GET", "b"}, "$1\r\n2\r\n"s},
        {{"COPY", "a", "b", "REPLACE", "REPLACE", "db", "0"}, ":1\r\n"s},
        {{"COPY", "a"}, "-ERR wrong number of arguments for 'copy' command\r\n"s},
        {{"SET", "t", "v", "EX", "100"}, "+OK\r\n"s},
        {{"COPY", "t", "t2"}, ":1\r\n"s},
        {{"TTL", "t2"}, ":100\r\n"s},
        {{"COPY", "a", "t2", "REPLACE"}, ":1\r\n"s},
        {{"TTL", "t2"}, ":-1\r\n"s},
        {{"COPY", "a", "c", "DB", "00"}, "-ERR value is not an integer or out of range\r\n"s},
        {{"COPY", "a", "d", "DB", "0x"}, "-ERR value is not an integer or out of range\r\n"s},
    }},
    {"KEYS with one match", {
        {{"KEYS", "*"}, "*0\r\n"s},
        {{"SET", "hello", "1"}, "+OK\r\n"s},
        {{"KEYS", "h?llo"}, "*1\r\n$5\r\nhello\r\n"s},
        {{"KEYS", "h[^e]llo"}, "*0\r\n"s},
        {{"KEYS", "h[a-f]llo"}, "*1\r\n$5\r\nhello\r\n"s},
        {{"KEYS", "*l*"}, "*1\r\n$5\r\nhello\r\n"s},
        {{"KEYS", "H*"}, "*0\r\n"s},
        {{"KEYS", "nomatch"}, "*0\r\n"s},
        {{"KEYS"}, "-ERR wrong number of arguments for 'keys' command\r\n"s},
        {{"KEYS", "a", "b"}, "-ERR wrong number of arguments for 'keys' command\r\n"s},
    }},
    {"SCAN errors and empty", {
        {{"SCAN", "x"}, "-ERR invalid cursor\r\n"s},
        {{"SCAN", " 0"}, "-ERR invalid cursor\r\n"s},
        {{"SCAN", "1x"}, "-ERR invalid cursor\r\n"s},
        {{"SCAN", "18446744073709551616"}, "-ERR invalid cursor\r\n"s},
        {{"SCAN", "+"}, "-ERR invalid cursor\r\n"s},
        {{"SCAN", "-"}, "-ERR invalid cursor\r\n"s},
        {{"SCAN", "0", "COUNT", "0"}, "-ERR syntax error\r\n"s},
        {{"SCAN", "0", "COUNT", "-5"}, "-ERR syntax error\r\n"s},
        {{"SCAN", "0", "COUNT", "x"}, "-ERR value is not an integer or out of range\r\n"s},
        {{"SCAN", "0", "FOO"}, "-ERR syntax error\r\n"s},
        {{"SCAN", "0", "MATCH"}, "-ERR syntax error\r\n"s},
        {{"SCAN", "0", "TYPE"}, "-ERR syntax error\r\n"s},
        {{"SCAN", "0", "COUNT"}, "-ERR syntax error\r\n"s},
        {{"SCAN", "00"}, "*2\r\n$1\r\n0\r\n*0\r\n"s},
        {{"SCAN", "+0"}, "*2\r\n$1\r\n0\r\n*0\r\n"s},
        {{"SCAN", ""}, "*2\r\n$1\r\n0\r\n*0\r\n"s},
        {{"SCAN", "18446744073709551615"}, "*2\r\n$1\r\n0\r\n*0\r\n"s},
        {{"SCAN", "-1"}, "*2\r\n$1\r\n0\r\n*0\r\n"s},
        {{"SCAN"}, "-ERR wrong number of arguments for 'scan' command\r\n"s},
        {{"SCAN", "x", "FOO"}, "-ERR invalid cursor\r\n"s},
        {{"SCAN", "0", "COUNT", "x", "FOO"}, "-ERR value is not an integer or out of range\r\n"s},
        {{"SCAN", "0", "FOO", "COUNT", "x"}, "-ERR syntax error\r\n"s},
        {{"SET", "k", "v"}, "+OK\r\n"s},
        {{"SCAN", "0"}, "*2\r\n$1\r\n0\r\n*1\r\n$1\r\nk\r\n"s},
        {{"SCAN", "0", "MATCH", "k*", "COUNT", "100", "TYPE", "string"}, "*2\r\n$1\r\n0\r\n*1\r\n$1\r\nk\r\n"s},
        {{"SCAN", "0", "TYPE", "hash"}, "*2\r\n$1\r\n0\r\n*0\r\n"s},
        {{"SCAN", "0", "MATCH", "x*"}, "*2\r\n$1\r\n0\r\n*0\r\n"s},
        {{"SCAN", "0", "type", "STRING"}, "*2\r\n$1\r\n0\r\n*1\r\n$1\r\nk\r\n"s},
    }},
    {"RANDOMKEY, DBSIZE, FLUSH", {
        {{"RANDOMKEY"}, "$-1\r\n"s},
        {{"DBSIZE"}, ":0\r\n"s},
        {{"SET", "only", "1"}, "+OK\r\n"s},
        {{"RANDOMKEY"}, "$4\r\nonly\r\n"s},
        {{"DBSIZE"}, ":1\r\n"s},
        {{"RANDOMKEY", "x"}, "-ERR wrong number of arguments for 'randomkey' command\r\n"s},
        {{"DBSIZE", "x"}, "-ERR wrong number of arguments for 'dbsize' command\r\n"s},
        {{"FLUSHDB", "x"}, "-ERR syntax error\r\n"s},
        {{"FLUSHALL", "SYNC", "ASYNC"}, "-ERR syntax error\r\n"s},
        {{"FLUSHALL", "FOO"}, "-ERR syntax error\r\n"s},
        {{"DBSIZE"}, ":1\r\n"s},
        {{"FLUSHDB", "async"}, "+OK\r\n"s},
        {{"DBSIZE"}, ":0\r\n"s},
        {{"SET", "a", "1"}, "+OK\r\n"s},
        {{"FLUSHALL", "sync"}, "+OK\r\n"s},
        {{"DBSIZE"}, ":0\r\n"s},
        {{"FLUSHALL"}, "+OK\r\n"s},
        {{"FLUSHDB"}, "+OK\r\n"s},
    }},
    {"TOUCH", {
        {{"TOUCH"}, "-ERR wrong number of arguments for 'touch' command\r\n"s},
        {{"TOUCH", "x"}, ":0\r\n"s},
        {{"SET", "a", "1"}, "+OK\r\n"s},
        {{"TOUCH", "a", "a", "x"}, ":2\r\n"s},
    }},
    {"OBJECT ENCODING follows the command that made the value", {
        {{"SET", "k", "12"}, "+OK\r\n"s},
        {{"INCRBYFLOAT", "k", "1"}, "$2\r\n13\r\n"s},
        {{"OBJECT", "ENCODING", "k"}, "$6\r\nembstr\r\n"s},
        {{"INCRBYFLOAT", "new", "1e3"}, "$4\r\n1000\r\n"s},
        {{"OBJECT", "ENCODING", "new"}, "$6\r\nembstr\r\n"s},
        {{"COPY", "k", "k2"}, ":1\r\n"s},
        {{"OBJECT", "ENCODING", "k2"}, "$6\r\nembstr\r\n"s},
        {{"SET", "s", "ab"}, "+OK\r\n"s},
        {{"APPEND", "s", "c"}, ":3\r\n"s},
        {{"COPY", "s", "c1"}, ":1\r\n"s},
        {{"OBJECT", "ENCODING", "c1"}, "$3\r\nraw\r\n"s},
        {{"RENAME", "s", "r1"}, "+OK\r\n"s},
        {{"OBJECT", "ENCODING", "r1"}, "$3\r\nraw\r\n"s},
        {{"SET", "n", "12"}, "+OK\r\n"s},
        {{"APPEND", "n", "3"}, ":3\r\n"s},
        {{"COPY", "n", "n2"}, ":1\r\n"s},
        {{"OBJECT", "ENCODING", "n2"}, "$3\r\nraw\r\n"s},
        {{"SET", "x", "5"}, "+OK\r\n"s},
        {{"SETRANGE", "x", "0", "7"}, ":1\r\n"s},
        {{"OBJECT", "ENCODING", "x"}, "$3\r\nraw\r\n"s},
        {{"SET", "x", "5"}, "+OK\r\n"s},  // set whole again: by content
        {{"OBJECT", "ENCODING", "x"}, "$3\r\nint\r\n"s},
        {{"COPY", "x", "y"}, ":1\r\n"s},
        {{"OBJECT", "ENCODING", "y"}, "$3\r\nint\r\n"s},
        {{"APPEND", "fresh", "77"}, ":2\r\n"s},  // created by APPEND: by content
        {{"OBJECT", "ENCODING", "fresh"}, "$3\r\nint\r\n"s},
    }},
    {"OBJECT", {
        {{"SET", "k", "12345"}, "+OK\r\n"s},
        {{"OBJECT", "ENCODING", "k"}, "$3\r\nint\r\n"s},
        {{"SET", "k", "-9223372036854775808"}, "+OK\r\n"s},
        {{"OBJECT", "ENCODING", "k"}, "$3\r\nint\r\n"s},
        {{"SET", "k", "9223372036854775808"}, "+OK\r\n"s},
        {{"OBJECT", "ENCODING", "k"}, "$6\r\nembstr\r\n"s},
        {{"SET", "k", "-0"}, "+OK\r\n"s},
        {{"OBJECT", "encoding", "k"}, "$6\r\nembstr\r\n"s},
        {{"SET", "k", "012"}, "+OK\r\n"s},
        {{"OBJECT", "ENCODING", "k"}, "$6\r\nembstr\r\n"s},
        {{"SET", "k", ""}, "+OK\r\n"s},
        {{"OBJECT", "ENCODING", "k"}, "$6\r\nembstr\r\n"s},
        {{"SET", "k", "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"}, "+OK\r\n"s},
        {{"OBJECT", "ENCODING", "k"}, "$6\r\nembstr\r\n"s},
        {{"SET", "k", "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"}, "+OK\r\n"s},
        {{"OBJECT", "ENCODING", "k"}, "$3\r\nraw\r\n"s},
        {{"SET", "k", "111111111111111111111"}, "+OK\r\n"s},
        {{"OBJECT", "ENCODING", "k"}, "$6\r\nembstr\r\n"s},
        {{"OBJECT", "ENCODING", "nokey"}, "$-1\r\n"s},
        {{"OBJECT", "FREQ", "nokey"}, "$-1\r\n"s},
        {{"OBJECT", "FREQ", "k"}, "-ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.\r\n"s},
        {{"OBJECT", "IDLETIME", "nokey"}, "$-1\r\n"s},
        {{"OBJECT", "REFCOUNT", "nokey"}, "$-1\r\n"s},
        {{"OBJECT", "HELP"}, "*15\r\n+OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:\r\n+ENCODING <key>\r\n+    Return the kind of internal representation used in order to store the value\r\n+    associated with a <key>.\r\n+FREQ <key>\r\n+    Return the access frequency index of the <key>. The returned integer is\r\n+    proportional to the logarithm of the recent access frequency of the key.\r\n+IDLETIME <key>\r\n+    Return the idle time of the <key>, that is the approximated number of\r\n+    seconds elapsed since the last access to the key.\r\n+REFCOUNT <key>\r\n+    Return the number of references of the value associated with the specified\r\n+    <key>.\r\n+HELP\r\n+    Prints this help.\r\n"s},
        {{"OBJECT", "help", "x"}, "-ERR wrong number of arguments for 'object|help' command\r\n"s},
        {{"OBJECT"}, "-ERR wrong number of arguments for 'object' command\r\n"s},
        {{"OBJECT", "foo"}, "-ERR unknown subcommand 'foo'. Try OBJECT HELP.\r\n"s},
        {{"OBJECT", "foo", "bar"}, "-ERR unknown subcommand 'foo'. Try OBJECT HELP.\r\n"s},
        {{"OBJECT", "ENCODING"}, "-ERR wrong number of arguments for 'object|encoding' command\r\n"s},
        {{"OBJECT", "ENCODING", "a", "b"}, "-ERR wrong number of arguments for 'object|encoding' command\r\n"s},
    }},
};
// clang-format on

TEST_CASE_FIXTURE(CommandTest, "key commands answer exactly as Redis 7.0 does") {
  CheckAgainstRedis(*this, kRedisCases);
}

// The keys of a reply that is an array of bulk strings (KEYS).
std::set<std::string> KeySet(const std::string& resp) {
  RespValue v = ParseResp(resp);
  REQUIRE(v.type == '*');
  std::set<std::string> keys;
  for (const RespValue& e : v.elems) keys.insert(e.str);
  return keys;
}

// One SCAN reply: the next cursor (a bulk string) and the keys.
struct ScanPage {
  std::string cursor;
  std::vector<std::string> keys;
};
ScanPage ParseScan(const std::string& resp) {
  RespValue v = ParseResp(resp);
  REQUIRE(v.type == '*');
  REQUIRE(v.size() == 2);
  REQUIRE(v[0].type == '$');
  REQUIRE(v[1].type == '*');
  ScanPage page;
  page.cursor = v[0].str;
  for (const RespValue& e : v[1].elems) page.keys.push_back(e.str);
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
  CHECK(Run({"COPY", "nokey", "nokey"}) == Err("ERR source and destination objects are the same"));
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
  CHECK(KeySet(Run({"KEYS", "*"})) == std::set<std::string>{"hello", "hallo", "hxllo", "world"});
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
