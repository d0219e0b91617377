#include "node/node_database.h"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "engine/prepared_query.h"
#include "testing/matchers.h"

namespace quanta::node {
namespace {

// A hash aggregate with five million groups: about 150 MiB of hash table, far past the limits
// these tests set, and work that DuckDB can spill.
constexpr const char* kBigAggregate =
    "SELECT count(*) FROM (SELECT i % 5000000 AS k, count(*) FROM range(10000000) t(i) "
    "GROUP BY k)";

// "16.0 GiB" as DuckDB renders a size, in bytes; 0 when it is not a size.
double BytesOf(const std::string& text) {
  std::size_t space = text.find(' ');
  if (space == std::string::npos) return 0;
  double number = std::stod(text.substr(0, space));
  std::string unit = text.substr(space + 1);
  if (unit == "KiB") return number * 1024;
  if (unit == "MiB") return number * 1024 * 1024;
  if (unit == "GiB") return number * 1024 * 1024 * 1024;
  if (unit == "TiB") return number * 1024 * 1024 * 1024 * 1024;
  return 0;
}

class NodeDatabaseTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("quanta-node-database-test-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // Setting `name` as DuckDB renders it on an instance opened with the node's defaults.
  std::string DefaultSetting(const std::string& name) {
    Result<std::shared_ptr<engine::Database>> database = OpenNodeDatabase(dir_);
    EXPECT_OK(database);
    if (!database.ok()) return "";
    Result<std::unique_ptr<engine::Connection>> connection = (*database)->Connect();
    EXPECT_OK(connection);
    if (!connection.ok()) return "";
    Result<engine::QueryResult> setting =
        (*connection)->Query(fmt::format("SELECT current_setting('{}')", name));
    EXPECT_OK(setting);
    return setting.ok() ? setting->rows.at(0).at(0).value_or("") : "";
  }

  std::filesystem::path dir_;
};

TEST_F(NodeDatabaseTest, AStatementPastBothLimitsFailsWithTheirKeysAndTheInstanceGoesOn) {
  SqlPortConfig sql;
  sql.memory_limit = "32MiB";
  sql.spill_limit = "8MiB";
  ASSERT_OK_AND_ASSIGN(std::shared_ptr<engine::Database> database, OpenNodeDatabase(dir_, sql));
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<engine::Connection> writer, database->Connect());
  ASSERT_OK(writer->Execute("CREATE TABLE kept AS SELECT i FROM range(1000) t(i)"));

  ASSERT_OK_AND_ASSIGN(std::unique_ptr<engine::Connection> reader, database->Connect());
  Result<engine::QueryResult> failed = reader->Query(kBigAggregate);
  ASSERT_FALSE(failed.ok());
  const Status& status = failed.status();
  EXPECT_EQ(status.code(), ErrorCode::kOutOfMemory) << status.ToString();
  EXPECT_EQ(InfoFor(status.code()).sqlstate, "53200");
  const std::string& message = status.message();
  EXPECT_NE(message.find("32MiB of memory (sql.memoryLimit in node.yaml)"), std::string::npos)
      << message;
  EXPECT_NE(message.find("8MiB of spill files (sql.spillLimit)"), std::string::npos) << message;
  // DuckDB's advice to SET a setting is not passed on: the configuration is locked.
  EXPECT_EQ(message.find("SET "), std::string::npos) << message;
  EXPECT_EQ(message.find("PRAGMA"), std::string::npos) << message;

  // The same connection, another one, and the committed table all still work.
  ASSERT_OK_AND_ASSIGN(engine::QueryResult again, reader->Query("SELECT count(*) FROM kept"));
  EXPECT_EQ(again.rows.at(0).at(0), "1000");
  ASSERT_OK_AND_ASSIGN(engine::QueryResult other, writer->Query("SELECT sum(i) FROM kept"));
  EXPECT_EQ(other.rows.at(0).at(0), "499500");
  // The spill folder never outgrew its limit (what is left there is of other buffers).
  std::uintmax_t spilled = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir_ / "tmp" / "duckdb")) {
    spilled += entry.file_size();
  }
  EXPECT_LE(spilled, 8u * 1024 * 1024);
}

