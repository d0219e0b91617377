#include "node/dataset_grants.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <memory>

#include "node/http_auth.h"
#include "testing/matchers.h"

namespace quanta::node {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

const std::filesystem::path kExamples = std::filesystem::path(QUANTA_SOURCE_DIR) / "examples";

// An example product as a node deploys it; AccessTo needs only its id and folder.
std::unique_ptr<DeployedProduct> Example(const std::string& id) {
  std::vector<Diagnostic> diagnostics;
  Result<model::ProductFolder> folder = model::LoadProductFolder(kExamples / id, &diagnostics);
  EXPECT_OK(folder);
  auto product = std::make_unique<DeployedProduct>();
  product->id = id;
  if (folder.ok()) {
    product->folder = std::make_shared<const model::ProductFolder>(std::move(folder).value());
  }
  return product;
}

std::vector<Principal> Principals() {
  Principal analyst;
  analyst.name = "analyst";
  analyst.trust = true;
  analyst.groups = {"customers-reader", "funnel-reader"};
  Principal privacy;
  privacy.name = "privacy";
  privacy.trust = true;
  privacy.groups = {"customers-pii-reader"};
  return {analyst, privacy};
}

TEST(DatasetGrantsTest, APrincipalReadsWithItsGroupsFromNodeYaml) {
  DatasetGrants grants(Principals(), /*http_authenticated=*/true);
  governance::Reader analyst = grants.ReaderFor("analyst");
  EXPECT_EQ(analyst.name, "analyst");
  EXPECT_THAT(analyst.groups, ElementsAre("customers-reader", "funnel-reader"));
  EXPECT_FALSE(analyst.unrestricted);
  EXPECT_THAT(grants.ReaderFor("stranger").groups, IsEmpty());
}

TEST(DatasetGrantsTest, TheExampleCustomersAreMaskedForReadersAndClearForThePiiRole) {
  std::unique_ptr<DeployedProduct> customers = Example("customers/demographics");
  DatasetGrants grants(Principals(), true);
  governance::DatasetAccess analyst =
      DatasetGrants::AccessTo(*customers, "customers", grants.ReaderFor("analyst"));
  EXPECT_TRUE(analyst.readable);
  EXPECT_THAT(analyst.masked_columns, ElementsAre("email", "birth_date", "gender", "income_band"));
  governance::DatasetAccess privacy =
      DatasetGrants::AccessTo(*customers, "customers", grants.ReaderFor("privacy"));
  EXPECT_TRUE(privacy.readable);
  EXPECT_THAT(privacy.masked_columns, IsEmpty());
  governance::DatasetAccess stranger =
      DatasetGrants::AccessTo(*customers, "customers", grants.ReaderFor("stranger"));
  EXPECT_FALSE(stranger.readable);
  EXPECT_THAT(stranger.refusal.message(), HasSubstr("customers-reader, customers-pii-reader"));
}

TEST(DatasetGrantsTest, TheExampleRegionalRoleFiltersRowsForEveryPortAlike) {
  std::unique_ptr<DeployedProduct> customers = Example("customers/demographics");
  Principal sales;
  sales.name = "dach_sales";
  sales.trust = true;
  sales.groups = {"customers-dach-reader"};
  std::vector<Principal> principals = Principals();
  principals.push_back(sales);
  DatasetGrants grants(principals, true);
  governance::DatasetAccess regional =
      DatasetGrants::AccessTo(*customers, "customers", grants.ReaderFor("dach_sales"));
  EXPECT_TRUE(regional.readable);
  EXPECT_EQ(regional.row_filter, "(\ncountry IN ('DE', 'AT')\n)");
  EXPECT_THAT(regional.masked_columns, ElementsAre("email", "birth_date", "gender", "income_band"));
  // The other example roles have no filter, and neither has the operator of an open HTTP API.
  EXPECT_EQ(
      DatasetGrants::AccessTo(*customers, "customers", grants.ReaderFor("analyst")).row_filter, "");
  DatasetGrants open(principals, false);
  EXPECT_EQ(DatasetGrants::AccessTo(*customers, "customers", open.HttpReader(ports::HttpRequest{}))
                .row_filter,
            "");
}

TEST(DatasetGrantsTest, TheOutputPortsContractDecidesNotAnotherContractOfTheFolder) {
  std::unique_ptr<DeployedProduct> funnel = Example("marketing/funnel");
  ASSERT_TRUE(funnel->folder);
  // Put first an input port's contract copy, open to everyone, that has an object named like
  // the funnel's own dataset: the output port's contract must still decide.
  model::ProductFolder folder = *funnel->folder;
  auto input = std::find_if(folder.contracts.begin(), folder.contracts.end(),
                            [](const model::ContractFile& file) {
                              return file.contract.FindObject("customers") != nullptr;
                            });
  ASSERT_NE(input, folder.contracts.end());
  model::ContractFile open_copy = *input;
  open_copy.contract.roles.clear();
  open_copy.contract.schema.front().name = "category_funnel";
  folder.contracts.insert(folder.contracts.begin(), open_copy);
  funnel->folder = std::make_shared<const model::ProductFolder>(std::move(folder));

  DatasetGrants grants(Principals(), true);
  EXPECT_TRUE(
      DatasetGrants::AccessTo(*funnel, "category_funnel", grants.ReaderFor("analyst")).readable);
  governance::DatasetAccess privacy =
      DatasetGrants::AccessTo(*funnel, "category_funnel", grants.ReaderFor("privacy"));
  EXPECT_FALSE(privacy.readable);
  EXPECT_THAT(privacy.refusal.message(), HasSubstr("funnel-reader"));
}

TEST(DatasetGrantsTest, HttpReadsAsItsSignedInPrincipalOrAsTheOperatorWithoutAuth) {
  ports::HttpRequest request;
  request.method = "GET";
  request.path = "/v1/products/customers/demographics/datasets/customers";
  request.headers.emplace_back("Authorization", "Bearer privacy");
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<HttpAuthenticator> authenticator,
                       HttpAuthenticator::Create(Principals()));
  EXPECT_FALSE(authenticator->Check(request).has_value());
  EXPECT_EQ(request.principal, "privacy");

  DatasetGrants with_auth(Principals(), true);
  governance::Reader reader = with_auth.HttpReader(request);
  EXPECT_EQ(reader.name, "privacy");
  EXPECT_THAT(reader.groups, ElementsAre("customers-pii-reader"));
  EXPECT_FALSE(reader.unrestricted);

  DatasetGrants without_auth(Principals(), false);
  ports::HttpRequest anonymous;
  EXPECT_TRUE(without_auth.HttpReader(anonymous).unrestricted);
}

TEST(DatasetGrantsTest, ARefusedTokenSetsNoPrincipal) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<HttpAuthenticator> authenticator,
                       HttpAuthenticator::Create(Principals()));
  ports::HttpRequest request;
  request.method = "GET";
  request.path = "/v1/products";
  request.headers.emplace_back("Authorization", "Bearer stranger");
  std::optional<ports::HttpResponse> refused = authenticator->Check(request);
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 401);
  EXPECT_EQ(request.principal, "");
}

}  // namespace
}  // namespace quanta::node
