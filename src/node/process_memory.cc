#include "node/process_memory.h"

#include <sys/resource.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <string>

namespace quanta::node {
namespace {

#if defined(__SANITIZE_ADDRESS__)
constexpr bool kAddressSanitizer = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
constexpr bool kAddressSanitizer = true;
#else
constexpr bool kAddressSanitizer = false;
#endif
#else
constexpr bool kAddressSanitizer = false;
#endif

// cgroup v2's limit for this process's group: a number of bytes, or "max" (none).
std::uint64_t CgroupMemoryMax() {
  std::ifstream file("/sys/fs/cgroup/memory.max");
  std::string text;
  if (!(file >> text) || text.empty() || text == "max") return 0;
  try {
    return std::stoull(text);
  } catch (const std::exception&) {
    return 0;
  }
}

}  // namespace

bool CanLimitProcessMemory() { return !kAddressSanitizer; }

std::uint64_t MachineMemoryBytes() {
  long pages = sysconf(_SC_PHYS_PAGES), page_size = sysconf(_SC_PAGE_SIZE);
  std::uint64_t physical = pages > 0 && page_size > 0 ? static_cast<std::uint64_t>(pages) *
                                                            static_cast<std::uint64_t>(page_size)
                                                      : 0;
  std::uint64_t cgroup = CgroupMemoryMax();
  if (physical == 0) return cgroup;
  return cgroup > 0 && cgroup < physical ? cgroup : physical;
}

std::uint64_t DefaultProcessMemoryLimit() {
  return MachineMemoryBytes() / 100 * kDefaultProcessMemoryPercent;
}

std::optional<std::uint64_t> ProcessMemoryLimit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_DATA, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY) return std::nullopt;
  return static_cast<std::uint64_t>(limit.rlim_cur);
}

Result<std::optional<std::uint64_t>> LimitProcessMemory(std::uint64_t bytes) {
  if (!CanLimitProcessMemory() || bytes == 0) return ProcessMemoryLimit();
  rlimit limit{};
  if (getrlimit(RLIMIT_DATA, &limit) != 0) {
    return Status::Internal("cannot read the process's memory limit: {}", std::strerror(errno));
  }
  if (limit.rlim_cur != RLIM_INFINITY && limit.rlim_cur <= bytes) return ProcessMemoryLimit();
  limit.rlim_cur = static_cast<rlim_t>(bytes);
  if (limit.rlim_max != RLIM_INFINITY && limit.rlim_max < limit.rlim_cur) {
    limit.rlim_cur = limit.rlim_max;
  }
  if (setrlimit(RLIMIT_DATA, &limit) != 0) {
    return Status::Internal("cannot limit the process's memory to {} MiB: {}",
                            bytes / (1024 * 1024), std::strerror(errno));
  }
  return ProcessMemoryLimit();
}

}  // namespace quanta::node