TEST_F(NodeDatabaseTest, TheStreamingPathReportsTheSameError) {
  SqlPortConfig sql;
  sql.memory_limit = "32MiB";
  sql.spill_limit = "0MiB";
  ASSERT_OK_AND_ASSIGN(std::shared_ptr<engine::Database> database, OpenNodeDatabase(dir_, sql));
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<engine::Connection> connection, database->Connect());
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<engine::PreparedQuery> query,
                       engine::PreparedQuery::Prepare(*connection, kBigAggregate));
  // The error may come when the statement starts or with a later chunk; either way it is one.
  Status status;
  Result<std::unique_ptr<engine::ResultStream>> stream = query->Execute();
  if (!stream.ok()) {
    status = stream.status();
  } else {
    while (status.ok()) {
      Result<std::unique_ptr<engine::ResultChunk>> chunk = (*stream)->Next();
      if (!chunk.ok()) {
        status = chunk.status();
      } else if (*chunk == nullptr) {
        break;
      }
    }
  }
  ASSERT_EQ(status.code(), ErrorCode::kOutOfMemory) << status.ToString();
  EXPECT_NE(status.message().find("the spill files reached their limit"), std::string::npos)
      << status.message();
  EXPECT_NE(status.message().find("0MiB of spill files (sql.spillLimit)"), std::string::npos)
      << status.message();
}

TEST_F(NodeDatabaseTest, WorkThatCannotSpillNamesTheMemoryLimit) {
  SqlPortConfig sql;
  sql.memory_limit = "32MiB";
  sql.spill_limit = "1024MiB";
  ASSERT_OK_AND_ASSIGN(std::shared_ptr<engine::Database> database, OpenNodeDatabase(dir_, sql));
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<engine::Connection> connection, database->Connect());
  // One string of about 80 MiB: a single value cannot be spilled in parts.
  Result<engine::QueryResult> failed = connection->Query(
      "SELECT length(string_agg(i::VARCHAR || 'xxxxxxxxxxxx', ',')) "
      "FROM range(4000000) t(i)");
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.status().code(), ErrorCode::kOutOfMemory) << failed.status().ToString();
  EXPECT_NE(failed.status().message().find("the memory limit leaves no room for it"),
            std::string::npos)
      << failed.status().message();
}

TEST_F(NodeDatabaseTest, LimitsAreSetAndLocked) {
  SqlPortConfig sql;
  sql.memory_limit = "64MiB";
  sql.spill_limit = "200MiB";
  ASSERT_OK_AND_ASSIGN(std::shared_ptr<engine::Database> database, OpenNodeDatabase(dir_, sql));
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<engine::Connection> connection, database->Connect());
  ASSERT_OK_AND_ASSIGN(engine::QueryResult settings,
                       connection->Query("SELECT current_setting('memory_limit'), "
                                         "current_setting('max_temp_directory_size')"));
  EXPECT_EQ(settings.rows.at(0).at(0), "64.0 MiB");
  EXPECT_EQ(settings.rows.at(0).at(1), "200.0 MiB");
  EXPECT_FALSE(connection->Execute("SET max_temp_directory_size = '100GiB'").ok());
  EXPECT_FALSE(connection->Execute("SET memory_limit = '100GiB'").ok());
}

TEST_F(NodeDatabaseTest, TheDefaultSpillLimitIsBounded) {
  // DuckDB's own default is "90% of available disk space"; the node's is a size, rendered by
  // DuckDB as "16.0 GiB".
  std::string text = DefaultSetting("max_temp_directory_size");
  double bytes = BytesOf(text);
  ASSERT_GT(bytes, 0) << text;
  EXPECT_LE(bytes, static_cast<double>(kDefaultSpillLimit)) << text;
  // At most half the free space, give or take what others wrote since and DuckDB's rounding.
  double half_free = static_cast<double>(std::filesystem::space(dir_).available) / 2;
  EXPECT_LE(bytes, half_free + 1024.0 * 1024 * 1024) << text;
}

// What the stores' checkpoint size is made from (store::CheckpointLogBytesFor): the configured
// limit, or about what DuckDB itself takes by default on this machine.
TEST_F(NodeDatabaseTest, TheInstanceMemoryLimitIsTheConfiguredOneOrDuckDBsDefault) {
  SqlPortConfig sql;
  sql.memory_limit = "512MiB";
  sql.memory_limit_bytes = 512ull << 20;
  EXPECT_EQ(InstanceMemoryLimit(sql), 512ull << 20);

  std::string text = DefaultSetting("memory_limit");
  double duckdb_default = BytesOf(text);
  ASSERT_GT(duckdb_default, 0) << text;
  double ours = static_cast<double>(InstanceMemoryLimit(SqlPortConfig{}));
  // DuckDB may also heed a container's limit, which is lower: ours is never below its own.
  EXPECT_GE(ours, duckdb_default * 0.99) << text;
  EXPECT_LE(ours, static_cast<double>(sysconf(_SC_PHYS_PAGES)) * sysconf(_SC_PAGE_SIZE)) << text;
}

}  // namespace
}  // namespace quanta::node
