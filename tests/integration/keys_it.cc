// Keyspace commands end to end: DEL, EXISTS, TYPE, RENAME, COPY, KEYS, SCAN, RANDOMKEY,
// DBSIZE, FLUSH*, TOUCH, OBJECT. Expected replies are Redis 7.0's.
#include <algorithm>
#include <chrono>
#include <set>
#include <string>
#include <vector>

#include "integration/server_harness.h"

namespace pykv::it {
namespace {

std::vector<std::string> Sorted(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  return v;
}

// Inserts keys prefix0..prefix{n-1} with pipelined MSETs of 100 keys.
void Fill(redisContext* c, const std::string& prefix, int n, int first = 0) {
  int batches = 0;
  for (int i = first; i < first + n; i += 100) {
    std::vector<std::string> args = {"MSET"};
    for (int j = i; j < std::min(first + n, i + 100); ++j) {
      args.push_back(prefix + std::to_string(j));
      args.push_back("v");
    }
    Append(c, args);
    ++batches;
  }
  for (int b = 0; b < batches; ++b) REQUIRE(GetReply(c) == Ok());
}

TEST_CASE("DEL UNLINK EXISTS TYPE TOUCH") {
  Fx s;
  CHECK(s({"MSET", "a", "1", "b", "2", "c", "3"}) == Ok());
  CHECK(s({"EXISTS", "a", "a", "b", "nokey"}) == Int(3));
  CHECK(s({"TYPE", "a"}) == St("string"));
  CHECK(s({"TYPE", "nokey"}) == St("none"));
  CHECK(s({"TOUCH", "a", "b", "nokey"}) == Int(2));
  CHECK(s({"DEL", "a", "nokey"}) == Int(1));
  CHECK(s({"DEL", "a"}) == Int(0));
  CHECK(s({"UNLINK", "b", "c", "nokey"}) == Int(2));
  CHECK(s({"EXISTS", "a", "b", "c"}) == Int(0));
  CHECK(s({"DBSIZE"}) == Int(0));
  CHECK(s({"DEL"}) == Err("ERR wrong number of arguments for 'del' command"));
}

TEST_CASE("RENAME RENAMENX") {
  Fx s;
  CHECK(s({"SET", "a", "1", "EX", "100"}) == Ok());
  CHECK(s({"RENAME", "a", "b"}) == Ok());
  CHECK(s({"EXISTS", "a"}) == Int(0));
  CHECK(s({"GET", "b"}) == Bulk("1"));
  CHECK(s({"TTL", "b"}).integer > 90);  // the TTL moves with the value
  CHECK(s({"RENAME", "nokey", "x"}) == Err("ERR no such key"));
  CHECK(s({"RENAME", "b", "b"}) == Ok());
  CHECK(s({"GET", "b"}) == Bulk("1"));
  CHECK(s({"SET", "c", "3"}) == Ok());
  CHECK(s({"RENAME", "b", "c"}) == Ok());  // overwrites
  CHECK(s({"GET", "c"}) == Bulk("1"));
  CHECK(s({"TTL", "c"}).integer > 90);
  CHECK(s({"SET", "d", "4"}) == Ok());
  CHECK(s({"RENAMENX", "c", "d"}) == Int(0));
  CHECK(s({"GET", "d"}) == Bulk("4"));
  CHECK(s({"RENAMENX", "c", "e"}) == Int(1));
  CHECK(s({"GET", "e"}) == Bulk("1"));
  CHECK(s({"EXISTS", "c"}) == Int(0));
  CHECK(s({"RENAMENX", "nokey", "f"}) == Err("ERR no such key"));
  CHECK(s({"DBSIZE"}) == Int(2));
}

TEST_CASE("COPY") {
  Fx s;
  CHECK(s({"SET", "a", "1", "EX", "100"}) == Ok());
  CHECK(s({"COPY", "a", "b"}) == Int(1));
  CHECK(s({"GET", "b"}) == Bulk("1"));
  CHECK(s({"TTL", "b"}).integer > 90);
  CHECK(s({"SET", "a", "2"}) == Ok());
  CHECK(s({"COPY", "a", "b"}) == Int(0));
  CHECK(s({"GET", "b"}) == Bulk("1"));
  CHECK(s({"COPY", "a", "b", "REPLACE"}) == Int(1));
  CHECK(s({"GET", "b"}) == Bulk("2"));
  CHECK(s({"TTL", "b"}) == Int(-1));
  CHECK(s({"COPY", "nokey", "c"}) == Int(0));
  CHECK(s({"EXISTS", "c"}) == Int(0));
  CHECK(s({"COPY", "a", "a"}) == Err("ERR source and destination objects are the same"));
  CHECK(s({"COPY", "a", "c", "DB", "0"}) == Int(1));
  CHECK(s({"COPY", "a", "d", "FOO"}) == Err("ERR syntax error"));
  // The copy is independent of the source.
  CHECK(s({"APPEND", "c", "x"}) == Int(2));
  CHECK(s({"GET", "a"}) == Bulk("2"));
}

TEST_CASE("KEYS patterns") {
  Fx s;
  CHECK(s({"MSET", "hello", "1", "hallo", "1", "hxllo", "1", "hllo", "1", "heeeello", "1", "h*x",
           "1"}) == Ok());
  CHECK(Sorted(s({"KEYS", "h?llo"}).Strings()) ==
        std::vector<std::string>{"hallo", "hello", "hxllo"});
  CHECK(Sorted(s({"KEYS", "h*llo"}).Strings()) ==
        std::vector<std::string>{"hallo", "heeeello", "hello", "hllo", "hxllo"});
  CHECK(Sorted(s({"KEYS", "h[ae]llo"}).Strings()) == std::vector<std::string>{"hallo", "hello"});
  CHECK(Sorted(s({"KEYS", "h[^e]llo"}).Strings()) == std::vector<std::string>{"hallo", "hxllo"});
  CHECK(Sorted(s({"KEYS", "h[a-b]llo"}).Strings()) == std::vector<std::string>{"hallo"});
  CHECK(Sorted(s({"KEYS", "h\\*x"}).Strings()) == std::vector<std::string>{"h*x"});
  CHECK(s({"KEYS", "*"}).elements.size() == 6);
  CHECK(s({"KEYS", "nomatch*"}) == Arr({}));
}

TEST_CASE("SCAN returns every key while 10k keys are added between calls") {
  Fx s;
  const int kOrig = 5000;
  const int kAdded = 10000;
  Fill(s.c.get(), "orig:", kOrig);
  std::set<std::string> seen;
  std::string cursor = "0";
  int added = 0;
  int calls = 0;
  do {
    Reply r = s({"SCAN", cursor, "COUNT", "100"});
    REQUIRE(r.is_array());
    REQUIRE(r.elements.size() == 2);
    cursor = r.elements[0].str;
    for (const auto& k : r.elements[1].elements) seen.insert(k.str);
    if (added < kAdded) {
      Fill(s.c.get(), "new:", 250, added);
      added += 250;
    }
    REQUIRE(++calls < 100000);
  } while (cursor != "0");
  CHECK(added == kAdded);
  CHECK(s({"DBSIZE"}) == Int(kOrig + kAdded));
  int missing = 0;
  for (int i = 0; i < kOrig; ++i) missing += seen.count("orig:" + std::to_string(i)) == 0;
  CHECK(missing == 0);
  // Nothing that never existed comes back.
  int strangers = 0;
  for (const auto& k : seen) strangers += k.rfind("orig:", 0) != 0 && k.rfind("new:", 0) != 0;
  CHECK(strangers == 0);
}

TEST_CASE("SCAN options") {
  Fx s;
  Fill(s.c.get(), "a:", 300);
  Fill(s.c.get(), "b:", 30);
  std::set<std::string> seen;
  std::string cursor = "0";
  int calls = 0;
  do {
    Reply r = s({"SCAN", cursor, "MATCH", "b:*", "COUNT", "50", "TYPE", "string"});
    REQUIRE(r.elements.size() == 2);
    cursor = r.elements[0].str;
    for (const auto& k : r.elements[1].elements) seen.insert(k.str);
    REQUIRE(++calls < 10000);
  } while (cursor != "0");
  CHECK(seen.size() == 30);
  CHECK(seen.count("b:0") == 1);
  CHECK(seen.count("a:0") == 0);
  // TYPE list matches nothing: PyKV (and this data set) holds only strings.
  cursor = "0";
  size_t lists = 0;
  calls = 0;
  do {
    Reply r = s({"SCAN", cursor, "TYPE", "list", "COUNT", "1000"});
    REQUIRE(r.elements.size() == 2);
    cursor = r.elements[0].str;
    lists += r.elements[1].elements.size();
    REQUIRE(++calls < 10000);
  } while (cursor != "0");
  CHECK(lists == 0);
  CHECK(s({"SCAN", "abc"}) == Err("ERR invalid cursor"));
  CHECK(s({"SCAN", "0", "COUNT", "0"}) == Err("ERR syntax error"));
  CHECK(s({"SCAN", "0", "COUNT", "x"}) == Err("ERR value is not an integer or out of range"));
  CHECK(s({"SCAN", "0", "FOO"}) == Err("ERR syntax error"));
  // An empty keyspace: cursor 0, no keys.
  CHECK(s({"FLUSHALL"}) == Ok());
  CHECK(s({"SCAN", "0"}) == Arr({Bulk("0"), Arr({})}));
}

TEST_CASE("RANDOMKEY DBSIZE FLUSHDB FLUSHALL") {
  Fx s;
  CHECK(s({"RANDOMKEY"}) == Nil());
  CHECK(s({"DBSIZE"}) == Int(0));
  CHECK(s({"MSET", "a", "1", "b", "2", "c", "3"}) == Ok());
  CHECK(s({"DBSIZE"}) == Int(3));
  std::set<std::string> got;
  for (int i = 0; i < 200; ++i) {
    Reply r = s({"RANDOMKEY"});
    REQUIRE(r.is_bulk());
    got.insert(r.str);
  }
  CHECK(got.size() == 3);  // all three show up in 200 draws (1 - 3*(2/3)^200 ~ 1)
  CHECK(s({"FLUSHDB"}) == Ok());
  CHECK(s({"DBSIZE"}) == Int(0));
  CHECK(s({"MSET", "a", "1", "b", "2"}) == Ok());
  CHECK(s({"FLUSHDB", "ASYNC"}) == Ok());
  CHECK(s({"DBSIZE"}) == Int(0));
  CHECK(s({"MSET", "a", "1", "b", "2"}) == Ok());
  CHECK(s({"FLUSHALL"}) == Ok());
  CHECK(s({"DBSIZE"}) == Int(0));
  CHECK(s({"SET", "a", "1"}) == Ok());
  CHECK(s({"FLUSHALL", "SYNC"}) == Ok());
  CHECK(s({"EXISTS", "a"}) == Int(0));
  CHECK(s({"FLUSHDB", "FOO"}) == Err("ERR syntax error"));
}

TEST_CASE("OBJECT ENCODING and IDLETIME") {
  Fx s;
  CHECK(s({"SET", "int", "12345"}) == Ok());
  CHECK(s({"SET", "short", "abc"}) == Ok());
  CHECK(s({"SET", "s44", std::string(44, 'x')}) == Ok());
  CHECK(s({"SET", "s45", std::string(45, 'x')}) == Ok());
  CHECK(s({"OBJECT", "ENCODING", "int"}) == Bulk("int"));
  CHECK(s({"OBJECT", "ENCODING", "short"}) == Bulk("embstr"));
  CHECK(s({"OBJECT", "ENCODING", "s44"}) == Bulk("embstr"));
  CHECK(s({"OBJECT", "ENCODING", "s45"}) == Bulk("raw"));
  CHECK(s({"APPEND", "short", "d"}) == Int(4));
  CHECK(s({"OBJECT", "ENCODING", "short"}) == Bulk("raw"));
  CHECK(s({"OBJECT", "ENCODING", "nokey"}) == Nil());
  CHECK(s({"OBJECT", "IDLETIME", "nokey"}) == Nil());
  CHECK(s({"OBJECT", "FOO", "int"}).is_error());
  Reply help = s({"OBJECT", "HELP"});
  CHECK(help.is_array());
  CHECK(help.elements.size() > 4);
  CHECK(s({"OBJECT", "FREQ", "int"}) ==
        Err("ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please "
            "note that when switching between policies at runtime LRU and LFU data will take "
            "some time to adjust."));

  // IDLETIME grows while nobody touches the key (OBJECT itself does not touch it)...
  CHECK(s({"SET", "idle", "v"}) == Ok());
  CHECK(s({"OBJECT", "IDLETIME", "idle"}).integer <= 1);
  CHECK(WaitFor(
      [&] {
        return s({"OBJECT", "IDLETIME", "idle"}).integer >= 2;
      },
      std::chrono::seconds(6), std::chrono::milliseconds(100)));
  // ...and a read resets it.
  CHECK(s({"GET", "idle"}) == Bulk("v"));
  CHECK(s({"OBJECT", "IDLETIME", "idle"}).integer <= 1);
}

}  // namespace
}  // namespace pykv::it
