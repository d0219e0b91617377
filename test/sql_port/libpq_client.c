/* A small libpq program, as a C service would use the SQL port: parameters, binary results,
 * a prepared statement, and a cancel of a running query.
 * Usage: libpq_client "host=... port=... user=... password=... dbname=..." ORDER_ID */
#include <arpa/inet.h>
#include <libpq-fe.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int fail(PGconn* conn, const char* what) {
  fprintf(stderr, "%s: %s\n", what, PQerrorMessage(conn));
  PQfinish(conn);
  return 1;
}

int main(int argc, char** argv) {
  if (argc != 3) return 2;
  PGconn* conn = PQconnectdb(argv[1]);
  if (PQstatus(conn) != CONNECTION_OK) return fail(conn, "connect");

  /* Text parameters, binary result: the quantity of one order as a big-endian int8. */
  const char* values[1] = {argv[2]};
  PGresult* result = PQexecParams(
      conn, "SELECT quantity, order_id FROM orders.orders WHERE order_id = $1", 1, NULL, values,
      NULL, NULL, 1);
  if (PQresultStatus(result) != PGRES_TUPLES_OK) return fail(conn, "execParams");
  if (PQntuples(result) != 1 || PQftype(result, 0) != 20 || PQgetlength(result, 0, 0) != 8) {
    fprintf(stderr, "unexpected result shape: %d rows, type %u, length %d\n", PQntuples(result),
            PQftype(result, 0), PQgetlength(result, 0, 0));
    return 1;
  }
  uint32_t high, low;
  memcpy(&high, PQgetvalue(result, 0, 0), 4);
  memcpy(&low, PQgetvalue(result, 0, 0) + 4, 4);
  long long quantity = ((long long)ntohl(high) << 32) | ntohl(low);
  printf("binary quantity of %s: %lld\n", PQgetvalue(result, 0, 1), quantity);
  PQclear(result);

  /* A prepared statement run twice. */
  result = PQprepare(conn, "by_status", "SELECT count(*) FROM orders.orders WHERE status = $1", 1,
                     NULL);
  if (PQresultStatus(result) != PGRES_COMMAND_OK) return fail(conn, "prepare");
  PQclear(result);
  const char* statuses[2] = {"paid", "shipped"};
  for (int i = 0; i < 2; ++i) {
    result = PQexecPrepared(conn, "by_status", 1, &statuses[i], NULL, NULL, 0);
    if (PQresultStatus(result) != PGRES_TUPLES_OK) return fail(conn, "execPrepared");
    printf("prepared %s: %s\n", statuses[i], PQgetvalue(result, 0, 0));
    PQclear(result);
  }

  /* Cancel a long query from the same process through PQcancel. */
  if (!PQsendQuery(conn, "SELECT sum(i * i) FROM range(1000000000000) t(i)")) {
    return fail(conn, "sendQuery");
  }
  usleep(500 * 1000);
  PGcancel* cancel = PQgetCancel(conn);
  char error[256];
  if (!PQcancel(cancel, error, sizeof error)) {
    fprintf(stderr, "cancel: %s\n", error);
    return 1;
  }
  PQfreeCancel(cancel);
  while ((result = PQgetResult(conn)) != NULL) {
    if (PQresultStatus(result) == PGRES_FATAL_ERROR) {
      printf("cancelled: %s %s", PQresultErrorField(result, PG_DIAG_SQLSTATE),
             PQresultErrorField(result, PG_DIAG_MESSAGE_PRIMARY));
      printf("\n");
    }
    PQclear(result);
  }
  /* The session is still usable after the cancel. */
  result = PQexec(conn, "SELECT 42");
  if (PQresultStatus(result) != PGRES_TUPLES_OK) return fail(conn, "after cancel");
  printf("after cancel: %s\n", PQgetvalue(result, 0, 0));
  PQclear(result);
  PQfinish(conn);
  return 0;
}
