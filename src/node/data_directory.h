#pragma once

#include <filesystem>
#include <memory>

#include "base/result.h"

namespace quanta::node {

/// A node's data directory, held for the node's lifetime: created when missing, proven
/// writable, and locked (node.lock, with the owner's pid) so that a second node on the same
/// directory is refused instead of corrupting it. The lock is released by the destructor, and
/// by the kernel if the process dies.
class DataDirectory {
 public:
  /// Opens `path` (relative paths are taken from the working directory). Fails (kIoError)
  /// naming the directory, the reason and the fix: it cannot be created, is not a directory,
  /// is not writable, or another process holds its lock.
  static Result<std::unique_ptr<DataDirectory>> Open(const std::filesystem::path& path);
  ~DataDirectory();

  DataDirectory(const DataDirectory&) = delete;
  DataDirectory& operator=(const DataDirectory&) = delete;

  /// The absolute path.
  const std::filesystem::path& path() const { return path_; }

 private:
  DataDirectory(std::filesystem::path path, int lock_fd)
      : path_(std::move(path)), lock_fd_(lock_fd) {}

  std::filesystem::path path_;
  int lock_fd_;
};

}  // namespace quanta::node
