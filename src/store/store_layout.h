#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "engine/database.h"
#include "model/contract.h"
#include "model/product_folder.h"

namespace quanta::store {

/// How a batch's rows change a dataset.
enum class WriteMode {
  kAppend,  ///< every row is added and stays current
  kUpsert,  ///< a row replaces the current row with the same key (the old one becomes history)
};

/// "append" or "upsert".
std::string_view WriteModeName(WriteMode mode);

/// One output dataset as the store keeps it: a table with a column per top-level property of
/// the output contract's schema object, plus the store's hidden version columns.
struct DatasetLayout {
  std::string name;                     ///< the schema object's name
  std::vector<engine::Column> columns;  ///< name and DuckDB type, in contract order
  WriteMode mode = WriteMode::kAppend;
  std::vector<std::string> key;  ///< upsert key columns (empty for append)
  /// How long a row version stays readable after it stopped being current; nullopt: forever.
  std::optional<std::chrono::seconds> retention;
  /// The one column that identifies a row (a one-column upsert key, or an append dataset's
  /// one-column primary key): the store indexes it so that a lookup by it reads one row
  /// instead of scanning the table. Empty: none (no key, a key of several columns, or a type
  /// that cannot be indexed).
  std::string lookup_column;
};

/// One input port: its offsets, counters and dead letters are kept by the store.
struct InputPortLayout {
  std::string name;
  /// How long the port's dead letters are kept; nullopt: forever.
  std::optional<std::chrono::seconds> retention;
};

/// Everything the store needs to know about a product's shape.
struct StoreLayout {
  std::vector<DatasetLayout> datasets;
  std::vector<InputPortLayout> input_ports;

  /// The dataset called `name`, or nullptr.
  const DatasetLayout* FindDataset(std::string_view name) const;
  /// The input port called `name`, or nullptr.
  const InputPortLayout* FindInputPort(std::string_view name) const;
};

/// Prefix of the columns the store adds to every dataset; no dataset column may start with it.
inline constexpr std::string_view kHiddenColumnPrefix = "_quanta_";

/// Dataset names starting with it are kept for the tables that ports serve beside a product's
/// datasets (the SQL port's `<schema>._dead_letters`), so that none can hide them.
inline constexpr std::string_view kReservedDatasetPrefix = "_";

/// Checks that names are present and unique, no dataset uses the reserved prefix, no column
/// uses the hidden prefix, and upsert datasets have a key made of their own columns. The error
/// names the dataset and column.
Status ValidateLayout(const StoreLayout& layout);

/// The contract's `retention` SLA property as a duration: value plus unit (d/day/days, w/week,
/// m/month/months, y/yr/years, or an ISO 8601 duration); nullopt when the contract has none.
/// Fails (InvalidDocument, naming the property) when the value or unit cannot be read.
Result<std::optional<std::chrono::seconds>> RetentionOf(const model::Contract& contract);

/// Whether DuckDB can index a column of `type` (not lists, structs, maps, unions or
/// intervals).
bool IsIndexableType(std::string_view type);

/// The layout of a loaded product folder: one dataset per pipeline dataset (columns from its
/// output port's contract, typed by model::DuckdbTypeFor; key from pipeline.yaml or else the
/// contract's primary key; lookup column from the one-column key) and one input port per input port
/// of product.yaml. Fails with an error naming the file and field when the folder does not say
/// enough (run lint for all of them at once).
Result<StoreLayout> LayoutFromProductFolder(const model::ProductFolder& folder);

}  // namespace quanta::store
