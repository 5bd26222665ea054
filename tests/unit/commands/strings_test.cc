// The string family (strings.cc, the lead's): every command, its error texts, the SET
// options matrix, counters and their overflow, INCRBYFLOAT formatting, GETRANGE/SETRANGE
// edges and LCS. The table below holds Redis 7.0.15's exact replies to each sequence,
// recorded from a real server, so any difference is a compatibility bug.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "unit/commands/command_test_fixture.h"

namespace pykv::cmd::testing {
namespace {

using namespace std::string_literals;

// clang-format off
const std::vector<RedisCase> kRedisCases = {
    {"SET basics and NX/XX", {
        {{"SET", "k", "v"}, "+OK\r\n"s},
        {{"GET", "k"}, "$1\r\nv\r\n"s},
        {{"SET", "k", "v2", "NX"}, "$-1\r\n"s},
        {{"GET", "k"}, "$1\r\nv\r\n"s},
        {{"SET", "n", "v", "NX"}, "+OK\r\n"s},
        {{"GET", "n"}, "$1\r\nv\r\n"s},
        {{"SET", "k", "v3", "XX"}, "+OK\r\n"s},
        {{"GET", "k"}, "$2\r\nv3\r\n"s},
        {{"SET", "missing", "v", "XX"}, "$-1\r\n"s},
        {{"EXISTS", "missing"}, ":0\r\n"s},
        {{"SET", "k", "v", "NX", "NX"}, "$-1\r\n"s},
        {{"SET", "k", "v", "XX", "XX"}, "+OK\r\n"s},
        {{"SET", "k", "v", "nx", "xx"}, "-ERR syntax error\r\n"s},
        {{"SET", "k", "v", "XX", "NX"}, "-ERR syntax error\r\n"s},
        {{"SET", "k"}, "-ERR wrong number of arguments for 'set' command\r\n"s},
        {{"SET"}, "-ERR wrong number of arguments for 'set' command\r\n"s},
        {{"SET", "k", "v", "FOO"}, "-ERR syntax error\r\n"s},
        {{"SET", "k", "v", "PERSIST"}, "-ERR syntax error\r\n"s},
    }},
    {"SET GET option", {
        {{"SET", "k", "v", "GET"}, "$-1\r\n"s},
        {{"SET", "k", "v2", "GET"}, "$1\r\nv\r\n"s},
        {{"GET", "k"}, "$2\r\nv2\r\n"s},
        {{"SET", "k", "v3", "NX", "GET"}, "$2\r\nv2\r\n"s},
        {{"GET", "k"}, "$2\r\nv2\r\n"s},
        {{"SET", "x", "v", "XX", "GET"}, "$-1\r\n"s},
        {{"EXISTS", "x"}, ":0\r\n"s},
        {{"SET", "k", "v4", "XX", "GET"}, "$2\r\nv2\r\n"s},
        {{"SET", "k", "v5", "GET", "GET"}, "$2\r\nv4\r\n"s},
        {{"SET", "y", "v", "NX", "GET"}, "$-1\r\n"s},
        {{"GET", "y"}, "$1\r\nv\r\n"s},
    }},
    {"SET expiry options", {
        {{"SET", "k", "v", "EX", "100"}, "+OK\r\n"s},
        {{"TTL", "k"}, ":100\r\n"s},
        {{"SET", "k", "v", "PX", "100000"}, "+OK\r\n"s},
        {{"TTL", "k"}, ":100\r\n"s},
        {{"SET", "k", "v2", "KEEPTTL"}, "+OK\r\n"s},
        {{"TTL", "k"}, ":100\r\n"s},
        {{"GET", "k"}, "$2\r\nv2\r\n"s},
        {{"SET", "k", "v3"}, "+OK\r\n"s},
        {{"TTL", "k"}, ":-1\r\n"s},
        {{"SET", "k", "v", "EX", "10", "PX", "100"}, "-ERR syntax error\r\n"s},
        {{"SET", "k", "v", "EX", "10", "EX", "10"}, "+OK\r\n"s},
        {{"SET", "k", "v", "EX", "10", "KEEPTTL"}, "-ERR syntax error\r\n"s},
        {{"SET", "k", "v", "KEEPTTL", "EX", "10"}, "-ERR syntax error\r\n"s},
        {{"SET", "k", "v", "KEEPTTL", "KEEPTTL"}, "+OK\r\n"s},
        {{"SET", "k", "v", "EXAT", "10", "PXAT", "100"}, "-ERR syntax error\r\n"s},
        {{"SET", "k", "v", "EX"}, "-ERR syntax error\r\n"s},
        {{"SET", "k", "v", "PX"}, "-ERR syntax error\r\n"s},
        {{"SET", "k", "v", "EX", "abc"}, "-ERR value is not an integer or out of range\r\n"s},
        {{"SET", "k", "v", "EX", "1.5"}, "-ERR value is not an integer or out of range\r\n"s},
        {{"SET", "k", "v", "EX", "0"}, "-ERR invalid expire time in 'set' command\r\n"s},
        {{"SET", "k", "v", "EX", "-1"}, "-ERR invalid expire time in 'set' command\r\n"s},
        {{"SET", "k", "v", "PX", "0"}, "-ERR invalid expire time in 'set' command\r\n"s},
        {{"SET", "k", "v", "EXAT", "0"}, "-ERR invalid expire time in 'set' command\r\n"s},
        {{"SET", "k", "v", "PXAT", "-5"}, "-ERR invalid expire time in 'set' command\r\n"s},
        {{"SET", "k", "v", "EX", "9223372036854775807"}, "-ERR invalid expire time in 'set' command\r\n"s},
        {{"SET", "k", "v", "PX", "9223372036854775807"}, "-ERR invalid expire time in 'set' command\r\n"s},
        {{"SET", "k", "v", "EXAT", "9223372036854776"}, "-ERR invalid expire time in 'set' command\r\n"s},
        {{"SET", "k", "v", "ex", "100", "nx"}, "$-1\r\n"s},
        {{"SET", "k", "v", "nx", "ex", "100"}, "$-1\r\n"s},
        {{"SET", "k", "v", "EX", "abc", "FOO"}, "-ERR syntax error\r\n"s},
        {{"SET", "k", "v", "FOO", "EX", "abc"}, "-ERR syntax error\r\n"s},
        {{"SET", "k", "v", "GET", "EX", "0"}, "-ERR invalid expire time in 'set' command\r\n"s},
        {{"GET", "k"}, "$1\r\nv\r\n"s},
        {{"SET", "k", "v", "EX", "100", "GET"}, "$1\r\nv\r\n"s},
        {{"TTL", "k"}, ":100\r\n"s},
        {{"SET", "k", "v", "XX", "NX", "GET"}, "-ERR syntax error\r\n"s},
        {{"SET", "k", "v", "NX", "XX", "EX", "10"}, "-ERR syntax error\r\n"s},
        {{"SET", "k", "v", "EX", "10", "KEEPTTL", "GET"}, "-ERR syntax error\r\n"s},
        {{"SET", "k", "v", "EX", "10", "EX", "abc"}, "-ERR value is not an integer or out of range\r\n"s},
        {{"SET", "k", "v", "EX", "abc", "EX", "20"}, "+OK\r\n"s},
        {{"TTL", "k"}, ":20\r\n"s},
        {{"SET", "k", "v", "GET", "NX", "XX"}, "-ERR syntax error\r\n"s},
        {{"SET", "k", "v", "PX", "1", "PX"}, "-ERR syntax error\r\n"s},
        {{"SET", "k", "v", "px", "5000", "PX", "30000"}, "+OK\r\n"s},
        {{"TTL", "k"}, ":30\r\n"s},
        {{"SET", "k", "v", "EXAT", "1", "EX", "5"}, "-ERR syntax error\r\n"s},
    }},
    {"SETEX, PSETEX, SETNX", {
        {{"SETEX", "k", "10", "v"}, "+OK\r\n"s},
        {{"TTL", "k"}, ":10\r\n"s},
        {{"GET", "k"}, "$1\r\nv\r\n"s},
        {{"SETEX", "k", "0", "v"}, "-ERR invalid expire time in 'setex' command\r\n"s},
        {{"SETEX", "k", "-1", "v"}, "-ERR invalid expire time in 'setex' command\r\n"s},
        {{"SETEX", "k", "abc", "v"}, "-ERR value is not an integer or out of range\r\n"s},
        {{"SETEX", "k", "9223372036854775807", "v"}, "-ERR invalid expire time in 'setex' command\r\n"s},
        {{"PSETEX", "k", "1500", "v"}, "+OK\r\n"s},
        {{"TTL", "k"}, ":2\r\n"s},
        {{"PSETEX", "k", "0", "v"}, "-ERR invalid expire time in 'psetex' command\r\n"s},
        {{"PSETEX", "k", "-10", "v"}, "-ERR invalid expire time in 'psetex' command\r\n"s},
        {{"SETEX", "k", "10"}, "-ERR wrong number of arguments for 'setex' command\r\n"s},
        {{"SETNX", "k", "x"}, ":0\r\n"s},
        {{"GET", "k"}, "$1\r\nv\r\n"s},
        {{"SETNX", "n", "x"}, ":1\r\n"s},
        {{"GET", "n"}, "$1\r\nx\r\n"s},
        {{"SETNX", "n"}, "-ERR wrong number of arguments for 'setnx' command\r\n"s},
    }},
    {"GET, GETSET, GETDEL, MGET", {
        {{"GET", "nokey"}, "$-1\r\n"s},
        {{"GETSET", "k", "a"}, "$-1\r\n"s},
        {{"GETSET", "k", "b"}, "$1\r\na\r\n"s},
        {{"GET", "k"}, "$1\r\nb\r\n"s},
        {{"GETDEL", "k"}, "$1\r\nb\r\n"s},
        {{"GETDEL", "k"}, "$-1\r\n"s},
        {{"EXISTS", "k"}, ":0\r\n"s},
        {{"SET", "k", "v", "EX", "100"}, "+OK\r\n"s},
        {{"GETSET", "k", "w"}, "$1\r\nv\r\n"s},
        {{"TTL", "k"}, ":-1\r\n"s},
        {{"MSET", "a", "1", "b", "2"}, "+OK\r\n"s},
        {{"MGET", "a", "nokey", "b", "a"}, "*4\r\n$1\r\n1\r\n$-1\r\n$1\r\n2\r\n$1\r\n1\r\n"s},
        {{"MGET"}, "-ERR wrong number of arguments for 'mget' command\r\n"s},
        {{"GET", "a", "b"}, "-ERR wrong number of arguments for 'get' command\r\n"s},
        {{"GETDEL"}, "-ERR wrong number of arguments for 'getdel' command\r\n"s},
    }},
    {"GETEX", {
        {{"GETEX", "nokey"}, "$-1\r\n"s},
        {{"GETEX", "nokey", "EX", "100"}, "$-1\r\n"s},
        // The key is looked up before the time is read: a missing key wins over a bad time.
        {{"GETEX", "nokey", "EX", "0"}, "$-1\r\n"s},
        {{"GETEX", "nokey", "PX", "-1"}, "$-1\r\n"s},
        {{"GETEX", "nokey", "EXAT", "abc"}, "$-1\r\n"s},
        {{"GETEX", "nokey", "EX", "9223372036854775807"}, "$-1\r\n"s},
        {{"GETEX", "nokey", "EX"}, "-ERR syntax error\r\n"s},
        {{"SET", "k", "v"}, "+OK\r\n"s},
        {{"GETEX", "k"}, "$1\r\nv\r\n"s},
        {{"TTL", "k"}, ":-1\r\n"s},
        {{"GETEX", "k", "EX", "100"}, "$1\r\nv\r\n"s},
        {{"TTL", "k"}, ":100\r\n"s},
        {{"GETEX", "k", "PERSIST"}, "$1\r\nv\r\n"s},
        {{"TTL", "k"}, ":-1\r\n"s},
        {{"GETEX", "k", "PX", "200000"}, "$1\r\nv\r\n"s},
        {{"TTL", "k"}, ":200\r\n"s},
        {{"GETEX", "k", "EX", "10", "PERSIST"}, "-ERR syntax error\r\n"s},
        {{"GETEX", "k", "PERSIST", "EX", "10"}, "-ERR syntax error\r\n"s},
        {{"GETEX", "k", "PERSIST", "PERSIST"}, "$1\r\nv\r\n"s},
        {{"GETEX", "k", "EX", "0"}, "-ERR invalid expire time in 'getex' command\r\n"s},
        {{"GETEX", "k", "EX", "-1"}, "-ERR invalid expire time in 'getex' command\r\n"s},
        {{"GETEX", "k", "EX", "abc"}, "-ERR value is not an integer or out of range\r\n"s},
        {{"GETEX", "k", "NX"}, "-ERR syntax error\r\n"s},
        {{"GETEX", "k", "KEEPTTL"}, "-ERR syntax error\r\n"s},
        {{"GETEX", "k", "GET"}, "-ERR syntax error\r\n"s},
        {{"GETEX", "k", "EX"}, "-ERR syntax error\r\n"s},
        {{"GETEX", "k", "EX", "10", "EX", "10"}, "$1\r\nv\r\n"s},
        {{"TTL", "k"}, ":10\r\n"s},
        {{"GETEX", "k", "PERSIST", "EX", "10"}, "-ERR syntax error\r\n"s},
        {{"GETEX", "k", "EX", "1", "PX", "1"}, "-ERR syntax error\r\n"s},
        {{"GETEX", "k", "FOO", "EX", "abc"}, "-ERR syntax error\r\n"s},
        {{"GETEX", "k", "EX", "abc", "PERSIST"}, "-ERR syntax error\r\n"s},
        {{"TTL", "k"}, ":10\r\n"s},
    }},
    {"MSET, MSETNX", {
        {{"MSET", "a", "1", "b"}, "-ERR wrong number of arguments for 'mset' command\r\n"s},
        {{"MSET", "a"}, "-ERR wrong number of arguments for 'mset' command\r\n"s},
        {{"MSET", "a", "1", "b", "2", "a", "3"}, "+OK\r\n"s},
        {{"MGET", "a", "b"}, "*2\r\n$1\r\n3\r\n$1\r\n2\r\n"s},
        {{"MSETNX", "a", "1", "b"}, "-ERR wrong number of arguments for 'msetnx' command\r\n"s},
        {{"MSETNX", "a", "9", "z", "9"}, ":0\r\n"s},
        {{"EXISTS", "z"}, ":0\r\n"s},
        {{"MSETNX", "x", "1", "y", "2"}, ":1\r\n"s},
        {{"MGET", "x", "y"}, "*2\r\n$1\r\n1\r\n$1\r\n2\r\n"s},
        {{"MSETNX", "p", "1", "p", "2"}, ":1\r\n"s},
        {{"GET", "p"}, "$1\r\n2\r\n"s},
    }},
    {"INCR family", {
        {{"INCR", "n"}, ":1\r\n"s},
        {{"INCR", "n"}, ":2\r\n"s},
        {{"INCRBY", "n", "10"}, ":12\r\n"s},
        {{"DECR", "n"}, ":11\r\n"s},
        {{"DECRBY", "n", "5"}, ":6\r\n"s},
        {{"DECRBY", "n", "-5"}, ":11\r\n"s},
        {{"INCRBY", "n", "-100"}, ":-89\r\n"s},
        {{"GET", "n"}, "$3\r\n-89\r\n"s},
        {{"INCRBY", "n", "abc"}, "-ERR value is not an integer or out of range\r\n"s},
        {{"INCRBY", "n", "1.5"}, "-ERR value is not an integer or out of range\r\n"s},
        {{"INCRBY", "n", ""}, "-ERR value is not an integer or out of range\r\n"s},
        {{"DECRBY", "n", "9223372036854775808"}, "-ERR value is not an integer or out of range\r\n"s},
        {{"SET", "n", "9223372036854775807"}, "+OK\r\n"s},
        {{"INCR", "n"}, "-ERR increment or decrement would overflow\r\n"s},
        {{"INCRBY", "n", "0"}, ":9223372036854775807\r\n"s},
        {{"DECR", "n"}, ":9223372036854775806\r\n"s},
        {{"SET", "n", "-9223372036854775808"}, "+OK\r\n"s},
        {{"DECR", "n"}, "-ERR increment or decrement would overflow\r\n"s},
        {{"INCRBY", "n", "-1"}, "-ERR increment or decrement would overflow\r\n"s},
        {{"INCR", "n"}, ":-9223372036854775807\r\n"s},
        {{"SET", "n", "1"}, "+OK\r\n"s},
        {{"DECRBY", "n", "-9223372036854775808"}, "-ERR decrement would overflow\r\n"s},
        {{"INCRBY", "n", "-9223372036854775808"}, ":-9223372036854775807\r\n"s},
        {{"DECRBY", "n", "9223372036854775807"}, "-ERR increment or decrement would overflow\r\n"s},
        {{"SET", "s", "abc"}, "+OK\r\n"s},
        {{"INCR", "s"}, "-ERR value is not an integer or out of range\r\n"s},
        {{"SET", "s", " 1"}, "+OK\r\n"s},
        {{"INCR", "s"}, "-ERR value is not an integer or out of range\r\n"s},
        {{"SET", "s", "1 "}, "+OK\r\n"s},
        {{"INCR", "s"}, "-ERR value is not an integer or out of range\r\n"s},
        {{"SET", "s", "01"}, "+OK\r\n"s},
        {{"INCR", "s"}, "-ERR value is not an integer or out of range\r\n"s},
        {{"SET", "s", "+1"}, "+OK\r\n"s},
        {{"INCR", "s"}, "-ERR value is not an integer or out of range\r\n"s},
        {{"SET", "s", "-0"}, "+OK\r\n"s},
        {{"INCR", "s"}, "-ERR value is not an integer or out of range\r\n"s},
        {{"SET", "s", "1.0"}, "+OK\r\n"s},
        {{"INCR", "s"}, "-ERR value is not an integer or out of range\r\n"s},
        {{"SET", "s", ""}, "+OK\r\n"s},
        {{"INCR", "s"}, "-ERR value is not an integer or out of range\r\n"s},
        {{"SET", "s", "99999999999999999999"}, "+OK\r\n"s},
        {{"INCR", "s"}, "-ERR value is not an integer or out of range\r\n"s},
        {{"SET", "t", "5", "EX", "100"}, "+OK\r\n"s},
        {{"INCR", "t"}, ":6\r\n"s},
        {{"TTL", "t"}, ":100\r\n"s},
        {{"INCR"}, "-ERR wrong number of arguments for 'incr' command\r\n"s},
    }},
    {"INCRBYFLOAT", {
        {{"INCRBYFLOAT", "f", "10.5"}, "$4\r\n10.5\r\n"s},
        {{"INCRBYFLOAT", "f", "0.1"}, "$4\r\n10.6\r\n"s},
        {{"INCRBYFLOAT", "f", "-5"}, "$3\r\n5.6\r\n"s},
        {{"SET", "f", "5.0e3"}, "+OK\r\n"s},
        {{"INCRBYFLOAT", "f", "2.0e2"}, "$4\r\n5200\r\n"s},
        {{"SET", "f", "3"}, "+OK\r\n"s},
        {{"INCRBYFLOAT", "f", "1.5"}, "$3\r\n4.5\r\n"s},
        {{"INCRBYFLOAT", "f", "abc"}, "-ERR value is not a valid float\r\n"s},
        {{"INCRBYFLOAT", "f", ""}, "-ERR value is not a valid float\r\n"s},
        {{"INCRBYFLOAT", "f", " 1"}, "-ERR value is not a valid float\r\n"s},
        {{"INCRBYFLOAT", "f", "1 "}, "-ERR value is not a valid float\r\n"s},
        {{"INCRBYFLOAT", "f", "inf"}, "-ERR increment would produce NaN or Infinity\r\n"s},
        {{"INCRBYFLOAT", "f", "-inf"}, "-ERR increment would produce NaN or Infinity\r\n"s},
        {{"INCRBYFLOAT", "f", "nan"}, "-ERR value is not a valid float\r\n"s},
        {{"GET", "f"}, "$3\r\n4.5\r\n"s},
        {{"SET", "g", "abc"}, "+OK\r\n"s},
        {{"INCRBYFLOAT", "g", "1"}, "-ERR value is not a valid float\r\n"s},
        {{"SET", "g", "1"}, "+OK\r\n"s},
        {{"INCRBYFLOAT", "g", "0.1"}, "$3\r\n1.1\r\n"s},
        {{"INCRBYFLOAT", "g", "1e-5"}, "$7\r\n1.10001\r\n"s},
        {{"SET", "h", "0"}, "+OK\r\n"s},
        {{"INCRBYFLOAT", "h", "1.23456789012345678"}, "$19\r\n1.23456789012345678\r\n"s},
        {{"INCRBYFLOAT", "h", "100000000000000000000"}, "$21\r\n100000000000000000000\r\n"s},
        {{"SET", "i", "1"}, "+OK\r\n"s},
        {{"INCRBYFLOAT", "i", "-1"}, "$1\r\n0\r\n"s},
        {{"INCRBYFLOAT", "i", "-0.5"}, "$4\r\n-0.5\r\n"s},
        {{"INCRBYFLOAT", "i", "3.0e0"}, "$3\r\n2.5\r\n"s},
        {{"INCRBYFLOAT", "i", "0x10"}, "$4\r\n18.5\r\n"s},
        {{"SET", "j", "1e308"}, "+OK\r\n"s},
        {{"INCRBYFLOAT", "j", "1e308"}, "$309\r\n199999999999999999993371759311691291321120199694831134415594095989843469737676123744200253843777078640893494450108026446304269499187921167194841628860392837535918200039206381557326219209014213335878306791577877829121087126122536729803237260434173178506889763247582601711514636284849020905456510092687857156096\r\n"s},
        {{"SET", "t", "5", "EX", "100"}, "+OK\r\n"s},
        {{"INCRBYFLOAT", "t", "1"}, "$1\r\n6\r\n"s},
        {{"TTL", "t"}, ":100\r\n"s},
        {{"SET", "z", "10"}, "+OK\r\n"s},
        {{"INCRBYFLOAT", "z", "5.0"}, "$2\r\n15\r\n"s},
        {{"INCRBYFLOAT", "z", "+1"}, "$2\r\n16\r\n"s},
        {{"INCRBYFLOAT", "z", "-.5"}, "$4\r\n15.5\r\n"s},
        {{"INCRBYFLOAT", "z", ".5"}, "$2\r\n16\r\n"s},
    }},
    {"APPEND, STRLEN", {
        {{"APPEND", "a", "hello"}, ":5\r\n"s},
        {{"APPEND", "a", " world"}, ":11\r\n"s},
        {{"GET", "a"}, "$11\r\nhello world\r\n"s},
        {{"STRLEN", "a"}, ":11\r\n"s},
        {{"STRLEN", "nokey"}, ":0\r\n"s},
        {{"APPEND", "a", ""}, ":11\r\n"s},
        {{"APPEND", "e", ""}, ":0\r\n"s},
        {{"EXISTS", "e"}, ":1\r\n"s},
        {{"STRLEN", "e"}, ":0\r\n"s},
        {{"SET", "t", "x", "EX", "100"}, "+OK\r\n"s},
        {{"APPEND", "t", "y"}, ":2\r\n"s},
        {{"TTL", "t"}, ":100\r\n"s},
        {{"GET", "t"}, "$2\r\nxy\r\n"s},
    }},
    {"GETRANGE", {
        {{"SET", "s", "This is a string"}, "+OK\r\n"s},
        {{"GETRANGE", "s", "0", "3"}, "$4\r\nThis\r\n"s},
        {{"GETRANGE", "s", "-3", "-1"}, "$3\r\ning\r\n"s},
        {{"GETRANGE", "s", "0", "-1"}, "$16\r\nThis is a string\r\n"s},
        {{"GETRANGE", "s", "10", "100"}, "$6\r\nstring\r\n"s},
        {{"GETRANGE", "s", "5", "3"}, "$0\r\n\r\n"s},
        {{"GETRANGE", "s", "-1", "-5"}, "$0\r\n\r\n"s},
        {{"GETRANGE", "s", "100", "200"}, "$0\r\n\r\n"s},
        {{"GETRANGE", "s", "-100", "2"}, "$3\r\nThi\r\n"s},
        {{"GETRANGE", "s", "-100", "-50"}, "$1\r\nT\r\n"s},
        {{"GETRANGE", "s", "-100", "-16"}, "$1\r\nT\r\n"s},
        {{"GETRANGE", "s", "15", "15"}, "$1\r\ng\r\n"s},
        {{"GETRANGE", "s", "16", "16"}, "$0\r\n\r\n"s},
        {{"GETRANGE", "s", "0", "0"}, "$1\r\nT\r\n"s},
        {{"GETRANGE", "s", "-1", "-1"}, "$1\r\ng\r\n"s},
        {{"GETRANGE", "s", "3", "-100"}, "$0\r\n\r\n"s},
        {{"GETRANGE", "s", "a", "b"}, "-ERR value is not an integer or out of range\r\n"s},
        {{"GETRANGE", "s", "0", "b"}, "-ERR value is not an integer or out of range\r\n"s},
        {{"GETRANGE", "nokey", "0", "-1"}, "$0\r\n\r\n"s},
        {{"GETRANGE", "nokey", "5", "10"}, "$0\r\n\r\n"s},
        {{"SET", "e", ""}, "+OK\r\n"s},
        {{"GETRANGE", "e", "0", "-1"}, "$0\r\n\r\n"s},
        {{"GETRANGE", "e", "0", "0"}, "$0\r\n\r\n"s},
        {{"GETRANGE", "e", "-1", "0"}, "$0\r\n\r\n"s},
        {{"SUBSTR", "s", "0", "3"}, "$4\r\nThis\r\n"s},
        {{"SUBSTR", "s", "-6", "-1"}, "$6\r\nstring\r\n"s},
        {{"GETRANGE", "s", "9223372036854775807", "9223372036854775807"}, "$0\r\n\r\n"s},
        {{"GETRANGE", "s", "-9223372036854775808", "-9223372036854775808"}, "$1\r\nT\r\n"s},
        {{"GETRANGE", "s", "0", "9223372036854775807"}, "$16\r\nThis is a string\r\n"s},
        {{"GETRANGE", "s", "0"}, "-ERR wrong number of arguments for 'getrange' command\r\n"s},
    }},
    {"SETRANGE", {
        {{"SET", "key1", "Hello World"}, "+OK\r\n"s},
        {{"SETRANGE", "key1", "6", "Redis"}, ":11\r\n"s},
        {{"GET", "key1"}, "$11\r\nHello Redis\r\n"s},
        {{"SETRANGE", "key2", "6", "Redis"}, ":11\r\n"s},
        {{"GET", "key2"}, "$11\r\n\000\000\000\000\000\000Redis\r\n"s},
        {{"SETRANGE", "key1", "-1", "x"}, "-ERR offset is out of range\r\n"s},
        {{"SETRANGE", "key1", "abc", "x"}, "-ERR value is not an integer or out of range\r\n"s},
        {{"SETRANGE", "nokey", "5", ""}, ":0\r\n"s},
        {{"EXISTS", "nokey"}, ":0\r\n"s},
        {{"SETRANGE", "key1", "100", ""}, ":11\r\n"s},
        {{"GET", "key1"}, "$11\r\nHello Redis\r\n"s},
        {{"SETRANGE", "key1", "536870912", "x"}, "-ERR string exceeds maximum allowed size (proto-max-bulk-len)\r\n"s},
        {{"SETRANGE", "key1", "536870911", "xy"}, "-ERR string exceeds maximum allowed size (proto-max-bulk-len)\r\n"s},
        {{"SETRANGE", "nokey", "-1", ""}, "-ERR offset is out of range\r\n"s},
        {{"SETRANGE", "key1", "0", "J"}, ":11\r\n"s},
        {{"GET", "key1"}, "$11\r\nJello Redis\r\n"s},
        {{"SETRANGE", "key1", "11", "!"}, ":12\r\n"s},
        {{"GET", "key1"}, "$12\r\nJello Redis!\r\n"s},
        {{"SETRANGE", "key1", "14", "?"}, ":15\r\n"s},
        {{"GET", "key1"}, "$15\r\nJello Redis!\000\000?\r\n"s},
        {{"STRLEN", "key1"}, ":15\r\n"s},
    }},
    {"LCS", {
        {{"MSET", "key1", "ohmytext", "key2", "mynewtext"}, "+OK\r\n"s},
        {{"LCS", "key1", "key2"}, "$6\r\nmytext\r\n"s},
        {{"LCS", "key1", "key2", "LEN"}, ":6\r\n"s},
        {{"LCS", "key1", "key2", "IDX"}, "*4\r\n$7\r\nmatches\r\n*2\r\n*2\r\n*2\r\n:4\r\n:7\r\n*2\r\n:5\r\n:8\r\n*2\r\n*2\r\n:2\r\n:3\r\n*2\r\n:0\r\n:1\r\n$3\r\nlen\r\n:6\r\n"s},
        {{"LCS", "key1", "key2", "IDX", "MINMATCHLEN", "4"}, "*4\r\n$7\r\nmatches\r\n*1\r\n*2\r\n*2\r\n:4\r\n:7\r\n*2\r\n:5\r\n:8\r\n$3\r\nlen\r\n:6\r\n"s},
        {{"LCS", "key1", "key2", "IDX", "MINMATCHLEN", "4", "WITHMATCHLEN"}, "*4\r\n$7\r\nmatches\r\n*1\r\n*3\r\n*2\r\n:4\r\n:7\r\n*2\r\n:5\r\n:8\r\n:4\r\n$3\r\nlen\r\n:6\r\n"s},
        {{"LCS", "key1", "key2", "IDX", "WITHMATCHLEN"}, "*4\r\n$7\r\nmatches\r\n*2\r\n*3\r\n*2\r\n:4\r\n:7\r\n*2\r\n:5\r\n:8\r\n:4\r\n*3\r\n*2\r\n:2\r\n:3\r\n*2\r\n:0\r\n:1\r\n:2\r\n$3\r\nlen\r\n:6\r\n"s},
        {{"LCS", "key1", "key2", "LEN", "IDX"}, "-ERR If you want both the length and indexes, please just use IDX.\r\n"s},
        {{"LCS", "key1", "key2", "IDX", "LEN"}, "-ERR If you want both the length and indexes, please just use IDX.\r\n"s},
        {{"LCS", "key1", "key2", "FOO"}, "-ERR syntax error\r\n"s},
        {{"LCS", "key1", "key2", "MINMATCHLEN"}, "-ERR syntax error\r\n"s},
        {{"LCS", "key1", "key2", "MINMATCHLEN", "abc"}, "-ERR value is not an integer or out of range\r\n"s},
        {{"LCS", "key1", "key2", "IDX", "MINMATCHLEN", "-5"}, "*4\r\n$7\r\nmatches\r\n*2\r\n*2\r\n*2\r\n:4\r\n:7\r\n*2\r\n:5\r\n:8\r\n*2\r\n*2\r\n:2\r\n:3\r\n*2\r\n:0\r\n:1\r\n$3\r\nlen\r\n:6\r\n"s},
        {{"LCS", "key1", "key2", "len", "withmatchlen"}, ":6\r\n"s},
        {{"LCS", "key1", "key2", "WITHMATCHLEN"}, "$6\r\nmytext\r\n"s},
        {{"LCS", "key1", "key2", "MINMATCHLEN", "3"}, "$6\r\nmytext\r\n"s},
        {{"LCS", "nokey", "nokey2"}, "$0\r\n\r\n"s},
        {{"LCS", "nokey", "nokey2", "LEN"}, ":0\r\n"s},
        {{"LCS", "nokey", "nokey2", "IDX"}, "*4\r\n$7\r\nmatches\r\n*0\r\n$3\r\nlen\r\n:0\r\n"s},
        {{"LCS", "key1", "nokey", "IDX", "WITHMATCHLEN"}, "*4\r\n$7\r\nmatches\r\n*0\r\n$3\r\nlen\r\n:0\r\n"s},
        {{"LCS", "key1", "key1"}, "$8\r\nohmytext\r\n"s},
        {{"MSET", "a", "ABCBDAB", "b", "BDCABA"}, "+OK\r\n"s},
        {{"LCS", "a", "b"}, "$4\r\nBDAB\r\n"s},
        {{"LCS", "a", "b", "LEN"}, ":4\r\n"s},
        {{"LCS", "a", "b", "IDX", "WITHMATCHLEN"}, "*4\r\n$7\r\nmatches\r\n*2\r\n*3\r\n*2\r\n:5\r\n:6\r\n*2\r\n:3\r\n:4\r\n:2\r\n*3\r\n*2\r\n:3\r\n:4\r\n*2\r\n:0\r\n:1\r\n:2\r\n$3\r\nlen\r\n:4\r\n"s},
        {{"MSET", "c", "abcdefgh", "d", "xxabcxxdefgxh"}, "+OK\r\n"s},
        {{"LCS", "c", "d", "IDX", "WITHMATCHLEN"}, "*4\r\n$7\r\nmatches\r\n*3\r\n*3\r\n*2\r\n:7\r\n:7\r\n*2\r\n:12\r\n:12\r\n:1\r\n*3\r\n*2\r\n:3\r\n:6\r\n*2\r\n:7\r\n:10\r\n:4\r\n*3\r\n*2\r\n:0\r\n:2\r\n*2\r\n:2\r\n:4\r\n:3\r\n$3\r\nlen\r\n:8\r\n"s},
        {{"LCS", "c", "d", "IDX", "MINMATCHLEN", "2"}, "*4\r\n$7\r\nmatches\r\n*2\r\n*2\r\n*2\r\n:3\r\n:6\r\n*2\r\n:7\r\n:10\r\n*2\r\n*2\r\n:0\r\n:2\r\n*2\r\n:2\r\n:4\r\n$3\r\nlen\r\n:8\r\n"s},
        {{"LCS", "c"}, "-ERR wrong number of arguments for 'lcs' command\r\n"s},
    }},
};
// clang-format on

TEST_CASE_FIXTURE(CommandTest, "string commands answer exactly as Redis 7.0 does") {
  CheckAgainstRedis(*this, kRedisCases);
}

TEST_CASE_FIXTURE(CommandTest, "SET expiry options set the exact millisecond") {
  const int64_t now = clock.NowMs();
  Run({"SET", "k", "v", "PX", "1500"});
  CHECK(Run({"PTTL", "k"}) == Int(1500));
  Run({"SET", "k", "v", "EX", "7"});
  CHECK(Run({"PEXPIRETIME", "k"}) == Int(now + 7000));
  Run(Argv{"SET", "k", "v", "PXAT", std::to_string(now + 1234)});
  CHECK(Run({"PTTL", "k"}) == Int(1234));
  Run(Argv{"SET", "k", "v", "EXAT", std::to_string(now / 1000 + 60)});
  CHECK(Run({"PEXPIRETIME", "k"}) == Int((now / 1000 + 60) * 1000));
  Run({"SET", "k", "v2", "KEEPTTL"});
  CHECK(Run({"PEXPIRETIME", "k"}) == Int((now / 1000 + 60) * 1000));
  Run({"PSETEX", "p", "250", "v"});
  CHECK(Run({"PTTL", "p"}) == Int(250));
  clock.AdvanceMs(251);
  CHECK(Run({"GET", "p"}) == kNil);
}

TEST_CASE_FIXTURE(CommandTest, "SET with an absolute time in the past deletes the key") {
  const int64_t now = clock.NowMs();
  Run({"SET", "k", "old"});
  CHECK(Run(Argv{"SET", "k", "v", "PXAT", std::to_string(now - 1)}) == kOk);
  CHECK(Run({"EXISTS", "k"}) == Int(0));
  CHECK(Run(Argv{"SET", "k", "v", "EXAT", std::to_string(now / 1000 - 10), "GET"}) == kNil);
  CHECK(Run({"EXISTS", "k"}) == Int(0));
}

TEST_CASE_FIXTURE(CommandTest, "GETEX with a past absolute time deletes the key") {
  const int64_t now = clock.NowMs();
  Run({"SET", "k", "v"});
  CHECK(Run(Argv{"GETEX", "k", "PXAT", std::to_string(now - 5)}) == Bulk("v"));
  CHECK(Run({"EXISTS", "k"}) == Int(0));
}

TEST_CASE_FIXTURE(CommandTest, "counters keep the TTL, SET drops it") {
  Run({"SET", "n", "1", "EX", "100"});
  Run({"INCR", "n"});
  Run({"INCRBYFLOAT", "n", "0.5"});
  Run({"APPEND", "n", "0"});
  Run({"SETRANGE", "n", "0", "3"});
  CHECK(Run({"GET", "n"}) == Bulk("3.50"));
  CHECK(Run({"PTTL", "n"}) == Int(100'000));
  Run({"SET", "n", "1"});
  CHECK(Run({"TTL", "n"}) == Int(-1));
  Run({"SET", "m", "1", "EX", "100"});
  Run({"GETSET", "m", "2"});
  CHECK(Run({"TTL", "m"}) == Int(-1));
}

TEST_CASE_FIXTURE(CommandTest, "APPEND and SETRANGE respect proto-max-bulk-len") {
  server.proto_max_bulk_len = 10;
  Run({"SET", "k", "12345"});
  CHECK(Run({"APPEND", "k", "67890"}) == Int(10));
  CHECK(Run({"APPEND", "k", "x"}) ==
        Err("ERR string exceeds maximum allowed size (proto-max-bulk-len)"));
  CHECK(Run({"SETRANGE", "k", "10", "x"}) ==
        Err("ERR string exceeds maximum allowed size (proto-max-bulk-len)"));
  CHECK(Run({"SETRANGE", "k", "9", "x"}) == Int(10));
  CHECK(Run({"GET", "k"}) == Bulk("123456789x"));
}

TEST_CASE_FIXTURE(CommandTest, "expired keys read as missing for every string command") {
  Run({"SET", "k", "5", "PX", "10"});
  clock.AdvanceMs(11);
  CHECK(Run({"GET", "k"}) == kNil);
  Run({"SET", "k", "5", "PX", "10"});
  clock.AdvanceMs(11);
  CHECK(Run({"INCR", "k"}) == Int(1));
  CHECK(Run({"TTL", "k"}) == Int(-1));
  Run({"SET", "k", "abc", "PX", "10"});
  clock.AdvanceMs(11);
  CHECK(Run({"APPEND", "k", "x"}) == Int(1));
  Run({"SET", "k", "abc", "PX", "10"});
  clock.AdvanceMs(11);
  CHECK(Run({"SET", "k", "v", "NX"}) == kOk);
  Run({"SET", "k", "abc", "PX", "10"});
  clock.AdvanceMs(11);
  CHECK(Run({"STRLEN", "k"}) == Int(0));
  CHECK(Run({"MGET", "k"}) == Arr({kNil}));
}

TEST_CASE_FIXTURE(CommandTest, "binary-safe keys and values") {
  std::string key("a\0b\r\n", 5);
  std::string value("\0\xff\r\n$3", 6);
  CHECK(Run(Argv{"SET", key, value}) == kOk);
  CHECK(Run(Argv{"GET", key}) == Bulk(value));
  CHECK(Run(Argv{"STRLEN", key}) == Int(6));
  CHECK(Run(Argv{"GETRANGE", key, "1", "1"}) == Bulk("\xff"));
}

}  // namespace
}  // namespace pykv::cmd::testing
