#include "base/ascii.h"

#include <gtest/gtest.h>

namespace quanta {
namespace {

TEST(AsciiTest, ChangesCaseOfAsciiLettersOnly) {
  EXPECT_EQ(AsciiLower("Decimal(10,2) É"), "decimal(10,2) É");
  EXPECT_EQ(AsciiUpper("varchar[] é"), "VARCHAR[] é");
}

TEST(AsciiTest, TrimsBlanksAtBothEnds) {
  EXPECT_EQ(TrimBlanks("  \t a b \r\n"), "a b");
  EXPECT_EQ(TrimBlanks(" \n "), "");
  EXPECT_EQ(TrimBlanks(""), "");
}

}  // namespace
}  // namespace quanta
