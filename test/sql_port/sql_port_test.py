#!/usr/bin/env python3
"""The SQL port as its users meet it: real PostgreSQL clients against a running node.

Usage: sql_port_test.py QUANTA_BINARY

Starts `quanta node` with two principals (`analyst`, signing in with SCRAM-SHA-256, and `dev`,
trusted) and bearer authentication on its HTTP API (the same principals), deploys the orders
and customers example products, ingests a few known events over HTTP, and then drives the SQL
port with each client in its own process: psql (queries, \\dn, \\dt, \\d+ with the contracts'
descriptions, \\du, \\l+, \\dp, \\dconfig and the other backslash commands, COPY TO STDOUT,
time travel, FETCH_COUNT), a libpq C program (binary results, a prepared statement, PQcancel),
psycopg2 and psycopg 3 (named cursors, server-side
parameters, binary), asyncpg (binary protocol), SQLAlchemy's inspector with pandas read_sql,
pgjdbc (DatabaseMetaData) and the npm `pg` client, and TLS (sslmode=require). Hostile queries must
be refused with SQLSTATE 42501 or 0A000 while the node keeps serving; a wrong password, an
unknown user, too many connections, an idle session and a statement past its timeout get
PostgreSQL's errors; a client killed mid-statement has its statement cancelled.

Prints one line per check and a closing 'N passed, N failed'; exits 1 when a check failed.
"""

import decimal
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import textwrap
import threading
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from checks import Checks  # noqa: E402
from running_node import RunningNode, run_with_node  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
PASSWORD = "correct horse battery staple"
# The system's python, where Debian's client packages (psycopg2, asyncpg, ...) live.
SYSTEM_PYTHON = "/usr/bin/python3"

CHECKS = Checks()
check = CHECKS.check


def run(command, env=None, timeout=60, stdin=None):
    """Runs a client; returns (exit code, stdout + stderr)."""
    merged = dict(os.environ)
    merged.update(env or {})
    try:
        done = subprocess.run(command, capture_output=True, text=True, env=merged,
                              timeout=timeout, input=stdin)
    except subprocess.TimeoutExpired as error:
        return 124, f"timed out after {timeout} s: {error}"
    return done.returncode, done.stdout + done.stderr


TOKEN = "analyst:" + PASSWORD  # the HTTP port's bearer token of the same principal


def http(method, url, body=None, content_type="application/json", token=TOKEN):
    headers = {"Content-Type": content_type}
    if token:
        headers["Authorization"] = "Bearer " + token
    request = urllib.request.Request(url, data=body, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


class Node(RunningNode):
    def __init__(self, quanta, work):
        verifier = subprocess.run([quanta, "scram-verifier", "--password-stdin"],
                                  input=PASSWORD + "\n", capture_output=True, text=True,
                                  check=True).stdout.strip()
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                        "-subj", "/CN=localhost", "-keyout", os.path.join(work, "key.pem"),
                        "-out", os.path.join(work, "cert.pem")], capture_output=True, check=True)
        super().__init__(quanta, work, textwrap.dedent(f"""\
                dataDir: data
                http: {{listen: "127.0.0.1:0", auth: bearer}}
                sql:
                  listen: "127.0.0.1:0"
                  maxConnections: 12
                  idleTimeout: 4s
                  statementTimeout: 3s
                  tls: {{certificate: cert.pem, key: key.pem}}
                principals:
                  - name: analyst
                    scram: "{verifier}"
                    groups: [analysts, orders-reader, customers-reader]
                  - name: dev
                    trust: true
                """))

    def dsn(self, user="analyst", password=PASSWORD):
        return (f"host=127.0.0.1 port={self.sql_port} user={user} password='{password}' "
                "dbname=quanta")



def order_event(event_id, order, event_type, amount, when, customer="c-1"):
    return json.dumps({"event_id": event_id, "order_id": order, "customer_id": customer,
                       "event_type": event_type, "product_id": "p-1", "category": "books",
                       "quantity": 2, "amount": amount, "occurred_at": when})


def load_products(node):
    for product in ("orders/orders", "customers/demographics"):
        code, output = run([node.quanta, "deploy", os.path.join(REPO, "examples", product),
                            "--node", node.url], env={"QUANTA_TOKEN": TOKEN})
        if code != 0:
            raise RuntimeError(f"deploy {product}: {output}")
    customers = [
        {"customer_id": "c-1", "email": "jane.doe@example.com", "birth_date": "1990-06-15",
         "country": "DE", "gender": "female", "income_band": "high",
         "updated_at": "2026-03-01T02:00:00Z"},
        {"customer_id": "c-2", "email": "li.ming@example.org", "birth_date": "1975-01-02",
         "country": "FR", "gender": "male", "income_band": "low",
         "updated_at": "2026-03-01T02:00:00Z"},
    ]
    status, body = http("POST", f"{node.url}/v1/products/customers/demographics/ports/"
                        "demographic_drops/events",
                        "\n".join(json.dumps(c) for c in customers).encode(),
                        "application/x-ndjson")
    if status != 200:
        raise RuntimeError(f"customers ingest: {status} {body}")
    batches = [
        [order_event("e1", "o-1", "created", 10.5, "2026-03-01T10:00:00Z"),
         order_event("e2", "o-2", "created", 20.25, "2026-03-01T10:01:00Z", "c-2"),
         order_event("e3", "o-3", "created", 5, "2026-03-01T10:02:00Z")],
        [order_event("e4", "o-1", "paid", 10.5, "2026-03-01T11:00:00Z"),
         order_event("e5", "o-3", "cancelled", 5, "2026-03-01T11:05:00Z"),
         order_event("e6", "o-9", "lost", 1, "2026-03-01T11:06:00Z")],  # a dead letter
    ]
    for batch in batches:
        status, body = http("POST", f"{node.url}/v1/products/orders/orders/ports/order_events/"
                            "events", "\n".join(batch).encode(), "application/x-ndjson")
        if status != 200:
            raise RuntimeError(f"orders ingest: {status} {body}")
    status, body = http("GET", f"{node.url}/v1/products/orders/orders")
    return json.loads(body)["head"]["version"]


def psql(node, *commands, user="analyst", password=PASSWORD, extra=()):
    arguments = ["psql", "-X", "-v", "ON_ERROR_STOP=0", "-v", "VERBOSITY=verbose",
                 "-h", "127.0.0.1", "-p", str(node.sql_port), "-U", user, "-d", "quanta",
                 *extra]
    for command in commands:
        arguments += ["-c", command]
    return run(arguments, env={"PGPASSWORD": password, "PGCONNECT_TIMEOUT": "10"})


