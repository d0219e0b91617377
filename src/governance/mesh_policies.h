#pragma once

#include <filesystem>
#include <optional>
#include <vector>

#include "base/diagnostic.h"
#include "base/result.h"
#include "model/product_folder.h"

namespace quanta::governance {

/// Which mesh policies lint runs.
struct MeshPolicyOptions {
  /// A folder of .sql policies (`--policies DIR`, or `policies:` of quanta-mesh.yaml).
  std::optional<std::filesystem::path> policy_folder;
  /// Also run the default policies compiled into Quanta (DefaultPolicies()). A policy of the
  /// folder with the same id as a default one replaces it.
  bool use_defaults = true;
};

/// The documents lint read. Holds pointers, owns nothing: the documents must outlive the
/// call that uses them.
struct MeshPolicyInputs {
  std::vector<const model::ProductFolder*> folders;   ///< product folders
  std::vector<const model::ProductFile*> products;    ///< product.yaml files given alone
  std::vector<const model::ContractFile*> contracts;  ///< contract files given alone
};

/// Decides the policy set for linting `linted_path`:
/// - the mesh configuration is `mesh_file` when given (`--mesh FILE`), else the
///   quanta-mesh.yaml found by walking up from `linted_path` (FindMeshConfig);
/// - with a configuration: its policy folder and its defaultPolicies switch;
/// - `policy_folder` (`--policies DIR`) replaces the configuration's folder; given without
///   any configuration, it runs alone (no defaults);
/// - with neither, nullopt: no policy set, lint checks the standards and meaning only.
/// Fails when the configuration file cannot be read (IoError) or is invalid (InvalidDocument,
/// naming file:line:col).
Result<std::optional<MeshPolicyOptions>> ResolveMeshPolicyOptions(
    const std::filesystem::path& linted_path, const std::optional<std::filesystem::path>& mesh_file,
    const std::optional<std::filesystem::path>& policy_folder);

/// The one entry point of mesh governance for lint: loads the metadata of every input into a
/// fresh in-memory DuckDB (no file system or network access, so a policy can read nothing but
/// the metadata), runs the policies of `options` and returns their diagnostics: "policy/<id>"
/// per violation (error when blocking, warning otherwise, located in the documents), and
/// "policy-error" per policy that could not be read or run. Fails (IoError) only when the
/// policy folder cannot be read, and Internal when DuckDB cannot be opened.
Result<std::vector<Diagnostic>> RunMeshPolicies(const MeshPolicyInputs& inputs,
                                                const MeshPolicyOptions& options);

}  // namespace quanta::governance
