#!/usr/bin/env python3
"""The SQL port's memory limit as a consumer meets it: a query that needs more than the node's
memory and spill limits fails with SQLSTATE 53200 and a message naming them, and the node goes
on serving.

Usage: memory_limit_test.py QUANTA_BINARY

Starts `quanta node` with sql.memoryLimit 512MiB and sql.spillLimit 64MiB, deploys the orders
example product and ingests a few events over HTTP. Then, with psycopg2: a hash aggregate over
the dataset joined to range() (about a gigabyte of groups) and a string_agg of tens of
millions of rows must each fail with 53200, the message naming sql.memoryLimit and
sql.spillLimit; afterwards the same connection and a new one read the dataset, the HTTP read
and ingest still work, nothing committed is lost and the spill folder stayed within its limit.

Then a node with processMemoryLimit 2GiB and no sql.memoryLimit: per-row lists of a million
numbers and a 3 GB string, which DuckDB builds outside its memory limit, each fail with 53200
naming processMemoryLimit; the node's peak memory stays below it and it goes on serving.

Then the HTTP port: a node with room ingests 160 orders whose product ids are 1 MiB each and
reads them ordered by product; the same data on a node with sql.memoryLimit 128MiB and
sql.spillLimit 64MiB answers that read 503 with code out_of_memory, naming the limits, while a
read ordered by the key alone still answers every order.

Prints one line per check and a closing 'N passed, N failed'; exits 1 when a check failed.
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from checks import Checks  # noqa: E402
from running_node import RunningNode  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))

CHECKS = Checks()
check = CHECKS.check

# About 60 million groups of (order, i % 20000000): far beyond 512MiB of memory plus 64MiB of
# spill files. The count around it keeps the answer, were there one, to a single row.
BIG_AGGREGATE = ("SELECT count(*) FROM (SELECT o.order_id, r.i % 20000000 AS k, count(*) "
                 "FROM orders.orders o CROSS JOIN range(20000000) r(i) GROUP BY 1, 2) t")
# One value of about 600 MB: a single string cannot be spilled in parts.
BIG_STRING = ("SELECT length(string_agg(o.order_id || r.i::VARCHAR, ',')) "
              "FROM orders.orders o CROSS JOIN range(20000000) r(i)")


def http(method, url, body=None, content_type="application/json"):
    request = urllib.request.Request(url, data=body, method=method,
                                     headers={"Content-Type": content_type})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def order_event(event_id, order, event_type, amount, when, product="p-1"):
    return json.dumps({"event_id": event_id, "order_id": order, "customer_id": "c-1",
                       "event_type": event_type, "product_id": product, "category": "books",
                       "quantity": 2, "amount": amount, "occurred_at": when})


class Node(RunningNode):
    def __init__(self, quanta, work, memory_limit="512MiB", spill_limit="64MiB",
                 process_limit=None):
        process = f"processMemoryLimit: {process_limit}" if process_limit else ""
        super().__init__(quanta, work, textwrap.dedent(f"""\
                dataDir: data
                {process}
                http: {{listen: "127.0.0.1:0"}}
                sql:
                  listen: "127.0.0.1:0"
                  statementTimeout: 2m
                  {"memoryLimit: " + memory_limit if memory_limit else ""}
                  spillLimit: {spill_limit}
                principals:
                  - name: dev
                    trust: true
                    groups: [orders-reader]
                """))

    def connect(self):
        import psycopg2
        connection = psycopg2.connect(host="127.0.0.1", port=self.sql_port, user="dev",
                                      dbname="quanta", connect_timeout=10)
        connection.autocommit = True
        return connection


def ingest(node, *events):
    return http("POST", f"{node.url}/v1/products/orders/orders/ports/order_events/events",
                "\n".join(events).encode(), "application/x-ndjson")


def load_orders(node):
    done = subprocess.run([node.quanta, "deploy", os.path.join(REPO, "examples", "orders/orders"),
                           "--node", node.url], capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        raise RuntimeError(f"deploy orders/orders: {done.stdout}{done.stderr}")
    status, body = ingest(node,
                          order_event("e1", "o-1", "created", 10.5, "2026-03-01T10:00:00Z"),
                          order_event("e2", "o-2", "created", 20.25, "2026-03-01T10:01:00Z"),
                          order_event("e3", "o-3", "created", 5, "2026-03-01T10:02:00Z"))
    if status != 200:
        raise RuntimeError(f"orders ingest: {status} {body}")


def run_failing(cursor, sql):
    """Runs `sql`, which should fail; returns (pgcode, message) or (None, rows)."""
    import psycopg2
    try:
        cursor.execute(sql)
        return None, cursor.fetchall()
    except psycopg2.Error as error:
        return error.pgcode, error.pgerror or str(error)


def spill_bytes(folder):
    total = 0
    for name in os.listdir(folder) if os.path.isdir(folder) else []:
        try:
            total += os.path.getsize(os.path.join(folder, name))
        except FileNotFoundError:
            pass
    return total


def names_the_limits(message):
    return ("sql.memoryLimit" in message and "sql.spillLimit" in message and
            "512MiB" in message and "64MiB" in message and "SET memory_limit" not in message)


def machine_memory():
    """Physical memory, or the cgroup's memory.max when lower, as the node reads them."""
    physical = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    try:
        with open("/sys/fs/cgroup/memory.max") as limit:
            text = limit.read().strip()
        if text != "max" and 0 < int(text) < physical:
            return int(text)
    except (OSError, ValueError):
        pass
    return physical


