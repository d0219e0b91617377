#include "ports/pg_copy.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "testing/matchers.h"

namespace quanta::ports {
namespace {

using ::testing::HasSubstr;
using Format = PgCopyOptions::Format;

TEST(PgCopyTest, ReadsBothSpellingsOfTheOptions) {
  ASSERT_OK_AND_ASSIGN(PgCopyCommand command,
                       ParsePgCopy("COPY (SELECT 1 AS a) TO STDOUT WITH (FORMAT csv, "
                                   "NULL 'NULL', FORCE_QUOTE *, HEADER, QUOTE '''')"));
  EXPECT_EQ(command.select, "SELECT 1 AS a");
  EXPECT_EQ(command.options.format, Format::kCsv);
  EXPECT_EQ(command.options.null, "NULL");
  EXPECT_EQ(command.options.delimiter, ',');
  EXPECT_EQ(command.options.quote, '\'');
  EXPECT_EQ(command.options.escape, '\'');
  EXPECT_TRUE(command.options.force_quote_all);
  EXPECT_TRUE(command.options.header);

  ASSERT_OK_AND_ASSIGN(command, ParsePgCopy("copy orders.orders to stdout with csv header "
                                            "delimiter as ';' null as 'n/a' force quote a, \"B\""));
  EXPECT_EQ(command.select, "SELECT * FROM orders.orders");
  EXPECT_EQ(command.options.format, Format::kCsv);
  EXPECT_EQ(command.options.delimiter, ';');
  EXPECT_EQ(command.options.null, "n/a");
  EXPECT_EQ(command.options.force_quote, (std::vector<std::string>{"a", "\"B\""}));

  ASSERT_OK_AND_ASSIGN(command, ParsePgCopy("COPY t TO STDOUT (DELIMITER E'\\t', NULL 'ZZ')"));
  EXPECT_EQ(command.options.format, Format::kText);
  EXPECT_EQ(command.options.delimiter, '\t');
  EXPECT_EQ(command.options.null, "ZZ");
  ASSERT_OK_AND_ASSIGN(command, ParsePgCopy("COPY t TO STDOUT"));
  EXPECT_EQ(command.options.null, "\\N");
  ASSERT_OK_AND_ASSIGN(command, ParsePgCopy("COPY t TO STDOUT (FORMAT binary)"));
  EXPECT_EQ(command.options.format, Format::kBinary);
  ASSERT_OK_AND_ASSIGN(command, ParsePgCopy("COPY t TO STDOUT (ENCODING 'UTF8', HEADER false)"));
  EXPECT_FALSE(command.options.header);
}

TEST(PgCopyTest, ATableMayNameItsColumns) {
  ASSERT_OK_AND_ASSIGN(PgCopyCommand command,
                       ParsePgCopy("copy orders.orders (order_id, \"Amount\") to stdout with csv"));
  EXPECT_EQ(command.select, "SELECT order_id, \"Amount\" FROM orders.orders");
  ASSERT_OK_AND_ASSIGN(command, ParsePgCopy("COPY orders.orders(order_id) TO STDOUT"));
  EXPECT_EQ(command.select, "SELECT order_id FROM orders.orders");
  Result<PgCopyCommand> refused = ParsePgCopy("COPY t (a + 1) TO STDOUT");
  EXPECT_EQ(refused.status().code(), ErrorCode::kUsage);
  EXPECT_THAT(refused.status().message(), HasSubstr("column names"));
}

TEST(PgCopyTest, RefusesWhatItDoesNotDoNamingIt) {
  struct Case {
    const char* sql;
    ErrorCode code;
    const char* message;
  };
  for (const Case& c : std::initializer_list<Case>{
           {"COPY (SELECT 1) TO STDOUT (FORMAT json)", ErrorCode::kInvalidDocument,
            "COPY format \"json\" not recognized"},
           {"COPY (SELECT 1) TO STDOUT (FORMAT parquet)", ErrorCode::kInvalidDocument,
            "\"parquet\""},
           {"COPY (SELECT 1) TO STDOUT (FORMAT csv, FORCE_QUOTE a)", ErrorCode::kUsage,
            "FORCE_QUOTE needs * or a list of columns"},
           {"COPY (SELECT 1) TO STDOUT (bogus 1)", ErrorCode::kUsage,
            "COPY option \"bogus\" not recognized"},
           {"COPY (SELECT 1) TO STDOUT WITH bogus", ErrorCode::kUsage, "\"bogus\""},
           {"COPY (SELECT 1) TO STDOUT (ENCODING 'LATIN1')", ErrorCode::kInvalidDocument, "LATIN1"},
           {"COPY (SELECT 1) TO STDOUT (FORCE_NULL (a))", ErrorCode::kNotSupported,
            "applies to COPY FROM only"},
           {"COPY (SELECT 1) TO STDOUT (FORMAT text, FORCE_QUOTE *)", ErrorCode::kNotSupported,
            "only in CSV mode"},
           {"COPY (SELECT 1) TO STDOUT (FORMAT binary, NULL 'x')", ErrorCode::kUsage,
            "cannot specify NULL in BINARY mode"},
           {"COPY (SELECT 1) TO STDOUT (FORMAT csv, DELIMITER '\"')", ErrorCode::kUsage,
            "delimiter and quote must be different"},
           {"COPY (SELECT 1) TO STDOUT (FORMAT csv, FORMAT text)", ErrorCode::kUsage, "redundant"},
           {"COPY (SELECT 1) TO STDOUT (DELIMITER '::')", ErrorCode::kNotSupported,
            "single one-byte character"},
           {"COPY orders.orders FROM STDIN", ErrorCode::kNotSupported, "read-only"},
           {"COPY orders.orders (a) FROM STDIN", ErrorCode::kNotSupported, "read-only"},
           {"COPY orders.orders TO '/tmp/x.csv'", ErrorCode::kNotSupported, "TO STDOUT"},
           {"COPY orders.orders TO PROGRAM 'cat'", ErrorCode::kNotSupported, "file or program"},
       }) {
    Result<PgCopyCommand> refused = ParsePgCopy(c.sql);
    ASSERT_FALSE(refused.ok()) << c.sql;
    EXPECT_EQ(refused.status().code(), c.code) << c.sql << ": " << refused.status().message();
    EXPECT_THAT(refused.status().message(), HasSubstr(c.message)) << c.sql;
  }
  EXPECT_THAT(ParsePgCopy("COPY t FROM STDIN").status().message(),
              ::testing::Not(HasSubstr("cannot write files")));
}

}  // namespace
}  // namespace quanta::ports
