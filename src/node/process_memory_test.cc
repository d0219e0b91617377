#include "node/process_memory.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>

#include "testing/matchers.h"

namespace quanta::node {
namespace {

TEST(ProcessMemoryTest, MachineMemoryIsKnownAndTheDefaultLeavesATenth) {
  std::uint64_t machine = MachineMemoryBytes();
  ASSERT_GT(machine, 256ull << 20);
  EXPECT_EQ(DefaultProcessMemoryLimit(), machine / 100 * 90);
}

// In a child process, since the limit cannot be raised again once lowered.
TEST(ProcessMemoryTest, AnAllocationPastTheLimitFailsAndALowerLimitStays) {
  if (!CanLimitProcessMemory()) GTEST_SKIP() << "AddressSanitizer's shadow memory counts as data";
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    Result<std::optional<std::uint64_t>> limited = LimitProcessMemory(512ull << 20);
    if (!limited.ok() || *limited != 512ull << 20) _exit(10);
    void* big = std::malloc(1ull << 30);
    if (big != nullptr) _exit(11);
    void* small = std::malloc(1 << 20);
    if (small == nullptr) _exit(12);
    std::free(small);
    limited = LimitProcessMemory(1ull << 30);  // higher: the lower limit stays
    if (!limited.ok() || *limited != 512ull << 20) _exit(13);
    _exit(0);
  }
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << "10: not limited, 11: 1 GiB allocated past 512 MiB, 12: "
                                       "1 MiB refused, 13: the limit was raised";
}

}  // namespace
}  // namespace quanta::node
