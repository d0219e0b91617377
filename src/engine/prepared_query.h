#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.h"
#include "engine/database.h"

namespace quanta::engine {

/// The families of DuckDB value types that readers of results tell apart.
enum class TypeId {
  kBoolean,
  kTinyint,
  kSmallint,
  kInteger,
  kBigint,
  kHugeint,
  kUtinyint,
  kUsmallint,
  kUinteger,
  kUbigint,
  kUhugeint,
  kFloat,
  kDouble,
  kDecimal,
  kVarchar,
  kBlob,
  kDate,
  kTime,
  kTimeTz,
  kTimestamp,  ///< also TIMESTAMP_S, _MS and _NS: read as microseconds
  kTimestampTz,
  kInterval,
  kUuid,
  kList,  ///< also fixed-size ARRAY
  kStruct,
  kMap,
  kEnum,
  kUnion,
  kNull,  ///< the type of a bare NULL
  kOther,
};

/// A value type: its family, DuckDB's spelling ("DECIMAL(18,2)", "INTEGER[]", "JSON"), and the
/// details a reader needs.
struct ValueType {
  TypeId id = TypeId::kOther;
  std::string name;
  std::uint8_t width = 0;           ///< DECIMAL
  std::uint8_t scale = 0;           ///< DECIMAL
  bool is_json = false;             ///< VARCHAR with DuckDB's JSON alias
  std::uint64_t array_size = 0;     ///< a fixed-size ARRAY (kList); 0 for a LIST
  std::vector<ValueType> children;  ///< the element type of a list
};

struct IntervalValue {
  std::int32_t months = 0;
  std::int32_t days = 0;
  std::int64_t micros = 0;
};

/// One column of a chunk: typed access to row `row` (< the chunk's row count). The caller picks
/// the reader that fits type(); reading a column through another family's reader is a bug.
/// Valid while its chunk lives.
class ColumnView {
 public:
  const ValueType& type() const { return *type_; }
  bool IsNull(std::size_t row) const;
  bool Bool(std::size_t row) const;
  /// TINYINT..BIGINT, UTINYINT..UINTEGER; UBIGINT wraps beyond INT64_MAX (use Unsigned).
  std::int64_t Integer(std::size_t row) const;
  std::uint64_t Unsigned(std::size_t row) const;
  /// FLOAT or DOUBLE.
  double Floating(std::size_t row) const;
  /// HUGEINT, UHUGEINT (as bits), the unscaled value of any DECIMAL, a UUID's 128 bits in
  /// their usual order (DuckDB stores them with the top bit flipped; this undoes it).
  __int128 Wide(std::size_t row) const;
  /// VARCHAR, BLOB, ENUM is not here (cast it); the bytes stay owned by the chunk.
  std::string_view Text(std::size_t row) const;
  /// DATE: days since 1970-01-01.
  std::int32_t Date(std::size_t row) const;
  /// TIME: microseconds since midnight; TIMESTAMP / TIMESTAMPTZ: microseconds since 1970 UTC.
  std::int64_t Micros(std::size_t row) const;
  IntervalValue Interval(std::size_t row) const;
  /// LIST / ARRAY: where row's elements start in Child() and how many there are.
  std::pair<std::uint64_t, std::uint64_t> ListEntry(std::size_t row) const;
  ColumnView Child() const;

 private:
  friend class ResultChunk;
  ColumnView(void* vector, const ValueType* type);
  void* vector_;  // duckdb_vector
  const ValueType* type_;
  const std::uint64_t* validity_;
  const void* data_;
};

/// Up to 2048 rows of a result, column by column. Owns DuckDB's chunk.
class ResultChunk {
 public:
  ~ResultChunk();
  ResultChunk(const ResultChunk&) = delete;
  ResultChunk& operator=(const ResultChunk&) = delete;

  std::size_t row_count() const { return rows_; }
  std::size_t column_count() const { return columns_.size(); }
  const ColumnView& Column(std::size_t column) const { return columns_[column]; }