def test_memory_limit(node):
    check("without processMemoryLimit, the node limits its data to 90% of the machine's memory",
          process_limit(node) == str(machine_memory() // 100 * 90), process_limit(node))
    spill = os.path.join(node.work, "data", "tmp", "duckdb")
    connection = node.connect()
    cursor = connection.cursor()
    cursor.execute("SELECT count(*) FROM orders.orders")
    check("the dataset reads before the big queries", cursor.fetchone()[0] == 3)

    # Not the statement timeout's 57014: the limit stops it first.
    code, message = run_failing(cursor, BIG_AGGREGATE)
    check("a hash aggregate past the memory and spill limits fails with 53200",
          code == "53200", f"{code} {message}")
    check("its message names the limits and the node.yaml keys that raise them",
          code == "53200" and names_the_limits(message) and "spill files reached" in message,
          message)
    # What may be left there is other buffers DuckDB moved out of memory meanwhile (in-memory
    # tables, say), which the limit covers too: never more than it, so the disk is not filled.
    check("the spill folder holds at most sql.spillLimit",
          spill_bytes(spill) <= 64 * 1024 * 1024, f"{spill_bytes(spill)} bytes")

    code, message = run_failing(cursor, BIG_STRING)
    check("a string_agg too large for memory fails with 53200 naming the memory limit",
          code == "53200" and names_the_limits(message) and "memory limit leaves no room" in message,
          f"{code} {message}")

    cursor.execute("SELECT order_id, amount FROM orders.orders ORDER BY 1")
    rows = [(order, float(amount)) for order, amount in cursor.fetchall()]
    check("the same connection then runs a normal query",
          rows == [("o-1", 10.5), ("o-2", 20.25), ("o-3", 5.0)], rows)
    connection.close()

    other = node.connect()
    cursor = other.cursor()
    cursor.execute("SELECT sum(amount) FROM orders.orders")
    check("a new connection runs a normal query", float(cursor.fetchone()[0]) == 35.75)

    status, body = http("GET", f"{node.url}/healthz")
    check("the node is alive", status == 200 and node.process.poll() is None, f"{status} {body}")
    status, body = http("GET", f"{node.url}/v1/products/orders/orders/datasets/orders")
    rows = json.loads(body).get("rows", []) if status == 200 else []
    check("an HTTP read still works and sees every committed row",
          status == 200 and sorted(row["order_id"] for row in rows) == ["o-1", "o-2", "o-3"],
          f"{status} {body}")

    status, body = ingest(node, order_event("e4", "o-1", "paid", 10.5, "2026-03-01T11:00:00Z"),
                          order_event("e5", "o-4", "created", 7, "2026-03-01T11:01:00Z"))
    cursor.execute("SELECT order_id, status FROM orders.orders ORDER BY 1")
    rows = cursor.fetchall()
    check("ingest commits after the failures and SQL sees it", status == 200 and rows ==
          [("o-1", "paid"), ("o-2", "created"), ("o-3", "created"), ("o-4", "created")],
          f"ingest {status} {body}; {rows}")
    other.close()


# Orders whose product ids are 1 MiB each, 160 MiB of rows: loaded by a node with room for
# them, then read by the same data on a node with the smallest memory limit, where a sort that
# holds every row whole with its JSON needs more than its memory and spill files together.
SMALL_MEMORY = "128MiB"
BIG_ORDERS = 160
BIG_PRODUCT_BYTES = 1024 * 1024
# Pages are ordered by the column asked for, then by every column (so that they never overlap).
ORDERED_BY_PRODUCT = "columns=order_id&order=product_id.desc&limit=200"


def dataset_read(node, query):
    status, body = http("GET", f"{node.url}/v1/products/orders/orders/datasets/orders?{query}")
    try:
        return status, json.loads(body)
    except ValueError:
        return status, {"unreadable": body}


def test_http_read_out_of_memory(quanta, work):
    node = Node(quanta, work, memory_limit="2GiB", spill_limit="1GiB")
    try:
        done = subprocess.run([quanta, "deploy", os.path.join(REPO, "examples", "orders/orders"),
                               "--node", node.url], capture_output=True, text=True, timeout=120)
        check("the orders product deploys", done.returncode == 0, done.stdout + done.stderr)
        ingested, refused = 0, []
        # 8 to a batch: under the node's 16 MiB limit on a request body.
        for first in range(0, BIG_ORDERS, 8):
            events = [order_event(f"big-{n}", f"o-{n:04d}", "created", 1,
                                  "2026-03-02T10:00:00Z",
                                  product=f"p-{n:04d}-" + "x" * BIG_PRODUCT_BYTES)
                      for n in range(first, first + 8)]
            status, body = ingest(node, *events)
            if status == 200:
                ingested += json.loads(body).get("accepted", 0)
            else:
                refused.append(f"{status} {body}"[:300])
        check(f"{BIG_ORDERS} orders of 1 MiB each are ingested", ingested == BIG_ORDERS,
              f"{ingested} accepted; {refused[:2]}")
        status, body = dataset_read(node, ORDERED_BY_PRODUCT)
        ids = [row["order_id"] for row in body.get("rows", [])]
        check("with room, the read ordered by product answers every order in that order",
              status == 200 and ids == [f"o-{n:04d}" for n in reversed(range(BIG_ORDERS))],
              f"{status} {ids[:3]}")
    finally:
        node.stop()

    node = Node(quanta, work, memory_limit=SMALL_MEMORY, spill_limit="64MiB")
    try:
        # Ordered by order_id alone, the default: the sort holds only the small column.
        status, body = dataset_read(node, "columns=order_id&limit=3")
        check("on 128MiB, a read of the key column needs little memory and answers",
              status == 200 and [row["order_id"] for row in body.get("rows", [])] ==
              ["o-0000", "o-0001", "o-0002"], f"{status} {body}"[:300])

        # The same read as above: its sort holds the 1 MiB product ids of every row.
        status, body = dataset_read(node, ORDERED_BY_PRODUCT)
        error = body.get("error", {}) if isinstance(body, dict) else {}
        message = error.get("message", "")
        check("an HTTP read whose sort needs more than sql.memoryLimit answers 503 out_of_memory",
              status == 503 and error.get("code") == "out_of_memory", f"{status} {body}"[:600])
        check("its message names the limits and the node.yaml keys that raise them",
              "sql.memoryLimit" in message and SMALL_MEMORY in message and
              "sql.spillLimit" in message and "SET memory_limit" not in message, message)

        status, body = dataset_read(node, "columns=order_id&limit=200")
        check("the node then answers the small read, every order still there",
              status == 200 and len(body.get("rows", [])) == BIG_ORDERS and
              node.process.poll() is None, f"{status}")
    finally:
        node.stop()
        if CHECKS.failed:
            node.print_log_tail()


# Lists that DuckDB builds outside its buffer manager, so that sql.memoryLimit does not bound
# them: the last rows' lists hold about a million numbers each, terabytes in all.
GROWING_LISTS = ("SELECT max(len(l)) FROM (SELECT list(range) OVER (ORDER BY range ROWS BETWEEN "
                 "UNBOUNDED PRECEDING AND CURRENT ROW) AS l FROM range(1000000))")
# One value of 3 GB: more than the process may allocate.
HUGE_VALUE = "SELECT length(repeat('x', 3000000000))"


def process_limit(node):
    with open(f"/proc/{node.process.pid}/limits") as limits:
        for line in limits:
            if line.startswith("Max data size"):
                return line.split()[3]
    return None


def test_process_memory_limit(quanta, work):
    node = Node(quanta, work, memory_limit=None, spill_limit="1GiB", process_limit="2GiB")
    try:
        load_orders(node)
        check("the node limits its process's data to processMemoryLimit",
              process_limit(node) == str(2 << 30), process_limit(node))
        connection = node.connect()
        cursor = connection.cursor()
        for name, sql in (("lists that grow to a million numbers per row", GROWING_LISTS),
                          ("a 3 GB string", HUGE_VALUE)):
            code, message = run_failing(cursor, sql)
            check(f"{name} fails with 53200, naming processMemoryLimit",
                  code == "53200" and "processMemoryLimit" in str(message) and
                  "2048MiB" in str(message), f"{code} {message}"[:500])
            cursor.execute("SELECT count(*) FROM orders.orders")
            check(f"after {name}, the node answers on the same connection with every order",
                  cursor.fetchone()[0] == 3 and node.process.poll() is None)
        with open(f"/proc/{node.process.pid}/status") as status:
            peak = next(int(line.split()[1]) for line in status if line.startswith("VmHWM"))
        check("the node's peak memory stayed within processMemoryLimit", peak < 2 << 20,
              f"{peak} KiB")
        status, body = ingest(node, order_event("e4", "o-4", "created", 1, "2026-03-01T11:00:00Z"))
        check("the node still ingests", status == 200, f"{status} {body}")
    finally:
        node.stop()
        if CHECKS.failed:
            node.print_log_tail()


def main():
    if len(sys.argv) != 2:
        print(__doc__)
        return 2
    quanta = os.path.abspath(sys.argv[1])
    sys.path.insert(0, "/usr/lib/python3/dist-packages")
    work = tempfile.mkdtemp(prefix="quanta-memory-limit-")
    node = Node(quanta, work)
    try:
        load_orders(node)
        test_memory_limit(node)
    finally:
        node.stop()
        if CHECKS.failed:
            node.print_log_tail()
        shutil.rmtree(work, ignore_errors=True)
    work = tempfile.mkdtemp(prefix="quanta-memory-limit-process-")
    try:
        test_process_memory_limit(quanta, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    work = tempfile.mkdtemp(prefix="quanta-memory-limit-http-")
    try:
        test_http_read_out_of_memory(quanta, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(CHECKS.summary())
    return 1 if CHECKS.failed else 0


if __name__ == "__main__":
    sys.exit(main())
