#include "engine/refused_functions.h"

#include <gtest/gtest.h>

namespace quanta::engine {
namespace {

TEST(RefusedFunctionsTest, NamesWhyEachRefusedFunctionIsRefused) {
  EXPECT_EQ(WhyFunctionIsRefused("getenv"), "it reveals the node's environment");
  EXPECT_NE(WhyFunctionIsRefused("current_query")->find("rewritten"), std::string_view::npos);
  for (std::string_view name : {"query", "query_table", "stats", "write_log", "nextval",
                                "json_execute_serialized_sql", "current_setting"}) {
    EXPECT_TRUE(WhyFunctionIsRefused(name).has_value()) << name;
  }
}

TEST(RefusedFunctionsTest, RefusesWholeFamiliesByPrefix) {
  for (std::string_view name : {"read_csv", "duckdb_settings", "pragma_version", "glob",
                                "parquet_metadata", "sqlite_attach", "sniff_csv"}) {
    EXPECT_EQ(WhyFunctionIsRefused(name),
              "it reaches the node's files, settings or internal tables")
        << name;
  }
}

TEST(RefusedFunctionsTest, AllowsOrdinaryFunctions) {
  for (std::string_view name :
       {"abs", "lower", "date_trunc", "list_value", "regexp_matches", "queryx", "statistics"}) {
    EXPECT_FALSE(WhyFunctionIsRefused(name).has_value()) << name;
  }
}

}  // namespace
}  // namespace quanta::engine
