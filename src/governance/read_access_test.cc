#include "governance/read_access.h"

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "testing/matchers.h"

namespace quanta::governance {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

// A customers contract as a product team writes it: personal data classified, the rest open.
model::Json CustomersContract(model::Json roles) {
  model::Json contract = model::Json::parse(R"({
    "apiVersion": "v3.1.0", "kind": "DataContract", "id": "customers", "name": "customers",
    "version": "1.0.0", "status": "active",
    "schema": [{"name": "customers", "properties": [
      {"name": "customer_id", "logicalType": "string", "classification": "internal"},
      {"name": "email", "logicalType": "string", "classification": "restricted"},
      {"name": "birth_date", "logicalType": "date", "classification": "Confidential"},
      {"name": "country", "logicalType": "string", "classification": "PUBLIC"},
      {"name": "segment", "logicalType": "string", "classification": "none"},
      {"name": "updated_at", "logicalType": "timestamp"},
      {"name": "address", "logicalType": "object", "classification": "internal", "properties": [
        {"name": "city", "logicalType": "string", "classification": "public"},
        {"name": "street", "logicalType": "string", "classification": "pii"}]}
    ]}]})");
  if (!roles.is_null()) contract["roles"] = std::move(roles);
  return contract;
}

DatasetAccess Decide(const Reader& reader, const model::Json& json) {
  model::Contract contract = model::ContractFromJson(json);
  return DecideReadAccess(reader, contract, contract.schema.at(0), "customers/demographics");
}

const model::Json kRoles = model::Json::parse(R"([
  {"role": "customers-reader", "access": "read", "firstLevelApprovers": "marta@example.com"},
  {"role": "customers-pii-reader", "access": "read-unmasked"},
  {"role": "customers-writer", "access": "write"}])");

TEST(ReadAccessTest, OpenClassificationsAreReadInClearWhateverTheirCase) {
  EXPECT_TRUE(IsOpenClassification(""));
  EXPECT_TRUE(IsOpenClassification("public"));
  EXPECT_TRUE(IsOpenClassification(" Internal "));
  EXPECT_TRUE(IsOpenClassification("NONE"));
  EXPECT_TRUE(IsOpenClassification("unclassified"));
  EXPECT_FALSE(IsOpenClassification("restricted"));
  EXPECT_FALSE(IsOpenClassification("confidential"));
  EXPECT_FALSE(IsOpenClassification("secret"));
}

TEST(ReadAccessTest, AContractWithoutRolesIsReadByEveryoneWithItsClassifiedColumnsMasked) {
  DatasetAccess access = Decide({"anyone", {}, false}, CustomersContract(nullptr));
  EXPECT_TRUE(access.readable);
  EXPECT_TRUE(access.refusal.ok());
  // A nested property that is classified masks the column holding it.
  EXPECT_THAT(access.masked_columns, ElementsAre("email", "birth_date", "address"));
  EXPECT_TRUE(access.Masks("EMAIL"));
  EXPECT_FALSE(access.Masks("country"));
}

TEST(ReadAccessTest, ReadRolesKeepOutPrincipalsWithoutTheirGroup) {
  DatasetAccess access = Decide({"bob", {"analysts"}, false}, CustomersContract(kRoles));
  EXPECT_FALSE(access.readable);
  EXPECT_EQ(access.refusal.code(), ErrorCode::kPermissionDenied);
  EXPECT_THAT(access.refusal.message(), HasSubstr("dataset customers of customers/demographics"));
  EXPECT_THAT(access.refusal.message(),
              HasSubstr("grants reading to the roles customers-reader, customers-pii-reader"));
  EXPECT_THAT(access.refusal.message(), HasSubstr("principal 'bob'"));
  EXPECT_THAT(access.refusal.message(), HasSubstr("its groups: analysts"));
  EXPECT_THAT(access.refusal.message(), HasSubstr("marta@example.com"));
  // A write role grants no reading.
  EXPECT_FALSE(Decide({"loader", {"customers-writer"}, false}, CustomersContract(kRoles)).readable);
  // Groups match roles exactly.
  EXPECT_FALSE(Decide({"eve", {"Customers-Reader"}, false}, CustomersContract(kRoles)).readable);
}

TEST(ReadAccessTest, AReadRoleReadsMaskedAndAReadUnmaskedRoleInClear) {
  DatasetAccess reader =
      Decide({"ana", {"x", "customers-reader"}, false}, CustomersContract(kRoles));
  EXPECT_TRUE(reader.readable);
  EXPECT_THAT(reader.masked_columns, ElementsAre("email", "birth_date", "address"));
  DatasetAccess pii = Decide({"pia", {"customers-pii-reader"}, false}, CustomersContract(kRoles));
  EXPECT_TRUE(pii.readable);
  EXPECT_THAT(pii.masked_columns, IsEmpty());
}

TEST(ReadAccessTest, ARoleWithoutAccessStillRestrictsReading) {
  model::Json roles = model::Json::parse(R"([{"role": "customers-team"}])");
  EXPECT_FALSE(Decide({"bob", {}, false}, CustomersContract(roles)).readable);
  EXPECT_TRUE(Decide({"ana", {"customers-team"}, false}, CustomersContract(roles)).readable);
}

