#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/diagnostic.h"
#include "base/result.h"
#include "model/contract.h"
#include "model/contract_import.h"

namespace quanta::pipeline {

/// Reads SQL DDL into a draft ODCS contract with a schema object per table. The statements run
/// in a private in-memory DuckDB with file and network access disabled; the tables are then
/// read back from duckdb_columns(), duckdb_constraints() and duckdb_tables(): column types
/// (physicalType, logicalType per docs/type-mapping.md), NOT NULL (required), PRIMARY KEY
/// (primaryKey, primaryKeyPosition), single-column UNIQUE and comments (description).
///
/// Accepted statements: CREATE TABLE with a column list, CREATE SCHEMA, CREATE TYPE ... AS
/// ENUM, COMMENT ON, and ALTER TABLE ... ADD [CONSTRAINT name] PRIMARY KEY (the form pg_dump
/// writes). PostgreSQL's jsonb and serial types are read as JSON and integers. Anything else
/// (INSERT, SET, GRANT, psql commands, ...) is refused, or, when `skipped` is given, left out
/// without being run and reported there as a warning each (so that pg_dump output can be read
/// as it is). CREATE TABLE ... AS is always refused. Errors are InvalidDocument and name
/// `file`, the statement's line and the reason.
Result<model::Contract> ImportSql(std::string_view sql, const std::string& file,
                                  const model::ImportOptions& options,
                                  std::vector<Diagnostic>* skipped = nullptr);

}  // namespace quanta::pipeline
