#include "engine/prepared_query.h"

#include <duckdb.h>
#include <fmt/format.h>

#include <algorithm>
#include <chrono>

#include "engine/handles.h"

namespace quanta::engine {
namespace {

constexpr const char* kUnknownType = "UNKNOWN";

ValueType TypeFromLogical(duckdb_logical_type type) {
  ValueType out;
  duckdb_type id = duckdb_get_type_id(type);
  if (char* alias = duckdb_logical_type_get_alias(type)) {
    out.is_json = std::string_view(alias) == "JSON";
    duckdb_free(alias);
  }
  auto simple = [&](TypeId family, const char* name) {
    out.id = family;
    out.name = name;
  };
  switch (id) {
    case DUCKDB_TYPE_BOOLEAN:
      simple(TypeId::kBoolean, "BOOLEAN");
      break;
    case DUCKDB_TYPE_TINYINT:
      simple(TypeId::kTinyint, "TINYINT");
      break;
    case DUCKDB_TYPE_SMALLINT:
      simple(TypeId::kSmallint, "SMALLINT");
      break;
    case DUCKDB_TYPE_INTEGER:
      simple(TypeId::kInteger, "INTEGER");
      break;
    case DUCKDB_TYPE_BIGINT:
      simple(TypeId::kBigint, "BIGINT");
      break;
    case DUCKDB_TYPE_HUGEINT:
      simple(TypeId::kHugeint, "HUGEINT");
      break;
    case DUCKDB_TYPE_UTINYINT:
      simple(TypeId::kUtinyint, "UTINYINT");
      break;
    case DUCKDB_TYPE_USMALLINT:
      simple(TypeId::kUsmallint, "USMALLINT");
      break;
    case DUCKDB_TYPE_UINTEGER:
      simple(TypeId::kUinteger, "UINTEGER");
      break;
    case DUCKDB_TYPE_UBIGINT:
      simple(TypeId::kUbigint, "UBIGINT");
      break;
    case DUCKDB_TYPE_UHUGEINT:
      simple(TypeId::kUhugeint, "UHUGEINT");
      break;
    case DUCKDB_TYPE_FLOAT:
      simple(TypeId::kFloat, "FLOAT");
      break;
    case DUCKDB_TYPE_DOUBLE:
      simple(TypeId::kDouble, "DOUBLE");
      break;
    case DUCKDB_TYPE_DECIMAL:
      out.id = TypeId::kDecimal;
      out.width = duckdb_decimal_width(type);
      out.scale = duckdb_decimal_scale(type);
      out.name = fmt::format("DECIMAL({},{})", out.width, out.scale);
      break;
    case DUCKDB_TYPE_VARCHAR:
      simple(TypeId::kVarchar, out.is_json ? "JSON" : "VARCHAR");
      break;
    case DUCKDB_TYPE_BLOB:
      simple(TypeId::kBlob, "BLOB");
      break;
    case DUCKDB_TYPE_DATE:
      simple(TypeId::kDate, "DATE");
      break;
    case DUCKDB_TYPE_TIME:
      simple(TypeId::kTime, "TIME");
      break;
    case DUCKDB_TYPE_TIME_TZ:
      simple(TypeId::kTimeTz, "TIME WITH TIME ZONE");
      break;
    case DUCKDB_TYPE_TIMESTAMP:
      simple(TypeId::kTimestamp, "TIMESTAMP");
      break;
    case DUCKDB_TYPE_TIMESTAMP_S:
      simple(TypeId::kTimestamp, "TIMESTAMP_S");
      break;
    case DUCKDB_TYPE_TIMESTAMP_MS:
      simple(TypeId::kTimestamp, "TIMESTAMP_MS");
      break;
    case DUCKDB_TYPE_TIMESTAMP_NS:
      simple(TypeId::kTimestamp, "TIMESTAMP_NS");
      break;
    case DUCKDB_TYPE_TIMESTAMP_TZ:
      simple(TypeId::kTimestampTz, "TIMESTAMP WITH TIME ZONE");
      break;
    case DUCKDB_TYPE_INTERVAL:
      simple(TypeId::kInterval, "INTERVAL");
      break;
    case DUCKDB_TYPE_UUID:
      simple(TypeId::kUuid, "UUID");
      break;
    case DUCKDB_TYPE_LIST:
    case DUCKDB_TYPE_ARRAY: {
      duckdb_logical_type child = id == DUCKDB_TYPE_LIST ? duckdb_list_type_child_type(type)
                                                         : duckdb_array_type_child_type(type);
      out.children.push_back(TypeFromLogical(child));
      duckdb_destroy_logical_type(&child);
      out.id = TypeId::kList;
      if (id == DUCKDB_TYPE_ARRAY) {
        out.array_size = duckdb_array_type_array_size(type);
        out.name = fmt::format("{}[{}]", out.children[0].name, out.array_size);
      } else {
        out.name = out.children[0].name + "[]";
      }
      break;
    }
    case DUCKDB_TYPE_STRUCT:
      simple(TypeId::kStruct, "STRUCT");
      break;
    case DUCKDB_TYPE_MAP:
      simple(TypeId::kMap, "MAP");
      break;
    case DUCKDB_TYPE_ENUM:
      simple(TypeId::kEnum, "ENUM");
      break;
    case DUCKDB_TYPE_UNION:
      simple(TypeId::kUnion, "UNION");
      break;
    case DUCKDB_TYPE_SQLNULL:
      simple(TypeId::kNull, "NULL");
      break;
    case DUCKDB_TYPE_INVALID:  // not known until the statement runs (ColumnsUnknown)
      simple(TypeId::kOther, kUnknownType);
      break;
    default:
      simple(TypeId::kOther, "OTHER");
      break;
  }
  return out;
}

bool SameType(const ValueType& a, const ValueType& b) {
  if (a.id != b.id || a.name != b.name || a.width != b.width || a.scale != b.scale ||
      a.is_json != b.is_json || a.array_size != b.array_size ||
      a.children.size() != b.children.size()) {
    return false;
  }
  for (std::size_t c = 0; c < a.children.size(); ++c) {
    if (!SameType(a.children[c], b.children[c])) return false;
  }
  return true;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// ColumnView

ColumnView::ColumnView(void* vector, const ValueType* type)
    : vector_(vector),
      type_(type),
      validity_(duckdb_vector_get_validity(static_cast<duckdb_vector>(vector))),
      data_(duckdb_vector_get_data(static_cast<duckdb_vector>(vector))) {}

bool ColumnView::IsNull(std::size_t row) const {
  return validity_ && !duckdb_validity_row_is_valid(const_cast<std::uint64_t*>(validity_), row);
}

bool ColumnView::Bool(std::size_t row) const { return static_cast<const bool*>(data_)[row]; }

std::int64_t ColumnView::Integer(std::size_t row) const {
  switch (type_->id) {
    case TypeId::kTinyint:
      return static_cast<const std::int8_t*>(data_)[row];
    case TypeId::kSmallint:
      return static_cast<const std::int16_t*>(data_)[row];
    case TypeId::kInteger:
      return static_cast<const std::int32_t*>(data_)[row];
    case TypeId::kUtinyint:
      return static_cast<const std::uint8_t*>(data_)[row];
    case TypeId::kUsmallint:
      return static_cast<const std::uint16_t*>(data_)[row];
    case TypeId::kUinteger:
      return static_cast<const std::uint32_t*>(data_)[row];
    case TypeId::kUbigint:
      return static_cast<std::int64_t>(static_cast<const std::uint64_t*>(data_)[row]);
    default:
      return static_cast<const std::int64_t*>(data_)[row];
  }
}

std::uint64_t ColumnView::Unsigned(std::size_t row) const {
  if (type_->id == TypeId::kUbigint) return static_cast<const std::uint64_t*>(data_)[row];
  return static_cast<std::uint64_t>(Integer(row));
}

double ColumnView::Floating(std::size_t row) const {
  if (type_->id == TypeId::kFloat) return static_cast<const float*>(data_)[row];
  return static_cast<const double*>(data_)[row];
}

__int128 ColumnView::Wide(std::size_t row) const {
  if (type_->id == TypeId::kDecimal) {
    if (type_->width <= 4) return static_cast<const std::int16_t*>(data_)[row];
    if (type_->width <= 9) return static_cast<const std::int32_t*>(data_)[row];
    if (type_->width <= 18) return static_cast<const std::int64_t*>(data_)[row];
  }
  const duckdb_hugeint& value = static_cast<const duckdb_hugeint*>(data_)[row];
  unsigned __int128 bits =
      (static_cast<unsigned __int128>(static_cast<std::uint64_t>(value.upper)) << 64) | value.lower;
  if (type_->id == TypeId::kUuid) bits ^= static_cast<unsigned __int128>(1) << 127;
  return static_cast<__int128>(bits);
}

std::string_view ColumnView::Text(std::size_t row) const {
  auto* strings = static_cast<duckdb_string_t*>(const_cast<void*>(data_));
  duckdb_string_t* value = &strings[row];
  return {duckdb_string_t_data(value), duckdb_string_t_length(*value)};
}

std::int32_t ColumnView::Date(std::size_t row) const {
  return static_cast<const std::int32_t*>(data_)[row];
}

std::int64_t ColumnView::Micros(std::size_t row) const {
  std::int64_t value = static_cast<const std::int64_t*>(data_)[row];
  if (type_->name == "TIMESTAMP_S") return value * 1'000'000;
  if (type_->name == "TIMESTAMP_MS") return value * 1'000;
  if (type_->name == "TIMESTAMP_NS") return value / 1'000;
  return value;
}

IntervalValue ColumnView::Interval(std::size_t row) const {
  const duckdb_interval& value = static_cast<const duckdb_interval*>(data_)[row];
  return {value.months, value.days, value.micros};
}

std::pair<std::uint64_t, std::uint64_t> ColumnView::ListEntry(std::size_t row) const {
  if (type_->array_size > 0) return {row * type_->array_size, type_->array_size};
  const duckdb_list_entry& entry = static_cast<const duckdb_list_entry*>(data_)[row];
  return {entry.offset, entry.length};
}

ColumnView ColumnView::Child() const {
  auto vector = static_cast<duckdb_vector>(vector_);
  duckdb_vector child = type_->array_size > 0 ? duckdb_array_vector_get_child(vector)
                                              : duckdb_list_vector_get_child(vector);
  return ColumnView(child, &type_->children.at(0));
}

// ---------------------------------------------------------------------------------------------
// ResultChunk

ResultChunk::ResultChunk(void* chunk, const std::vector<ValueType>& types)
    : chunk_(chunk), rows_(duckdb_data_chunk_get_size(static_cast<duckdb_data_chunk>(chunk))) {
  columns_.reserve(types.size());
  for (std::size_t c = 0; c < types.size(); ++c) {
    columns_.push_back(ColumnView(
        duckdb_data_chunk_get_vector(static_cast<duckdb_data_chunk>(chunk), c), &types[c]));
  }
}

void ResultChunk::UseTypes(const std::vector<ValueType>& types) {
  for (std::size_t c = 0; c < columns_.size(); ++c) columns_[c].type_ = &types[c];
}

ResultChunk::~ResultChunk() {
  auto chunk = static_cast<duckdb_data_chunk>(chunk_);
  duckdb_destroy_data_chunk(&chunk);
}

// ---------------------------------------------------------------------------------------------
// ResultStream

struct ResultStream::Handle {
  explicit Handle(TaskHelpers* helpers) : claim(helpers) {}
  duckdb_result result;
  const std::string* out_of_memory_advice = nullptr;  // the database's
  LongStatementClaim claim;                           // the statement runs on as the stream is read
  ~Handle() { duckdb_destroy_result(&result); }
};

ResultStream::ResultStream(std::unique_ptr<Handle> handle, const std::vector<ValueType>& types)
    : handle_(std::move(handle)), types_(types) {}
ResultStream::~ResultStream() = default;

Result<std::unique_ptr<ResultChunk>> ResultStream::Next() {
  auto started = std::chrono::steady_clock::now();
  duckdb_data_chunk chunk = duckdb_fetch_chunk(handle_->result);
  handle_->claim.AddBusy(std::chrono::steady_clock::now() - started);
  if (!chunk) {
    // The end of the rows, or a failure while making them (an interrupt, a cast, memory).
    const char* error = duckdb_result_error(&handle_->result);
    if (error) {
      return StatusFromDuckdbError(duckdb_result_error_type(&handle_->result), error,
                                   handle_->out_of_memory_advice);
    }
    return std::unique_ptr<ResultChunk>();
  }
  return std::unique_ptr<ResultChunk>(new ResultChunk(chunk, types_));
}

std::int64_t ResultStream::rows_changed() const {
  return static_cast<std::int64_t>(duckdb_rows_changed(&handle_->result));
}

// ---------------------------------------------------------------------------------------------
// PreparedQuery

struct PreparedQuery::Handle {
  duckdb_prepared_statement statement = nullptr;
  const std::string* out_of_memory_advice = nullptr;  // the database's
  TaskHelpers* helpers = nullptr;                     // the database's
  ~Handle() { duckdb_destroy_prepare(&statement); }
};

PreparedQuery::PreparedQuery(std::unique_ptr<Handle> handle) : handle_(std::move(handle)) {}
PreparedQuery::~PreparedQuery() = default;

Result<std::unique_ptr<PreparedQuery>> PreparedQuery::Prepare(Connection& connection,
                                                              std::string_view sql) {
  auto handle = std::make_unique<Handle>();
  handle->out_of_memory_advice = connection.handle_->out_of_memory_advice;
  handle->helpers = connection.handle_->helpers;
  std::string text(sql);
  if (duckdb_prepare(connection.handle_->connection, text.c_str(), &handle->statement) !=
      DuckDBSuccess) {
    return StatusFromMessage(duckdb_prepare_error(handle->statement), handle->out_of_memory_advice);
  }
  std::unique_ptr<PreparedQuery> query(new PreparedQuery(std::move(handle)));
  duckdb_prepared_statement statement = query->handle_->statement;
  idx_t parameters = duckdb_nparams(statement);
  for (idx_t i = 1; i <= parameters; ++i) {
    duckdb_logical_type type = duckdb_param_logical_type(statement, i);
    if (type) {
      query->parameter_types_.push_back(TypeFromLogical(type));
      duckdb_destroy_logical_type(&type);
    } else {
      ValueType unknown;
      unknown.name = "UNKNOWN";
      query->parameter_types_.push_back(std::move(unknown));
    }
  }
  idx_t columns = duckdb_prepared_statement_column_count(statement);
  for (idx_t c = 0; c < columns; ++c) {
    // DuckDB allocates the name for the caller: one leaked per column of every statement
    // prepared, which grew a node's memory with every distinct query text.
    const char* name = duckdb_prepared_statement_column_name(statement, c);
    query->column_names_.push_back(name ? name : "");
    if (name) duckdb_free(const_cast<char*>(name));
    duckdb_logical_type type = duckdb_prepared_statement_column_logical_type(statement, c);
    query->column_types_.push_back(TypeFromLogical(type));
    duckdb_destroy_logical_type(&type);
  }
  return query;
}

namespace {
Status BindOutcome(duckdb_state state, std::size_t index, std::size_t count) {
  if (state == DuckDBSuccess) return Status::Ok();
  if (index >= count) {
    return Status::Usage("parameter ${} does not exist; the statement has {}", index + 1, count);
  }
  return Status::QueryFailed("parameter ${} could not be bound", index + 1);
}
}  // namespace

Status PreparedQuery::BindText(std::size_t index, std::string_view text) {
  return BindOutcome(
      duckdb_bind_varchar_length(handle_->statement, index + 1, text.data(), text.size()), index,
      parameter_count());
}
Status PreparedQuery::BindNull(std::size_t index) {
  return BindOutcome(duckdb_bind_null(handle_->statement, index + 1), index, parameter_count());
}
Status PreparedQuery::BindInteger(std::size_t index, std::int64_t value) {
  return BindOutcome(duckdb_bind_int64(handle_->statement, index + 1, value), index,
                     parameter_count());
}
bool PreparedQuery::ColumnsUnknown() const {
  return std::any_of(column_types_.begin(), column_types_.end(),
                     [](const ValueType& type) { return type.name == kUnknownType; });
}

void PreparedQuery::AdoptColumnsOf(const PreparedQuery& probe) {
  column_names_ = probe.column_names_;
  column_types_ = probe.column_types_;
}

Status PreparedQuery::BindFloating(std::size_t index, double value) {
  return BindOutcome(duckdb_bind_double(handle_->statement, index + 1, value), index,
                     parameter_count());
}
Status PreparedQuery::BindBool(std::size_t index, bool value) {
  return BindOutcome(duckdb_bind_boolean(handle_->statement, index + 1, value), index,
                     parameter_count());
}
Status PreparedQuery::BindBlob(std::size_t index, std::string_view bytes) {
  return BindOutcome(duckdb_bind_blob(handle_->statement, index + 1, bytes.data(), bytes.size()),
                     index, parameter_count());
}
Status PreparedQuery::BindTextList(std::size_t index,
                                   const std::vector<std::optional<std::string>>& elements) {
  std::vector<duckdb_value> values;
  values.reserve(elements.size());
  for (const std::optional<std::string>& element : elements) {
    values.push_back(element ? duckdb_create_varchar_length(element->data(), element->size())
                             : duckdb_create_null_value());
  }
  duckdb_logical_type varchar = duckdb_create_logical_type(DUCKDB_TYPE_VARCHAR);
  duckdb_value list = duckdb_create_list_value(varchar, values.data(), values.size());
  duckdb_destroy_logical_type(&varchar);
  for (duckdb_value& value : values) duckdb_destroy_value(&value);
  if (list == nullptr)
    return Status::Internal("DuckDB could not make a list of {} texts", elements.size());
  duckdb_state state = duckdb_bind_value(handle_->statement, index + 1, list);
  duckdb_destroy_value(&list);
  return BindOutcome(state, index, parameter_count());
}
void PreparedQuery::ClearBindings() { (void)duckdb_clear_bindings(handle_->statement); }

Result<std::unique_ptr<ResultStream>> PreparedQuery::Execute() {
  duckdb_pending_result pending = nullptr;
  if (duckdb_pending_prepared_streaming(handle_->statement, &pending) != DuckDBSuccess) {
    Status status = StatusFromMessage(duckdb_pending_error(pending), handle_->out_of_memory_advice);
    duckdb_destroy_pending(&pending);
    return status;
  }
  auto handle = std::make_unique<ResultStream::Handle>(handle_->helpers);
  handle->out_of_memory_advice = handle_->out_of_memory_advice;
  Status executed =
      ExecutePending(pending, &handle->result, handle_->out_of_memory_advice, &handle->claim);
  duckdb_destroy_pending(&pending);
  QUANTA_RETURN_IF_ERROR(executed);
  // DuckDB binds a prepared statement again when a table it reads was replaced since, or when
  // a parameter's value has another type than the one it inferred at Prepare, and the result
  // may then have other columns than the ones announced: reading them as those would read the
  // wrong memory.
  std::size_t columns = duckdb_column_count(&handle->result);
  bool same = columns == column_types_.size();
  for (std::size_t c = 0; same && c < columns; ++c) {
    duckdb_logical_type type = duckdb_column_logical_type(&handle->result, c);
    same = SameType(TypeFromLogical(type), column_types_[c]);
    duckdb_destroy_logical_type(&type);
  }
  if (!same) {
    return Status(ErrorCode::kNotSupported,
                  fmt::format("{}: its result has other column types than when it was "
                              "prepared (a table it reads was replaced since, or a parameter "
                              "without a type, used where it takes different types, came "
                              "with a value of another type; cast it, e.g. $1::bigint); "
                              "prepare it again",
                              kResultTypeChanged));
  }
  return std::unique_ptr<ResultStream>(new ResultStream(std::move(handle), column_types_));
}

}  // namespace quanta::engine
