#include "server/persistence_service.h"

#include <spdlog/spdlog.h>

#include <cstdio>
#include <string>

#include "common/info_field.h"
#include "common/numbers.h"

namespace pykv::server {

namespace {
constexpr int64_t kLoadSliceUs = 20000;  // one loading step; the loop polls between
}  // namespace

PersistenceService::PersistenceService(CommandClock* clock, store::Keyspace* keyspace,
                                       const Settings* settings, journal::Journal* journal)
    : clock_(clock), keyspace_(keyspace), settings_(settings), journal_(journal), flusher_(clock) {
  last_save_unix_ = clock_->NowMs() / 1000;
}

PersistenceService::~PersistenceService() {
  loader_.reset();
  FeedAof();
  aof_.reset();
  UpdateAofReader();
}

persistence::AofOptions PersistenceService::OptionsFromSettings() const {
  const Settings& s = *settings_;
  persistence::AofOptions o;
  o.dir = s.appenddirname;  // relative to dir, which is the working directory
  o.prefix = s.appendfilename;
  StatusOr<persistence::FsyncPolicy> p = persistence::ParseFsyncPolicy(s.appendfsync);
  o.fsync = p.ok() ? *p : persistence::FsyncPolicy::kEverySec;
  return o;
}

uint64_t PersistenceService::offset() const {
  return journal_->offset();
}

void PersistenceService::Propagate(cmd::Args argv, std::string_view encoded) {
  // One encoding, for the AOF and for replica links alike: the client's own bytes when
  // they are the command's encoding.
  if (encoded.empty()) {
    journal_->Append(argv);
  } else {
    journal_->AppendEncoded(encoded);
  }
}

void PersistenceService::FeedAof() {
  if (!aof_reader_ || !aof_ || !aof_->writer_ready()) return;
  persistence::AofWriter& w = aof_->writer();
  journal_->TakeAll(*aof_reader_, &w.buffer());
  w.CommitAppended();
}

std::optional<ReplicationPosition> PersistenceService::CurrentPosition() const {
  if (!position_fn_) return std::nullopt;
  return position_fn_();
}

void PersistenceService::ResetJournalOffset(uint64_t offset) {
  FeedAof();
  const uint64_t before = journal_->offset();
  journal_->Reset(offset);
  // The writer's byte count did not move: the journal's offset did (unsigned arithmetic
  // wraps, so a move back works the same).
  if (aof_reader_) aof_offset_delta_ += offset - before;
}

void PersistenceService::UpdateAofReader() {
  const bool open = aof_ && aof_->writer_ready();
  if (open && !aof_reader_) {
    aof_reader_ = journal_->AddReader();
    aof_offset_delta_ = journal_->offset() - aof_->writer().appended_seq();
  } else if (!open && aof_reader_) {
    journal_->RemoveReader(*aof_reader_);
    aof_reader_.reset();
  }
}

std::unique_ptr<persistence::AofLoader> PersistenceService::MakeLoader() {
  loader_client_.kind = cmd::ClientKind::kAofLoader;
  loader_client_.authenticated = true;
  persistence::AofLoaderOptions o;
  o.aof_dir = aof_->options().dir;
  o.filename_prefix = aof_->options().prefix;
  o.load_truncated = settings_->aof_load_truncated;
  return std::make_unique<persistence::AofLoader>(
      persistence::FileOps::Posix(), keyspace_,
      [this](std::span<const std::string_view> argv) {
        // The loader is an internal client: CLIENT PAUSE never postpones it.
        (void)dispatcher_->Execute(loader_client_, discard_writer_, argv);
      },
      std::move(o));
}

Status PersistenceService::StartLoading() {
  aof_ = std::make_unique<persistence::Aof>(persistence::FileOps::Posix(), clock_,
                                            OptionsFromSettings());
  Status s = aof_->Init();
  if (!s.ok()) return s;
  loader_ = MakeLoader();
  s = loader_->Start();
  if (!s.ok()) return s;
  dispatcher_->set_loading(true);
  // Keys whose TTL ran out while the server was down are removed after loading, through
  // the normal expiry path (which logs DEL), never resurrected.
  keyspace_->set_expire_enabled(false);
  loading_started_ms_ = clock_->NowMs();
  return Status::Ok();
}

StatusOr<bool> PersistenceService::LoadStep() {
  // One instant per slice of a few milliseconds: every key loaded in it is judged against
  // the same time, for one clock read instead of one or two per key.
  StatusOr<bool> done = [this] {
    CommandClock::Scope frozen(clock_);
    return loader_->Step(kLoadSliceUs);
  }();
  if (!done.ok()) {
    loader_.reset();
    return done.status();
  }
  if (!*done) return true;
  Status s = FinishLoading();
  if (!s.ok()) return s;
  return false;
}

Status PersistenceService::FinishLoading() {
  loaded_position_ = loader_->loaded_position();
  loader_.reset();
  keyspace_->set_expire_enabled(true);
  dispatcher_->set_loading(false);
  Status s = aof_->OpenForAppend();
  UpdateAofReader();
  if (!s.ok()) return s;
  loading_started_ms_ = 0;
  return Status::Ok();
}

Status PersistenceService::LoadAllNow() {
  if (!aof_) return Status::Invalid("ERR The append only file is disabled (appendonly no)");
  if (aof_->initial_rewrite_pending()) {
    // The files do not hold the data set yet: loading them would lose it.
    return Status::Invalid(
        "ERR The initial AOF is still being written (CONFIG SET appendonly yes); try again "
        "once INFO persistence shows aof_rewrite_in_progress:0");
  }
  FeedAof();
  Status s = aof_->writer().Flush();
  if (s.ok()) s = aof_->writer().SyncNow();
  if (!s.ok()) return Status::IoError("ERR Error flushing the AOF: " + s.message());
  keyspace_->Clear();
  std::unique_ptr<persistence::AofLoader> loader = MakeLoader();
  // A replica keeps expiry off (its primary removes keys); a primary turns it back on.
  const bool expire_was_enabled = keyspace_->expire_enabled();
  keyspace_->set_expire_enabled(false);
  s = loader->LoadAll();
  keyspace_->set_expire_enabled(expire_was_enabled);
  if (!s.ok()) return Status::Corruption("ERR Error loading the AOF: " + s.message());
  return Status::Ok();
}

void PersistenceService::Flush() {
  if (!aof_ || !aof_->writer_ready()) return;
  FeedAof();
  flusher_.Flush(aof_->writer());
}

uint64_t PersistenceService::durable_offset() const {
  if (!aof_reader_ || !aof_ || !aof_->writer_ready()) return UINT64_MAX;
  return aof_->writer().durable_seq() + aof_offset_delta_;
}

void PersistenceService::ApplyFsyncPolicy() {
  if (!aof_ || !aof_->writer_ready()) return;
  StatusOr<persistence::FsyncPolicy> p = persistence::ParseFsyncPolicy(settings_->appendfsync);
  if (p.ok()) aof_->writer().set_policy(*p);
}

uint64_t PersistenceService::Shutdown() {
  if (!aof_) return UINT64_MAX;
  FeedAof();
  if (aof_->initial_rewrite_pending()) {
    // CONFIG SET appendonly yes is still writing the data set: finish it here rather
    // than exit with no AOF (Redis refuses to shut down in this state instead).
    spdlog::warn("Writing the initial AOF in the foreground before exiting");
    Status s = aof_->CompleteInitialRewriteNow(*keyspace_, CurrentPosition());
    if (!s.ok()) spdlog::warn("Could not write the initial AOF: {}", s.message());
  }
  // Everything acknowledged or about to be is written and fsynced before anyone is told.
  // The initial rewrite, finished just now, may have opened the writer.
  UpdateAofReader();
  FeedAof();
  const uint64_t delta = aof_offset_delta_;
  const bool had_reader = aof_reader_.has_value();
  Status s = aof_->Shutdown();
  if (!s.ok()) spdlog::warn("Error closing the AOF at shutdown: {}", s.message());
  const bool still_open = aof_->writer_ready();
  UpdateAofReader();
  if (still_open || !s.ok()) {
    // Not everything reached the file: only what did may be acknowledged.
    return had_reader ? aof_->writer().durable_seq() + delta : 0;
  }
  return UINT64_MAX;
}

void PersistenceService::Cron(int64_t now) {
  if (!aof_) return;
  FeedAof();
  aof_->PollRewrite();
  UpdateAofReader();
  const Settings& s = *settings_;
  const bool initial = aof_->initial_rewrite_pending();
  const bool due = initial ? now - last_initial_rewrite_try_ms_ >= kInitialRewriteRetryMs
                           : aof_->writer_ready() && flusher_.error().empty() &&
                                 aof_->ShouldAutoRewrite(s.auto_aof_rewrite_percentage,
                                                         s.auto_aof_rewrite_min_size);
  if (!due || aof_->rewrite_in_progress()) return;
  int64_t wait_ms = 0;
  if (!rewrite_backoff_.MayStart(now, aof_->rewrite_stats().consecutive_failures, &wait_ms)) {
    if (wait_ms > 0) {
      spdlog::warn("Background AOF rewrite has failed {} times in a row; next try in {} minutes",
                   aof_->rewrite_stats().consecutive_failures, wait_ms / 60000);
    }
    return;
  }
  FeedAof();
  if (initial) {
    // The first rewrite after CONFIG SET appendonly yes failed: until one succeeds the
    // data set is not on disk, so keep trying (Redis reschedules it the same way).
    last_initial_rewrite_try_ms_ = now;
    Status st = aof_->StartBackgroundRewrite(*keyspace_, CurrentPosition());
    if (!st.ok()) spdlog::warn("Retrying the initial AOF rewrite: {}", st.message());
    return;
  }
  spdlog::info("Starting automatic rewriting of AOF on {}% growth", s.auto_aof_rewrite_percentage);
  Status st = aof_->StartBackgroundRewrite(*keyspace_, CurrentPosition());
  if (!st.ok()) spdlog::warn("{}", st.message());
}

Status PersistenceService::BackgroundRewrite() {
  if (!aof_ || !aof_->writer_ready()) {
    return Status::Invalid("ERR The append only file is disabled (appendonly no)");
  }
  FeedAof();
  return aof_->StartBackgroundRewrite(*keyspace_, CurrentPosition());
}

Status PersistenceService::SaveNow() {
  if (!aof_ || !aof_->writer_ready()) {
    return Status::Invalid("ERR The append only file is disabled (appendonly no)");
  }
  FeedAof();
  Status s = aof_->RewriteNow(*keyspace_, CurrentPosition());
  UpdateAofReader();
  if (!s.ok()) return Status::IoError("ERR " + s.message());
  last_save_unix_ = clock_->NowMs() / 1000;
  return Status::Ok();
}

Status PersistenceService::DebugReload(bool rewrite_first) {
  if (rewrite_first) {
    Status s = SaveNow();
    if (!s.ok()) return s;
  }
  return LoadAllNow();
}

Status PersistenceService::Enable() {
  if (aof_) return Status::Ok();
  auto aof = std::make_unique<persistence::Aof>(persistence::FileOps::Posix(), clock_,
                                                OptionsFromSettings());
  // Files left from an earlier run hold data this server no longer has; the base the
  // child writes replaces them (and start-up removes what no manifest names). As in
  // Redis, the data set is written in the background: the loop keeps serving.
  Status s = aof->InitFresh();
  if (s.ok()) s = aof->StartInitialRewrite(*keyspace_, CurrentPosition());
  if (!s.ok()) return s;
  aof_ = std::move(aof);
  UpdateAofReader();
  last_initial_rewrite_try_ms_ = clock_->NowMs();
  spdlog::info("AOF enabled: writing the data set to {} in the background", aof_->options().dir);
  return Status::Ok();
}

void PersistenceService::Disable() {
  if (!aof_) return;
  FeedAof();
  aof_.reset();  // aborts a rewrite, flushes and fsyncs, closes
  UpdateAofReader();
  flusher_.Reset();
  spdlog::info("AOF disabled");
}

std::string PersistenceService::Info() {
  std::string o = "# Persistence\r\n";
  auto f = [&o](std::string_view k, std::string_view v) { AppendInfoField(&o, k, v); };
  auto n = [&o](std::string_view k, int64_t v) { AppendInfoField(&o, k, v); };
  int64_t now = clock_->NowMs();
  const bool loading = loader_ != nullptr;
  n("loading", loading ? 1 : 0);
  n("async_loading", 0);
  if (loading) {
    const persistence::AofLoadProgress& p = loader_->progress();
    n("loading_start_time", loading_started_ms_ / 1000);
    n("loading_total_bytes", static_cast<int64_t>(p.bytes_total));
    n("loading_loaded_bytes", static_cast<int64_t>(p.bytes_done));
    double perc = p.bytes_total ? 100.0 * p.bytes_done / p.bytes_total : 0;
    char buf[32];
    std::snprintf(buf, sizeof(buf), "%.2f%%", perc);
    f("loading_loaded_perc", buf);
    double elapsed = static_cast<double>(now - loading_started_ms_) / 1000.0;
    int64_t eta =
        p.bytes_done ? static_cast<int64_t>(elapsed * (p.bytes_total - p.bytes_done) / p.bytes_done)
                     : 1;
    n("loading_eta_seconds", eta);
    n("loading_keys_loaded", static_cast<int64_t>(keyspace_->size()));
  }
  n("rdb_changes_since_last_save", static_cast<int64_t>(dispatcher_->stats().dirty));
  n("rdb_bgsave_in_progress", 0);
  n("rdb_last_save_time", last_save_unix_);
  f("rdb_last_bgsave_status", "ok");
  const bool on = aof_ != nullptr;
  n("aof_enabled", on ? 1 : 0);
  n("aof_rewrite_in_progress", on && aof_->rewrite_in_progress() ? 1 : 0);
  n("aof_rewrite_scheduled", 0);
  const persistence::RewriteStats* rs = on ? &aof_->rewrite_stats() : nullptr;
  n("aof_last_rewrite_time_sec", rs ? rs->last_duration_sec : -1);
  n("aof_current_rewrite_time_sec",
    rs && rs->started_ms && aof_->rewrite_in_progress() ? (now - rs->started_ms) / 1000 : -1);
  f("aof_last_bgrewrite_status", !rs || rs->last_ok ? "ok" : "err");
  n("aof_rewrites", rs ? static_cast<int64_t>(rs->rewrites) : 0);
  n("aof_rewrites_consecutive_failures", rs ? static_cast<int64_t>(rs->consecutive_failures) : 0);
  f("aof_last_write_status", flusher_.error().empty() ? "ok" : "err");
  if (on && aof_->writer_ready()) {
    const persistence::AofWriter& w = aof_->writer();
    n("aof_current_size", static_cast<int64_t>(aof_->current_size()));
    n("aof_base_size", static_cast<int64_t>(aof_->base_size()));
    n("aof_pending_rewrite", 0);
    const uint64_t in_journal = aof_reader_ ? journal_->unread_size(*aof_reader_) : 0;
    n("aof_buffer_length", static_cast<int64_t>(w.appended_seq() - w.durable_seq() + in_journal));
    n("aof_pending_bio_fsync", 0);
    n("aof_delayed_fsync", 0);
    n("aof_fsyncs", static_cast<int64_t>(w.fsync_count()));
    if (!flusher_.error().empty()) f("aof_last_write_error", flusher_.error());
  }
  n("latest_fork_usec", rs ? rs->last_fork_usec : 0);
  return o;
}

}  // namespace pykv::server
