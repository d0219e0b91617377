#include "store/store_layout.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "model/yaml_document.h"
#include "testing/matchers.h"

namespace quanta::store {
namespace {

using ::testing::HasSubstr;

model::Contract ContractWithSla(const std::string& sla_yaml) {
  model::ParsedDocument parsed = model::ParseYaml(
      "apiVersion: v3.1.0\nkind: DataContract\nid: c\nslaProperties:\n" + sla_yaml, "c.yaml");
  return model::ContractFromJson(parsed.document->root());
}

constexpr std::int64_t kDay = 86400;

TEST(StoreLayoutTest, RetentionReadsTheUnitsContractsUse) {
  struct Case {
    const char* sla;
    std::int64_t seconds;
  };
  for (const Case& c :
       {Case{"  - {property: retention, value: 30, unit: d}\n", 30 * kDay},
        Case{"  - {property: retention, value: 2, unit: days}\n", 2 * kDay},
        Case{"  - {property: retention, value: 2, unit: w}\n", 14 * kDay},
        Case{"  - {property: retention, value: 12, unit: m}\n", 365 * kDay},
        Case{"  - {property: retention, value: 6, unit: months}\n", 365 * kDay / 2},
        Case{"  - {property: retention, value: 3, unit: y}\n", 3 * 365 * kDay},
        Case{"  - {property: retention, value: 1, unit: yr}\n", 365 * kDay},
        Case{"  - {property: retention, value: \"7\", unit: years}\n", 7 * 365 * kDay}}) {
    Result<std::optional<std::chrono::seconds>> retention = RetentionOf(ContractWithSla(c.sla));
    ASSERT_OK(retention);
    ASSERT_TRUE(retention->has_value()) << c.sla;
    EXPECT_EQ((*retention)->count(), c.seconds) << c.sla;
  }
  Result<std::optional<std::chrono::seconds>> none =
      RetentionOf(ContractWithSla("  - {property: latency, value: 5, unit: m}\n"));
  ASSERT_OK(none);
  EXPECT_FALSE(none->has_value());
}

TEST(StoreLayoutTest, AnUnreadableRetentionIsAnError) {
  Result<std::optional<std::chrono::seconds>> bad =
      RetentionOf(ContractWithSla("  - {property: retention, value: 3, unit: fortnights}\n"));
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.status().message(), HasSubstr("slaProperties[retention]"));
  EXPECT_THAT(bad.status().message(), HasSubstr("fortnights"));
  EXPECT_FALSE(
      RetentionOf(ContractWithSla("  - {property: retention, value: -1, unit: d}\n")).ok());
  EXPECT_FALSE(
      RetentionOf(ContractWithSla("  - {property: retention, value: lots, unit: d}\n")).ok());
}

TEST(StoreLayoutTest, TheOrdersExampleBecomesAnUpsertDatasetAndAnInputPort) {
  std::vector<Diagnostic> diagnostics;
  ASSERT_OK_AND_ASSIGN(
      model::ProductFolder folder,
      model::LoadProductFolder(std::string(QUANTA_SOURCE_DIR) + "/examples/orders/orders",
                               &diagnostics));
  ASSERT_OK_AND_ASSIGN(StoreLayout layout, LayoutFromProductFolder(folder));
  ASSERT_EQ(layout.datasets.size(), 1u);
  const DatasetLayout& orders = layout.datasets[0];
  EXPECT_EQ(orders.name, "orders");
  EXPECT_EQ(orders.mode, WriteMode::kUpsert);
  EXPECT_EQ(orders.key, std::vector<std::string>{"order_id"});
  ASSERT_EQ(orders.columns.size(), 8u);
  EXPECT_EQ(orders.columns[0].name, "order_id");
  EXPECT_EQ(orders.columns[0].type, "VARCHAR");
  EXPECT_EQ(orders.columns[5].name, "amount");
  EXPECT_EQ(orders.columns[5].type, "DECIMAL(12,2)");
  ASSERT_TRUE(orders.retention.has_value());
  EXPECT_EQ(orders.retention->count(), 7 * 365 * kDay);
  ASSERT_EQ(layout.input_ports.size(), 1u);
  EXPECT_EQ(layout.input_ports[0].name, "order_events");
  ASSERT_TRUE(layout.input_ports[0].retention.has_value());
  EXPECT_EQ(layout.input_ports[0].retention->count(), 30 * kDay);
}

TEST(StoreLayoutTest, ValidationNamesTheDatasetAndColumn) {
  StoreLayout layout;
  layout.datasets.push_back({"orders",
                             {{"id", "VARCHAR"}, {"_quanta_from_version", "BIGINT"}},
                             WriteMode::kAppend,
                             {},
                             std::nullopt});
  Status hidden = ValidateLayout(layout);
  EXPECT_THAT(hidden.message(), HasSubstr("dataset orders: column _quanta_from_version uses"));

  layout.datasets[0].columns.pop_back();
  layout.datasets[0].mode = WriteMode::kUpsert;
  EXPECT_THAT(ValidateLayout(layout).message(),
              HasSubstr("dataset orders is upserted but has no key"));
  layout.datasets[0].key = {"id"};
  EXPECT_OK(ValidateLayout(layout));

  layout.datasets.push_back(layout.datasets[0]);
  EXPECT_THAT(ValidateLayout(layout).message(), HasSubstr("dataset orders appears twice"));
  layout.datasets.pop_back();
  layout.input_ports = {{"in", std::nullopt}, {"in", std::nullopt}};
  EXPECT_THAT(ValidateLayout(layout).message(), HasSubstr("input port in appears twice"));
  layout.input_ports.pop_back();

  // No dataset can take the name of a table served beside the datasets.
  layout.datasets[0].name = "_dead_letters";
  Status reserved = ValidateLayout(layout);
  EXPECT_EQ(reserved.code(), ErrorCode::kInvalidDocument);
  EXPECT_THAT(reserved.message(),
              HasSubstr("dataset _dead_letters: names starting with '_' are kept"));
}

}  // namespace
}  // namespace quanta::store
