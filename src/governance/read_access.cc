#include "governance/read_access.h"

#include <fmt/format.h>

#include <algorithm>

#include "base/ascii.h"

namespace quanta::governance {
namespace {

using engine::QuoteIdentifier;
using engine::QuoteLiteral;

std::string AccessOf(const model::Role& role) {
  return AsciiLower(TrimBlanks(role.access.value_or("")));
}

// A role without `access` still names who may read: reading it as no grant at all would open
// the dataset to everyone.
bool GrantsRead(const model::Role& role) {
  std::string access = AccessOf(role);
  return access.empty() || access == "read" || access == kReadUnmaskedAccess;
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
  bool unmasked = false;
  for (const model::Role& role : contract.roles) {
    if (!role.role || !GrantsRead(role)) continue;
    read_roles.push_back(*role.role);
    if (role.first_level_approvers) approvers.push_back(*role.first_level_approvers);
    if (!HasGroup(reader, role.role)) continue;
    member = true;
    unmasked = unmasked || AccessOf(role) == kReadUnmaskedAccess;
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
  if (unmasked) return access;
  for (const model::Property& property : object.properties) {
    if (property.name && IsClassified(property)) access.masked_columns.push_back(*property.name);
  }
  return access;
}

std::string MaskedValueSql(std::string_view type) {
  if (AsciiLower(type) == "varchar") {
    return fmt::format("CAST({} AS VARCHAR)", QuoteLiteral(kMaskedText));
  }
  return fmt::format("CAST(NULL AS {})", type);
}

std::string MaskedRowsSql(std::string_view rows_sql, const std::vector<engine::Column>& columns,
                          const DatasetAccess& access) {
  std::vector<std::string> replaced;
  for (const engine::Column& column : columns) {
    if (access.Masks(column.name)) {
      replaced.push_back(
          fmt::format("{} AS {}", MaskedValueSql(column.type), QuoteIdentifier(column.name)));
    }
  }
  if (replaced.empty()) return std::string(rows_sql);
  return fmt::format("SELECT * REPLACE ({}) FROM ({}) AS masked_rows", fmt::join(replaced, ", "),
                     rows_sql);
}

}  // namespace quanta::governance
