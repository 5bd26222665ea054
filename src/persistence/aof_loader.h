// AofLoader: rebuilds the data set from dir/appenddirname at start-up (and DEBUG LOADAOF):
// the manifest, then the base file, then every incremental file in manifest order.
//
//  - The base (a store/snapshot.h snapshot) goes straight into Keyspace::Set; keys whose
//    absolute expiry time has already passed are skipped (expired keys are not
//    resurrected). A RESP base (Redis-written) is replayed like an incremental file; an
//    RDB base is refused (Unsupported).
//  - Each command of an incremental file is handed to the callback, which the server
//    points at the dispatcher in loading mode. AofScanner decides what is trusted: in the
//    last file, commands are handed over only once their batch's checksum annotation has
//    been verified, so a torn tail is never half-applied; the other files must be clean.
//  - A base that records a replication position (store/snapshot.h) names the history and
//    offset its data set stands at; the incremental files continue from exactly there, so
//    the loader counts the bytes of every command it replays from them: the data set
//    loaded stands at the base's offset plus that count (loaded_position()).
//  - A torn tail of the last file (see AofScanner) is cut off with a warning when
//    load_truncated is set (aof-load-truncated), else loading fails. Any other damage, a
//    missing file, or a damaged base fails with Status::Corruption:
//      "Bad file format reading the append only file <file> at offset <N>: <reason>. ..."
//
// Driven in steps so the server's loop keeps answering PING and INFO meanwhile: Start()
// once, then Step(budget) from the loop until it returns true. Loop thread only; the
// callback runs inside Step.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/replication_position.h"
#include "common/status.h"
#include "persistence/aof_scanner.h"
#include "persistence/file_ops.h"
#include "persistence/manifest.h"
#include "resp/request_parser.h"
#include "store/keyspace.h"
#include "store/prefetch_window.h"
#include "store/snapshot.h"

namespace pykv::persistence {

struct AofLoaderOptions {
  std::string aof_dir;                             // dir + "/" + appenddirname
  std::string filename_prefix = "appendonly.aof";  // appendfilename
  bool load_truncated = true;                      // aof-load-truncated
  size_t chunk_bytes = 1024 * 1024;                // read size (tests make it tiny)
  // Seconds between progress lines in the log (0: none).
  double progress_log_interval_s = 1.0;
};

// What a torn tail cost (one per cut file; at most one today: the last file).
struct AofTruncation {
  std::string file;  // bare name in the AOF directory
  uint64_t offset;   // the new size
  uint64_t dropped;  // bytes cut off
  std::string reason;
};

struct AofLoadProgress {
  uint64_t bytes_total = 0;    // sum of the file sizes at Start()
  uint64_t bytes_done = 0;     // bytes read so far (monotonic)
  uint64_t base_keys = 0;      // keys set from the base
  uint64_t base_expired = 0;   // base keys skipped because their TTL had passed
  uint64_t commands = 0;       // commands handed to the callback
  uint64_t command_bytes = 0;  // their bytes in the incremental files (annotations excluded)
  size_t file_index = 0;       // index into the file list (== file_count when done)
  size_t file_count = 0;
  std::string current_file;  // bare name; empty when done
};

class AofLoader {
 public:
  using CommandFn = std::function<void(std::span<const std::string_view>)>;

  // ops, ks and fn must outlive the loader. The keyspace is written to directly (base)
  // and through fn (everything else).
  AofLoader(FileOps* ops, store::Keyspace* ks, CommandFn fn, AofLoaderOptions opts);
  ~AofLoader();
  AofLoader(const AofLoader&) = delete;
  AofLoader& operator=(const AofLoader&) = delete;

  // Reads the manifest and sizes the files. A missing directory or manifest means an
  // empty data set (Step then returns true at once). A file named by the manifest that
  // does not exist fails here.
  Status Start();
  // Works for about budget_us microseconds (at least one unit of work: a chunk or a
  // bounded run of records/commands). true when everything is loaded.
  StatusOr<bool> Step(int64_t budget_us);
  // Start + Step until done (tests, DEBUG LOADAOF).
  Status LoadAll();

  bool done() const { return state_ == State::kDone; }
  // False when there was no manifest (nothing to load).
  bool found_manifest() const { return manifest_.has_value(); }
  const std::optional<Manifest>& manifest() const { return manifest_; }
  std::string manifest_path() const;
  const AofLoadProgress& progress() const { return progress_; }
  const std::vector<AofTruncation>& truncations() const { return truncations_; }
  // Once done: the replication position of the data set loaded, when the base recorded
  // one (its offset plus the bytes of every command replayed after it); empty for no base,
  // a RESP base, or a base without a position.
  std::optional<ReplicationPosition> loaded_position() const;
  // Microseconds since Start().
  int64_t elapsed_us() const;

 private:
  enum class State { kNew, kFiles, kDone, kFailed };
  enum class Kind { kSnapshot, kResp };
  struct FileEntry {
    std::string name;
    std::string path;
    uint64_t size = 0;
    bool base = false;
  };
  struct Current;  // the file being read

  Status Fail(Status s);
  Status OpenFile(size_t index);
  // One unit of work on the current file. *file_done when it is finished.
  Status StepSnapshot(bool* file_done);
  Status StepResp(bool* file_done);
  Status FinishResp();
  // Reads the next chunk; *eof when the file has no more.
  Status ReadChunk(std::string_view* chunk, bool* eof);
  // Hands the lagging replayer's items to the callback up to `items` (last file only).
  Status ReplayUpTo(uint64_t items);
  Status CorruptionAt(const FileEntry& f, uint64_t offset, std::string_view reason) const;
  void MaybeLogProgress();
  void LogFileDone();

  FileOps* ops_;
  store::Keyspace* ks_;
  CommandFn fn_;
  AofLoaderOptions opts_;
  State state_ = State::kNew;
  Status error_;
  std::optional<Manifest> manifest_;
  std::vector<FileEntry> files_;
  std::unique_ptr<Current> cur_;
  store::PrefetchWindow prefetch_;  // hints for the keys of the commands replayed next
  std::unique_ptr<char[]> chunk_;
  AofLoadProgress progress_;
  std::vector<AofTruncation> truncations_;
  std::optional<ReplicationPosition> base_position_;  // from the base's header
  std::chrono::steady_clock::time_point start_time_;
  std::chrono::steady_clock::time_point file_start_time_;
  std::chrono::steady_clock::time_point last_log_;
};

}  // namespace pykv::persistence
