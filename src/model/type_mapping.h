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

}  // namespace quanta::model
