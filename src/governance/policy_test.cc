#include "governance/policy.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <memory>

#include "testing/matchers.h"

namespace quanta::governance {
namespace {

using ::testing::HasSubstr;
using ::testing::SizeIs;

const std::filesystem::path kSourceDir = QUANTA_SOURCE_DIR;

TEST(ParsePolicyTest, ReadsTheHeaderAndTheBody) {
  ParsedPolicy parsed = ParsePolicy(
      "-- id: owner-required\n"
      "-- severity: warning\n"
      "-- description: every product has an owner\n"
      "-- hint: add one: role owner\n"
      "-- Free comments may follow, as long as their first word has no colon.\n"
      "\n"
      "SELECT 'x' AS message\n"
      "FROM products\n",
      "policies/owner.sql");
  ASSERT_FALSE(parsed.error) << parsed.error->message;
  const Policy& policy = *parsed.policy;
  EXPECT_EQ(policy.id, "owner-required");
  EXPECT_EQ(policy.severity, PolicySeverity::kWarning);
  EXPECT_EQ(policy.description, "every product has an owner");
  EXPECT_EQ(policy.hint, "add one: role owner");
  EXPECT_EQ(policy.sql, "SELECT 'x' AS message\nFROM products");
  EXPECT_EQ(policy.sql_line, 7);
  EXPECT_EQ(policy.file, "policies/owner.sql");
}

TEST(ParsePolicyTest, IdDefaultsToTheFileName) {
  ParsedPolicy parsed =
      ParsePolicy("-- severity: blocking\nSELECT 1 AS message", "mesh/no-drafts.sql");
  ASSERT_TRUE(parsed.policy);
  EXPECT_EQ(parsed.policy->id, "no-drafts");
  EXPECT_EQ(parsed.policy->severity, PolicySeverity::kBlocking);
}

TEST(ParsePolicyTest, BadHeadersAreErrorsAtTheirLine) {
  struct Case {
    const char* text;
    int line;
    const char* message;
  };
  const Case cases[] = {
      {"-- id: a\nSELECT 1 AS message", 1, "has no severity"},
      {"-- id: a\n-- severity: critical\nSELECT 1 AS message", 2, "unknown severity 'critical'"},
      {"-- id: a\n-- severity: warning\n-- sevrity: blocking\nSELECT 1 AS message", 3,
       "unknown policy header 'sevrity'"},
      {"-- id: a b\n-- severity: warning\nSELECT 1 AS message", 1, "invalid policy id 'a b'"},
      {"-- id: a\n-- severity: warning\n", 2, "has no query"},
      {"", 0, "has no severity"},
  };
  for (const Case& c : cases) {
    ParsedPolicy parsed = ParsePolicy(c.text, "p.sql");
    ASSERT_TRUE(parsed.error) << c.text;
    EXPECT_FALSE(parsed.policy);
    EXPECT_EQ(parsed.error->rule, "policy-error");
    EXPECT_EQ(parsed.error->severity, Severity::kError);
    EXPECT_EQ(parsed.error->location.file, "p.sql");
    if (c.line > 0) {
      EXPECT_EQ(parsed.error->location.line, c.line) << c.text;
    }
    EXPECT_THAT(parsed.error->message, HasSubstr(c.message));
    EXPECT_FALSE(parsed.error->hint.empty());
  }
}

TEST(PolicySetTest, PutReplacesAPolicyOfTheSameId) {
  auto make = [](std::string id, PolicySeverity severity) {
    Policy policy;
    policy.id = std::move(id);
    policy.severity = severity;
    return policy;
  };
  PolicySet set;
  set.Put(make("a", PolicySeverity::kBlocking));
  set.Put(make("b", PolicySeverity::kBlocking));
  set.Put(make("a", PolicySeverity::kWarning));
  ASSERT_THAT(set.policies, SizeIs(2));
  EXPECT_EQ(set.policies[0].id, "a");
  EXPECT_EQ(set.policies[0].severity, PolicySeverity::kWarning);
}

class RunPoliciesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(database_, engine::Database::Open());
    ASSERT_OK_AND_ASSIGN(connection_, database_->Connect());
    std::vector<Diagnostic> diagnostics;
    ASSERT_OK_AND_ASSIGN(folder_, model::LoadProductFolder(
                                      kSourceDir / "test/sql/products/undescribed", &diagnostics));
    metadata_.AddFolder(folder_);
    ASSERT_OK(metadata_.LoadInto(*connection_));
  }

