#include "base/json_syntax.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace quanta {
namespace {

TEST(JsonSyntaxTest, SaysWhyAndAtWhichByteATextIsNotJson) {
  EXPECT_EQ(DescribeInvalidJson(R"({"a": NaN})"), "not valid JSON at byte 6: invalid literal");
  EXPECT_EQ(DescribeInvalidJson(R"({"a": Infinity})"), "not valid JSON at byte 6: invalid literal");
  EXPECT_EQ(DescribeInvalidJson(R"({"a": "\ud800"})"),
            "not valid JSON at byte 13: invalid string: surrogate U+D800..U+DBFF must be followed "
            "by U+DC00..U+DFFF");
  EXPECT_EQ(DescribeInvalidJson(R"({"a": 1)"),
            "not valid JSON at its end (byte 7): unexpected end of input; expected '}'");
  EXPECT_EQ(DescribeInvalidJson(R"({"a": "x)"),
            "not valid JSON at its end (byte 8): invalid string: missing closing quote");
  EXPECT_EQ(DescribeInvalidJson(R"([{"a": 1},])"),
            "not valid JSON at byte 10: unexpected ']'; expected '[', '{', or a literal");
  EXPECT_EQ(DescribeInvalidJson(R"([{"a": 1}] xyz)"),
            "not valid JSON at byte 11: invalid literal; expected end of input");
  EXPECT_EQ(DescribeInvalidJson(R"({"a": 1e400})"),
            "not valid JSON at byte 10: number overflow parsing '1e400'");
  EXPECT_EQ(DescribeInvalidJson(""),
            "not valid JSON at its end (byte 0): unexpected end of input; expected '[', '{', or "
            "a literal");
  EXPECT_EQ(DescribeInvalidJson(R"({"a": 1})"), "not valid JSON");  // it is
}

TEST(JsonSyntaxTest, TheReasonHoldsNoneOfTheTextsBytes) {
  // Invalid UTF-8 is named, and not repeated: a reason must itself be valid UTF-8.
  EXPECT_EQ(DescribeInvalidJson("{\"a\": \"caf\xC3\"}"),
            "not valid JSON at byte 11: invalid string: ill-formed UTF-8 byte");
  std::optional<JsonSyntaxError> error = FindJsonSyntaxError("[\"\xFF\xFE\", 1]");
  ASSERT_TRUE(error.has_value());
  EXPECT_EQ(error->offset, 2u);
  EXPECT_EQ(error->reason.find('\xFF'), std::string::npos);
}

}  // namespace
}  // namespace quanta
