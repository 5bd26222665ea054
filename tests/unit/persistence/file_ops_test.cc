#include "persistence/file_ops.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <cerrno>
#include <string>
#include <vector>

#include "faulty_file_ops.h"

namespace pykv::persistence {
namespace {

using testing::FaultyFileOps;
using testing::ScopedTempDir;

// Writes all of data through f (the tests' own short-write loop).
void WriteAll(WritableFile* f, std::string_view data) {
  size_t done = 0;
  while (done < data.size()) {
    StatusOr<size_t> n = f->Write(data.data() + done, data.size() - done);
    REQUIRE(n.ok());
    REQUIRE(*n > 0);
    done += *n;
  }
}

std::string Slurp(FileOps* ops, const std::string& path) {
  StatusOr<std::string> s = ReadWholeFile(ops, path);
  REQUIRE_MESSAGE(s.ok(), s.status().message());
  return *s;
}

TEST_CASE("Posix() is one shared instance") {
  CHECK(FileOps::Posix() == FileOps::Posix());
}

TEST_CASE("PosixFileOps: write, append, read back, size, truncate") {
  ScopedTempDir dir;
  FileOps* ops = FileOps::Posix();
  const std::string path = dir.File("a.aof");
  CHECK_FALSE(ops->Exists(path));

  {
    StatusOr<std::unique_ptr<WritableFile>> f = ops->OpenTruncate(path);
    REQUIRE(f.ok());
    CHECK((*f)->path() == path);
    WriteAll(f->get(), "hello ");
    CHECK((*f)->Sync().ok());
    CHECK((*f)->Close().ok());
    CHECK((*f)->Close().ok());  // idempotent
  }
  CHECK(ops->Exists(path));
  {
    StatusOr<std::unique_ptr<WritableFile>> f = ops->OpenAppend(path);
    REQUIRE(f.ok());
    WriteAll(f->get(), "world");
    // The file is not closed: the destructor closes it.
  }
  CHECK(Slurp(ops, path) == "hello world");
  StatusOr<uint64_t> size = ops->FileSize(path);
  REQUIRE(size.ok());
  CHECK(*size == 11);

  {
    // O_APPEND: after a truncate the next write lands at the new end, not at the old offset.
    StatusOr<std::unique_ptr<WritableFile>> f = ops->OpenAppend(path);
    REQUIRE(f.ok());
    WriteAll(f->get(), "XXXX");
    CHECK((*f)->Truncate(11).ok());
    WriteAll(f->get(), "!");
  }
  CHECK(Slurp(ops, path) == "hello world!");

  CHECK(ops->TruncateFile(path, 5).ok());
  CHECK(Slurp(ops, path) == "hello");

  // OpenTruncate empties an existing file.
  {
    StatusOr<std::unique_ptr<WritableFile>> f = ops->OpenTruncate(path);
    REQUIRE(f.ok());
  }
  CHECK(Slurp(ops, path).empty());
}

TEST_CASE("PosixFileOps: ReadWholeFile of a file bigger than one read chunk") {
  ScopedTempDir dir;
  FileOps* ops = FileOps::Posix();
  std::string big;
  for (int i = 0; i < 200'000; ++i) big.push_back(static_cast<char>('a' + i % 26));
  REQUIRE(WriteFileAtomically(ops, dir.File("big"), big).ok());
  CHECK(Slurp(ops, dir.File("big")) == big);
}

TEST_CASE("PosixFileOps: directories, rename, remove, list") {
  ScopedTempDir dir;
  FileOps* ops = FileOps::Posix();
  const std::string sub = dir.File("appendonlydir");
  CHECK(ops->MakeDir(sub).ok());
  CHECK(ops->MakeDir(sub).ok());  // EEXIST is fine
  CHECK(ops->SyncDir(sub).ok());
  REQUIRE(WriteFileAtomically(ops, sub + "/x", "1").ok());
  REQUIRE(WriteFileAtomically(ops, sub + "/y", "2").ok());
  CHECK(ops->Rename(sub + "/x", sub + "/z").ok());
  CHECK(Slurp(ops, sub + "/z") == "1");
  StatusOr<std::vector<std::string>> names = ops->ListDir(sub);
  REQUIRE(names.ok());
  std::sort(names->begin(), names->end());
  CHECK(*names == std::vector<std::string>{"y", "z"});  // no ".", "..", nor temp files
  CHECK(ops->Remove(sub + "/y").ok());
  CHECK_FALSE(ops->Exists(sub + "/y"));
}

TEST_CASE("PosixFileOps: errors say what, where and why") {
  ScopedTempDir dir;
  FileOps* ops = FileOps::Posix();
  const std::string missing = dir.File("missing");

  StatusOr<std::unique_ptr<ReadableFile>> r = ops->OpenRead(missing);
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == Status::Code::kIo);
  CHECK(r.status().message() == "open " + missing + ": No such file or directory");

  StatusOr<uint64_t> size = ops->FileSize(missing);
  REQUIRE_FALSE(size.ok());
  CHECK(size.status().message() == "stat " + missing + ": No such file or directory");

  Status rm = ops->Remove(missing);
  CHECK(rm.message() == "unlink " + missing + ": No such file or directory");
  CHECK_FALSE(ops->Rename(missing, dir.File("b")).ok());
  CHECK_FALSE(ops->ListDir(missing).ok());
  CHECK_FALSE(ops->SyncDir(missing).ok());
  CHECK_FALSE(ops->TruncateFile(missing, 0).ok());
  CHECK_FALSE(ops->MakeDir(dir.File("no/such/parent")).ok());
  CHECK_FALSE(ops->OpenAppend(dir.File("no/such/file")).ok());
  CHECK(ReadWholeFile(ops, missing).status().code() == Status::Code::kIo);
}

TEST_CASE("WriteFileAtomically: writes, syncs, renames, syncs the directory") {
  ScopedTempDir dir;
  FaultyFileOps ops;
  const std::string path = dir.File("appendonly.aof.manifest");
  REQUIRE(WriteFileAtomically(&ops, path, "first\n").ok());
  CHECK(Slurp(&ops, path) == "first\n");
  REQUIRE(WriteFileAtomically(&ops, path, "second\n").ok());
  CHECK(Slurp(&ops, path) == "second\n");
  CHECK(ops.sync_calls() == 2);
  CHECK(ops.rename_calls() == 2);
  CHECK(ops.sync_dir_calls() == 2);
  CHECK_FALSE(ops.Exists(path + ".tmp"));
}

TEST_CASE("WriteFileAtomically: any failure leaves the old content intact") {
  ScopedTempDir dir;
  FaultyFileOps ops;
  const std::string path = dir.File("m");
  REQUIRE(WriteFileAtomically(&ops, path, "old\n").ok());

  SUBCASE("rename fails") {
    ops.FailRenames(1, EIO);
    Status s = WriteFileAtomically(&ops, path, "new\n");
    CHECK(s.code() == Status::Code::kIo);
    CHECK(s.message().find("Input/output error") != std::string::npos);
  }
  SUBCASE("write fails") {
    ops.FailWrites(1, ENOSPC);
    Status s = WriteFileAtomically(&ops, path, "new\n");
    CHECK(s.message() == "write " + path + ".tmp: No space left on device");
  }
  SUBCASE("short write then disk full") {
    ops.ShortWrite(2);
    ops.FailWrites(1, ENOSPC);
    CHECK_FALSE(WriteFileAtomically(&ops, path, "new\n").ok());
  }
  SUBCASE("fsync fails") {
    ops.FailSyncs(1, EIO);
    CHECK_FALSE(WriteFileAtomically(&ops, path, "new\n").ok());
  }
  CHECK(Slurp(&ops, path) == "old\n");
  CHECK_FALSE(ops.Exists(path + ".tmp"));  // cleaned up

  // A later attempt works (also over a stale temp file left by a crash).
  REQUIRE(WriteFileAtomically(FileOps::Posix(), path + ".tmp", "stale").ok());
  REQUIRE(WriteFileAtomically(&ops, path, "new\n").ok());
  CHECK(Slurp(&ops, path) == "new\n");
}

TEST_CASE("WriteFileAtomically: a lone short write is completed, not an error") {
  ScopedTempDir dir;
  FaultyFileOps ops;
  ops.ShortWrite(3);
  REQUIRE(WriteFileAtomically(&ops, dir.File("f"), "0123456789").ok());
  CHECK(Slurp(&ops, dir.File("f")) == "0123456789");
  CHECK(ops.write_calls() == 2);
}

TEST_CASE("FaultyFileOps: faults are used up, then calls pass through") {
  ScopedTempDir dir;
  FaultyFileOps ops;
  StatusOr<std::unique_ptr<WritableFile>> f = ops.OpenAppend(dir.File("f"));
  REQUIRE(f.ok());
  ops.FailWrites(2, EIO);
  StatusOr<size_t> n = (*f)->Write("abc", 3);
  REQUIRE_FALSE(n.ok());
  CHECK(n.status().message() == "write " + dir.File("f") + ": Input/output error");
  CHECK_FALSE((*f)->Write("abc", 3).ok());
  n = (*f)->Write("abc", 3);
  REQUIRE(n.ok());
  CHECK(*n == 3);

  ops.ShortWrite(10);  // more than asked: nothing written
  n = (*f)->Write("abc", 3);
  REQUIRE(n.ok());
  CHECK(*n == 0);

  ops.FailSyncs(1);
  CHECK_FALSE((*f)->Sync().ok());
  CHECK((*f)->Sync().ok());
  ops.FailTruncates(1);
  CHECK_FALSE((*f)->Truncate(0).ok());
  ops.FailWrites(5);
  ops.ClearFaults();
  CHECK((*f)->Write("d", 1).ok());
  CHECK(Slurp(&ops, dir.File("f")) == "abcd");
  CHECK(ops.write_calls() == 5);
  CHECK(ops.sync_calls() == 2);
  CHECK(ops.truncate_calls() == 1);
}

}  // namespace
}  // namespace pykv::persistence
