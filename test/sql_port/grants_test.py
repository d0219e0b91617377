#!/usr/bin/env python3
"""Per-principal grants and column masks on every output port, as consumers meet them.

Usage: grants_test.py QUANTA_BINARY

Starts `quanta node` with bearer authentication on HTTP and three principals: `analyst`
(groups orders-reader and customers-reader: reads both example products, with the customers'
restricted and confidential columns masked), `privacy` (group customers-pii-reader, a
read-unmasked role: reads customers in clear but not orders) and `outsider` (no group). Deploys
the orders and customers example products, ingests known rows, and checks over SQL (psycopg2
and psql) and over HTTP (dataset reads, Parquet exports, the change stream, dead letters) that
each principal sees what the contracts grant it and nothing more: masked values stay masked
under hostile queries (WHERE, LIKE, GROUP BY, aggregates, a CTE, a join, time travel), a
dataset a principal may not read answers SQLSTATE 42501 / HTTP 403 and is missing from the
catalogs.

Prints one line per check and a closing 'N passed, N failed'; exits 1 when a check failed.
"""

import json
import os
import re
import subprocess
import sys
import textwrap
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from checks import Checks  # noqa: E402
from reader_calls import bearer_http, parquet_matches, query  # noqa: E402
from running_node import RunningNode, run_with_node  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
PASSWORD = {"analyst": "analyst secret", "privacy": "privacy secret", "outsider": ""}

CHECKS = Checks()
check = CHECKS.check

CUSTOMERS = [
    {"customer_id": "c-1", "email": "jane.doe@example.com", "birth_date": "1990-06-15",
     "country": "DE", "gender": "female", "income_band": "high",
     "updated_at": "2026-03-01T02:00:00Z"},
    {"customer_id": "c-2", "email": "li.ming@example.org", "birth_date": "1975-01-02",
     "country": "FR", "gender": "male", "income_band": "low",
     "updated_at": "2026-03-01T02:00:00Z"},
]
# Ingested after CUSTOMERS: a second version that changes c-1's email.
CUSTOMERS_LATER = [
    {"customer_id": "c-1", "email": "jane.roe@example.com", "birth_date": "1990-06-15",
     "country": "DE", "gender": "female", "income_band": "high",
     "updated_at": "2026-03-02T02:00:00Z"},
]
SECRETS = ["jane.doe@example.com", "li.ming@example.org", "jane.roe@example.com",
           "1990-06-15", "1975-01-02", "female", "high"]


def token(user):
    return f"{user}:{PASSWORD[user]}" if PASSWORD[user] else user


def http(method, url, user, body=None, content_type="application/json", timeout=60):
    status, text, _ = bearer_http(method, url, token(user), body, content_type, timeout)
    return status, text



def first_event(url, user):
    """The first server-sent event of a change stream, as JSON; the stream is then closed."""
    request = urllib.request.Request(url, headers={"Authorization": "Bearer " + token(user)})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            for raw in response:
                line = raw.decode().rstrip("\n")
                if line.startswith("data: "):
                    return response.status, json.loads(line[6:])
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()
    return None, None


class Node(RunningNode):
    def __init__(self, quanta, work):
        def verifier(password):
            return subprocess.run([quanta, "scram-verifier", "--password-stdin"],
                                  input=password + "\n", capture_output=True, text=True,
                                  check=True).stdout.strip()
        super().__init__(quanta, work, textwrap.dedent(f"""\
                dataDir: data
                http: {{listen: "127.0.0.1:0", auth: bearer}}
                sql: {{listen: "127.0.0.1:0"}}
                principals:
                  - name: analyst
                    scram: "{verifier(PASSWORD['analyst'])}"
                    groups: [orders-reader, customers-reader]
                  - name: privacy
                    scram: "{verifier(PASSWORD['privacy'])}"
                    groups: [customers-pii-reader]
                  - name: outsider
                    trust: true
                """))

    def connect(self, user):
        import psycopg2
        connection = psycopg2.connect(host="127.0.0.1", port=self.sql_port, user=user,
                                      password=PASSWORD[user], dbname="quanta")
        connection.autocommit = True
        return connection


