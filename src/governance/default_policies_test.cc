#include "governance/default_policies.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>

namespace quanta::governance {
namespace {

TEST(DefaultPoliciesTest, AllParseWithTheDocumentedSeverities) {
  PolicySet set = DefaultPolicies();
  EXPECT_TRUE(set.errors.empty()) << set.errors.front().message;
  std::map<std::string, PolicySeverity> severities;
  for (const Policy& policy : set.policies) {
    severities[policy.id] = policy.severity;
    EXPECT_FALSE(policy.description.empty()) << policy.id;
    EXPECT_FALSE(policy.hint.empty()) << policy.id;
    EXPECT_EQ(policy.file, "<built-in>/" + policy.id + ".sql");
  }
  EXPECT_EQ(severities, (std::map<std::string, PolicySeverity>{
                            {"owner-required", PolicySeverity::kBlocking},
                            {"semantic-version", PolicySeverity::kBlocking},
                            {"personal-data-classified", PolicySeverity::kBlocking},
                            {"property-described", PolicySeverity::kWarning},
                            {"sla-declared", PolicySeverity::kWarning},
                        }));
}

}  // namespace
}  // namespace quanta::governance
