#include "ports/pg_dialect.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace quanta::ports {
namespace {

TEST(PgDialectTest, RewritesTheSpellingsOfPsqlsCatalogQueries) {
  EXPECT_EQ(NormalizePostgresDialect(
                "WHERE c.relname OPERATOR(pg_catalog.~) '^(orders)$' COLLATE pg_catalog.default"),
            "WHERE c.relname  ~  '^(orders)$' ");
  EXPECT_EQ(NormalizePostgresDialect("c.reloftype::pg_catalog.regtype::pg_catalog.text"),
            "c.reloftype::VARCHAR::text");
  EXPECT_EQ(NormalizePostgresDialect("d.classoid = 'pg_class'::regclass"), "d.classoid = 1259");
  EXPECT_EQ(NormalizePostgresDialect("attrelid = 'orders.orders'::regclass"),
            "attrelid = COALESCE(to_regclass('orders.orders'), error('quanta-pg-error:42P01:' || "
            "'relation \"' || 'orders.orders' || '\" does not exist'))");
  EXPECT_EQ(NormalizePostgresDialect("'it''s'::pg_catalog.regclass::oid"),
            "COALESCE(to_regclass('it''s'), error('quanta-pg-error:42P01:' || 'relation \"' || "
            "'it''s' || '\" does not exist'))::oid");
  EXPECT_EQ(NormalizePostgresDialect("c.oid::regclass"), "c.oid::VARCHAR");
  // \dd and \dT+ cast to qualified types; \dX to regnamespace and regclass.
  EXPECT_EQ(NormalizePostgresDialect("CAST(pgc.conname AS pg_catalog.text) as name"),
            "CAST(pgc.conname AS text) as name");
  EXPECT_EQ(NormalizePostgresDialect("CAST(x AS  pg_catalog.regoperator)"), "CAST(x AS VARCHAR)");
  EXPECT_EQ(NormalizePostgresDialect("es.stxnamespace::pg_catalog.regnamespace::pg_catalog.text"),
            "es.stxnamespace::VARCHAR::text");
  // \sf abs looks a function up by its name: the type stays for the sandbox to answer.
  EXPECT_EQ(NormalizePostgresDialect("SELECT 'abs'::pg_catalog.regproc::pg_catalog.oid"),
            "SELECT 'abs'::regproc::oid");
  EXPECT_EQ(NormalizePostgresDialect("e.evtfoid::pg_catalog.regproc"), "e.evtfoid::VARCHAR");
}

TEST(PgDialectTest, ReadsByteaHexLiteralsAsPostgresqlDoes) {
  // psycopg2 sends bytes parameters as '\x..'::bytea; DuckDB alone would read \x01 as one byte
  // and the digits after it as characters.
  EXPECT_EQ(NormalizePostgresDialect("SELECT '\\x0102ff'::bytea"),
            "SELECT '\\x01\\x02\\xFF'::bytea");
  EXPECT_EQ(NormalizePostgresDialect("SELECT '\\X01 02'::pg_catalog.bytea"),
            "SELECT '\\x01\\x02'::bytea");
  EXPECT_EQ(NormalizePostgresDialect("SELECT bytea '\\xdead'"), "SELECT '\\xDE\\xAD'::BLOB");
  EXPECT_EQ(NormalizePostgresDialect("SELECT '\\x'::bytea"), "SELECT ''::bytea");
  // PostgreSQL's errors, raised where the literal is read.
  EXPECT_EQ(NormalizePostgresDialect("SELECT '\\x0g'::bytea"),
            "SELECT error('quanta-pg-error:22023:' || 'invalid hexadecimal digit: \"g\"')::bytea");
  EXPECT_EQ(NormalizePostgresDialect("SELECT '\\x012'::bytea"),
            "SELECT error('quanta-pg-error:22023:' || 'invalid hexadecimal data: odd number of "
            "digits')::bytea");
  // The escape format: a backslash and three octal digits, or two backslashes.
  EXPECT_EQ(NormalizePostgresDialect("SELECT 'a\\000\\\\b''c\\377'::bytea"),
            "SELECT 'a\\x00\\x5Cb''c\\xFF'::bytea");
  EXPECT_EQ(NormalizePostgresDialect("SELECT 'a\\9'::bytea"),
            "SELECT error('quanta-pg-error:22P02:' || 'invalid input syntax for type "
            "bytea')::bytea");
  // Without a backslash, and as other types, the text means the same to DuckDB.
  for (const char* sql : {"SELECT 'abc'::bytea", "SELECT '\\x01'::text", "SELECT bytea 'abc'",
                          "SELECT E'\\\\x01'::bytea"}) {
    EXPECT_EQ(NormalizePostgresDialect(sql), sql);
  }
}

TEST(PgDialectTest, ReadsBackTheErrorsItRaises) {
  std::optional<RaisedPgError> raised =
      FindRaisedPgError("Invalid Input Error: quanta-pg-error:42P01:relation \"x\" does not exist");
  ASSERT_TRUE(raised.has_value());
  EXPECT_EQ(raised->sqlstate, "42P01");
  EXPECT_EQ(raised->message, "relation \"x\" does not exist");
  // The mark quoted inside another error is that error's text.
  EXPECT_FALSE(
      FindRaisedPgError("Conversion Error: Could not convert string "
                        "'quanta-pg-error:42501:x' to INT32"));
  EXPECT_FALSE(FindRaisedPgError("Invalid Input Error: quanta-pg-error:42"));
}

TEST(PgDialectTest, LeavesQuotedTextAndCommentsAlone) {
  for (const char* sql : {"SELECT 'OPERATOR(pg_catalog.~)'", "SELECT \"x::regclass\"",
                          "SELECT 1 -- COLLATE pg_catalog.default", "SELECT /* ::regtype */ 1",
                          "SELECT E'it\\'s ::regclass'", "SELECT 1 AS \"pg_catalog.text\""}) {
    EXPECT_EQ(NormalizePostgresDialect(sql), sql);
  }
}

TEST(PgDialectTest, PassesOtherSqlThroughAndSurvivesHostileText) {
  EXPECT_EQ(NormalizePostgresDialect("SELECT a::INTEGER, b COLLATE nocase FROM t"),
            "SELECT a::INTEGER, b COLLATE nocase FROM t");
  for (const char* sql : {"'", "\"", "OPERATOR(", "OPERATOR", "::", "COLLATE", "/*", "--"}) {
    (void)NormalizePostgresDialect(sql);
  }
}

TEST(PgDialectTest, CastsTheParametersGivenATypeAndNoOther) {
  EXPECT_EQ(CastParameters("SELECT $1, $2 || 'a', $1 + $10", {"VARCHAR", "", ""}),
            "SELECT CAST($1 AS VARCHAR), $2 || 'a', CAST($1 AS VARCHAR) + $10");
  EXPECT_EQ(CastParameters("SELECT '$1', \"$1\", 'it''s $1', a$1, $1", {"BIGINT"}),
            "SELECT '$1', \"$1\", 'it''s $1', a$1, CAST($1 AS BIGINT)");
  EXPECT_EQ(CastParameters("SELECT $", {"BIGINT"}), "SELECT $");
  EXPECT_EQ(CastParameters("SELECT 'open", {"BIGINT"}), "SELECT 'open");
  EXPECT_EQ(CastParameters("SELECT $99999999999999999999999", {"BIGINT"}),
            "SELECT $99999999999999999999999");
}

TEST(ParametersAsNullsTest, ReplacesEachParameterOutsideQuotesByATypedNull) {
  EXPECT_EQ(ParametersAsNulls("SELECT * FROM range($1) WHERE '$1' <> $2", {"BIGINT", "VARCHAR"}),
            "SELECT * FROM range(CAST(NULL AS BIGINT)) WHERE '$1' <> CAST(NULL AS VARCHAR)");
  EXPECT_EQ(ParametersAsNulls("SELECT $3", {"BIGINT"}), "SELECT $3");  // none to give it
}

TEST(PgDialectTest, TypesParametersAsPostgresqlWould) {
  EXPECT_EQ(DuckdbTypeForParameter(0), "VARCHAR");     // unspecified: text
  EXPECT_EQ(DuckdbTypeForParameter(705), "VARCHAR");   // unknown
  EXPECT_EQ(DuckdbTypeForParameter(25), "VARCHAR");    // text
  EXPECT_EQ(DuckdbTypeForParameter(20), "BIGINT");     // int8
  EXPECT_EQ(DuckdbTypeForParameter(21), "SMALLINT");   // int2
  EXPECT_EQ(DuckdbTypeForParameter(1700), "VARCHAR");  // numeric keeps its digits as text
}

TEST(PgDialectTest, ReadsArrayLiteralsCastToListTypesAsPostgresqlDoes) {
  EXPECT_EQ(NormalizePostgresDialect("SELECT '{1, NULL,\"3\"}'::int[]"),
            "SELECT ['1', NULL, '3']::int[]");
  EXPECT_EQ(NormalizePostgresDialect("SELECT '{a,\"b c\",\"it''s\"}'::pg_catalog.text[]"),
            "SELECT ['a', 'b c', 'it''s']::text[]");
  EXPECT_EQ(NormalizePostgresDialect("SELECT '{}'::bigint []"), "SELECT []::bigint []");
  // Not an array literal, not a list type, or an escape string: DuckDB reads them.
  EXPECT_EQ(NormalizePostgresDialect("SELECT '[1, 2]'::int[]"), "SELECT '[1, 2]'::int[]");
  EXPECT_EQ(NormalizePostgresDialect("SELECT '{1}'::text"), "SELECT '{1}'::text");
  EXPECT_EQ(NormalizePostgresDialect("SELECT E'{1}'::int[]"), "SELECT E'{1}'::int[]");
  // A malformed one is PostgreSQL's 22P02.
  std::string malformed = NormalizePostgresDialect("SELECT '{1,2'::int[]");
  EXPECT_NE(malformed.find("22P02"), std::string::npos) << malformed;
  EXPECT_NE(malformed.find("malformed array literal"), std::string::npos) << malformed;
  // A long one is quoted cut short; more dimensions than one are not supported (0A000).
  std::string long_literal =
      NormalizePostgresDialect("SELECT '" + std::string(10000, '{') + "'::int[]");
  EXPECT_LT(long_literal.size(), 400u) << long_literal;
  std::string nested = NormalizePostgresDialect("SELECT '{{1,2},{3,4}}'::int[]");
  EXPECT_NE(nested.find("0A000"), std::string::npos) << nested;
}

TEST(PostgresConversionErrorTest, SaysWhatPostgresqlSaysOfABadOrTooLargeNumber) {
  std::optional<RaisedPgError> bad = PostgresConversionError(
      "Conversion Error: Could not convert string 'it's' to INT32 when "
      "casting from source column a\n\nLINE 1: ...");
  ASSERT_TRUE(bad.has_value());
  EXPECT_EQ(bad->sqlstate, "22P02");
  EXPECT_EQ(bad->message, "invalid input syntax for type integer: \"it's\"");
  std::optional<RaisedPgError> big = PostgresConversionError(
      "Conversion Error: Could not convert string ' -99999999999' to INT32");
  ASSERT_TRUE(big.has_value());
  EXPECT_EQ(big->sqlstate, "22003");
  EXPECT_EQ(big->message, "value \" -99999999999\" is out of range for type integer");
  std::optional<RaisedPgError> decimal =
      PostgresConversionError("Conversion Error: Could not convert string \"1e\" to DECIMAL(10,2)");
  ASSERT_TRUE(decimal.has_value());
  EXPECT_EQ(decimal->message, "invalid input syntax for type numeric: \"1e\"");
  // Types PostgreSQL spells otherwise, and other messages, stay DuckDB's.
  EXPECT_FALSE(PostgresConversionError("Conversion Error: Could not convert string 'x' to INT128"));
  EXPECT_FALSE(PostgresConversionError("Conversion Error: invalid date field format: \"x\""));
  EXPECT_FALSE(PostgresConversionError("Conversion Error: Could not convert string '"));
}

TEST(PgDialectTest, PointsPositionsOfTheRewrittenTextBackIntoTheOriginal) {
  const std::string original = "SELECT '{1,2}'::int[], x OPERATOR(pg_catalog.~) 'a', nosuch";
  DialectPositions positions;
  const std::string rewritten = NormalizePostgresDialect(original, &positions);
  ASSERT_NE(rewritten, original);
  for (std::string_view word : {"x ", "'a'", "nosuch"}) {
    std::size_t at = rewritten.find(word);
    ASSERT_NE(at, std::string::npos) << word;
    EXPECT_EQ(positions.Original(at), original.find(word)) << word;
    EXPECT_EQ(positions.OriginalPosition(static_cast<int>(at) + 1),
              static_cast<int>(original.find(word)) + 1);
  }
  // Inside a rewritten spelling: inside the original one. No position stays none.
  std::size_t inside = positions.Original(rewritten.find("'2'"));
  EXPECT_GE(inside, original.find("'{1,2}'"));
  EXPECT_LT(inside, original.find("::int[]"));
  EXPECT_EQ(positions.OriginalPosition(0), 0);
  // Text without rewrites maps to itself.
  DialectPositions plain;
  EXPECT_EQ(NormalizePostgresDialect("SELECT a FROM t", &plain), "SELECT a FROM t");
  EXPECT_EQ(plain.Original(9), 9u);
}

TEST(SplitDuckdbErrorTest, DropsTheClassAndTurnsAdviceIntoTheHintAndTheRestIntoTheDetail) {
  PgErrorText unknown = SplitDuckdbError(
      "Catalog Error: Scalar Function with name sleep does not exist!\n"
      "Did you mean \"pg_sleep\"?\n\nLINE 1: SELECT sleep(1)\n               ^");
  EXPECT_EQ(unknown.message, "Scalar Function with name sleep does not exist!");
  EXPECT_EQ(unknown.hint, "Did you mean \"pg_sleep\"?");
  EXPECT_EQ(unknown.detail, "");

  PgErrorText ambiguous = SplitDuckdbError(
      "Binder Error: Could not choose a best candidate function for the function call "
      "\"+(INTEGER, STRING_LITERAL)\". In order to select one, please add explicit type casts.\n"
      "\tCandidate functions:\n\t+(INTEGER, DATE) -> DATE\n\t+(INTEGER, INTEGER) -> INTEGER\n");
  EXPECT_THAT(ambiguous.message, ::testing::StartsWith("Could not choose a best candidate"));
  EXPECT_EQ(ambiguous.detail,
            "Candidate functions:\n+(INTEGER, DATE) -> DATE\n+(INTEGER, INTEGER) -> INTEGER");
  EXPECT_EQ(ambiguous.hint, "");

  PgErrorText grouped = SplitDuckdbError(
      "Binder Error: column \"a\" must appear in the GROUP BY clause or must be part of an "
      "aggregate function.\nEither add it to the GROUP BY list, or use \"ANY_VALUE(a)\" if the "
      "exact value of \"a\" is not important.");
  EXPECT_EQ(grouped.message,
            "column \"a\" must appear in the GROUP BY clause or must be part of an aggregate "
            "function.");
  EXPECT_THAT(grouped.hint, ::testing::StartsWith("Either add it to the GROUP BY list"));

  PgErrorText range = SplitDuckdbError("Out of Range Error: Overflow in addition of INT32");
  EXPECT_EQ(range.message, "Overflow in addition of INT32");
}

TEST(SplitDuckdbErrorTest, LeavesOtherMessagesWhole) {
  for (const char* message :
       {"relation \"nosuch\" does not exist; name a dataset with its product's schema",
        "permission denied for dataset orders: the Error: is not a class", "x\ny", ""}) {
    PgErrorText text = SplitDuckdbError(message);
    EXPECT_EQ(text.message, message);
    EXPECT_EQ(text.detail, "");
    EXPECT_EQ(text.hint, "");
  }
}

}  // namespace
}  // namespace quanta::ports
