#pragma once

#include <filesystem>
#include <optional>
#include <vector>

#include "base/diagnostic.h"
#include "base/result.h"
#include "model/product_folder.h"

namespace quanta::cli {

/// Reads a contract file given on the command line (breaking, changelog, export). Problems
/// with the document go to `diagnostics`, worded as lint words them:
///   - errors, after which nullopt is returned: YAML that cannot be read (syntax, tabs,
///     encoding, emptiness) and documents that are not data contracts (kind);
///   - warnings: violations of the ODCS JSON Schema of the contract's apiVersion. The contract
///     is still returned, since even the standard's own examples do not all pass its schema;
///     fields of the wrong type are kept aside by the model and compared as plain data.
/// Fails (IoError) only when the file cannot be read at all.
Result<std::optional<model::ContractFile>> ReadContractArgument(
    const std::filesystem::path& path, std::vector<Diagnostic>* diagnostics);

}  // namespace quanta::cli
