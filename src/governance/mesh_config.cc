#include "governance/mesh_config.h"

#include <fmt/format.h>

#include <algorithm>
#include <system_error>

#include "model/yaml_document.h"

namespace quanta::governance {
namespace {

Status ConfigError(const model::Document& document, std::string_view pointer,
                   std::string_view message, std::string_view hint) {
  SourceLocation location = document.Locate(pointer);
  return Status::Invalid("{}:{}:{}: {} ({})", location.file, location.line, location.column,
                         message, hint);
}

}  // namespace

std::optional<std::filesystem::path> FindMeshConfig(const std::filesystem::path& start) {
  std::error_code error;
  std::filesystem::path folder = std::filesystem::absolute(start, error);
  if (error) return std::nullopt;
  folder = folder.lexically_normal();
  if (!std::filesystem::is_directory(folder, error)) folder = folder.parent_path();
  while (true) {
    std::filesystem::path candidate = folder / kMeshConfigFileName;
    if (std::filesystem::is_regular_file(candidate, error)) return candidate;
    std::filesystem::path parent = folder.parent_path();
    if (parent.empty() || parent == folder) return std::nullopt;
    folder = parent;
  }
}

Result<MeshConfig> ReadMeshConfig(const std::filesystem::path& file) {
  QUANTA_ASSIGN_OR_RETURN(model::ParsedDocument parsed, model::ReadYamlFile(file));
  auto first_error = std::find_if(
      parsed.diagnostics.begin(), parsed.diagnostics.end(),
      [](const Diagnostic& diagnostic) { return diagnostic.severity == Severity::kError; });
  if (first_error != parsed.diagnostics.end()) {
    return Status::Invalid("{}:{}:{}: {}", first_error->location.file, first_error->location.line,
                           first_error->location.column, first_error->message);
  }
  if (!parsed.document) return Status::Invalid("{}: not a YAML document", file.string());
  const model::Document& document = *parsed.document;
  const model::Json& root = document.root();
  if (!root.is_object()) {
    return ConfigError(document, "", "a mesh configuration is a mapping",
                       "start from `apiVersion: quanta/v1` and `kind: Mesh`");
  }
  MeshConfig config;
  config.file = file;
  bool saw_api_version = false, saw_kind = false;
  for (const auto& [key, value] : root.items()) {
    std::string pointer = model::AppendPointer("", key);
    if (key == "apiVersion") {
      saw_api_version = true;
      if (!value.is_string() || value.get<std::string>() != "quanta/v1") {
        return ConfigError(document, pointer, "unsupported apiVersion",
                           "write `apiVersion: quanta/v1`");
      }
    } else if (key == "kind") {
      saw_kind = true;
      if (!value.is_string() || value.get<std::string>() != "Mesh") {
        return ConfigError(document, pointer, "this file is not a mesh configuration",
                           "write `kind: Mesh`");
      }
    } else if (key == "policies") {
      if (!value.is_string() || value.get<std::string>().empty()) {
        return ConfigError(document, pointer, "`policies` must be a folder path",
                           "write e.g. `policies: policies`, relative to this file");
      }
      std::filesystem::path folder(value.get<std::string>());
      config.policy_folder =
          folder.is_absolute() ? folder : (file.parent_path() / folder).lexically_normal();
    } else if (key == "defaultPolicies") {
      if (!value.is_boolean()) {
        return ConfigError(document, pointer, "`defaultPolicies` must be true or false",
                           "write `defaultPolicies: true` to run Quanta's default policies");
      }
      config.default_policies = value.get<bool>();
    } else {
      return ConfigError(document, pointer, fmt::format("unknown field '{}'", key),
                         "a mesh configuration has apiVersion, kind, policies and defaultPolicies");
    }
  }
  if (!saw_api_version) {
    return ConfigError(document, "", "the mesh configuration has no apiVersion",
                       "add `apiVersion: quanta/v1`");
  }
  if (!saw_kind) {
    return ConfigError(document, "", "the mesh configuration has no kind", "add `kind: Mesh`");
  }
  return config;
}

}  // namespace quanta::governance
