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

}  // namespace
}  // namespace quanta::ports
