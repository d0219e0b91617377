#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "engine/database.h"
#include "model/contract.h"

namespace quanta::governance {

/// The `access` of an ODCS role that lets its holders read classified properties in clear.
/// Any other read role (`read`, or no access given) reads them masked.
inline constexpr std::string_view kReadUnmaskedAccess = "read-unmasked";

/// What a masked text column reads as, whatever the value (even NULL) underneath.
inline constexpr std::string_view kMaskedText = "***";

/// Someone who reads a dataset through an output port: a signed-in principal's name and the
/// groups node.yaml gives it.
struct Reader {
  std::string name;
  std::vector<std::string> groups;
  /// Reads every dataset in clear, whatever its contract says: the node's operator on an HTTP
  /// API without authentication (local development), which may deploy any pipeline anyway.
  bool unrestricted = false;
};

/// What one reader may see of one dataset (a schema object of an output port's contract).
/// Every port applies the same decision: SQL, HTTP reads, Parquet exports, change streams.
struct DatasetAccess {
  bool readable = true;
  /// Why not, when not readable: names the roles that would grant it (PermissionDenied).
  Status refusal;
  /// The top-level columns this reader sees masked, as the contract names them.
  std::vector<std::string> masked_columns;

  /// True when `column` (compared without ASCII case, as SQL identifiers are) is masked.
  bool Masks(std::string_view column) const;
};

/// True when `classification` lets a property be read in clear by every reader of its dataset:
/// absent, empty, "public", "internal", "none" or "unclassified", in any case. Anything else
/// ("restricted", "confidential", "pii", ...) is masked unless the reader holds a read-unmasked
/// role.
bool IsOpenClassification(std::string_view classification);

/// Decides what `reader` may see of `object`, a schema object of `contract`:
///  - readable: when the contract has no read role (a role whose access is "read",
///    "read-unmasked" or not given), every signed-in reader may read it; otherwise only a reader
///    with a group named exactly like one of those roles;
///  - masked: each top-level property whose classification, or that of a property nested in
///    it, is not open (IsOpenClassification), unless the reader has a group named like a role
///    whose access is "read-unmasked".
/// An unrestricted reader reads everything in clear. `product` ("domain/name") and `dataset`
/// only name things in the refusal. Pure; thread-safe.
DatasetAccess DecideReadAccess(const Reader& reader, const model::Contract& contract,
                               const model::SchemaObject& object, std::string_view product);

/// SQL for the masked value of a column of DuckDB type `type`: '***' as VARCHAR for VARCHAR
/// columns, a NULL of the column's own type for every other type (numbers, dates, JSON, lists,
/// structs), so that the column keeps its type on every port.
std::string MaskedValueSql(std::string_view type);

/// `rows_sql` (a SELECT whose columns include `columns`) with each column `access` masks
/// replaced by its masked value, every other column unchanged and in place. When nothing is
/// masked, `rows_sql` itself. The masks apply inside this SELECT, so a consumer's filter,
/// grouping or join over its result only ever sees masked values.
std::string MaskedRowsSql(std::string_view rows_sql, const std::vector<engine::Column>& columns,
                          const DatasetAccess& access);

}  // namespace quanta::governance
