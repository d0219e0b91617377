#!/usr/bin/env python3
"""Row filters on every output port, as consumers meet them.

Usage: row_filters_test.py QUANTA_BINARY

Copies the customers example product and gives its contract roles with row filters (ODCS
customProperties `rowFilter`): customers-de-reader (country = 'DE'), customers-fr-reader
(country = 'FR'), customers-fr-pii-reader (read-unmasked, country = 'FR') and
customers-self-reader (customer_id = current_principal()). Starts `quanta node` with bearer
authentication on HTTP and the principals `de` (DE rows), `defr` (DE and FR rows), `depii`
(DE rows masked, FR rows in clear) and `c-2` (its own row), deploys the product and ingests
customers from DE, FR and UK. Checks over SQL (psycopg2 and psql) and HTTP (reads with paging
and time travel, Parquet exports, the change stream, dead letters) that each principal sees only
the rows its roles grant, also under hostile queries (OR 1=1, UNION, a CTE, count(*), time
travel). Then deploys copies whose filter has a subquery on another table, a column that does
not exist or read_csv(...), and checks that lint and deploy refuse them naming the file, line
and column.

Prints one line per check and a closing 'N passed, N failed'; exits 1 when a check failed.
"""

import json
import os
import re
import shutil
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
EXAMPLE = os.path.join(REPO, "examples", "customers", "demographics")
CONTRACT = os.path.join("contracts", "customers.yaml")

CHECKS = Checks()
check = CHECKS.check

ROLES = """\
  - role: customers-de-reader
    access: read
    customProperties:
      - property: rowFilter
        value: "country = 'DE'"
  - role: customers-fr-reader
    access: read
    customProperties:
      - property: rowFilter
        value: "country = 'FR'"
  - role: customers-fr-pii-reader
    access: read-unmasked
    customProperties:
      - property: rowFilter
        value: "country = 'FR'"
  - role: customers-self-reader
    access: read
    customProperties:
      - property: rowFilter
        value: "customer_id = current_principal()"
"""


def customer(customer_id, email, country, updated_at="2026-03-01T02:00:00Z"):
    return {"customer_id": customer_id, "email": email, "birth_date": "1990-06-15",
            "country": country, "gender": "female", "income_band": "high",
            "updated_at": updated_at}


CUSTOMERS = [customer("c-1", "jane.doe@example.com", "DE"),
             customer("c-2", "li.ming@example.org", "FR"),
             customer("c-3", "sam.hill@example.co.uk", "UK")]
# A second version: c-1 changes its email, c-3 moves from the UK to Germany.
CUSTOMERS_LATER = [customer("c-1", "jane.roe@example.com", "DE", "2026-03-02T02:00:00Z"),
                   customer("c-3", "sam.hill@example.de", "DE", "2026-03-02T02:00:00Z")]


def http(method, url, user, body=None, content_type="application/json", timeout=60):
    return bearer_http(method, url, user, body, content_type, timeout)



def events(url, user, count):
    """The first `count` server-sent events of a change stream, as JSON."""
    request = urllib.request.Request(url, headers={"Authorization": "Bearer " + user})
    found = []
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            for raw in response:
                line = raw.decode().rstrip("\n")
                if line.startswith("data: "):
                    found.append(json.loads(line[6:]))
                    if len(found) == count:
                        break
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()
    except OSError as error:  # a timeout: fewer events than asked for
        return None, f"{found} then {error}"
    return 200, found


class Node(RunningNode):
    def __init__(self, quanta, work):
        super().__init__(quanta, work, textwrap.dedent("""\
                dataDir: data
                http: {listen: "127.0.0.1:0", auth: bearer}
                sql: {listen: "127.0.0.1:0"}
                principals:
                  - {name: de, trust: true, groups: [customers-de-reader]}
                  - {name: defr, trust: true,
                     groups: [customers-de-reader, customers-fr-reader]}
                  - {name: depii, trust: true,
                     groups: [customers-de-reader, customers-fr-pii-reader]}
                  - {name: c-2, trust: true, groups: [customers-self-reader]}
                """))

    def connect(self, user):
        import psycopg2
        connection = psycopg2.connect(host="127.0.0.1", port=self.sql_port, user=user,
                                      dbname="quanta")
        connection.autocommit = True
        return connection


def product_with_roles(work, name, roles):
    """A copy of the customers example under `work`/`name` with `roles` added to its
    contract's roles; returns its folder."""
    folder = os.path.join(work, name)
    shutil.copytree(EXAMPLE, folder)
    path = os.path.join(folder, CONTRACT)
    with open(path) as source:
        text = source.read()
    with open(path, "w") as out:
        out.write(text.replace("\nroles:\n", "\nroles:\n" + roles, 1))
    return folder


def deploy(node, folder):
    return subprocess.run([node.quanta, "deploy", folder, "--node", node.url],
                          capture_output=True, text=True, timeout=120,
                          env={**os.environ, "QUANTA_TOKEN": "de"})


