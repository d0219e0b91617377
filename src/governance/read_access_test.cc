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

// Roles as a team writes them with row filters: one per region, a masked and a clear one.
const model::Json kFilteredRoles = model::Json::parse(R"json([
  {"role": "de-readers", "access": "read",
   "customProperties": [{"property": "rowFilter", "value": "country = 'DE'"}]},
  {"role": "fr-readers", "access": "read",
   "customProperties": [{"property": "rowFilter", "value": "country = 'FR'"}]},
  {"role": "fr-pii-readers", "access": "read-unmasked",
   "customProperties": [{"property": "rowFilter", "value": "country = 'FR'"}]},
  {"role": "own-readers", "access": "read",
   "customProperties": [{"property": "rowFilter", "value": "customer_id = current_principal()"}]},
  {"role": "all-readers", "access": "read"},
  {"role": "pii-readers", "access": "read-unmasked"}])json");

TEST(ReadAccessTest, AFilteredRoleSeesOnlyTheRowsItsFilterLetsThrough) {
  DatasetAccess access = Decide({"ana", {"de-readers"}, false}, CustomersContract(kFilteredRoles));
  EXPECT_TRUE(access.readable);
  EXPECT_EQ(access.row_filter, "(\ncountry = 'DE'\n)");
  EXPECT_THAT(access.masked_columns, ElementsAre("email", "birth_date", "address"));
  EXPECT_EQ(access.clear_rows, "");
}

TEST(ReadAccessTest, SeveralFilteredRolesSeeTheUnionOfTheirRows) {
  DatasetAccess access =
      Decide({"ana", {"de-readers", "fr-readers"}, false}, CustomersContract(kFilteredRoles));
  EXPECT_EQ(access.row_filter, "((\ncountry = 'DE'\n)) OR ((\ncountry = 'FR'\n))");
}

TEST(ReadAccessTest, ARoleWithoutAFilterSeesEveryRowWhateverTheOthersFilter) {
  DatasetAccess access =
      Decide({"ana", {"de-readers", "all-readers"}, false}, CustomersContract(kFilteredRoles));
  EXPECT_EQ(access.row_filter, "");
  EXPECT_THAT(access.masked_columns, ElementsAre("email", "birth_date", "address"));
  // A contract without read roles filters nobody, and neither does an unrestricted reader.
  EXPECT_EQ(Decide({"bob", {}, false}, CustomersContract(nullptr)).row_filter, "");
  EXPECT_EQ(Decide({"operator", {}, true}, CustomersContract(kFilteredRoles)).row_filter, "");
}

TEST(ReadAccessTest, AReadUnmaskedRoleUnmasksOnlyTheRowsItGrants) {
  // In clear for French rows only; German rows stay masked.
  DatasetAccess mixed =
      Decide({"ana", {"de-readers", "fr-pii-readers"}, false}, CustomersContract(kFilteredRoles));
  EXPECT_EQ(mixed.row_filter, "((\ncountry = 'DE'\n)) OR ((\ncountry = 'FR'\n))");
  EXPECT_THAT(mixed.masked_columns, ElementsAre("email", "birth_date", "address"));
  EXPECT_EQ(mixed.clear_rows, "(\ncountry = 'FR'\n)");
  // When it grants every row the reader sees, nothing is masked.
  DatasetAccess clear =
      Decide({"pia", {"fr-pii-readers"}, false}, CustomersContract(kFilteredRoles));
  EXPECT_EQ(clear.row_filter, "(\ncountry = 'FR'\n)");
  EXPECT_THAT(clear.masked_columns, IsEmpty());
  // Filtering and unmasking are separate: a filtered reader with an unfiltered read-unmasked
  // role reads every row in clear, and an unfiltered reader with a filtered read-unmasked role
  // reads every row, masked outside that role's rows.
  DatasetAccess all_clear =
      Decide({"pia", {"de-readers", "pii-readers"}, false}, CustomersContract(kFilteredRoles));
  EXPECT_EQ(all_clear.row_filter, "");
  EXPECT_THAT(all_clear.masked_columns, IsEmpty());
  DatasetAccess all_rows =
      Decide({"pia", {"all-readers", "fr-pii-readers"}, false}, CustomersContract(kFilteredRoles));
  EXPECT_EQ(all_rows.row_filter, "");
  EXPECT_EQ(all_rows.clear_rows, "(\ncountry = 'FR'\n)");
}

