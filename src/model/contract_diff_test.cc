#include "model/contract_diff.h"

#include <gtest/gtest.h>

#include <string>

#include "testing/matchers.h"

namespace quanta::model {
namespace {

Contract Load(const std::string& yaml) {
  ParsedDocument parsed = ParseYaml(yaml, "contract.yaml");
  EXPECT_TRUE(parsed.document.has_value()) << yaml;
  if (!parsed.document) return Contract();
  return ContractFromJson(parsed.document->root());
}

// A contract with one object `orders` whose properties are given as YAML list items.
Contract Orders(const std::string& properties, const std::string& extra = "") {
  return Load(
      "apiVersion: v3.1.0\nkind: DataContract\nid: orders\nversion: 1.0.0\nstatus: active\n"
      "schema:\n  - name: orders\n    properties:\n" +
      properties + extra);
}

const std::string kOrderId =
    "      - {name: order_id, logicalType: string, required: true, primaryKey: true}\n";
const std::string kAmount = "      - {name: amount, logicalType: number, physicalType: double}\n";

std::vector<std::string> Kinds(const std::vector<ContractChange>& changes) {
  std::vector<std::string> kinds;
  for (const ContractChange& change : changes) {
    kinds.push_back(std::string(ChangeKindName(change.kind)) + (change.breaking ? "!" : ""));
  }
  return kinds;
}

using KindList = std::vector<std::string>;

TEST(ContractDiffTest, IdenticalContractsHaveNoChanges) {
  Contract contract = Orders(kOrderId + kAmount);
  EXPECT_TRUE(DiffContracts(contract, contract).empty());
}

TEST(ContractDiffTest, RemovedPropertyBreaksConsumersAndLooksLikeARename) {
  Contract old_contract = Orders(kOrderId + kAmount);
  Contract new_contract =
      Orders(kOrderId + "      - {name: total, logicalType: number, physicalType: double}\n");
  auto changes = DiffContracts(old_contract, new_contract);
  ASSERT_EQ(Kinds(changes), (KindList{"property-removed!", "property-added"}));
  EXPECT_EQ(changes[0].path, "schema[orders].properties[amount]");
  EXPECT_NE(changes[0].explanation.find("renamed to 'total'?"), std::string::npos)
      << changes[0].explanation;
  EXPECT_EQ(changes[0].old_pointer, "/schema/0/properties/1");
  EXPECT_EQ(changes[1].new_pointer, "/schema/0/properties/1");
  EXPECT_EQ(CountBreaking(changes), 1u);
}

TEST(ContractDiffTest, AddedPropertyOfAnotherTypeIsNotCalledARename) {
  auto changes = DiffContracts(Orders(kOrderId + kAmount),
                               Orders(kOrderId + "      - {name: note, logicalType: string}\n"));
  ASSERT_EQ(changes.size(), 2u);
  EXPECT_EQ(changes[0].explanation.find("renamed"), std::string::npos);
}

TEST(ContractDiffTest, SafeWideningIsCompatibleAndNarrowingIsBreaking) {
  Contract narrow =
      Orders(kOrderId + "      - {name: qty, logicalType: integer, physicalType: int}\n");
  Contract wide =
      Orders(kOrderId + "      - {name: qty, logicalType: integer, physicalType: bigint}\n");
  auto widened = DiffContracts(narrow, wide);
  ASSERT_EQ(Kinds(widened), (KindList{"type-changed"}));
  EXPECT_EQ(widened[0].old_value, Json("INTEGER"));
  EXPECT_EQ(widened[0].new_value, Json("BIGINT"));
  EXPECT_EQ(Kinds(DiffContracts(wide, narrow)), (KindList{"type-changed!"}));
  // FORWARD: old readers (INTEGER) cannot read BIGINT; BACKWARD: new readers can read INTEGER.
  EXPECT_EQ(Kinds(DiffContracts(narrow, wide, CompatibilityMode::kForward)),
            (KindList{"type-changed!"}));
  EXPECT_EQ(Kinds(DiffContracts(narrow, wide, CompatibilityMode::kBackward)),
            (KindList{"type-changed"}));
  EXPECT_EQ(Kinds(DiffContracts(narrow, wide, CompatibilityMode::kFull)),
            (KindList{"type-changed!"}));
}

TEST(ContractDiffTest, TextToNumberIsBreaking) {
  auto changes = DiffContracts(Orders(kOrderId + "      - {name: code, logicalType: string}\n"),
                               Orders(kOrderId + "      - {name: code, logicalType: integer}\n"));
  ASSERT_EQ(Kinds(changes), (KindList{"type-changed!"}));
  EXPECT_NE(changes[0].explanation.find("VARCHAR to BIGINT"), std::string::npos);
}

TEST(ContractDiffTest, SamePhysicalStorageSpelledDifferentlyIsInformation) {
  auto changes = DiffContracts(
      Orders(kOrderId + "      - {name: code, logicalType: string, physicalType: varchar(10)}\n"),
      Orders(kOrderId + "      - {name: code, logicalType: string, physicalType: text}\n"));
  EXPECT_EQ(Kinds(changes), (KindList{"physical-type-changed"}));
}

TEST(ContractDiffTest, RequiredBecomingOptionalBreaksConsumers) {
  Contract required =
      Orders(kOrderId + "      - {name: amount, logicalType: number, required: true}\n");
  Contract optional = Orders(kOrderId + "      - {name: amount, logicalType: number}\n");
  EXPECT_EQ(Kinds(DiffContracts(required, optional)), (KindList{"required-removed!"}));
  EXPECT_EQ(Kinds(DiffContracts(optional, required)), (KindList{"required-added"}));
  EXPECT_EQ(Kinds(DiffContracts(optional, required, CompatibilityMode::kBackward)),
            (KindList{"required-added!"}));
  EXPECT_EQ(Kinds(DiffContracts(required, optional, CompatibilityMode::kBackward)),
            (KindList{"required-removed"}));
  EXPECT_EQ(Kinds(DiffContracts(required, optional, CompatibilityMode::kForward)),
            (KindList{"required-removed!"}));
}

TEST(ContractDiffTest, EnumValuesFromQualityRules) {
  auto status = [](const std::string& values) {
    return Orders(kOrderId +
                  "      - name: status\n        logicalType: string\n        quality:\n"
                  "          - metric: invalidValues\n            mustBe: 0\n"
                  "            arguments: {validValues: [" +
                  values + "]}\n");
  };
  auto removed = DiffContracts(status("created, paid, shipped"), status("created, paid"));
  ASSERT_EQ(Kinds(removed), (KindList{"enum-values-removed!"}));
  EXPECT_EQ(removed[0].old_value, Json::parse(R"(["shipped"])"));
  EXPECT_EQ(removed[0].path, "schema[orders].properties[status].validValues");
  EXPECT_EQ(Kinds(DiffContracts(status("created"), status("created, paid"))),
            (KindList{"enum-values-added"}));
  EXPECT_EQ(
      Kinds(DiffContracts(status("created"), status("created, paid"), CompatibilityMode::kForward)),
      (KindList{"enum-values-added!"}));
  EXPECT_EQ(
      Kinds(DiffContracts(status("created, paid"), status("created"), CompatibilityMode::kForward)),
      (KindList{"enum-values-removed"}));
}

TEST(ContractDiffTest, EnumValuesFromLogicalTypeOptions) {
  auto changes = DiffContracts(
      Orders(kOrderId +
             "      - {name: s, logicalType: string, logicalTypeOptions: {enum: [a, b]}}\n"),
      Orders(kOrderId +
             "      - {name: s, logicalType: string, logicalTypeOptions: {enum: [a]}}\n"));
  EXPECT_EQ(Kinds(changes), (KindList{"enum-values-removed!"}));
}

TEST(ContractDiffTest, PrimaryKeyChangeIsBreakingForConsumersOnly) {
  Contract by_id = Orders(kOrderId + kAmount);
  Contract by_both = Orders(
      "      - {name: order_id, logicalType: string, required: true, primaryKey: true}\n"
      "      - {name: amount, logicalType: number, physicalType: double, primaryKey: true}\n");
  auto changes = DiffContracts(by_id, by_both);
  ASSERT_EQ(Kinds(changes), (KindList{"primary-key-changed!"}));
  EXPECT_NE(changes[0].explanation.find("(order_id) to (order_id, amount)"), std::string::npos)
      << changes[0].explanation;
  EXPECT_EQ(Kinds(DiffContracts(by_id, by_both, CompatibilityMode::kFull)),
            (KindList{"primary-key-changed"}));
}

TEST(ContractDiffTest, ConfluentModesJudgeAddedAndRemovedFields) {
  Contract base = Orders(kOrderId);
  Contract with_required =
      Orders(kOrderId + "      - {name: channel, logicalType: string, required: true}\n");
  Contract with_optional = Orders(kOrderId + "      - {name: channel, logicalType: string}\n");
  // BACKWARD: delete fields, add optional fields.
  EXPECT_EQ(CountBreaking(DiffContracts(base, with_required, CompatibilityMode::kBackward)), 1u);
  EXPECT_EQ(CountBreaking(DiffContracts(base, with_optional, CompatibilityMode::kBackward)), 0u);
  EXPECT_EQ(CountBreaking(DiffContracts(with_required, base, CompatibilityMode::kBackward)), 0u);
  // FORWARD: add fields, delete optional fields.
  EXPECT_EQ(CountBreaking(DiffContracts(base, with_required, CompatibilityMode::kForward)), 0u);
  EXPECT_EQ(CountBreaking(DiffContracts(with_required, base, CompatibilityMode::kForward)), 1u);
  EXPECT_EQ(CountBreaking(DiffContracts(with_optional, base, CompatibilityMode::kForward)), 0u);
  // FULL: add or delete optional fields only.
  EXPECT_EQ(CountBreaking(DiffContracts(base, with_optional, CompatibilityMode::kFull)), 0u);
  EXPECT_EQ(CountBreaking(DiffContracts(with_optional, base, CompatibilityMode::kFull)), 0u);
  EXPECT_EQ(CountBreaking(DiffContracts(base, with_required, CompatibilityMode::kFull)), 1u);
  EXPECT_EQ(CountBreaking(DiffContracts(with_required, base, CompatibilityMode::kFull)), 1u);
  // Consumers of an output port: removing breaks, adding does not.
  EXPECT_EQ(CountBreaking(DiffContracts(with_optional, base)), 1u);
  EXPECT_EQ(CountBreaking(DiffContracts(base, with_required)), 0u);
  // NONE: nothing breaks, but the changes are still listed.
  auto none = DiffContracts(with_required, base, CompatibilityMode::kNone);
  EXPECT_EQ(none.size(), 1u);
  EXPECT_EQ(CountBreaking(none), 0u);
}

TEST(ContractDiffTest, NestedFieldsAreComparedWhereTheyAre) {
  auto address = [](const std::string& fields) {
    return Orders(kOrderId +
                  "      - name: address\n        logicalType: object\n        properties:\n" +
                  fields);
  };
  auto changes = DiffContracts(address("          - {name: city, logicalType: string}\n"
                                       "          - {name: zip, logicalType: string}\n"),
                               address("          - {name: city, logicalType: string}\n"));
  ASSERT_EQ(Kinds(changes), (KindList{"property-removed!"}));
  EXPECT_EQ(changes[0].path, "schema[orders].properties[address].properties[zip]");

  auto tags = [](const std::string& type) {
    return Orders(kOrderId +
                  "      - name: tags\n        logicalType: array\n        items: {logicalType: " +
                  type + "}\n");
  };
  auto items = DiffContracts(tags("string"), tags("integer"));
  ASSERT_EQ(Kinds(items), (KindList{"type-changed!"}));
  EXPECT_EQ(items[0].path, "schema[orders].properties[tags].items");
}

TEST(ContractDiffTest, ObjectsRemovedAndAdded) {
  Contract one = Orders(kOrderId);
  Contract two = Load(
      "apiVersion: v3.1.0\nkind: DataContract\nid: orders\nversion: 1.0.0\nstatus: active\n"
      "schema:\n  - name: orders\n    properties:\n" +
      kOrderId + "  - name: lines\n    properties:\n" + kAmount);
  EXPECT_EQ(Kinds(DiffContracts(one, two)), (KindList{"object-added"}));
  auto removed = DiffContracts(two, one);
  ASSERT_EQ(Kinds(removed), (KindList{"object-removed!"}));
  EXPECT_EQ(removed[0].path, "schema[lines]");
}

TEST(ContractDiffTest, DocumentationIsNeverBreaking) {
  Contract old_contract = Orders(kOrderId + kAmount);
  Contract new_contract =
      Orders(kOrderId +
             "      - {name: amount, logicalType: number, physicalType: double, description: Gross "
             "amount, tags: [money]}\n");
  new_contract.version = "1.0.1";
  new_contract.description = Json{{"purpose", "orders as they are"}};
  auto changes = DiffContracts(old_contract, new_contract);
  EXPECT_EQ(Kinds(changes), (KindList{"version-changed", "description-changed",
                                      "description-changed", "metadata-changed"}));
  EXPECT_EQ(changes.back().path, "schema[orders].properties[amount].tags");
}

Contract WithSla(const std::string& sla) {
  return Load(
      "apiVersion: v3.1.0\nkind: DataContract\nid: orders\nversion: 1.0.0\nstatus: active\n"
      "slaProperties:\n" +
      sla);
}

TEST(ContractDiffTest, RetentionComparedAcrossUnits) {
  Contract three_years = WithSla("  - {property: retention, value: 3, unit: y}\n");
  EXPECT_TRUE(DiffContracts(three_years, WithSla("  - {property: retention, value: 36, unit: m}\n"))
                  .empty());
  EXPECT_TRUE(
      DiffContracts(three_years, WithSla("  - {property: retention, value: 3, unit: years}\n"))
          .empty());
  auto shorter =
      DiffContracts(three_years, WithSla("  - {property: retention, value: 1, unit: yr}\n"));
  ASSERT_EQ(Kinds(shorter), (KindList{"retention-shortened!"}));
  EXPECT_EQ(shorter[0].path, "slaProperties[retention]");
  EXPECT_EQ(Kinds(DiffContracts(three_years,
                                WithSla("  - {property: retention, value: 1200, unit: days}\n"))),
            (KindList{"retention-lengthened"}));
  EXPECT_EQ(
      Kinds(DiffContracts(three_years, WithSla("  - {property: latency, value: 1, unit: h}\n"))),
      (KindList{"sla-removed!", "sla-added"}));
  // Stream compatibility is about schemas only.
  EXPECT_EQ(CountBreaking(DiffContracts(three_years,
                                        WithSla("  - {property: retention, value: 1, unit: y}\n"),
                                        CompatibilityMode::kFull)),
            0u);
}

TEST(ContractDiffTest, LatencyRaisedIsBreaking) {
  Contract thirty_minutes = WithSla("  - {property: latency, value: 30, unit: m}\n");
  EXPECT_EQ(
      Kinds(DiffContracts(thirty_minutes, WithSla("  - {property: latency, value: 1, unit: h}\n"))),
      (KindList{"latency-raised!"}));
  EXPECT_EQ(Kinds(DiffContracts(thirty_minutes,
                                WithSla("  - {property: latency, value: 10, unit: min}\n"))),
            (KindList{"latency-lowered"}));
  auto unknown = DiffContracts(thirty_minutes,
                               WithSla("  - {property: latency, value: 1, unit: fortnight}\n"));
  ASSERT_EQ(Kinds(unknown), (KindList{"sla-changed"}));
  EXPECT_NE(unknown[0].explanation.find("cannot be compared"), std::string::npos);
}

TEST(ContractDiffTest, SlaDurations) {
  auto seconds = [](Json value, std::optional<std::string> unit, DurationScale scale) {
    return SlaDurationSeconds(value, unit, scale);
  };
  EXPECT_EQ(seconds(4, "d", DurationScale::kLatency), 4 * 86400.0);
  EXPECT_EQ(seconds(2, "m", DurationScale::kLatency), 120.0);
  EXPECT_EQ(seconds(12, "m", DurationScale::kRetention), 365 * 86400.0);
  EXPECT_EQ(seconds("90", "s", DurationScale::kLatency), 90.0);
  EXPECT_EQ(seconds("P1Y", std::nullopt, DurationScale::kRetention), 365 * 86400.0);
  EXPECT_EQ(seconds("PT15M", std::nullopt, DurationScale::kLatency), 900.0);
  EXPECT_EQ(seconds("P1DT12H", std::nullopt, DurationScale::kLatency), 1.5 * 86400);
  EXPECT_EQ(seconds("3y", std::nullopt, DurationScale::kRetention), 3 * 365 * 86400.0);
  EXPECT_EQ(seconds("90 days", std::nullopt, DurationScale::kRetention), 90 * 86400.0);
  EXPECT_FALSE(seconds("90 days", "d", DurationScale::kRetention).has_value());
  EXPECT_FALSE(seconds("soon", std::nullopt, DurationScale::kLatency).has_value());
  EXPECT_FALSE(seconds(3, std::nullopt, DurationScale::kLatency).has_value());
  EXPECT_FALSE(seconds(3, "parsecs", DurationScale::kLatency).has_value());
}

TEST(ContractDiffTest, ModeNames) {
  ASSERT_OK_AND_ASSIGN(CompatibilityMode mode, ParseCompatibilityMode("backward_transitive"));
  EXPECT_EQ(mode, CompatibilityMode::kBackwardTransitive);
  EXPECT_TRUE(IsTransitive(mode));
  EXPECT_EQ(CompatibilityModeName(mode), "BACKWARD_TRANSITIVE");
  Result<CompatibilityMode> bad = ParseCompatibilityMode("sideways");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("FULL_TRANSITIVE"), std::string::npos);
}

TEST(ContractDiffTest, ChangeAsJson) {
  auto changes = DiffContracts(Orders(kOrderId + kAmount), Orders(kOrderId));
  ASSERT_EQ(changes.size(), 1u);
  Json json = ChangeToJson(changes[0]);
  EXPECT_EQ(json["kind"], "property-removed");
  EXPECT_EQ(json["severity"], "breaking");
  EXPECT_EQ(json["old"], "amount");
  EXPECT_TRUE(json["new"].is_null());
}

}  // namespace
}  // namespace quanta::model
