#include "ports/pg_result_encoding.h"

#include <fmt/format.h>

#include <optional>
#include <vector>

namespace quanta::ports {
namespace {

using engine::TypeId;

bool IsScalar(const engine::ValueType& type) {
  switch (type.id) {
    case TypeId::kList:
    case TypeId::kStruct:
    case TypeId::kMap:
    case TypeId::kUnion:
      return false;
    default:
      return !NeedsCastBeforeEncoding(type);
  }
}

PgUuid UuidBytes(__int128 value) {
  PgUuid bytes;
  auto bits = static_cast<unsigned __int128>(value);
  for (int i = 15; i >= 0; --i) {
    bytes[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(bits & 0xFF);
    bits >>= 8;
  }
  return bytes;
}

// One scalar value in text form.
void EncodeScalarText(const engine::ColumnView& column, std::size_t row, std::uint32_t oid,
                      std::string& out) {
  const engine::ValueType& type = column.type();
  switch (type.id) {
    case TypeId::kBoolean:
      return AppendBoolText(column.Bool(row), out);
    case TypeId::kTinyint:
    case TypeId::kSmallint:
    case TypeId::kInteger:
    case TypeId::kBigint:
    case TypeId::kUtinyint:
    case TypeId::kUsmallint:
    case TypeId::kUinteger:
      return AppendIntegerText(column.Integer(row), out);
    case TypeId::kUbigint:
      out += std::to_string(column.Unsigned(row));
      return;
    case TypeId::kHugeint:
      return AppendNumericText(column.Wide(row), 0, out);
    case TypeId::kDecimal:
      return AppendNumericText(column.Wide(row), type.scale, out);
    case TypeId::kFloat:
      return AppendFloat4Text(static_cast<float>(column.Floating(row)), out);
    case TypeId::kDouble:
      return AppendFloat8Text(column.Floating(row), out);
    case TypeId::kVarchar:
      out += column.Text(row);
      return;
    case TypeId::kBlob:
      return AppendByteaText(column.Text(row), out);
    case TypeId::kDate:
      return AppendDateText(column.Date(row), out);
    case TypeId::kTime:
      return AppendTimeText(column.Micros(row), out);
    case TypeId::kTimestamp:
      return AppendTimestampText(column.Micros(row), out);
    case TypeId::kTimestampTz:
      return AppendTimestampTzText(column.Micros(row), out);
    case TypeId::kInterval: {
      engine::IntervalValue value = column.Interval(row);
      return AppendIntervalText({value.months, value.days, value.micros}, out);
    }
    case TypeId::kUuid:
      return AppendUuidText(UuidBytes(column.Wide(row)), out);
    default:
      out += "?";
      return;  // cast in SQL before it gets here (NeedsCastBeforeEncoding)
  }
  (void)oid;
}

// One scalar value in binary form, as a value of `oid`.
void EncodeScalarBinary(const engine::ColumnView& column, std::size_t row, std::uint32_t oid,
                        std::string& out) {
  const engine::ValueType& type = column.type();
  switch (oid) {
    case pg_oid::kBool:
      return AppendBoolBinary(column.Bool(row), out);
    case pg_oid::kInt2:
      return AppendInt2Binary(static_cast<std::int16_t>(column.Integer(row)), out);
    case pg_oid::kInt4:
      return AppendInt4Binary(static_cast<std::int32_t>(column.Integer(row)), out);
    case pg_oid::kInt8:
      return AppendInt8Binary(column.Integer(row), out);
    case pg_oid::kFloat4:
      return AppendFloat4Binary(static_cast<float>(column.Floating(row)), out);
    case pg_oid::kFloat8:
      return AppendFloat8Binary(column.Floating(row), out);
    case pg_oid::kNumeric:
      if (type.id == TypeId::kUbigint) {
        return AppendNumericBinary(static_cast<__int128>(column.Unsigned(row)), 0, out);
      }
      return AppendNumericBinary(column.Wide(row), type.id == TypeId::kDecimal ? type.scale : 0,
                                 out);
    case pg_oid::kBytea:
      out += column.Text(row);
      return;
    case pg_oid::kDate:
      return AppendDateBinary(column.Date(row), out);
    case pg_oid::kTime:
      return AppendTimeBinary(column.Micros(row), out);
    case pg_oid::kTimestamp:
    case pg_oid::kTimestampTz:
      return AppendTimestampBinary(column.Micros(row), out);
    case pg_oid::kInterval: {
      engine::IntervalValue value = column.Interval(row);
      return AppendIntervalBinary({value.months, value.days, value.micros}, out);
    }
    case pg_oid::kUuid:
      return AppendUuidBinary(UuidBytes(column.Wide(row)), out);
    case pg_oid::kJsonb:
      out += '\x01';
      out += column.Text(row);
      return;
    default:
      out += column.Text(row);
      return;  // text, varchar, json: the bytes themselves
  }
}

}  // namespace

bool NeedsCastBeforeEncoding(const engine::ValueType& type) {
  switch (type.id) {
    case TypeId::kStruct:
    case TypeId::kMap:
    case TypeId::kUnion:
    case TypeId::kEnum:
    case TypeId::kTimeTz:
    case TypeId::kUhugeint:
    case TypeId::kNull:
    case TypeId::kOther:
      return true;
    case TypeId::kList:
      return type.children.empty() || !IsScalar(type.children[0]);
    default:
      return false;
  }
}

std::string_view CastTargetFor(const engine::ValueType& type) {
  switch (type.id) {
    case TypeId::kStruct:
    case TypeId::kMap:
    case TypeId::kUnion:
    case TypeId::kList:
      return "JSON";
    default:
      return "VARCHAR";
  }
}

PgType PgTypeOf(const engine::ValueType& type) {
  Result<PgType> mapped = PgTypeForDuckdb(type.name);
  return mapped.ok() ? *mapped : PgType{};
}

PgFieldDescription FieldFor(std::string_view name, const PgType& type, std::int16_t format) {
  PgFieldDescription field;
  field.name = std::string(name);
  field.type_oid = type.oid;
  field.type_size = type.size;
  field.type_modifier = type.modifier;
  field.format = format;
  return field;
}

void EncodeValue(const engine::ColumnView& column, std::size_t row, const PgType& type,
                 std::int16_t format, std::string& out) {
  if (column.type().id != TypeId::kList) {
    if (format == 1) return EncodeScalarBinary(column, row, type.oid, out);
    return EncodeScalarText(column, row, type.oid, out);
  }
  // A one-dimensional array: encode the elements, then frame them.
  auto [offset, length] = column.ListEntry(row);
  engine::ColumnView child = column.Child();
  std::vector<std::string> encoded(length);
  std::vector<std::optional<std::string_view>> elements(length);
  for (std::uint64_t i = 0; i < length; ++i) {
    std::size_t at = static_cast<std::size_t>(offset + i);
    if (child.IsNull(at)) continue;
    if (format == 1) {
      EncodeScalarBinary(child, at, type.element_oid, encoded[i]);
    } else {
      EncodeScalarText(child, at, type.element_oid, encoded[i]);
    }
    elements[i] = encoded[i];
  }
  if (format == 1) return AppendArrayBinary(type.element_oid, elements, out);
  AppendArrayText(elements, out);
}

std::optional<std::size_t> ColumnWithNulCharacter(const engine::ResultChunk& chunk,
                                                  std::size_t row) {
  auto holds_nul = [](const engine::ColumnView& column, std::size_t at) {
    return !column.IsNull(at) && column.Text(at).find('\0') != std::string_view::npos;
  };
  for (std::size_t c = 0; c < chunk.column_count(); ++c) {
    const engine::ColumnView& column = chunk.Column(c);
    if (column.type().id == TypeId::kVarchar) {
      if (holds_nul(column, row)) return c;
      continue;
    }
    if (column.type().id != TypeId::kList || column.IsNull(row)) continue;
    engine::ColumnView child = column.Child();
    if (child.type().id != TypeId::kVarchar) continue;
    auto [offset, length] = column.ListEntry(row);
    for (std::uint64_t i = 0; i < length; ++i) {
      if (holds_nul(child, static_cast<std::size_t>(offset + i))) return c;
    }
  }
  return std::nullopt;
}

Status NulCharacterError(std::string_view column_name, std::int64_t row_number) {
  return Status(ErrorCode::kTooLarge,
                fmt::format("null character not permitted: column \"{}\" of row {} holds text "
                            "with a NUL byte (chr(0)), which PostgreSQL text cannot hold; "
                            "remove it in the query, e.g. replace(\"{}\", chr(0), '')",
                            column_name, row_number, column_name));
}

namespace {

// A value that is no value of its parameter's type: a data exception (class 22) naming the
// parameter, as PostgreSQL's invalid_parameter_value, not a syntax error of the statement. A
// form this port cannot read (a multidimensional array) stays not supported (0A000).
Status BadParameterValue(std::size_t index, const Status& decoded) {
  return Status(decoded.code() == ErrorCode::kNotSupported ? ErrorCode::kNotSupported
                                                           : ErrorCode::kInvalidDocument,
                fmt::format("parameter ${}: {}", index + 1, decoded.message()));
}

// A decoded parameter value as text that DuckDB casts back to the same value: what binds
// the values DuckDB has no typed bind call for, and the elements of arrays. nullopt for NULL.
Result<std::optional<std::string>> DuckdbText(const PgValue& value) {
  return std::visit(
      [&](const auto& typed) -> Result<std::optional<std::string>> {
        using T = std::decay_t<decltype(typed)>;
        std::string text;
        if constexpr (std::is_same_v<T, std::monostate>) {
          return std::optional<std::string>();
        } else if constexpr (std::is_same_v<T, bool>) {
          text = typed ? "true" : "false";
        } else if constexpr (std::is_same_v<T, std::int64_t> || std::is_same_v<T, double>) {
          text = fmt::format("{}", typed);  // the shortest text that reads back the same
        } else if constexpr (std::is_same_v<T, PgNumeric>) {
          text = typed.text;
        } else if constexpr (std::is_same_v<T, std::string>) {
          text = typed;
        } else if constexpr (std::is_same_v<T, PgDate>) {
          AppendDateText(typed.days_since_1970, text);
        } else if constexpr (std::is_same_v<T, PgTime>) {
          AppendTimeText(typed.micros, text);
        } else if constexpr (std::is_same_v<T, PgTimestamp>) {
          if (typed.with_time_zone) {
            AppendTimestampTzText(typed.micros_since_1970, text);
          } else {
            AppendTimestampText(typed.micros_since_1970, text);
          }
        } else if constexpr (std::is_same_v<T, PgInterval>) {
          // DuckDB reads "N months N days N microseconds" exactly.
          text = fmt::format("{} months {} days {} microseconds", typed.months, typed.days,
                             typed.micros);
        } else if constexpr (std::is_same_v<T, PgUuid>) {
          AppendUuidText(typed, text);
        } else {
          return Status::NotSupported("bytea and nested arrays cannot be array elements here");
        }
        return std::optional<std::string>(std::move(text));
      },
      value.value);
}

// An array parameter, in either format, as a list of texts that DuckDB casts to the
// parameter's list type.
Status BindArrayParameter(engine::PreparedQuery& query, std::size_t index, std::uint32_t oid,
                          std::int16_t format, std::string_view value) {
  Result<PgValue> decoded = DecodePgValue(oid, format, value);
  if (!decoded.ok()) {
    return BadParameterValue(index, decoded.status());
  }
  const auto* array = std::get_if<PgArray>(&decoded->value);
  if (array == nullptr) return Status::Internal("parameter ${}: not an array", index + 1);
  std::vector<std::optional<std::string>> elements;
  elements.reserve(array->elements.size());
  for (std::size_t i = 0; i < array->elements.size(); ++i) {
    Result<std::optional<std::string>> text = DuckdbText(array->elements[i]);
    if (!text.ok()) {
      return Status::NotSupported("parameter ${}, element {}: {}", index + 1, i + 1,
                                  text.status().message());
    }
    elements.push_back(std::move(text).value());
  }
  return query.BindTextList(index, elements);
}

}  // namespace

Status BindParameter(engine::PreparedQuery& query, std::size_t index, std::uint32_t oid,
                     std::int16_t format, std::string_view value) {
  // An array comes as PostgreSQL's literal ("{1,2,NULL}") or array_send's bytes, which DuckDB
  // reads neither of. An untyped text is taken for one when DuckDB expects a list, unless it
  // is DuckDB's own literal ("[1, 2]").
  const std::uint32_t type_oid =
      oid == pg_oid::kUnspecified ? PgTypeOf(query.parameter_type(index)).oid : oid;
  if (std::optional<PgType> type = PgTypeForOid(type_oid);
      type && type->element_oid != 0 && type_oid != pg_oid::kByteaArray &&
      (oid != pg_oid::kUnspecified || format != 0 || value.starts_with('{'))) {
    return BindArrayParameter(query, index, type_oid, format, value);
  }
  if (format == 0) {
    Status utf8 = CheckUtf8(value);
    if (!utf8.ok()) {
      return Status::Usage("parameter ${}: {}", index + 1, utf8.message());
    }
    // DuckDB casts the text to the parameter's type, with its own error when it cannot.
    return query.BindText(index, value);
  }
  Result<PgValue> decoded = DecodePgValue(type_oid, format, value);
  if (!decoded.ok()) {
    return BadParameterValue(index, decoded.status());
  }
  const auto& typed = decoded->value;
  if (std::holds_alternative<std::monostate>(typed)) return query.BindNull(index);
  if (const bool* flag = std::get_if<bool>(&typed)) return query.BindBool(index, *flag);
  if (const auto* integer = std::get_if<std::int64_t>(&typed)) {
    return query.BindInteger(index, *integer);
  }
  if (const double* floating = std::get_if<double>(&typed)) {
    return query.BindFloating(index, *floating);
  }
  if (const PgBytes* bytes = std::get_if<PgBytes>(&typed)) {
    return query.BindBlob(index, bytes->bytes);
  }
  Result<std::optional<std::string>> text = DuckdbText(*decoded);
  if (!text.ok()) {
    return Status::NotSupported("parameter ${}: {}", index + 1, text.status().message());
  }
  return *text ? query.BindText(index, **text) : query.BindNull(index);
}

}  // namespace quanta::ports