def load_products(node):
    for product in ("orders/orders", "customers/demographics"):
        done = subprocess.run([node.quanta, "deploy", os.path.join(REPO, "examples", product),
                               "--node", node.url], capture_output=True, text=True,
                              env={**os.environ, "QUANTA_TOKEN": token("analyst")})
        if done.returncode != 0:
            raise RuntimeError(f"deploy {product}: {done.stdout}{done.stderr}")
    customers = f"{node.url}/v1/products/customers/demographics/ports/demographic_drops/events"
    for batch in (CUSTOMERS, CUSTOMERS_LATER):
        status, body = http("POST", customers, "analyst",
                            "\n".join(json.dumps(c) for c in batch).encode(),
                            "application/x-ndjson")
        if status != 200:
            raise RuntimeError(f"customers ingest: {status} {body}")
    order = json.dumps({"event_id": "e1", "order_id": "o-1", "customer_id": "c-1",
                        "event_type": "created", "product_id": "p-1", "category": "books",
                        "quantity": 1, "amount": 10, "occurred_at": "2026-03-01T10:00:00Z"})
    status, body = http("POST", f"{node.url}/v1/products/orders/orders/ports/order_events/events",
                        "analyst", order.encode(), "application/x-ndjson")
    if status != 200:
        raise RuntimeError(f"orders ingest: {status} {body}")




def leaks(rows):
    text = json.dumps(rows, default=str)
    return [secret for secret in SECRETS if secret in text]


# Queries an analyst might write to get at masked values, each with the rows it must give.
HOSTILE = [
    ("SELECT customer_id, email, birth_date, gender, income_band, country "
     "FROM demographics.customers ORDER BY 1",
     [("c-1", "***", None, "***", "***", "DE"), ("c-2", "***", None, "***", "***", "FR")]),
    ("SELECT count(*) FROM demographics.customers WHERE email = 'jane.roe@example.com'", [(0,)]),
    ("SELECT count(*) FROM demographics.customers WHERE email LIKE '%@%' "
     "OR birth_date < DATE '2000-01-01' OR birth_date IS NOT NULL", [(0,)]),
    ("SELECT email, count(*) FROM demographics.customers GROUP BY email", [("***", 2)]),
    ("SELECT min(email), max(birth_date), string_agg(gender, ','), count(DISTINCT email) "
     "FROM demographics.customers", [("***", None, "***,***", 1)]),
    ("WITH c AS (SELECT * FROM demographics.customers) SELECT email, birth_date FROM c "
     "ORDER BY customer_id", [("***", None), ("***", None)]),
    ("SELECT c.email FROM orders.orders o JOIN demographics.customers c USING (customer_id)",
     [("***",)]),
    ("SELECT customer_id, email FROM demographics.customers AT (VERSION => 1) ORDER BY 1",
     [("c-1", "***"), ("c-2", "***")]),
    ("SELECT count(*) FROM demographics.customers AT (VERSION => 1) "
     "WHERE email = 'jane.doe@example.com'", [(0,)]),
    ("SELECT length(email), md5(email) = md5('***') FROM demographics.customers "
     "WHERE customer_id = 'c-1'", [(3, True)]),
    ("SELECT count(*) FROM (SELECT * FROM demographics.customers) AS s "
     "WHERE s.email IN ('jane.roe@example.com', 'li.ming@example.org')", [(0,)]),
]


