#include "store/clock.h"

#include <gtest/gtest.h>

namespace quanta::store {
namespace {

TEST(ClockTest, FormatsAndParsesUtcWithMicroseconds) {
  std::optional<Timestamp> time = ParseTimestamp("2026-03-04T05:06:07.123456Z");
  ASSERT_TRUE(time.has_value());
  EXPECT_EQ(FormatTimestamp(*time), "2026-03-04T05:06:07.123456Z");
  EXPECT_EQ(ToUnixMicros(*time), 1772600767123456);
  EXPECT_EQ(TimestampSqlLiteral(*time), "'2026-03-04 05:06:07.123456+00'::TIMESTAMPTZ");
  EXPECT_EQ(FromUnixMicros(ToUnixMicros(*time)), *time);
}

TEST(ClockTest, ReadsTheFormsUsersWrite) {
  EXPECT_EQ(ParseTimestamp("2026-01-01"), ParseTimestamp("2026-01-01T00:00:00Z"));
  EXPECT_EQ(ParseTimestamp("2026-01-01 02:30"), ParseTimestamp("2026-01-01T02:30:00Z"));
  EXPECT_EQ(ParseTimestamp("2026-01-01T02:00:00+02:00"), ParseTimestamp("2026-01-01T00:00:00Z"));
  EXPECT_EQ(ParseTimestamp("2025-12-31T23:00:00-0100"), ParseTimestamp("2026-01-01T00:00:00Z"));
  EXPECT_EQ(FormatTimestamp(*ParseTimestamp("2026-01-01T00:00:00.5Z")),
            "2026-01-01T00:00:00.500000Z");
  EXPECT_EQ(FormatTimestamp(*ParseTimestamp("1969-12-31T23:59:59.999999Z")),
            "1969-12-31T23:59:59.999999Z");
}

TEST(ClockTest, RefusesWhatIsNotATimestamp) {
  for (const char* text :
       {"", "yesterday", "2026-13-01", "2026-02-30", "2026-01-01T25:00:00Z", "2026-01-01T10:00:00Q",
        "2026-01-01T10", "2026-01-01T10:00:00.Z", "2026-01-01T10:00:00Z junk"}) {
    EXPECT_FALSE(ParseTimestamp(text).has_value()) << text;
  }
}

TEST(ClockTest, AManualClockMovesOnlyWhenTold) {
  Timestamp start = *ParseTimestamp("2026-01-01T00:00:00Z");
  ManualClock clock(start);
  EXPECT_EQ(clock.Now(), start);
  clock.Advance(std::chrono::seconds(90));
  EXPECT_EQ(FormatTimestamp(clock.Now()), "2026-01-01T00:01:30.000000Z");
  clock.Set(start);
  EXPECT_EQ(clock.Now(), start);
  SystemClock system;
  EXPECT_GT(system.Now(), start - std::chrono::hours(24 * 365));
}

}  // namespace
}  // namespace quanta::store
