#include "governance/linter.h"

#include <algorithm>
#include <system_error>

#include "governance/mesh_policies.h"
#include "governance/row_filter.h"
#include "model/meaning_check.h"
#include "model/product_folder.h"
#include "model/structure_check.h"
#include "pipeline/sql_check.h"

namespace quanta::governance {
namespace {

// The policy set for `path`: the mesh configuration's (or --policies), plus the defaults when
// asked for with --default-policies. nullopt: no policy set, so no policies run.
Result<std::optional<MeshPolicyOptions>> PoliciesFor(const std::filesystem::path& path,
                                                     const LintOptions& options) {
  QUANTA_ASSIGN_OR_RETURN(std::optional<MeshPolicyOptions> resolved,
                          ResolveMeshPolicyOptions(path, options.mesh_file, options.policies_dir));
  if (options.default_policies) {
    if (!resolved) resolved = MeshPolicyOptions{};
    resolved->use_defaults = true;
  }
  return resolved;
}

Status RunPolicies(const std::filesystem::path& path, const MeshPolicyInputs& inputs,
                   const LintOptions& options, LintReport* report) {
  QUANTA_ASSIGN_OR_RETURN(std::optional<MeshPolicyOptions> policies, PoliciesFor(path, options));
  if (!policies) return Status::Ok();
  QUANTA_ASSIGN_OR_RETURN(std::vector<Diagnostic> findings, RunMeshPolicies(inputs, *policies));
  report->diagnostics.insert(report->diagnostics.end(), findings.begin(), findings.end());
  return Status::Ok();
}

void LintContract(const model::ContractFile& file, LintReport* report) {
  model::CheckContractMeaning(file, &report->diagnostics);
  pipeline::CheckContractSql(file, &report->diagnostics);
  CheckRowFilters(file, &report->diagnostics);
}

void CheckKind(const model::Document& document, model::DocumentKind expected,
               const char* expected_name, LintReport* report) {
  model::DocumentKind kind = model::DetectKind(document.root());
  if (kind != expected && kind != model::DocumentKind::kUnknown) {
    Diagnostic diagnostic;
    diagnostic.rule = "product-layout";
    diagnostic.location = document.Locate("/kind");
    diagnostic.message = std::string("this file should hold a ") + expected_name;
    report->diagnostics.push_back(std::move(diagnostic));
  }
  auto structure = model::CheckStructure(document, expected);
  report->diagnostics.insert(report->diagnostics.end(), structure.begin(), structure.end());
}

Status LintFolder(const std::filesystem::path& root, const LintOptions& options,
                  LintReport* report) {
  QUANTA_ASSIGN_OR_RETURN(model::ProductFolder folder,
                          model::LoadProductFolder(root, &report->diagnostics));
  ++report->products;
  if (folder.product) {
    report->files.push_back(folder.product->document.file());
    CheckKind(folder.product->document, model::DocumentKind::kProduct, "data product (ODPS)",
              report);
  }
  for (const model::ContractFile& contract : folder.contracts) {
    report->files.push_back(contract.document.file());
    CheckKind(contract.document, model::DocumentKind::kContract, "data contract (ODCS)", report);
    LintContract(contract, report);
  }
  if (folder.pipeline) {
    report->files.push_back(folder.pipeline->document.file());
    CheckKind(folder.pipeline->document, model::DocumentKind::kPipeline, "pipeline", report);
  }
  model::CheckFolderMeaning(folder, &report->diagnostics);
  pipeline::CheckFolderSql(folder, &report->diagnostics);
  MeshPolicyInputs inputs;
  inputs.folders.push_back(&folder);
  return RunPolicies(root, inputs, options, report);
}

Status LintFile(const std::filesystem::path& path, const LintOptions& options, LintReport* report) {
  report->files.push_back(path.string());
  QUANTA_ASSIGN_OR_RETURN(std::optional<model::Document> document,
                          model::LoadDocument(path, &report->diagnostics));
  if (!document) return Status::Ok();
  model::DocumentKind kind = model::DetectKind(document->root());
  auto structure = model::CheckStructure(*document, kind);
  report->diagnostics.insert(report->diagnostics.end(), structure.begin(), structure.end());
  MeshPolicyInputs inputs;
  if (kind == model::DocumentKind::kContract) {
    model::ContractFile file{*document, model::ContractFromJson(document->root())};
    LintContract(file, report);
    inputs.contracts.push_back(&file);
    return RunPolicies(path, inputs, options, report);
  }
  if (kind == model::DocumentKind::kProduct) {
    model::ProductFile file{*document, model::ProductFromJson(document->root())};
    inputs.products.push_back(&file);
    return RunPolicies(path, inputs, options, report);
  }
  return Status::Ok();
}

// Product folders below `root`, not descending into a product folder's own subfolders.
std::vector<std::filesystem::path> FindProductFolders(const std::filesystem::path& root) {
  std::vector<std::filesystem::path> found;
  std::error_code error;
  auto options = std::filesystem::directory_options::skip_permission_denied;
  for (auto it = std::filesystem::recursive_directory_iterator(root, options, error);
       it != std::filesystem::recursive_directory_iterator(); it.increment(error)) {
    if (error) break;
    if (!it->is_directory(error)) continue;
    std::string name = it->path().filename().string();
    if (!name.empty() && name[0] == '.') {
      it.disable_recursion_pending();
      continue;
    }
    if (model::IsProductFolder(it->path())) {
      found.push_back(it->path());
      it.disable_recursion_pending();
    }
  }
  std::sort(found.begin(), found.end());
  return found;
}

}  // namespace

Result<LintReport> Lint(const std::vector<std::filesystem::path>& paths,
                        const LintOptions& options) {
  LintReport report;
  if (paths.empty()) return Status::Usage("nothing to lint: give a product folder or a document");
  for (const std::filesystem::path& path : paths) {
    std::error_code error;
    auto status = std::filesystem::status(path, error);
    if (error || !std::filesystem::exists(status)) {
      return Status::IoError("{}: no such file or folder", path.string());
    }
    if (std::filesystem::is_directory(status)) {
      if (model::IsProductFolder(path)) {
        QUANTA_RETURN_IF_ERROR(LintFolder(path, options, &report));
        continue;
      }
      std::vector<std::filesystem::path> folders = FindProductFolders(path);
      if (folders.empty()) {
        return Status::Usage("{}: holds no product folder (a folder with a product.yaml)",
                             path.string());
      }
      for (const auto& folder : folders)
        QUANTA_RETURN_IF_ERROR(LintFolder(folder, options, &report));
      continue;
    }
    QUANTA_RETURN_IF_ERROR(LintFile(path, options, &report));
  }
  std::stable_sort(report.diagnostics.begin(), report.diagnostics.end(),
                   [](const Diagnostic& a, const Diagnostic& b) {
                     return std::tie(a.location.file, a.location.line, a.location.column) <
                            std::tie(b.location.file, b.location.line, b.location.column);
                   });
  return report;
}

}  // namespace quanta::governance