def test_sql(node):
    analyst = node.connect("analyst")
    for sql, expected in HOSTILE:
        rows, error = query(analyst, sql)
        check(f"analyst, masked: {sql[:90]}", error is None and rows == expected and
              not leaks(rows), f"{rows} {error}")
    rows, error = query(analyst, "SELECT customer_id, age_group, country "
                        "FROM demographics.customers ORDER BY 1")
    check("analyst reads the open columns in clear",
          rows == [("c-1", "35-44", "DE"), ("c-2", "45-54", "FR")], f"{rows} {error}")
    rows, error = query(analyst, "SELECT order_id, customer_id FROM orders.orders")
    check("analyst reads orders, which orders-reader grants", rows == [("o-1", "c-1")],
          f"{rows} {error}")
    rows, error = query(analyst, "SELECT table_schema, table_name FROM "
                        "information_schema.tables ORDER BY 1, 2")
    # The dead letters (raw records) only where every dataset is read unmasked: orders.
    check("analyst's catalog lists both datasets, and the dead letters of orders only",
          rows == [("demographics", "customers"), ("orders", "_dead_letters"),
                   ("orders", "orders")], f"{rows} {error}")
    rows, error = query(analyst, "SELECT count(*) FROM demographics._dead_letters")
    check("analyst gets 42501 for the dead letters of customers, which it reads masked",
          rows is None and error[0] == "42501", f"{rows} {error}")
    analyst.close()

    privacy = node.connect("privacy")
    rows, error = query(privacy, "SELECT customer_id, email, birth_date, gender "
                        "FROM demographics.customers ORDER BY 1")
    check("privacy (read-unmasked) reads personal data in clear",
          error is None and [(r[0], r[1], str(r[2]), r[3]) for r in rows] ==
          [("c-1", "jane.roe@example.com", "1990-06-15", "female"),
           ("c-2", "li.ming@example.org", "1975-01-02", "male")], f"{rows} {error}")
    rows, error = query(privacy, "SELECT email FROM demographics.customers AT (VERSION => 1) "
                        "WHERE customer_id = 'c-1'")
    check("privacy time travels in clear", rows == [("jane.doe@example.com",)],
          f"{rows} {error}")
    rows, error = query(privacy, "SELECT count(*) FROM orders.orders")
    check("privacy without orders-reader gets 42501 for orders.orders, naming the role",
          rows is None and error[0] == "42501" and "orders-reader" in error[1], f"{rows} {error}")
    # A point lookup by key may be answered from the dataset's rows kept in memory, which hold
    # every column in clear: only a reader who reads them so is answered from them. privacy's
    # lookups start keeping them; analyst's lookup of the same row stays masked after that.
    for _ in range(20):
        rows, error = query(privacy, "SELECT email FROM demographics.customers "
                            "WHERE customer_id = 'c-1'")
    check("privacy's point lookup reads the row in clear",
          rows == [("jane.roe@example.com",)], f"{rows} {error}")
    masked = node.connect("analyst")
    rows, error = query(masked, "SELECT email, gender FROM demographics.customers "
                        "WHERE customer_id = 'c-1'")
    check("analyst's point lookup of the same row stays masked", rows == [("***", "***")],
          f"{rows} {error}")
    rows, error = query(masked, "SELECT * FROM demographics.customers WHERE customer_id = 'c-1'")
    check("analyst's SELECT * lookup stays masked", error is None and "jane" not in str(rows)
          and not leaks(rows), f"{rows} {error}")
    masked.close()
    rows, error = query(privacy, "SELECT c.email FROM demographics.customers c "
                        "WHERE c.customer_id IN (SELECT customer_id FROM orders.orders)")
    check("a subquery does not reach a dataset the principal may not read",
          rows is None and error[0] == "42501", f"{rows} {error}")
    rows, error = query(privacy, "SELECT table_schema, table_name FROM "
                        "information_schema.tables ORDER BY 1, 2")
    check("privacy's information_schema leaves orders out",
          rows == [("demographics", "_dead_letters"), ("demographics", "customers")],
          f"{rows} {error}")
    rows, error = query(privacy, "SELECT nspname FROM pg_catalog.pg_namespace "
                        "WHERE nspname IN ('orders', 'demographics')")
    check("privacy's pg_namespace leaves the orders schema out", rows == [("demographics",)],
          f"{rows} {error}")
    privacy.close()

    outsider = node.connect("outsider")
    rows, error = query(outsider, "SELECT count(*) FROM demographics.customers")
    check("outsider without a group gets 42501 for customers",
          rows is None and error[0] == "42501" and "customers-reader" in error[1],
          f"{rows} {error}")
    rows, error = query(outsider, "SELECT * FROM information_schema.tables")
    check("outsider's catalog lists nothing", rows == [], f"{rows} {error}")
    outsider.close()

    env = dict(os.environ, PGPASSWORD=PASSWORD["privacy"], PGCONNECT_TIMEOUT="10")
    done = subprocess.run(["psql", "-X", "-h", "127.0.0.1", "-p", str(node.sql_port), "-U",
                           "privacy", "-d", "quanta", "-c", "\\dt *.*"],
                          capture_output=True, text=True, env=env, timeout=60)
    out = done.stdout + done.stderr
    check("psql \\dt as privacy lists customers and not orders",
          done.returncode == 0 and re.search(r"demographics\s*\|\s*customers", out) and
          not re.search(r"orders\s*\|\s*orders", out), out)




