#include "governance/product_metadata.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "testing/matchers.h"

namespace quanta::governance {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

const std::filesystem::path kSourceDir = QUANTA_SOURCE_DIR;
const std::filesystem::path kProducts = kSourceDir / "test/sql/products";

class ProductMetadataTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(database_, engine::Database::Open());
    ASSERT_OK_AND_ASSIGN(connection_, database_->Connect());
  }

  model::ProductFolder LoadFolder(const std::string& name) {
    std::vector<Diagnostic> diagnostics;
    Result<model::ProductFolder> folder = model::LoadProductFolder(kProducts / name, &diagnostics);
    EXPECT_TRUE(folder.ok()) << folder.status().ToString();
    EXPECT_TRUE(diagnostics.empty());
    return std::move(folder).value();
  }

  // The rows of `sql`, NULL written as "NULL", each row's values joined by '|'.
  std::vector<std::string> Rows(const std::string& sql) {
    Result<engine::QueryResult> result = connection_->Query(sql);
    EXPECT_TRUE(result.ok()) << result.status().ToString();
    std::vector<std::string> rows;
    if (!result.ok()) return rows;
    for (const auto& row : result->rows) {
      std::string text;
      for (std::size_t i = 0; i < row.size(); ++i) {
        if (i > 0) text += "|";
        text += row[i].value_or("NULL");
      }
      rows.push_back(text);
    }
    return rows;
  }

  std::unique_ptr<engine::Database> database_;
  std::unique_ptr<engine::Connection> connection_;
};

TEST_F(ProductMetadataTest, LoadsEveryTableOfAFolder) {
  model::ProductFolder folder = LoadFolder("compliant");
  ProductMetadata metadata(kSourceDir);
  metadata.AddFolder(folder);
  ASSERT_OK(metadata.LoadInto(*connection_));

  EXPECT_THAT(Rows("SELECT product_id, domain, version, file FROM products"),
              ElementsAre("customers-profile|customers|1.2.0|test/sql/products/compliant/"
                          "product.yaml"));
  EXPECT_THAT(Rows("SELECT direction, name, contract_id FROM ports ORDER BY direction"),
              ElementsAre("input|signups|signups-v1", "output|profiles|profiles-v1"));
  EXPECT_THAT(Rows("SELECT contract_id FROM contracts ORDER BY 1"),
              ElementsAre("profiles-v1", "signups-v1"));
  EXPECT_THAT(
      Rows("SELECT property, pointer FROM properties WHERE property LIKE 'home%' "
           "ORDER BY 1"),
      ElementsAre("home|/schema/0/properties/3", "home.city|/schema/0/properties/3/properties/0",
                  "home.street_address|/schema/0/properties/3/properties/1"));
  EXPECT_THAT(Rows("SELECT property, value, unit FROM sla_properties ORDER BY 1"),
              ElementsAre("latency|1|h", "retention|3|y"));
  EXPECT_THAT(Rows("SELECT owner_kind, username, role FROM team_members ORDER BY 1, 2"),
              ElementsAre("contract|ada|Data Owner", "product|ada|owner",
                          "product|old.owner|data steward"));
  EXPECT_THAT(Rows("SELECT count(*) FROM quality_rules"), ElementsAre("2"));
  EXPECT_THAT(Rows("SELECT count(*) FROM roles"), ElementsAre("1"));
  EXPECT_THAT(Rows("SELECT count(*) FROM schema_objects"), ElementsAre("2"));
  EXPECT_THAT(
      Rows("SELECT owner_kind, property, value FROM custom_properties ORDER BY 1"),
      ElementsAre("contract|retentionReviewed|true", "product|costCenter|cc-42",
                  "property|maskingStrategy|hash", "role|rowFilter|customer_id IS NOT NULL"));
}

TEST_F(ProductMetadataTest, TagsAreAList) {
  model::ProductFolder folder = LoadFolder("compliant");
  ProductMetadata metadata;
  metadata.AddFolder(folder);
  ASSERT_OK(metadata.LoadInto(*connection_));
  EXPECT_THAT(Rows("SELECT property FROM properties WHERE list_contains(tags, 'derived')"),
              ElementsAre("segments"));
}

