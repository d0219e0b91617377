#include "ports/pg_cursor.h"

#include <gtest/gtest.h>

#include <limits>

#include "testing/matchers.h"

namespace quanta::ports {
namespace {

using Direction = PgFetchCursor::Direction;

TEST(PgCursorTest, ParsesDeclareAsPsqlAndPsycopgSendIt) {
  ASSERT_OK_AND_ASSIGN(PgDeclareCursor psql,
                       ParsePgDeclare("DECLARE _psql_cursor NO SCROLL CURSOR FOR\n"
                                      "SELECT i FROM range(10) t(i)"));
  EXPECT_EQ(psql.name, "_psql_cursor");
  EXPECT_TRUE(psql.no_scroll);
  EXPECT_FALSE(psql.scroll);
  EXPECT_FALSE(psql.hold);
  EXPECT_EQ(psql.query, "\nSELECT i FROM range(10) t(i)");
  EXPECT_EQ(psql.query_offset, 41u);

  ASSERT_OK_AND_ASSIGN(PgDeclareCursor psycopg,
                       ParsePgDeclare("DECLARE \"Big \"\"one\"\"\" CURSOR WITHOUT HOLD FOR "
                                      "SELECT 'for' AS \"for\""));
  EXPECT_EQ(psycopg.name, "Big \"one\"");
  EXPECT_FALSE(psycopg.hold);
  EXPECT_EQ(psycopg.query, " SELECT 'for' AS \"for\"");

  ASSERT_OK_AND_ASSIGN(PgDeclareCursor held,
                       ParsePgDeclare("declare Rows binary insensitive cursor with hold "
                                      "/* comment */ for select 1"));
  EXPECT_EQ(held.name, "rows");  // unquoted names fold to lower case
  EXPECT_TRUE(held.binary);
  EXPECT_TRUE(held.hold);
  EXPECT_EQ(held.query, " select 1");
}

TEST(PgCursorTest, RefusesDeclareThatIsNotOne) {
  for (const char* bad :
       {"DECLARE", "DECLARE c", "DECLARE c CURSOR", "DECLARE c CURSOR FOR",
        "DECLARE c CURSOR FOR ;", "DECLARE c SCROLL NO SCROLL CURSOR FOR SELECT 1",
        "DECLARE c CURSOR WITH FOR SELECT 1", "DECLARE c TABLE FOR SELECT 1",
        "DECLARE 1 CURSOR FOR SELECT 1", "DECLARE \"\" CURSOR FOR SELECT 1",
        "DECLARE \"c CURSOR FOR SELECT 1"}) {
    Result<PgDeclareCursor> declare = ParsePgDeclare(bad);
    EXPECT_FALSE(declare.ok()) << bad;
    EXPECT_EQ(declare.status().code(), ErrorCode::kUsage) << bad;
  }
}

TEST(PgCursorTest, ParsesEveryFetchDirection) {
  struct Case {
    const char* text;
    Direction direction;
    std::int64_t count;
    bool all;
  };
  for (const Case& c : {
           Case{"FETCH c", Direction::kForward, 1, false},
           Case{"FETCH NEXT FROM c", Direction::kForward, 1, false},
           Case{"FETCH FORWARD 100 FROM c", Direction::kForward, 100, false},
           Case{"fetch forward from c", Direction::kForward, 1, false},
           Case{"FETCH FORWARD ALL IN c", Direction::kForward, 1, true},
           Case{"FETCH ALL c", Direction::kForward, 1, true},
           Case{"FETCH 5 c;", Direction::kForward, 5, false},
           Case{"FETCH -2 FROM c", Direction::kBackward, 2, false},
           Case{"FETCH +3 FROM c", Direction::kForward, 3, false},
           Case{"FETCH PRIOR FROM c", Direction::kBackward, 1, false},
           Case{"FETCH BACKWARD ALL FROM c", Direction::kBackward, 1, true},
           Case{"FETCH FIRST FROM c", Direction::kAbsolute, 1, false},
           Case{"FETCH LAST FROM c", Direction::kAbsolute, -1, false},
           Case{"FETCH ABSOLUTE 7 FROM c", Direction::kAbsolute, 7, false},
           Case{"FETCH RELATIVE -1 FROM c", Direction::kRelative, -1, false},
       }) {
    ASSERT_OK_AND_ASSIGN(PgFetchCursor fetch, ParsePgFetch(c.text));
    EXPECT_FALSE(fetch.move) << c.text;
    EXPECT_EQ(fetch.direction, c.direction) << c.text;
    EXPECT_EQ(fetch.all, c.all) << c.text;
    if (!c.all) {
      EXPECT_EQ(fetch.count, c.count) << c.text;
    }
    EXPECT_EQ(fetch.name, "c") << c.text;
  }
  ASSERT_OK_AND_ASSIGN(PgFetchCursor lowest, ParsePgFetch("FETCH -9223372036854775808 c"));
  EXPECT_EQ(lowest.direction, Direction::kBackward);
  EXPECT_EQ(lowest.count, std::numeric_limits<std::int64_t>::max());
  ASSERT_OK_AND_ASSIGN(PgFetchCursor psql, ParsePgFetch("FETCH FORWARD 100 FROM _psql_cursor"));
  EXPECT_EQ(psql.name, "_psql_cursor");
  ASSERT_OK_AND_ASSIGN(PgFetchCursor move, ParsePgFetch("MOVE FORWARD 10 IN \"My Cursor\""));
  EXPECT_TRUE(move.move);
  EXPECT_EQ(move.count, 10);
  EXPECT_EQ(move.name, "My Cursor");
}

TEST(PgCursorTest, RefusesFetchThatIsNotOne) {
  for (const char* bad : {"FETCH", "FETCH FORWARD", "FETCH ABSOLUTE FROM c", "FETCH 1 FROM c d",
                          "FETCH FROM", "FETCH NEXT FROM 'c'"}) {
    EXPECT_FALSE(ParsePgFetch(bad).ok()) << bad;
  }
}

TEST(PgCursorTest, ParsesClose) {
  ASSERT_OK_AND_ASSIGN(PgCloseCursor one, ParsePgClose("CLOSE \"name\";"));
  EXPECT_FALSE(one.all);
  EXPECT_EQ(one.name, "name");
  ASSERT_OK_AND_ASSIGN(PgCloseCursor all, ParsePgClose("close all"));
  EXPECT_TRUE(all.all);
  EXPECT_FALSE(ParsePgClose("CLOSE").ok());
  EXPECT_FALSE(ParsePgClose("CLOSE a b").ok());
}

TEST(PgCursorTest, PlansFetchesThatReadForward) {
  auto plan = [](const char* text, std::int64_t position) {
    Result<PgFetchCursor> fetch = ParsePgFetch(text);
    EXPECT_TRUE(fetch.ok()) << text;
    return PlanForwardFetch(*fetch, position);
  };
  ASSERT_OK_AND_ASSIGN(PgForwardFetch forward, plan("FETCH FORWARD 100 FROM c", 200));
  EXPECT_EQ(forward.skip, 0);
  EXPECT_EQ(forward.rows, 100);
  EXPECT_FALSE(forward.all);
  ASSERT_OK_AND_ASSIGN(PgForwardFetch all, plan("FETCH ALL FROM c", 3));
  EXPECT_TRUE(all.all);
  ASSERT_OK_AND_ASSIGN(PgForwardFetch absolute, plan("FETCH ABSOLUTE 10 FROM c", 4));
  EXPECT_EQ(absolute.skip, 5);  // rows 5..9 passed, row 10 fetched
  EXPECT_EQ(absolute.rows, 1);
  ASSERT_OK_AND_ASSIGN(PgForwardFetch first, plan("FETCH FIRST FROM c", 0));
  EXPECT_EQ(first.skip, 0);
  EXPECT_EQ(first.rows, 1);
  ASSERT_OK_AND_ASSIGN(PgForwardFetch relative, plan("MOVE RELATIVE 3 FROM c", 4));
  EXPECT_EQ(relative.skip, 2);
  EXPECT_EQ(relative.rows, 1);
}

TEST(PgCursorTest, RefusesFetchesThatReadBackward) {
  for (const char* text :
       {"FETCH PRIOR FROM c", "FETCH BACKWARD 2 FROM c", "FETCH -1 FROM c", "FETCH LAST FROM c",
        "FETCH FIRST FROM c", "FETCH ABSOLUTE 2 FROM c", "FETCH RELATIVE 0 FROM c",
        "FETCH FORWARD 0 FROM c", "FETCH BACKWARD ALL FROM c"}) {
    Result<PgFetchCursor> fetch = ParsePgFetch(text);
    ASSERT_TRUE(fetch.ok()) << text;
    Result<PgForwardFetch> plan = PlanForwardFetch(*fetch, 2);
    ASSERT_FALSE(plan.ok()) << text;
    EXPECT_NE(plan.status().message().find("cursor can only scan forward"), std::string::npos)
        << plan.status().message();
  }
}

}  // namespace
}  // namespace quanta::ports
