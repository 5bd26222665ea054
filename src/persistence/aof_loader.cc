#include "persistence/aof_loader.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <utility>

#include "persistence/snapshot_load.h"

namespace pykv::persistence {
namespace {

using Clock = std::chrono::steady_clock;

// Work between two looks at the clock: cheap enough to never overshoot a budget by much.
constexpr int kItemsPerCheck = 1024;
// Before a last file's first annotation (a Redis-written file, or a PyKV file's first
// batch) commands are held back until this many bytes wait, then replayed: a torn first
// batch that fails its checksum can then still be cut, while a big Redis file does not
// have to be held in memory whole.
constexpr size_t kMaxLagBytes = 32 * 1024 * 1024;

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

double Seconds(Clock::duration d) {
  return std::chrono::duration<double>(d).count();
}

}  // namespace

struct AofLoader::Current {
  size_t index = 0;
  Kind kind = Kind::kResp;
  bool last = false;
  std::unique_ptr<ReadableFile> file;
  bool eof = false;
  // Snapshot base.
  std::unique_ptr<store::SnapshotDecoder> decoder;
  std::unique_ptr<SnapshotInserter> inserter;
  // RESP files.
  std::unique_ptr<AofScanner> scanner;
  // Last file only: a second parser fed the same bytes that replays items only once the
  // scanner trusts them (see ReplayUpTo). Replaying from the scanner's own argv would
  // hand over commands of a batch before its checksum is known.
  resp::ParserLimits limits;
  std::unique_ptr<resp::RequestParser> replayer;
  uint64_t replayed = 0;
};

AofLoader::AofLoader(FileOps* ops, store::Keyspace* ks, CommandFn fn, AofLoaderOptions opts)
    : ops_(ops), ks_(ks), fn_(std::move(fn)), opts_(std::move(opts)) {
  opts_.chunk_bytes = std::max<size_t>(opts_.chunk_bytes, 1);
}

AofLoader::~AofLoader() = default;

std::string AofLoader::manifest_path() const {
  return opts_.aof_dir + "/" + Manifest::ManifestName(opts_.filename_prefix);
}

int64_t AofLoader::elapsed_us() const {
  if (state_ == State::kNew) return 0;
  return std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start_time_).count();
}

Status AofLoader::Fail(Status s) {
  state_ = State::kFailed;
  error_ = s;
  cur_.reset();
  return s;
}

Status AofLoader::CorruptionAt(const FileEntry& f, uint64_t offset, std::string_view reason) const {
  std::string msg = "Bad file format reading the append only file " + f.name + " at offset " +
                    std::to_string(offset) + ": ";
  msg.append(reason);
  if (cur_ && cur_->kind == Kind::kSnapshot) {
    msg += ". A damaged base snapshot cannot be repaired by truncation: run 'pykv-check-aof " +
           f.path + "' for details and restore the file from a backup";
  } else {
    msg += ". Make a backup of the AOF directory, then run 'pykv-check-aof --fix " + f.path +
           "' to cut the file at its last good offset";
  }
  return Status::Corruption(msg);
}

Status AofLoader::Start() {
  if (state_ != State::kNew) return Status::Invalid("AofLoader::Start called twice");
  start_time_ = Clock::now();
  last_log_ = start_time_;
  const std::string mpath = manifest_path();
  if (!ops_->Exists(mpath)) {
    // No manifest: nothing was ever written (or appendonly was just turned on).
    if (ops_->Exists(opts_.aof_dir)) {
      StatusOr<std::vector<std::string>> names = ops_->ListDir(opts_.aof_dir);
      if (names.ok()) {
        for (const std::string& n : *names) {
          if (n.rfind(opts_.filename_prefix + ".", 0) == 0) {
            spdlog::warn("The AOF directory {} holds {} but no manifest {}: starting empty",
                         opts_.aof_dir, n, Manifest::ManifestName(opts_.filename_prefix));
            break;
          }
        }
      }
    }
    state_ = State::kDone;
    return Status::Ok();
  }
  StatusOr<std::string> text = ReadWholeFile(ops_, mpath);
  if (!text.ok()) return Fail(text.status());
  StatusOr<Manifest> m = Manifest::Parse(*text);
  if (!m.ok()) {
    return Fail(Status::Corruption("Failed to load the AOF manifest " + mpath + ": " +
                                   m.status().message()));
  }
  manifest_ = std::move(*m);

  auto add = [&](const AofFileInfo& info, bool base) -> Status {
    FileEntry f;
    f.name = info.name;
    f.path = opts_.aof_dir + "/" + info.name;
    f.base = base;
    if (!ops_->Exists(f.path)) {
      return Status::Corruption("Bad file format reading the append only file " + f.name +
                                " at offset 0: the file named by the manifest " + mpath +
                                " does not exist. Restore it from a backup, or run "
                                "'pykv-check-aof " +
                                mpath + "' to check the others");
    }
    StatusOr<uint64_t> size = ops_->FileSize(f.path);
    if (!size.ok()) return size.status();
    f.size = *size;
    progress_.bytes_total += f.size;
    files_.push_back(std::move(f));
    return Status::Ok();
  };
  if (manifest_->base) {
    Status s = add(*manifest_->base, true);
    if (!s.ok()) return Fail(s);
  }
  for (const AofFileInfo& info : manifest_->incrs) {
    Status s = add(info, false);
    if (!s.ok()) return Fail(s);
  }
  progress_.file_count = files_.size();
  if (files_.empty()) {
    state_ = State::kDone;
    return Status::Ok();
  }
  spdlog::info("Loading the AOF from {}: {} file(s), {} bytes", opts_.aof_dir, files_.size(),
               progress_.bytes_total);
  chunk_ = std::make_unique_for_overwrite<char[]>(opts_.chunk_bytes);
  state_ = State::kFiles;
  Status s = OpenFile(0);
  if (!s.ok()) return Fail(s);
  return Status::Ok();
}

