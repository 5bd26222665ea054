// Journal: offsets, readers, trimming, the backlog, and the blocks the bytes live in.
#include "journal/journal.h"

#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "resp/command_encoder.h"

namespace pykv::journal {
namespace {

std::string Enc(std::vector<std::string_view> argv) {
  return resp::EncodeCommand(argv);
}

uint64_t Set(Journal& j, std::string_view k, std::string_view v) {
  std::vector<std::string_view> argv = {"SET", k, v};
  return j.Append(argv);
}

TEST_CASE("inactive: nothing is encoded and the offset stands still") {
  Journal j;
  CHECK_FALSE(j.active());
  CHECK(Set(j, "k", "v") == 0);
  CHECK(j.offset() == 0);
  CHECK(j.start_offset() == 0);
}

TEST_CASE("a reader takes every byte once, in order, at the right offsets") {
  Journal j;
  Journal::ReaderId r = j.AddReader();
  CHECK(j.active());
  const std::string a = Enc({"SET", "a", "1"});
  const std::string b = Enc({"DEL", "a"});
  CHECK(Set(j, "a", "1") == a.size());
  std::vector<std::string_view> del = {"DEL", "a"};
  CHECK(j.Append(del) == a.size() + b.size());
  CHECK(j.Unread(r) == a + b);
  j.Advance(r, a.size());
  CHECK(j.reader_offset(r) == a.size());
  CHECK(j.Unread(r) == b);
  CHECK(j.start_offset() == a.size());  // nobody needs `a` any more
  std::string out;
  j.TakeAll(r, &out);
  CHECK(out == b);
  CHECK(j.Unread(r).empty());
  CHECK(j.start_offset() == j.offset());
  // Raw bytes (a primary's stream) count the same way.
  CHECK(j.AppendEncoded("*1\r\n$4\r\nPING\r\n") == a.size() + b.size() + 14);
}

TEST_CASE("TakeAll appends everything unread to the output, and keeps what was there") {
  Journal j;
  Journal::ReaderId r = j.AddReader();
  for (int i = 0; i < 100; ++i) Set(j, "key" + std::to_string(i), "value");
  const std::string expect(j.Unread(r));
  std::string out;
  j.TakeAll(r, &out);
  CHECK(out == expect);
  CHECK(j.offset() == expect.size());
  Set(j, "x", "y");
  j.TakeAll(r, &out);
  CHECK(out == expect + Enc({"SET", "x", "y"}));
}

TEST_CASE("a stream of many blocks reads back whole, piece by piece, in memory that is reused") {
  Journal j;
  j.set_backlog_size(100 * 1024);
  Journal::ReaderId r = j.AddReader();
  std::string all;
  const std::string value(1000, 'v');
  // About 3 MB, with a command bigger than a block in the middle.
  for (int i = 0; i < 3000; ++i) {
    const std::string v = i == 1500 ? std::string(200 * 1024, 'b') : value;
    Set(j, "k" + std::to_string(i), v);
    all += Enc({"SET", "k" + std::to_string(i), v});
  }
  CHECK(j.offset() == all.size());
  CHECK(j.unread_size(r) == all.size());
  // Unread gives contiguous pieces; advancing past each gives the next.
  std::string read;
  size_t pieces = 0;
  for (std::string_view p = j.Unread(r); !p.empty(); p = j.Unread(r)) {
    read += p;
    ++pieces;
    j.Advance(r, j.reader_offset(r) + p.size());
  }
  CHECK(read == all);
  CHECK(pieces > 3);
  CHECK(j.unread_size(r) == 0);
  // Only the backlog is held now, exactly: N bytes in at most N plus two blocks.
  CHECK(j.backlog_length() == 100 * 1024);
  CHECK(j.start_offset() == j.offset() - 100 * 1024);
  CHECK(j.allocated() <= 100 * 1024 + 2 * 64 * 1024 + 64 * 1024);
  // A reader placed inside the backlog reads exactly the stream's bytes from there, across
  // block boundaries.
  Journal::ReaderId late = j.AddReaderAt(j.start_offset());
  std::string tail;
  j.TakeAll(late, &tail);
  CHECK(tail == all.substr(all.size() - 100 * 1024));
  // A long stream through a small backlog reuses its blocks: memory stays bounded.
  j.RemoveReader(late);
  j.RemoveReader(r);
  for (int i = 0; i < 20000; ++i) Set(j, "k", value);
  CHECK(j.backlog_length() == 100 * 1024);
  CHECK(j.allocated() <= 100 * 1024 + 3 * 64 * 1024);
}

TEST_CASE("the slowest reader holds bytes; removing it frees them") {
  Journal j;
  Journal::ReaderId fast = j.AddReader();
  Journal::ReaderId slow = j.AddReader();
  Set(j, "a", "1");
  Set(j, "b", "2");
  std::string out;
  j.TakeAll(fast, &out);
  CHECK(j.start_offset() == 0);
  CHECK(j.Unread(slow) == out);
  j.RemoveReader(slow);
  CHECK(j.start_offset() == j.offset());
  // A reader added later starts at the current offset.
  Journal::ReaderId late = j.AddReader();
  CHECK(j.reader_offset(late) == j.offset());
  CHECK(j.Unread(late).empty());
}

TEST_CASE("the backlog keeps the last N bytes, and only those") {
  Journal j;
  j.set_backlog_size(100);
  CHECK(j.active());
  std::string all;
  for (int i = 0; i < 50; ++i) {
    Set(j, "k" + std::to_string(i), "v");
    all += Enc({"SET", "k" + std::to_string(i), "v"});
  }
  CHECK(j.offset() == all.size());
  CHECK(j.backlog_length() == 100);
  CHECK(j.Holds(j.offset() - 100));
  CHECK_FALSE(j.Holds(j.offset() - 101));
  CHECK(j.Holds(j.offset()));
  // A reader placed inside the backlog reads exactly the stream's bytes from there.
  Journal::ReaderId r = j.AddReader();
  CHECK(j.reader_offset(r) == j.offset());
  // A large stream keeps memory bounded: dead space is reclaimed as it grows.
  j.RemoveReader(r);
  for (int i = 0; i < 100000; ++i) Set(j, "key", "value");
  CHECK(j.backlog_length() == 100);
  j.set_backlog_size(0);
  CHECK_FALSE(j.active());
  CHECK(j.start_offset() == j.offset());
}

TEST_CASE("a reader behind the backlog keeps its bytes until it advances") {
  Journal j;
  j.set_backlog_size(10);
  Journal::ReaderId r = j.AddReader();
  std::string all;
  for (int i = 0; i < 20; ++i) {
    Set(j, "k", std::to_string(i));
    all += Enc({"SET", "k", std::to_string(i)});
  }
  CHECK(j.Unread(r) == all);
  j.Advance(r, 5 + all.size());  // clamped to the end
  CHECK(j.reader_offset(r) == all.size());
  CHECK(j.backlog_length() == 10);
  CHECK(j.start_offset() == all.size() - 10);
}

TEST_CASE("a reader added at a held offset reads from there; one past the start is clamped") {
  Journal j;
  j.set_backlog_size(1024);
  Set(j, "a", "1");
  const uint64_t mid = j.offset();
  Set(j, "b", "2");
  Journal::ReaderId r = j.AddReaderAt(mid);
  CHECK(j.reader_offset(r) == mid);
  CHECK(j.Unread(r) == Enc({"SET", "b", "2"}));
  Journal::ReaderId early = j.AddReaderAt(0);
  CHECK(j.reader_offset(early) == j.start_offset());
  Journal::ReaderId late = j.AddReaderAt(j.offset() + 100);
  CHECK(j.reader_offset(late) == j.offset());
}

TEST_CASE("reset drops the bytes and moves the offset and every reader, back or forward") {
  Journal j;
  j.set_backlog_size(1024);
  Journal::ReaderId r = j.AddReader();
  Set(j, "a", "1");
  j.Reset(5);
  CHECK(j.offset() == 5);
  CHECK(j.start_offset() == 5);
  CHECK(j.reader_offset(r) == 5);
  CHECK(j.Unread(r).empty());
  CHECK(j.Holds(5));
  CHECK_FALSE(j.Holds(4));
  const uint64_t end = Set(j, "b", "2");
  CHECK(end == 5 + Enc({"SET", "b", "2"}).size());
  CHECK(j.Unread(r) == Enc({"SET", "b", "2"}));
  j.Reset(1000);
  CHECK(j.offset() == 1000);
  CHECK(j.reader_offset(r) == 1000);
}

}  // namespace
}  // namespace pykv::journal
