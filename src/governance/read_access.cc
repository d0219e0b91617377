#include "governance/read_access.h"

#include <fmt/format.h>

#include <algorithm>

#include "base/ascii.h"
#include "governance/row_filter.h"

namespace quanta::governance {
namespace {

using engine::QuoteIdentifier;
using engine::QuoteLiteral;

std::string AccessOf(const model::Role& role) {
  return AsciiLower(TrimBlanks(role.access.value_or("")));
}

// The union of row filters: empty when one of them is (every row).
std::string AnyOf(const std::vector<std::optional<std::string>>& filters) {
  std::vector<std::string> texts;
  for (const std::optional<std::string>& filter : filters) {
    if (!filter) return "";
    texts.push_back(*filter);
  }
  if (texts.size() == 1) return texts[0];
  for (std::string& text : texts) text = "(" + text + ")";
  return fmt::format("{}", fmt::join(texts, " OR "));
}

bool HasGroup(const Reader& reader, const std::optional<std::string>& role) {
  return role &&
         std::find(reader.groups.begin(), reader.groups.end(), *role) != reader.groups.end();
}

bool IsClassified(const model::Property& property) {
  if (!IsOpenClassification(property.classification.value_or(""))) return true;
  for (const model::Property& field : property.properties) {
    if (IsClassified(field)) return true;
  }
  for (const model::Property& item : property.items) {
    if (IsClassified(item)) return true;
  }
  return false;
}

std::string Join(const std::vector<std::string>& names) {
  return names.empty() ? std::string("none") : fmt::format("{}", fmt::join(names, ", "));
}

}  // namespace

bool DatasetAccess::Masks(std::string_view column) const {
  std::string lower = AsciiLower(column);
  return std::any_of(masked_columns.begin(), masked_columns.end(),
                     [&](const std::string& masked) { return AsciiLower(masked) == lower; });
}

// A role without `access` still names who may read: reading it as no grant at all would open
// the dataset to everyone.
bool RoleGrantsRead(const model::Role& role) {
  std::string access = AccessOf(role);
  return access.empty() || access == "read" || access == kReadUnmaskedAccess;
}

bool IsOpenClassification(std::string_view classification) {
  std::string name = AsciiLower(TrimBlanks(classification));
  return name.empty() || name == "public" || name == "internal" || name == "none" ||
         name == "unclassified";
}

DatasetAccess DecideReadAccess(const Reader& reader, const model::Contract& contract,
                               const model::SchemaObject& object, std::string_view product) {
  DatasetAccess access;
  if (reader.unrestricted) return access;
  std::vector<std::string> read_roles;
  std::vector<std::string> approvers;
  bool member = false;
  std::vector<std::optional<std::string>> row_filters;    // of each read role held
  std::vector<std::optional<std::string>> clear_filters;  // of each read-unmasked role held
  for (const model::Role& role : contract.roles) {
    if (!role.role || !RoleGrantsRead(role)) continue;
    read_roles.push_back(*role.role);
    if (role.first_level_approvers) approvers.push_back(*role.first_level_approvers);
    if (!HasGroup(reader, role.role)) continue;
    member = true;
    std::optional<std::string> filter = RoleRowFilter(role, reader.name);
    row_filters.push_back(filter);
    if (AccessOf(role) == kReadUnmaskedAccess) clear_filters.push_back(filter);
  }
  std::string dataset = object.name.value_or("?");
  if (!read_roles.empty() && !member) {
    access.readable = false;
    std::sort(approvers.begin(), approvers.end());
    approvers.erase(std::unique(approvers.begin(), approvers.end()), approvers.end());
    access.refusal = Status(
        ErrorCode::kPermissionDenied,
        fmt::format(
            "permission denied for dataset {} of {}: its contract '{}' grants reading to "
            "the roles {}, and principal '{}' is in none of them (its groups: {}); ask "
            "for one of these roles{}",
            dataset, product, contract.id.value_or(contract.name.value_or("?")), Join(read_roles),
            reader.name, Join(reader.groups),
            approvers.empty() ? std::string() : fmt::format(" (approvers: {})", Join(approvers))));
    return access;
  }
  access.row_filter = AnyOf(row_filters);
  std::string clear_rows = clear_filters.empty() ? std::string("false") : AnyOf(clear_filters);
  if (clear_rows.empty()) return access;  // a read-unmasked role without a filter: all in clear
  for (const model::Property& property : object.properties) {
    if (property.name && IsClassified(property)) access.masked_columns.push_back(*property.name);
  }
  // Every row the reader sees is in clear when its clear rows are exactly its rows.
  if (!access.masked_columns.empty() && clear_rows != "false") {
    if (clear_rows == access.row_filter) {
      access.masked_columns.clear();
    } else {
      access.clear_rows = std::move(clear_rows);
    }
  }
  return access;
}

std::string MaskedValueSql(std::string_view type) {
  if (AsciiLower(type) == "varchar") {
    return fmt::format("CAST({} AS VARCHAR)", QuoteLiteral(kMaskedText));
  }
  return fmt::format("CAST(NULL AS {})", type);
}

std::string ReadableRowsSql(std::string_view rows_sql, const std::vector<engine::Column>& columns,
                            const DatasetAccess& access) {
  std::string sql(rows_sql);
  // The filter runs first, in a SELECT of its own, so that it reads the unmasked columns and
  // no masked column's name can stand for its masked value in it.
  if (!access.row_filter.empty()) {
    sql = fmt::format("SELECT * FROM ({}) AS filtered_rows WHERE {}", sql, access.row_filter);
  }
  std::vector<std::string> replaced;
  for (const engine::Column& column : columns) {
    if (!access.Masks(column.name)) continue;
    std::string name = QuoteIdentifier(column.name);
    std::string masked = MaskedValueSql(column.type);
    if (!access.clear_rows.empty()) {
      masked = fmt::format("CASE WHEN {} THEN {} ELSE {} END", access.clear_rows, name, masked);
    }
    replaced.push_back(fmt::format("{} AS {}", masked, name));
  }
  if (replaced.empty()) return sql;
  return fmt::format("SELECT * REPLACE ({}) FROM ({}) AS masked_rows", fmt::join(replaced, ", "),
                     sql);
}

}  // namespace quanta::governance
