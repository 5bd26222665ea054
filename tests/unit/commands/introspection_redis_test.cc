// COMMAND INFO and COMMAND DOCS of every command PyKV implements, compared byte for byte
// with what redis-server 7.0.15 answered (redis_command_meta.h, recorded by
// tools/record-redis-command-meta.py). A container's subcommands are compared one by one,
// by name: Redis lists them in its hash table's order, which changes from run to run.
#include <doctest/doctest.h>

#include <map>
#include <set>
#include <string>
#include <string_view>

#include "unit/commands/command_test_fixture.h"
#include "unit/commands/redis_command_meta.h"

namespace pykv::cmd::testing {
namespace {

// Subcommands Redis 7.0 has and PyKV does not implement.
const std::set<std::string> kRedisOnly = {
    "client|caching", "client|getredir", "client|tracking",   "client|trackinginfo",
    "client|unblock", "latency|graph",   "latency|histogram", "memory|malloc-stats",
};
// PyKV's commands and subcommands that Redis 7.0 lacks.
const std::set<std::string> kPykvOnly = {
    "client|setinfo",  // Redis 7.2; ioredis and redis-py send it on connect
};

// Where PyKV differs from Redis on purpose: in `name`'s COMMAND INFO, Redis's bytes `redis`
// stand as `pykv`.
struct KnownDifference {
  const char* name;
  std::string_view redis;
  std::string_view pykv;
};
const KnownDifference kKnownInfoDifferences[] = {
    // PING answers while the data set loads (the start-up check and clients polling a
    // loading server rely on it) and on a stale replica; Redis 7.0 answers -LOADING.
    {"ping", "*1\r\n+fast\r\n", "*3\r\n+loading\r\n+stale\r\n+fast\r\n"},
};

// The end of the RESP2 value that starts at `pos`.
size_t SkipValue(std::string_view s, size_t pos) {
  const size_t eol = s.find("\r\n", pos);
  REQUIRE(eol != std::string_view::npos);
  const char type = s[pos];
  if (type != '*' && type != '$') return eol + 2;
  const long long n = std::stoll(std::string(s.substr(pos + 1, eol - pos - 1)));
  if (type == '$') return n < 0 ? eol + 2 : eol + 2 + static_cast<size_t>(n) + 2;
  size_t p = eol + 2;
  for (long long i = 0; i < n; ++i) p = SkipValue(s, p);
  return p;
}

// The string of the bulk string that starts at `pos`.
std::string BulkAt(std::string_view s, size_t pos) {
  REQUIRE(s[pos] == '$');
  const size_t eol = s.find("\r\n", pos);
  const size_t len = std::stoul(std::string(s.substr(pos + 1, eol - pos - 1)));
  return std::string(s.substr(eol + 2, len));
}

// A reply cut in two: everything but the subcommands, and each subcommand's bytes by name.
struct Split {
  std::string head;
  std::map<std::string, std::string> subs;
};

// A COMMAND INFO <name> reply: [[name, arity, ..., key specs, subcommands]].
Split SplitInfo(std::string_view reply) {
  REQUIRE(reply.substr(0, 9) == "*1\r\n*10\r\n");
  size_t p = 9;
  for (int i = 0; i < 9; ++i) p = SkipValue(reply, p);
  Split out{std::string(reply.substr(0, p)), {}};
  REQUIRE(SkipValue(reply, p) == reply.size());
  const size_t eol = reply.find("\r\n", p);
  const long long n = std::stoll(std::string(reply.substr(p + 1, eol - p - 1)));
  p = eol + 2;
  for (long long i = 0; i < n; ++i) {
    const size_t end = SkipValue(reply, p);
    out.subs[BulkAt(reply, reply.find("\r\n", p) + 2)] = std::string(reply.substr(p, end - p));
    p = end;
  }
  return out;
}

// A COMMAND DOCS <name> reply: {name: {field: value, ..., subcommands?: {name: docs}}};
// "subcommands" comes last when present. RESP2 sends a map of n pairs as 2n elements.
Split SplitDocs(std::string_view reply) {
  REQUIRE(reply.substr(0, 4) == "*2\r\n");
  const size_t map = SkipValue(reply, 4);
  REQUIRE(SkipValue(reply, map) == reply.size());
  const size_t eol = reply.find("\r\n", map);
  const long long fields = std::stoll(std::string(reply.substr(map + 1, eol - map - 1)));
  size_t p = eol + 2;
  for (long long i = 0; i < fields / 2; ++i) {
    if (BulkAt(reply, p) == "subcommands") {
      Split out{std::string(reply.substr(0, p)), {}};
      p = SkipValue(reply, p);
      const size_t sub_eol = reply.find("\r\n", p);
      const long long n = std::stoll(std::string(reply.substr(p + 1, sub_eol - p - 1)));
      p = sub_eol + 2;
      for (long long j = 0; j < n / 2; ++j) {
        const size_t value = SkipValue(reply, p);
        const size_t end = SkipValue(reply, value);
        out.subs[BulkAt(reply, p)] = std::string(reply.substr(p, end - p));
        p = end;
      }
      return out;
    }
    p = SkipValue(reply, SkipValue(reply, p));
  }
  return {std::string(reply), {}};
}

// PyKV's reply against Redis's: the same head, and the same bytes for each subcommand both
// have; Redis's others are the ones PyKV lacks, PyKV's others the ones Redis lacks.
void CheckSameAsRedis(const Split& pykv, const Split& redis) {
  CHECK(pykv.head == redis.head);
  for (const auto& [name, bytes] : redis.subs) {
    CAPTURE(name);
    auto it = pykv.subs.find(name);
    if (it == pykv.subs.end()) {
      CHECK(kRedisOnly.count(name) == 1);
    } else {
      CHECK(it->second == bytes);
    }
  }
  for (const auto& [name, bytes] : pykv.subs) {
    CAPTURE(name);
    if (redis.subs.count(name) == 0) CHECK(kPykvOnly.count(name) == 1);
  }
}

std::string WithKnownDifferences(std::string_view name, std::string_view redis_info) {
  std::string out(redis_info);
  for (const KnownDifference& d : kKnownInfoDifferences) {
    if (name != d.name) continue;
    const size_t at = out.find(d.redis);
    REQUIRE(at != std::string::npos);
    REQUIRE(out.find(d.redis, at + 1) == std::string::npos);
    out.replace(at, d.redis.size(), d.pykv);
  }
  return out;
}

TEST_CASE_FIXTURE(CommandTest, "COMMAND INFO and DOCS equal Redis 7.0.15's for every command") {
  CHECK(kRecordedRedisVersion == "7.0.15");
  std::set<std::string> recorded;
  for (const RecordedCommandMeta& r : kRecordedCommandMeta) {
    CAPTURE(r.name);
    recorded.insert(std::string(r.name));
    REQUIRE(dispatcher.table().Find(r.name) != nullptr);
    const std::string info = Run({"COMMAND", "INFO", std::string(r.name)});
    const std::string docs = Run({"COMMAND", "DOCS", std::string(r.name)});
    const std::string redis_info = WithKnownDifferences(r.name, r.info);
    if (dispatcher.table().Find(r.name)->subcommands.empty()) {
      CHECK(info == redis_info);
      CHECK(docs == r.docs);
    } else {
      CheckSameAsRedis(SplitInfo(info), SplitInfo(redis_info));
      CheckSameAsRedis(SplitDocs(docs), SplitDocs(r.docs));
    }
  }
  // Every command of the table was recorded (none is PyKV's own at the top level).
  for (const Command* c : dispatcher.table().all()) {
    CAPTURE(c->name);
    CHECK((recorded.count(c->name) == 1 || kPykvOnly.count(c->name) == 1));
  }
}

TEST_CASE_FIXTURE(CommandTest, "the reply splitter finds a container's subcommands") {
  const std::string info = Run({"COMMAND", "INFO", "object"});
  Split s = SplitInfo(info);
  CHECK(s.subs.size() == 5);
  CHECK(s.subs.count("object|encoding") == 1);
  CHECK(info.substr(s.head.size(), 4) == "*5\r\n");  // the subcommands' header is left out
  Split d = SplitDocs(Run({"COMMAND", "DOCS", "object"}));
  CHECK(d.subs.size() == 5);
  CHECK(d.subs.count("object|help") == 1);
  CHECK(SplitDocs(Run({"COMMAND", "DOCS", "get"})).subs.empty());
}

}  // namespace
}  // namespace pykv::cmd::testing
