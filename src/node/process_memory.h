#pragma once

#include <cstdint>
#include <optional>

#include "base/result.h"

namespace quanta::node {

/// The share of the machine's memory the node's process may allocate when node.yaml sets no
/// processMemoryLimit: the rest stays for the kernel's page cache and the machine's other
/// processes.
inline constexpr std::uint64_t kDefaultProcessMemoryPercent = 90;

/// The memory this process can have: the machine's physical memory, or its cgroup's
/// memory.max when that is lower. 0 when neither can be read. Thread-safe.
std::uint64_t MachineMemoryBytes();

/// The limit the node sets when node.yaml names none: kDefaultProcessMemoryPercent of
/// MachineMemoryBytes (0, no limit, when that is unknown).
std::uint64_t DefaultProcessMemoryLimit();

/// The process's data limit now in force (RLIMIT_DATA: its heap and private anonymous
/// mappings), or nullopt when there is none.
std::optional<std::uint64_t> ProcessMemoryLimit();

/// False under AddressSanitizer, whose shadow memory counts as data: there LimitProcessMemory
/// does nothing.
bool CanLimitProcessMemory();

/// Lowers the process's data limit to `bytes`, so that an allocation past it fails (a DuckDB
/// statement with it, SQLSTATE 53200) rather than the kernel's out-of-memory killer stopping
/// the whole node: DuckDB's own memory_limit bounds only its buffer-managed memory, not the
/// vectors a statement builds (a list() per row, a repeat() of gigabytes). Never raises a
/// lower limit already set (`ulimit -d`). Returns the limit in force afterwards, nullopt when
/// none. Does nothing unless CanLimitProcessMemory(). Call before threads start.
Result<std::optional<std::uint64_t>> LimitProcessMemory(std::uint64_t bytes);

}  // namespace quanta::node
