#include "pipeline/row_appender.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <simdjson.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "engine/database.h"
#include "store/store_fixture.h"
#include "testing/matchers.h"

namespace quanta::pipeline {
namespace {

using ::testing::ElementsAre;
using ::testing::Optional;

model::Property Prop(const std::string& name, const std::string& logical,
                     const std::string& physical) {
  model::Property property;
  property.name = name;
  property.logical_type = logical;
  property.physical_type = physical;
  return property;
}

// A port of every scalar type the appender takes, and the records' way into a table through
// it, to set beside DuckDB's JSON reader reading the same records.
class RowAppenderTest : public ::testing::Test {
 protected:
  RowAppenderTest() {
    object_.name = "events";
    object_.properties = {
        Prop("text", "string", "varchar"),
        Prop("big", "integer", "bigint"),
        Prop("int", "integer", "integer"),
        Prop("small", "integer", "smallint"),
        Prop("real", "number", "double"),
        Prop("single", "number", "float"),
        Prop("money", "number", "decimal(12,2)"),
        Prop("flag", "boolean", "boolean"),
        Prop("day", "date", "date"),
        Prop("at", "timestamp", "timestamp"),
        Prop("at_tz", "timestamp", "timestamptz"),
        Prop("clock", "string", "time"),
        Prop("id", "string", "uuid"),
        Prop("count", "integer", "ubigint"),
        Prop("huge", "integer", "hugeint"),
    };
    validator_ = std::make_unique<RecordValidator>(object_);
  }

  std::string ColumnDefinitions() const {
    std::string columns;
    for (std::size_t i = 0; i < validator_->column_names().size(); ++i) {
      columns += (i ? ", " : "") + engine::QuoteIdentifier(validator_->column_names()[i]) + " " +
                 validator_->column_types()[i];
    }
    return columns;
  }

  // The rows of `records` appended to a new table `name` of `connection`, as text by column.
  // Fails the test when a record does not pass the checks.
  Result<bool> AppendAll(engine::Connection& connection, const std::string& name,
                         const std::vector<std::string>& records) {
    QUANTA_RETURN_IF_ERROR(
        connection.Execute("CREATE TABLE " + name + " (" + ColumnDefinitions() + ")"));
    std::unique_ptr<RowAppender> appender = OpenAppender(connection);
    simdjson::dom::parser parser;
    RecordValidator::Fields fields;
    for (const std::string& record : records) {
      simdjson::dom::element element;
      if (parser.parse(record).get(element) != simdjson::SUCCESS) {
        return Status::Internal("simdjson cannot read {}", record);
      }
      if (auto problem = validator_->Check(element, record, &fields)) {
        return Status::Internal("{}: {}", record, *problem);
      }
      if (!appender->Append(fields)) return false;
    }
    QUANTA_ASSIGN_OR_RETURN(std::unique_ptr<engine::HeldRows> held, appender->Finish());
    QUANTA_RETURN_IF_ERROR(
        connection.Execute("INSERT INTO " + name + " SELECT * FROM " + held->source()));
    return true;
  }

  std::unique_ptr<RowAppender> OpenAppender(engine::Connection& connection) const {
    return RowAppender::Open(connection, validator_->column_names(), validator_->column_types(),
                             *RowAppender::ColumnsFor(validator_->column_types()));
  }

  // What DuckDB's JSON reader makes of `records` for the same columns, in a table `name`.
  Status ReadAll(engine::Connection& connection, const std::string& name,
                 const std::vector<std::string>& records) {
    std::filesystem::path file = folder_.path() / (name + ".ndjson");
    std::ofstream out(file);
    for (std::string record : records) {
      std::replace(record.begin(), record.end(), '\n', ' ');  // one line each; blank outside
      out << record << "\n";                                  // strings, where none is raw
    }
    out.close();
    std::string columns;
    for (std::size_t i = 0; i < validator_->column_names().size(); ++i) {
      columns += (i ? ", " : "") + engine::QuoteLiteral(validator_->column_names()[i]) + ": " +
                 engine::QuoteLiteral(validator_->column_types()[i]);
    }
    return connection.Execute("CREATE TABLE " + name + " AS SELECT * FROM read_ndjson(" +
                              engine::QuoteLiteral(file.string()) + ", columns = {" + columns +
                              "}, format = 'newline_delimited')");
  }

