#include "governance/mesh_policies.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>

#include "governance/mesh_config.h"
#include "testing/matchers.h"

namespace quanta::governance {
namespace {

using ::testing::HasSubstr;
using ::testing::SizeIs;

const std::filesystem::path kProducts =
    std::filesystem::path(QUANTA_SOURCE_DIR) / "test/sql/products";

class MeshPoliciesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = std::filesystem::temp_directory_path() /
            ("quanta-mesh-policies-" + std::to_string(::getpid()) + "-" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(root_);
    std::filesystem::create_directories(root_ / "policies");
  }
  void TearDown() override { std::filesystem::remove_all(root_); }

  void Write(const std::filesystem::path& path, const std::string& text) {
    std::ofstream(root_ / path) << text;
  }

  model::ProductFolder Load(const std::string& name) {
    std::vector<Diagnostic> diagnostics;
    Result<model::ProductFolder> folder = model::LoadProductFolder(kProducts / name, &diagnostics);
    EXPECT_TRUE(folder.ok());
    return std::move(folder).value();
  }

  static std::vector<std::string> Rules(const std::vector<Diagnostic>& diagnostics) {
    std::vector<std::string> rules;
    for (const Diagnostic& diagnostic : diagnostics) rules.push_back(diagnostic.rule);
    return rules;
  }