def test_psql(node, head):
    code, out = psql(node, "SELECT order_id, status, amount FROM orders.orders ORDER BY 1",
                     extra=["-A", "-t", "-F", ","])
    check("psql reads the current orders", code == 0 and out.split() ==
          ["o-1,paid,10.50", "o-2,created,20.25", "o-3,cancelled,5.00"], out)
    code, out = psql(node, "SELECT order_id, status FROM orders.orders AT (VERSION => 1) "
                     "ORDER BY 1", extra=["-A", "-t", "-F", ","])
    check("time travel: AT (VERSION => 1) shows the orders as first created",
          code == 0 and out.split() == ["o-1,created", "o-2,created", "o-3,created"], out)
    code, out = psql(node, "SELECT count(*) FROM orders.orders AT (VERSION => 1.5)",
                     "WITH x AS (SELECT 1) SELECT * FROM x AT (VERSION => 1)")
    check("time travel: a version that is not a whole number, and AT on a CTE, say why",
          "needs a whole number" in out and "applies to datasets" in out, out)
    code, out = psql(node, "SELECT count(*) FROM orders.orders AT (TIMESTAMP => "
                     "TIMESTAMPTZ '2000-01-01 00:00:00+00')", extra=["-A", "-t"])
    check("time travel before the first commit reads version 0 (no rows) or says why",
          (code == 0 and out.strip() == "0") or "retention" in out or "older" in out, out)
    code, out = psql(node, "SELECT c.age_group, count(*) AS orders, sum(o.amount) AS spent "
                     "FROM orders.orders o JOIN demographics.customers c USING (customer_id) "
                     "GROUP BY 1 ORDER BY 1", extra=["-A", "-t", "-F", ","])
    check("one query joins two products", code == 0 and out.split() ==
          ["35-44,2,15.50", "45-54,1,20.25"], out)
    code, out = psql(node, "SELECT 1 AS a; SELECT 'two' AS b", extra=["-A", "-t"])
    check("several statements in one query message", code == 0 and out.split() == ["1", "two"],
          out)
    code, out = psql(node, "\\dn")
    check("\\dn lists the products' schemas", code == 0 and "orders" in out and
          "demographics" in out and "pg_catalog" not in out, out)
    code, out = psql(node, "\\dt *.*")
    check("\\dt lists the datasets as tables", code == 0 and
          re.search(r"orders\s*\|\s*orders\s*\|\s*table", out) and
          re.search(r"demographics\s*\|\s*customers\s*\|\s*table", out), out)
    code, out = psql(node, "\\d+ orders.orders")
    check("\\d+ shows columns, types and the contract's descriptions", code == 0 and
          re.search(r"amount\s*\|\s*numeric\(12,2\)", out) and
          "Identifier of the order." in out, out)
    code, out = psql(node, "COPY (SELECT order_id, amount FROM orders.orders ORDER BY 1) "
                     "TO STDOUT WITH (FORMAT csv, HEADER)")
    check("COPY ... TO STDOUT (csv)", code == 0 and out.split() ==
          ["order_id,amount", "o-1,10.50", "o-2,20.25", "o-3,5.00"], out)
    code, out = psql(node, "COPY (SELECT 1 AS a, NULL AS b) TO STDOUT WITH (FORMAT csv, "
                     "NULL 'NULL')", "COPY (SELECT 1 AS a, NULL AS b) TO STDOUT (NULL 'ZZ')",
                     "COPY (SELECT 1 AS a, 'x' AS b) TO STDOUT (FORMAT csv, FORCE_QUOTE *)",
                     "COPY orders.orders (order_id, amount) TO STDOUT WITH csv")
    lines = out.splitlines()
    check("COPY honours NULL, FORCE_QUOTE and a table's column list",
          code == 0 and lines[:3] == ["1,NULL", "1\tZZ", '"1","x"'] and
          sorted(lines[3:]) == ["o-1,10.50", "o-2,20.25", "o-3,5.00"], out)
    for command, sqlstate, words in [
            ("COPY (SELECT 1) TO STDOUT (FORMAT json)", "22023", 'format "json"'),
            ("COPY (SELECT 1) TO STDOUT (FORMAT parquet)", "22023", 'format "parquet"'),
            ("COPY (SELECT 1) TO STDOUT (bogus 1)", "42601", 'option "bogus"'),
            ("COPY orders.orders FROM STDIN", "0A000", "read-only")]:
        code, out = psql(node, command)
        check(f"COPY refuses what it does not do, naming it: {command}",
              sqlstate in out and words in out, out)
    code, out = psql(node, "SELECT port, reason FROM orders._dead_letters",
                     "SELECT count(*) FROM orders._dead_letters AT (VERSION => 1)",
                     extra=["-A", "-t", "-F", ","])
    check("the rejected event is in orders._dead_letters, with time travel", code == 0 and
          out.splitlines() == ['order_events,event_type: "lost" is not one of the allowed values '
                               '("created", "paid", "shipped", "cancelled")', "0"], out)
    code, out = psql(node, "\\dt orders.*")
    check("\\dt lists the dead letters beside the datasets", code == 0 and
          re.search(r"orders\s*\|\s*_dead_letters\s*\|\s*table", out), out)
    code, out = psql(node, "SELECT missing FROM orders.orders")
    check("an unknown column is 42703 and names it", "42703" in out and "missing" in out, out)
    code, out = psql(node, "SELECT * FROM orders.nothing")
    check("an unknown dataset is 42P01 and lists the datasets", "42P01" in out and
          "orders.orders" in out, out)
    code, out = psql(node, "SELEC 1")
    check("a syntax error is 42601", "42601" in out, out)
    code, out = psql(node, "SELECT sum(quantity) FROM orders.orders WHERE quantity > 'two'",
                     "SELECT '99999999999'::int",
                     "SELECT status, count(*) FROM orders.orders GROUP BY order_id")
    check("DuckDB's errors read as PostgreSQL's: a bad cast 22P02 and 22003 in its words, "
          "42803 outside GROUP BY with DuckDB's advice as the HINT, no DuckDB error class",
          'ERROR:  22P02: invalid input syntax for type bigint: "two"' in out and
          'ERROR:  22003: value "99999999999" is out of range for type integer' in out and
          "HINT:  Either add it to the GROUP BY list" in out and "42803" in out and
          "Binder Error" not in out and "Conversion Error" not in out, out)
    code, out = psql(node, "SELECT 'first ran' AS probe; SELEC 2; SELECT 3")
    check("a syntax error in a later statement of a Query runs none of it, as in PostgreSQL",
          "42601" in out and "(1 row)" not in out and 'near "SELEC"' in out, out)
    code, out = psql(node, "SELECT 'first ran' AS probe; SELECT * FROM orders.nothing")
    check("an unknown table in a later statement fails only that one, as in PostgreSQL",
          "42P01" in out and "(1 row)" in out, out)
    code, out = psql(node, "SELECT 'a' || chr(0) || 'b' AS joined",
                     "COPY (SELECT 'a' || chr(0) AS joined) TO STDOUT")
    check("text holding a NUL byte is refused (54000), naming the column, never cut short",
          out.count("54000") == 2 and 'column "joined"' in out and
          not re.search(r"^\s*a\s*$", out, re.M), out)
    code, out = psql(node, "SELECT current_database(), current_schema(), current_user, "
                     "session_user, user", extra=["-A", "-t"])
    check("current_database(), current_schema() and current_user name the connection",
          code == 0 and out.strip() == "quanta|public|analyst|analyst|analyst", out)
    test_psql_backslash_commands(node)
    code, out = psql(node, "SHOW server_version", "SET application_name = 'report'",
                     "SHOW application_name", "BEGIN", "SELECT 1", "COMMIT",
                     extra=["-A", "-t"])
    check("session commands: SHOW, SET, BEGIN/COMMIT", code == 0 and "report" in out and
          "15.0" in out, out)



