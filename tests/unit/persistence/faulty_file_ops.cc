#include "faulty_file_ops.h"

#include <cstdlib>
#include <filesystem>
#include <system_error>
#include <utility>

namespace pykv::persistence::testing {
namespace {

using State = FaultyFileOps::State;

// Takes one charge of a fault counter; returns the errno to fail with, or 0.
int Take(int* remaining, int err) {
  if (*remaining <= 0) return 0;
  --*remaining;
  return err;
}

class FaultyWritableFile final : public WritableFile {
 public:
  FaultyWritableFile(std::unique_ptr<WritableFile> base, std::shared_ptr<State> state)
      : base_(std::move(base)), state_(std::move(state)) {}

  StatusOr<size_t> Write(const char* data, size_t n) override {
    size_t limit = n;
    {
      std::lock_guard<std::mutex> lock(state_->mu);
      ++state_->write_calls;
      if (state_->short_armed) {
        state_->short_armed = false;
        limit = n > state_->short_by ? n - state_->short_by : 0;
      } else if (int err = Take(&state_->fail_writes, state_->write_errno); err != 0) {
        return ErrnoStatus("write", path(), err);
      }
    }
    if (limit == 0) return size_t{0};
    return base_->Write(data, limit);
  }

  Status Sync() override {
    {
      std::lock_guard<std::mutex> lock(state_->mu);
      ++state_->sync_calls;
      if (int err = Take(&state_->fail_syncs, state_->sync_errno); err != 0) {
        return ErrnoStatus("fdatasync", path(), err);
      }
    }
    return base_->Sync();
  }

  Status Truncate(uint64_t size) override {
    {
      std::lock_guard<std::mutex> lock(state_->mu);
      ++state_->truncate_calls;
      if (int err = Take(&state_->fail_truncates, state_->truncate_errno); err != 0) {
        return ErrnoStatus("ftruncate", path(), err);
      }
    }
    return base_->Truncate(size);
  }

  Status Close() override { return base_->Close(); }
  const std::string& path() const override { return base_->path(); }

 private:
  std::unique_ptr<WritableFile> base_;
  std::shared_ptr<State> state_;
};

}  // namespace

Status ErrnoStatus(const std::string& op, const std::string& path, int err) {
  return Status::IoError(op + " " + path + ": " +
                         std::error_code(err, std::generic_category()).message());
}

FaultyFileOps::FaultyFileOps(FileOps* base) : base_(base), state_(std::make_shared<State>()) {}

void FaultyFileOps::FailWrites(int n, int err) {
  std::lock_guard<std::mutex> lock(state_->mu);
  state_->fail_writes = n;
  state_->write_errno = err;
}

void FaultyFileOps::ShortWrite(size_t k) {
  std::lock_guard<std::mutex> lock(state_->mu);
  state_->short_armed = true;
  state_->short_by = k;
}

void FaultyFileOps::FailSyncs(int n, int err) {
  std::lock_guard<std::mutex> lock(state_->mu);
  state_->fail_syncs = n;
  state_->sync_errno = err;
}

void FaultyFileOps::FailRenames(int n, int err) {
  std::lock_guard<std::mutex> lock(state_->mu);
  state_->fail_renames = n;
  state_->rename_errno = err;
}

void FaultyFileOps::FailTruncates(int n, int err) {
  std::lock_guard<std::mutex> lock(state_->mu);
  state_->fail_truncates = n;
  state_->truncate_errno = err;
}

void FaultyFileOps::ClearFaults() {
  std::lock_guard<std::mutex> lock(state_->mu);
  state_->fail_writes = 0;
  state_->short_armed = false;
  state_->fail_syncs = 0;
  state_->fail_renames = 0;
  state_->fail_truncates = 0;
}

int FaultyFileOps::write_calls() const {
  std::lock_guard<std::mutex> lock(state_->mu);
  return state_->write_calls;
}

int FaultyFileOps::sync_calls() const {
  std::lock_guard<std::mutex> lock(state_->mu);
  return state_->sync_calls;
}

int FaultyFileOps::sync_dir_calls() const {
  std::lock_guard<std::mutex> lock(state_->mu);
  return state_->sync_dir_calls;
}

int FaultyFileOps::rename_calls() const {
  std::lock_guard<std::mutex> lock(state_->mu);
  return state_->rename_calls;
}

int FaultyFileOps::truncate_calls() const {
  std::lock_guard<std::mutex> lock(state_->mu);
  return state_->truncate_calls;
}

StatusOr<std::unique_ptr<WritableFile>> FaultyFileOps::Wrap(
    StatusOr<std::unique_ptr<WritableFile>> f) {
  if (!f.ok()) return f.status();
  return std::unique_ptr<WritableFile>(std::make_unique<FaultyWritableFile>(std::move(*f), state_));
}

StatusOr<std::unique_ptr<WritableFile>> FaultyFileOps::OpenAppend(const std::string& path) {
  return Wrap(base_->OpenAppend(path));
}

StatusOr<std::unique_ptr<WritableFile>> FaultyFileOps::OpenTruncate(const std::string& path) {
  return Wrap(base_->OpenTruncate(path));
}

StatusOr<std::unique_ptr<ReadableFile>> FaultyFileOps::OpenRead(const std::string& path) {
  return base_->OpenRead(path);
}

Status FaultyFileOps::Rename(const std::string& from, const std::string& to) {
  {
    std::lock_guard<std::mutex> lock(state_->mu);
    ++state_->rename_calls;
    if (int err = Take(&state_->fail_renames, state_->rename_errno); err != 0) {
      return ErrnoStatus("rename", from + " to " + to, err);
    }
  }
  return base_->Rename(from, to);
}

Status FaultyFileOps::Remove(const std::string& path) {
  return base_->Remove(path);
}

Status FaultyFileOps::SyncDir(const std::string& dir) {
  {
    std::lock_guard<std::mutex> lock(state_->mu);
    ++state_->sync_dir_calls;
  }
  return base_->SyncDir(dir);
}

Status FaultyFileOps::MakeDir(const std::string& dir) {
  return base_->MakeDir(dir);
}

bool FaultyFileOps::Exists(const std::string& path) {
  return base_->Exists(path);
}

StatusOr<uint64_t> FaultyFileOps::FileSize(const std::string& path) {
  return base_->FileSize(path);
}

StatusOr<std::vector<std::string>> FaultyFileOps::ListDir(const std::string& dir) {
  return base_->ListDir(dir);
}

Status FaultyFileOps::TruncateFile(const std::string& path, uint64_t size) {
  {
    std::lock_guard<std::mutex> lock(state_->mu);
    ++state_->truncate_calls;
    if (int err = Take(&state_->fail_truncates, state_->truncate_errno); err != 0) {
      return ErrnoStatus("truncate", path, err);
    }
  }
  return base_->TruncateFile(path, size);
}

}  // namespace pykv::persistence::testing