  std::vector<Diagnostic> Run(const std::string& text) {
    ParsedPolicy parsed = ParsePolicy(text, "mesh/policy.sql");
    EXPECT_TRUE(parsed.policy) << (parsed.error ? parsed.error->message : "");
    if (!parsed.policy) return {};
    return RunPolicies(*connection_, {*parsed.policy}, metadata_);
  }

  std::unique_ptr<engine::Database> database_;
  std::unique_ptr<engine::Connection> connection_;
  model::ProductFolder folder_;
  ProductMetadata metadata_;
};

TEST_F(RunPoliciesTest, EachRowIsADiagnosticAtItsPlace) {
  std::vector<Diagnostic> diagnostics =
      Run("-- id: needs-unit\n-- severity: blocking\n-- hint: say the unit\n"
          "SELECT 'no unit for ' || property AS message, file, pointer FROM properties\n"
          "WHERE property = 'amount'");
  ASSERT_THAT(diagnostics, SizeIs(1));
  const Diagnostic& diagnostic = diagnostics[0];
  EXPECT_EQ(diagnostic.rule, "policy/needs-unit");
  EXPECT_EQ(diagnostic.severity, Severity::kError);
  EXPECT_EQ(diagnostic.message, "no unit for amount");
  EXPECT_EQ(diagnostic.hint, "say the unit");
  EXPECT_THAT(diagnostic.location.file, HasSubstr("undescribed/contracts/events.yaml"));
  EXPECT_EQ(diagnostic.location.line, 16);
  EXPECT_EQ(diagnostic.location.field, "schema[0].properties[1]");
}

TEST_F(RunPoliciesTest, WarningsAndRowHintsAndDefaultPlace) {
  std::vector<Diagnostic> diagnostics =
      Run("-- id: w\n-- severity: warning\n-- hint: header hint\n"
          "SELECT 'm' AS MESSAGE, 'row hint' AS hint");
  ASSERT_THAT(diagnostics, SizeIs(1));
  EXPECT_EQ(diagnostics[0].severity, Severity::kWarning);
  EXPECT_EQ(diagnostics[0].hint, "row hint");
  // No file column: the product document.
  EXPECT_THAT(diagnostics[0].location.file, HasSubstr("undescribed/product.yaml"));
}

TEST_F(RunPoliciesTest, NoViolationNoDiagnostic) {
  EXPECT_THAT(Run("-- severity: blocking\nSELECT 'x' AS message FROM products WHERE false"),
              SizeIs(0));
}

TEST_F(RunPoliciesTest, WritesAreRefusedAndDoNotRun) {
  const char* writes[] = {
      "DELETE FROM products",
      "SELECT 'x' AS message; DELETE FROM products",
      "CREATE TABLE evil AS SELECT 1",
      "COPY products TO '/tmp/quanta-policy-leak.csv'",
      "ATTACH '/tmp/quanta-policy.db' AS other",
      "SET threads = 1",
  };
  for (const char* body : writes) {
    std::vector<Diagnostic> diagnostics =
        Run(std::string("-- id: bad\n-- severity: warning\n") + body);
    ASSERT_THAT(diagnostics, SizeIs(1)) << body;
    EXPECT_EQ(diagnostics[0].rule, "policy-error") << body;
    EXPECT_EQ(diagnostics[0].severity, Severity::kError);
    EXPECT_EQ(diagnostics[0].location.file, "mesh/policy.sql");
    EXPECT_EQ(diagnostics[0].location.line, 3);
    EXPECT_THAT(diagnostics[0].message, HasSubstr("policy 'bad' is refused")) << body;
  }
  ASSERT_OK_AND_ASSIGN(engine::QueryResult count,
                       connection_->Query("SELECT count(*) FROM products"));
  EXPECT_EQ(count.rows[0][0], "1");
}

