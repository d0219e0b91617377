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

Status BindParameter(engine::PreparedQuery& query, std::size_t index, std::uint32_t oid,
                     std::int16_t format, std::string_view value) {
  if (format == 0) {
    Status utf8 = CheckUtf8(value);
    if (!utf8.ok()) {
      return Status::Usage("parameter ${}: {}", index + 1, utf8.message());
    }
    // DuckDB casts the text to the parameter's type, with its own error when it cannot.
    return query.BindText(index, value);
  }
  if (oid == pg_oid::kUnspecified) {
    oid = PgTypeOf(query.parameter_type(index)).oid;
  }
  Result<PgValue> decoded = DecodePgValue(oid, format, value);
  if (!decoded.ok()) {
    return Status::Usage("parameter ${}: {}", index + 1, decoded.status().message());
  }
  std::string text;
  return std::visit(
      [&](const auto& typed) -> Status {
        using T = std::decay_t<decltype(typed)>;
        if constexpr (std::is_same_v<T, std::monostate>) {
          return query.BindNull(index);
        } else if constexpr (std::is_same_v<T, bool>) {
          return query.BindBool(index, typed);
        } else if constexpr (std::is_same_v<T, std::int64_t>) {
          return query.BindInteger(index, typed);
        } else if constexpr (std::is_same_v<T, double>) {
          return query.BindFloating(index, typed);
        } else if constexpr (std::is_same_v<T, PgNumeric>) {
          return query.BindText(index, typed.text);
        } else if constexpr (std::is_same_v<T, std::string>) {
          return query.BindText(index, typed);
        } else if constexpr (std::is_same_v<T, PgBytes>) {
          return query.BindBlob(index, typed.bytes);
        } else if constexpr (std::is_same_v<T, PgDate>) {
          AppendDateText(typed.days_since_1970, text);
          return query.BindText(index, text);
        } else if constexpr (std::is_same_v<T, PgTime>) {
          AppendTimeText(typed.micros, text);
          return query.BindText(index, text);
        } else if constexpr (std::is_same_v<T, PgTimestamp>) {
          if (typed.with_time_zone) {
            AppendTimestampTzText(typed.micros_since_1970, text);
          } else {
            AppendTimestampText(typed.micros_since_1970, text);
          }
          return query.BindText(index, text);
        } else if constexpr (std::is_same_v<T, PgInterval>) {
          // DuckDB reads "N months N days N microseconds" exactly.
          return query.BindText(index, fmt::format("{} months {} days {} microseconds",
                                                   typed.months, typed.days, typed.micros));
        } else if constexpr (std::is_same_v<T, PgUuid>) {
          AppendUuidText(typed, text);
          return query.BindText(index, text);
        } else {
          return Status::NotSupported(
              "parameter ${}: binary arrays are not supported as "
              "parameters yet; send them in text format",
              index + 1);
        }
      },
      decoded->value);
}

}  // namespace quanta::ports
