// pg_sleep, through the engine's public classes (the test does not see duckdb.h).

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <thread>

#include "engine/database.h"
#include "testing/matchers.h"

namespace quanta::engine {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Optional;
using Clock = std::chrono::steady_clock;

TEST(SleepFunctionTest, SleepsThatLongPerRowAndAnswersAsPostgresVoidPrints) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Database> database, Database::Open());
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Connection> connection, database->Connect());
  Clock::time_point start = Clock::now();
  ASSERT_OK_AND_ASSIGN(QueryResult result,
                       connection->Query("SELECT pg_sleep(0.05) AS slept, pg_sleep(NULL) AS "
                                         "nothing, pg_sleep(-1) AS negative, pg_sleep(0)"));
  EXPECT_GE(Clock::now() - start, std::chrono::milliseconds(50));
  ASSERT_EQ(result.rows.size(), 1u);
  EXPECT_THAT(result.rows[0], ElementsAre(Optional(std::string()), std::nullopt,
                                          Optional(std::string()), Optional(std::string())));
  // Once per row, also for a value that is one constant.
  start = Clock::now();
  ASSERT_OK_AND_ASSIGN(result, connection->Query("SELECT pg_sleep(0.02) FROM range(4)"));
  EXPECT_EQ(result.rows.size(), 4u);
  EXPECT_GE(Clock::now() - start, std::chrono::milliseconds(80));
}

TEST(SleepFunctionTest, AnInterruptStopsTheSleepAsAnyInterruptedStatement) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Database> database, Database::Open());
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Connection> sleeper, database->Connect());
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Connection> other, database->Connect());
  Clock::time_point start = Clock::now();
  std::future<Result<QueryResult>> slept =
      std::async(std::launch::async, [&] { return sleeper->Query("SELECT pg_sleep(60)"); });
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  other->Interrupt();  // another connection's interrupt leaves it sleeping
  EXPECT_EQ(slept.wait_for(std::chrono::milliseconds(100)), std::future_status::timeout);
  sleeper->Interrupt();
  Result<QueryResult> result = slept.get();
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(10));
  ASSERT_FALSE(result.ok());
  EXPECT_THAT(result.status().message(), HasSubstr("INTERRUPT Error"));
  // The connection sleeps again afterwards: an old interrupt does not stop a new statement.
  start = Clock::now();
  ASSERT_OK(sleeper->Execute("SELECT pg_sleep(0.05)"));
  EXPECT_GE(Clock::now() - start, std::chrono::milliseconds(50));
}

}  // namespace
}  // namespace quanta::engine