def load(node, work):
    done = deploy(node, product_with_roles(work, "filtered", ROLES))
    if done.returncode != 0:
        raise RuntimeError(f"deploy: {done.stdout}{done.stderr}")
    drops = f"{node.url}/v1/products/customers/demographics/ports/demographic_drops/events"
    for batch in (CUSTOMERS, CUSTOMERS_LATER):
        status, body, _ = http("POST", drops, "de",
                               "\n".join(json.dumps(c) for c in batch).encode(),
                               "application/x-ndjson")
        if status != 200:
            raise RuntimeError(f"ingest: {status} {body}")




# Queries that try to reach rows outside the filter, each with what `de` must get. At version 2
# (the latest) c-1 and c-3 are German; at version 1 only c-1 was.
HOSTILE = [
    ("SELECT customer_id FROM demographics.customers ORDER BY 1", [("c-1",), ("c-3",)]),
    ("SELECT customer_id FROM demographics.customers WHERE country = 'FR' OR 1=1 ORDER BY 1",
     [("c-1",), ("c-3",)]),
    ("SELECT count(*), count(DISTINCT country) FROM demographics.customers", [(2, 1)]),
    ("SELECT customer_id FROM demographics.customers WHERE country <> 'DE' "
     "UNION SELECT customer_id FROM demographics.customers AT (VERSION => 1) "
     "WHERE country IN ('FR', 'UK')", []),
    ("WITH c AS (SELECT * FROM demographics.customers) "
     "SELECT count(*) FROM c WHERE customer_id IN ('c-2', 'c-3')", [(1,)]),
    ("SELECT customer_id, country FROM demographics.customers AT (VERSION => 1)",
     [("c-1", "DE")]),
    ("SELECT a.customer_id FROM demographics.customers a "
     "JOIN demographics.customers b ON a.customer_id <> b.customer_id ORDER BY 1",
     [("c-1",), ("c-3",)]),
    ("SELECT count(*) FROM demographics.customers WHERE email = 'li.ming@example.org'", [(0,)]),
]


def test_sql(node):
    de = node.connect("de")
    for sql, expected in HOSTILE:
        rows, error = query(de, sql)
        check(f"de: {sql[:90]}", error is None and rows == expected, f"{rows} {error}")
    rows, error = query(de, "SELECT email FROM demographics.customers WHERE customer_id = 'c-1'")
    check("de's rows keep their masks", rows == [("***",)], f"{rows} {error}")
    rows, error = query(de, "SELECT count(*) FROM demographics._dead_letters")
    check("de gets 42501 for the dead letters, which hold rows of every country",
          rows is None and error[0] == "42501" and "row filter" in error[1], f"{rows} {error}")
    rows, error = query(de, "SELECT current_query() FROM demographics.customers LIMIT 1")
    check("de gets 42501 for current_query(), which would show its filter and the store's file",
          rows is None and error[0] == "42501" and "store:" not in error[1] and
          "_quanta" not in error[1] and "country =" not in error[1], f"{rows} {error}")
    de.close()

    defr = node.connect("defr")
    rows, error = query(defr, "SELECT customer_id, country FROM demographics.customers "
                        "ORDER BY 1")
    check("defr (two filtered roles) sees the union of their rows",
          rows == [("c-1", "DE"), ("c-2", "FR"), ("c-3", "DE")], f"{rows} {error}")
    rows, error = query(defr, "SELECT customer_id FROM demographics.customers "
                        "AT (VERSION => 1) WHERE country = 'UK'")
    check("defr does not see the UK row of version 1", rows == [], f"{rows} {error}")
    defr.close()

    depii = node.connect("depii")
    rows, error = query(depii, "SELECT customer_id, email FROM demographics.customers "
                        "ORDER BY 1")
    check("depii reads FR rows in clear (read-unmasked with a filter) and DE rows masked",
          rows == [("c-1", "***"), ("c-2", "li.ming@example.org"), ("c-3", "***")],
          f"{rows} {error}")
    rows, error = query(depii, "SELECT count(*) FROM demographics.customers "
                        "WHERE email LIKE '%example.com'")
    check("depii cannot match a masked DE email", rows == [(0,)], f"{rows} {error}")
    depii.close()

    own = node.connect("c-2")
    rows, error = query(own, "SELECT customer_id FROM demographics.customers")
    check("c-2 sees its own row through current_principal()", rows == [("c-2",)],
          f"{rows} {error}")
    own.close()

    done = subprocess.run(["psql", "-X", "-A", "-t", "-h", "127.0.0.1", "-p", str(node.sql_port),
                           "-U", "de", "-d", "quanta", "-c",
                           "SELECT count(*) FROM demographics.customers WHERE true OR 1=1"],
                          capture_output=True, text=True, timeout=60,
                          env=dict(os.environ, PGCONNECT_TIMEOUT="10"))
    check("psql as de counts its 2 rows", done.returncode == 0 and done.stdout.strip() == "2",
          done.stdout + done.stderr)




