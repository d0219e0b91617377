// The client of sql_bench.py's aggregation and streaming measurements: runs one query several
// times over libpq and times each run from sending the query to the last result, reading rows
// as they arrive (single-row mode, so that a 10-million-row result never sits in memory), or
// COPY ... TO STDOUT data lines. The same program reads from the node and from PostgreSQL, so
// the client's own cost is the same on both sides.
//
// Usage: libpq_reader CONNINFO rows|copy QUERY RUNS
// Prints one JSON line: {"runs": [{"seconds": S, "rows": N, "bytes": B}, ...],
// "sample": [[...], ...]} where "sample" holds the first 100 rows of the first run as text
// (rows mode only). Exits 1 with the server's message when a run fails.
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { kSampleRows = 100 };

static double Now(void) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return (double)now.tv_sec + (double)now.tv_nsec / 1e9;
}

// Writes `text` as a JSON string.
static void PrintJsonString(const char* text) {
  putchar('"');
  for (const unsigned char* c = (const unsigned char*)text; *c; ++c) {
    if (*c == '"' || *c == '\\') {
      printf("\\%c", *c);
    } else if (*c < 0x20) {
      printf("\\u%04x", *c);
    } else {
      putchar(*c);
    }
  }
  putchar('"');
}

// One run in single-row mode; appends the first rows to the sample when `sample` is set.
static int RunRows(PGconn* connection, const char* query, int sample, long long* rows,
                   long long* bytes) {
  if (!PQsendQuery(connection, query) || !PQsetSingleRowMode(connection)) {
    fprintf(stderr, "libpq_reader: cannot send the query: %s", PQerrorMessage(connection));
    return 1;
  }
  int failed = 0;
  PGresult* result;
  while ((result = PQgetResult(connection)) != NULL) {
    ExecStatusType status = PQresultStatus(result);
    if (status == PGRES_SINGLE_TUPLE) {
      int columns = PQnfields(result);
      for (int c = 0; c < columns; ++c) *bytes += PQgetlength(result, 0, c);
      if (sample && *rows < kSampleRows) {
        printf("%s[", *rows ? ", " : "");
        for (int c = 0; c < columns; ++c) {
          if (c) printf(", ");
          if (PQgetisnull(result, 0, c)) {
            printf("null");
          } else {
            PrintJsonString(PQgetvalue(result, 0, c));
          }
        }
        printf("]");
      }
      ++*rows;
    } else if (status != PGRES_TUPLES_OK) {
      fprintf(stderr, "libpq_reader: the query failed: %s", PQresultErrorMessage(result));
      failed = 1;
    }
    PQclear(result);
  }
  return failed;
}

// One run of COPY ... TO STDOUT; each PQgetCopyData call returns one data line.
static int RunCopy(PGconn* connection, const char* query, long long* rows, long long* bytes) {
  PGresult* result = PQexec(connection, query);
  if (PQresultStatus(result) != PGRES_COPY_OUT) {
    fprintf(stderr, "libpq_reader: COPY did not start: %s", PQresultErrorMessage(result));
    PQclear(result);
    return 1;
  }
  PQclear(result);
  char* line;
  int length;
  while ((length = PQgetCopyData(connection, &line, 0)) > 0) {
    *bytes += length;
    ++*rows;
    PQfreemem(line);
  }
  if (length == -2) {
    fprintf(stderr, "libpq_reader: COPY failed: %s", PQerrorMessage(connection));
    return 1;
  }
  int failed = 0;
  while ((result = PQgetResult(connection)) != NULL) {
    if (PQresultStatus(result) != PGRES_COMMAND_OK) {
      fprintf(stderr, "libpq_reader: COPY failed: %s", PQresultErrorMessage(result));
      failed = 1;
    }
    PQclear(result);
  }
  return failed;
}

int main(int argc, char** argv) {
  if (argc != 5 || (strcmp(argv[2], "rows") != 0 && strcmp(argv[2], "copy") != 0)) {
    fprintf(stderr, "usage: libpq_reader CONNINFO rows|copy QUERY RUNS\n");
    return 2;
  }
  const int copy = strcmp(argv[2], "copy") == 0;
  const char* query = argv[3];
  const int runs = atoi(argv[4]);
  PGconn* connection = PQconnectdb(argv[1]);
  if (PQstatus(connection) != CONNECTION_OK) {
    fprintf(stderr, "libpq_reader: cannot connect: %s", PQerrorMessage(connection));
    PQfinish(connection);
    return 1;
  }
  // The sample is printed while the first run reads, so that no row is kept; the timings of
  // every run follow it.
  printf("{\"sample\": [");
  double seconds[runs > 0 ? runs : 1];
  long long rows[runs > 0 ? runs : 1], bytes[runs > 0 ? runs : 1];
  for (int run = 0; run < runs; ++run) {
    rows[run] = bytes[run] = 0;
    double started = Now();
    int failed = copy ? RunCopy(connection, query, &rows[run], &bytes[run])
                      : RunRows(connection, query, run == 0, &rows[run], &bytes[run]);
    seconds[run] = Now() - started;
    if (failed) {
      PQfinish(connection);
      return 1;
    }
  }
  printf("], \"runs\": [");
  for (int run = 0; run < runs; ++run) {
    printf("%s{\"seconds\": %.6f, \"rows\": %lld, \"bytes\": %lld}", run ? ", " : "", seconds[run],
           rows[run], bytes[run]);
  }
  printf("]}\n");
  PQfinish(connection);
  return 0;
}
