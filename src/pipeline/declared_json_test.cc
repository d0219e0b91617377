#include "pipeline/declared_json.h"

#include <gtest/gtest.h>

#include <string>

namespace quanta::pipeline {
namespace {

using model::Json;

// What the reader replaces: nlohmann-json's own parse, with a callback that drops the
// undeclared top-level members.
Json Reference(std::string_view text, const DeclaredNames& declared) {
  Json::parser_callback_t keep = [&declared](int depth, Json::parse_event_t event, Json& parsed) {
    return depth != 1 || event != Json::parse_event_t::key ||
           declared.count(parsed.get_ref<const std::string&>()) > 0;
  };
  return Json::parse(text, keep, /*allow_exceptions=*/false);
}

TEST(ParseDeclaredTest, ReadsAsNlohmannJsonDoesKeepingOnlyDeclaredTopLevelMembers) {
  DeclaredNames declared = {"id", "attrs", "tags"};
  for (std::string_view text : {
           R"({"id": 1, "other": {"deep": [1, 2]}, "attrs": {"b": 1, "a": 2, "b": 3}})",
           R"({"id": 18446744073709551615, "attrs": -9223372036854775808, "tags": 1.5e3})",
           R"({"attrs": {"x": {"id": 1, "other": 2}}, "tags": [{"other": 1}, [], {}]})",
           R"({"id": 1, "id": 2, "other": 3, "id": 3})",
           R"([{"other": 1, "id": 2}, 3])",
           R"("just text")",
           R"({"id": "\u00e9\ud83d\ude00", "attrs": null, "tags": [true, false]})",
           R"({"id": 1e400})",
           R"({"id": 1,})",
           R"({"id": 1} trailing)",
           R"({"id": 123456789012345678901234567890})",
           "",
           "{\"attrs\": {\"a\": [[[[{\"b\": {}}]]]]}}",
       }) {
    Json expected = Reference(text, declared);
    Json read = ParseDeclared(text, declared);
    ASSERT_EQ(read.is_discarded(), expected.is_discarded()) << text;
    if (!expected.is_discarded()) {
      EXPECT_EQ(read.dump(), expected.dump()) << text;
    }
  }
}

TEST(ParseDeclaredTest, ARepeatedKeyKeepsItsFirstPlaceAndLastValueInLargeObjectsToo) {
  std::string text = R"({"attrs": {)";
  for (int i = 0; i < 40; ++i) text += "\"k" + std::to_string(i) + "\": " + std::to_string(i) + ",";
  text += R"("k3": "again", "k30": "again", "k39": "last"}})";
  Json read = ParseDeclared(text, {"attrs"});
  ASSERT_EQ(read.dump(), Reference(text, {"attrs"}).dump());
  const Json::object_t::Container& attrs = read["attrs"].get_ref<const Json::object_t&>();
  ASSERT_EQ(attrs.size(), 40u);
  EXPECT_EQ(attrs[0].first, "k0");
  EXPECT_EQ(attrs[3].first, "k3");
  EXPECT_EQ(attrs[3].second, "again");
  EXPECT_EQ(attrs[30].second, "again");
  EXPECT_EQ(attrs[39].first, "k39");
  EXPECT_EQ(attrs[39].second, "last");
}

TEST(ParseDeclaredTest, ReadsAnObjectOfManyKeysInsideADeclaredField) {
  // 200000 keys in one nested object: read in order, each once.
  std::string text = R"({"other": 1, "attrs": {)";
  for (int i = 0; i < 200000; ++i) {
    text += (i == 0 ? "\"k" : ",\"k") + std::to_string(i) + "\":{\"v\":" + std::to_string(i) + "}";
  }
  text += "}}";
  Json read = ParseDeclared(text, {"attrs"});
  ASSERT_TRUE(read.is_object());
  ASSERT_EQ(read.size(), 1u);
  const Json::object_t::Container& attrs = read["attrs"].get_ref<const Json::object_t&>();
  ASSERT_EQ(attrs.size(), 200000u);
  EXPECT_EQ(attrs.front().first, "k0");
  EXPECT_EQ(attrs.back().first, "k199999");
  EXPECT_EQ(attrs.back().second, Json({{"v", 199999}}));
}

}  // namespace
}  // namespace quanta::pipeline
