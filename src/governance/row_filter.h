#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/diagnostic.h"
#include "model/contract.h"
#include "model/product_folder.h"

namespace quanta::governance {

/// The `property` of the ODCS role customProperty that holds a role's row filter (compared
/// without ASCII case): `customProperties: [{property: rowFilter, value: "region = 'EU'"}]`.
inline constexpr std::string_view kRowFilterProperty = "rowFilter";

/// What a row filter may write for the name of the principal reading, e.g.
/// `owner = current_principal()`. Written exactly so (lower case, no blanks); it reads as the
/// principal's name, a VARCHAR.
inline constexpr std::string_view kCurrentPrincipal = "current_principal()";

/// The row filter of `role` for the principal called `principal`: the SQL of its rowFilter
/// customProperty with each current_principal() replaced by the principal's name as a SQL
/// literal, or nullopt when the role has none (its holders see every row). Fails closed: a
/// rowFilter whose value is not a non-blank string reads as `false` (no row), and several
/// rowFilter entries on one role must all hold (AND). Pure; thread-safe.
std::optional<std::string> RoleRowFilter(const model::Role& role, std::string_view principal);

/// Lint of the row filters of `file`'s roles: each must be one boolean SQL expression over
/// the columns of every schema object of the contract (it binds against tables made from
/// them), written with DuckDB's SQL; no subquery, no table or column of anything else, no
/// window or aggregate, no function reaching files, settings or the node's internals, no
/// parameter. Each problem is an error at the customProperty's value, naming the role and the
/// reason. A rowFilter on a role that grants no reading is a warning (it has no effect).
/// Appends to `diagnostics`.
void CheckRowFilters(const model::ContractFile& file, std::vector<Diagnostic>* diagnostics);

}  // namespace quanta::governance
