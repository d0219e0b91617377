#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/result.h"
#include "engine/prepared_query.h"
#include "ports/pg_message.h"
#include "ports/pg_types.h"

namespace quanta::ports {

/// The PostgreSQL type a column of DuckDB type `type` is announced and encoded as (see
/// PgTypeForDuckdb). Types the encoders below cannot read directly are cast in SQL first (see
/// NeedsCastBeforeEncoding), so they never reach this function.
PgType PgTypeOf(const engine::ValueType& type);

/// True when the SQL port casts a column of `type` in SQL before reading it: STRUCT, MAP,
/// UNION and lists of anything but scalars become JSON; ENUM, TIME WITH TIME ZONE, UHUGEINT
/// and types without a PostgreSQL counterpart become VARCHAR.
bool NeedsCastBeforeEncoding(const engine::ValueType& type);
/// The SQL type to cast such a column to: "JSON" or "VARCHAR".
std::string_view CastTargetFor(const engine::ValueType& type);

/// A RowDescription field for a result column.
PgFieldDescription FieldFor(std::string_view name, const PgType& type, std::int16_t format);

/// Appends the value of `column` at `row` (not NULL) to `out` as a value of `type` (PgTypeOf of
/// the column's type), in PostgreSQL's text format (0) or binary format (1).
void EncodeValue(const engine::ColumnView& column, std::size_t row, const PgType& type,
                 std::int16_t format, std::string& out);

/// The first column of `chunk` whose value at `row` is text holding a NUL byte (a VARCHAR, or
/// a VARCHAR element of a list), if any. PostgreSQL's text types cannot hold one and clients
/// read text as C strings, cutting it there: the SQL port refuses such a row instead of
/// sending it, in any format.
std::optional<std::size_t> ColumnWithNulCharacter(const engine::ResultChunk& chunk,
                                                  std::size_t row);

/// The error for a row that ColumnWithNulCharacter found: PostgreSQL's "null character not
/// permitted" (TooLarge, SQLSTATE 54000, as PostgreSQL's chr(0)) naming the column and row.
Status NulCharacterError(std::string_view column_name, std::int64_t row_number);

/// Binds parameter `index` of `query` from a Bind message's value in `format` (0 text, 1
/// binary) for PostgreSQL type `oid` (0: unspecified, take DuckDB's inferred type). Fails
/// (kUsage, 22P03 for binary) naming the parameter when the bytes are not a value of the type.
Status BindParameter(engine::PreparedQuery& query, std::size_t index, std::uint32_t oid,
                     std::int16_t format, std::string_view value);

}  // namespace quanta::ports
