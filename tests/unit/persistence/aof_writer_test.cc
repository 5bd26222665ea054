#include "persistence/aof_writer.h"

#include <doctest/doctest.h>
#include <zlib.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>
#include <thread>

#include "common/clock.h"
#include "faulty_file_ops.h"
#include "persistence/file_ops.h"

namespace pykv::persistence {
namespace {

using testing::FaultyFileOps;
using testing::ScopedTempDir;

// What a flushed batch must look like on disk, with the CRC computed independently.
std::string Annotated(std::string_view batch) {
  const uLong crc =
      crc32(0L, reinterpret_cast<const Bytef*>(batch.data()), static_cast<uInt>(batch.size()));
  char line[64];
  std::snprintf(line, sizeof(line), "#pykv-crc32 %08lx %zu\r\n", crc, batch.size());
  return std::string(batch) + line;
}

std::string Slurp(const std::string& path) {
  StatusOr<std::string> s = ReadWholeFile(FileOps::Posix(), path);
  REQUIRE_MESSAGE(s.ok(), s.status().message());
  return *s;
}

uint64_t SizeOnDisk(const std::string& path) {
  StatusOr<uint64_t> s = FileOps::Posix()->FileSize(path);
  REQUIRE(s.ok());
  return *s;
}

// Bounded poll: true as soon as pred holds, false after timeout.
bool WaitFor(const std::function<bool()>& pred,
             std::chrono::milliseconds timeout = std::chrono::milliseconds(5000)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return pred();
}

// What the server's mutation sink does: encode into the buffer, then commit.
uint64_t AppendTo(AofWriter& w, std::string_view resp) {
  w.buffer().append(resp);
  return w.CommitAppended();
}

std::string Set(int i) {
  const std::string k = "k" + std::to_string(i);
  const std::string v = "v" + std::to_string(i);
  return "*3\r\n$3\r\nSET\r\n$" + std::to_string(k.size()) + "\r\n" + k + "\r\n$" +
         std::to_string(v.size()) + "\r\n" + v + "\r\n";
}

TEST_CASE("ParseFsyncPolicy") {
  CHECK(ParseFsyncPolicy("always").value() == FsyncPolicy::kAlways);
  CHECK(ParseFsyncPolicy("EverySec").value() == FsyncPolicy::kEverySec);
  CHECK(ParseFsyncPolicy("no").value() == FsyncPolicy::kNo);
  CHECK_FALSE(ParseFsyncPolicy("sometimes").ok());
  CHECK_FALSE(ParseFsyncPolicy("").ok());
}

TEST_CASE("AofWriter: each batch lands with its checksum line") {
  ScopedTempDir dir;
  FaultyFileOps ops;
  FakeClock clock;
  const std::string path = dir.File("appendonly.aof.1.incr.aof");
  AofWriter w(&ops, &clock, FsyncPolicy::kNo);
  CHECK_FALSE(w.is_open());
  REQUIRE(w.Open(path).ok());
  CHECK(w.is_open());
  CHECK(w.path() == path);
  CHECK(w.file_size() == 0);

  CHECK(w.Flush().ok());  // nothing pending: nothing written
  CHECK(ops.write_calls() == 0);

  const std::string b1 = Set(1) + Set(2);
  CHECK(AppendTo(w, Set(1)) == Set(1).size());
  CHECK(AppendTo(w, Set(2)) == b1.size());
  CHECK(w.has_pending());
  CHECK(w.durable_seq() == 0);
  REQUIRE(w.Flush().ok());
  CHECK_FALSE(w.has_pending());
  CHECK(w.durable_seq() == b1.size());
  CHECK(w.appended_seq() == b1.size());
  CHECK(w.last_error().empty());
  CHECK(ops.write_calls() == 1);  // batch and checksum line in one write
  CHECK(ops.sync_calls() == 0);   // policy no
  CHECK(Slurp(path) == Annotated(b1));
  CHECK(w.file_size() == Annotated(b1).size());

  // Encoding straight into the buffer.
  w.buffer().append(Set(3));
  CHECK(w.CommitAppended() == b1.size() + Set(3).size());
  REQUIRE(w.Flush().ok());
  CHECK(Slurp(path) == Annotated(b1) + Annotated(Set(3)));
  CHECK(w.file_size() == SizeOnDisk(path));
  REQUIRE(w.Close().ok());
}

TEST_CASE("AofWriter: Open appends to an existing file") {
  ScopedTempDir dir;
  FakeClock clock;
  const std::string path = dir.File("f.aof");
  REQUIRE(WriteFileAtomically(FileOps::Posix(), path, "previous").ok());
  AofWriter w(FileOps::Posix(), &clock, FsyncPolicy::kNo);
  REQUIRE(w.Open(path).ok());
  CHECK(w.file_size() == 8);
  CHECK_FALSE(w.Open(path).ok());  // already open
  AppendTo(w, Set(1));
  REQUIRE(w.Flush().ok());
  CHECK(Slurp(path) == "previous" + Annotated(Set(1)));
  CHECK(w.file_size() == SizeOnDisk(path));
}

TEST_CASE("AofWriter: bytes appended before Open wait for it") {
  ScopedTempDir dir;
  FakeClock clock;
  AofWriter w(FileOps::Posix(), &clock, FsyncPolicy::kNo);
  AppendTo(w, Set(1));
  CHECK_FALSE(w.Flush().ok());
  CHECK(w.has_pending());
  REQUIRE(w.Open(dir.File("f")).ok());
  REQUIRE(w.Flush().ok());
  CHECK(Slurp(dir.File("f")) == Annotated(Set(1)));
}

TEST_CASE("AofWriter: group commit under always, 1000 appends = one fsync") {
  ScopedTempDir dir;
  FaultyFileOps ops;
  FakeClock clock;
  const std::string path = dir.File("f");
  AofWriter w(&ops, &clock, FsyncPolicy::kAlways);
  REQUIRE(w.Open(path).ok());
  std::string all;
  uint64_t seq = 0;
  for (int i = 0; i < 1000; ++i) {
    seq = AppendTo(w, Set(i));
    all += Set(i);
  }
  CHECK(seq == all.size());
  CHECK(w.durable_seq() == 0);
  REQUIRE(w.Flush().ok());
  CHECK(ops.sync_calls() == 1);
  CHECK(w.fsync_count() == 1);
  CHECK(w.durable_seq() == seq);
  CHECK(Slurp(path) == Annotated(all));
  CHECK(w.last_fsync_ms() > 0);
  CHECK(std::abs(w.last_fsync_ms() - clock.NowMs()) < 10'000);

  CHECK(w.Flush().ok());  // nothing pending: no further fsync
  CHECK(ops.sync_calls() == 1);
}

TEST_CASE("AofWriter: a lone short write is completed") {
  ScopedTempDir dir;
  FaultyFileOps ops;
  FakeClock clock;
  AofWriter w(&ops, &clock, FsyncPolicy::kAlways);
  REQUIRE(w.Open(dir.File("f")).ok());
  ops.ShortWrite(7);
  AppendTo(w, Set(1));
  REQUIRE(w.Flush().ok());
  CHECK(ops.write_calls() == 2);
  CHECK(Slurp(dir.File("f")) == Annotated(Set(1)));
  CHECK(w.last_error().empty());
}

void ShortWriteThenFull(FsyncPolicy policy) {
  CAPTURE(static_cast<int>(policy));
  ScopedTempDir dir;
  FaultyFileOps ops;
  FakeClock clock;
  const std::string path = dir.File("f");
  AofWriter w(&ops, &clock, policy);
  REQUIRE(w.Open(path).ok());
  AppendTo(w, Set(1));
  REQUIRE(w.Flush().ok());
  const uint64_t good_size = SizeOnDisk(path);
  const uint64_t good_seq = w.durable_seq();

  const std::string batch = Set(2) + Set(3);
  AppendTo(w, Set(2));
  AppendTo(w, Set(3));
  ops.ShortWrite(10);         // part of the batch reaches the disk...
  ops.FailWrites(1, ENOSPC);  // ...then the disk is full
  Status s = w.Flush();
  REQUIRE_FALSE(s.ok());
  CHECK(s.code() == Status::Code::kIo);
  CHECK(w.last_error() == "No space left on device");
  CHECK(SizeOnDisk(path) == good_size);  // the partial batch is gone
  CHECK(w.file_size() == good_size);
  CHECK(w.durable_seq() == good_seq);
  CHECK(w.has_pending());
  CHECK(w.buffer() == batch);  // unchanged, checksum line not left behind

  // More writes arrive meanwhile; the retry writes everything as one batch.
  AppendTo(w, Set(4));
  REQUIRE(w.Flush().ok());
  CHECK(w.last_error().empty());
  CHECK(w.durable_seq() == w.appended_seq());
  CHECK(Slurp(path) == Annotated(Set(1)) + Annotated(batch + Set(4)));
  CHECK(w.file_size() == SizeOnDisk(path));
}

TEST_CASE("AofWriter: short write then disk full: cut back, error, retried whole") {
  for (FsyncPolicy p : {FsyncPolicy::kAlways, FsyncPolicy::kEverySec, FsyncPolicy::kNo}) {
    ShortWriteThenFull(p);
  }
}

TEST_CASE("AofWriter: ENOSPC and EIO are reported until the disk recovers") {
  ScopedTempDir dir;
  FaultyFileOps ops;
  FakeClock clock;
  const std::string path = dir.File("f");
  AofWriter w(&ops, &clock, FsyncPolicy::kEverySec);
  REQUIRE(w.Open(path).ok());
  ops.FailWrites(3, ENOSPC);
  AppendTo(w, Set(1));
  for (int i = 0; i < 3; ++i) {
    Status s = w.Flush();
    CHECK(s.message() == "write " + path + ": No space left on device");
    CHECK(w.last_error() == "No space left on device");
    CHECK(w.durable_seq() == 0);
  }
  CHECK(SizeOnDisk(path) == 0);
  REQUIRE(w.Flush().ok());
  CHECK(w.last_error().empty());
  CHECK(w.durable_seq() == Set(1).size());

  ops.FailWrites(1, EIO);
  AppendTo(w, Set(2));
  CHECK_FALSE(w.Flush().ok());
  CHECK(w.last_error() == "Input/output error");
  REQUIRE(w.Flush().ok());
  CHECK(w.last_error().empty());
  CHECK(Slurp(path) == Annotated(Set(1)) + Annotated(Set(2)));
}

TEST_CASE("AofWriter: a failed cut-back is retried before the next write") {
  ScopedTempDir dir;
  FaultyFileOps ops;
  FakeClock clock;
  const std::string path = dir.File("f");
  AofWriter w(&ops, &clock, FsyncPolicy::kNo);
  REQUIRE(w.Open(path).ok());
  AppendTo(w, Set(1));
  REQUIRE(w.Flush().ok());

  AppendTo(w, Set(2));
  ops.ShortWrite(5);
  ops.FailWrites(1, ENOSPC);
  ops.FailTruncates(2, EIO);  // the cut after the failure, and the first retry of it
  CHECK_FALSE(w.Flush().ok());
  CHECK(SizeOnDisk(path) > w.file_size());  // the partial batch is still there
  Status s = w.Flush();
  CHECK_FALSE(s.ok());
  CHECK(w.last_error() == "Input/output error");
  REQUIRE(w.Flush().ok());
  CHECK(Slurp(path) == Annotated(Set(1)) + Annotated(Set(2)));
}

TEST_CASE("AofWriter: EIO on fsync under always is never acknowledged, then retried") {
  ScopedTempDir dir;
  FaultyFileOps ops;
  FakeClock clock;
  const std::string path = dir.File("f");
  AofWriter w(&ops, &clock, FsyncPolicy::kAlways);
  REQUIRE(w.Open(path).ok());

  AppendTo(w, Set(1));
  ops.FailSyncs(1, EIO);
  Status s = w.Flush();
  REQUIRE_FALSE(s.ok());
  CHECK(w.last_error() == "Input/output error");
  CHECK(w.durable_seq() == 0);   // written, not durable
  CHECK_FALSE(w.has_pending());  // the bytes are in the file: never written twice
  CHECK(Slurp(path) == Annotated(Set(1)));
  CHECK(w.fsync_count() == 0);

  SUBCASE("retried by the next Flush with nothing new") {
    REQUIRE(w.Flush().ok());
    CHECK(ops.sync_calls() == 2);
    CHECK(w.durable_seq() == Set(1).size());
    CHECK(w.last_error().empty());
    CHECK(Slurp(path) == Annotated(Set(1)));
  }
  SUBCASE("fails again, then one fsync covers old and new batches") {
    ops.FailSyncs(1, EIO);
    CHECK_FALSE(w.Flush().ok());
    CHECK(w.durable_seq() == 0);
    AppendTo(w, Set(2));
    REQUIRE(w.Flush().ok());
    CHECK(ops.sync_calls() == 3);
    CHECK(w.durable_seq() == w.appended_seq());
    CHECK(Slurp(path) == Annotated(Set(1)) + Annotated(Set(2)));
  }
  SUBCASE("retried by SyncNow") {
    REQUIRE(w.SyncNow().ok());
    CHECK(w.durable_seq() == Set(1).size());
    CHECK(w.last_error().empty());
  }
  SUBCASE("leaving always: written counts as done") {
    w.set_policy(FsyncPolicy::kNo);
    CHECK(w.durable_seq() == Set(1).size());
    CHECK(w.last_error().empty());
  }
}

TEST_CASE("AofWriter everysec: durable when written, fsynced soon by the thread") {
  ScopedTempDir dir;
  FaultyFileOps ops;
  FakeClock clock;
  const std::string path = dir.File("f");
  AofWriter w(&ops, &clock, FsyncPolicy::kEverySec);
  REQUIRE(w.Open(path).ok());
  AppendTo(w, Set(1));
  REQUIRE(w.Flush().ok());
  CHECK(w.durable_seq() == Set(1).size());
  CHECK(Slurp(path) == Annotated(Set(1)));
  CHECK(WaitFor([&] { return w.fsync_count() >= 1; }));
  CHECK(ops.sync_calls() >= 1);
  CHECK(w.last_fsync_ms() > 0);
  REQUIRE(w.Close().ok());
}

TEST_CASE("AofWriter everysec: at most about one fsync a second under a stream of writes") {
  ScopedTempDir dir;
  FaultyFileOps ops;
  FakeClock clock;
  AofWriter w(&ops, &clock, FsyncPolicy::kEverySec);
  REQUIRE(w.Open(dir.File("f")).ok());
  const auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(2500);
  int i = 0;
  while (std::chrono::steady_clock::now() < end) {
    AppendTo(w, Set(i++));
    REQUIRE(w.Flush().ok());
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  const int syncs = ops.sync_calls();
  CHECK(syncs >= 1);
  CHECK(syncs <= 4);
  CHECK(w.durable_seq() == w.appended_seq());
}

TEST_CASE("AofWriter everysec: a failing background fsync shows, then clears") {
  ScopedTempDir dir;
  FaultyFileOps ops;
  FakeClock clock;
  AofWriter w(&ops, &clock, FsyncPolicy::kEverySec);
  REQUIRE(w.Open(dir.File("f")).ok());
  ops.FailSyncs(1, EIO);
  AppendTo(w, Set(1));
  REQUIRE(w.Flush().ok());
  // The thread's failure reaches last_error() at a later Flush...
  CHECK(WaitFor([&] {
    (void)w.Flush();
    return w.last_error() == "Input/output error";
  }));
  // ...and goes away when the thread's retry (a second later) succeeds.
  CHECK(WaitFor([&] {
    (void)w.Flush();
    return w.last_error().empty();
  }));
  CHECK(w.fsync_count() >= 1);
}

void SwitchAndContinue(FsyncPolicy policy) {
  CAPTURE(static_cast<int>(policy));
  ScopedTempDir dir;
  FaultyFileOps ops;
  FakeClock clock;
  const std::string a = dir.File("appendonly.aof.1.incr.aof");
  const std::string b = dir.File("appendonly.aof.2.incr.aof");
  AofWriter w(&ops, &clock, policy);
  REQUIRE(w.Open(a).ok());
  AppendTo(w, Set(1));
  REQUIRE(w.Flush().ok());
  AppendTo(w, Set(2));  // still buffered: must go to the old file
  const int syncs_before = ops.sync_calls();
  REQUIRE(w.SwitchTo(b).ok());
  CHECK(ops.sync_calls() > syncs_before);
  CHECK(w.path() == b);
  CHECK(w.file_size() == 0);
  CHECK(Slurp(a) == Annotated(Set(1)) + Annotated(Set(2)));
  AppendTo(w, Set(3));
  REQUIRE(w.Flush().ok());
  CHECK(Slurp(b) == Annotated(Set(3)));
  CHECK(Slurp(a) == Annotated(Set(1)) + Annotated(Set(2)));
  CHECK(w.durable_seq() == w.appended_seq());
  REQUIRE(w.Close().ok());
}

TEST_CASE("AofWriter: SwitchTo flushes, fsyncs and continues in the new file") {
  for (FsyncPolicy p : {FsyncPolicy::kAlways, FsyncPolicy::kEverySec, FsyncPolicy::kNo}) {
    SwitchAndContinue(p);
  }
}

TEST_CASE("AofWriter: SwitchTo refuses while the old file cannot take the buffer") {
  ScopedTempDir dir;
  FaultyFileOps ops;
  FakeClock clock;
  const std::string a = dir.File("a");
  const std::string b = dir.File("b");
  AofWriter w(&ops, &clock, FsyncPolicy::kEverySec);
  REQUIRE(w.Open(a).ok());
  AppendTo(w, Set(1));
  ops.FailWrites(1, ENOSPC);
  CHECK_FALSE(w.SwitchTo(b).ok());
  CHECK(w.path() == a);  // still on the old file, batch kept
  CHECK(w.has_pending());
  CHECK_FALSE(ops.Exists(b));
  REQUIRE(w.SwitchTo(b).ok());
  CHECK(Slurp(a) == Annotated(Set(1)));
  CHECK(w.path() == b);
}

TEST_CASE("AofWriter: Close flushes, fsyncs, is idempotent") {
  ScopedTempDir dir;
  FaultyFileOps ops;
  FakeClock clock;
  const std::string path = dir.File("f");
  AofWriter w(&ops, &clock, FsyncPolicy::kEverySec);
  REQUIRE(w.Open(path).ok());
  AppendTo(w, Set(1));
  ops.FailWrites(1, ENOSPC);
  CHECK_FALSE(w.Close().ok());  // could not flush: stays open
  CHECK(w.is_open());
  REQUIRE(w.Close().ok());
  CHECK_FALSE(w.is_open());
  CHECK(w.path().empty());
  CHECK(ops.sync_calls() >= 1);
  CHECK(w.Close().ok());
  CHECK(w.SyncNow().ok());
  CHECK(Slurp(path) == Annotated(Set(1)));

  // Reopen after close (CONFIG SET appendonly yes again).
  REQUIRE(w.Open(path).ok());
  AppendTo(w, Set(2));
  REQUIRE(w.Close().ok());
  CHECK(Slurp(path) == Annotated(Set(1)) + Annotated(Set(2)));
}

TEST_CASE("AofWriter: policy changes at run time") {
  ScopedTempDir dir;
  FaultyFileOps ops;
  FakeClock clock;
  const std::string path = dir.File("f");
  AofWriter w(&ops, &clock, FsyncPolicy::kNo);
  REQUIRE(w.Open(path).ok());
  w.set_policy(FsyncPolicy::kEverySec);
  CHECK(w.policy() == FsyncPolicy::kEverySec);
  AppendTo(w, Set(1));
  REQUIRE(w.Flush().ok());
  CHECK(WaitFor([&] { return w.fsync_count() >= 1; }));
  w.set_policy(FsyncPolicy::kAlways);
  const int syncs = ops.sync_calls();
  AppendTo(w, Set(2));
  REQUIRE(w.Flush().ok());
  CHECK(ops.sync_calls() == syncs + 1);
  w.set_policy(FsyncPolicy::kNo);
  AppendTo(w, Set(3));
  REQUIRE(w.Flush().ok());
  CHECK(ops.sync_calls() == syncs + 1);
  CHECK(Slurp(path) == Annotated(Set(1)) + Annotated(Set(2)) + Annotated(Set(3)));
}

TEST_CASE("AofWriter: destroying a writer with a busy fsync thread is clean") {
  ScopedTempDir dir;
  FakeClock clock;
  for (int round = 0; round < 20; ++round) {
    AofWriter w(FileOps::Posix(), &clock, FsyncPolicy::kEverySec);
    REQUIRE(w.Open(dir.File("f")).ok());
    for (int i = 0; i < 3; ++i) {
      AppendTo(w, Set(i));
      REQUIRE(w.Flush().ok());
    }
    // Destroyed with an fsync requested or running, and the rate-limit wait pending.
  }
  AofWriter never_opened(FileOps::Posix(), &clock, FsyncPolicy::kEverySec);
}

}  // namespace
}  // namespace pykv::persistence
