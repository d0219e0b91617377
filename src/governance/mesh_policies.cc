#include "governance/mesh_policies.h"

#include "engine/database.h"
#include "governance/default_policies.h"
#include "governance/mesh_config.h"
#include "governance/policy.h"
#include "governance/product_metadata.h"

namespace quanta::governance {

Result<std::optional<MeshPolicyOptions>> ResolveMeshPolicyOptions(
    const std::filesystem::path& linted_path, const std::optional<std::filesystem::path>& mesh_file,
    const std::optional<std::filesystem::path>& policy_folder) {
  std::optional<std::filesystem::path> config_file =
      mesh_file ? mesh_file : FindMeshConfig(linted_path);
  std::optional<MeshPolicyOptions> options;
  if (config_file) {
    QUANTA_ASSIGN_OR_RETURN(MeshConfig config, ReadMeshConfig(*config_file));
    options.emplace();
    options->policy_folder = config.policy_folder;
    options->use_defaults = config.default_policies;
  }
  if (policy_folder) {
    if (!options) {
      options.emplace();
      options->use_defaults = false;
    }
    options->policy_folder = policy_folder;
  }
  return options;
}

Result<std::vector<Diagnostic>> RunMeshPolicies(const MeshPolicyInputs& inputs,
                                                const MeshPolicyOptions& options) {
  PolicySet policies;
  if (options.use_defaults) policies = DefaultPolicies();
  if (options.policy_folder) {
    QUANTA_ASSIGN_OR_RETURN(PolicySet folder, LoadPolicyFolder(*options.policy_folder));
    for (Policy& policy : folder.policies) policies.Put(std::move(policy));
    for (Diagnostic& error : folder.errors) policies.errors.push_back(std::move(error));
  }

  engine::DatabaseOptions database_options;
  // Policies see the metadata tables and nothing else: no files, no network, no extensions.
  database_options.settings = {{"enable_external_access", "false"},
                               {"autoinstall_known_extensions", "false"},
                               {"autoload_known_extensions", "false"},
                               {"threads", "1"}};
  Result<std::unique_ptr<engine::Database>> database = engine::Database::Open(database_options);
  if (!database.ok()) {
    return Status::Internal("cannot open the policy database: {}", database.status().message());
  }
  Result<std::unique_ptr<engine::Connection>> connection = (*database)->Connect();
  if (!connection.ok()) return connection.status();

  ProductMetadata metadata;
  for (const model::ProductFolder* folder : inputs.folders) metadata.AddFolder(*folder);
  for (const model::ProductFile* product : inputs.products) metadata.AddProduct(*product);
  for (const model::ContractFile* contract : inputs.contracts) metadata.AddContract(*contract);
  QUANTA_RETURN_IF_ERROR(metadata.LoadInto(**connection));

  std::vector<Diagnostic> diagnostics = std::move(policies.errors);
  for (Diagnostic& diagnostic : RunPolicies(**connection, policies.policies, metadata)) {
    diagnostics.push_back(std::move(diagnostic));
  }
  return diagnostics;
}

}  // namespace quanta::governance
