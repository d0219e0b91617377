#include "engine/held_rows.h"

#include <fmt/format.h>

#include "engine/handles.h"
#include "engine/held_rows_function.h"

namespace quanta::engine {

HeldChunks::~HeldChunks() {
  for (duckdb_data_chunk& chunk : chunks) duckdb_destroy_data_chunk(&chunk);
  for (duckdb_logical_type& type : types) duckdb_destroy_logical_type(&type);
  if (from_result) duckdb_destroy_result(&result);
}

std::uint64_t HeldRowsRegistry::Add(std::shared_ptr<const HeldChunks> chunks) {
  std::lock_guard lock(mutex_);
  for (;;) {
    // Positive as a BIGINT, which is how SQL passes it back.
    std::uint64_t id = ids_() >> 1;
    if (id != 0 && held_.emplace(id, chunks).second) return id;
  }
}

std::shared_ptr<const HeldChunks> HeldRowsRegistry::Find(std::uint64_t id) const {
  std::lock_guard lock(mutex_);
  auto found = held_.find(id);
  return found == held_.end() ? nullptr : found->second;
}

void HeldRowsRegistry::Remove(std::uint64_t id) {
  std::lock_guard lock(mutex_);
  held_.erase(id);
}

std::size_t HeldRowsRegistry::size() const {
  std::lock_guard lock(mutex_);
  return held_.size();
}

namespace {

using BoundChunks = std::shared_ptr<const HeldChunks>;

void BindHeldRows(duckdb_bind_info info) {
  auto* registry = static_cast<HeldRowsRegistry*>(duckdb_bind_get_extra_info(info));
  duckdb_value parameter = duckdb_bind_get_parameter(info, 0);
  std::int64_t id = duckdb_get_int64(parameter);
  duckdb_destroy_value(&parameter);
  BoundChunks chunks = id > 0 ? registry->Find(static_cast<std::uint64_t>(id)) : nullptr;
  if (!chunks) {
    duckdb_bind_set_error(
        info, fmt::format("{}: no rows are held under {}", kHeldRowsFunction, id).c_str());
    return;
  }
  for (std::size_t i = 0; i < chunks->names.size(); ++i) {
    duckdb_bind_add_result_column(info, chunks->names[i].c_str(), chunks->types[i]);
  }
  duckdb_bind_set_cardinality(info, chunks->rows, /*is_exact=*/true);
  // The statement keeps the chunks alive until it ends, whatever happens to the HeldRows.
  duckdb_bind_set_bind_data(info, new BoundChunks(std::move(chunks)),
                            [](void* data) { delete static_cast<BoundChunks*>(data); });
}

void InitHeldRows(duckdb_init_info info) {
  duckdb_init_set_init_data(info, new std::size_t(0),
                            [](void* data) { delete static_cast<std::size_t*>(data); });
  duckdb_init_set_max_threads(info, 1);  // one reader, in the order held
}

void ReadHeldRows(duckdb_function_info info, duckdb_data_chunk output) {
  const HeldChunks& held = **static_cast<BoundChunks*>(duckdb_function_get_bind_data(info));
  std::size_t& next = *static_cast<std::size_t*>(duckdb_function_get_init_data(info));
  if (next >= held.chunks.size()) {
    duckdb_data_chunk_set_size(output, 0);
    return;
  }
  duckdb_data_chunk chunk = held.chunks[next++];
  // The output refers to the held vectors' buffers: nothing is copied.
  for (idx_t i = 0; i < held.names.size(); ++i) {
    duckdb_vector_reference_vector(duckdb_data_chunk_get_vector(output, i),
                                   duckdb_data_chunk_get_vector(chunk, i));
  }
  duckdb_data_chunk_set_size(output, duckdb_data_chunk_get_size(chunk));
}

}  // namespace

Status RegisterHeldRowsFunction(duckdb_connection connection, HeldRowsRegistry* registry) {
  duckdb_table_function function = duckdb_create_table_function();
  const std::string name(kHeldRowsFunction);
  duckdb_table_function_set_name(function, name.c_str());
  duckdb_logical_type id_type = duckdb_create_logical_type(DUCKDB_TYPE_BIGINT);
  duckdb_table_function_add_parameter(function, id_type);
  duckdb_destroy_logical_type(&id_type);
  duckdb_table_function_set_extra_info(function, registry, nullptr);
  duckdb_table_function_set_bind(function, BindHeldRows);
  duckdb_table_function_set_init(function, InitHeldRows);
  duckdb_table_function_set_function(function, ReadHeldRows);
  duckdb_state state = duckdb_register_table_function(connection, function);
  duckdb_destroy_table_function(&function);
  if (state != DuckDBSuccess) return Status::Internal("DuckDB refused to register {}", name);
  return Status::Ok();
}

HeldRows::HeldRows(HeldRowsRegistry* registry, std::shared_ptr<const HeldChunks> chunks)
    : registry_(registry), row_count_(chunks->rows) {
  id_ = registry_->Add(std::move(chunks));
  source_ = fmt::format("{}({})", kHeldRowsFunction, id_);
}

HeldRows::~HeldRows() { registry_->Remove(id_); }

Status HeldChunks::TakeResult(duckdb_connection connection, const std::string& sql,
                              const std::string* out_of_memory_advice, TaskHelpers* helpers) {
  QUANTA_RETURN_IF_ERROR(RunStatements(connection, sql, &result, out_of_memory_advice, helpers));
  from_result = true;
  idx_t columns = duckdb_column_count(&result);
  for (idx_t i = 0; i < columns; ++i) {
    names.emplace_back(duckdb_column_name(&result, i));
    types.push_back(duckdb_column_logical_type(&result, i));
  }
  while (duckdb_data_chunk chunk = duckdb_fetch_chunk(result)) {
    if (duckdb_data_chunk_get_size(chunk) == 0) {
      duckdb_destroy_data_chunk(&chunk);
      continue;
    }
    rows += duckdb_data_chunk_get_size(chunk);
    chunks.push_back(chunk);
  }
  return Status::Ok();
}

Result<std::unique_ptr<HeldRows>> Connection::Hold(std::string_view select_sql) {
  auto held = std::make_shared<HeldChunks>();
  QUANTA_RETURN_IF_ERROR(held->TakeResult(handle_->connection, std::string(select_sql),
                                          handle_->out_of_memory_advice, handle_->helpers));
  return std::unique_ptr<HeldRows>(new HeldRows(handle_->held_rows, std::move(held)));
}

std::size_t Connection::HeldRowSets() const { return handle_->held_rows->size(); }

namespace {

// The type RowChunks builds a column of, and DuckDB's name of it.
struct BuiltType {
  duckdb_type id;
  std::string_view name;
};
BuiltType BuiltTypeOf(AppendColumn column) {
  switch (column) {
    case AppendColumn::kInt64:
      return {DUCKDB_TYPE_BIGINT, "BIGINT"};
    case AppendColumn::kDouble:
      return {DUCKDB_TYPE_DOUBLE, "DOUBLE"};
    case AppendColumn::kBoolean:
      return {DUCKDB_TYPE_BOOLEAN, "BOOLEAN"};
    case AppendColumn::kText:
      break;
  }
  return {DUCKDB_TYPE_VARCHAR, "VARCHAR"};
}

}  // namespace

struct RowChunks::Handle {
  Connection::Handle* connection = nullptr;
  std::vector<AppendColumn> columns;
  std::shared_ptr<HeldChunks> held = std::make_shared<HeldChunks>();
  duckdb_data_chunk chunk = nullptr;     // being filled, not yet in `held`
  std::vector<duckdb_vector> vectors;    // of `chunk`, one per column
  std::vector<void*> data;               // each vector's values
  std::vector<std::uint64_t*> validity;  // each vector's validity mask, once a NULL needs it
  idx_t row = 0;                         // the current row of `chunk`