def test_http(node, work):
    base = f"{node.url}/v1/products/customers/demographics/datasets/customers"
    status, body = http("GET", f"{base}?columns=customer_id,email,birth_date,gender", "analyst")
    rows = json.loads(body).get("rows") if status == 200 else None
    check("HTTP: analyst reads customers masked", rows == [
        {"customer_id": "c-1", "email": "***", "birth_date": None, "gender": "***"},
        {"customer_id": "c-2", "email": "***", "birth_date": None, "gender": "***"}],
        f"{status} {body}")
    for parameters in ("email=eq.jane.roe@example.com", "email=like.*example*",
                       "birth_date=lt.2000-01-01", "birth_date=is.notnull",
                       "version=1&email=eq.jane.doe@example.com"):
        status, body = http("GET", f"{base}?{parameters}", "analyst")
        rows = json.loads(body).get("rows") if status == 200 else None
        check(f"HTTP: a filter on a masked column finds nothing ({parameters})", rows == [],
              f"{status} {body}")
    status, body = http("GET", f"{base}?order=email.desc,customer_id&version=1", "analyst")
    check("HTTP: time travel and ordering by a masked column stay masked",
          status == 200 and not leaks(json.loads(body)) and "***" in body, f"{status} {body}")
    status, body = http("GET", f"{base}?columns=customer_id,email&customer_id=eq.c-1", "privacy")
    check("HTTP: privacy reads customers in clear",
          status == 200 and json.loads(body)["rows"] ==
          [{"customer_id": "c-1", "email": "jane.roe@example.com"}], f"{status} {body}")
    status, body = http("GET", f"{node.url}/v1/products/orders/orders/datasets/orders",
                        "privacy")
    check("HTTP: privacy without orders-reader gets 403 for orders, naming the role",
          status == 403 and "orders-reader" in body, f"{status} {body}")
    status, body = http("GET", base, "outsider")
    check("HTTP: outsider gets 403 for customers", status == 403, f"{status} {body}")

    status, body = http("GET", f"{base}/export?format=parquet", "analyst")
    manifest = json.loads(body) if status == 200 else {}
    check("HTTP export: analyst's manifest names the masked columns",
          manifest.get("maskedColumns") == ["email", "birth_date", "gender", "income_band"],
          f"{status} {body}")
    if manifest:
        ok, out = parquet_matches(node.quanta, work, manifest["files"][0]["path"],
                                  "customer_id, email, coalesce(CAST(birth_date AS VARCHAR), "
                                  "'NULL'), gender",
                                  ["c-1\t***\tNULL\t***", "c-2\t***\tNULL\t***"])
        check("HTTP export: analyst's Parquet file holds masked values", ok, out)
    status, body = http("GET", f"{base}/export?format=parquet", "privacy")
    clear = json.loads(body) if status == 200 else {}
    check("HTTP export: privacy's export is in clear and in other files",
          clear.get("maskedColumns") == [] and manifest and
          clear["files"][0]["path"] != manifest["files"][0]["path"], f"{status} {body}")
    if clear:
        ok, out = parquet_matches(node.quanta, work, clear["files"][0]["path"], "customer_id, email",
                                  ["c-1\tjane.roe@example.com", "c-2\tli.ming@example.org"])
        check("HTTP export: privacy's Parquet file holds the values", ok, out)
    status, body = http("GET", f"{node.url}/v1/products/orders/orders/datasets/orders/export",
                        "privacy")
    check("HTTP export: privacy gets 403 for orders", status == 403, f"{status} {body}")

    status, event = first_event(f"{base}/changes?since_version=0", "analyst")
    check("change stream: analyst's events carry masked values",
          status == 200 and isinstance(event, dict) and event["changes"] and
          all(c["row"]["email"] == "***" and c["row"]["birth_date"] is None
              for c in event["changes"]) and not leaks(event), f"{status} {event}")
    status, event = first_event(f"{base}/changes?since_version=1", "privacy")
    check("change stream: privacy's events carry the values",
          status == 200 and isinstance(event, dict) and
          {c["row"]["email"] for c in event["changes"]} ==
          {"jane.doe@example.com", "jane.roe@example.com"}, f"{status} {event}")
    status, event = first_event(f"{base}/changes?since_version=0", "outsider")
    check("change stream: outsider gets 403", status == 403, f"{status} {event}")

    status, body = http("GET", f"{node.url}/v1/products/customers/demographics/deadletters",
                        "analyst")
    check("dead letters (raw records) need unmasked reading: analyst gets 403",
          status == 403 and "dead letters" in body, f"{status} {body}")
    status, body = http("GET", f"{node.url}/v1/products/customers/demographics/deadletters",
                        "privacy")
    check("dead letters: privacy (read-unmasked) reads them", status == 200, f"{status} {body}")


def run_tests(node, work):
    load_products(node)
    test_sql(node)
    test_http(node, work)


if __name__ == "__main__":
    sys.exit(run_with_node(__doc__, "quanta-grants-", Node, CHECKS, run_tests))