  std::filesystem::path root_;
};

TEST_F(MeshPoliciesTest, DefaultsPassACompliantProductAndCatchViolations) {
  model::ProductFolder compliant = Load("compliant");
  model::ProductFolder pii = Load("unclassified-pii");
  MeshPolicyInputs inputs;
  inputs.folders = {&compliant};
  ASSERT_OK_AND_ASSIGN(std::vector<Diagnostic> clean, RunMeshPolicies(inputs, {}));
  EXPECT_THAT(clean, SizeIs(0));

  inputs.folders.push_back(&pii);
  ASSERT_OK_AND_ASSIGN(std::vector<Diagnostic> found, RunMeshPolicies(inputs, {}));
  ASSERT_THAT(found, SizeIs(4));
  for (const Diagnostic& diagnostic : found) {
    EXPECT_EQ(diagnostic.rule, "policy/personal-data-classified");
    EXPECT_EQ(diagnostic.severity, Severity::kError);
    EXPECT_THAT(diagnostic.location.file, HasSubstr("unclassified-pii/contracts/events.yaml"));
    EXPECT_GT(diagnostic.location.line, 0);
  }
}

TEST_F(MeshPoliciesTest, LooseDocuments) {
  std::vector<Diagnostic> ignored;
  ASSERT_OK_AND_ASSIGN(
      std::optional<model::ContractFile> contract,
      model::LoadContractFile(kProducts / "loose/unowned-contract.yaml", &ignored));
  MeshPolicyInputs inputs;
  inputs.contracts = {&*contract};
  ASSERT_OK_AND_ASSIGN(std::vector<Diagnostic> found, RunMeshPolicies(inputs, {}));
  ASSERT_THAT(found, SizeIs(1));
  EXPECT_EQ(found[0].rule, "policy/owner-required");
}

TEST_F(MeshPoliciesTest, AFolderPolicyReplacesTheDefaultOfTheSameId) {
  Write("policies/owner.sql",
        "-- id: owner-required\n-- severity: warning\n"
        "SELECT 'relaxed: ' || product_id AS message FROM products "
        "WHERE product_id = 'no-owner'\n");
  model::ProductFolder no_owner = Load("no-owner");
  MeshPolicyInputs inputs;
  inputs.folders = {&no_owner};
  MeshPolicyOptions options;
  options.policy_folder = root_ / "policies";
  ASSERT_OK_AND_ASSIGN(std::vector<Diagnostic> found, RunMeshPolicies(inputs, options));
  ASSERT_THAT(found, SizeIs(1));
  EXPECT_EQ(found[0].rule, "policy/owner-required");
  EXPECT_EQ(found[0].severity, Severity::kWarning);
  EXPECT_EQ(found[0].message, "relaxed: no-owner");
}

TEST_F(MeshPoliciesTest, WithoutDefaultsOnlyTheFolderRuns) {
  Write("policies/broken.sql", "-- severity: blocking\nSELEKT 1\n");
  model::ProductFolder no_owner = Load("no-owner");
  MeshPolicyInputs inputs;
  inputs.folders = {&no_owner};
  MeshPolicyOptions options;
  options.policy_folder = root_ / "policies";
  options.use_defaults = false;
  ASSERT_OK_AND_ASSIGN(std::vector<Diagnostic> found, RunMeshPolicies(inputs, options));
  EXPECT_EQ(Rules(found), std::vector<std::string>{"policy-error"});
}

TEST_F(MeshPoliciesTest, PoliciesCannotReadFiles) {
  Write("secret.txt", "s3cret");
  Write("policies/leak.sql", "-- severity: blocking\nSELECT content AS message FROM read_text('" +
                                 (root_ / "secret.txt").string() + "')\n");
  MeshPolicyOptions options;
  options.policy_folder = root_ / "policies";
  options.use_defaults = false;
  ASSERT_OK_AND_ASSIGN(std::vector<Diagnostic> found, RunMeshPolicies({}, options));
  ASSERT_THAT(found, SizeIs(1));
  EXPECT_EQ(found[0].rule, "policy-error");
  EXPECT_THAT(found[0].message, ::testing::Not(HasSubstr("s3cret")));
}

TEST_F(MeshPoliciesTest, MissingPolicyFolderIsAnIoError) {
  MeshPolicyOptions options;
  options.policy_folder = root_ / "nowhere";
  Result<std::vector<Diagnostic>> found = RunMeshPolicies({}, options);
  ASSERT_FALSE(found.ok());
  EXPECT_EQ(found.status().code(), ErrorCode::kIoError);
}

TEST_F(MeshPoliciesTest, ResolveWithoutConfigOrFolderRunsNothing) {
  std::filesystem::create_directories(root_ / "product");
  ASSERT_OK_AND_ASSIGN(std::optional<MeshPolicyOptions> options,
                       ResolveMeshPolicyOptions(root_ / "product", std::nullopt, std::nullopt));
  // Unless some folder above the temporary directory holds a quanta-mesh.yaml.
  if (FindMeshConfig(root_)) GTEST_SKIP() << "a quanta-mesh.yaml above " << root_;
  EXPECT_FALSE(options);

  // --policies alone runs that folder without the defaults.
  ASSERT_OK_AND_ASSIGN(
      options, ResolveMeshPolicyOptions(root_ / "product", std::nullopt, root_ / "policies"));
  ASSERT_TRUE(options);
  EXPECT_FALSE(options->use_defaults);
  EXPECT_EQ(options->policy_folder, root_ / "policies");
}

TEST_F(MeshPoliciesTest, ResolveUsesTheConfigFoundAbove) {
  Write("quanta-mesh.yaml", "apiVersion: quanta/v1\nkind: Mesh\npolicies: policies\n");
  std::filesystem::create_directories(root_ / "domain/product");
  ASSERT_OK_AND_ASSIGN(
      std::optional<MeshPolicyOptions> options,
      ResolveMeshPolicyOptions(root_ / "domain/product", std::nullopt, std::nullopt));
  ASSERT_TRUE(options);
  EXPECT_TRUE(options->use_defaults);
  EXPECT_EQ(options->policy_folder, (root_ / "policies").lexically_normal());

  // --policies replaces the configuration's folder and keeps its defaults switch.
  ASSERT_OK_AND_ASSIGN(
      options, ResolveMeshPolicyOptions(root_ / "domain/product", std::nullopt, root_ / "other"));
  EXPECT_TRUE(options->use_defaults);
  EXPECT_EQ(options->policy_folder, root_ / "other");
}

TEST_F(MeshPoliciesTest, ResolveWithAnExplicitConfigOrFolderOnly) {
  Write("elsewhere.yaml", "apiVersion: quanta/v1\nkind: Mesh\ndefaultPolicies: false\n");
  ASSERT_OK_AND_ASSIGN(std::optional<MeshPolicyOptions> options,
                       ResolveMeshPolicyOptions(root_, root_ / "elsewhere.yaml", std::nullopt));
  ASSERT_TRUE(options);
  EXPECT_FALSE(options->use_defaults);
  EXPECT_FALSE(options->policy_folder);

  Write("bad.yaml", "apiVersion: quanta/v1\nkind: Mesh\nextra: 1\n");
  Result<std::optional<MeshPolicyOptions>> bad =
      ResolveMeshPolicyOptions(root_, root_ / "bad.yaml", std::nullopt);
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.status().message(), HasSubstr("bad.yaml:3:8: unknown field 'extra'"));
}

}  // namespace
}  // namespace quanta::governance
