// Expiry commands end to end: EXPIRE family with NX/XX/GT/LT, TTL/PTTL, EXPIRETIME,
// PERSIST, and keys really disappearing. Expected replies are Redis 7.0's.
#include <chrono>
#include <string>

#include "integration/server_harness.h"

namespace pykv::it {
namespace {

TEST_CASE("EXPIRE PEXPIRE EXPIREAT PEXPIREAT TTL PTTL") {
  Fx s;
  CHECK(s({"TTL", "nokey"}) == Int(-2));
  CHECK(s({"PTTL", "nokey"}) == Int(-2));
  CHECK(s({"EXPIRE", "nokey", "100"}) == Int(0));
  CHECK(s({"SET", "k", "v"}) == Ok());
  CHECK(s({"TTL", "k"}) == Int(-1));
  CHECK(s({"PTTL", "k"}) == Int(-1));
  CHECK(s({"EXPIRE", "k", "100"}) == Int(1));
  Reply ttl = s({"TTL", "k"});
  CHECK(ttl.integer > 90);
  CHECK(ttl.integer <= 100);
  CHECK(s({"PEXPIRE", "k", "200000"}) == Int(1));
  Reply pttl = s({"PTTL", "k"});
  CHECK(pttl.integer > 190000);
  CHECK(pttl.integer <= 200000);
  int64_t at = NowMs() / 1000 + 300;
  CHECK(s({"EXPIREAT", "k", std::to_string(at)}) == Int(1));
  CHECK(s({"EXPIRETIME", "k"}) == Int(at));
  CHECK(s({"PEXPIRETIME", "k"}) == Int(at * 1000));
  int64_t at_ms = NowMs() + 400000;
  CHECK(s({"PEXPIREAT", "k", std::to_string(at_ms)}) == Int(1));
  CHECK(s({"PEXPIRETIME", "k"}) == Int(at_ms));
  CHECK(s({"EXPIRETIME", "k"}) == Int((at_ms + 500) / 1000));
  CHECK(s({"EXPIRETIME", "nokey"}) == Int(-2));
  CHECK(s({"SET", "p", "v"}) == Ok());
  CHECK(s({"EXPIRETIME", "p"}) == Int(-1));
  CHECK(s({"PEXPIRETIME", "p"}) == Int(-1));
  CHECK(s({"EXPIRE", "k", "abc"}) == Err("ERR value is not an integer or out of range"));
  CHECK(s({"EXPIRE", "k", "9223372036854775807"}) ==
        Err("ERR invalid expire time in 'expire' command"));
  CHECK(s({"PEXPIRE", "k", "9223372036854775807"}) ==
        Err("ERR invalid expire time in 'pexpire' command"));
  CHECK(s({"EXPIRE", "k", "10", "FOO"}) == Err("ERR Unsupported option FOO"));
  CHECK(s({"PEXPIRETIME", "k"}) == Int(at_ms));
}

TEST_CASE("EXPIRE in the past deletes") {
  Fx s;
  CHECK(s({"MSET", "a", "1", "b", "2", "c", "3", "d", "4"}) == Ok());
  CHECK(s({"EXPIRE", "a", "0"}) == Int(1));
  CHECK(s({"PEXPIRE", "b", "-100"}) == Int(1));
  CHECK(s({"EXPIREAT", "c", "1"}) == Int(1));
  CHECK(s({"PEXPIREAT", "d", "1000"}) == Int(1));
  CHECK(s({"EXISTS", "a", "b", "c", "d"}) == Int(0));
  CHECK(s({"DBSIZE"}) == Int(0));
}

TEST_CASE("EXPIRE NX XX GT LT") {
  Fx s;
  CHECK(s({"SET", "k", "v"}) == Ok());
  // No TTL yet: XX and GT do nothing (no TTL counts as infinite), NX and LT set one.
  CHECK(s({"EXPIRE", "k", "100", "XX"}) == Int(0));
  CHECK(s({"EXPIRE", "k", "100", "GT"}) == Int(0));
  CHECK(s({"TTL", "k"}) == Int(-1));
  CHECK(s({"EXPIRE", "k", "100", "NX"}) == Int(1));
  CHECK(s({"EXPIRE", "k", "200", "NX"}) == Int(0));
  CHECK(s({"TTL", "k"}).integer <= 100);
  CHECK(s({"EXPIRE", "k", "200", "XX"}) == Int(1));
  CHECK(s({"TTL", "k"}).integer > 190);
  CHECK(s({"EXPIRE", "k", "100", "GT"}) == Int(0));
  CHECK(s({"EXPIRE", "k", "300", "GT"}) == Int(1));
  CHECK(s({"TTL", "k"}).integer > 290);
  CHECK(s({"EXPIRE", "k", "400", "LT"}) == Int(0));
  CHECK(s({"EXPIRE", "k", "50", "LT"}) == Int(1));
  CHECK(s({"TTL", "k"}).integer <= 50);
  CHECK(s({"PEXPIRE", "k", "60000", "GT", "XX"}) == Int(1));
  CHECK(s({"PTTL", "k"}).integer > 50000);
  CHECK(s({"PERSIST", "k"}) == Int(1));
  CHECK(s({"PEXPIRE", "k", "60000", "LT"}) == Int(1));
  CHECK(s({"PERSIST", "k"}) == Int(1));
  int64_t at = NowMs() / 1000 + 1000;
  CHECK(s({"EXPIREAT", "k", std::to_string(at), "NX"}) == Int(1));
  CHECK(s({"EXPIREAT", "k", std::to_string(at + 10), "LT"}) == Int(0));
  CHECK(s({"PEXPIREAT", "k", std::to_string(at * 1000 + 5000), "GT"}) == Int(1));
  CHECK(s({"PEXPIRETIME", "k"}) == Int(at * 1000 + 5000));
  CHECK(s({"EXPIRE", "k", "10", "NX", "XX"}) ==
        Err("ERR NX and XX, GT or LT options at the same time are not compatible"));
  CHECK(s({"EXPIRE", "k", "10", "NX", "GT"}) ==
        Err("ERR NX and XX, GT or LT options at the same time are not compatible"));
  CHECK(s({"EXPIRE", "k", "10", "GT", "LT"}) ==
        Err("ERR GT and LT options at the same time are not compatible"));
  CHECK(s({"PEXPIRETIME", "k"}) == Int(at * 1000 + 5000));
  CHECK(s({"EXPIRE", "nokey", "10", "NX"}) == Int(0));
}

TEST_CASE("PERSIST") {
  Fx s;
  CHECK(s({"PERSIST", "nokey"}) == Int(0));
  CHECK(s({"SET", "k", "v", "EX", "100"}) == Ok());
  CHECK(s({"PERSIST", "k"}) == Int(1));
  CHECK(s({"TTL", "k"}) == Int(-1));
  CHECK(s({"PERSIST", "k"}) == Int(0));
  CHECK(s({"GET", "k"}) == Bulk("v"));
}

TEST_CASE("expired keys disappear for readers and from the keyspace") {
  Fx s;
  CHECK(s({"SET", "k", "v", "PX", "100"}) == Ok());
  CHECK(s({"SET", "keep", "v"}) == Ok());
  CHECK(s({"PEXPIRE", "keep", "100"}) == Int(1));
  CHECK(s({"PERSIST", "keep"}) == Int(1));
  CHECK(WaitFor([&] { return s({"EXISTS", "k"}) == Int(0); }, std::chrono::seconds(5)));
  CHECK(s({"GET", "k"}) == Nil());
  CHECK(s({"TTL", "k"}) == Int(-2));
  CHECK(WaitFor([&] { return s({"DBSIZE"}) == Int(1); }, std::chrono::seconds(5)));
  CHECK(s({"GET", "keep"}) == Bulk("v"));
  // An expired key is gone for writers too: SETNX succeeds, INCR starts from 0.
  CHECK(s({"SET", "n", "41", "PX", "50"}) == Ok());
  CHECK(WaitFor([&] { return s({"PTTL", "n"}) == Int(-2); }, std::chrono::seconds(5)));
  CHECK(s({"INCR", "n"}) == Int(1));
  CHECK(s({"TTL", "n"}) == Int(-1));
}

}  // namespace
}  // namespace pykv::it