TEST_F(ProductMetadataTest, LocatesARowByFileAndPointer) {
  model::ProductFolder folder = LoadFolder("unclassified-pii");
  ProductMetadata metadata(kSourceDir);
  metadata.AddFolder(folder);
  ASSERT_OK(metadata.LoadInto(*connection_));

  std::vector<std::string> rows =
      Rows("SELECT file, pointer FROM properties WHERE property = 'email'");
  ASSERT_EQ(rows.size(), 1u);
  std::string file = rows[0].substr(0, rows[0].find('|'));
  std::string pointer = rows[0].substr(rows[0].find('|') + 1);
  SourceLocation location = metadata.Locate(file, pointer);
  EXPECT_EQ(location.file, "test/sql/products/unclassified-pii/contracts/events.yaml");
  EXPECT_EQ(location.line, 16);  // "      - name: email"
  EXPECT_EQ(location.column, 9);
  EXPECT_EQ(location.field, "schema[0].properties[1]");
}

TEST_F(ProductMetadataTest, EmptyFileMeansTheProductDocument) {
  model::ProductFolder folder = LoadFolder("no-owner");
  ProductMetadata metadata;
  metadata.AddFolder(folder);
  SourceLocation location = metadata.Locate("", "/team");
  EXPECT_EQ(location.file, (kProducts / "no-owner/product.yaml").string());
  EXPECT_EQ(location.line, 9);
}

TEST_F(ProductMetadataTest, UnknownFileKeepsItsName) {
  ProductMetadata metadata;
  SourceLocation location = metadata.Locate("elsewhere.yaml", "/a/0");
  EXPECT_EQ(location.file, "elsewhere.yaml");
  EXPECT_EQ(location.line, 0);
  EXPECT_EQ(location.field, "a[0]");
}

TEST_F(ProductMetadataTest, LooseContractAndNumericVersion) {
  std::vector<Diagnostic> diagnostics;
  ASSERT_OK_AND_ASSIGN(
      std::optional<model::ContractFile> contract,
      model::LoadContractFile(kProducts / "loose/owned-contract.yaml", &diagnostics));
  ASSERT_TRUE(contract.has_value());
  model::ProductFolder folder = LoadFolder("bad-version");
  ProductMetadata metadata;
  metadata.AddContract(*contract);
  metadata.AddProduct(*folder.product);
  ASSERT_OK(metadata.LoadInto(*connection_));
  EXPECT_THAT(Rows("SELECT contract_id FROM contracts"), ElementsAre("loose-owned"));
  // `version: 1.0` is a YAML number; the table holds the text so a policy can name it.
  EXPECT_THAT(Rows("SELECT version FROM products"), ElementsAre("1.0"));
}

TEST_F(ProductMetadataTest, QuotesValuesSafely) {
  model::Json root = model::Json::parse(R"({
    "apiVersion": "v3.1.0", "kind": "DataContract", "id": "it's", "version": "1.0.0",
    "schema": [{"name": "o", "properties": [{"name": "x'); DROP TABLE contracts; --",
                                             "description": "a \"quoted\" ' text"}]}]})");
  model::ContractFile contract{model::Document("odd.yaml", root), model::ContractFromJson(root)};
  ProductMetadata metadata;
  metadata.AddContract(contract);
  ASSERT_OK(metadata.LoadInto(*connection_));
  EXPECT_THAT(Rows("SELECT contract_id, property, description FROM properties"),
              ElementsAre("it's|x'); DROP TABLE contracts; --|a \"quoted\" ' text"));
  EXPECT_THAT(Rows("SELECT count(*) FROM contracts"), ElementsAre("1"));
}

TEST_F(ProductMetadataTest, NothingAddedStillCreatesTheTables) {
  ProductMetadata metadata;
  EXPECT_TRUE(metadata.empty());
  ASSERT_OK(metadata.LoadInto(*connection_));
  EXPECT_THAT(Rows("SELECT count(*) FROM products"), ElementsAre("0"));
  EXPECT_THAT(Rows("SELECT count(*) FROM custom_properties"), ElementsAre("0"));
}

TEST_F(ProductMetadataTest, TablesOfAnotherShapeAreAnError) {
  ASSERT_OK(connection_->Execute("CREATE TABLE products (x INTEGER)"));
  model::ProductFolder folder = LoadFolder("compliant");
  ProductMetadata metadata;
  metadata.AddFolder(folder);
  Status status = metadata.LoadInto(*connection_);
  EXPECT_FALSE(status.ok());
  EXPECT_THAT(status.message(), HasSubstr("metadata tables"));
}

}  // namespace
}  // namespace quanta::governance
