#pragma once

#include <optional>
#include <string>

#include "model/contract.h"

namespace quanta::model {

/// The one type mapping of Quanta (docs/type-mapping.md is its table): ODCS logicalType and
/// physicalType to the DuckDB type that stores the values.

/// The DuckDB type named by a physicalType when it is a SQL type Quanta recognises
/// ("varchar(18)" -> "VARCHAR", "decimal(10,2)" -> "DECIMAL(10,2)", "int8" -> "BIGINT");
/// nullopt for names that are not column types ("table", "topic", "MyAvroRecord").
std::optional<std::string> DuckdbTypeFromPhysical(std::string_view physical_type);

/// The DuckDB type for a logicalType alone; nullopt for an unknown logical type.
/// Objects become STRUCT of their properties, arrays LIST of their items.
std::optional<std::string> DuckdbTypeFromLogical(const Property& property);

/// The DuckDB type of a property: its physicalType when recognised, else its logicalType,
/// else VARCHAR (text keeps every value, so an untyped property loses nothing).
std::string DuckdbTypeFor(const Property& property);

/// The ODCS logicalType that best describes a DuckDB type ("DECIMAL(10,2)" -> "number").
std::string LogicalTypeForDuckdb(std::string_view duckdb_type);

/// True when values of DuckDB type `from` can be read as `to` without loss (INTEGER -> BIGINT,
/// FLOAT -> DOUBLE, VARCHAR(10) -> VARCHAR, DECIMAL(10,2) -> DECIMAL(12,2)).
bool IsSafeWidening(std::string_view from, std::string_view to);

// The other formats of docs/type-mapping.md. DuckDB's type is the hub: exporters go from a
// property to its DuckDB type (DuckdbTypeFor) and from there to the target format; importers
// go from the source format to a DuckDB type and from there to logicalType and physicalType.
// Nested types (STRUCT, LIST, MAP) are built by the callers from nested properties; these
// functions handle the scalar types.

/// True for DuckDB types that hold other types: "STRUCT(...)", "MAP(...)", "T[]", "UNION(...)".
bool IsNestedDuckdbType(std::string_view duckdb_type);

/// The PostgreSQL spelling of a DuckDB type: "VARCHAR" -> "TEXT", "DOUBLE" -> "DOUBLE
/// PRECISION", "HUGEINT" -> "NUMERIC(38,0)", "INTEGER[]" -> "INTEGER[]"; nested types that
/// PostgreSQL cannot declare inline (STRUCT, MAP, lists of them) become "JSONB".
std::string PostgresTypeForDuckdb(std::string_view duckdb_type);

/// The Avro schema of a scalar DuckDB type: "INTEGER" -> "int", "DATE" -> {"type": "int",
/// "logicalType": "date"}, "DECIMAL(10,2)" -> bytes with logicalType decimal. Types Avro has no
/// name for (INTERVAL, TIME WITH TIME ZONE, ...) become "string". Nested types: nullopt.
std::optional<Json> AvroTypeForDuckdb(std::string_view duckdb_type);

/// The DuckDB type of an Avro primitive or logical type (a name such as "long", or an object
/// such as {"type": "long", "logicalType": "timestamp-micros"}); nullopt for records, enums,
/// arrays, maps, unions, named references and decimals beyond DuckDB's 38 digits.
std::optional<std::string> DuckdbTypeForAvro(const Json& avro_type);

/// The JSON Schema (draft 2020-12) of a scalar DuckDB type: "BIGINT" -> {"type": "integer",
/// "format": "int64"}, "DATE" -> {"type": "string", "format": "date"}, "JSON" -> {} (any value).
/// Nested types: nullopt.
std::optional<Json> JsonSchemaForDuckdb(std::string_view duckdb_type);

/// The DuckDB type of a JSON Schema scalar: `type` is "string", "integer", "number" or
/// "boolean"; `format` and `content_encoding` may be empty. Unknown formats keep the base type
/// ("email" -> VARCHAR). nullopt for other types.
std::optional<std::string> DuckdbTypeForJsonSchema(std::string_view type, std::string_view format,
                                                   std::string_view content_encoding);

}  // namespace quanta::model
