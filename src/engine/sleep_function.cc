#include "engine/sleep_function.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <thread>

namespace quanta::engine {

void InterruptCounts::Add(idx_t connection_id) {
  std::lock_guard lock(mutex_);
  ++counts_[connection_id];
}

std::uint64_t InterruptCounts::Get(idx_t connection_id) const {
  std::lock_guard lock(mutex_);
  auto it = counts_.find(connection_id);
  return it == counts_.end() ? 0 : it->second;
}

void InterruptCounts::Forget(idx_t connection_id) {
  std::lock_guard lock(mutex_);
  counts_.erase(connection_id);
}

namespace {

// What one bound call of pg_sleep needs: whose interrupts to watch.
struct SleepBinding {
  InterruptCounts* counts;
  idx_t connection_id;
};

void BindSleep(duckdb_bind_info info) {
  auto* counts = static_cast<InterruptCounts*>(duckdb_scalar_function_bind_get_extra_info(info));
  duckdb_client_context context = nullptr;
  duckdb_scalar_function_get_client_context(info, &context);
  auto* binding = new SleepBinding{counts, duckdb_client_context_get_connection_id(context)};
  duckdb_destroy_client_context(&context);
  duckdb_scalar_function_set_bind_data(info, binding,
                                       [](void* data) { delete static_cast<SleepBinding*>(data); });
  // Plans are copied (prepared statements, parallel pipelines): each copy watches the same.
  duckdb_scalar_function_set_bind_data_copy(info, [](void* data) -> void* {
    return new SleepBinding(*static_cast<SleepBinding*>(data));
  });
}

void Sleep(duckdb_function_info info, duckdb_data_chunk input, duckdb_vector output) {
  using Clock = std::chrono::steady_clock;
  // Longer than any statement timeout, short enough that now() + it cannot overflow.
  constexpr double kLongestSleepSeconds = 1e9;
  constexpr auto kWakeEvery = std::chrono::milliseconds(10);

  const auto* binding =
      static_cast<const SleepBinding*>(duckdb_scalar_function_get_bind_data(info));
  idx_t rows = duckdb_data_chunk_get_size(input);
  duckdb_vector argument = duckdb_data_chunk_get_vector(input, 0);
  const auto* seconds = static_cast<const double*>(duckdb_vector_get_data(argument));
  const std::uint64_t* valid = duckdb_vector_get_validity(argument);
  duckdb_vector_ensure_validity_writable(output);
  std::uint64_t* output_valid = duckdb_vector_get_validity(output);
  const std::uint64_t interrupts = binding->counts->Get(binding->connection_id);
  for (idx_t row = 0; row < rows; ++row) {
    if (valid != nullptr && !duckdb_validity_row_is_valid(const_cast<std::uint64_t*>(valid), row)) {
      duckdb_validity_set_row_invalid(output_valid, row);
      continue;
    }
    if (seconds[row] > 0) {  // false for NaN
      const Clock::time_point until =
          Clock::now() + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(
                             std::min(seconds[row], kLongestSleepSeconds)));
      for (Clock::time_point now = Clock::now(); now < until; now = Clock::now()) {
        if (binding->counts->Get(binding->connection_id) != interrupts) {
          duckdb_scalar_function_set_error(info, std::string(kSleepInterrupted).c_str());
          return;
        }
        std::this_thread::sleep_for(std::min<Clock::duration>(until - now, kWakeEvery));
      }
    }
    duckdb_vector_assign_string_element_len(output, row, "", 0);
  }
}

}  // namespace

Status RegisterSleepFunction(duckdb_connection connection, InterruptCounts* counts) {
  duckdb_scalar_function function = duckdb_create_scalar_function();
  duckdb_scalar_function_set_name(function, "pg_sleep");
  duckdb_logical_type seconds = duckdb_create_logical_type(DUCKDB_TYPE_DOUBLE);
  duckdb_scalar_function_add_parameter(function, seconds);
  duckdb_destroy_logical_type(&seconds);
  duckdb_logical_type result = duckdb_create_logical_type(DUCKDB_TYPE_VARCHAR);
  duckdb_scalar_function_set_return_type(function, result);
  duckdb_destroy_logical_type(&result);
  // Volatile: never folded into a constant while the statement is planned. Special handling:
  // the function sees its NULLs (and answers NULL for them) rather than DuckDB's default.
  duckdb_scalar_function_set_volatile(function);
  duckdb_scalar_function_set_special_handling(function);
  duckdb_scalar_function_set_extra_info(function, counts, nullptr);
  duckdb_scalar_function_set_bind(function, BindSleep);
  duckdb_scalar_function_set_function(function, Sleep);
  duckdb_state state = duckdb_register_scalar_function(connection, function);
  duckdb_destroy_scalar_function(&function);
  if (state != DuckDBSuccess) return Status::Internal("DuckDB refused to register pg_sleep");
  return Status::Ok();
}

}  // namespace quanta::engine
