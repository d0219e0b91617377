#pragma once

#include <string>
#include <string_view>

#include "base/result.h"
#include "model/contract.h"
#include "model/yaml_document.h"

namespace quanta::model {

/// What `quanta import` knows besides the source itself.
struct ImportOptions {
  std::string id;             ///< the contract id; empty: derived from `fallback_name`
  std::string fallback_name;  ///< usually the source file's stem; names what the source does not
};

/// A new ODCS v3.1.0 contract that passes structural validation once it has schema objects:
/// apiVersion v3.1.0, kind DataContract, the id, version 1.0.0, status draft.
Contract NewDraftContract(const ImportOptions& options);

/// A property named `name` (unnamed when empty: array items) for a DuckDB type, following
/// docs/type-mapping.md: logicalType from the type, logicalTypeOptions where the logical type
/// can say more (UUID: format uuid; TIMESTAMP: timezone false), nested properties for STRUCT
/// and items for lists, an invalidValues rule for ENUM. physicalType is written when the
/// logical type alone would give another DuckDB type (INTEGER, FLOAT, DECIMAL(10,2), BLOB), or
/// always when `keep_physical_type` (a table's column type is worth keeping).
Property PropertyFromDuckdbType(const std::string& name, std::string_view duckdb_type,
                                bool keep_physical_type);

/// Reads an Avro schema (.avsc: a record, or a union of records) into a contract with a schema
/// object per record. Nullable unions become `required: false`, enums an invalidValues rule,
/// nested records object properties, arrays array properties, maps free-form objects; the
/// record namespace becomes the domain. Fails (InvalidDocument) naming file:line:col and the
/// JSON pointer for what ODCS cannot hold: unions of several types, self-referencing records,
/// unknown named types, decimals beyond 38 digits.
Result<Contract> ImportAvro(const Document& document, const ImportOptions& options);

/// Reads a JSON Schema (draft 2020-12; draft-07 `definitions` too) into a contract: the root
/// object schema becomes one schema object (named by its title or `fallback_name`); a root with
/// only `$defs` makes one schema object per object definition. Local `$ref`s are followed;
/// `type: [T, "null"]` and `anyOf: [T, {type: null}]` make optional properties; `required`
/// lists make required ones. Fails (InvalidDocument) naming the place for what ODCS cannot hold
/// (unions of several types, remote or self-referencing `$ref`s).
Result<Contract> ImportJsonSchema(const Document& document, const ImportOptions& options);

}  // namespace quanta::model
