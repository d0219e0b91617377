#include "node/data_directory.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <system_error>

namespace quanta::node {
namespace {

constexpr const char* kFix = "choose another directory with --data-dir or dataDir in node.yaml";

std::string ReadSmallFile(int fd) {
  char buffer[64] = {};
  ssize_t bytes = pread(fd, buffer, sizeof(buffer) - 1, 0);
  if (bytes <= 0) return "";
  std::string text(buffer, static_cast<std::size_t>(bytes));
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text;
}

}  // namespace

Result<std::unique_ptr<DataDirectory>> DataDirectory::Open(const std::filesystem::path& path) {
  std::error_code error;
  std::filesystem::path absolute = std::filesystem::absolute(path, error);
  if (error) absolute = path;
  absolute = absolute.lexically_normal();
  if (!absolute.empty() && absolute.filename().empty()) absolute = absolute.parent_path();
  std::filesystem::create_directories(absolute, error);
  if (error) {
    return Status::IoError("cannot create the data directory {}: {} ({})", absolute.string(),
                           error.message(), kFix);
  }
  if (!std::filesystem::is_directory(absolute, error)) {
    return Status::IoError("the data directory {} is not a directory ({})", absolute.string(),
                           kFix);
  }
  // Prove that files can be written there now rather than at the first commit.
  std::filesystem::path probe = absolute / fmt::format(".write-probe-{}", getpid());
  int probe_fd = ::open(probe.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (probe_fd < 0 || ::write(probe_fd, "ok", 2) != 2 || ::fsync(probe_fd) != 0) {
    int saved = errno;
    if (probe_fd >= 0) ::close(probe_fd);
    ::unlink(probe.c_str());
    return Status::IoError(
        "the data directory {} is not writable: {} (fix its permissions or "
        "free space, or {})",
        absolute.string(), std::strerror(saved), kFix);
  }
  ::close(probe_fd);
  ::unlink(probe.c_str());

  std::filesystem::path lock_path = absolute / "node.lock";
  int lock_fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (lock_fd < 0) {
    return Status::IoError("cannot open {}: {} ({})", lock_path.string(), std::strerror(errno),
                           kFix);
  }
  if (::flock(lock_fd, LOCK_EX | LOCK_NB) != 0) {
    int saved = errno;
    std::string owner = ReadSmallFile(lock_fd);
    ::close(lock_fd);
    if (saved == EWOULDBLOCK) {
      return Status::IoError(
          "the data directory {} is in use by another quanta node{} (stop it, or {})",
          absolute.string(), owner.empty() ? "" : fmt::format(" (pid {})", owner), kFix);
    }
    return Status::IoError("cannot lock {}: {} ({})", lock_path.string(), std::strerror(saved),
                           kFix);
  }
  std::string pid = fmt::format("{}\n", getpid());
  if (::ftruncate(lock_fd, 0) != 0 ||
      ::pwrite(lock_fd, pid.data(), pid.size(), 0) != static_cast<ssize_t>(pid.size())) {
    int saved = errno;
    ::close(lock_fd);
    return Status::IoError("cannot write {}: {} ({})", lock_path.string(), std::strerror(saved),
                           kFix);
  }
  return std::unique_ptr<DataDirectory>(new DataDirectory(absolute, lock_fd));
}

DataDirectory::~DataDirectory() {
  if (lock_fd_ >= 0) ::close(lock_fd_);  // releases the flock
}

}  // namespace quanta::node
