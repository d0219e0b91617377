// The in-process baseline of sql_bench.py's aggregation: DuckDB itself, through its C API, in
// this process, on a database file holding the same rows the node serves. Runs SETUP (the
// load, timed once), then QUERY RUNS times, each timed from the call until the whole result
// is materialized. Prints one JSON line: {"setupSeconds": S, "seconds": [S, ...],
// "rows": [[...], ...]}, "rows" being the first run's result as text for sql_bench.py to
// compare with the node's and PostgreSQL's.
//
// Usage: sql_baseline DB_FILE SETUP QUERY RUNS
//   SETUP is one or more SQL statements (e.g. CREATE TABLE ... AS SELECT * FROM read_csv(...));
//   DuckDB's default threads, like the node's instance.
#include <duckdb.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

namespace {

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// Writes `text` as a JSON string.
void PrintJsonString(const char* text) {
  std::putchar('"');
  for (const char* c = text; *c; ++c) {
    if (*c == '"' || *c == '\\') {
      std::printf("\\%c", *c);
    } else if (static_cast<unsigned char>(*c) < 0x20) {
      std::printf("\\u%04x", static_cast<unsigned char>(*c));
    } else {
      std::putchar(*c);
    }
  }
  std::putchar('"');
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 5) {
    std::fprintf(stderr, "usage: sql_baseline DB_FILE SETUP QUERY RUNS\n");
    return 2;
  }
  const std::string db_file = argv[1], setup = argv[2], query = argv[3];
  const int runs = std::atoi(argv[4]);
  duckdb_database database;
  duckdb_connection connection;
  if (duckdb_open(db_file.c_str(), &database) == DuckDBError ||
      duckdb_connect(database, &connection) == DuckDBError) {
    std::fprintf(stderr, "sql_baseline: cannot open %s\n", db_file.c_str());
    return 1;
  }
  duckdb_result result;
  auto started = std::chrono::steady_clock::now();
  if (duckdb_query(connection, setup.c_str(), &result) == DuckDBError) {
    std::fprintf(stderr, "sql_baseline: setup failed: %s\n", duckdb_result_error(&result));
    return 1;
  }
  duckdb_destroy_result(&result);
  const double setup_seconds = SecondsSince(started);

  std::vector<double> seconds;
  // The first run's values as text, for the comparison only (not timed); nullopt for NULL.
  // duckdb_value_varchar is deprecated for strings holding NUL bytes, which these do not.
  std::vector<std::vector<std::optional<std::string>>> rows;
  for (int run = 0; run < runs; ++run) {
    started = std::chrono::steady_clock::now();
    if (duckdb_query(connection, query.c_str(), &result) == DuckDBError) {
      std::fprintf(stderr, "sql_baseline: query failed: %s\n", duckdb_result_error(&result));
      return 1;
    }
    seconds.push_back(SecondsSince(started));
    for (idx_t row = 0; run == 0 && row < duckdb_row_count(&result); ++row) {
      rows.emplace_back();
      for (idx_t column = 0; column < duckdb_column_count(&result); ++column) {
        char* text = duckdb_value_is_null(&result, column, row)
                         ? nullptr
                         : duckdb_value_varchar(&result, column, row);
        rows.back().push_back(text ? std::optional<std::string>(text) : std::nullopt);
        duckdb_free(text);
      }
    }
    duckdb_destroy_result(&result);
  }
  duckdb_disconnect(&connection);
  duckdb_close(&database);

  std::printf("{\"setupSeconds\": %.6f, \"seconds\": [", setup_seconds);
  for (std::size_t i = 0; i < seconds.size(); ++i) {
    std::printf("%s%.6f", i ? ", " : "", seconds[i]);
  }
  std::printf("], \"rows\": [");
  for (std::size_t row = 0; row < rows.size(); ++row) {
    std::printf("%s[", row ? ", " : "");
    for (std::size_t column = 0; column < rows[row].size(); ++column) {
      if (column) std::printf(", ");
      if (rows[row][column]) {
        PrintJsonString(rows[row][column]->c_str());
      } else {
        std::printf("null");
      }
    }
    std::printf("]");
  }
  std::printf("]}\n");
  return 0;
}
