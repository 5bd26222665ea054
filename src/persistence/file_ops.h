// FileOps: every file-system call persistence makes, behind one interface, so tests can
// inject short writes, ENOSPC and EIO (DESIGN.md: "file operations, replaceable in tests").
// PosixFileOps is the real one. Implementations are thread-safe for distinct files; one
// file object is used by one thread at a time (the everysec fsync thread only calls Sync).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/status.h"

namespace pykv::persistence {

class WritableFile {
 public:
  virtual ~WritableFile() = default;
  // Appends up to n bytes; returns how many were written (a short count is not an error
  // here: the caller decides). An error Status carries strerror text.
  virtual StatusOr<size_t> Write(const char* data, size_t n) = 0;
  // fdatasync.
  virtual Status Sync() = 0;
  // Cuts the file to size bytes (drops a partial batch after a failed write).
  virtual Status Truncate(uint64_t size) = 0;
  virtual Status Close() = 0;
  virtual const std::string& path() const = 0;
};

class ReadableFile {
 public:
  virtual ~ReadableFile() = default;
  // Reads up to n bytes; 0 at end of file.
  virtual StatusOr<size_t> Read(char* data, size_t n) = 0;
  virtual const std::string& path() const = 0;
};

class FileOps {
 public:
  virtual ~FileOps() = default;
  // Opens for appending, creating the file if missing.
  virtual StatusOr<std::unique_ptr<WritableFile>> OpenAppend(const std::string& path) = 0;
  // Creates or truncates.
  virtual StatusOr<std::unique_ptr<WritableFile>> OpenTruncate(const std::string& path) = 0;
  virtual StatusOr<std::unique_ptr<ReadableFile>> OpenRead(const std::string& path) = 0;
  virtual Status Rename(const std::string& from, const std::string& to) = 0;
  virtual Status Remove(const std::string& path) = 0;
  // fsync of a directory, so a rename or a new file in it survives a crash.
  virtual Status SyncDir(const std::string& dir) = 0;
  virtual Status MakeDir(const std::string& dir) = 0;
  virtual bool Exists(const std::string& path) = 0;
  virtual StatusOr<uint64_t> FileSize(const std::string& path) = 0;
  virtual StatusOr<std::vector<std::string>> ListDir(const std::string& dir) = 0;
  // Truncates a closed file (pykv-check-aof --fix).
  virtual Status TruncateFile(const std::string& path, uint64_t size) = 0;

  // The process-wide POSIX implementation.
  static FileOps* Posix();
};

// Reads a whole (small) file, e.g. the manifest.
StatusOr<std::string> ReadWholeFile(FileOps* ops, const std::string& path);
// Writes data to path atomically: temp file in the same directory, write, fsync, rename,
// fsync the directory. A crash leaves either the old file or the new one.
Status WriteFileAtomically(FileOps* ops, const std::string& path, std::string_view data);

}  // namespace pykv::persistence
