#include "ports/ingest_port.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "testing/matchers.h"

namespace quanta::ports {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(SplitRecordsTest, TakesEachNonBlankLineOfNdjsonAsItIs) {
  ASSERT_OK_AND_ASSIGN(std::vector<std::string> records,
                       SplitRecords("{\"a\": 1}\r\n\n  \n{not json\n{\"b\":2}", ""));
  EXPECT_THAT(records, ElementsAre("{\"a\": 1}", "{not json", "{\"b\":2}"));
}

TEST(SplitRecordsTest, TakesEachElementOfAnArrayOnOneLine) {
  ASSERT_OK_AND_ASSIGN(
      std::vector<std::string> records,
      SplitRecords("[{\"b\": 1,\n \"a\": \"x\\ny\"},\n 7, [1,\r\n2], {\"a\": 1, \"a\": 2}]", ""));
  EXPECT_THAT(records, ElementsAre("{\"b\":1,\"a\":\"x\\ny\"}", "7", "[1,2]", "{\"a\":1,\"a\":2}"));
  ASSERT_OK_AND_ASSIGN(records, SplitRecords("  [ ]  ", "application/json; charset=utf-8"));
  EXPECT_THAT(records, ElementsAre());
}

TEST(SplitRecordsTest, ReadsArraysThatOnlyNlohmannJsonReads) {
  ASSERT_OK_AND_ASSIGN(
      std::vector<std::string> records,
      SplitRecords("[{\"n\": 123456789012345678901234567890}, {\"s\": \"[[\"}]", ""));
  ASSERT_EQ(records.size(), 2u);
  EXPECT_THAT(records[0], HasSubstr("\"n\":1.2345678901234568e+29"));
}

TEST(SplitRecordsTest, RefusesHostileNestingWithoutRecursingPerLevel) {
  // Deep enough to overflow a recursive writer's stack: refused with the depth named.
  std::string deep = std::string(200000, '[') + std::string(200000, ']');
  Result<std::vector<std::string>> records = SplitRecords("[" + deep + "]", "");
  ASSERT_FALSE(records.ok());
  EXPECT_THAT(records.status().message(), HasSubstr("200001 levels deep"));
}

TEST(SplitRecordsTest, RefusesABodyThatIsNotAnArray) {
  for (std::string body : {"[{\"a\": 1}", "[1, 2,]", "{\"a\": 1}", "[\"caf\xC3\"]"}) {
    Result<std::vector<std::string>> records = SplitRecords(body, "application/json");
    ASSERT_FALSE(records.ok()) << body;
    EXPECT_THAT(records.status().message(), HasSubstr("not a JSON array of records")) << body;
  }
}

}  // namespace
}  // namespace quanta::ports
