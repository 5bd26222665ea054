// String commands end to end against a real server: SET and its options, GET family,
// counters, ranges, LCS. Expected replies are Redis 7.0's.
#include <string>
#include <vector>

#include "integration/server_harness.h"

namespace pykv::it {
namespace {

const char* kSyntax = "ERR syntax error";
const char* kNotInt = "ERR value is not an integer or out of range";

TEST_CASE("SET and GET, binary safe") {
  Fx s;
  CHECK(s({"GET", "k"}) == Nil());
  CHECK(s({"SET", "k", "v"}) == Ok());
  CHECK(s({"GET", "k"}) == Bulk("v"));
  std::string bin("a\0b\r\nc\xff", 7);
  CHECK(s({"SET", bin, bin}) == Ok());
  CHECK(s({"GET", bin}) == Bulk(bin));
  CHECK(s({"SET", "", ""}) == Ok());
  CHECK(s({"GET", ""}) == Bulk(""));
  CHECK(s({"EXISTS", ""}) == Int(1));
  CHECK(s({"SET", "k"}) == Err("ERR wrong number of arguments for 'set' command"));
  CHECK(s({"GET", "k", "x"}) == Err("ERR wrong number of arguments for 'get' command"));
}

TEST_CASE("SET NX XX GET") {
  Fx s;
  CHECK(s({"SET", "k", "v1", "NX"}) == Ok());
  CHECK(s({"SET", "k", "v2", "NX"}) == Nil());
  CHECK(s({"GET", "k"}) == Bulk("v1"));
  CHECK(s({"SET", "k", "v3", "XX"}) == Ok());
  CHECK(s({"GET", "k"}) == Bulk("v3"));
  CHECK(s({"SET", "nokey", "v", "XX"}) == Nil());
  CHECK(s({"EXISTS", "nokey"}) == Int(0));
  CHECK(s({"SET", "k", "v4", "GET"}) == Bulk("v3"));
  CHECK(s({"GET", "k"}) == Bulk("v4"));
  CHECK(s({"SET", "new", "x", "GET"}) == Nil());
  CHECK(s({"GET", "new"}) == Bulk("x"));
  // Since 7.0, NX and GET combine: the old value comes back and nothing is written.
  CHECK(s({"SET", "k", "v5", "NX", "GET"}) == Bulk("v4"));
  CHECK(s({"GET", "k"}) == Bulk("v4"));
  CHECK(s({"SET", "k", "v6", "XX", "GET"}) == Bulk("v4"));
  CHECK(s({"GET", "k"}) == Bulk("v6"));
  // Options are case-insensitive.
  CHECK(s({"set", "k", "v7", "xx", "get"}) == Bulk("v6"));
  CHECK(s({"SET", "k", "v", "NX", "XX"}) == Err(kSyntax));
  CHECK(s({"SET", "k", "v", "FOO"}) == Err(kSyntax));
  CHECK(s({"GET", "k"}) == Bulk("v7"));
}

TEST_CASE("SET expiry options") {
  Fx s;
  CHECK(s({"SET", "k", "v", "EX", "100"}) == Ok());
  Reply ttl = s({"TTL", "k"});
  CHECK(ttl.is_int());
  CHECK(ttl.integer > 90);
  CHECK(ttl.integer <= 100);
  CHECK(s({"SET", "k", "v", "PX", "100000"}) == Ok());
  Reply pttl = s({"PTTL", "k"});
  CHECK(pttl.integer > 90000);
  CHECK(pttl.integer <= 100000);
  int64_t at_s = NowMs() / 1000 + 200;
  CHECK(s({"SET", "k", "v", "EXAT", std::to_string(at_s)}) == Ok());
  CHECK(s({"EXPIRETIME", "k"}) == Int(at_s));
  int64_t at_ms = NowMs() + 300000;
  CHECK(s({"SET", "k", "v", "PXAT", std::to_string(at_ms)}) == Ok());
  CHECK(s({"PEXPIRETIME", "k"}) == Int(at_ms));
  // KEEPTTL keeps it, a plain SET clears it.
  CHECK(s({"SET", "k", "v2", "KEEPTTL"}) == Ok());
  CHECK(s({"PEXPIRETIME", "k"}) == Int(at_ms));
  CHECK(s({"SET", "k", "v3"}) == Ok());
  CHECK(s({"TTL", "k"}) == Int(-1));
  // Errors.
  const std::string kBadTime = "ERR invalid expire time in 'set' command";
  CHECK(s({"SET", "k", "v", "EX", "0"}) == Err(kBadTime));
  CHECK(s({"SET", "k", "v", "EX", "-1"}) == Err(kBadTime));
  CHECK(s({"SET", "k", "v", "PX", "0"}) == Err(kBadTime));
  CHECK(s({"SET", "k", "v", "EX", "9999999999999999"}) == Err(kBadTime));
  CHECK(s({"SET", "k", "v", "EX", "abc"}) == Err(kNotInt));
  CHECK(s({"SET", "k", "v", "EX"}) == Err(kSyntax));
  CHECK(s({"SET", "k", "v", "EX", "10", "PX", "10000"}) == Err(kSyntax));
  CHECK(s({"SET", "k", "v", "KEEPTTL", "EX", "10"}) == Err(kSyntax));
  CHECK(s({"GET", "k"}) == Bulk("v3"));
  CHECK(s({"TTL", "k"}) == Int(-1));
  // A short expiry really expires.
  CHECK(s({"SET", "short", "v", "PX", "50"}) == Ok());
  CHECK(WaitFor([&] { return s({"GET", "short"}).is_nil(); }, std::chrono::seconds(5)));
}

TEST_CASE("GETEX GETDEL GETSET") {
  Fx s;
  CHECK(s({"GETEX", "nokey"}) == Nil());
  CHECK(s({"SET", "k", "v"}) == Ok());
  CHECK(s({"GETEX", "k"}) == Bulk("v"));
  CHECK(s({"TTL", "k"}) == Int(-1));
  CHECK(s({"GETEX", "k", "EX", "100"}) == Bulk("v"));
  CHECK(s({"TTL", "k"}).integer > 90);
  CHECK(s({"GETEX", "k", "PERSIST"}) == Bulk("v"));
  CHECK(s({"TTL", "k"}) == Int(-1));
  CHECK(s({"GETEX", "k", "PX", "100000"}) == Bulk("v"));
  CHECK(s({"PTTL", "k"}).integer > 90000);
  int64_t at = NowMs() / 1000 + 500;
  CHECK(s({"GETEX", "k", "EXAT", std::to_string(at)}) == Bulk("v"));
  CHECK(s({"EXPIRETIME", "k"}) == Int(at));
  CHECK(s({"GETEX", "k", "EX", "0"}) == Err("ERR invalid expire time in 'getex' command"));
  CHECK(s({"GETEX", "k", "PERSIST", "EX", "10"}) == Err(kSyntax));
  CHECK(s({"GETEX", "k", "FOO"}) == Err(kSyntax));
  CHECK(s({"EXPIRETIME", "k"}) == Int(at));

  CHECK(s({"GETDEL", "k"}) == Bulk("v"));
  CHECK(s({"EXISTS", "k"}) == Int(0));
  CHECK(s({"GETDEL", "k"}) == Nil());

  CHECK(s({"GETSET", "g", "1"}) == Nil());
  CHECK(s({"SET", "g", "2", "EX", "100"}) == Ok());
  CHECK(s({"GETSET", "g", "3"}) == Bulk("2"));
  CHECK(s({"GET", "g"}) == Bulk("3"));
  CHECK(s({"TTL", "g"}) == Int(-1));  // GETSET drops the TTL
}

TEST_CASE("SETNX SETEX PSETEX") {
  Fx s;
  CHECK(s({"SETNX", "k", "a"}) == Int(1));
  CHECK(s({"SETNX", "k", "b"}) == Int(0));
  CHECK(s({"GET", "k"}) == Bulk("a"));
  CHECK(s({"SETEX", "k", "100", "c"}) == Ok());
  CHECK(s({"GET", "k"}) == Bulk("c"));
  CHECK(s({"TTL", "k"}).integer > 90);
  CHECK(s({"PSETEX", "p", "100000", "d"}) == Ok());
  CHECK(s({"PTTL", "p"}).integer > 90000);
  CHECK(s({"SETEX", "k", "0", "v"}) == Err("ERR invalid expire time in 'setex' command"));
  CHECK(s({"SETEX", "k", "-5", "v"}) == Err("ERR invalid expire time in 'setex' command"));
  CHECK(s({"PSETEX", "k", "0", "v"}) == Err("ERR invalid expire time in 'psetex' command"));
  CHECK(s({"SETEX", "k", "x", "v"}) == Err(kNotInt));
  CHECK(s({"GET", "k"}) == Bulk("c"));
}

TEST_CASE("MSET MSETNX MGET") {
  Fx s;
  CHECK(s({"MSET", "a", "1", "b", "2"}) == Ok());
  CHECK(s({"MGET", "a", "b", "nokey"}) == Arr({Bulk("1"), Bulk("2"), Nil()}));
  CHECK(s({"MSET", "a", "1", "b"}) == Err("ERR wrong number of arguments for 'mset' command"));
  CHECK(s({"MSET", "a"}) == Err("ERR wrong number of arguments for 'mset' command"));
  CHECK(s({"MSETNX", "a", "x", "c", "3"}) == Int(0));
  CHECK(s({"EXISTS", "c"}) == Int(0));
  CHECK(s({"GET", "a"}) == Bulk("1"));
  CHECK(s({"MSETNX", "c", "3", "d", "4"}) == Int(1));
  CHECK(s({"MGET", "c", "d"}) == Bulks({"3", "4"}));
  // The last of duplicate keys wins.
  CHECK(s({"MSET", "dup", "1", "dup", "2"}) == Ok());
  CHECK(s({"GET", "dup"}) == Bulk("2"));
  CHECK(s({"MSETNX", "e", "x"}) == Int(1));
  CHECK(s({"MSETNX", "f"}) == Err("ERR wrong number of arguments for 'msetnx' command"));
}

TEST_CASE("INCR DECR INCRBY DECRBY") {
  Fx s;
  CHECK(s({"INCR", "n"}) == Int(1));
  CHECK(s({"INCR", "n"}) == Int(2));
  CHECK(s({"DECR", "n"}) == Int(1));
  CHECK(s({"INCRBY", "n", "10"}) == Int(11));
  CHECK(s({"DECRBY", "n", "20"}) == Int(-9));
  CHECK(s({"GET", "n"}) == Bulk("-9"));
  CHECK(s({"DECR", "fresh"}) == Int(-1));
  CHECK(s({"SET", "n", "v", "EX", "100"}) == Ok());
  CHECK(s({"INCR", "n"}) == Err(kNotInt));
  CHECK(s({"SET", "n", "10", "EX", "100"}) == Ok());
  CHECK(s({"INCR", "n"}) == Int(11));
  CHECK(s({"TTL", "n"}).integer > 90);  // INCR keeps the TTL
  CHECK(s({"SET", "n", " 1"}) == Ok());
  CHECK(s({"INCR", "n"}) == Err(kNotInt));
  CHECK(s({"SET", "n", "01"}) == Ok());
  CHECK(s({"INCR", "n"}) == Err(kNotInt));
  CHECK(s({"SET", "n", "9223372036854775807"}) == Ok());
  CHECK(s({"INCR", "n"}) == Err("ERR increment or decrement would overflow"));
  CHECK(s({"SET", "n", "-9223372036854775808"}) == Ok());
  CHECK(s({"DECR", "n"}) == Err("ERR increment or decrement would overflow"));
  CHECK(s({"SET", "n", "0"}) == Ok());
  CHECK(s({"DECRBY", "n", "-9223372036854775808"}) == Err("ERR decrement would overflow"));
  CHECK(s({"INCRBY", "n", "abc"}) == Err(kNotInt));
  CHECK(s({"INCRBY", "n", "9223372036854775808"}) == Err(kNotInt));
  CHECK(s({"INCRBY", "n", "1.5"}) == Err(kNotInt));
  CHECK(s({"GET", "n"}) == Bulk("0"));
}

TEST_CASE("INCRBYFLOAT") {
  Fx s;
  CHECK(s({"SET", "f", "10.50"}) == Ok());
  CHECK(s({"INCRBYFLOAT", "f", "0.1"}) == Bulk("10.6"));
  CHECK(s({"INCRBYFLOAT", "f", "-5"}) == Bulk("5.6"));
  CHECK(s({"SET", "f", "5.0e3"}) == Ok());
  CHECK(s({"INCRBYFLOAT", "f", "2.0e2"}) == Bulk("5200"));
  CHECK(s({"INCRBYFLOAT", "new", "3"}) == Bulk("3"));
  CHECK(s({"INCRBYFLOAT", "new", "-3"}) == Bulk("0"));
  CHECK(s({"SET", "f", "abc"}) == Ok());
  CHECK(s({"INCRBYFLOAT", "f", "1"}) == Err("ERR value is not a valid float"));
  CHECK(s({"SET", "f", "1"}) == Ok());
  CHECK(s({"INCRBYFLOAT", "f", "abc"}) == Err("ERR value is not a valid float"));
  CHECK(s({"INCRBYFLOAT", "f", "nan"}) == Err("ERR value is not a valid float"));
  CHECK(s({"INCRBYFLOAT", "f", "inf"}) == Err("ERR increment would produce NaN or Infinity"));
  CHECK(s({"GET", "f"}) == Bulk("1"));
}

TEST_CASE("APPEND STRLEN") {
  Fx s;
  CHECK(s({"STRLEN", "k"}) == Int(0));
  CHECK(s({"APPEND", "k", "Hello"}) == Int(5));
  CHECK(s({"APPEND", "k", " World"}) == Int(11));
  CHECK(s({"GET", "k"}) == Bulk("Hello World"));
  CHECK(s({"STRLEN", "k"}) == Int(11));
  CHECK(s({"APPEND", "k", ""}) == Int(11));
  CHECK(s({"SET", "n", "12"}) == Ok());
  CHECK(s({"APPEND", "n", "3"}) == Int(3));
  CHECK(s({"INCR", "n"}) == Int(124));
}

TEST_CASE("GETRANGE SUBSTR SETRANGE") {
  Fx s;
  CHECK(s({"SET", "k", "This is a string"}) == Ok());
  CHECK(s({"GETRANGE", "k", "0", "3"}) == Bulk("This"));
  CHECK(s({"GETRANGE", "k", "-3", "-1"}) == Bulk("ing"));
  CHECK(s({"GETRANGE", "k", "0", "-1"}) == Bulk("This is a string"));
  CHECK(s({"GETRANGE", "k", "10", "100"}) == Bulk("string"));
  CHECK(s({"GETRANGE", "k", "5", "3"}) == Bulk(""));
  CHECK(s({"GETRANGE", "k", "-100", "3"}) == Bulk("This"));
  CHECK(s({"GETRANGE", "nokey", "0", "-1"}) == Bulk(""));
  CHECK(s({"GETRANGE", "k", "a", "1"}) == Err(kNotInt));
  CHECK(s({"SUBSTR", "k", "0", "3"}) == Bulk("This"));
  CHECK(s({"SUBSTR", "k", "-6", "-1"}) == Bulk("string"));

  CHECK(s({"SET", "h", "Hello World"}) == Ok());
  CHECK(s({"SETRANGE", "h", "6", "Redis"}) == Int(11));
  CHECK(s({"GET", "h"}) == Bulk("Hello Redis"));
  CHECK(s({"SETRANGE", "h", "11", "!!"}) == Int(13));
  CHECK(s({"GET", "h"}) == Bulk("Hello Redis!!"));
  CHECK(s({"SETRANGE", "pad", "5", "x"}) == Int(6));
  CHECK(s({"GET", "pad"}) == Bulk(std::string("\0\0\0\0\0x", 6)));
  CHECK(s({"SETRANGE", "empty", "0", ""}) == Int(0));
  CHECK(s({"EXISTS", "empty"}) == Int(0));
  CHECK(s({"SETRANGE", "h", "-1", "x"}) == Err("ERR offset is out of range"));
  CHECK(s({"SETRANGE", "h", "536870912", "x"}) ==
        Err("ERR string exceeds maximum allowed size (proto-max-bulk-len)"));
  CHECK(s({"GET", "h"}) == Bulk("Hello Redis!!"));
}

TEST_CASE("LCS") {
  Fx s;
  CHECK(s({"MSET", "key1", "ohmytext", "key2", "mynewtext"}) == Ok());
  CHECK(s({"LCS", "key1", "key2"}) == Bulk("mytext"));
  CHECK(s({"LCS", "key1", "key2", "LEN"}) == Int(6));
  CHECK(s({"LCS", "key1", "key2", "IDX"}) ==
        Arr({Bulk("matches"),
             Arr({Arr({Arr({Int(4), Int(7)}), Arr({Int(5), Int(8)})}),
                  Arr({Arr({Int(2), Int(3)}), Arr({Int(0), Int(1)})})}),
             Bulk("len"), Int(6)}));
  CHECK(s({"LCS", "key1", "key2", "IDX", "MINMATCHLEN", "4", "WITHMATCHLEN"}) ==
        Arr({Bulk("matches"), Arr({Arr({Arr({Int(4), Int(7)}), Arr({Int(5), Int(8)}), Int(4)})}),
             Bulk("len"), Int(6)}));
  CHECK(s({"LCS", "key1", "nokey"}) == Bulk(""));
  CHECK(s({"LCS", "key1", "key2", "LEN", "IDX"}) ==
        Err("ERR If you want both the length and indexes, please just use IDX."));
  CHECK(s({"LCS", "key1", "key2", "FOO"}) == Err(kSyntax));
}

}  // namespace
}  // namespace pykv::it
