// The replication position through a real AOF directory: a rewrite's base records the
// position it was given, the incremental file after it starts at that offset, and the
// loader gives back the base's offset plus what was appended since.
#include <doctest/doctest.h>

#include <chrono>
#include <optional>
#include <string>
#include <thread>

#include "aof_test_files.h"
#include "common/clock.h"
#include "faulty_file_ops.h"
#include "persistence/aof.h"
#include "persistence/aof_loader.h"
#include "store/keyspace.h"
#include "store/snapshot.h"

namespace pykv::persistence {
namespace {

using testing::Cmd;
using testing::ScopedTempDir;

constexpr int64_t kNow = 1'700'000'000'000;
const std::string kReplid = "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c";

struct Setup {
  ScopedTempDir dir;
  FakeClock clock{kNow};
  store::Keyspace ks{&clock, {3}};
  AofOptions options;

  Setup() {
    options.dir = dir.File("appendonlydir");
    options.prefix = "appendonly.aof";
    options.fsync = FsyncPolicy::kAlways;
  }

  // What the server's mutation sink does: the change in the keyspace, its bytes to the
  // writer, written out.
  static uint64_t Append(Aof& aof, store::Keyspace& ks, std::string_view key,
                         std::string_view value) {
    ks.Set(key, value);
    const std::string bytes = Cmd({"SET", key, value});
    aof.writer().buffer() += bytes;
    aof.writer().CommitAppended();
    REQUIRE(aof.writer().Flush().ok());
    return bytes.size();
  }

  std::optional<ReplicationPosition> Load(uint64_t* commands = nullptr) {
    FakeClock clock2{kNow};
    store::Keyspace loaded{&clock2, {3}};
    uint64_t n = 0;
    AofLoaderOptions lo;
    lo.aof_dir = options.dir;
    lo.progress_log_interval_s = 0;
    AofLoader loader(
        FileOps::Posix(), &loaded, [&](std::span<const std::string_view>) { ++n; }, lo);
    Status s = loader.LoadAll();
    REQUIRE_MESSAGE(s.ok(), s.message());
    if (commands != nullptr) *commands = n;
    return loader.loaded_position();
  }
};

TEST_CASE("Aof: SAVE's base records the position; loading adds what was appended after") {
  Setup t;
  uint64_t after = 0;
  {
    Aof aof(FileOps::Posix(), &t.clock, t.options);
    REQUIRE(aof.Init().ok());
    REQUIRE(aof.OpenForAppend().ok());
    Setup::Append(aof, t.ks, "before", "1");  // in the old file, covered by the base
    REQUIRE(aof.RewriteNow(t.ks, ReplicationPosition{kReplid, 5000}).ok());
    after += Setup::Append(aof, t.ks, "a", "1");
    after += Setup::Append(aof, t.ks, "b", std::string(1000, 'v'));
    REQUIRE(aof.Shutdown().ok());
  }
  uint64_t commands = 0;
  std::optional<ReplicationPosition> pos = t.Load(&commands);
  CHECK(commands == 2);
  REQUIRE(pos.has_value());
  CHECK(pos->replid == kReplid);
  CHECK(pos->offset == 5000 + after);
}

TEST_CASE("Aof: a background rewrite records the position of its fork") {
  Setup t;
  uint64_t after = 0;
  {
    Aof aof(FileOps::Posix(), &t.clock, t.options);
    REQUIRE(aof.Init().ok());
    REQUIRE(aof.OpenForAppend().ok());
    REQUIRE(aof.RewriteNow(t.ks, ReplicationPosition{kReplid, 10}).ok());
    Setup::Append(aof, t.ks, "x", "1");
    REQUIRE(aof.StartBackgroundRewrite(t.ks, ReplicationPosition{kReplid, 777}).ok());
    // Written while the child runs: after the fork, so in the new incremental file.
    after += Setup::Append(aof, t.ks, "y", "2");
    bool finished = false;
    for (int i = 0; i < 2000 && !finished; ++i) {
      finished = aof.PollRewrite();
      if (!finished) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    REQUIRE(finished);
    REQUIRE(aof.rewrite_stats().last_ok);
    after += Setup::Append(aof, t.ks, "z", "3");
    REQUIRE(aof.Shutdown().ok());
  }
  std::optional<ReplicationPosition> pos = t.Load();
  REQUIRE(pos.has_value());
  CHECK(pos->offset == 777 + after);
}

TEST_CASE("Aof: a rewrite without a position writes a base that restores none") {
  Setup t;
  {
    Aof aof(FileOps::Posix(), &t.clock, t.options);
    REQUIRE(aof.Init().ok());
    REQUIRE(aof.OpenForAppend().ok());
    Setup::Append(aof, t.ks, "a", "1");
    REQUIRE(aof.RewriteNow(t.ks).ok());
    Setup::Append(aof, t.ks, "b", "2");
    REQUIRE(aof.Shutdown().ok());
  }
  CHECK_FALSE(t.Load().has_value());
}

}  // namespace
}  // namespace pykv::persistence