def test_psql_backslash_commands(node):
    """psql's describe commands answer as PostgreSQL 15's psql expects, with the node's truth."""
    code, out = psql(node, "\\du")
    check("\\du lists the principals and their groups as roles", code == 0 and
          re.search(r"^\s*analyst\s*\|\s*\|\s*\{analysts,customers-reader,orders-reader\}", out,
                    re.M) and re.search(r"^\s*dev\s*\|", out, re.M) and
          re.search(r"^\s*orders-reader\s*\|\s*Cannot login", out, re.M) and
          "SCRAM" not in out, out)
    code, out = psql(node, "SELECT attname FROM pg_catalog.pg_attribute WHERE attrelid = "
                           "'orders.orders'::regclass AND attnum > 0 ORDER BY attnum LIMIT 2; "
                           "SELECT to_regclass('\"orders\".\"orders\"') = "
                           "'ORDERS.orders'::regclass, to_regclass('orders.nope') IS NULL",
                     extra=["-A", "-t"])
    check("'schema.dataset'::regclass and to_regclass find a dataset's OID, NULL for none",
          code == 0 and out.split() == ["order_id", "customer_id", "t|t"], out)
    code, out = psql(node, "SET search_path = customers, orders",
                     "SELECT 'orders'::regclass = 'orders.orders'::regclass, "
                     "to_regclass('Orders') = to_regclass('orders.orders')",
                     "SET search_path = public", "SELECT to_regclass('orders') IS NULL",
                     extra=["-A", "-t"])
    check("an unqualified ::regclass or to_regclass looks in the session's search_path",
          code == 0 and out.split() == ["SET", "t|t", "SET", "t"], out)
    code, out = psql(node, "SELECT 'orders.nope'::regclass")
    check("a ::regclass cast of a name that finds nothing is 42P01, as in PostgreSQL",
          "42P01" in out and 'relation "orders.nope" does not exist' in out and
          "quanta-pg-error" not in out, out)
    code, out = psql(node, "SELECT '\\x0g'::bytea")
    check("a bytea literal with a bad hex digit is PostgreSQL's 22023, in its words",
          "22023" in out and 'invalid hexadecimal digit: "g"' in out and
          "quanta-pg-error" not in out, out)
    code, out = psql(node, "\\sv orders.orders")
    check("\\sv of a dataset says it is not a view", "\"orders.orders\" is not a view" in out, out)
    code, out = psql(node, "\\dg+")
    check("\\dg+ lists the same roles", code == 0 and "orders-reader" in out and
          "analyst" in out, out)
    code, out = psql(node, "\\l+")
    size = re.search(r"^\s*quanta\s*\|.*\|\s*(\d+) (bytes|kB|MB)\s*\|\s*pg_default", out, re.M)
    check("\\l+ lists the database with the size of its products' stores", code == 0 and
          size and int(size.group(1)) > 0, out)
    code, out = psql(node, "\\dp")
    check("\\dp lists the datasets the reader reads with the roles that grant them",
          code == 0 and re.search(r"orders\s*\|\s*orders\s*\|\s*table\s*\|\s*\"orders-reader\""
                                  r"=r/quanta", out) and
          re.search(r"demographics\s*\|\s*customers\s*\|\s*table", out), out)
    code, out = psql(node, "\\z orders.*", user="dev", password="")
    check("\\z lists no dataset to a principal granted none", code == 0 and
          "(0 rows)" in out and "orders-reader" not in out, out)
    code, out = psql(node, "\\dconfig")
    check("\\dconfig shows the session's settings and nothing of the node's configuration",
          code == 0 and re.search(r"TimeZone\s*\|\s*UTC", out) and
          re.search(r"default_transaction_read_only\s*\|\s*on", out) and
          not re.search(r"^\s*(data_directory|config_file|port|listen_addresses)\s*\|", out,
                        re.M), out)
    code, out = psql(node, "SELECT current_setting('data_directory')")
    check("current_setting() of a name the session does not report stays refused",
          "42501" in out and "only the session's settings" in out, out)
    empty = ["\\df", "\\dD", "\\dd", "\\dc", "\\dC", "\\dy", "\\dL", "\\dF", "\\des", "\\do",
             "\\dl", "\\lo_list", "\\dX"]
    code, out = psql(node, *empty)
    check("\\df, \\dD, \\dd, \\dc, \\dC, \\dy, \\dL, \\dF, \\des, \\do, \\dl, \\lo_list and \\dX "
          "list nothing, as on a database without such objects",
          code == 0 and "ERROR" not in out and out.count("(0 rows)") == len(empty), out)
    code, out = psql(node, "\\drds")
    check("\\drds finds no per-role settings", code == 0 and "Did not find any settings" in out,
          out)
    # \\sf prints the message only; the SQLSTATE shows on the query it sends.
    code, out = psql(node, "\\sf abs", "SELECT 'abs'::pg_catalog.regproc::pg_catalog.oid")
    check("\\sf of a function the catalogs do not list says it does not exist (42883)",
          out.count('Function "abs" does not exist') == 2 and "42883" in out and
          "Conversion Error" not in out, out)


HOSTILE = [
    ("INSERT INTO orders.orders VALUES ('x')", "0A000"),
    ("UPDATE orders.orders SET amount = 0", "0A000"),
    ("DELETE FROM orders.orders", "0A000"),
    ("DROP TABLE orders.orders", "0A000"),
    ("CREATE TABLE t (a INT)", "0A000"),
    ("ATTACH '/tmp/x.duckdb' AS x", "0A000"),
    ("COPY orders.orders TO '/tmp/stolen.csv'", "0A000"),
    ("INSTALL httpfs", "0A000"),
    ("LOAD httpfs", "0A000"),
    ("SET threads = 1", "0A000"),
    ("PRAGMA database_list", "0A000"),
    ("CALL pragma_version()", "0A000"),
    ("SELECT * FROM read_csv('/etc/passwd')", "42501"),
    ("SELECT * FROM '/etc/passwd'", "42501"),
    ("SELECT * FROM read_text('/etc/hostname')", "42501"),
    ("SELECT * FROM glob('/*')", "42501"),
    ("SELECT * FROM duckdb_tables()", "42501"),
    ("SELECT * FROM duckdb_databases()", "42501"),
    ("SELECT current_setting('allowed_directories')", "42501"),
    ("SELECT current_query() FROM demographics.customers LIMIT 1", "42501"),
    ("SELECT json_serialize_plan('SELECT 1')", "42501"),
    ("SELECT * FROM query('SELECT 1')", "42501"),
    ("SELECT count(*) FROM orders.orders WHERE EXISTS (SELECT * FROM read_blob('/etc/shadow'))",
     "42501"),
]


def test_sandbox(node):
    import psycopg2
    connection = psycopg2.connect(node.dsn())
    connection.autocommit = True
    for sql, sqlstate in HOSTILE:
        cursor = connection.cursor()
        try:
            cursor.execute(sql)
            check(f"refused: {sql}", False, f"accepted: {cursor.fetchall()}")
        except psycopg2.Error as error:
            check(f"refused with {sqlstate}: {sql}", error.pgcode == sqlstate,
                  f"{error.pgcode} {error}")
    # A store's own tables cannot be reached by any catalog name.
    cursor = connection.cursor()
    cursor.execute("SELECT table_schema, table_name FROM information_schema.tables "
                   "ORDER BY 1, 2")
    listed = cursor.fetchall()
    # The principal reads customers masked, so not its dead letters (raw records).
    check("information_schema lists the datasets, the dead letters and nothing of the stores",
          listed == [("demographics", "customers"), ("orders", "_dead_letters"),
                     ("orders", "orders")], listed)
    cursor.execute("SELECT count(*) FROM orders.orders")
    check("the node keeps serving after the refusals", cursor.fetchone()[0] == 3)
    connection.close()