  store::testing::TemporaryFolder folder_;
  model::SchemaObject object_;
  std::unique_ptr<RecordValidator> validator_;
};

TEST_F(RowAppenderTest, AppendedRowsHoldWhatDuckDbsJsonReaderReadsFromTheRecords) {
  EXPECT_THAT(validator_->column_types(),
              ElementsAre("VARCHAR", "BIGINT", "INTEGER", "SMALLINT", "DOUBLE", "FLOAT",
                          "DECIMAL(12,2)", "BOOLEAN", "DATE", "TIMESTAMP",
                          "TIMESTAMP WITH TIME ZONE", "TIME", "UUID", "UBIGINT", "HUGEINT"));
  const std::vector<std::string> records = {
      // Decimals that a double cannot hold exactly (0.285 is 0.28499...): both ways round the
      // double, as the reader does.
      R"({"text": "caf\u00e9 \"quoted\"\nline", "big": -9223372036854775808, "int": 2147483647,
          "small": -32768, "real": 0.1, "single": 1e-7, "money": 0.285, "flag": true,
          "day": "2026-02-28", "at": "2026-01-31T12:00:00+02:00",
          "at_tz": "2026-01-31T12:00:00.5-01:30", "clock": "23:59:59.999999",
          "id": "A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11", "count": 18446744073709551615,
          "huge": -9223372036854775807})",
      R"({"text": "", "big": 9223372036854775807, "int": 5.0, "small": 0, "real": -5,
          "single": 3.4e38, "money": 1.005, "flag": false, "day": "0001-01-01",
          "at": "2026-01-31 12:00:00.123456789Z", "at_tz": "2026-01-31T12:00:00",
          "clock": "00:00:00", "id": "00000000-0000-0000-0000-000000000000", "count": 0,
          "huge": 9223372036854775807})",
      // Absent and null.
      R"({"text": null, "money": 12345.675, "at_tz": "2026-06-01T00:00:00Z", "flag": null})",
      R"({})",
  };
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<engine::Database> database, engine::Database::Open());
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<engine::Connection> connection, database->Connect());
  ASSERT_OK_AND_ASSIGN(bool appended_all, AppendAll(*connection, "appended", records));
  EXPECT_TRUE(appended_all);
  ASSERT_OK(ReadAll(*connection, "read", records));

  // The same rows, every value's text equal, and nothing in one that is not in the other.
  ASSERT_OK_AND_ASSIGN(engine::QueryResult appended,
                       connection->Query("SELECT * FROM appended ORDER BY ALL"));
  ASSERT_OK_AND_ASSIGN(engine::QueryResult read,
                       connection->Query("SELECT * FROM read ORDER BY ALL"));
  ASSERT_EQ(appended.rows.size(), 4u);
  EXPECT_EQ(appended.rows, read.rows);
  ASSERT_OK_AND_ASSIGN(
      engine::QueryResult differences,
      connection->Query("SELECT count(*) FROM ((SELECT * FROM appended EXCEPT ALL SELECT * FROM "
                        "read) UNION ALL (SELECT * FROM read EXCEPT ALL SELECT * FROM appended))"));
  EXPECT_THAT(differences.rows[0][0], Optional(std::string("0")));
}

