#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "store/store_layout.h"

namespace quanta::store {

// The SQL that keeps every version of every row of a dataset in one table (system-time
// versioning). A row version is current from the commit that wrote it (`_quanta_from_version`)
// until the commit that replaced it (`_quanta_to_version`, NULL while current). Pure text
// builders: they run nothing and never fail.

/// The version that first holds the row version.
inline constexpr std::string_view kFromVersionColumn = "_quanta_from_version";
/// The version that replaced the row version; NULL while it is current.
inline constexpr std::string_view kToVersionColumn = "_quanta_to_version";
/// In change results: the version of the change.
inline constexpr std::string_view kChangeVersionColumn = "_quanta_version";
/// In change results: 'insert' (the row version appeared) or 'delete' (it stopped being
/// current). An upsert of an existing key is a delete and an insert at the same version.
inline constexpr std::string_view kChangeKindColumn = "_quanta_change";

/// The schema holding one history table per dataset, named after the dataset.
inline constexpr std::string_view kHistorySchema = "history";
/// The schema holding one view per dataset with its current rows and no hidden columns, for
/// transforms that read their own state ("previous.orders").
inline constexpr std::string_view kPreviousSchema = "previous";

/// history."<dataset>", or "<catalog>".history."<dataset>" when `catalog` is not empty.
std::string HistoryTable(std::string_view dataset, std::string_view catalog = "");
/// previous."<dataset>".
std::string PreviousView(std::string_view dataset);

/// The dataset's columns, quoted and comma-separated, each prefixed with `qualifier` and a dot
/// when it is not empty: "a", "b" or t."a", t."b".
std::string ColumnList(const DatasetLayout& dataset, std::string_view qualifier = "");

/// CREATE TABLE of the history table: the dataset's columns, then the hidden columns.
std::string CreateHistoryTableSql(const DatasetLayout& dataset);
/// The name of the index on a dataset's lookup column ("<dataset>_lookup", in the history
/// schema beside the table).
std::string LookupIndexName(std::string_view dataset);
/// CREATE INDEX on the dataset's lookup column, then a COMMENT ON INDEX holding the column's
/// name, which tells a later open whether the index is still on the right column; empty when
/// the dataset has no lookup column.
std::string CreateLookupIndexSql(const DatasetLayout& dataset);
/// DROP INDEX of the dataset's lookup index.
std::string DropLookupIndexSql(std::string_view dataset);
/// CREATE OR REPLACE VIEW previous."<dataset>" over the current rows.
std::string CreatePreviousViewSql(const DatasetLayout& dataset);

/// The rows of the dataset as they were at `version` (0: before the first commit), without
/// hidden columns; qualified with `catalog` when it is not empty.
std::string SnapshotSql(const DatasetLayout& dataset, std::int64_t version,
                        std::string_view catalog = "");
/// The current rows, whatever the latest version is when the SQL runs; qualified with `catalog`
/// when it is not empty.
std::string CurrentSql(const DatasetLayout& dataset, std::string_view catalog = "");
/// Row versions that appeared or stopped being current in versions after `after_version` up to
/// and including `up_to_version`: _quanta_version, _quanta_change, then the dataset's columns;
/// ordered by version, deletes before inserts.
std::string ChangesSql(const DatasetLayout& dataset, std::int64_t after_version,
                       std::int64_t up_to_version);

/// How an upsert closes the current version of replaced rows and adds the new ones.
enum class UpsertMethod {
  kUpdateInsert,  ///< UPDATE ... FROM the staged keys, then INSERT the new versions
  kMerge,         ///< one MERGE INTO over the staged rows, each staged row sent twice
};

/// The statements that apply staged rows (a table with the dataset's columns, in arrival
/// order by rowid) as version `version`. Append: one INSERT. Upsert: the last staged row per
/// key wins; the current version of each staged key is closed and the winners inserted.
/// Every statement returns a count: for kUpdateInsert the first counts closed rows and the
/// second inserted ones; kMerge returns one total.
std::vector<std::string> ApplyStagedSql(const DatasetLayout& dataset, std::string_view staging,
                                        std::int64_t version, UpsertMethod method);

/// A SELECT counting staged rows whose key has a NULL column (upsert datasets only).
std::string CountNullKeysSql(const DatasetLayout& dataset, std::string_view staging);
/// A SELECT counting the distinct keys among staged rows (upsert datasets only).
std::string CountStagedKeysSql(const DatasetLayout& dataset, std::string_view staging);

}  // namespace quanta::store
