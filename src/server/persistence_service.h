// PersistenceService: the server's side of the AOF. It loads the data set at start-up
// (sliced, so clients get -LOADING and INFO meanwhile), is the dispatcher's mutation sink
// (one RESP encoding of every change into the journal, whose offset is the ack barrier;
// the AOF writer is a journal reader while its file is open), writes the AOF before
// replies go out, runs compaction from the cron
// (with back-off), and serves the commands that act on it (BGREWRITEAOF, SAVE, DEBUG
// RELOAD, CONFIG SET appendonly) and INFO persistence. Every rewrite records the
// replication position (from the function the server sets) in its base, and loading gives
// back the position of the data set loaded, so a restarted server can take up its
// replication history where the AOF left it. Owned by the Server; loop thread.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "commands/client_state.h"
#include "commands/dispatcher.h"
#include "commands/mutation_sink.h"
#include "common/clock.h"
#include "common/replication_position.h"
#include "common/status.h"
#include "journal/journal.h"
#include "persistence/aof.h"
#include "persistence/aof_loader.h"
#include "persistence/rewrite_backoff.h"
#include "resp/reply_writer.h"
#include "server/aof_flusher.h"
#include "server/config.h"
#include "store/keyspace.h"

namespace pykv::server {

class PersistenceService final : public cmd::MutationSink {
 public:
  PersistenceService(CommandClock* clock, store::Keyspace* keyspace, const Settings* settings,
                     journal::Journal* journal);
  ~PersistenceService() override;
  // The dispatcher runs the replayed commands; it is built after this sink.
  void set_dispatcher(cmd::Dispatcher* dispatcher) { dispatcher_ = dispatcher; }
  // Where the data set stands in its replication history right now (the replication id
  // and the journal offset); every rewrite records it in its base at the fork. Unset or
  // empty: bases without a position.
  using ReplicationPositionFn = std::function<std::optional<ReplicationPosition>()>;
  void set_replication_position_fn(ReplicationPositionFn fn) { position_fn_ = std::move(fn); }

  // ---- cmd::MutationSink ----
  void Propagate(cmd::Args argv, std::string_view encoded = {}) override;
  uint64_t offset() const override;

  // Everything up to this journal offset is written (and under always, fsynced);
  // UINT64_MAX without an open AOF, so nothing waits.
  uint64_t durable_offset() const;

  // Start-up: reads the manifest and starts loading (LOADING until done).
  Status StartLoading();
  // One slice of loading: true when more remains, false when done; an error stops the
  // server.
  StatusOr<bool> LoadStep();
  // After start-up loading: the replication position of the data set loaded, when the
  // AOF's base recorded one (see persistence::AofLoader::loaded_position).
  const std::optional<ReplicationPosition>& loaded_replication_position() const {
    return loaded_position_;
  }
  // Moves the journal to `offset` (a position restored from the AOF) with the AOF reader
  // attached: what the journal holds goes to the writer first, and the translation of the
  // writer's durable point into a journal offset follows the move.
  void ResetJournalOffset(uint64_t offset);
  // Writes (and per policy fsyncs) what the mutations of this iteration appended.
  void Flush();
  // Rewrite polling, automatic and retried rewrites.
  void Cron(int64_t now_ms);
  // Shutdown: finishes a pending initial rewrite, flushes, fsyncs and closes; returns the
  // offset clients may be told about.
  uint64_t Shutdown();
  // CONFIG SET appendonly yes / no, appendfsync.
  Status Enable();
  void Disable();
  bool enabled() const { return aof_ != nullptr; }
  void ApplyFsyncPolicy();

  Status BackgroundRewrite();
  Status SaveNow();
  Status DebugReload(bool rewrite_first);
  // Non-empty while the AOF cannot be written (-MISCONF).
  const std::string& error() const { return flusher_.error(); }
  int64_t last_save_unix() const { return last_save_unix_; }
  std::string Info();

 private:
  persistence::AofOptions OptionsFromSettings() const;
  std::unique_ptr<persistence::AofLoader> MakeLoader();
  Status FinishLoading();
  // Loads the whole AOF synchronously (DEBUG LOADAOF/RELOAD).
  Status LoadAllNow();
  // Moves what the journal holds for the AOF into the writer's buffer. Every path that
  // may flush, switch or close the AOF file calls it first, so bytes appended before a
  // rewrite's fork land in the old file, never in the new one.
  void FeedAof();
  // The AOF reads the journal exactly while its writer is open: attaches or detaches the
  // reader after anything that may open or close the file.
  void UpdateAofReader();
  // For a rewrite starting now (after FeedAof: the journal offset is the fork's).
  std::optional<ReplicationPosition> CurrentPosition() const;

  CommandClock* clock_;
  store::Keyspace* keyspace_;
  const Settings* settings_;
  journal::Journal* journal_;
  std::optional<journal::Journal::ReaderId> aof_reader_;
  // Journal offset minus the writer's own byte count: the two advance together from the
  // moment the reader attaches, so durable_seq() + this is a journal offset.
  uint64_t aof_offset_delta_ = 0;
  ReplicationPositionFn position_fn_;
  std::optional<ReplicationPosition> loaded_position_;
  cmd::Dispatcher* dispatcher_ = nullptr;
  AofFlusher flusher_;  // non-empty error() while the AOF cannot be written
  std::unique_ptr<persistence::Aof> aof_;
  // CONFIG SET appendonly yes: when the initial rewrite was last started (retries).
  static constexpr int64_t kInitialRewriteRetryMs = 1000;
  int64_t last_initial_rewrite_try_ms_ = 0;
  persistence::RewriteBackoff rewrite_backoff_;  // spaces out cron rewrites that keep failing
  std::unique_ptr<persistence::AofLoader> loader_;
  cmd::ClientState loader_client_;
  resp::ReplyWriter discard_writer_;  // replies of replayed commands go nowhere
  int64_t loading_started_ms_ = 0;
  int64_t last_save_unix_ = 0;
};

}  // namespace pykv::server
