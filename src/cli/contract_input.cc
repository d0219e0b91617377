#include "cli/contract_input.h"

#include "model/structure_check.h"

namespace quanta::cli {

Result<std::optional<model::ContractFile>> ReadContractArgument(
    const std::filesystem::path& path, std::vector<Diagnostic>* diagnostics) {
  std::vector<Diagnostic> found;
  QUANTA_ASSIGN_OR_RETURN(std::optional<model::ContractFile> file,
                          model::LoadContractFile(path, &found));
  if (file && model::DetectKind(file->document.root()) != model::DocumentKind::kContract) {
    Diagnostic diagnostic;
    diagnostic.rule = "document-kind";
    diagnostic.location = file->document.Locate("/kind");
    diagnostic.message = "this is not a data contract";
    diagnostic.hint = "give an ODCS contract (kind: DataContract), such as a file in contracts/";
    found.push_back(std::move(diagnostic));
  } else if (file) {
    for (Diagnostic& diagnostic :
         model::CheckStructure(file->document, model::DocumentKind::kContract)) {
      diagnostic.severity = Severity::kWarning;
      found.push_back(std::move(diagnostic));
    }
  }
  bool failed = !file || HasErrors(found);
  for (Diagnostic& diagnostic : found) diagnostics->push_back(std::move(diagnostic));
  if (failed) return std::optional<model::ContractFile>();
  return file;
}

}  // namespace quanta::cli
