// PosixFileOps: the real file system behind FileOps. Every call is a thin wrapper over one
// system call (open, write, fdatasync, ...) that retries EINTR and turns errno into
// Status::IoError("<op> <path>: <strerror>"), so a caller (and MISCONF) can show the OS's
// own reason. Holds no state: one static instance serves every thread.
#include "persistence/file_ops.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <string_view>
#include <system_error>
#include <utility>

namespace pykv::persistence {
namespace {

// Thread-safe strerror (std::generic_category uses strerror_r underneath).
std::string ErrnoText(int err) {
  return std::error_code(err, std::generic_category()).message();
}

Status PosixError(std::string_view op, const std::string& path, int err) {
  std::string msg;
  msg.reserve(op.size() + path.size() + 32);
  msg.append(op).append(" ").append(path).append(": ").append(ErrnoText(err));
  return Status::IoError(msg);
}

class PosixWritableFile final : public WritableFile {
 public:
  PosixWritableFile(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}
  ~PosixWritableFile() override {
    if (fd_ >= 0) ::close(fd_);
  }

  StatusOr<size_t> Write(const char* data, size_t n) override {
    if (fd_ < 0) return PosixError("write", path_, EBADF);
    while (true) {
      const ssize_t w = ::write(fd_, data, n);
      if (w >= 0) return static_cast<size_t>(w);
      if (errno != EINTR) return PosixError("write", path_, errno);
    }
  }

  Status Sync() override {
    if (fd_ < 0) return PosixError("fdatasync", path_, EBADF);
    while (::fdatasync(fd_) != 0) {
      if (errno != EINTR) return PosixError("fdatasync", path_, errno);
    }
    return Status::Ok();
  }

  Status Truncate(uint64_t size) override {
    if (fd_ < 0) return PosixError("ftruncate", path_, EBADF);
    while (::ftruncate(fd_, static_cast<off_t>(size)) != 0) {
      if (errno != EINTR) return PosixError("ftruncate", path_, errno);
    }
    return Status::Ok();
  }

  Status Close() override {
    if (fd_ < 0) return Status::Ok();
    const int fd = std::exchange(fd_, -1);
    // close(2) must not be retried on EINTR on Linux: the descriptor is already gone.
    if (::close(fd) != 0 && errno != EINTR) return PosixError("close", path_, errno);
    return Status::Ok();
  }

  const std::string& path() const override { return path_; }

 private:
  const std::string path_;
  int fd_;
};

class PosixReadableFile final : public ReadableFile {
 public:
  PosixReadableFile(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}
  ~PosixReadableFile() override { ::close(fd_); }

  StatusOr<size_t> Read(char* data, size_t n) override {
    while (true) {
      const ssize_t r = ::read(fd_, data, n);
      if (r >= 0) return static_cast<size_t>(r);
      if (errno != EINTR) return PosixError("read", path_, errno);
    }
  }

  const std::string& path() const override { return path_; }

 private:
  const std::string path_;
  const int fd_;
};

StatusOr<int> OpenFd(const std::string& path, int flags, mode_t mode = 0) {
  while (true) {
    const int fd = ::open(path.c_str(), flags | O_CLOEXEC, mode);
    if (fd >= 0) return fd;
    if (errno != EINTR) return PosixError("open", path, errno);
  }
}

class PosixFileOps final : public FileOps {
 public:
  StatusOr<std::unique_ptr<WritableFile>> OpenAppend(const std::string& path) override {
    return OpenWritable(path, O_WRONLY | O_APPEND | O_CREAT);
  }

  StatusOr<std::unique_ptr<WritableFile>> OpenTruncate(const std::string& path) override {
    return OpenWritable(path, O_WRONLY | O_TRUNC | O_CREAT);
  }

  StatusOr<std::unique_ptr<ReadableFile>> OpenRead(const std::string& path) override {
    StatusOr<int> fd = OpenFd(path, O_RDONLY);
    if (!fd.ok()) return fd.status();
    return std::unique_ptr<ReadableFile>(std::make_unique<PosixReadableFile>(path, *fd));
  }

  Status Rename(const std::string& from, const std::string& to) override {
    if (::rename(from.c_str(), to.c_str()) != 0) {
      return PosixError("rename", from + " to " + to, errno);
    }
    return Status::Ok();
  }