 private:
  friend class ResultStream;
  friend class KeyedRows;
  ResultChunk(void* chunk, const std::vector<ValueType>& types);
  // Reads the columns as `types` (equal to the chunk's own), which must outlive the chunk.
  void UseTypes(const std::vector<ValueType>& types);
  void* chunk_;  // duckdb_data_chunk
  std::size_t rows_;
  std::vector<ColumnView> columns_;
};

/// The rows of a running statement, read chunk by chunk as DuckDB makes them (a streaming
/// result: nothing is held whole in memory). Use on the thread of its connection; it must not
/// outlive its prepared query.
class ResultStream {
 public:
  ~ResultStream();
  ResultStream(const ResultStream&) = delete;
  ResultStream& operator=(const ResultStream&) = delete;

  /// The next chunk; nullptr at the end. Fails with the statement's error (an interrupt too).
  Result<std::unique_ptr<ResultChunk>> Next();
  /// Rows changed, for statements that change rows; 0 for queries.
  std::int64_t rows_changed() const;

 private:
  friend class PreparedQuery;
  struct Handle;
  ResultStream(std::unique_ptr<Handle> handle, const std::vector<ValueType>& types);
  std::unique_ptr<Handle> handle_;
  const std::vector<ValueType>& types_;
};

/// How a failure of PreparedQuery::Execute starts when the statement's result columns changed
/// since it was prepared (PostgreSQL's words for the same case).
inline constexpr std::string_view kResultTypeChanged = "cached plan must not change result type";

/// One statement, parsed and bound once, run any number of times with parameters ($1, $2, ...).
/// Use from one thread at a time; it must not outlive its connection.
class PreparedQuery {
 public:
  /// Prepares a single statement. Fails with DuckDB's error (QueryFailed for the user's SQL).
  static Result<std::unique_ptr<PreparedQuery>> Prepare(Connection& connection,
                                                        std::string_view sql);
  ~PreparedQuery();
  PreparedQuery(const PreparedQuery&) = delete;
  PreparedQuery& operator=(const PreparedQuery&) = delete;

  std::size_t parameter_count() const { return parameter_types_.size(); }
  /// Parameter `index` (from 0)'s type as DuckDB inferred it; kOther when it could not.
  const ValueType& parameter_type(std::size_t index) const { return parameter_types_[index]; }
  const std::vector<std::string>& column_names() const { return column_names_; }
  const std::vector<ValueType>& column_types() const { return column_types_; }
  /// Whether DuckDB could not tell the result's columns at Prepare: a table function whose
  /// arguments are parameters (range($1)) is bound only with their values.
  bool ColumnsUnknown() const;
  /// Takes `probe`'s result columns (names and types) as this statement's: those of the same
  /// statement with its parameters replaced by typed NULLs, for one whose ColumnsUnknown().
  /// Execute then checks the result against them as against any prepared columns.
  void AdoptColumnsOf(const PreparedQuery& probe);

  /// Binds parameter `index` (from 0): text is cast to the parameter's type by DuckDB.
  Status BindText(std::size_t index, std::string_view text);
  Status BindNull(std::size_t index);
  Status BindInteger(std::size_t index, std::int64_t value);
  Status BindFloating(std::size_t index, double value);
  Status BindBool(std::size_t index, bool value);
  Status BindBlob(std::size_t index, std::string_view bytes);
  /// A list of texts (nullopt: a NULL element), which DuckDB casts element by element to the
  /// parameter's list type (INTEGER[], DATE[], ...).
  Status BindTextList(std::size_t index, const std::vector<std::optional<std::string>>& elements);
  void ClearBindings();

  /// Runs the statement with the bound parameters and streams its rows. Fails (NotSupported,
  /// "cached plan must not change result type") when a table it reads was replaced since
  /// Prepare so that its result columns are no longer column_types(): prepare it again.
  Result<std::unique_ptr<ResultStream>> Execute();

 private:
  struct Handle;
  explicit PreparedQuery(std::unique_ptr<Handle> handle);
  std::unique_ptr<Handle> handle_;
  std::vector<ValueType> parameter_types_;
  std::vector<std::string> column_names_;
  std::vector<ValueType> column_types_;
};

}  // namespace quanta::engine
