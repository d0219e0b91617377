#include "ports/readable_changes.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "store/dataset_versions.h"

namespace quanta::ports {

std::string ReadableChangesSql(std::string_view changes_sql,
                               const std::vector<engine::Column>& columns,
                               const governance::DatasetAccess& access) {
  std::string readable = governance::ReadableRowsSql(changes_sql, columns, access);
  if (access.masked_columns.empty()) return readable;
  std::string version = engine::QuoteIdentifier(store::kChangeVersionColumn);
  std::string kind = engine::QuoteIdentifier(store::kChangeKindColumn);
  std::vector<std::string> names;
  for (const engine::Column& column : columns) {
    names.push_back(engine::QuoteIdentifier(column.name));
  }
  std::string values = fmt::format("{}, {}", version, fmt::join(names, ", "));
  // EXCEPT ALL takes away one matching row per row (NULLs match NULLs), so of two deletes and
  // one equal insert one delete stays.
  return fmt::format(
      "WITH readable_changes AS ({0}) "
      "SELECT {1}, 'delete' AS {2}, {3} FROM ("
      "SELECT {4} FROM readable_changes WHERE {2} = 'delete' EXCEPT ALL "
      "SELECT {4} FROM readable_changes WHERE {2} = 'insert') AS deleted "
      "UNION ALL "
      "SELECT {1}, 'insert' AS {2}, {3} FROM ("
      "SELECT {4} FROM readable_changes WHERE {2} = 'insert' EXCEPT ALL "
      "SELECT {4} FROM readable_changes WHERE {2} = 'delete') AS inserted",
      readable, version, kind, fmt::join(names, ", "), values);
}

}  // namespace quanta::ports
