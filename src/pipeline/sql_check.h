#pragma once

#include <vector>

#include "base/diagnostic.h"
#include "model/product_folder.h"

namespace quanta::pipeline {

/// Parses and binds every `sql` quality rule of a contract against tables made from the
/// contract's own schema (an unknown column is an error). Appends to `diagnostics`.
void CheckContractSql(const model::ContractFile& file, std::vector<Diagnostic>* diagnostics);

/// Binds each transform of the folder's pipeline against tables made from its input ports'
/// contracts, and checks that the columns it produces match the output contract's object by
/// name and type (a safe widening into the contract's type is accepted). Appends to
/// `diagnostics`, locating SQL errors at transforms/<file>:line.
void CheckFolderSql(const model::ProductFolder& folder, std::vector<Diagnostic>* diagnostics);

/// Replaces the placeholders of an ODCS sql quality query: ${object} / {object} by the quoted
/// table name and ${property} / {property} by the quoted column name.
std::string ExpandQualityQuery(std::string query, std::string_view object,
                               std::string_view property);

}  // namespace quanta::pipeline