def test_libpq(node, work):
    source = os.path.join(HERE, "libpq_client.c")
    binary = os.path.join(work, "libpq_client")
    code, out = run(["cc", "-o", binary, source, "-I/usr/include/postgresql", "-lpq"])
    if code != 0:
        check("the libpq client builds", False, out)
        return
    code, out = run([binary, node.dsn(), "o-1"], timeout=60)
    check("libpq: binary int8 result, prepared statement, PQcancel", code == 0 and
          "binary quantity of o-1: 2" in out and "prepared paid: 1" in out and
          "cancelled: 57014 canceling statement due to user request" in out and
          "after cancel: 42" in out, out)


CLIENTS = r'''
import asyncio, decimal, datetime, json, sys
port, password = int(sys.argv[1]), sys.argv[2]
out = {}
import psycopg2
c = psycopg2.connect(host="127.0.0.1", port=port, user="analyst", password=password,
                     dbname="quanta")
cur = c.cursor()
cur.execute("SELECT order_id, amount, updated_at FROM orders.orders WHERE order_id = %s",
            ("o-2",))
row = cur.fetchone()
out["psycopg2"] = [row[0], str(row[1]), row[2].isoformat()]
# psycopg2 sends bytes as PostgreSQL's hex literal, '\x0102ff'::bytea, in the query text.
cur.execute("SELECT octet_length(%s), %s", (b"\x01\x02\xff", b"a\\b"))
size, echoed = cur.fetchone()
out["psycopg2_bytea"] = [size, bytes(echoed).hex()]
c.close()
import psycopg
with psycopg.connect(host="127.0.0.1", port=port, user="analyst", password=password,
                     dbname="quanta") as c:
    rows = c.execute("SELECT order_id FROM orders.orders WHERE amount > %s ORDER BY 1",
                     (decimal.Decimal("6"),), prepare=True).fetchall()
    out["psycopg3"] = [r[0] for r in rows]
    with c.cursor(binary=True) as cur:
        cur.execute("SELECT amount, updated_at, quantity, true, DATE '2024-02-29', "
                    "[1, 2, NULL], 2.5::DOUBLE, INTERVAL '1 day 2 hours', "
                    "'b1a3c4d5-0000-4000-8000-000000000001'::UUID "
                    "FROM orders.orders WHERE order_id = %s", ("o-1",))
        r = cur.fetchone()
        out["psycopg3_binary"] = [str(r[0]), r[1].isoformat(), r[2], r[3], r[4].isoformat(),
                                  r[5], r[6], str(r[7]), str(r[8])]
    with c.cursor() as cur:
        with cur.copy("COPY (SELECT order_id, amount, quantity, updated_at FROM orders.orders "
                      "ORDER BY 1) TO STDOUT (FORMAT BINARY)") as copy:
            copy.set_types(["text", "numeric", "int8", "timestamptz"])
            out["copy_binary"] = [[r[0], str(r[1]), r[2], r[3].isoformat()] for r in copy.rows()]
    # A table function whose argument is a server-side parameter: DuckDB binds it only with
    # the value, so the columns are found another way before Describe.
    rows = c.execute("SELECT x, x * 2 AS twice FROM generate_series(1, %s) g(x) "
                     "WHERE x > %s", (3, 1), prepare=True).fetchall()
    out["range_parameter"] = [list(r) for r in rows]
    # A list as a server-side parameter: text, then binary.
    out["array_parameters"] = [
        [r[0] for r in c.execute("SELECT order_id FROM orders.orders WHERE order_id = ANY(%s) "
                                 "ORDER BY 1", (["o-1", "o-3"],), prepare=True).fetchall()],
        c.execute("SELECT %t::int[], %b", ([1, None, 3], [2.5, 4.0])).fetchone()]
import asyncpg
async def main():
    conn = await asyncpg.connect(host="127.0.0.1", port=port, user="analyst",
                                 password=password, database="quanta")
    rows = await conn.fetch("SELECT order_id, amount FROM orders.orders WHERE status = $1 "
                            "ORDER BY 1", "created")
    out["asyncpg"] = [[r["order_id"], str(r["amount"])] for r in rows]
    await conn.close()
asyncio.run(main())
print(json.dumps(out))
'''

SQLALCHEMY = r'''
import json, sys
import pandas
import sqlalchemy
port, password = int(sys.argv[1]), sys.argv[2]
engine = sqlalchemy.create_engine(
    f"postgresql+psycopg2://analyst:{password}@127.0.0.1:{port}/quanta")
out = {}
inspector = sqlalchemy.inspect(engine)
out["schemas"] = sorted(s for s in inspector.get_schema_names() if s in ("orders", "demographics"))
out["tables"] = inspector.get_table_names(schema="orders")
out["columns"] = [(c["name"], str(c["type"])) for c in inspector.get_columns("orders", "orders")]
with engine.connect() as connection:
    frame = pandas.read_sql("SELECT status, count(*) AS n FROM orders.orders GROUP BY 1 "
                            "ORDER BY 1", connection)
out["frame"] = frame.to_dict(orient="records")
print(json.dumps(out))
'''


def test_python_clients(node, work):
    if not os.path.exists(SYSTEM_PYTHON):
        check("Debian's python3 with the client packages is installed", False)
        return
    script = os.path.join(work, "clients.py")
    with open(script, "w") as out:
        out.write(CLIENTS)
    code, output = run([SYSTEM_PYTHON, script, str(node.sql_port), PASSWORD], timeout=120)
    try:
        results = json.loads(output.strip().splitlines()[-1])
    except (ValueError, IndexError):
        check("psycopg2, psycopg 3 and asyncpg run", False, output[-1500:])
        return
    check("psycopg2: a parameter, numeric and timestamptz", results.get("psycopg2") ==
          ["o-2", "20.25", "2026-03-01T10:01:00+00:00"], results)
    check("psycopg2: bytes parameters arrive as the bytes they were",
          results.get("psycopg2_bytea") == [3, "615c62"], results)
    check("psycopg 3: a server-side numeric parameter, prepared",
          results.get("psycopg3") == ["o-1", "o-2"], results)
    check("psycopg 3: binary results of many types", results.get("psycopg3_binary") ==
          ["10.50", "2026-03-01T11:00:00+00:00", 2, True, "2024-02-29", [1, 2, None], 2.5,
           "1 day, 2:00:00", "b1a3c4d5-0000-4000-8000-000000000001"], results)
    check("psycopg 3: COPY TO STDOUT in binary format", results.get("copy_binary") == [
        ["o-1", "10.50", 2, "2026-03-01T11:00:00+00:00"],
        ["o-2", "20.25", 2, "2026-03-01T10:01:00+00:00"],
        ["o-3", "5.00", 2, "2026-03-01T11:05:00+00:00"]], results)
    check("psycopg 3: a table function's argument as a server-side parameter",
          results.get("range_parameter") == [[2, 4], [3, 6]], results)
    check("asyncpg: the binary protocol", results.get("asyncpg") == [["o-2", "20.25"]], results)
    check("psycopg 3: lists as server-side parameters, in text and binary format",
          results.get("array_parameters") == [["o-1", "o-3"], [[1, None, 3], [2.5, 4.0]]],
          results)

    script = os.path.join(work, "sqlalchemy_client.py")
    with open(script, "w") as out:
        out.write(SQLALCHEMY)
    code, output = run([SYSTEM_PYTHON, script, str(node.sql_port), PASSWORD], timeout=120)
    try:
        results = json.loads(output.strip().splitlines()[-1])
    except (ValueError, IndexError):
        check("SQLAlchemy's inspector and pandas read_sql run", False, output[-1500:])
        return
    check("SQLAlchemy lists the schemas and tables", results["schemas"] ==
          ["demographics", "orders"] and
          sorted(results["tables"]) == ["_dead_letters", "orders"], results)
    check("SQLAlchemy reads the columns and their types",
          ["amount", "NUMERIC(12, 2)"] in results["columns"], results)
    check("pandas read_sql", results["frame"] == [
        {"status": "cancelled", "n": 1}, {"status": "created", "n": 1},
        {"status": "paid", "n": 1}], results)