  ~Handle() {
    if (chunk) duckdb_destroy_data_chunk(&chunk);
  }

  // A new, empty chunk (one per vector size: simpler than resetting one and finding its
  // buffers again).
  void NewChunk() {
    chunk = duckdb_create_data_chunk(held->types.data(), held->types.size());
    for (std::size_t i = 0; i < columns.size(); ++i) {
      vectors[i] = duckdb_data_chunk_get_vector(chunk, i);
      data[i] = duckdb_vector_get_data(vectors[i]);
      validity[i] = nullptr;
    }
    row = 0;
  }

  // Moves the filled rows of `chunk` into `held`.
  void KeepChunk() {
    if (row == 0) return;
    duckdb_data_chunk_set_size(chunk, row);
    held->rows += row;
    held->chunks.push_back(chunk);
    chunk = nullptr;
  }
};

std::unique_ptr<RowChunks> RowChunks::Create(Connection& connection, std::vector<std::string> names,
                                             std::vector<AppendColumn> columns) {
  auto handle = std::make_unique<Handle>();
  handle->connection = connection.handle_.get();
  for (AppendColumn column : columns) {
    handle->held->types.push_back(duckdb_create_logical_type(BuiltTypeOf(column).id));
  }
  handle->held->names = std::move(names);
  handle->columns = std::move(columns);
  handle->vectors.resize(handle->columns.size());
  handle->data.resize(handle->columns.size());
  handle->validity.resize(handle->columns.size());
  handle->NewChunk();
  return std::unique_ptr<RowChunks>(new RowChunks(std::move(handle)));
}

RowChunks::RowChunks(std::unique_ptr<Handle> handle) : handle_(std::move(handle)) {}

RowChunks::~RowChunks() = default;

void RowChunks::SetNull(std::size_t column) {
  Handle& h = *handle_;
  if (!h.validity[column]) {
    duckdb_vector_ensure_validity_writable(h.vectors[column]);
    h.validity[column] = duckdb_vector_get_validity(h.vectors[column]);
  }
  duckdb_validity_set_row_invalid(h.validity[column], h.row);
}

void RowChunks::SetText(std::size_t column, std::string_view text) {
  duckdb_vector_assign_string_element_len(handle_->vectors[column], handle_->row, text.data(),
                                          text.size());
}

void RowChunks::SetInt64(std::size_t column, std::int64_t value) {
  static_cast<std::int64_t*>(handle_->data[column])[handle_->row] = value;
}

void RowChunks::SetDouble(std::size_t column, double value) {
  static_cast<double*>(handle_->data[column])[handle_->row] = value;
}

void RowChunks::SetBoolean(std::size_t column, bool value) {
  static_cast<bool*>(handle_->data[column])[handle_->row] = value;
}

void RowChunks::EndRow() {
  if (++handle_->row < duckdb_vector_size()) return;
  handle_->KeepChunk();
  handle_->NewChunk();
}

namespace {

// Whether the chunks of `a` and `b` hold the same rows each, so that the vectors of one can
// stand beside those of the other.
bool SameChunking(const HeldChunks& a, const HeldChunks& b) {
  if (a.chunks.size() != b.chunks.size()) return false;
  for (std::size_t i = 0; i < a.chunks.size(); ++i) {
    if (duckdb_data_chunk_get_size(a.chunks[i]) != duckdb_data_chunk_get_size(b.chunks[i])) {
      return false;
    }
  }
  return true;
}

}  // namespace

Result<std::unique_ptr<HeldRows>> RowChunks::Finish(const std::vector<std::string>& types) {
  Handle& h = *handle_;
  h.KeepChunk();
  HeldRowsRegistry* registry = h.connection->held_rows;
  // Column i's place among the cast columns, or kNotCast.
  constexpr std::size_t kNotCast = SIZE_MAX;
  std::vector<std::size_t> cast_of(h.columns.size(), kNotCast);
  std::size_t casts_count = 0;
  std::string cast_list, full_list;
  for (std::size_t i = 0; i < h.columns.size(); ++i) {
    std::string name = QuoteIdentifier(h.held->names[i]);
    if (i < types.size() && types[i] != BuiltTypeOf(h.columns[i]).name) {
      std::string column = fmt::format("CAST({} AS {}) AS {}", name, types[i], name);
      cast_list += (casts_count == 0 ? "" : ", ") + column;
      full_list += (i ? ", " : "") + column;
      cast_of[i] = casts_count++;
    } else {
      full_list += (i ? ", " : "") + name;
    }
  }
  std::shared_ptr<const HeldChunks> built = std::move(h.held);
  if (casts_count == 0) return std::unique_ptr<HeldRows>(new HeldRows(registry, built));

  HeldRows built_rows(registry, built);
  auto casts = std::make_shared<HeldChunks>();
  QUANTA_RETURN_IF_ERROR(casts->TakeResult(
      h.connection->connection, fmt::format("SELECT {} FROM {}", cast_list, built_rows.source()),
      h.connection->out_of_memory_advice, h.connection->helpers));
  auto held = std::make_shared<HeldChunks>();
  if (built->chunks.empty() || !SameChunking(*built, *casts)) {
    // No rows (whose columns need the cast's types all the same), or DuckDB gathered the
    // cast values into chunks of other sizes: read everything through the query.
    QUANTA_RETURN_IF_ERROR(held->TakeResult(
        h.connection->connection, fmt::format("SELECT {} FROM {}", full_list, built_rows.source()),
        h.connection->out_of_memory_advice, h.connection->helpers));
    return std::unique_ptr<HeldRows>(new HeldRows(registry, std::move(held)));
  }
  // Each chunk: the built vectors, with the cast ones in place of the columns they replace.
  held->names = built->names;
  for (std::size_t i = 0; i < h.columns.size(); ++i) {
    held->types.push_back(
        cast_of[i] == kNotCast
            ? duckdb_vector_get_column_type(duckdb_data_chunk_get_vector(built->chunks.front(), i))
            : duckdb_column_logical_type(&casts->result, cast_of[i]));
  }
  for (std::size_t c = 0; c < built->chunks.size(); ++c) {
    duckdb_data_chunk chunk = duckdb_create_data_chunk(held->types.data(), held->types.size());
    for (std::size_t i = 0; i < h.columns.size(); ++i) {
      duckdb_vector from = cast_of[i] == kNotCast
                               ? duckdb_data_chunk_get_vector(built->chunks[c], i)
                               : duckdb_data_chunk_get_vector(casts->chunks[c], cast_of[i]);
      duckdb_vector_reference_vector(duckdb_data_chunk_get_vector(chunk, i), from);
    }
    duckdb_data_chunk_set_size(chunk, duckdb_data_chunk_get_size(built->chunks[c]));
    held->chunks.push_back(chunk);
  }
  held->rows = built->rows;
  held->referred = {built, casts};
  return std::unique_ptr<HeldRows>(new HeldRows(registry, std::move(held)));
}

}  // namespace quanta::engine
