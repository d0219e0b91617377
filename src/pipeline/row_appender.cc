#include "pipeline/row_appender.h"

#include <charconv>
#include <cmath>
#include <cstdint>
#include <limits>

namespace quanta::pipeline {
namespace {

using engine::AppendColumn;

bool StartsWith(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

// The kind of chunk column whose values DuckDB casts to `type` as its JSON reader casts a JSON
// value read for that type, or nullopt. Numbers for DECIMAL travel as doubles, which is how
// the reader reads them, so that both ways round alike; integers beyond BIGINT as their text.
std::optional<AppendColumn> ColumnFor(std::string_view type) {
  if (type == "BIGINT" || type == "INTEGER" || type == "SMALLINT" || type == "TINYINT" ||
      type == "UINTEGER" || type == "USMALLINT" || type == "UTINYINT") {
    return AppendColumn::kInt64;
  }
  if (type == "DOUBLE" || type == "FLOAT" || type == "REAL" || StartsWith(type, "DECIMAL") ||
      StartsWith(type, "NUMERIC")) {
    return AppendColumn::kDouble;
  }
  if (type == "BOOLEAN") return AppendColumn::kBoolean;
  if (type == "VARCHAR" || type == "UBIGINT" || type == "HUGEINT" || type == "UHUGEINT" ||
      type == "DATE" || type == "UUID" || StartsWith(type, "TIMESTAMP") ||
      StartsWith(type, "TIME")) {
    return AppendColumn::kText;
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::vector<AppendColumn>> RowAppender::ColumnsFor(
    const std::vector<std::string>& duckdb_types) {
  std::vector<AppendColumn> columns;
  for (const std::string& type : duckdb_types) {
    std::optional<AppendColumn> column = ColumnFor(type);
    if (!column) return std::nullopt;
    columns.push_back(*column);
  }
  return columns;
}

std::unique_ptr<RowAppender> RowAppender::Open(engine::Connection& connection,
                                               std::vector<std::string> names,
                                               std::vector<std::string> duckdb_types,
                                               std::vector<AppendColumn> columns) {
  std::unique_ptr<engine::RowChunks> chunks =
      engine::RowChunks::Create(connection, std::move(names), columns);
  return std::unique_ptr<RowAppender>(
      new RowAppender(std::move(chunks), std::move(duckdb_types), std::move(columns)));
}

RowAppender::RowAppender(std::unique_ptr<engine::RowChunks> chunks,
                         std::vector<std::string> duckdb_types, std::vector<AppendColumn> columns)
    : chunks_(std::move(chunks)), types_(std::move(duckdb_types)), columns_(std::move(columns)) {}

bool RowAppender::Fits(const simdjson::dom::element& value, AppendColumn column) const {
  using simdjson::dom::element_type;
  element_type type = value.type();
  if (type == element_type::NULL_VALUE) return true;
  switch (column) {
    case AppendColumn::kInt64:
      if (type == element_type::INT64) return true;
      if (type == element_type::UINT64) {
        return value.get_uint64().value_unsafe() <=
               static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
      }
      if (type == element_type::DOUBLE) {  // a whole number written with a fraction: 5.0
        double number = value.get_double().value_unsafe();
        return std::floor(number) == number && number >= -9.2e18 && number <= 9.2e18;
      }
      return false;
    case AppendColumn::kDouble:
      return type == element_type::INT64 || type == element_type::UINT64 ||
             type == element_type::DOUBLE;
    case AppendColumn::kBoolean:
      return type == element_type::BOOL;
    case AppendColumn::kText:
      // Strings as they are; integers as their digits (UBIGINT, HUGEINT). A fraction in an
      // integer column is the reader's to judge.
      return type == element_type::STRING || type == element_type::INT64 ||
             type == element_type::UINT64;
  }
  return false;
}

void RowAppender::Set(std::size_t column, const simdjson::dom::element& value) {
  using simdjson::dom::element_type;
  switch (value.type()) {
    case element_type::NULL_VALUE:
      chunks_->SetNull(column);
      return;
    case element_type::STRING:
      chunks_->SetText(column, value.get_string().value_unsafe());
      return;
    case element_type::BOOL:
      chunks_->SetBoolean(column, value.get_bool().value_unsafe());
      return;
    case element_type::INT64:
    case element_type::UINT64:
      if (columns_[column] == AppendColumn::kInt64) {
        chunks_->SetInt64(column, value.get_int64().value_unsafe());
      } else if (columns_[column] == AppendColumn::kDouble) {
        chunks_->SetDouble(column, value.get_double().value_unsafe());
      } else {  // kText
        char digits[24];
        auto [end, ignored] =
            value.type() == element_type::INT64
                ? std::to_chars(digits, digits + sizeof digits, value.get_int64().value_unsafe())
                : std::to_chars(digits, digits + sizeof digits, value.get_uint64().value_unsafe());
        chunks_->SetText(column, std::string_view(digits, end - digits));
      }
      return;
    case element_type::DOUBLE:
      if (columns_[column] == AppendColumn::kInt64) {
        chunks_->SetInt64(column, static_cast<std::int64_t>(value.get_double().value_unsafe()));
      } else {
        chunks_->SetDouble(column, value.get_double().value_unsafe());
      }
      return;
    default:  // objects and arrays never pass Fits
      chunks_->SetNull(column);
      return;
  }
}

bool RowAppender::Append(const RecordValidator::Fields& fields) {
  // The checks replace only integers and timestamps, which go to integer or text columns.
  auto replacement = [&](std::size_t column) -> const std::string* {
    for (const RecordValidator::Replacement& replaced : fields.replacements) {
      if (replaced.field == column) return &replaced.text;
    }
    return nullptr;
  };
  for (std::size_t i = 0; i < columns_.size(); ++i) {
    if (replacement(i)
            ? columns_[i] == AppendColumn::kDouble || columns_[i] == AppendColumn::kBoolean
            : fields.values[i] && !Fits(*fields.values[i], columns_[i])) {
      return false;
    }
  }
  for (std::size_t i = 0; i < columns_.size(); ++i) {
    if (const std::string* text = replacement(i)) {
      if (columns_[i] == AppendColumn::kInt64) {
        std::int64_t number = 0;
        std::from_chars(text->data(), text->data() + text->size(), number);
        chunks_->SetInt64(i, number);
      } else {
        chunks_->SetText(i, *text);
      }
    } else if (fields.values[i]) {
      Set(i, *fields.values[i]);
    } else {
      chunks_->SetNull(i);
    }
  }
  chunks_->EndRow();
  return true;
}

Result<std::unique_ptr<engine::HeldRows>> RowAppender::Finish() {
  Result<std::unique_ptr<engine::HeldRows>> held = chunks_->Finish(types_);
  if (!held.ok()) {
    return Status(held.status().code(),
                  "the rows do not fit the port's columns: " + held.status().message());
  }
  return held;
}

}  // namespace quanta::pipeline
