#include "persistence/aof_scanner.h"

#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "aof_test_files.h"

namespace pykv::persistence {
namespace {

using testing::Annotation;
using testing::Batch;
using testing::Cmd;

struct Scan {
  std::vector<std::string> commands;  // argv joined by ' '
  AofDamage damage = AofDamage::kNone;
  uint64_t good_end = 0;
  uint64_t good_items = 0;
  uint64_t bad_offset = 0;
  std::string reason;
  bool problem = false;
  uint64_t problem_offset = 0;
  uint64_t verified = 0;
};

// Feeds data in pieces of `piece` bytes (0: all at once) and scans to the end.
Scan ScanAll(std::string_view data, size_t piece = 0) {
  AofScanner sc(data.size());
  Scan s;
  size_t pos = 0;
  for (;;) {
    AofScanner::Result r = sc.Next();
    if (r == AofScanner::Result::kCommand) {
      std::string joined;
      for (std::string_view a : sc.argv()) {
        if (!joined.empty()) joined += ' ';
        joined.append(a);
      }
      s.commands.push_back(joined);
      continue;
    }
    if (r == AofScanner::Result::kProblem && !s.problem) {
      s.problem = true;
      s.problem_offset = sc.problem_offset();
    }
    if (pos == data.size()) break;
    const size_t n = piece == 0 ? data.size() - pos : std::min(piece, data.size() - pos);
    sc.Feed(data.substr(pos, n));
    pos += n;
  }
  sc.Finish();
  s.damage = sc.damage();
  s.good_end = sc.good_end();
  s.good_items = sc.good_items();
  s.bad_offset = sc.bad_offset();
  s.reason = sc.reason();
  s.verified = sc.verified_batches();
  CHECK(s.good_end <= data.size());
  if (s.damage == AofDamage::kNone) {
    CHECK(s.good_end == data.size());
    CHECK(s.reason.empty());
  } else {
    CHECK_FALSE(s.reason.empty());
  }
  if (s.damage == AofDamage::kTail) CHECK(s.bad_offset == s.good_end);
  return s;
}

std::string ThreeBatches(size_t* b2, size_t* b3) {
  std::string f = Batch(Cmd({"SET", "a", "1"}) + Cmd({"SET", "b", "2"}));
  *b2 = f.size();
  f += Batch(Cmd({"SET", "c", "hello world"}) + Cmd({"INCR", "n"}));
  *b3 = f.size();
  f += Batch(Cmd({"DEL", "a"}) + Cmd({"SET", "d", std::string(300, 'd')}));
  return f;
}

TEST_CASE("AofScanner: a clean annotated file, fed in every piece size") {
  size_t b2 = 0;
  size_t b3 = 0;
  const std::string f = ThreeBatches(&b2, &b3);
  for (size_t piece : {size_t{0}, size_t{1}, size_t{2}, size_t{5}, size_t{13}, size_t{64}}) {
    CAPTURE(piece);
    Scan s = ScanAll(f, piece);
    CHECK(s.damage == AofDamage::kNone);
    CHECK(s.verified == 3);
    CHECK(s.good_items == 9);  // 6 commands and 3 annotation lines
    REQUIRE(s.commands.size() == 6);
    CHECK(s.commands[0] == "SET a 1");
    CHECK(s.commands[3] == "INCR n");
    CHECK(s.commands[5] == "SET d " + std::string(300, 'd'));
  }
  CHECK(ScanAll("").damage == AofDamage::kNone);
}

TEST_CASE("AofScanner: Redis-written files (no checksums, #TS annotations) are valid") {
  const std::string f = "#TS:1700000000\r\n" + Cmd({"SET", "a", "1"}) + Cmd({"MULTI"}) +
                        Cmd({"SET", "b", "2"}) + Cmd({"EXEC"}) + "#TS:1700000001\r\n" +
                        Cmd({"del", "a"});
  Scan s = ScanAll(f, 3);
  CHECK(s.damage == AofDamage::kNone);
  CHECK(s.commands.size() == 5);
  CHECK(s.verified == 0);
}

TEST_CASE("AofScanner: torn last batch, cut at every byte") {
  size_t b2 = 0;
  size_t b3 = 0;
  const std::string f = ThreeBatches(&b2, &b3);
  for (size_t cut = b3 + 1; cut < f.size(); ++cut) {
    CAPTURE(cut);
    Scan s = ScanAll(std::string_view(f).substr(0, cut), 7);
    CHECK(s.damage == AofDamage::kTail);
    CHECK(s.good_end == b3);
    CHECK(s.good_items == 6);
  }
  // Cut exactly at a batch boundary: nothing torn.
  CHECK(ScanAll(std::string_view(f).substr(0, b3)).damage == AofDamage::kNone);
}

TEST_CASE("AofScanner: a Redis-style file torn at every byte of its last command") {
  const std::string head = Cmd({"SET", "a", "1"}) + Cmd({"SET", "b", "2"});
  const std::string f = head + Cmd({"SET", "c", "three"});
  for (size_t cut = head.size() + 1; cut < f.size(); ++cut) {
    CAPTURE(cut);
    Scan s = ScanAll(std::string_view(f).substr(0, cut), 4);
    CHECK(s.damage == AofDamage::kTail);
    CHECK(s.good_end == head.size());
    CHECK(s.reason.find("end of file inside a command") != std::string::npos);
  }
}

TEST_CASE("AofScanner: an open MULTI is cut before the MULTI") {
  // Redis-style: complete commands inside the transaction, no EXEC.
  const std::string head = Cmd({"SET", "a", "1"});
  const std::string tx =
      Cmd({"MULTI"}) + Cmd({"SET", "b", "2"}) + Cmd({"INCR", "n"}) + Cmd({"EXEC"});
  const std::string f = head + tx;
  for (size_t cut = head.size() + 1; cut < f.size(); ++cut) {
    CAPTURE(cut);
    Scan s = ScanAll(std::string_view(f).substr(0, cut), 5);
    CHECK(s.damage == AofDamage::kTail);
    CHECK(s.good_end == head.size());
    CHECK(s.good_items == 1);
  }
  Scan whole = ScanAll(f);
  CHECK(whole.damage == AofDamage::kNone);

  // Annotated: the transaction is one batch; torn anywhere, the whole batch goes.
  const std::string a = Batch(head);
  const std::string g = a + Batch(tx);
  for (size_t cut = a.size() + 1; cut < g.size(); ++cut) {
    CAPTURE(cut);
    Scan s = ScanAll(std::string_view(g).substr(0, cut), 3);
    CHECK(s.damage == AofDamage::kTail);
    CHECK(s.good_end == a.size());
  }
  // A verified batch that ends inside a transaction: trust stops before the MULTI.
  const std::string h = Batch(head + Cmd({"MULTI"}) + Cmd({"SET", "x", "y"}));
  Scan s = ScanAll(h);
  CHECK(s.damage == AofDamage::kTail);
  CHECK(s.good_end == head.size());
  CHECK(s.reason.find("MULTI at offset") != std::string::npos);
}

TEST_CASE("AofScanner: every flipped byte of a middle batch is damage, not a tail") {
  size_t b2 = 0;
  size_t b3 = 0;
  const std::string f = ThreeBatches(&b2, &b3);
  for (size_t i = b2; i < b3; ++i) {
    for (uint8_t mask : {uint8_t{0x01}, uint8_t{0x10}, uint8_t{0xff}}) {
      std::string bad = f;
      bad[i] = static_cast<char>(static_cast<uint8_t>(bad[i]) ^ mask);
      CAPTURE(i);
      CAPTURE(int{mask});
      Scan s = ScanAll(bad, 11);
      CHECK(s.damage == AofDamage::kCorrupt);
      CHECK(s.good_end == b2);
      CHECK(s.bad_offset >= b2);
      CHECK(s.bad_offset <= b3);
      // Nothing of the damaged batch was trusted.
      CHECK(s.good_items == 3);
    }
  }
}

TEST_CASE("AofScanner: a flipped byte in a value is a checksum mismatch at the batch") {
  size_t b2 = 0;
  size_t b3 = 0;
  const std::string f = ThreeBatches(&b2, &b3);
  std::string bad = f;
  const size_t at = f.find("hello world");
  bad[at + 3] = 'X';  // the framing is intact; only the checksum can see this
  Scan s = ScanAll(bad);
  CHECK(s.damage == AofDamage::kCorrupt);
  CHECK(s.bad_offset == b2);
  CHECK(s.reason.find("checksum mismatch") != std::string::npos);
  CHECK(s.reason.find("a later batch verifies") != std::string::npos);
}

TEST_CASE("AofScanner: damage in the last batch is a torn tail") {
  size_t b2 = 0;
  size_t b3 = 0;
  const std::string f = ThreeBatches(&b2, &b3);
  for (size_t i = b3; i < f.size(); ++i) {
    std::string bad = f;
    bad[i] = static_cast<char>(static_cast<uint8_t>(bad[i]) ^ 0x04);
    CAPTURE(i);
    Scan s = ScanAll(bad, 9);
    CHECK(s.damage == AofDamage::kTail);
    CHECK(s.good_end == b3);
  }
  // Zeros after the last good batch (a file system that extended the file without its
  // data): garbage with nothing verifiable after it is a torn tail too.
  Scan z = ScanAll(f + std::string(4096, '\0'));
  CHECK(z.damage == AofDamage::kTail);
  CHECK(z.good_end == f.size());
}

TEST_CASE("AofScanner: damage followed only by a torn batch is still a torn tail") {
  // Several unsynced batches can be hit by one crash (appendfsync everysec): the second
  // to last fails its checksum and the last is incomplete. Nothing after the damage
  // verifies, so this is a tail, cut at the last verified batch.
  size_t b2 = 0;
  size_t b3 = 0;
  std::string f = ThreeBatches(&b2, &b3);
  f[b2 + 30] ^= 0x02;
  Scan s = ScanAll(std::string_view(f).substr(0, f.size() - 10));
  CHECK(s.damage == AofDamage::kTail);
  CHECK(s.good_end == b2);
  // Complete: the last batch verifies, so the damage is before the tail.
  Scan t = ScanAll(f);
  CHECK(t.damage == AofDamage::kCorrupt);
  CHECK(t.bad_offset == b2);
}

TEST_CASE("AofScanner: bad framing in a never-annotated file is damage") {
  const std::string head = Cmd({"SET", "a", "1"});
  Scan z = ScanAll(head + std::string(10, '\0') + Cmd({"SET", "b", "2"}));
  CHECK(z.damage == AofDamage::kCorrupt);
  CHECK(z.bad_offset == head.size());
  CHECK(z.good_end == head.size());
  CHECK(ScanAll(head + "SET b 2\r\n").damage == AofDamage::kCorrupt);  // inline command
  CHECK(ScanAll(head + "\r\n" + head).damage == AofDamage::kCorrupt);  // empty line
  CHECK(ScanAll(head + Cmd({"EXEC"})).damage == AofDamage::kCorrupt);
  CHECK(ScanAll(Cmd({"MULTI"}) + Cmd({"MULTI"})).damage == AofDamage::kCorrupt);
  CHECK(ScanAll(head + Cmd({"#x", "y"})).damage == AofDamage::kCorrupt);
  Scan big = ScanAll(head + "*2\r\n$3\r\nGET\r\n$99999999\r\n");
  CHECK(big.damage == AofDamage::kCorrupt);  // longer than the file: bad framing
}

TEST_CASE("AofScanner: a damaged length that swallows later batches is damage") {
  const std::string a = Batch(Cmd({"SET", "a", "1"}));
  std::string b = Cmd({"SET", "b", "xy"});
  const std::string rest = Batch(Cmd({"SET", "c", "3"})) + Batch(Cmd({"SET", "d", "4"}));
  const std::string f = a + Batch(b) + rest;
  std::string bad = f;
  // "$2\r\nxy" becomes "$9..": the parser reads on, past the following annotations, and
  // the file ends inside that bulk.
  const size_t at = a.size() + b.find("$2\r\nxy");
  bad[at + 1] = '9';
  Scan s = ScanAll(bad);
  CHECK(s.damage == AofDamage::kCorrupt);
  CHECK(s.good_end == a.size());
  // Make the bulk swallow everything to the end of the file.
  std::string swallow = f;
  const std::string digits = std::to_string(f.size() - at);  // longer than what is left
  swallow.replace(at + 1, 1, digits);
  Scan t = ScanAll(swallow);
  CHECK(t.damage == AofDamage::kCorrupt);
  CHECK(t.good_end == a.size());
}

TEST_CASE("AofScanner: PyKV batches appended to a Redis-written prefix") {
  const std::string redis = Cmd({"SET", "r1", "x"}) + "#TS:1\r\n" + Cmd({"SET", "r2", "y"});
  const std::string b1 = Cmd({"SET", "p1", "z"}) + Cmd({"INCR", "n"});
  const std::string b2 = Cmd({"DEL", "r1"});
  const std::string f = redis + Batch(b1) + Batch(b2);
  Scan s = ScanAll(f, 6);
  CHECK(s.damage == AofDamage::kNone);
  CHECK(s.verified == 2);
  CHECK(s.commands.size() == 5);

  // The first PyKV batch damaged at the end of the file: cut back to the Redis prefix.
  std::string bad = redis + Batch(b1);
  bad[redis.size() + 12] ^= 0x01;
  Scan t = ScanAll(bad);
  CHECK(t.damage == AofDamage::kTail);
  CHECK(t.good_end == redis.size());
  CHECK(t.good_items == 3);
  // ... and with more batches after it: damage.
  std::string worse = bad + Batch(b2);
  CHECK(ScanAll(worse).damage == AofDamage::kCorrupt);
  // A first annotation whose length does not land on a command boundary.
  std::string off = redis + b1 + "#pykv-crc32 00000000 5\r\n" + Batch(b2);
  CHECK(ScanAll(off).damage == AofDamage::kCorrupt);
  // A later annotation must cover exactly its batch.
  std::string len = Batch(b1) + b2 + Annotation(b2 + "x");
  Scan l = ScanAll(len);
  CHECK(l.damage == AofDamage::kTail);
  CHECK(l.good_end == Batch(b1).size());
}

TEST_CASE("AofScanner: a malformed annotation is damage") {
  const std::string a = Batch(Cmd({"SET", "a", "1"}));
  const std::string b = Cmd({"SET", "b", "2"});
  for (std::string line :
       {"#pykv-crc32 zzzzzzzz 5\r\n", "#pykv-crc32 0000000 5\r\n", "#pykv-crc32 00000000 05\r\n",
        "#pykv-crc32 00000000\r\n", "#pykv-crc32 ABCDEF00 5\r\n"}) {
    CAPTURE(line);
    Scan s = ScanAll(a + b + line + a);
    CHECK(s.damage == AofDamage::kCorrupt);
    CHECK(s.good_end == a.size());
    Scan t = ScanAll(a + b + line);
    CHECK(t.damage == AofDamage::kTail);
    CHECK(t.good_end == a.size());
  }
}

TEST_CASE("AofScanner: problems are reported at once by Next") {
  const std::string a = Batch(Cmd({"SET", "a", "1"}));
  std::string bad = a + Batch(Cmd({"SET", "b", "2"})) + a;
  bad[a.size() + 24] ^= 0x01;  // the value "2"
  AofScanner sc(bad.size());
  sc.Feed(bad);
  AofScanner::Result r;
  int commands = 0;
  while ((r = sc.Next()) == AofScanner::Result::kCommand) ++commands;
  CHECK(r == AofScanner::Result::kProblem);
  CHECK(commands == 2);  // the damaged batch's command is returned before its checksum
  CHECK(sc.has_problem());
  CHECK(sc.problem_offset() == a.size());
  CHECK(sc.good_end() == a.size());
}

}  // namespace
}  // namespace pykv::persistence
