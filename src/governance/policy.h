#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/diagnostic.h"
#include "base/result.h"
#include "engine/database.h"
#include "governance/product_metadata.h"

namespace quanta::governance {

/// How a violation of a policy counts: a blocking one is an error (lint fails), a warning is
/// reported and lets lint pass unless it runs with --strict.
enum class PolicySeverity { kBlocking, kWarning };

/// A mesh policy: a .sql file whose header comments give its metadata
///
///     -- id: owner-required
///     -- severity: blocking            (blocking | warning)
///     -- description: every product names an owner
///     -- hint: add a team member with role owner
///
/// and whose body is one read-only SELECT over the metadata tables (ProductMetadata) returning
/// one row per violation: a `message` column, and optionally `file` and `pointer` (where the
/// violation is) and `hint` (overrides the header's hint for that row).
struct Policy {
  std::string id;
  PolicySeverity severity = PolicySeverity::kBlocking;
  std::string description;
  std::string hint;
  std::string sql;   ///< the body after the header
  std::string file;  ///< where the policy was read from, for messages about the policy itself
  int sql_line = 1;  ///< the line of `file` where the body starts
};

/// The outcome of reading one policy: the policy, or the "policy-error" diagnostic that says
/// why the text is not one (bad header, unknown severity, no query).
struct ParsedPolicy {
  std::optional<Policy> policy;
  std::optional<Diagnostic> error;
};

/// Reads a policy from its text. `file` names it in the policy and in diagnostics; the id
/// defaults to the file name without its extension.
ParsedPolicy ParsePolicy(std::string_view text, const std::string& file);

/// Policies that were read, and a "policy-error" diagnostic for each one that could not be:
/// a broken policy is reported, never skipped.
struct PolicySet {
  std::vector<Policy> policies;
  std::vector<Diagnostic> errors;

  /// Adds `policy`; a policy whose id is already in the set replaces it (so a mesh's own
  /// policy folder can redefine a default policy, e.g. to change its severity).
  void Put(Policy policy);
};

/// Reads every *.sql file under `folder` (subfolders included, in path order). Two files with
/// the same id are an error on the second. Fails (IoError) only when `folder` is not a
/// readable folder.
Result<PolicySet> LoadPolicyFolder(const std::filesystem::path& folder);

/// Runs each policy over the metadata tables in `connection` (see ProductMetadata::LoadInto)
/// and returns one diagnostic per violation row: rule "policy/<id>", error for blocking and
/// warning for warning policies, located at the row's file and pointer through `metadata`
/// (the default document when the row names none), with the row's message and the hint.
///
/// Policies must be read-only: each must be exactly one SELECT (or WITH ... SELECT) query,
/// checked by DuckDB's own parser (json_serialize_sql serializes SELECT statements only), and
/// it runs inside a READ ONLY transaction that is rolled back afterwards. A policy that breaks
/// a rule or fails to run (parse or bind error, no `message` column) gives an error
/// diagnostic "policy-error" naming the policy file and DuckDB's message.
///
/// The connection must not be inside a transaction. For untrusted policy folders, open the
/// database with enable_external_access=false (RunMeshPolicies does) so no policy reads files.
std::vector<Diagnostic> RunPolicies(engine::Connection& connection,
                                    const std::vector<Policy>& policies,
                                    const ProductMetadata& metadata);

}  // namespace quanta::governance
