#include "engine/table_appender.h"

#include <duckdb.h>

#include <string>

#include "engine/handles.h"

namespace quanta::engine {

struct TableAppender::Handle {
  duckdb_appender appender = nullptr;
  std::vector<AppendColumn> columns;
  std::vector<duckdb_logical_type> types;
  duckdb_data_chunk chunk = nullptr;
  std::vector<duckdb_vector> vectors;    // of `chunk`, one per column
  std::vector<void*> data;               // each vector's values
  std::vector<std::uint64_t*> validity;  // each vector's validity mask, once a NULL needs it
  idx_t row = 0;                         // the current row of `chunk`
  const std::string* out_of_memory_advice = nullptr;

  ~Handle() {
    if (chunk) duckdb_destroy_data_chunk(&chunk);
    for (duckdb_logical_type& type : types) duckdb_destroy_logical_type(&type);
    if (appender) duckdb_appender_destroy(&appender);
  }

  // A new, empty chunk (one per vector size: simpler than resetting one and finding its
  // buffers again).
  void NewChunk() {
    if (chunk) duckdb_destroy_data_chunk(&chunk);
    chunk = duckdb_create_data_chunk(types.data(), types.size());
    for (std::size_t i = 0; i < columns.size(); ++i) {
      vectors[i] = duckdb_data_chunk_get_vector(chunk, i);
      data[i] = duckdb_vector_get_data(vectors[i]);
      validity[i] = nullptr;
    }
    row = 0;
  }

  Status Error(std::string_view doing) const {
    duckdb_error_data error = duckdb_appender_error_data(appender);
    Status status = StatusFromDuckdbError(duckdb_error_data_error_type(error),
                                          duckdb_error_data_message(error), out_of_memory_advice);
    duckdb_destroy_error_data(&error);
    return Status(status.code(), fmt::format("{}: {}", doing, status.message()));
  }
};

Result<std::unique_ptr<TableAppender>> TableAppender::Open(Connection& connection,
                                                           std::string_view catalog,
                                                           std::string_view schema,
                                                           std::string_view table,
                                                           std::vector<AppendColumn> columns) {
  auto handle = std::make_unique<Handle>();
  handle->out_of_memory_advice = connection.handle_->out_of_memory_advice;
  const std::string catalog_name(catalog), schema_name(schema), table_name(table);
  if (duckdb_appender_create_ext(connection.handle_->connection, catalog_name.c_str(),
                                 schema_name.c_str(), table_name.c_str(),
                                 &handle->appender) == DuckDBError) {
    return handle->Error(fmt::format("cannot append to {}.{}.{}", catalog, schema, table));
  }
  if (duckdb_appender_column_count(handle->appender) != columns.size()) {
    return Status::Internal("cannot append to {}.{}.{}: it has {} columns, the rows {}", catalog,
                            schema, table, duckdb_appender_column_count(handle->appender),
                            columns.size());
  }
  for (AppendColumn column : columns) {
    duckdb_type type = DUCKDB_TYPE_VARCHAR;
    if (column == AppendColumn::kInt64) type = DUCKDB_TYPE_BIGINT;
    if (column == AppendColumn::kDouble) type = DUCKDB_TYPE_DOUBLE;
    if (column == AppendColumn::kBoolean) type = DUCKDB_TYPE_BOOLEAN;
    handle->types.push_back(duckdb_create_logical_type(type));
  }
  handle->columns = std::move(columns);
  handle->vectors.resize(handle->columns.size());
  handle->data.resize(handle->columns.size());
  handle->validity.resize(handle->columns.size());
  handle->NewChunk();
  return std::unique_ptr<TableAppender>(new TableAppender(std::move(handle)));
}

TableAppender::TableAppender(std::unique_ptr<Handle> handle) : handle_(std::move(handle)) {}

TableAppender::~TableAppender() = default;

void TableAppender::SetNull(std::size_t column) {
  Handle& h = *handle_;
  if (!h.validity[column]) {
    duckdb_vector_ensure_validity_writable(h.vectors[column]);
    h.validity[column] = duckdb_vector_get_validity(h.vectors[column]);
  }
  duckdb_validity_set_row_invalid(h.validity[column], h.row);
}

void TableAppender::SetText(std::size_t column, std::string_view text) {
  duckdb_vector_assign_string_element_len(handle_->vectors[column], handle_->row, text.data(),
                                          text.size());
}

void TableAppender::SetInt64(std::size_t column, std::int64_t value) {
  static_cast<std::int64_t*>(handle_->data[column])[handle_->row] = value;
}

void TableAppender::SetDouble(std::size_t column, double value) {
  static_cast<double*>(handle_->data[column])[handle_->row] = value;
}

void TableAppender::SetBoolean(std::size_t column, bool value) {
  static_cast<bool*>(handle_->data[column])[handle_->row] = value;
}

Status TableAppender::EndRow() {
  if (++handle_->row < duckdb_vector_size()) return Status::Ok();
  return AppendChunk();
}

Status TableAppender::AppendChunk() {
  Handle& h = *handle_;
  if (h.row == 0) return Status::Ok();
  duckdb_data_chunk_set_size(h.chunk, h.row);
  if (duckdb_append_data_chunk(h.appender, h.chunk) == DuckDBError) {
    return h.Error("cannot append the rows");
  }
  h.NewChunk();
  return Status::Ok();
}

Status TableAppender::Close() {
  QUANTA_RETURN_IF_ERROR(AppendChunk());
  if (duckdb_appender_close(handle_->appender) == DuckDBError) {
    return handle_->Error("cannot append the rows");
  }
  return Status::Ok();
}

}  // namespace quanta::engine