def test_jdbc(node, work):
    jar = "/usr/share/java/postgresql.jar"
    if not (shutil.which("java") and os.path.exists(jar)):
        check("pgjdbc and java are installed", False, "install libpostgresql-jdbc-java")
        return
    code, out = run(["java", "-cp", jar, os.path.join(HERE, "JdbcClient.java"),
                     f"jdbc:postgresql://127.0.0.1:{node.sql_port}/quanta", "analyst", PASSWORD],
                    timeout=180)
    check("pgjdbc: DatabaseMetaData lists tables and columns with remarks, a prepared query",
          code == 0 and "table orders.orders" in out and
          "column amount numeric Total price of the order" in out and
          "prepared o-2 20.25" in out, out)


def test_node_pg(node, work):
    module = os.path.join(REPO, "build", "sql-clients", "node_modules", "pg")
    if not (shutil.which("node") and os.path.isdir(module)):
        check("node and the npm pg client are installed", False,
              "scripts/setup.sh installs pg into build/sql-clients")
        return
    code, out = run(["node", os.path.join(HERE, "pg_client.js"), str(node.sql_port), PASSWORD],
                    env={"NODE_PATH": os.path.dirname(module)}, timeout=60)
    check("npm pg: a parameterized query", code == 0 and "o-3 cancelled 5.00" in out, out)


def test_http_bearer(node):
    status, body = http("GET", f"{node.url}/v1/products", token=None)
    check("HTTP without a token is 401", status == 401 and "Bearer" in body, f"{status} {body}")
    status, body = http("GET", f"{node.url}/v1/products", token="analyst:wrong")
    check("HTTP with a wrong password is 401", status == 401, f"{status} {body}")
    status, body = http("GET", f"{node.url}/v1/products/orders/orders/datasets/orders?limit=1")
    check("HTTP with the SQL principal's name and password reads", status == 200, body)
    status, body = http("GET", f"{node.url}/healthz", token=None)
    check("health needs no token", status == 200, body)
    code, out = run([node.quanta, "status", "--node", node.url], env={"QUANTA_TOKEN": ""})
    check("quanta status without QUANTA_TOKEN says what the node wants", code != 0 and
          "Bearer" in out, out)


def test_metrics(node):
    status, text = http("GET", f"{node.url}/metrics", token=None)
    accepted = re.search(r"^quanta_sql_connections_accepted_total (\d+)", text, re.M)
    rejected = re.search(r"^quanta_sql_connections_rejected_total (\d+)", text, re.M)
    check("/metrics counts the SQL port's connections and refusals", status == 200 and
          accepted and int(accepted.group(1)) > 10 and rejected and int(rejected.group(1)) >= 1,
          text[-1500:])
    if shutil.which("promtool"):
        code, out = run(["promtool", "check", "metrics"], stdin=text)
        check("promtool accepts /metrics with the SQL port's series", code == 0, out)


def test_tls(node, work):
    import psycopg2
    connection = psycopg2.connect(node.dsn() + " sslmode=require")
    cursor = connection.cursor()
    cursor.execute("SELECT count(*) FROM orders.orders")
    check("TLS: sslmode=require signs in over TLS 1.2 or later and reads",
          connection.info.ssl_in_use and cursor.fetchone()[0] == 3 and
          connection.info.ssl_attribute("protocol") in ("TLSv1.2", "TLSv1.3"),
          connection.info.ssl_attribute("protocol"))
    connection.close()
    connection = psycopg2.connect(node.dsn() + " sslmode=disable")
    check("TLS stays optional: sslmode=disable still connects", not connection.info.ssl_in_use)
    connection.close()
    bad = os.path.join(work, "bad.yaml")
    with open(bad, "w") as out:
        out.write("sql:\n  tls: {certificate: missing.pem, key: key.pem}\n")
    code, out = run([node.quanta, "node", "--config", bad, "--listen", "127.0.0.1:0",
                     "--data-dir", os.path.join(work, "bad-data")], timeout=30)
    check("a missing certificate stops the node with a message naming the file",
          code == 2 and "missing.pem" in out, out)


