#include "ports/http_fields.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace quanta::ports {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

TEST(SplitFieldListTest, TrimsElementsAndDropsEmptyOnes) {
  EXPECT_THAT(SplitFieldList("gzip, chunked"), ElementsAre("gzip", "chunked"));
  EXPECT_THAT(SplitFieldList(" chunked\t"), ElementsAre("chunked"));
  EXPECT_THAT(SplitFieldList("a,, b ,"), ElementsAre("a", "b"));
  EXPECT_THAT(SplitFieldList(""), IsEmpty());
  EXPECT_THAT(SplitFieldList(" , "), IsEmpty());
}

TEST(MediaTypeOfTest, DropsParametersAndCase) {
  EXPECT_EQ(MediaTypeOf("Application/JSON; charset=utf-8"), "application/json");
  EXPECT_EQ(MediaTypeOf(" application/x-ndjson "), "application/x-ndjson");
  EXPECT_EQ(MediaTypeOf(""), "");
  EXPECT_EQ(MediaTypeOf(" ;charset=utf-8"), "");
}

}  // namespace
}  // namespace quanta::ports