  Status Remove(const std::string& path) override {
    if (::unlink(path.c_str()) != 0) return PosixError("unlink", path, errno);
    return Status::Ok();
  }

  Status SyncDir(const std::string& dir) override {
    StatusOr<int> fd = OpenFd(dir, O_RDONLY | O_DIRECTORY);
    if (!fd.ok()) return fd.status();
    Status s;
    while (::fsync(*fd) != 0) {
      if (errno != EINTR) {
        s = PosixError("fsync", dir, errno);
        break;
      }
    }
    ::close(*fd);
    return s;
  }

  Status MakeDir(const std::string& dir) override {
    if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) return PosixError("mkdir", dir, errno);
    return Status::Ok();
  }

  bool Exists(const std::string& path) override {
    struct stat st;
    return ::stat(path.c_str(), &st) == 0;
  }

  StatusOr<uint64_t> FileSize(const std::string& path) override {
    struct stat st;
    if (::stat(path.c_str(), &st) != 0) return PosixError("stat", path, errno);
    return static_cast<uint64_t>(st.st_size);
  }

  StatusOr<std::vector<std::string>> ListDir(const std::string& dir) override {
    DIR* d = ::opendir(dir.c_str());
    if (d == nullptr) return PosixError("opendir", dir, errno);
    std::vector<std::string> names;
    while (true) {
      errno = 0;
      const dirent* e = ::readdir(d);
      if (e == nullptr) {
        const int err = errno;
        ::closedir(d);
        if (err != 0) return PosixError("readdir", dir, err);
        return names;
      }
      const std::string_view name = e->d_name;
      if (name != "." && name != "..") names.emplace_back(name);
    }
  }

  Status TruncateFile(const std::string& path, uint64_t size) override {
    while (::truncate(path.c_str(), static_cast<off_t>(size)) != 0) {
      if (errno != EINTR) return PosixError("truncate", path, errno);
    }
    return Status::Ok();
  }

 private:
  static StatusOr<std::unique_ptr<WritableFile>> OpenWritable(const std::string& path, int flags) {
    StatusOr<int> fd = OpenFd(path, flags, 0644);
    if (!fd.ok()) return fd.status();
    return std::unique_ptr<WritableFile>(std::make_unique<PosixWritableFile>(path, *fd));
  }
};

// The directory holding path ("." for a bare name), for SyncDir after a rename.
std::string ParentDir(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

}  // namespace

FileOps* FileOps::Posix() {
  static PosixFileOps ops;  // stateless, shared by every thread
  return &ops;
}

StatusOr<std::string> ReadWholeFile(FileOps* ops, const std::string& path) {
  StatusOr<std::unique_ptr<ReadableFile>> file = ops->OpenRead(path);
  if (!file.ok()) return file.status();
  std::string data;
  constexpr size_t kChunk = 64 * 1024;
  while (true) {
    const size_t old = data.size();
    data.resize(old + kChunk);
    StatusOr<size_t> n = (*file)->Read(data.data() + old, kChunk);
    if (!n.ok()) return n.status();
    data.resize(old + *n);
    if (*n == 0) return data;
  }
}

Status WriteFileAtomically(FileOps* ops, const std::string& path, std::string_view data) {
  const std::string tmp = path + ".tmp";
  Status s;
  {
    StatusOr<std::unique_ptr<WritableFile>> file = ops->OpenTruncate(tmp);
    if (!file.ok()) return file.status();
    WritableFile& f = **file;
    size_t done = 0;
    while (s.ok() && done < data.size()) {
      StatusOr<size_t> n = f.Write(data.data() + done, data.size() - done);
      if (!n.ok()) {
        s = n.status();
      } else if (*n == 0) {
        // No progress on a regular file means no room (Redis reports short writes so too).
        s = PosixError("write", tmp, ENOSPC);
      } else {
        done += *n;
      }
    }
    if (s.ok()) s = f.Sync();
    Status c = f.Close();
    if (s.ok()) s = c;
  }
  if (s.ok()) s = ops->Rename(tmp, path);
  if (!s.ok()) {
    // Best effort: the old file is intact either way; a stale temp is overwritten next time.
    (void)ops->Remove(tmp);
    return s;
  }
  return ops->SyncDir(ParentDir(path));
}

}  // namespace pykv::persistence