Status AofLoader::OpenFile(size_t index) {
  const FileEntry& f = files_[index];
  cur_ = std::make_unique<Current>();
  cur_->index = index;
  cur_->last = index + 1 == files_.size();
  progress_.file_index = index;
  progress_.current_file = f.name;
  file_start_time_ = Clock::now();
  StatusOr<std::unique_ptr<ReadableFile>> file = ops_->OpenRead(f.path);
  if (!file.ok()) return file.status();
  cur_->file = std::move(*file);

  // The base's format is told by its first bytes (PyKV snapshot, Redis RDB, or RESP).
  std::string head;
  if (f.base) {
    bool eof = false;
    while (head.size() < store::kSnapshotMagic.size() && !eof) {
      std::string_view chunk;
      Status s = ReadChunk(&chunk, &eof);
      if (!s.ok()) return s;
      head.append(chunk);
    }
    if (EndsWith(f.name, ".pkv") || head.starts_with(store::kSnapshotMagic)) {
      cur_->kind = Kind::kSnapshot;
    } else if (head.starts_with("REDIS")) {
      return Status::Unsupported("The AOF base file " + f.name +
                                 " is a Redis RDB file, which PyKV cannot load (rewrite it "
                                 "with Redis's aof-use-rdb-preamble no first)");
    }
  }
  const std::string_view first = head;
  if (cur_->kind == Kind::kSnapshot) {
    cur_->decoder = std::make_unique<store::SnapshotDecoder>();
    cur_->inserter = std::make_unique<SnapshotInserter>(ks_, /*skip_expired=*/true);
    cur_->decoder->set_total_size(f.size);
    cur_->decoder->Feed(first);
    spdlog::info("Reading the base snapshot {} ({} bytes)", f.name, f.size);
  } else {
    cur_->scanner = std::make_unique<AofScanner>(f.size);
    cur_->scanner->Feed(first);
    if (cur_->last) {
      cur_->limits = AofParserLimits(f.size);
      cur_->replayer = std::make_unique<resp::RequestParser>(&cur_->limits);
      cur_->replayer->Append(first);
    }
  }
  return Status::Ok();
}

Status AofLoader::ReadChunk(std::string_view* chunk, bool* eof) {
  StatusOr<size_t> n = cur_->file->Read(chunk_.get(), opts_.chunk_bytes);
  if (!n.ok()) return n.status();
  *chunk = std::string_view(chunk_.get(), *n);
  progress_.bytes_done += *n;
  if (*n == 0) {
    cur_->eof = true;
    *eof = true;
  }
  return Status::Ok();
}

Status AofLoader::LoadAll() {
  Status s = Start();
  if (!s.ok()) return s;
  for (;;) {
    StatusOr<bool> done = Step(1'000'000);
    if (!done.ok()) return done.status();
    if (*done) return Status::Ok();
  }
}

StatusOr<bool> AofLoader::Step(int64_t budget_us) {
  switch (state_) {
    case State::kNew:
      return Status::Invalid("AofLoader::Step before Start");
    case State::kFailed:
      return error_;
    case State::kDone:
      return true;
    case State::kFiles:
      break;
  }
  const Clock::time_point deadline = Clock::now() + std::chrono::microseconds(budget_us);
  for (;;) {
    bool file_done = false;
    Status s = cur_->kind == Kind::kSnapshot ? StepSnapshot(&file_done) : StepResp(&file_done);
    if (!s.ok()) return Fail(s);
    if (file_done) {
      LogFileDone();
      const size_t next = cur_->index + 1;
      if (next == files_.size()) {
        cur_.reset();
        chunk_.reset();
        state_ = State::kDone;
        progress_.file_index = files_.size();
        progress_.current_file.clear();
        spdlog::info("DB loaded from append only file: {:.3f} seconds ({} keys, {} commands)",
                     Seconds(Clock::now() - start_time_), ks_->size(), progress_.commands);
        return true;
      }
      s = OpenFile(next);
      if (!s.ok()) return Fail(s);
    }
    if (Clock::now() >= deadline) break;
  }
  MaybeLogProgress();
  return false;
}

