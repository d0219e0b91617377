#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace quanta {

/// A place in a document: file, 1-based line and column (0 when unknown), and the field path
/// in the document, written the way a user reads it: `schema[0].properties[2].logicalType`.
struct SourceLocation {
  std::string file;
  int line = 0;
  int column = 0;
  std::string field;
};

enum class Severity { kError, kWarning };

/// One finding about a document, reported like a compiler does:
/// `path:line:col: error[rule-id]: message` and an optional hint on the next line.
struct Diagnostic {
  Severity severity = Severity::kError;
  std::string rule;  ///< stable id, e.g. "yaml-duplicate-key", "schema-required", "policy/owner"
  SourceLocation location;
  std::string message;
  std::string hint;  ///< how to fix it; may be empty
};

/// `path:line:col: error[rule]: message (at field)` followed by `  hint: ...` when there is one.
std::string FormatDiagnostic(const Diagnostic& diagnostic);

/// The diagnostic as a JSON object with the keys file, line, column, field, severity, rule,
/// message, hint.
nlohmann::json DiagnosticToJson(const Diagnostic& diagnostic);

/// True when any diagnostic in the list is an error.
bool HasErrors(const std::vector<Diagnostic>& diagnostics);

}  // namespace quanta