TEST_F(RunPoliciesTest, ASelectThatWritesThroughAFunctionIsStoppedByTheReadOnlyTransaction) {
  ASSERT_OK(connection_->Execute("CREATE SEQUENCE policy_counter"));
  std::vector<Diagnostic> diagnostics =
      Run("-- id: counter\n-- severity: warning\nSELECT nextval('policy_counter') AS message");
  ASSERT_THAT(diagnostics, SizeIs(1));
  EXPECT_EQ(diagnostics[0].rule, "policy-error");
  EXPECT_THAT(diagnostics[0].message, HasSubstr("failed to run"));
  // The connection is usable afterwards: the transaction was rolled back.
  EXPECT_OK(connection_->Execute("SELECT 1"));
}

TEST_F(RunPoliciesTest, RunErrorsNameTheLineOfThePolicyFile) {
  std::vector<Diagnostic> diagnostics =
      Run("-- id: typo\n-- severity: warning\nSELECT 'x' AS message\nFROM prodcts");
  ASSERT_THAT(diagnostics, SizeIs(1));
  EXPECT_EQ(diagnostics[0].rule, "policy-error");
  EXPECT_EQ(diagnostics[0].location.line, 4);
  EXPECT_THAT(diagnostics[0].message, HasSubstr("prodcts"));
  EXPECT_THAT(diagnostics[0].message, ::testing::Not(HasSubstr("\n")));
}

TEST_F(RunPoliciesTest, MissingMessageColumnIsAnError) {
  std::vector<Diagnostic> diagnostics =
      Run("-- id: m\n-- severity: warning\nSELECT product_id, file FROM products");
  ASSERT_THAT(diagnostics, SizeIs(1));
  EXPECT_EQ(diagnostics[0].rule, "policy-error");
  EXPECT_THAT(diagnostics[0].message, HasSubstr("no `message` column"));
  EXPECT_THAT(diagnostics[0].message, HasSubstr("product_id, file"));
}

class PolicyFolderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = std::filesystem::temp_directory_path() /
            ("quanta-policies-" + std::to_string(::getpid()) + "-" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(root_);
    std::filesystem::create_directories(root_ / "sub");
  }
  void TearDown() override { std::filesystem::remove_all(root_); }
  void Write(const std::string& name, const std::string& text) {
    std::ofstream(root_ / name) << text;
  }
  std::filesystem::path root_;
};

TEST_F(PolicyFolderTest, ReadsSqlFilesRecursivelyAndReportsBrokenOnes) {
  Write("b.sql", "-- severity: warning\nSELECT 1 AS message");
  Write("sub/a.sql", "-- severity: blocking\nSELECT 1 AS message");
  Write("broken.sql", "-- severity: loud\nSELECT 1 AS message");
  Write("notes.txt", "not a policy");
  Write("sub/b.sql", "-- severity: warning\nSELECT 2 AS message");
  ASSERT_OK_AND_ASSIGN(PolicySet set, LoadPolicyFolder(root_));
  ASSERT_THAT(set.policies, SizeIs(2));
  EXPECT_EQ(set.policies[0].id, "b");
  EXPECT_EQ(set.policies[1].id, "a");
  ASSERT_THAT(set.errors, SizeIs(2));
  EXPECT_THAT(set.errors[0].message, HasSubstr("unknown severity 'loud'"));
  EXPECT_THAT(set.errors[1].location.file, HasSubstr("sub/b.sql"));
  EXPECT_THAT(set.errors[1].message, HasSubstr("policy id 'b' is already used"));
}

TEST_F(PolicyFolderTest, MissingFolderIsAnIoError) {
  Result<PolicySet> set = LoadPolicyFolder(root_ / "absent");
  ASSERT_FALSE(set.ok());
  EXPECT_EQ(set.status().code(), ErrorCode::kIoError);
  EXPECT_THAT(set.status().message(), HasSubstr("absent"));
}

}  // namespace
}  // namespace quanta::governance