Status AofLoader::StepSnapshot(bool* file_done) {
  Current& c = *cur_;
  store::SnapshotDecoder& dec = *c.decoder;
  const FileEntry& f = files_[c.index];
  const int64_t now_ms = ks_->clock()->NowMs();
  // Redis skips expired keys when a primary loads; a key whose time has passed must not
  // come back to life, and must not cost a DEL later either.
  StatusOr<store::SnapshotDecoder::Event> ev = c.inserter->InsertSome(dec, kItemsPerCheck, now_ms);
  if (!ev.ok()) return CorruptionAt(f, dec.error_offset(), dec.error_reason());
  progress_.base_keys = c.inserter->keys();
  progress_.base_expired = c.inserter->expired();
  if (*ev == store::SnapshotDecoder::Event::kRecord) return Status::Ok();  // the step's share
  // kEnd or kNeedMore. After the end block the file must end too: read on, so that
  // trailing bytes are seen (and reported by the decoder).
  if (c.eof) {
    Status s = dec.Finish();
    if (!s.ok()) return CorruptionAt(f, dec.error_offset(), dec.error_reason());
    c.inserter->Finish();
    base_position_ = dec.position();
    *file_done = true;
    return Status::Ok();
  }
  // Straight into the decoder's buffer: no copy of the snapshot's bytes. (The inserted
  // records' views are used up by now: PrepareWrite may move the buffer.)
  std::span<char> room = dec.PrepareWrite(opts_.chunk_bytes);
  StatusOr<size_t> read = c.file->Read(room.data(), std::min(room.size(), opts_.chunk_bytes));
  if (!read.ok()) return read.status();
  dec.CommitWrite(*read);
  progress_.bytes_done += *read;
  if (*read == 0) c.eof = true;
  return Status::Ok();
}

Status AofLoader::ReplayUpTo(uint64_t items) {
  Current& c = *cur_;
  while (c.replayed < items) {
    if (c.replayer->Next() != resp::RequestParser::Result::kCommand) {
      // Cannot happen: the replayer holds every byte the scanner accepted.
      return Status::Corruption("AOF replay lost step with the scanner in " + files_[c.index].name);
    }
    ++c.replayed;
    std::span<const std::string_view> argv = c.replayer->argv();
    if (!argv[0].empty() && argv[0][0] == '#') continue;  // an annotation line
    prefetch_.BeforeCommand(
        *ks_, [&c](std::span<std::string_view> out) { return c.replayer->PeekSecondArgs(out); });
    progress_.command_bytes += c.replayer->last_bytes().size();
    fn_(argv);
    ++progress_.commands;
  }
  return Status::Ok();
}

Status AofLoader::StepResp(bool* file_done) {
  Current& c = *cur_;
  AofScanner& sc = *c.scanner;
  const FileEntry& f = files_[c.index];
  for (int n = 0; n < kItemsPerCheck; ++n) {
    if (c.replayer) {
      // Replay what the scanner trusts; before the file's first annotation, only once
      // enough waits (see kMaxLagBytes).
      if (!sc.has_problem() && (sc.annotated() || c.replayer->buffered() > kMaxLagBytes)) {
        const uint64_t target = std::min(sc.good_items(), c.replayed + kItemsPerCheck);
        if (c.replayed < target) {
          Status s = ReplayUpTo(target);
          if (!s.ok()) return s;
          continue;
        }
      }
    }
    switch (sc.Next()) {
      case AofScanner::Result::kCommand:
        if (!c.replayer) {
          prefetch_.BeforeCommand(
              *ks_, [&sc](std::span<std::string_view> out) { return sc.PeekSecondArgs(out); });
          progress_.command_bytes += sc.last_bytes().size();
          fn_(sc.argv());
          ++progress_.commands;
        }
        break;
      case AofScanner::Result::kProblem:
        if (!c.last) {
          // Only the last file may have a torn tail: stop at the first problem.
          return CorruptionAt(f, sc.problem_offset(), sc.problem());
        }
        [[fallthrough]];
      case AofScanner::Result::kNeedMore: {
        if (c.eof) {
          Status s = FinishResp();
          if (!s.ok()) return s;
          *file_done = true;
          return Status::Ok();
        }
        std::string_view chunk;
        bool eof = false;
        Status s = ReadChunk(&chunk, &eof);
        if (!s.ok()) return s;
        sc.Feed(chunk);
        // After a problem the scanner only looks for later annotations; the replayer
        // will never get that far.
        if (c.replayer && !sc.has_problem()) {
          c.replayer->Append(chunk);
          if (c.replayer->capacity() > 8 * 1024 * 1024 &&
              c.replayer->buffered() * 4 < c.replayer->capacity()) {
            c.replayer->Compact();
          }
        }
        return Status::Ok();
      }
    }
  }
  return Status::Ok();
}

