#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "base/diagnostic.h"
#include "base/result.h"
#include "engine/database.h"
#include "model/product_folder.h"

namespace quanta::governance {

/// The documents whose metadata mesh policies query, and the tables that hold it.
///
/// Add product folders or loose product and contract files, then LoadInto() a connection: it
/// creates the tables products, ports, contracts, schema_objects, properties, quality_rules,
/// sla_properties, roles, team_members and custom_properties (docs/policies.md describes every
/// column) and inserts one row per element. Every row carries `file` (the document's path) and
/// `pointer` (the element's JSON pointer), which Locate() turns back into file:line:col.
///
/// Holds pointers to the added documents and does not own them: they must outlive this object.
/// Not thread-safe.
class ProductMetadata {
 public:
  /// File names in the tables and in locations are written relative to `display_root` when it
  /// is given and contains the file (test output stays the same on every machine); otherwise
  /// as the documents name themselves.
  explicit ProductMetadata(std::filesystem::path display_root = {});

  /// Adds the product document and every contract of a loaded folder.
  void AddFolder(const model::ProductFolder& folder);
  /// Adds one product document read on its own.
  void AddProduct(const model::ProductFile& product);
  /// Adds one contract document read on its own.
  void AddContract(const model::ContractFile& contract);

  /// Creates the metadata tables when they do not exist yet and appends the rows of every
  /// added document. Fails only when DuckDB rejects a statement (a bug, or tables of the same
  /// names with other columns already in the database).
  Status LoadInto(engine::Connection& connection) const;

  /// The place of `pointer` in the document that the tables call `file`. An unknown file gives
  /// a location naming only the file. An empty `file` means the default document: the first
  /// product added, else the first contract.
  SourceLocation Locate(std::string_view file, std::string_view pointer) const;

  /// The name the tables use for `document`'s file.
  std::string FileName(const model::Document& document) const;

  bool empty() const { return products_.empty() && contracts_.empty(); }

 private:
  const model::Document* FindDocument(std::string_view file) const;

  std::filesystem::path display_root_;
  std::vector<const model::ProductFile*> products_;
  std::vector<const model::ContractFile*> contracts_;
};

/// The CREATE TABLE statements of the metadata tables (IF NOT EXISTS), as one SQL script.
std::string_view MetadataTablesSql();

}  // namespace quanta::governance
