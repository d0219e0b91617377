#include "ports/pg_settings.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace quanta::ports {
namespace {

using ::testing::HasSubstr;

std::string Checked(std::string_view name, std::string_view value) {
  Result<std::string> checked = CheckPgSetting(*FindPgSetting(name), value);
  return checked.ok() ? *checked
                      : "error " + std::string(InfoFor(checked.status().code()).sqlstate);
}

TEST(PgSettingsTest, AcceptsOnlyTheValuesThePortHonours) {
  EXPECT_EQ(Checked("datestyle", "ISO"), "ISO, MDY");
  EXPECT_EQ(Checked("DateStyle", "ISO, MDY"), "ISO, MDY");
  EXPECT_EQ(Checked("DateStyle", "SQL, DMY"), "error 0A000");
  EXPECT_EQ(Checked("DateStyle", "ISO, DMY"), "error 0A000");
  EXPECT_EQ(Checked("DateStyle", "Foo"), "error 22023");
  EXPECT_EQ(Checked("extra_float_digits", "3"), "3");
  EXPECT_EQ(Checked("extra_float_digits", "0"), "error 0A000");
  EXPECT_EQ(Checked("extra_float_digits", "-16"), "error 22023");
  EXPECT_EQ(Checked("extra_float_digits", "two"), "error 22023");
  EXPECT_EQ(Checked("TimeZone", "Etc/UTC"), "UTC");
  EXPECT_EQ(Checked("TimeZone", "Europe/Paris"), "error 0A000");
  EXPECT_EQ(Checked("client_encoding", "unicode"), "UTF8");
  EXPECT_EQ(Checked("search_path", "orders, $user"), "orders, \"$user\"");
  EXPECT_EQ(Checked("statement_timeout", "soon"), "error 22023");
  EXPECT_EQ(Checked("transaction_isolation", "serializable"), "error 0A000");
}

TEST(PgSettingsTest, TellsPostgresSettingsThePortLacksFromUnknownNames) {
  EXPECT_EQ(UnavailablePgSetting("work_mem").code(), ErrorCode::kNotSupported);
  Status unknown = UnavailablePgSetting("no_such_setting");
  EXPECT_EQ(unknown.code(), ErrorCode::kNotFound);
  EXPECT_EQ(unknown.message(), "unrecognized configuration parameter \"no_such_setting\"");
}

TEST(PgSettingsTest, ReadsTheSearchPathsSchemas) {
  EXPECT_THAT(PgSearchPathSchemas("\"$user\", public", "dev"),
              ::testing::ElementsAre("dev", "public"));
  EXPECT_THAT(PgSearchPathSchemas("orders", "dev"), ::testing::ElementsAre("orders"));
}

TEST(PgSettingsTest, ParsesStartupOptionsAsPostgres) {
  auto options = ParsePgStartupOptions(
      "-c search_path=orders -cstatement_timeout=1000 "
      "--application-name=a\\ b");
  ASSERT_TRUE(options.ok()) << options.status().message();
  ASSERT_EQ(options->size(), 3u);
  EXPECT_EQ((*options)[0], std::make_pair(std::string("search_path"), std::string("orders")));
  EXPECT_EQ((*options)[1].first, "statement_timeout");
  EXPECT_EQ((*options)[2], std::make_pair(std::string("application_name"), std::string("a b")));
  EXPECT_THAT(ParsePgStartupOptions("-c search_path").status().message(),
              HasSubstr("requires a value"));
  EXPECT_EQ(ParsePgStartupOptions("-d 5").status().code(), ErrorCode::kNotSupported);
}

}  // namespace
}  // namespace quanta::ports
