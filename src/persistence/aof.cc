#include "persistence/aof.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "common/logging.h"
#include "store/keyspace.h"
#include "store/snapshot.h"

namespace pykv::persistence {

namespace {
constexpr std::string_view kTempPrefix = "temp-rewriteaof-";
}  // namespace

Status WriteSnapshotFile(FileOps* ops, const store::Keyspace& keyspace, int64_t now_ms,
                         const std::string& path,
                         const std::optional<ReplicationPosition>& position) {
  StatusOr<std::unique_ptr<WritableFile>> f = ops->OpenTruncate(path);
  if (!f.ok()) return f.status();
  WritableFile* file = f->get();
  auto sink = [file](std::string_view bytes) -> Status {
    while (!bytes.empty()) {
      StatusOr<size_t> n = file->Write(bytes.data(), bytes.size());
      if (!n.ok()) return n.status();
      if (*n == 0) return Status::IoError("write " + file->path() + ": No space left on device");
      bytes.remove_prefix(*n);
    }
    return Status::Ok();
  };
  Status s =
      store::EncodeKeyspace(keyspace, now_ms, sink, nullptr, store::kSnapshotBlockSize, position);
  if (s.ok()) s = file->Sync();
  Status c = file->Close();
  return s.ok() ? c : s;
}

Aof::Aof(FileOps* ops, const Clock* clock, AofOptions options)
    : ops_(ops), clock_(clock), options_(std::move(options)), child_(clock) {}

Aof::~Aof() {
  AbortRewrite();
  if (writer_ && writer_->is_open()) {
    Status s = writer_->Close();
    if (!s.ok()) spdlog::warn("Closing the AOF: {}", s.message());
  }
}

std::string Aof::ManifestPath() const {
  return PathOf(Manifest::ManifestName(options_.prefix));
}

uint64_t Aof::FileSizeOr0(const std::string& name) const {
  StatusOr<uint64_t> n = ops_->FileSize(PathOf(name));
  return n.ok() ? *n : 0;
}

Status Aof::Init() {
  Status s = ops_->MakeDir(options_.dir);
  if (!s.ok()) return s;
  const std::string mpath = ManifestPath();
  if (!ops_->Exists(mpath)) {
    manifest_ = Manifest{};
    return Status::Ok();
  }
  StatusOr<std::string> text = ReadWholeFile(ops_, mpath);
  if (!text.ok()) return text.status();
  StatusOr<Manifest> m = Manifest::Parse(*text);
  if (!m.ok()) return Status::Corruption(mpath + ": " + m.status().message());
  manifest_ = std::move(*m);
  // A crash during a rewrite can leave a temp snapshot, or (between writing the new
  // manifest and deleting the old files) files the manifest no longer names.
  StatusOr<std::vector<std::string>> names = ops_->ListDir(options_.dir);
  if (names.ok()) {
    const std::string ours = options_.prefix + ".";
    for (const std::string& n : *names) {
      bool named = (manifest_.base && manifest_.base->name == n) ||
                   n == Manifest::ManifestName(options_.prefix);
      for (const AofFileInfo& f : manifest_.incrs) named = named || f.name == n;
      bool leftover = n.rfind(kTempPrefix, 0) == 0 || (n.rfind(ours, 0) == 0 && !named);
      if (!leftover) continue;
      spdlog::info("Removing AOF leftover {}", n);
      Status r = ops_->Remove(PathOf(n));
      if (!r.ok()) spdlog::warn("Could not remove {}: {}", n, r.message());
    }
  }
  return Status::Ok();
}

Status Aof::InitFresh() {
  Status s = Init();
  if (!s.ok()) return s;
  seq_floor_ = manifest_.MaxSeq();
  manifest_ = Manifest{};
  return Status::Ok();
}

uint64_t Aof::NextSeq() const {
  return std::max(manifest_.MaxSeq(), seq_floor_) + 1;
}

Status Aof::Shutdown() {
  AbortRewrite();
  if (!writer_ready()) return Status::Ok();
  return writer_->Close();
}

Status Aof::WriteManifest(const Manifest& m) {
  return WriteFileAtomically(ops_, ManifestPath(), m.Serialize());
}

Status Aof::OpenForAppend() {
  writer_ = std::make_unique<AofWriter>(ops_, clock_, options_.fsync);
  if (manifest_.incrs.empty()) {
    Manifest m = manifest_;
    uint64_t seq = NextSeq();
    m.incrs.push_back({Manifest::IncrName(options_.prefix, seq), seq, 'i'});
    // The new file must exist before a manifest names it.
    Status s = writer_->Open(PathOf(m.incrs.back().name));
    if (!s.ok()) return s;
    s = ops_->SyncDir(options_.dir);
    if (s.ok()) s = WriteManifest(m);
    if (!s.ok()) return s;
    manifest_ = std::move(m);
  } else {
    Status s = writer_->Open(PathOf(manifest_.incrs.back().name));
    if (!s.ok()) return s;
  }
  closed_incr_bytes_ = 0;
  for (size_t i = 0; i + 1 < manifest_.incrs.size(); ++i) {
    closed_incr_bytes_ += FileSizeOr0(manifest_.incrs[i].name);
  }
  base_size_ = current_size();
  return Status::Ok();
}

Status Aof::StartInitialRewrite(const store::Keyspace& keyspace,
                                const std::optional<ReplicationPosition>& position) {
  if (ops_->Exists(ManifestPath())) {
    Status s = ops_->Remove(ManifestPath());
    if (s.ok()) s = ops_->SyncDir(options_.dir);
    if (!s.ok()) return s;
  }
  writer_ = std::make_unique<AofWriter>(ops_, clock_, options_.fsync);
  initial_pending_ = true;
  return StartBackgroundRewrite(keyspace, position);
}

Status Aof::CompleteInitialRewriteNow(const store::Keyspace& keyspace,
                                      const std::optional<ReplicationPosition>& position) {
  AbortRewrite();
  return RewriteNow(keyspace, position);
}

uint64_t Aof::current_size() const {
  uint64_t n = closed_incr_bytes_;
  if (manifest_.base) n += FileSizeOr0(manifest_.base->name);
  if (writer_) n += writer_->file_size();
  return n;
}

bool Aof::ShouldAutoRewrite(int percentage, uint64_t min_size) const {
  if (percentage <= 0 || rewrite_in_progress() || !writer_) return false;
  uint64_t size = current_size();
  if (size < min_size) return false;
  uint64_t base = base_size_ ? base_size_ : 1;
  uint64_t growth = size > base ? (size - base) * 100 / base : 0;
  return growth >= static_cast<uint64_t>(percentage);
}

Status Aof::BeginRewrite(std::string* temp_path) {
  if (!writer_) return Status::Invalid("ERR The append only file is not open");
  uint64_t seq = NextSeq();
  std::string incr = Manifest::IncrName(options_.prefix, seq);
  uint64_t old_size = writer_->file_size();
  stats_.started_ms = clock_->NowMs();
  Status s = writer_->SwitchTo(PathOf(incr));
  if (!s.ok()) {
    FailRewrite("", s.message());
    return Status::IoError("ERR Can't rewrite append only file: " + s.message());
  }
  closed_incr_bytes_ += old_size;
  Manifest m = manifest_;
  m.incrs.push_back({incr, seq, 'i'});
  s = ops_->SyncDir(options_.dir);
  if (s.ok() && !initial_pending_) s = WriteManifest(m);
  if (!s.ok()) {
    FailRewrite("", s.message());
    return Status::IoError("ERR Can't rewrite append only file: " + s.message());
  }
  manifest_ = std::move(m);
  pending_seq_ = seq;
  *temp_path = PathOf(std::string(kTempPrefix) + std::to_string(seq) + ".pkv");
  return Status::Ok();
}

Status Aof::FinishRewrite(const std::string& temp_path) {
  const std::string base = Manifest::BaseName(options_.prefix, pending_seq_);
  Status s = ops_->Rename(temp_path, PathOf(base));
  if (s.ok()) s = ops_->SyncDir(options_.dir);
  if (!s.ok()) {
    FailRewrite(temp_path, s.message());
    return s;
  }
  Manifest next;
  next.base = AofFileInfo{base, pending_seq_, 'b'};
  for (const AofFileInfo& f : manifest_.incrs) {
    if (f.seq >= pending_seq_) next.incrs.push_back(f);
  }
  s = WriteManifest(next);
  if (!s.ok()) {
    // The old manifest still names a complete data set; the new base is a leftover.
    FailRewrite(PathOf(base), s.message());
    return s;
  }
  Manifest old = std::move(manifest_);
  manifest_ = std::move(next);
  if (initial_pending_) {
    initial_pending_ = false;
    spdlog::info("The initial AOF is complete: the data set is on disk from now on");
  }
  auto drop = [this](const std::string& name) {
    Status r = ops_->Remove(PathOf(name));
    if (!r.ok()) spdlog::warn("Could not remove old AOF file {}: {}", name, r.message());
  };
  if (old.base && old.base->name != base) drop(old.base->name);
  for (const AofFileInfo& f : old.incrs) {
    if (f.seq < pending_seq_) drop(f.name);
  }
  closed_incr_bytes_ = 0;
  for (size_t i = 0; i + 1 < manifest_.incrs.size(); ++i) {
    closed_incr_bytes_ += FileSizeOr0(manifest_.incrs[i].name);
  }
  base_size_ = current_size();
  int64_t now = clock_->NowMs();
  ++stats_.rewrites;
  stats_.last_ok = true;
  stats_.consecutive_failures = 0;
  stats_.last_duration_sec = (now - stats_.started_ms) / 1000;
  stats_.started_ms = 0;
  stats_.last_success_unix = now / 1000;
  spdlog::info("AOF rewrite finished successfully (new base {})", base);
  return Status::Ok();
}

void Aof::FailRewrite(const std::string& temp_path, const std::string& why) {
  spdlog::warn("AOF rewrite failed: {}", why);
  if (!temp_path.empty() && ops_->Exists(temp_path)) {
    Status r = ops_->Remove(temp_path);
    if (!r.ok()) spdlog::warn("Could not remove {}: {}", temp_path, r.message());
  }
  int64_t now = clock_->NowMs();
  stats_.last_ok = false;
  ++stats_.consecutive_failures;
  stats_.last_duration_sec = stats_.started_ms ? (now - stats_.started_ms) / 1000 : -1;
  stats_.started_ms = 0;
}

Status Aof::StartBackgroundRewrite(const store::Keyspace& keyspace,
                                   const std::optional<ReplicationPosition>& position) {
  if (rewrite_in_progress()) {
    return Status::Invalid("ERR Background append only file rewriting already in progress");
  }
  std::string temp;
  Status s = BeginRewrite(&temp);
  if (!s.ok()) return s;
  s = child_.Start(keyspace, temp, position);
  stats_.last_fork_usec = child_.last_fork_usec();
  if (!s.ok()) {
    FailRewrite(temp, s.message());
    return Status::IoError("ERR Can't rewrite append only file in background: " + s.message());
  }
  const pid_t pid = child_.pid();
  child_temp_ = temp;
  spdlog::info("Background append only file rewriting started by pid {}", pid);
  return Status::Ok();
}

bool Aof::PollRewrite() {
  std::optional<Status> done = child_.Poll();
  if (!done) return false;
  if (done->ok()) {
    Status s = FinishRewrite(child_temp_);
    (void)s;  // FinishRewrite logged and recorded any failure
  } else {
    FailRewrite(child_temp_, done->message());
  }
  child_temp_.clear();
  return true;
}

Status Aof::RewriteNow(const store::Keyspace& keyspace,
                       const std::optional<ReplicationPosition>& position) {
  if (rewrite_in_progress()) {
    return Status::Invalid("ERR Background append only file rewriting already in progress");
  }
  std::string temp;
  Status s = BeginRewrite(&temp);
  if (!s.ok()) return s;
  s = WriteSnapshotFile(ops_, keyspace, clock_->NowMs(), temp, position);
  if (!s.ok()) {
    FailRewrite(temp, s.message());
    return s;
  }
  return FinishRewrite(temp);
}

void Aof::AbortRewrite() {
  if (!child_.running()) return;
  child_.Abort();
  FailRewrite(child_temp_, "aborted");
  child_temp_.clear();
}

}  // namespace pykv::persistence
