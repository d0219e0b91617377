#include "governance/mesh_config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>

#include "testing/matchers.h"

namespace quanta::governance {
namespace {

using ::testing::HasSubstr;

class MeshConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = std::filesystem::temp_directory_path() /
            ("quanta-mesh-" + std::to_string(::getpid()) + "-" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(root_);
    std::filesystem::create_directories(root_ / "domains/orders/contracts");
  }
  void TearDown() override { std::filesystem::remove_all(root_); }
  void Write(const std::filesystem::path& path, const std::string& text) {
    std::ofstream(root_ / path) << text;
  }
  std::filesystem::path root_;
};

TEST_F(MeshConfigTest, FoundByWalkingUpFromAFolderOrAFile) {
  Write("quanta-mesh.yaml", "apiVersion: quanta/v1\nkind: Mesh\n");
  Write("domains/orders/contracts/orders.yaml", "kind: DataContract\n");
  std::optional<std::filesystem::path> from_folder = FindMeshConfig(root_ / "domains/orders");
  ASSERT_TRUE(from_folder);
  EXPECT_TRUE(std::filesystem::equivalent(*from_folder, root_ / "quanta-mesh.yaml"));
  std::optional<std::filesystem::path> from_file =
      FindMeshConfig(root_ / "domains/orders/contracts/orders.yaml");
  ASSERT_TRUE(from_file);
  EXPECT_TRUE(std::filesystem::equivalent(*from_file, root_ / "quanta-mesh.yaml"));
}

TEST_F(MeshConfigTest, TheNearestOneWins) {
  Write("quanta-mesh.yaml", "apiVersion: quanta/v1\nkind: Mesh\n");
  Write("domains/quanta-mesh.yaml", "apiVersion: quanta/v1\nkind: Mesh\n");
  std::optional<std::filesystem::path> found = FindMeshConfig(root_ / "domains/orders");
  ASSERT_TRUE(found);
  EXPECT_TRUE(std::filesystem::equivalent(*found, root_ / "domains/quanta-mesh.yaml"));
}

TEST_F(MeshConfigTest, ReadsPoliciesRelativeToTheFile) {
  Write("domains/quanta-mesh.yaml",
        "apiVersion: quanta/v1\nkind: Mesh\npolicies: ../governance\ndefaultPolicies: false\n");
  ASSERT_OK_AND_ASSIGN(MeshConfig config, ReadMeshConfig(root_ / "domains/quanta-mesh.yaml"));
  ASSERT_TRUE(config.policy_folder);
  EXPECT_EQ(*config.policy_folder, (root_ / "governance").lexically_normal());
  EXPECT_FALSE(config.default_policies);
}

TEST_F(MeshConfigTest, DefaultsAreOnWithoutPolicies) {
  Write("quanta-mesh.yaml", "apiVersion: quanta/v1\nkind: Mesh\n");
  ASSERT_OK_AND_ASSIGN(MeshConfig config, ReadMeshConfig(root_ / "quanta-mesh.yaml"));
  EXPECT_FALSE(config.policy_folder);
  EXPECT_TRUE(config.default_policies);
}

TEST_F(MeshConfigTest, InvalidConfigurationsNameThePlace) {
  struct Case {
    const char* text;
    const char* message;
  };
  const Case cases[] = {
      {"apiVersion: quanta/v2\nkind: Mesh\n", ":1:13: unsupported apiVersion"},
      {"apiVersion: quanta/v1\nkind: DataProduct\n", ":2:7: this file is not a mesh"},
      {"apiVersion: quanta/v1\nkind: Mesh\npolicy: x\n", ":3:9: unknown field 'policy'"},
      {"apiVersion: quanta/v1\nkind: Mesh\ndefaultPolicies: yes please\n",
       "`defaultPolicies` must be true or false"},
      {"apiVersion: quanta/v1\nkind: Mesh\npolicies: [a]\n", "`policies` must be a folder"},
      {"kind: Mesh\n", "has no apiVersion"},
      {"apiVersion: quanta/v1\n", "has no kind"},
      {"- a\n- b\n", "a mesh configuration is a mapping"},
      {"apiVersion: [\n", "quanta-mesh.yaml:"},
  };
  for (const Case& c : cases) {
    Write("quanta-mesh.yaml", c.text);
    Result<MeshConfig> config = ReadMeshConfig(root_ / "quanta-mesh.yaml");
    ASSERT_FALSE(config.ok()) << c.text;
    EXPECT_EQ(config.status().code(), ErrorCode::kInvalidDocument) << c.text;
    EXPECT_THAT(config.status().message(), HasSubstr(c.message)) << c.text;
    EXPECT_THAT(config.status().message(), HasSubstr("quanta-mesh.yaml")) << c.text;
  }
}

TEST_F(MeshConfigTest, MissingFileIsAnIoError) {
  Result<MeshConfig> config = ReadMeshConfig(root_ / "absent.yaml");
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.status().code(), ErrorCode::kIoError);
}

}  // namespace
}  // namespace quanta::governance