def test_http(node, work):
    base = f"{node.url}/v1/products/customers/demographics/datasets/customers"

    def ids(user, parameters=""):
        query = "&".join(part for part in ("columns=customer_id", parameters) if part)
        status, body, headers = http("GET", f"{base}?{query}", user)
        rows = json.loads(body).get("rows") if status == 200 else None
        return ([r["customer_id"] for r in rows] if rows is not None else (status, body)), headers

    got, _ = ids("de")
    check("HTTP: de reads its rows", got == ["c-1", "c-3"], got)
    got, _ = ids("de", "country=eq.FR")
    check("HTTP: de's filter on country=FR finds nothing", got == [], got)
    got, _ = ids("de", "version=1")
    check("HTTP: de's time travel to version 1 sees c-1 only", got == ["c-1"], got)
    got, _ = ids("defr", "version=1")
    check("HTTP: defr at version 1 sees DE and FR, not UK", got == ["c-1", "c-2"], got)
    got, headers = ids("de", "limit=1")
    cursor = headers.get("Quanta-Next-Cursor") or headers.get("quanta-next-cursor")
    pages = [got]
    if cursor:
        got, headers = ids("de", f"limit=1&cursor={cursor}")
        pages.append(got)
        cursor = headers.get("Quanta-Next-Cursor") or headers.get("quanta-next-cursor")
    check("HTTP: de's pages hold its two rows and end there",
          pages == [["c-1"], ["c-3"]] and not cursor, f"{pages} {cursor} {headers}")
    got, _ = ids("c-2")
    check("HTTP: c-2 reads its own row", got == ["c-2"], got)

    status, body, _ = http("GET", f"{base}/export?format=parquet", "de")
    manifest = json.loads(body) if status == 200 else {}
    check("HTTP export: de's manifest says it is filtered, with its 2 rows",
          manifest.get("filtered") is True and manifest.get("rowCount") == 2 and
          "country = 'DE'" in (manifest.get("rowFilter") or ""), f"{status} {body}")
    status, body, _ = http("GET", f"{base}/export?format=parquet", "defr")
    other = json.loads(body) if status == 200 else {}
    check("HTTP export: defr's export has 3 rows in other files",
          other.get("rowCount") == 3 and manifest and
          other["files"][0]["path"] != manifest["files"][0]["path"] and
          "-filtered-" in other["files"][0]["path"], f"{status} {body}")
    if manifest:
        ok, out = parquet_matches(node.quanta, work, manifest["files"][0]["path"],
                                  "customer_id, country, email",
                                  ["c-1\tDE\t***", "c-3\tDE\t***"])
        check("HTTP export: de's Parquet file holds only its rows, masked", ok, out)

    status, found = events(f"{base}/changes?since_version=0", "de", 2)
    rows = [c["row"] for event in found for c in event["changes"]] if status == 200 else []
    check("change stream: de's events carry only German rows, counted as such",
          status == 200 and len(found) == 2 and
          all(event["rowCount"] == len(event["changes"]) for event in found) and
          rows and all(row["country"] == "DE" for row in rows) and
          {row["customer_id"] for row in rows} == {"c-1", "c-3"}, f"{status} {found}")

    status, body, _ = http("GET", f"{node.url}/v1/products/customers/demographics/deadletters",
                           "defr")
    check("dead letters: a filtered reader gets 403", status == 403 and "row filter" in body,
          f"{status} {body}")


BAD_FILTERS = [
    ("a subquery on another table",
     "country IN (SELECT country FROM orders.orders)", "subquery"),
    ("a column that does not exist", "region = 'EU'", "region"),
    ("read_csv", "read_csv('/etc/passwd') IS NOT NULL", "read_csv()"),
]


def test_refused(node, work):
    for index, (what, expression, reason) in enumerate(BAD_FILTERS):
        roles = ("  - role: customers-bad-reader\n    access: read\n    customProperties:\n"
                 f"      - property: rowFilter\n        value: \"{expression}\"\n")
        folder = product_with_roles(work, f"bad{index}", roles)
        # The value is on the fifth line of the role, after `roles:`.
        with open(os.path.join(folder, CONTRACT)) as source:
            line = source.read().split("\n").index("roles:") + 6
        where = f"{os.path.join(folder, CONTRACT)}:{line}:16"
        linted = subprocess.run([node.quanta, "lint", folder], capture_output=True, text=True)
        out = linted.stdout + linted.stderr
        check(f"lint refuses a row filter with {what}, naming {where}",
              linted.returncode == 1 and where in out and "error[sql/row-filter]" in out and
              reason in out, out)
        done = deploy(node, folder)
        out = done.stdout + done.stderr
        check(f"deploy refuses a row filter with {what}, naming the place and the reason",
              done.returncode != 0 and re.search(rf"customers\.yaml:{line}:16", out) and
              "row filter of role 'customers-bad-reader'" in out and reason in out, out)
    got = http("GET", f"{node.url}/v1/products/customers/demographics/datasets/customers"
               "?columns=customer_id", "defr")
    check("the refused deploys left the deployed product serving", got[0] == 200, got[:2])


def run_tests(node, work):
    load(node, work)
    test_sql(node)
    test_http(node, work)
    test_refused(node, work)


if __name__ == "__main__":
    sys.exit(run_with_node(__doc__, "quanta-row-filters-", Node, CHECKS, run_tests))
