#include "store/dataset_versions.h"

#include <fmt/format.h>

namespace quanta::store {
namespace {

using engine::QuoteIdentifier;

std::string Hidden(std::string_view name) { return QuoteIdentifier(name); }

// t."k1" = s."k1" AND t."k2" = s."k2"
std::string KeyMatch(const DatasetLayout& dataset, std::string_view left, std::string_view right) {
  std::string match;
  for (const std::string& key : dataset.key) {
    if (!match.empty()) match += " AND ";
    match += fmt::format("{0}.{2} = {1}.{2}", left, right, QuoteIdentifier(key));
  }
  return match;
}

std::string KeyList(const DatasetLayout& dataset) {
  std::string list;
  for (const std::string& key : dataset.key) {
    if (!list.empty()) list += ", ";
    list += QuoteIdentifier(key);
  }
  return list;
}

// The staged rows with one row per key: the last one staged.
std::string WinnersSql(const DatasetLayout& dataset, std::string_view staging) {
  return fmt::format(
      "SELECT {0}, staged.rowid AS _quanta_arrival FROM {1} AS staged "
      "QUALIFY row_number() OVER (PARTITION BY {2} ORDER BY staged.rowid DESC) = 1",
      ColumnList(dataset, "staged"), staging, KeyList(dataset));
}

std::string InsertColumns(const DatasetLayout& dataset) {
  return fmt::format("{}, {}, {}", ColumnList(dataset), Hidden(kFromVersionColumn),
                     Hidden(kToVersionColumn));
}

}  // namespace

std::string HistoryTable(std::string_view dataset, std::string_view catalog) {
  std::string prefix = catalog.empty() ? std::string() : QuoteIdentifier(catalog) + ".";
  return prefix + QuoteIdentifier(kHistorySchema) + "." + QuoteIdentifier(dataset);
}

std::string PreviousView(std::string_view dataset) {
  return QuoteIdentifier(kPreviousSchema) + "." + QuoteIdentifier(dataset);
}

std::string ColumnList(const DatasetLayout& dataset, std::string_view qualifier) {
  std::string list;
  for (const engine::Column& column : dataset.columns) {
    if (!list.empty()) list += ", ";
    if (!qualifier.empty()) {
      list += qualifier;
      list += '.';
    }
    list += QuoteIdentifier(column.name);
  }
  return list;
}

std::string CreateHistoryTableSql(const DatasetLayout& dataset) {
  std::string columns;
  for (const engine::Column& column : dataset.columns) {
    columns += QuoteIdentifier(column.name) + " " + column.type + ", ";
  }
  return fmt::format("CREATE TABLE {} ({}{} BIGINT NOT NULL, {} BIGINT)",
                     HistoryTable(dataset.name), columns, Hidden(kFromVersionColumn),
                     Hidden(kToVersionColumn));
}

std::string LookupIndexName(std::string_view dataset) { return std::string(dataset) + "_lookup"; }

std::string CreateLookupIndexSql(const DatasetLayout& dataset) {
  if (dataset.lookup_column.empty()) return "";
  std::string index =
      QuoteIdentifier(kHistorySchema) + "." + QuoteIdentifier(LookupIndexName(dataset.name));
  return fmt::format("CREATE INDEX {} ON {} ({}); COMMENT ON INDEX {} IS {}",
                     QuoteIdentifier(LookupIndexName(dataset.name)), HistoryTable(dataset.name),
                     QuoteIdentifier(dataset.lookup_column), index,
                     engine::QuoteLiteral(dataset.lookup_column));
}

std::string DropLookupIndexSql(std::string_view dataset) {
  return fmt::format("DROP INDEX {}.{}", QuoteIdentifier(kHistorySchema),
                     QuoteIdentifier(LookupIndexName(dataset)));
}

std::string CreatePreviousViewSql(const DatasetLayout& dataset) {
  return fmt::format("CREATE OR REPLACE VIEW {} AS {}", PreviousView(dataset.name),
                     CurrentSql(dataset));
}

std::string SnapshotSql(const DatasetLayout& dataset, std::int64_t version,
                        std::string_view catalog) {
  return fmt::format("SELECT {} FROM {} WHERE {} <= {} AND ({} IS NULL OR {} > {})",
                     ColumnList(dataset), HistoryTable(dataset.name, catalog),
                     Hidden(kFromVersionColumn), version, Hidden(kToVersionColumn),
                     Hidden(kToVersionColumn), version);
}

std::string CurrentSql(const DatasetLayout& dataset, std::string_view catalog) {
  std::string columns = ColumnList(dataset);
  // DuckDB 1.4.4 reads through the lookup index only when the lookup column comes first among
  // the columns the scan reads (otherwise it scans, as measured with EXPLAIN ANALYZE), so the
  // scan lists it first and an outer SELECT restores the contract's order.
  std::string scanned = columns;
  if (!dataset.lookup_column.empty() && dataset.columns[0].name != dataset.lookup_column) {
    scanned = QuoteIdentifier(dataset.lookup_column);
    for (const engine::Column& column : dataset.columns) {
      if (column.name != dataset.lookup_column) scanned += ", " + QuoteIdentifier(column.name);
    }
  }
  std::string scan;
  if (dataset.mode == WriteMode::kAppend) {
    // An append dataset never closes a row version (the store refuses a change of mode, and
    // retention removes only closed versions), so every row is current: a scan without the
    // filter, which costs a quarter of an aggregation's time.
    scan = fmt::format("SELECT {} FROM {}", scanned, HistoryTable(dataset.name, catalog));
  } else {
    // `_to < _from` never holds (a version is closed by a later commit), so the filter keeps
    // the rows whose _to is NULL. Written with both columns, it stays out of the scan: DuckDB
    // reads through the lookup index only when the lookup is the scan's one pushed-down
    // filter, and would push a plain `_to IS NULL` down beside it (bench/RESULTS.md: a lookup
    // 2.5 times faster, a full aggregation 1.7 times slower).
    std::string to = Hidden(kToVersionColumn);
    scan = fmt::format("SELECT {} FROM {} WHERE ({} IS NULL OR {} < {})", scanned,
                       HistoryTable(dataset.name, catalog), to, to, Hidden(kFromVersionColumn));
  }
  if (scanned == columns) return scan;
  return fmt::format("SELECT {} FROM ({}) AS {}", columns, scan, QuoteIdentifier(dataset.name));
}

std::string ChangesSql(const DatasetLayout& dataset, std::int64_t after_version,
                       std::int64_t up_to_version) {
  std::string table = HistoryTable(dataset.name);
  std::string from = Hidden(kFromVersionColumn);
  std::string to = Hidden(kToVersionColumn);
  std::string columns = ColumnList(dataset);
  return fmt::format(
      "SELECT {0} AS {5}, 'insert' AS {6}, {2} FROM {1} WHERE {0} > {3} AND {0} <= {4} "
      "UNION ALL "
      "SELECT {7} AS {5}, 'delete' AS {6}, {2} FROM {1} WHERE {7} > {3} AND {7} <= {4} "
      "ORDER BY {5}, {6}",
      from, table, columns, after_version, up_to_version, Hidden(kChangeVersionColumn),
      Hidden(kChangeKindColumn), to);
}

std::vector<std::string> ApplyStagedSql(const DatasetLayout& dataset, std::string_view staging,
                                        std::int64_t version, UpsertMethod method) {
  std::string table = HistoryTable(dataset.name);
  if (dataset.mode == WriteMode::kAppend) {
    return {fmt::format(
        "INSERT INTO {} ({}) SELECT {}, {}, NULL FROM {} AS staged ORDER BY staged.rowid", table,
        InsertColumns(dataset), ColumnList(dataset), version, staging)};
  }
  std::string to = Hidden(kToVersionColumn);
  if (method == UpsertMethod::kMerge) {
    // Each winner is sent twice: once to close the current version of its key (the only
    // source rows that can match), once to be inserted (never matches).
    std::string values;
    for (const engine::Column& column : dataset.columns) {
      values += "source." + QuoteIdentifier(column.name) + ", ";
    }
    return {fmt::format(
        "MERGE INTO {0} AS target USING ("
        "WITH winners AS ({1}) "
        "SELECT *, true AS _quanta_close FROM winners "
        "UNION ALL SELECT *, false AS _quanta_close FROM winners) AS source "
        "ON source._quanta_close AND {2} AND target.{3} IS NULL "
        "WHEN MATCHED THEN UPDATE SET {3} = {4} "
        "WHEN NOT MATCHED AND NOT source._quanta_close THEN INSERT ({5}) VALUES ({6}{4}, NULL)",
        table, WinnersSql(dataset, staging), KeyMatch(dataset, "target", "source"), to, version,
        InsertColumns(dataset), values)};
  }
  return {
      fmt::format("UPDATE {0} AS target SET {1} = {2} FROM (SELECT DISTINCT {3} FROM {4}) AS "
                  "source WHERE {5} AND target.{1} IS NULL",
                  table, to, version, KeyList(dataset), staging,
                  KeyMatch(dataset, "target", "source")),
      fmt::format("INSERT INTO {0} ({1}) SELECT {2}, {3}, NULL FROM ({4}) AS winners "
                  "ORDER BY _quanta_arrival",
                  table, InsertColumns(dataset), ColumnList(dataset), version,
                  WinnersSql(dataset, staging)),
  };
}

std::string CountNullKeysSql(const DatasetLayout& dataset, std::string_view staging) {
  std::string any_null;
  for (const std::string& key : dataset.key) {
    if (!any_null.empty()) any_null += " OR ";
    any_null += QuoteIdentifier(key) + " IS NULL";
  }
  return fmt::format("SELECT count(*) FROM {} WHERE {}", staging, any_null);
}

std::string CountStagedKeysSql(const DatasetLayout& dataset, std::string_view staging) {
  return fmt::format("SELECT count(*) FROM (SELECT DISTINCT {} FROM {})", KeyList(dataset),
                     staging);
}

}  // namespace quanta::store
