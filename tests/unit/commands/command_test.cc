// The command record (command.cc): keys found through key specs of every kind Redis 7.0
// has, and the legacy (first, last, step) and movablekeys derived from them. PyKV's own
// commands use index/range specs only, so the other kinds are tried on records shaped like
// Redis's ZUNIONSTORE, SORT, XREAD and MIGRATE.
#include "commands/command.h"

#include <doctest/doctest.h>

#include <string_view>
#include <vector>

namespace pykv::cmd {
namespace {

void Noop(CommandContext&) {}

// Registers a record with these key specs and returns the table's copy (with what
// Register derives).
const Command& Registered(CommandTable& t, std::vector<KeySpec> specs, int arity = -2) {
  Command c;
  c.name = "x";
  c.arity = arity;
  c.handler = Noop;
  c.key_specs = std::move(specs);
  t.Register(std::move(c));
  return *t.Find("x");
}

std::vector<size_t> Positions(const Command& c, std::vector<std::string_view> argv) {
  return c.KeyPositions(argv);
}

TEST_CASE("index/range specs: positions, flags and the legacy triple") {
  CommandTable t;
  const Command& rename = Registered(t, {{.flags = kKeyRW | kKeyAccess | kKeyDelete, .index = 1},
                                         {.flags = kKeyOW | kKeyUpdate, .index = 2}});
  CHECK(rename.legacy_keys.first == 1);
  CHECK(rename.legacy_keys.last == 2);
  CHECK(rename.legacy_keys.step == 1);
  CHECK_FALSE(rename.movable_keys);
  std::vector<std::string_view> argv = {"rename", "a", "b"};
  std::vector<KeyRef> keys = rename.FindKeys(argv);
  REQUIRE(keys.size() == 2);
  CHECK(keys[0].pos == 1);
  CHECK(keys[0].flags == (kKeyRW | kKeyAccess | kKeyDelete));
  CHECK(keys[1].pos == 2);
  CHECK(keys[1].flags == (kKeyOW | kKeyUpdate));
}

TEST_CASE("a stepped range to the end (MSET)") {
  CommandTable t;
  const Command& mset = Registered(t, {{.flags = kKeyOW, .index = 1, .lastkey = -1, .keystep = 2}});
  CHECK(mset.legacy_keys.first == 1);
  CHECK(mset.legacy_keys.last == -1);
  CHECK(mset.legacy_keys.step == 2);
  CHECK(Positions(mset, {"mset", "a", "1", "b", "2"}) == std::vector<size_t>{1, 3});
  CHECK(Positions(mset, {"mset", "a", "1", "b"}) == std::vector<size_t>{1, 3});
}

TEST_CASE("a key count (ZUNIONSTORE): movable keys, the legacy triple from the range spec") {
  CommandTable t;
  const Command& z =
      Registered(t, {{.flags = kKeyOW, .index = 1},
                     {.flags = kKeyRO, .index = 2, .keynum = true, .keynumidx = 0, .firstkey = 1}});
  CHECK(z.movable_keys);
  CHECK(z.legacy_keys.first == 1);
  CHECK(z.legacy_keys.last == 1);
  CHECK(Positions(z, {"zunionstore", "d", "2", "a", "b", "WEIGHTS", "1", "2"}) ==
        std::vector<size_t>{1, 3, 4});
  // A count that is no number, negative or beyond argv voids the answer, as in Redis.
  CHECK(Positions(z, {"zunionstore", "d", "x", "a"}).empty());
  CHECK(Positions(z, {"zunionstore", "d", "-1", "a"}).empty());
  CHECK(Positions(z, {"zunionstore", "d", "3", "a", "b"}).empty());
}

TEST_CASE("a keyword (SORT ... STORE, XREAD ... STREAMS, MIGRATE ... KEYS)") {
  CommandTable t1, t2, t3;
  const Command& sort = Registered(
      t1, {{.flags = kKeyRO, .index = 1}, {.flags = kKeyOW, .keyword = "STORE", .startfrom = 1}});
  CHECK(sort.movable_keys);
  CHECK(sort.legacy_keys.first == 1);
  CHECK(Positions(sort, {"sort", "k", "BY", "x", "store", "d"}) == std::vector<size_t>{1, 5});
  CHECK(Positions(sort, {"sort", "k"}) == std::vector<size_t>{1});  // no STORE: no key there

  // Half of what follows STREAMS are keys (limit 2).
  const Command& xread = Registered(
      t2, {{.flags = kKeyRO, .keyword = "STREAMS", .startfrom = 1, .lastkey = -1, .limit = 2}});
  CHECK(xread.movable_keys);
  CHECK(xread.legacy_keys.first == 0);
  CHECK(Positions(xread, {"xread", "COUNT", "2", "STREAMS", "a", "b", "0", "0"}) ==
        std::vector<size_t>{4, 5});

  // Searched backwards from the second to last argument.
  const Command& migrate =
      Registered(t3, {{.flags = kKeyRW, .keyword = "KEYS", .startfrom = -2, .lastkey = -1}});
  CHECK(Positions(migrate, {"migrate", "h", "p", "", "0", "5", "KEYS", "a", "b"}) ==
        std::vector<size_t>{7, 8});
}

TEST_CASE("not-key specs are skipped; a spec that does not fit voids the answer") {
  CommandTable t1, t2;
  const Command& only_not_key = Registered(t1, {{.flags = kKeyRO | kKeyNotKey, .index = 1}});
  CHECK_FALSE(only_not_key.HasKeys());
  CHECK(Positions(only_not_key, {"x", "a"}).empty());
  const Command& gap =
      Registered(t2, {{.flags = kKeyRO, .index = 1}, {.flags = kKeyRO, .index = 3}});
  CHECK(gap.movable_keys);  // not consecutive: the second one is left out of the triple
  CHECK(gap.legacy_keys.last == 1);
  CHECK(Positions(gap, {"x", "a", "v", "b"}) == std::vector<size_t>{1, 3});
  CHECK(Positions(gap, {"x", "a", "v"}).empty());
}

TEST_CASE("no key specs: no keys, no triple") {
  CommandTable t;
  const Command& ping = Registered(t, {});
  CHECK_FALSE(ping.HasKeys());
  CHECK(ping.legacy_keys.first == 0);
  CHECK(ping.legacy_keys.step == 0);
  CHECK_FALSE(ping.movable_keys);
}

}  // namespace
}  // namespace pykv::cmd
