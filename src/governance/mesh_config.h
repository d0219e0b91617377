#pragma once

#include <filesystem>
#include <optional>
#include <string_view>

#include "base/result.h"

namespace quanta::governance {

/// The name of the mesh configuration file that lint looks for.
inline constexpr std::string_view kMeshConfigFileName = "quanta-mesh.yaml";

/// A mesh's governance settings, read from quanta-mesh.yaml:
///
///     apiVersion: quanta/v1
///     kind: Mesh
///     policies: governance/policies   # folder of .sql policies, relative to this file
///     defaultPolicies: true           # also run Quanta's default policies (default: true)
struct MeshConfig {
  std::filesystem::path file;                          ///< the file it was read from
  std::optional<std::filesystem::path> policy_folder;  ///< resolved against file's folder
  bool default_policies = true;
};

/// The quanta-mesh.yaml in the folder of `start` (its own folder when `start` is a file) or
/// in the nearest folder above it; nullopt when there is none up to the file system root.
std::optional<std::filesystem::path> FindMeshConfig(const std::filesystem::path& start);

/// Reads a mesh configuration file. Fails with IoError when it cannot be read, and with
/// InvalidDocument naming file:line:col and the fix when it is not a valid configuration
/// (YAML errors, wrong apiVersion or kind, unknown fields, values of the wrong type).
Result<MeshConfig> ReadMeshConfig(const std::filesystem::path& file);

}  // namespace quanta::governance
