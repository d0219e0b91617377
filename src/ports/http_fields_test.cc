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

constexpr std::string_view kReadTypes[] = {"application/json", "application/x-ndjson"};

std::optional<std::size_t> Negotiate(std::optional<std::string> accept) {
  return NegotiateMediaType(accept, kReadTypes);
}

TEST(NegotiateMediaTypeTest, NoOrBlankAcceptGetsTheFirstOffer) {
  EXPECT_EQ(Negotiate(std::nullopt), 0u);
  EXPECT_EQ(Negotiate(""), 0u);
  EXPECT_EQ(Negotiate(" "), 0u);
}

TEST(NegotiateMediaTypeTest, TheHighestQWins) {
  EXPECT_EQ(Negotiate("application/x-ndjson;q=0.1, application/json"), 0u);
  EXPECT_EQ(Negotiate("application/json;q=0.5, application/x-ndjson;q=0.9"), 1u);
  EXPECT_EQ(Negotiate("application/x-ndjson"), 1u);
  EXPECT_EQ(Negotiate("Application/X-NDJSON ; Q=1.0"), 1u);
  EXPECT_EQ(Negotiate("*/*;q=0.5, application/x-ndjson"), 1u);
  EXPECT_EQ(Negotiate("application/*;q=0.2, application/json;q=0.1"), 1u)
      << "the most specific range gives an offer its q";
}

TEST(NegotiateMediaTypeTest, TiesGoToTheRangeListedFirst) {
  EXPECT_EQ(Negotiate("application/json, application/x-ndjson"), 0u);
  EXPECT_EQ(Negotiate("application/x-ndjson, application/json"), 1u);
  EXPECT_EQ(Negotiate("text/html, */*;q=0.8"), 0u);
  EXPECT_EQ(Negotiate("application/*"), 0u);
}

TEST(NegotiateMediaTypeTest, QZeroAndUnmatchedTypesAreNotAcceptable) {
  EXPECT_EQ(Negotiate("application/json;q=0, application/x-ndjson;q=0.1"), 1u);
  EXPECT_EQ(Negotiate("*/*, application/json;q=0"), 1u);
  EXPECT_EQ(Negotiate("application/x-ndjson;q=0"), std::nullopt);
  EXPECT_EQ(Negotiate("text/csv"), std::nullopt);
}

TEST(NegotiateMediaTypeTest, SkipsElementsItCannotRead) {
  EXPECT_EQ(Negotiate("application/x-ndjson;q=2, application/json;q=0.3"), 0u);
  EXPECT_EQ(Negotiate("application/x-ndjson;q=abc"), std::nullopt);
  EXPECT_EQ(Negotiate("nonsense, application/x-ndjson"), 1u);
  EXPECT_EQ(Negotiate("application/x-ndjson;level=1;q=0.4;ext=1, application/json;q=0.3"), 1u);
}

}  // namespace
}  // namespace quanta::ports
