#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/diagnostic.h"
#include "model/product_folder.h"
#include "model/yaml_document.h"

namespace quanta::model {

/// Checks a document against the JSON Schema of its standard, picked by `kind` and the
/// document's apiVersion:
///   - contracts: ODCS v3.1.0 for apiVersion v3.1.0; the ODCS v3.0.2 schema for v3.0.0, v3.0.1
///     and v3.0.2; any other apiVersion is one error naming the supported ones;
///   - products: ODPS v1.0.0 for v1.0.0, and for v0.9.0 too (with a warning saying so);
///   - pipelines: Quanta's pipeline schema (schemas/quanta-pipeline-v1.json);
///   - kUnknown: one error saying which kinds exist.
/// Each violation becomes an error with rule "schema/<keyword>" in kebab case (schema/required,
/// schema/enum, schema/type, ...); a field that is not allowed is "schema/additional-properties"
/// whichever keyword forbade it, and is located at its key. Hints suggest the closest allowed
/// name or value ("did you mean 'logicalType'?"). Diagnostics come in document order.
///
/// The schemas are compiled once per process, on first use; thread-safe.
std::vector<Diagnostic> CheckStructure(const Document& document, DocumentKind kind);

/// The closest of `candidates` to `word` by edit distance (ignoring case), when it is close
/// enough to be a likely typo; empty otherwise.
std::string ClosestName(std::string_view word, const std::vector<std::string>& candidates);

}  // namespace quanta::model