Status AofLoader::FinishResp() {
  Current& c = *cur_;
  AofScanner& sc = *c.scanner;
  const FileEntry& f = files_[c.index];
  sc.Finish();
  if (!c.last) {
    if (sc.damage() == AofDamage::kNone) return Status::Ok();
    std::string reason = sc.reason();
    if (sc.damage() == AofDamage::kTail) reason += "; only the last file may end torn";
    return CorruptionAt(f, sc.bad_offset(), reason);
  }
  switch (sc.damage()) {
    case AofDamage::kNone:
      return ReplayUpTo(sc.good_items());
    case AofDamage::kCorrupt:
      return CorruptionAt(f, sc.bad_offset(), sc.reason());
    case AofDamage::kTail:
      break;
  }
  const uint64_t dropped = f.size > sc.good_end() ? f.size - sc.good_end() : 0;
  if (!opts_.load_truncated) {
    return Status::Corruption("Unexpected end of file reading the append only file " + f.name +
                              " at offset " + std::to_string(sc.good_end()) + ": " + sc.reason() +
                              ". Set aof-load-truncated yes to start anyway (dropping the last " +
                              std::to_string(dropped) +
                              " bytes), or make a backup and run 'pykv-check-aof --fix " + f.path +
                              "'");
  }
  if (c.replayed > sc.good_items()) {
    // Commands before the file's first annotation were replayed early (more than
    // kMaxLagBytes of them) and then that annotation failed its check: the data set
    // already holds what the cut would remove.
    return CorruptionAt(f, sc.bad_offset(),
                        sc.reason() + " (too late to cut: commands before it were loaded)");
  }
  Status s = ReplayUpTo(sc.good_items());
  if (!s.ok()) return s;
  s = ops_->TruncateFile(f.path, sc.good_end());
  if (!s.ok()) return s;
  spdlog::warn(
      "!!! Warning: torn write at the end of the append only file {} !!! Truncated it at "
      "offset {}, dropping {} bytes: {}. AOF loaded anyway because aof-load-truncated is "
      "enabled",
      f.name, sc.good_end(), dropped, sc.reason());
  truncations_.push_back({f.name, sc.good_end(), dropped, sc.reason()});
  return Status::Ok();
}

std::optional<ReplicationPosition> AofLoader::loaded_position() const {
  if (state_ != State::kDone || !base_position_) return std::nullopt;
  return ReplicationPosition{base_position_->replid,
                             base_position_->offset + progress_.command_bytes};
}

void AofLoader::LogFileDone() {
  const FileEntry& f = files_[cur_->index];
  const double secs = Seconds(Clock::now() - file_start_time_);
  if (cur_->kind == Kind::kSnapshot) {
    spdlog::info("Done loading the base snapshot, keys loaded: {}, keys expired: {}.",
                 progress_.base_keys, progress_.base_expired);
    spdlog::info("DB loaded from base file {}: {:.3f} seconds", f.name, secs);
  } else {
    spdlog::info("DB loaded from {} file {}: {:.3f} seconds", f.base ? "base" : "incr", f.name,
                 secs);
  }
}

void AofLoader::MaybeLogProgress() {
  if (opts_.progress_log_interval_s <= 0) return;
  const Clock::time_point now = Clock::now();
  if (Seconds(now - last_log_) < opts_.progress_log_interval_s) return;
  last_log_ = now;
  const double elapsed = std::max(Seconds(now - start_time_), 1e-9);
  const double pct =
      progress_.bytes_total == 0
          ? 100.0
          : 100.0 * static_cast<double>(std::min(progress_.bytes_done, progress_.bytes_total)) /
                static_cast<double>(progress_.bytes_total);
  spdlog::info("Loading the AOF: {:.1f}% ({} keys, {} commands, {:.1f} MB/s), file {}", pct,
               ks_->size(), progress_.commands,
               static_cast<double>(progress_.bytes_done) / elapsed / 1e6, progress_.current_file);
}

}  // namespace pykv::persistence
