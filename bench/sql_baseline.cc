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
//
// The round trips' reference: the engine's own cost of a short statement, without a network
// or a protocol. Prepares QUERY once and executes it (results materialized) over and over on
// one connection for SECONDS; with KEYS, binds $1 to a random key in [0, KEYS) each time.
// Prints {"setupSeconds": S, "statements": N, "seconds": S}.
//
// Usage: sql_baseline --statements DB_FILE SETUP QUERY SECONDS [KEYS]
#include <duckdb.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <random>
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

// Opens DB_FILE and runs SETUP on it, timed; false (with a message) when either fails.
bool OpenAndSetUp(const std::string& db_file, const std::string& setup, duckdb_database* database,
                  duckdb_connection* connection, double* setup_seconds) {
  if (duckdb_open(db_file.c_str(), database) == DuckDBError ||
      duckdb_connect(*database, connection) == DuckDBError) {
    std::fprintf(stderr, "sql_baseline: cannot open %s\n", db_file.c_str());
    return false;
  }
  duckdb_result result;
  auto started = std::chrono::steady_clock::now();
  if (duckdb_query(*connection, setup.c_str(), &result) == DuckDBError) {
    std::fprintf(stderr, "sql_baseline: setup failed: %s\n", duckdb_result_error(&result));
    return false;
  }
  duckdb_destroy_result(&result);
  *setup_seconds = SecondsSince(started);
  return true;
}

// --statements: see the comment at the top.
int RunStatements(int argc, char** argv) {
  if (argc != 6 && argc != 7) {
    std::fprintf(stderr, "usage: sql_baseline --statements DB_FILE SETUP QUERY SECONDS [KEYS]\n");
    return 2;
  }
  const std::string db_file = argv[2], setup = argv[3], query = argv[4];
  const double duration = std::atof(argv[5]);
  const long long keys = argc == 7 ? std::atoll(argv[6]) : 0;
  duckdb_database database;
  duckdb_connection connection;
  double setup_seconds = 0;
  if (!OpenAndSetUp(db_file, setup, &database, &connection, &setup_seconds)) return 1;
  duckdb_result result;
  duckdb_prepared_statement statement;
  if (duckdb_prepare(connection, query.c_str(), &statement) == DuckDBError) {
    std::fprintf(stderr, "sql_baseline: %s\n", duckdb_prepare_error(statement));
    return 1;
  }
  std::mt19937_64 random(42);
  long long statements = 0;
  auto started = std::chrono::steady_clock::now();
  double elapsed = 0;
  while (elapsed < duration) {
    if (keys > 0) {
      duckdb_bind_int64(statement, 1,
                        static_cast<int64_t>(random() % static_cast<unsigned long long>(keys)));
    }
    if (duckdb_execute_prepared(statement, &result) == DuckDBError) {
      std::fprintf(stderr, "sql_baseline: query failed: %s\n", duckdb_result_error(&result));
      return 1;
    }
    if (duckdb_row_count(&result) != 1) {
      std::fprintf(stderr, "sql_baseline: expected one row, got %llu\n",
                   static_cast<unsigned long long>(duckdb_row_count(&result)));
      return 1;
    }
    duckdb_destroy_result(&result);
    ++statements;
    if (statements % 64 == 0) elapsed = SecondsSince(started);
  }
  elapsed = SecondsSince(started);
  duckdb_destroy_prepare(&statement);
  duckdb_disconnect(&connection);
  duckdb_close(&database);
  std::printf("{\"setupSeconds\": %.6f, \"statements\": %lld, \"seconds\": %.6f}\n", setup_seconds,
              statements, elapsed);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc > 1 && std::string(argv[1]) == "--statements") return RunStatements(argc, argv);
  if (argc != 5) {
    std::fprintf(stderr, "usage: sql_baseline DB_FILE SETUP QUERY RUNS\n");
    return 2;
  }
  const std::string db_file = argv[1], setup = argv[2], query = argv[3];
  const int runs = std::atoi(argv[4]);
  duckdb_database database;
  duckdb_connection connection;
  double setup_seconds = 0;
  if (!OpenAndSetUp(db_file, setup, &database, &connection, &setup_seconds)) return 1;
  duckdb_result result;

  std::vector<double> seconds;
  // The first run's values as text, for the comparison only (not timed); nullopt for NULL.
  // duckdb_value_varchar is deprecated for strings holding NUL bytes, which these do not.
  std::vector<std::vector<std::optional<std::string>>> rows;
  for (int run = 0; run < runs; ++run) {
    auto started = std::chrono::steady_clock::now();
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
