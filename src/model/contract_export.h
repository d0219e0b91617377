#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "model/contract.h"

namespace quanta::model {

/// The formats a contract can be written in (docs/type-mapping.md maps the types).
enum class ExportFormat {
  kJsonSchema,  ///< JSON Schema draft 2020-12: one schema per object, $defs when several
  kAvro,        ///< an Avro record per object; several objects make a union (a JSON array)
  kSql,         ///< CREATE TABLE per object, with NOT NULL, PRIMARY KEY and COMMENT ON
  kOdcs,        ///< the contract itself as YAML, normalised (loads back to the same data)
};

/// The SQL dialect of kSql.
enum class SqlDialect { kPostgres, kDuckdb };

/// "jsonschema", "avro", "sql", "odcs" (case-insensitive); usage error otherwise.
Result<ExportFormat> ParseExportFormat(std::string_view text);
/// "postgres" (or "postgresql"), "duckdb"; usage error otherwise.
Result<SqlDialect> ParseSqlDialect(std::string_view text);

/// What to export and how.
struct ExportOptions {
  ExportFormat format = ExportFormat::kOdcs;
  std::string object;  ///< export only the schema object with this name; empty: every object
  SqlDialect dialect = SqlDialect::kPostgres;
};

/// An exported contract: the text of the file and what the format could not express.
struct ExportedContract {
  std::string text;  ///< ends with a newline
  /// One line per loss, naming the field: "schema[orders].properties[amount]: ...".
  std::vector<std::string> warnings;
};

/// Writes `contract` in `options.format`. Fails with NotFound when `options.object` names no
/// schema object, and with InvalidDocument when a format that describes records (all but odcs)
/// is asked for a contract without named schema objects.
Result<ExportedContract> ExportContract(const Contract& contract, const ExportOptions& options);

}  // namespace quanta::model