def test_sign_in_and_limits(node):
    code, out = psql(node, "SELECT 1", password="wrong")
    check("a wrong password is refused (28P01)", code != 0 and
          "password authentication failed" in out, out)
    code, out = psql(node, "SELECT 1", user="mallory")
    check("an unknown user gets the same answer", code != 0 and
          "password authentication failed" in out, out)
    code, out = psql(node, "SELECT current_user", user="dev", password="")
    check("a trusted principal signs in without a password", code == 0, out)
    code, out = psql(node, "SELECT sum(i * i) FROM range(1000000000000) t(i)")
    check("a statement past its timeout is cancelled (57014)",
          "57014" in out and "statement timeout" in out, out)
    # SET statement_timeout lowers the node's 3 s for the session, as JDBC and other tools set it.
    # The message names the timeout that fired: the session's 1000 ms, not the node's 3000.
    code, out = psql(node, "SET statement_timeout = '1s'",
                     "SELECT sum(i * i) FROM range(1000000000000) t(i)", "SELECT 40 + 2 AS after")
    check("SET statement_timeout = '1s' cancels a long statement after 1 s (57014)",
          "57014" in out and "statement timeout (1000 ms)" in out and "42" in out, out)
    # After a quick statement a session runs on the event thread that read it (docs/node.md;
    # a text seen before is quick, a new one is prepared first): the timeout reaches a long
    # statement there too, and the session goes on.
    code, out = psql(node, "SELECT 1", "SELECT 1", "SELECT 1",
                     "SELECT sum(i * i) FROM range(1000000000000) t(i)", "SELECT 40 + 2 AS after")
    check("after quick statements, one past its timeout is cancelled and the session goes on",
          "57014" in out and "statement timeout" in out and "42" in out, out)
    # pg_sleep, what cancel and timeout checks of tools and drivers wait with.
    code, out = psql(node, "SELECT pg_sleep(0.2) AS slept, pg_sleep(NULL) IS NULL AS null_in",
                     "SET statement_timeout = '300ms'", "SELECT pg_sleep(60)",
                     "SELECT 40 + 2 AS after", extra=["-A"])
    check("pg_sleep waits, and the statement timeout stops it (57014); the session goes on",
          "slept|null_in\n|t\n" in out and
          "statement timeout (300 ms)" in out and "42" in out, out)

    import psycopg2
    connection = psycopg2.connect(node.dsn())
    cursor = connection.cursor()
    threading.Timer(0.5, connection.cancel).start()
    try:
        cursor.execute("SELECT pg_sleep(60)")
        cancelled = "not cancelled"
    except psycopg2.Error as error:
        cancelled = f"{error.pgcode} {error.pgerror}"
    connection.rollback()
    cursor.execute("SELECT %s::int + 1", (41,))
    after = cursor.fetchone()[0]
    connection.close()
    check("psycopg2's cancel stops a pg_sleep (57014 user request), the connection goes on",
          "57014" in cancelled and "user request" in cancelled and after == 42,
          f"{cancelled} / {after}")
    held = []
    refused = None
    for _ in range(14):
        try:
            held.append(psycopg2.connect(node.dsn(), connect_timeout=10))
        except psycopg2.OperationalError as error:
            refused = str(error)
            break
    check("connections beyond maxConnections get 'too many clients'",
          refused is not None and "too many clients" in refused, refused)
    for connection in held:
        connection.close()
    time.sleep(0.5)
    idle = psycopg2.connect(node.dsn() + " sslmode=disable", connect_timeout=10)
    # The same over TLS, in psql, which shows every message it gets: the session ends with
    # a TLS close_notify, so the client sees the timeout and a closed TLS stream, not a
    # truncated one ("SSL SYSCALL error: EOF detected").
    idle_tls = subprocess.Popen(
        ["bash", "-c", f"(echo 'SELECT 1;'; sleep 5; echo 'SELECT 2;') | psql -X "
         f"'host=127.0.0.1 port={node.sql_port} user=analyst dbname=quanta sslmode=require'"],
        env={**os.environ, "PGPASSWORD": PASSWORD}, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True)
    time.sleep(5)
    try:
        idle.cursor().execute("SELECT 1")
        check("an idle session is closed after idleTimeout", False, "the session still ran")
    except psycopg2.Error as error:
        check("an idle session is closed after idleTimeout",
              "idle-session timeout" in str(error) or "closed" in str(error), str(error))
    tls_out = idle_tls.communicate(timeout=30)[0]
    check("over TLS the idle timeout's message arrives and TLS ends cleanly",
          "idle-session timeout" in tls_out and "SSL connection has been closed" in tls_out
          and "EOF detected" not in tls_out, tls_out)
    code, out = psql(node, "SELECT 7", extra=["-A", "-t"])
    check("the port serves new sessions afterwards", code == 0 and out.strip() == "7", out)


def test_long_statements_leave_the_port_serving(node):
    # Two long statements after quick ones at once: each runs on the event loop thread of its
    # session, which was quick so far, and holds it. The sessions that share those loops are
    # answered by a helper meanwhile (docs/node.md): three more sessions, one after the other,
    # land on every loop of the node's three.
    arguments = ["psql", "-X", "-h", "127.0.0.1", "-p", str(node.sql_port), "-U", "analyst",
                 "-d", "quanta"]
    for command in ("SELECT 1", "SELECT 1", "SELECT 1",
                    "SELECT sum(i * i) FROM range(1000000000000) t(i)"):
        arguments += ["-c", command]
    env = dict(os.environ, PGPASSWORD=PASSWORD, PGCONNECT_TIMEOUT="10")
    long_ones = [subprocess.Popen(arguments, env=env, stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT, text=True) for _ in range(2)]
    time.sleep(0.5)  # both signed in and running; the timeout ends them 3 s after they start
    answers = [psql(node, "SELECT 40 + 2", extra=["-A", "-t"]) for _ in range(3)]
    still_running = [process.poll() is None for process in long_ones]
    outputs = [process.communicate(timeout=60)[0] for process in long_ones]
    check("while two long statements run, other sessions are answered",
          all(code == 0 and out.strip() == "42" for code, out in answers) and all(still_running),
          f"{answers}; still running: {still_running}")
    check("... and both long statements end at their timeout",
          all("statement timeout" in output for output in outputs), outputs)


def sql_metric(node, name):
    status, text = http("GET", f"{node.url}/metrics", token=None)
    found = re.search(rf"^{name} (\d+)", text, re.M)
    return int(found.group(1)) if status == 200 and found else None


