// The ingest baseline of node_bench.py: DuckDB's own bulk loader, read_ndjson, loading an NDJSON
// file into a table of a given schema in a database file, then CHECKPOINT so that the rows are
// durable in the file. Prints one JSON line: {"rows": N, "seconds": S, "loadSeconds": L,
// "checkpointSeconds": C}. Like the node's time, which starts once the product is deployed, the
// time starts once the database is open and the empty table exists: it covers the load and the
// checkpoint.
//
// Usage: ndjson_baseline DB_FILE NDJSON_FILE TABLE COLUMNS THREADS [BATCH_FILE...]
//   COLUMNS is a DuckDB struct literal naming each column's type, e.g. {'id': 'VARCHAR'};
//   the table is created with those columns in that order. THREADS 0 keeps DuckDB's default.
//   With BATCH_FILEs, NDJSON_FILE only gives the table its schema: each batch file is loaded
//   in a transaction of its own, committed (durable in the write-ahead log) before the next
//   one starts, which is the durability the node gives every acknowledged request; the
//   CHECKPOINT follows the last one.
#include <duckdb.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace {

// Runs `sql` and returns true, or prints DuckDB's error naming the statement and returns false.
bool Run(duckdb_connection connection, const std::string& sql, duckdb_result* result) {
  if (duckdb_query(connection, sql.c_str(), result) == DuckDBError) {
    std::fprintf(stderr, "ndjson_baseline: %s\n  in: %s\n", duckdb_result_error(result),
                 sql.c_str());
    duckdb_destroy_result(result);
    return false;
  }
  return true;
}

// Doubles every single quote so that `text` can sit inside a SQL string literal.
std::string QuoteLiteral(const std::string& text) {
  std::string quoted = "'";
  for (char c : text) {
    quoted += c;
    if (c == '\'') quoted += '\'';
  }
  return quoted + "'";
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 6) {
    std::fprintf(stderr,
                 "usage: ndjson_baseline DB_FILE NDJSON_FILE TABLE COLUMNS THREADS "
                 "[BATCH_FILE...]\n");
    return 2;
  }
  const std::string db_file = argv[1], ndjson_file = argv[2], table = argv[3], columns = argv[4];
  const int threads = std::atoi(argv[5]);

  duckdb_database database;
  char* open_error = nullptr;
  duckdb_config config;
  duckdb_create_config(&config);
  if (threads > 0) duckdb_set_config(config, "threads", std::to_string(threads).c_str());
  if (duckdb_open_ext(db_file.c_str(), &database, config, &open_error) == DuckDBError) {
    std::fprintf(stderr, "ndjson_baseline: cannot open %s: %s\n", db_file.c_str(),
                 open_error ? open_error : "unknown error");
    duckdb_free(open_error);
    duckdb_destroy_config(&config);
    return 1;
  }
  duckdb_destroy_config(&config);
  duckdb_connection connection;
  if (duckdb_connect(database, &connection) == DuckDBError) {
    std::fprintf(stderr, "ndjson_baseline: cannot connect to %s\n", db_file.c_str());
    duckdb_close(&database);
    return 1;
  }

  // The table takes its column types from the same struct literal that read_ndjson is given.
  duckdb_result result;
  auto reader = [&](const std::string& file) {
    return "read_ndjson(" + QuoteLiteral(file) + ", columns = " + columns +
           ", format = 'newline_delimited')";
  };
  const std::string source = reader(ndjson_file);
  bool ok = Run(connection,
                "CREATE TABLE \"" + table + "\" AS SELECT * FROM " + source + " LIMIT 0", &result);
  auto started = std::chrono::steady_clock::now();
  if (ok) {
    duckdb_destroy_result(&result);
    started = std::chrono::steady_clock::now();
  }
  idx_t rows = 0;
  if (ok && argc == 6) {
    ok = Run(connection, "INSERT INTO \"" + table + "\" SELECT * FROM " + source, &result);
    if (ok) {
      rows = duckdb_rows_changed(&result);
      duckdb_destroy_result(&result);
    }
  }
  // Each statement outside BEGIN is its own transaction, committed when it returns.
  for (int batch = 6; ok && batch < argc; ++batch) {
    ok = Run(connection, "INSERT INTO \"" + table + "\" SELECT * FROM " + reader(argv[batch]),
             &result);
    if (ok) {
      rows += duckdb_rows_changed(&result);
      duckdb_destroy_result(&result);
    }
  }
  auto loaded = std::chrono::steady_clock::now();
  if (ok) {
    ok = Run(connection, "CHECKPOINT", &result);
    if (ok) duckdb_destroy_result(&result);
  }
  auto finished = std::chrono::steady_clock::now();
  duckdb_disconnect(&connection);
  duckdb_close(&database);
  if (!ok) return 1;

  auto seconds = [](auto from, auto to) {
    return std::chrono::duration<double>(to - from).count();
  };
  std::printf(
      "{\"rows\": %llu, \"seconds\": %.6f, \"loadSeconds\": %.6f, \"checkpointSeconds\": %.6f}\n",
      static_cast<unsigned long long>(rows), seconds(started, finished), seconds(started, loaded),
      seconds(loaded, finished));
  return 0;
}
