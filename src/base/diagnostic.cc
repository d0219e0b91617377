#include "base/diagnostic.h"

#include <algorithm>

#include <fmt/format.h>

namespace quanta {

std::string FormatDiagnostic(const Diagnostic& diagnostic) {
  const SourceLocation& where = diagnostic.location;
  std::string place = where.file.empty() ? "<input>" : where.file;
  if (where.line > 0) place += fmt::format(":{}:{}", where.line, std::max(where.column, 1));
  std::string text = fmt::format("{}: {}[{}]: {}", place,
                                 diagnostic.severity == Severity::kError ? "error" : "warning",
                                 diagnostic.rule, diagnostic.message);
  if (!where.field.empty()) text += fmt::format(" (at {})", where.field);
  if (!diagnostic.hint.empty()) text += fmt::format("\n  hint: {}", diagnostic.hint);
  return text;
}

nlohmann::json DiagnosticToJson(const Diagnostic& diagnostic) {
  return {
      {"file", diagnostic.location.file},
      {"line", diagnostic.location.line},
      {"column", diagnostic.location.column},
      {"field", diagnostic.location.field},
      {"severity", diagnostic.severity == Severity::kError ? "error" : "warning"},
      {"rule", diagnostic.rule},
      {"message", diagnostic.message},
      {"hint", diagnostic.hint},
  };
}

bool HasErrors(const std::vector<Diagnostic>& diagnostics) {
  return std::any_of(diagnostics.begin(), diagnostics.end(),
                     [](const Diagnostic& d) { return d.severity == Severity::kError; });
}

}  // namespace quanta
