// The AOF failure policy end to end below the network: a real AofWriter on a real file,
// faults injected into its file operations, and the dispatcher answering writes with
// -MISCONF while the flusher reports an error, then accepting them again.
#include "server/aof_flusher.h"

#include <doctest/doctest.h>

#include <string>

#include "commands/dispatcher.h"
#include "commands/mutation_sink.h"
#include "persistence/aof_writer.h"
#include "resp/command_encoder.h"
#include "unit/commands/command_test_fixture.h"
#include "unit/persistence/faulty_file_ops.h"

namespace pykv::server {
namespace {

using persistence::testing::FaultyFileOps;
using persistence::testing::ScopedTempDir;

struct Rig {
  ScopedTempDir dir;
  FaultyFileOps ops;
  FakeClock clock;
  persistence::AofWriter writer{&ops, &clock, persistence::FsyncPolicy::kAlways};
  AofFlusher flusher{&clock};

  Rig() { REQUIRE(writer.Open(dir.path() + "/a.aof").ok()); }
  void Write(std::string_view cmd) {
    writer.buffer().append(cmd);
    writer.CommitAppended();
  }
};

TEST_CASE("ENOSPC turns into an error, retried once a second, cleared when the disk works") {
  Rig r;
  r.Write(resp::EncodeCommand(std::vector<std::string_view>{"SET", "a", "1"}));
  r.ops.FailWrites(1000, ENOSPC);
  r.flusher.Flush(r.writer);
  CHECK(r.flusher.error() == "No space left on device");
  CHECK(r.writer.durable_seq() < r.writer.appended_seq());

  // Within the retry interval nothing is attempted, even once the disk is fine.
  r.ops.ClearFaults();
  r.clock.AdvanceMs(AofFlusher::kRetryIntervalMs / 2);
  r.flusher.Flush(r.writer);
  CHECK_FALSE(r.flusher.error().empty());

  r.clock.AdvanceMs(AofFlusher::kRetryIntervalMs);
  r.flusher.Flush(r.writer);
  CHECK(r.flusher.error().empty());
  CHECK(r.writer.durable_seq() == r.writer.appended_seq());
}

TEST_CASE("a short write is an error and the batch lands whole on retry") {
  Rig r;
  std::string cmd = resp::EncodeCommand(std::vector<std::string_view>{"SET", "key", "value"});
  r.Write(cmd);
  r.ops.ShortWrite(5);
  r.ops.FailWrites(1, ENOSPC);
  r.flusher.Flush(r.writer);
  CHECK_FALSE(r.flusher.error().empty());
  r.ops.ClearFaults();
  r.clock.AdvanceMs(AofFlusher::kRetryIntervalMs);
  r.flusher.Flush(r.writer);
  CHECK(r.flusher.error().empty());
  StatusOr<std::string> text =
      persistence::ReadWholeFile(persistence::FileOps::Posix(), r.writer.path());
  REQUIRE(text.ok());
  CHECK(text->rfind(cmd, 0) == 0);  // the batch starts the file: no partial bytes before it
}

TEST_CASE("EIO on fsync under always is never acknowledged") {
  Rig r;
  r.Write(resp::EncodeCommand(std::vector<std::string_view>{"SET", "a", "1"}));
  r.ops.FailSyncs(1, EIO);
  r.flusher.Flush(r.writer);
  CHECK(r.flusher.error() == "Input/output error");
  CHECK(r.writer.durable_seq() < r.writer.appended_seq());
  r.clock.AdvanceMs(AofFlusher::kRetryIntervalMs);
  r.flusher.Flush(r.writer);
  CHECK(r.flusher.error().empty());
  CHECK(r.writer.durable_seq() == r.writer.appended_seq());
}

// The dispatcher refuses writes with MISCONF exactly while the flusher reports an error.
TEST_CASE("MISCONF while the AOF fails, writes accepted again afterwards") {
  cmd::testing::CommandTest t;
  Rig r;
  r.Write("*1\r\n$4\r\nPING\r\n");
  r.ops.FailWrites(1000, ENOSPC);
  r.flusher.Flush(r.writer);
  t.server.persistence_error = r.flusher.error();
  CHECK(t.Run({"SET", "k", "v"}) ==
        "-MISCONF Errors writing to the AOF file: No space left on device\r\n");
  CHECK(t.Run({"GET", "k"}) == "$-1\r\n");  // reads still work
  r.ops.ClearFaults();
  r.clock.AdvanceMs(AofFlusher::kRetryIntervalMs);
  r.flusher.Flush(r.writer);
  t.server.persistence_error = r.flusher.error();
  CHECK(t.Run({"SET", "k", "v"}) == "+OK\r\n");
}

}  // namespace
}  // namespace pykv::server
