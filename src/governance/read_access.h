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
  /// The rows this reader sees: a boolean SQL expression over the dataset's columns, evaluated
  /// on their unmasked values; empty for every row. A row for which it is NULL is not seen.
  std::string row_filter;
  /// The rows in which this reader reads the masked columns in clear all the same (those a
  /// read-unmasked role with a row filter grants it): a boolean SQL expression like
  /// row_filter; empty for none.
  std::string clear_rows;

  /// True when `column` (compared without ASCII case, as SQL identifiers are) is masked.
  bool Masks(std::string_view column) const;
};

/// True when `classification` lets a property be read in clear by every reader of its dataset:
/// absent, empty, "public", "internal", "none" or "unclassified", in any case. Anything else
/// ("restricted", "confidential", "pii", ...) is masked unless the reader holds a read-unmasked
/// role.
bool IsOpenClassification(std::string_view classification);

/// True when `role` grants reading: its access is "read", "read-unmasked" or not given (a
/// role without access still names who may read).
bool RoleGrantsRead(const model::Role& role);

/// Decides what `reader` may see of `object`, a schema object of `contract`:
///  - readable: when the contract has no read role (a role whose access is "read",
///    "read-unmasked" or not given), every signed-in reader may read it; otherwise only a reader
///    with a group named exactly like one of those roles;
///  - masked: each top-level property whose classification, or that of a property nested in
///    it, is not open (IsOpenClassification), unless the reader has a group named like a role
///    whose access is "read-unmasked";
///  - rows: each read role the reader holds grants the rows its row filter (RoleRowFilter,
///    with current_principal() bound to `reader.name`) lets through, or every row when it has
///    none; the reader sees the union (OR). A read-unmasked role grants its rows in clear, the
///    others masked: a row is in clear when a read-unmasked role the reader holds grants it.
///    A contract without read roles grants every row.
/// An unrestricted reader reads every row, everything in clear. `product` ("domain/name") and
/// `dataset` only name things in the refusal. Pure; thread-safe.
DatasetAccess DecideReadAccess(const Reader& reader, const model::Contract& contract,
                               const model::SchemaObject& object, std::string_view product);

/// SQL for the masked value of a column of DuckDB type `type`: '***' as VARCHAR for VARCHAR
/// columns, a NULL of the column's own type for every other type (numbers, dates, JSON, lists,
/// structs), so that the column keeps its type on every port.
std::string MaskedValueSql(std::string_view type);

/// `rows_sql` (a SELECT whose columns include `columns`) as `access` lets its reader see it:
/// only the rows its row filter lets through (evaluated on the unmasked values), and in them
/// each column it masks replaced by its masked value (unless the row is one of its clear
/// rows), every other column unchanged and in place. When nothing is filtered or masked,
/// `rows_sql` itself. Filter and masks apply inside this SELECT, so a consumer's filter,
/// grouping, join or count over its result only ever sees the reader's rows and masked values.
/// This is the one place every port turns a decision into SQL.
std::string ReadableRowsSql(std::string_view rows_sql, const std::vector<engine::Column>& columns,
                            const DatasetAccess& access);

}  // namespace quanta::governance
