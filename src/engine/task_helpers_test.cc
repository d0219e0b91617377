// DuckDB's threads as engine::Database sets them up (engine/task_helpers.h), through the
// engine's public classes.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <optional>
#include <string>
#include <thread>

#include "engine/database.h"
#include "testing/matchers.h"

namespace quanta::engine {
namespace {

using ::testing::Optional;

TEST(TaskHelpersTest, OnlyALongStatementHasTheHelpersIn) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Database> database,
                       Database::Open({.settings = {{"threads", "2"}}}));
  EXPECT_EQ(database->HelperThreads(), 1);
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Connection> connection, database->Connect());
  for (int i = 0; i < 100; ++i) ASSERT_OK(connection->Execute("SELECT 1"));
  EXPECT_EQ(database->HelpedStatements(), 0);

  std::atomic<bool> done{false};
  std::atomic<int> most{0};
  std::thread watcher([&] {
    while (!done.load()) {
      most = std::max(most.load(), database->HelpedStatements());
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
  });
  ASSERT_OK_AND_ASSIGN(QueryResult counted,
                       connection->Query("SELECT count(DISTINCT range % 1000003) FROM "
                                         "range(40000000)"));
  done = true;
  watcher.join();
  EXPECT_THAT(counted.rows[0][0], Optional(std::string("1000003")));
  EXPECT_EQ(most.load(), 1);
  EXPECT_EQ(database->HelpedStatements(), 0);  // once it ended
}

TEST(TaskHelpersTest, DuckDbStartsNoThreadsOfItsOwnAndParallelPlansStillRun) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Database> database,
                       Database::Open({.settings = {{"threads", "3"}}}));
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Connection> connection, database->Connect());
  EXPECT_EQ(database->HelperThreads(), 2);
  ASSERT_OK_AND_ASSIGN(
      QueryResult settings,
      connection->Query("SELECT current_setting('threads'), current_setting('external_threads')"));
  EXPECT_THAT(settings.rows[0][0], Optional(std::string("3")));
  EXPECT_THAT(settings.rows[0][1], Optional(std::string("3")));
  // Long enough for the helpers to join: the parallel plan's answer is whole.
  ASSERT_OK_AND_ASSIGN(QueryResult counted,
                       connection->Query("SELECT count(*), sum(range) FROM range(30000000) "
                                         "WHERE range % 3 = 0"));
  EXPECT_THAT(counted.rows[0][0], Optional(std::string("10000000")));
  EXPECT_THAT(counted.rows[0][1], Optional(std::string("149999985000000")));
  // Several connections at once, each on its own thread.
  std::vector<std::thread> threads;
  std::vector<std::optional<std::string>> answers(4);
  for (std::size_t i = 0; i < answers.size(); ++i) {
    threads.emplace_back([&, i] {
      auto own = database->Connect();
      if (!own.ok()) return;
      auto result = (*own)->Query("SELECT sum(range) FROM range(5000000)");
      if (result.ok()) answers[i] = result->rows[0][0];
    });
  }
  for (std::thread& thread : threads) thread.join();
  for (const auto& answer : answers) EXPECT_THAT(answer, Optional(std::string("12499997500000")));
}

TEST(TaskHelpersTest, AnInstanceOfOneThreadRunsEveryStatementOnItsCaller) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Database> database,
                       Database::Open({.settings = {{"threads", "1"}}}));
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Connection> connection, database->Connect());
  ASSERT_OK_AND_ASSIGN(QueryResult result,
                       connection->Query("SELECT current_setting('external_threads'), "
                                         "(SELECT sum(range) FROM range(1000))"));
  EXPECT_EQ(database->HelperThreads(), 0);
  EXPECT_THAT(result.rows[0][0], Optional(std::string("1")));
  EXPECT_THAT(result.rows[0][1], Optional(std::string("499500")));
}

}  // namespace
}  // namespace quanta::engine