TEST(ReadAccessTest, OnlyWriteRolesLeaveTheDatasetOpenToReaders) {
  model::Json roles = model::Json::parse(R"([{"role": "loaders", "access": "write"}])");
  DatasetAccess access = Decide({"bob", {}, false}, CustomersContract(roles));
  EXPECT_TRUE(access.readable);
  EXPECT_THAT(access.masked_columns, ElementsAre("email", "birth_date", "address"));
}

TEST(ReadAccessTest, AnUnrestrictedReaderSeesEverythingInClear) {
  DatasetAccess access = Decide({"operator", {}, true}, CustomersContract(kRoles));
  EXPECT_TRUE(access.readable);
  EXPECT_THAT(access.masked_columns, IsEmpty());
}

TEST(ReadAccessTest, DecidingLeavesTheContractAsItWasWritten) {
  model::Json json = CustomersContract(kRoles);
  model::Contract contract = model::ContractFromJson(json);
  (void)DecideReadAccess({"bob", {}, false}, contract, contract.schema.at(0), "c/d");
  EXPECT_EQ(model::ContractToJson(contract), json);
}

TEST(ReadAccessTest, MaskedValuesKeepTheColumnType) {
  EXPECT_EQ(MaskedValueSql("VARCHAR"), "CAST('***' AS VARCHAR)");
  EXPECT_EQ(MaskedValueSql("DATE"), "CAST(NULL AS DATE)");
  EXPECT_EQ(MaskedValueSql("DECIMAL(18,2)"), "CAST(NULL AS DECIMAL(18,2))");
  EXPECT_EQ(MaskedValueSql("VARCHAR[]"), "CAST(NULL AS VARCHAR[])");
}

class MaskedRowsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(database_, engine::Database::Open());
    ASSERT_OK_AND_ASSIGN(connection_, database_->Connect());
    ASSERT_OK(connection_->Execute(
        "CREATE TABLE customers (customer_id VARCHAR, email VARCHAR, birth_date DATE, "
        "country VARCHAR); INSERT INTO customers VALUES "
        "('c-1', 'jane@example.com', DATE '1990-06-15', 'DE'), "
        "('c-2', NULL, DATE '1975-01-02', 'FR'), ('c-3', 'li@example.org', NULL, 'DE')"));
  }
  std::vector<engine::Column> columns_ = {{"customer_id", "VARCHAR"},
                                          {"email", "VARCHAR"},
                                          {"birth_date", "DATE"},
                                          {"country", "VARCHAR"}};
  std::unique_ptr<engine::Database> database_;
  std::unique_ptr<engine::Connection> connection_;
};

TEST_F(MaskedRowsTest, NothingMaskedLeavesTheSqlAlone) {
  EXPECT_EQ(MaskedRowsSql("SELECT * FROM customers", columns_, DatasetAccess{}),
            "SELECT * FROM customers");
}

TEST_F(MaskedRowsTest, FiltersGroupingAndNullTestsSeeOnlyTheMaskedValues) {
  DatasetAccess access;
  access.masked_columns = {"email", "birth_date"};
  std::string masked = MaskedRowsSql("SELECT * FROM customers", columns_, access);
  ASSERT_OK_AND_ASSIGN(
      engine::QueryResult rows,
      connection_->Query(fmt::format("SELECT * FROM ({}) ORDER BY customer_id", masked)));
  ASSERT_EQ(rows.rows.size(), 3u);
  EXPECT_EQ(rows.rows[0][0], "c-1");
  EXPECT_EQ(rows.rows[0][1], "***");
  EXPECT_EQ(rows.rows[0][2], std::nullopt);
  EXPECT_EQ(rows.rows[0][3], "DE");
  EXPECT_EQ(rows.rows[1][1], "***");  // a NULL underneath reads masked too
  ASSERT_OK_AND_ASSIGN(std::vector<engine::Column> described, connection_->Describe(masked));
  ASSERT_EQ(described.size(), 4u);
  EXPECT_EQ(described[1].name, "email");
  EXPECT_EQ(described[2].type, "DATE");

  ASSERT_OK_AND_ASSIGN(
      engine::QueryResult filtered,
      connection_->Query(fmt::format(
          "SELECT count(*) FROM ({}) WHERE email = 'jane@example.com' OR email LIKE '%@%' "
          "OR birth_date < DATE '2000-01-01' OR email IS NULL",
          masked)));
  EXPECT_EQ(filtered.rows[0][0], "0");
  ASSERT_OK_AND_ASSIGN(
      engine::QueryResult grouped,
      connection_->Query(fmt::format(
          "SELECT email, count(DISTINCT birth_date), count(*) FROM ({}) GROUP BY email", masked)));
  ASSERT_EQ(grouped.rows.size(), 1u);
  EXPECT_EQ(grouped.rows[0][0], "***");
  EXPECT_EQ(grouped.rows[0][1], "0");
  EXPECT_EQ(grouped.rows[0][2], "3");
}

}  // namespace
}  // namespace quanta::governance