TEST(ReadAccessTest, CurrentPrincipalReadsAsTheReadersNameQuoted) {
  DatasetAccess access =
      Decide({"o'brien", {"own-readers"}, false}, CustomersContract(kFilteredRoles));
  EXPECT_EQ(access.row_filter, "(\ncustomer_id = 'o''brien'\n)");
}

TEST(ReadAccessTest, AFilterThatIsNotAStringLetsNoRowThrough) {
  model::Json roles = model::Json::parse(R"([
    {"role": "odd", "customProperties": [{"property": "rowFilter", "value": 1}]},
    {"role": "blank", "customProperties": [{"property": "ROWFILTER", "value": "  "}]}])");
  EXPECT_EQ(Decide({"a", {"odd"}, false}, CustomersContract(roles)).row_filter, "false");
  EXPECT_EQ(Decide({"a", {"blank"}, false}, CustomersContract(roles)).row_filter, "false");
}

TEST(ReadAccessTest, DecidingLeavesTheContractAsItWasWritten) {
  model::Json json = CustomersContract(kFilteredRoles);
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
  EXPECT_EQ(ReadableRowsSql("SELECT * FROM customers", columns_, DatasetAccess{}),
            "SELECT * FROM customers");
}

TEST_F(MaskedRowsTest, FiltersGroupingAndNullTestsSeeOnlyTheMaskedValues) {
  DatasetAccess access;
  access.masked_columns = {"email", "birth_date"};
  std::string masked = ReadableRowsSql("SELECT * FROM customers", columns_, access);
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

TEST_F(MaskedRowsTest, AFilteredReaderCountsAndMatchesOnlyItsRows) {
  DatasetAccess access;
  access.row_filter = "(\ncountry = 'DE'\n)";
  std::string rows = ReadableRowsSql("SELECT * FROM customers", columns_, access);
  ASSERT_OK_AND_ASSIGN(
      engine::QueryResult counted,
      connection_->Query(fmt::format(
          "SELECT count(*), count(*) FILTER (WHERE country = 'FR') FROM ({}) WHERE true OR 1=1",
          rows)));
  EXPECT_EQ(counted.rows[0][0], "2");
  EXPECT_EQ(counted.rows[0][1], "0");
}

TEST_F(MaskedRowsTest, TheFilterReadsTheUnmaskedValuesOfTheColumnsItMasks) {
  DatasetAccess access;
  access.masked_columns = {"email"};
  access.row_filter = "(\nemail LIKE '%@example.com'\n)";
  std::string rows = ReadableRowsSql("SELECT * FROM customers", columns_, access);
  ASSERT_OK_AND_ASSIGN(engine::QueryResult seen, connection_->Query(fmt::format(
                                                     "SELECT customer_id, email FROM ({})", rows)));
  ASSERT_EQ(seen.rows.size(), 1u);
  EXPECT_EQ(seen.rows[0][0], "c-1");
  EXPECT_EQ(seen.rows[0][1], "***");
}

TEST_F(MaskedRowsTest, ClearRowsShowTheMaskedColumnsAndOtherRowsDoNot) {
  DatasetAccess access;
  access.masked_columns = {"email", "birth_date"};
  access.clear_rows = "(\ncustomer_id = 'c-3'\n)";
  std::string rows = ReadableRowsSql("SELECT * FROM customers", columns_, access);
  ASSERT_OK_AND_ASSIGN(
      engine::QueryResult seen,
      connection_->Query(fmt::format(
          "SELECT customer_id, email, birth_date FROM ({}) ORDER BY customer_id", rows)));
  ASSERT_EQ(seen.rows.size(), 3u);
  EXPECT_EQ(seen.rows[0][1], "***");
  EXPECT_EQ(seen.rows[0][2], std::nullopt);
  EXPECT_EQ(seen.rows[1][1], "***");
  EXPECT_EQ(seen.rows[2][1], "li@example.org");
  ASSERT_OK_AND_ASSIGN(std::vector<engine::Column> described, connection_->Describe(rows));
  EXPECT_EQ(described[2].type, "DATE");
}

}  // namespace
}  // namespace quanta::governance
