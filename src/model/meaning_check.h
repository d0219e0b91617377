#pragma once

#include <vector>

#include "base/diagnostic.h"
#include "model/product_folder.h"

namespace quanta::model {

/// Checks what the JSON Schemas cannot express, inside one contract: names and ids unique,
/// relationships pointing at properties that exist, primary key positions consistent, quality
/// rules naming a known metric with a usable operator. Appends to `diagnostics`.
void CheckContractMeaning(const ContractFile& file, std::vector<Diagnostic>* diagnostics);

/// Checks a product folder as a whole: every contractId resolves to a contract of the folder,
/// contract ids and port names are unique, the pipeline's ports, datasets, transforms and keys
/// exist. (SQL binding is checked by pipeline::CheckFolderSql.) Appends to `diagnostics`.
void CheckFolderMeaning(const ProductFolder& folder, std::vector<Diagnostic>* diagnostics);

}  // namespace quanta::model
