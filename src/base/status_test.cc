#include "base/status.h"

#include <gtest/gtest.h>

#include <set>

namespace quanta {
namespace {

TEST(ErrorTableTest, EveryCodeHasItsOwnRowAndName) {
  std::set<std::string_view> names;
  for (int i = 0; i <= static_cast<int>(ErrorCode::kInternal); ++i) {
    ErrorCode code = static_cast<ErrorCode>(i);
    EXPECT_EQ(InfoFor(code).code, code) << "row " << i << " is " << InfoFor(code).name;
    EXPECT_TRUE(names.insert(InfoFor(code).name).second) << InfoFor(code).name;
    EXPECT_EQ(InfoFor(code).sqlstate.size(), 5u) << InfoFor(code).name;
  }
}

TEST(ErrorTableTest, OutOfMemoryIsPostgresOutOfMemoryAndHttpServiceUnavailable) {
  const ErrorCodeInfo& info = InfoFor(ErrorCode::kOutOfMemory);
  EXPECT_EQ(info.name, "out_of_memory");
  EXPECT_EQ(info.sqlstate, "53200");
  EXPECT_EQ(info.http_status, 503);
  EXPECT_EQ(info.exit_code, 2);
  Status status = Status::OutOfMemory("the sort needs {} MiB", 512);
  EXPECT_EQ(status.ToString(), "out_of_memory: the sort needs 512 MiB");
}

TEST(ErrorTableTest, AStoppedEngineIsCrashShutdownAndHttpServiceUnavailable) {
  const ErrorCodeInfo& info = InfoFor(ErrorCode::kUnavailable);
  EXPECT_EQ(info.name, "unavailable");
  EXPECT_EQ(info.sqlstate, "57P02");
  EXPECT_EQ(info.http_status, 503);
  EXPECT_FALSE(info.user_error);
}

}  // namespace
}  // namespace quanta