def test_a_client_that_hangs_up_is_let_go(node):
    # psql killed in the middle of a statement: the node notices the closed socket, cancels
    # the statement and frees the session, as PostgreSQL's client_connection_check_interval.
    hangups_before = sql_metric(node, "quanta_sql_client_hangups_total")
    arguments = ["psql", "-X", "-h", "127.0.0.1", "-p", str(node.sql_port), "-U", "analyst",
                 "-d", "quanta", "-c", "SELECT sum(i * i) FROM range(1000000000000) t(i)"]
    env = dict(os.environ, PGPASSWORD=PASSWORD, PGCONNECT_TIMEOUT="10")
    client = subprocess.Popen(arguments, env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    time.sleep(0.5)  # signed in and running
    open_while_running = sql_metric(node, "quanta_sql_connections_open")
    client.kill()
    client.wait()
    hangups, still_open = hangups_before, open_while_running
    for _ in range(100):  # the check runs every second while a statement runs
        hangups = sql_metric(node, "quanta_sql_client_hangups_total")
        still_open = sql_metric(node, "quanta_sql_connections_open")
        if hangups != hangups_before and still_open < open_while_running:
            break
        time.sleep(0.1)
    check("a client that hangs up mid-statement is seen, its statement cancelled and its "
          "session closed", hangups == hangups_before + 1 and still_open < open_while_running,
          f"hang-ups {hangups_before} -> {hangups}; open {open_while_running} -> {still_open}")
    code, out = psql(node, "SELECT 40 + 2", extra=["-A", "-t"])
    check("... and the port goes on serving", code == 0 and out.strip() == "42", out)


def sqlstate_of(connection, sql):
    """Runs `sql` on a psycopg2 connection; returns the SQLSTATE it failed with, else None."""
    import psycopg2
    try:
        connection.cursor().execute(sql)
        return None
    except psycopg2.Error as error:
        return error.pgcode


def test_cursors(node):
    """SQL cursors as psql's FETCH_COUNT and psycopg's named cursors use them."""
    import psycopg
    import psycopg2
    code, out = psql(node, "SELECT i, 'r' || i AS s FROM range(7) t(i)",
                     "SELECT order_id, status FROM orders.orders ORDER BY 1",
                     extra=["-A", "-t", "-v", "FETCH_COUNT=2"])
    check("psql with FETCH_COUNT=2 prints every row, in order, through a cursor",
          code == 0 and out.split() == [f"{i}|r{i}" for i in range(7)] +
          ["o-1|paid", "o-2|created", "o-3|cancelled"], out)

    connection = psycopg2.connect(node.dsn())
    named = connection.cursor("orders by id")
    named.execute("SELECT order_id, amount FROM orders.orders WHERE amount > %s ORDER BY 1", (1,))
    batches = [named.fetchmany(2), named.fetchmany(2), named.fetchmany(2)]
    check("psycopg2: a named cursor reads orders.orders in batches",
          [[(r[0], str(r[1])) for r in batch] for batch in batches] ==
          [[("o-1", "10.50"), ("o-2", "20.25")], [("o-3", "5.00")], []], batches)
    named.close()
    plain = connection.cursor()
    plain.execute("SELECT customer_id, email, birth_date FROM demographics.customers ORDER BY 1")
    expected = plain.fetchall()
    named = connection.cursor("customers")
    named.itersize = 1
    named.execute("SELECT customer_id, email, birth_date FROM demographics.customers ORDER BY 1")
    rows = list(named)
    check("psycopg2: a named cursor reads masked columns masked, as a plain query does",
          rows == expected == [("c-1", "***", None), ("c-2", "***", None)], rows)
    named.close()
    # A query that streams: its first rows come long before the whole result could be made
    # (which the node's statement timeout would cancel).
    named = connection.cursor("endless")
    named.execute("SELECT i FROM range(1000000000000) t(i)")
    first = named.fetchmany(100)
    more = named.fetchmany(3)
    check("psycopg2: FETCH reads the first rows of a trillion-row query as it streams",
          [r[0] for r in first] == list(range(100)) and [r[0] for r in more] == [100, 101, 102],
          first[:3])
    named.close()
    # Another statement between FETCHes leaves the cursor where it was.
    named = connection.cursor("interleaved")
    named.execute("SELECT i FROM range(5) t(i)")
    head = named.fetchmany(2)
    plain.execute("SELECT 40 + 2")
    between = plain.fetchone()
    rest = named.fetchall()
    check("psycopg2: a query between FETCHes leaves the cursor open",
          head == [(0,), (1,)] and between == (42,) and rest == [(2,), (3,), (4,)],
          f"{head} {between} {rest}")
    named.close()
    state = sqlstate_of(connection, "DECLARE backward NO SCROLL CURSOR FOR SELECT 1; "
                        "FETCH 1 FROM backward; FETCH PRIOR FROM backward")
    connection.rollback()
    check("FETCH PRIOR is refused: cursor can only scan forward (55000)", state == "55000", state)
    state = sqlstate_of(connection, "DECLARE s SCROLL CURSOR FOR SELECT 1")
    connection.rollback()
    check("SCROLL cursors are refused as not supported (0A000)", state == "0A000", state)
    connection.close()

    denied = psycopg2.connect(node.dsn(user="dev", password=""))
    state = sqlstate_of(denied, "DECLARE c CURSOR FOR SELECT * FROM orders.orders")
    check("a cursor over a dataset the principal may not read is refused (42501)",
          state == "42501", state)
    denied.close()

    connection = psycopg2.connect(node.dsn())
    connection.autocommit = True
    check("DECLARE without HOLD outside a block: 25P01",
          sqlstate_of(connection, "DECLARE c CURSOR FOR SELECT 1") == "25P01")
    cursor = connection.cursor()
    cursor.execute("DECLARE held CURSOR WITH HOLD FOR SELECT i FROM range(3) t(i)")
    cursor.execute("MOVE 1 IN held")
    moved = cursor.statusmessage
    cursor.execute("FETCH ALL FROM held")
    rows, fetched = cursor.fetchall(), cursor.statusmessage
    cursor.execute("CLOSE held")
    closed = cursor.statusmessage
    check("WITH HOLD outside a block: MOVE, FETCH ALL, CLOSE and their command tags",
          moved == "MOVE 1" and rows == [(1,), (2,)] and fetched == "FETCH 2" and
          closed == "CLOSE CURSOR", f"{moved} {rows} {fetched} {closed}")
    check("FETCH from a closed cursor: 34000",
          sqlstate_of(connection, "FETCH FROM held") == "34000")
    cursor.execute("BEGIN")
    cursor.execute("DECLARE gone CURSOR FOR SELECT 1")
    cursor.execute("DECLARE kept CURSOR WITH HOLD FOR SELECT 2")
    cursor.execute("COMMIT")
    gone = sqlstate_of(connection, "FETCH gone")
    cursor.execute("FETCH kept")
    check("COMMIT closes the cursors without HOLD and keeps those WITH HOLD",
          gone == "34000" and cursor.fetchall() == [(2,)], gone)
    cursor.execute("CLOSE ALL")
    states = [sqlstate_of(connection, f"DECLARE c{i} CURSOR WITH HOLD FOR SELECT {i}")
              for i in range(33)]
    check("a session may have 32 cursors open; the next is refused (54000)",
          states == [None] * 32 + ["54000"], states)
    cursor.execute("CLOSE ALL")
    connection.close()

    with psycopg.connect(host="127.0.0.1", port=node.sql_port, user="analyst",
                         password=PASSWORD, dbname="quanta") as c:
        with c.cursor("server side") as cur:
            cur.execute("SELECT order_id, amount FROM orders.orders WHERE amount > %s "
                        "ORDER BY 1", (decimal.Decimal("6"),))
            first = cur.fetchmany(1)
            names = [column.name for column in cur.description]
            rest = cur.fetchall()
        with c.cursor("binary", binary=True) as cur:
            cur.execute("SELECT order_id, quantity, updated_at FROM orders.orders ORDER BY 1")
            binary = [(r[0], r[1], r[2].isoformat()) for r in cur.fetchmany(2)]
    check("psycopg 3: a server-side cursor with a parameter, over the extended protocol",
          [(r[0], str(r[1])) for r in first + rest] == [("o-1", "10.50"), ("o-2", "20.25")] and
          names == ["order_id", "amount"], f"{first} {rest} {names}")
    check("psycopg 3: a binary server-side cursor",
          binary == [("o-1", 2, "2026-03-01T11:00:00+00:00"),
                     ("o-2", 2, "2026-03-01T10:01:00+00:00")], binary)


def test_untyped_parameters(node):
    """A parameter that nothing in the query types is text, or the type Parse gave it, as in
    PostgreSQL; its first use must not fail with 'cached plan must not change result type'."""
    import asyncio
    import asyncpg
    import psycopg
    with psycopg.connect(host="127.0.0.1", port=node.sql_port, user="analyst",
                         password=PASSWORD, dbname="quanta", autocommit=True) as c:
        values = [c.execute("SELECT %s", [value]).fetchone()[0] for value in ("x", 5, "y", 2.5)]
        joined = c.execute("SELECT %s || 'b' AS s, %s AS n", ["a", 7]).fetchone()
    check("psycopg 3: SELECT %s with a text, an integer and a float parameter",
          values == ["x", 5, "y", 2.5] and joined == ("ab", 7), f"{values} {joined}")

    async def fetch():
        connection = await asyncpg.connect(host="127.0.0.1", port=node.sql_port, user="analyst",
                                           password=PASSWORD, database="quanta")
        try:
            return [await connection.fetchval("SELECT $1::text", "x"),
                    await connection.fetchval("SELECT $1", "y")]
        finally:
            await connection.close()
    try:
        values = asyncio.run(fetch())
    except Exception as error:  # noqa: BLE001 - the check reports whatever the client raised
        values = repr(error)
    check("asyncpg: SELECT $1::text and an untyped SELECT $1", values == ["x", "y"], values)


def test_failed_transaction_block(node):
    import psycopg2
    import psycopg2.extensions
    connection = psycopg2.connect(node.dsn())
    first = sqlstate_of(connection, "SELECT 'x'::INTEGER")
    then = sqlstate_of(connection, "SELECT 1")
    status = connection.info.transaction_status
    check("after an error in a block, queries get 25P02 and the block reports 'E'",
          first == "22P02" and then == "25P02" and
          status == psycopg2.extensions.TRANSACTION_STATUS_INERROR, f"{first} {then} {status}")
    connection.rollback()
    cursor = connection.cursor()
    cursor.execute("SELECT 2")
    check("ROLLBACK ends the failed block", cursor.fetchone() == (2,))
    connection.close()
    code, out = run(["psql", "-X", "-h", "127.0.0.1", "-p", str(node.sql_port), "-U", "analyst",
                     "-d", "quanta", "-v", "VERBOSITY=verbose"],
                    env={"PGPASSWORD": PASSWORD},
                    stdin="BEGIN;\nSELECT 'x'::INTEGER;\nSELECT 1;\nCOMMIT;\nSELECT 3 AS three;\n")
    check("psql: a failed block refuses the next query, and its COMMIT reports ROLLBACK",
          "25P02: current transaction is aborted, commands ignored until end of transaction "
          "block" in out and "\nROLLBACK\n" in out and "three" in out, out)


def test_session_settings(node):
    code, out = psql(node, "SHOW no_such_setting", "SET datestyle = 'SQL, DMY'",
                     "SET extra_float_digits = 0", "SET search_path = orders",
                     "SELECT count(*) AS n FROM orders")
    check("SHOW of an unknown setting is 42704, as in PostgreSQL",
          '42704: unrecognized configuration parameter "no_such_setting"' in out, out)
    check("SET of a DateStyle or extra_float_digits the port does not apply is refused by name",
          "0A000: DateStyle \"SQL, DMY\" is not supported" in out and
          "0A000: extra_float_digits = 0 is not supported" in out, out)
    check("SET search_path makes an unqualified name resolve to the product's dataset",
          "\n n \n" in out and "42P01" not in out, out)
    code, out = run(["psql", "-X", "-h", "127.0.0.1", "-p", str(node.sql_port), "-U", "analyst",
                     "-d", "quanta", "-Atc", "SELECT count(*) >= 0 FROM orders",
                     "-c", "SHOW statement_timeout"],
                    env={"PGPASSWORD": PASSWORD,
                         "PGOPTIONS": "-c search_path=orders -c statement_timeout=1000"})
    check("PGOPTIONS' settings apply from the start of the session",
          code == 0 and out.split() == ["t", "1000"], out)
    code, out = run(["psql", "-X", "-h", "127.0.0.1", "-p", str(node.sql_port), "-U", "analyst",
                     "-d", "quanta", "-c", "SELECT 1"],
                    env={"PGPASSWORD": PASSWORD, "PGOPTIONS": "-c work_mem=1GB"})
    check("a PGOPTIONS setting the port cannot honour ends the connection, naming it",
          code != 0 and "FATAL" in out and "work_mem" in out, out)
    code, out = psql(node, "SELECT 1; SELECT missing FROM orders.orders")
    check("psql points at the unknown column within the whole query",
          "LINE 1: SELECT 1; SELECT missing FROM orders.orders\n" +
          " " * len("LINE 1: SELECT 1; SELECT ") + "^" in out, out)
    code, out = psql(node, "DECLARE c CURSOR FOR SELECT 7 AS seven; FETCH c", "FETCH c")
    check("a cursor without HOLD works within one query of several statements, and closes "
          "with it", "\n     7\n" in out and '34000: cursor "c" does not exist' in out, out)


def test_prepared_statements_see_new_versions(node):
    import psycopg
    with psycopg.connect(host="127.0.0.1", port=node.sql_port, user="analyst",
                         password=PASSWORD, dbname="quanta", autocommit=True) as connection:
        query = "SELECT count(*) FROM orders.orders WHERE amount >= %s"
        before = connection.execute(query, (0,), prepare=True).fetchone()[0]
        status, body = http("POST", f"{node.url}/v1/products/orders/orders/ports/order_events/"
                            "events", order_event("e6", "o-4", "created", 3,
                                                  "2026-03-01T12:00:00Z").encode(),
                            "application/x-ndjson")
        after = connection.execute(query, (0,), prepare=True).fetchone()[0]
    check("a prepared statement reads the rows committed after it was prepared",
          status == 200 and after == before + 1, f"{before} then {after}; ingest {status} {body}")


def test_undeploy_under_an_open_cursor(node):
    """Last: it undeploys orders/orders while a cursor still reads it, then deploys it again."""
    import psycopg2
    connection = psycopg2.connect(node.dsn())
    connection.autocommit = True
    cursor = connection.cursor()
    cursor.execute("DECLARE held CURSOR WITH HOLD FOR SELECT order_id FROM orders.orders "
                   "ORDER BY 1")
    cursor.execute("FETCH 1 FROM held")
    first = cursor.fetchall()
    code, output = run([node.quanta, "undeploy", "orders/orders", "--purge", "--node", node.url],
                       env={"QUANTA_TOKEN": TOKEN})
    check("orders/orders undeploys while a cursor reads it", code == 0, output)
    code, output = run([node.quanta, "deploy", os.path.join(REPO, "examples", "orders/orders"),
                        "--node", node.url], env={"QUANTA_TOKEN": TOKEN})
    check("deploying it again while the cursor is open is refused, saying what holds the file",
          code == 1 and "an open cursor" in output and "CLOSE" in output, output)
    cursor.execute("FETCH ALL FROM held")
    rest = cursor.fetchall()
    check("the cursor reads on, as the data was when it was declared",
          first == [("o-1",)] and [row[0] for row in rest] == ["o-2", "o-3", "o-4"],
          f"{first} {rest}")
    cursor.execute("CLOSE held")
    code, output = run([node.quanta, "deploy", os.path.join(REPO, "examples", "orders/orders"),
                        "--node", node.url], env={"QUANTA_TOKEN": TOKEN})
    check("once the cursor is closed, the product deploys again, empty", code == 0, output)
    cursor.execute("SELECT count(*) FROM orders.orders")
    check("the new deployment answers on the same connection", cursor.fetchone()[0] == 0)
    connection.close()


def run_tests(node, work):
    head = load_products(node)
    test_psql(node, head)
    test_sandbox(node)
    test_libpq(node, work)
    test_python_clients(node, work)
    test_cursors(node)
    test_failed_transaction_block(node)
    test_untyped_parameters(node)
    test_jdbc(node, work)
    test_node_pg(node, work)
    test_http_bearer(node)
    test_tls(node, work)
    test_sign_in_and_limits(node)
    test_long_statements_leave_the_port_serving(node)
    test_a_client_that_hangs_up_is_let_go(node)
    test_metrics(node)
    test_prepared_statements_see_new_versions(node)
    test_session_settings(node)
    test_undeploy_under_an_open_cursor(node)


if __name__ == "__main__":
    sys.exit(run_with_node(__doc__, "quanta-sql-port-", Node, CHECKS, run_tests))