TEST_F(RowAppenderTest, IntegersWrittenWithAFractionOrExponentLoadAsTheDigitsTheySpell) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<engine::Database> database, engine::Database::Open());
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<engine::Connection> connection, database->Connect());
  // 9007199254740993 has no double: read as one, it would load as 9007199254740992.
  ASSERT_OK_AND_ASSIGN(
      bool appended,
      AppendAll(*connection, "appended",
                {R"({"big": 9007199254740993.0, "int": 1e3, "count": 18446744073709551615.0,
                     "huge": 1.23456789012345678901e20})"}));
  EXPECT_TRUE(appended);
  ASSERT_OK_AND_ASSIGN(engine::QueryResult rows,
                       connection->Query("SELECT big, \"int\", count, huge FROM appended"));
  ASSERT_EQ(rows.rows.size(), 1u);
  EXPECT_THAT(rows.rows[0],
              ElementsAre(Optional(std::string("9007199254740993")), Optional(std::string("1000")),
                          Optional(std::string("18446744073709551615")),
                          Optional(std::string("123456789012345678901"))));
}

TEST_F(RowAppenderTest, AValueNoColumnChunkHoldsAsItIsIsLeftToTheReader) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<engine::Database> database, engine::Database::Open());
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<engine::Connection> connection, database->Connect());
  // 2^63, which the BIGINT check refuses, given to the appender as if it had let it through:
  // no BIGINT holds it, and the appender declines the row.
  std::unique_ptr<RowAppender> appender = OpenAppender(*connection);
  simdjson::dom::parser parser;
  simdjson::dom::element big;
  ASSERT_EQ(parser.parse(std::string_view("9223372036854775808")).get(big), simdjson::SUCCESS);
  RecordValidator::Fields fields;
  fields.values.assign(validator_->column_names().size(), std::nullopt);
  fields.values[1] = big;  // big
  EXPECT_FALSE(appender->Append(fields));
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<engine::HeldRows> held, appender->Finish());
  EXPECT_EQ(held->row_count(), 0u);
  ASSERT_OK_AND_ASSIGN(engine::QueryResult rows,
                       connection->Query("SELECT count(*) FROM " + held->source()));
  EXPECT_THAT(rows.rows[0][0], Optional(std::string("0")));
}

TEST_F(RowAppenderTest, AValueDuckDbCannotCastFailsTheAppend) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<engine::Database> database, engine::Database::Open());
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<engine::Connection> connection, database->Connect());
  // A number beyond DECIMAL(12,2), which the checks refuse, given to the appender as if they
  // had let it through.
  std::unique_ptr<RowAppender> appender = OpenAppender(*connection);
  simdjson::dom::parser parser;
  simdjson::dom::element money;
  ASSERT_EQ(parser.parse(std::string_view("1e15")).get(money), simdjson::SUCCESS);
  RecordValidator::Fields fields;
  fields.values.assign(validator_->column_names().size(), std::nullopt);
  fields.values[6] = money;  // money
  EXPECT_TRUE(appender->Append(fields));
  Result<std::unique_ptr<engine::HeldRows>> held = appender->Finish();
  ASSERT_FALSE(held.ok());
  EXPECT_THAT(held.status().message(),
              ::testing::AllOf(::testing::HasSubstr("the rows do not fit the port's columns"),
                               ::testing::HasSubstr("DECIMAL(12,2)")));
}

TEST_F(RowAppenderTest, NestedAndJsonColumnsAreLeftToTheReader) {
  EXPECT_EQ(RowAppender::ColumnsFor({"VARCHAR", "JSON"}), std::nullopt);
  EXPECT_EQ(RowAppender::ColumnsFor({"STRUCT(a BIGINT)"}), std::nullopt);
  EXPECT_EQ(RowAppender::ColumnsFor({"VARCHAR[]"}), std::nullopt);
  EXPECT_EQ(RowAppender::ColumnsFor({"BLOB"}), std::nullopt);
  EXPECT_THAT(RowAppender::ColumnsFor({"VARCHAR", "BIGINT", "DOUBLE", "BOOLEAN"}),
              Optional(ElementsAre(engine::AppendColumn::kText, engine::AppendColumn::kInt64,
                                   engine::AppendColumn::kDouble, engine::AppendColumn::kBoolean)));
}

}  // namespace
}  // namespace quanta::pipeline
