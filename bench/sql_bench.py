#!/usr/bin/env python3
"""Benchmarks of a Quanta node's SQL port, against PostgreSQL 15 on the same rows in the same run.

The rows: a product bench/sales (id, customer_id, category, amount, sold_at), generated here,
loaded into the node over HTTP ingest in NDJSON batches and into PostgreSQL with COPY (the
table has a primary key on id, as a PostgreSQL user would create it).

1. Round trips: pgbench with custom scripts (SELECT 1; a point lookup by id) in the simple,
   extended and prepared protocols, the same clients and duration against both; TPS ratio.
2. Aggregation: a GROUP BY over every row, timed by a libpq client (bench/libpq_reader.c);
   PostgreSQL's time over ours, and ours over DuckDB's own in-process time on a table of the
   same rows (bench/sql_baseline.cc).
3. Streaming: every row of the table to a libpq client, as a SELECT read in single-row mode
   and as COPY ... TO STDOUT; rows/s, ours over PostgreSQL's.
4. Load: 64 pgbench clients mixing point lookups and the aggregation on the node; halfway a
   deliberately slow client opens a big result and reads it slowly. Reports the point lookups'
   latency without and with it, the node's RSS over time, and checks that connections beyond
   the node's maxConnections get PostgreSQL's "too many clients" error.

PostgreSQL is started here as the postgres user from a temporary data directory on 127.0.0.1
and stopped at the end. Only the standard library is used. Nothing here asserts on time: the
script stops with an error only when a result is wrong (a row count, a failed transaction, a
missing refusal). See bench/README.md.
"""

import argparse
import concurrent.futures
import datetime
import glob
import http.client
import json
import os
import platform
import pwd
import re
import shutil
import signal
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import textwrap
import threading
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DUCKDB_DIR = os.path.join(REPO, "third_party", "duckdb")
PG_BIN = "/usr/lib/postgresql/15/bin"
USER = "bench"  # a trusted principal on the node, a trusted role in PostgreSQL
TABLE = "sales.sales"

# name, logicalType, physicalType, DuckDB type, PostgreSQL type
COLUMNS = [
    ("id", "integer", None, "BIGINT", "bigint PRIMARY KEY"),
    ("customer_id", "string", None, "VARCHAR", "text NOT NULL"),
    ("category", "string", None, "VARCHAR", "text NOT NULL"),
    ("amount", "number", "decimal(12,2)", "DECIMAL(12,2)", "numeric(12,2) NOT NULL"),
    ("sold_at", "timestamp", None, "TIMESTAMP WITH TIME ZONE", "timestamptz NOT NULL"),
]
COLUMN_LIST = ", ".join(c[0] for c in COLUMNS)
CATEGORIES = ["books", "games", "garden", "kitchen", "music", "office", "outdoor", "pets",
              "shoes", "sports", "tools", "toys"]
AGGREGATION = (f"SELECT category, count(*) AS sales, sum(amount) AS total, "
               f"min(sold_at) AS first_sale, max(sold_at) AS last_sale, avg(amount) AS mean "
               f"FROM {TABLE} GROUP BY category ORDER BY category")
STREAM = f"SELECT {COLUMN_LIST} FROM {TABLE}"
POINT_SCRIPT = f"\\set id random(0, {{last}})\nSELECT {COLUMN_LIST} FROM {TABLE} WHERE id = :id;\n"


# --------------------------------------------------------------------------------------------
# The rows


def generate(work_dir, rows, batch):
    """Writes the rows as NDJSON (for HTTP ingest) and CSV (for COPY and DuckDB); returns the
    byte ranges of the NDJSON batches."""
    base = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)
    ndjson_path, csv_path = os.path.join(work_dir, "sales.ndjson"), os.path.join(work_dir,
                                                                                 "sales.csv")
    ranges = []
    days = {}
    with open(ndjson_path, "w") as ndjson, open(csv_path, "w") as csv:
        offset = 0
        for start in range(0, rows, batch):
            json_lines, csv_lines = [], []
            for i in range(start, min(rows, start + batch)):
                day, second = divmod(i * 3, 86400)  # one sale every 3 seconds
                date = days.get(day)
                if date is None:
                    date = days[day] = (base + datetime.timedelta(days=day)).strftime("%Y-%m-%d")
                hour, rest = divmod(second, 3600)
                at = f"{date}T{hour:02d}:{rest // 60:02d}:{rest % 60:02d}Z"
                cents = 99 + i * 7919 % 50000
                amount = f"{cents // 100}.{cents % 100:02d}"
                customer = f"c-{i * 31 % 1000003:07d}"
                category = CATEGORIES[i * 7 % len(CATEGORIES)]
                json_lines.append(f'{{"id":{i},"customer_id":"{customer}","category":"{category}",'
                                  f'"amount":{amount},"sold_at":"{at}"}}\n')
                csv_lines.append(f"{i},{customer},{category},{amount},{at}\n")
            text = "".join(json_lines)
            ndjson.write(text)
            csv.write("".join(csv_lines))
            ranges.append((offset, len(text)))
            offset += len(text)
    return ndjson_path, csv_path, ranges


def expected_aggregation(rows):
    """The count and sum per category, computed here, to check every system's answer."""
    counts, cents = {}, {}
    for i in range(rows):
        category = CATEGORIES[i * 7 % len(CATEGORIES)]
        counts[category] = counts.get(category, 0) + 1
        cents[category] = cents.get(category, 0) + 99 + i * 7919 % 50000
    return {c: (counts[c], f"{cents[c] // 100}.{cents[c] % 100:02d}") for c in sorted(counts)}


# --------------------------------------------------------------------------------------------
# The product


def contract_yaml(name, physical_type, primary_key=None):
    lines = [
        "apiVersion: v3.1.0", "kind: DataContract", f"id: urn:quanta:bench:sales:contract:{name}",
        f"name: {name}", "version: 1.0.0", "status: active", "domain: bench",
        "dataProduct: sales", "description:",
        "  purpose: Synthetic sales written by bench/sql_bench.py.", "team:", "  name: bench",
        "  members:", "    - username: bench@example.com", "      role: owner", "schema:",
        f"  - name: {name}", f"    physicalType: {physical_type}", "    description: One sale.",
        "    properties:",
    ]
    for column, logical, physical, _, _ in COLUMNS:
        lines += [f"      - name: {column}", f"        logicalType: {logical}"]
        if physical:
            lines.append(f'        physicalType: "{physical}"')
        lines.append("        required: true")
        if column == primary_key:
            lines += ["        primaryKey: true", "        primaryKeyPosition: 1"]
        lines.append(f"        description: The {column.replace('_', ' ')}.")
    lines += ["slaProperties:", "  - {property: latency, value: 1, unit: m}",
              "  - {property: retention, value: 1, unit: y}"]
    return "\n".join(lines) + "\n"


def product_files():
    return {
        "product.yaml": textwrap.dedent("""\
            apiVersion: v1.0.0
            kind: DataProduct
            id: urn:quanta:bench:sales
            name: sales
            version: 1.0.0
            status: active
            domain: bench
            description:
              purpose: Benchmark product of bench/sql_bench.py.
              limitations: Synthetic data.
              usage: Measured by bench/sql_bench.py only.
            team:
              name: bench
              members:
                - username: bench@example.com
                  role: owner
            inputPorts:
              - name: sales_in
                version: 1.0.0
                contractId: urn:quanta:bench:sales:contract:sales_in
            outputPorts:
              - name: sales
                version: 1.0.0
                contractId: urn:quanta:bench:sales:contract:sales
            """),
        "pipeline.yaml": textwrap.dedent("""\
            apiVersion: quanta/v1
            kind: Pipeline
            inputs:
              - port: sales_in
                source: http
            datasets:
              - name: sales
                outputPort: sales
                transform: transforms/sales.sql
                mode: append
            """),
        "transforms/sales.sql": f"SELECT {COLUMN_LIST}\nFROM sales_in\n",
        "contracts/sales_in.yaml": contract_yaml("sales_in", "topic"),
        "contracts/sales.yaml": contract_yaml("sales", "table", "id"),
    }


# --------------------------------------------------------------------------------------------
# The node and PostgreSQL


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def status_kib(pid, field):
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


class Node:
    """A `quanta node` with the SQL port on free loopback ports and its own data directory."""

    def __init__(self, binary, work_dir, max_connections, rows):
        config = os.path.join(work_dir, "node.yaml")
        # Room to keep the sales rows for point lookups (about 110 bytes a row, docs/sql-port.md),
        # beyond the default 1GiB that the full 10 million rows outgrow.
        lookup_mib = max(1024, rows * 160 // (1024 * 1024))
        with open(config, "w") as out:
            out.write(textwrap.dedent(f"""\
                dataDir: node-data
                http: {{listen: "127.0.0.1:0"}}
                sql:
                  listen: "127.0.0.1:0"
                  maxConnections: {max_connections}
                  lookupMemory: {lookup_mib}MiB
                principals:
                  - name: {USER}
                    trust: true
                """))
        self.log_path = os.path.join(work_dir, "node.log")
        self.log = open(self.log_path, "w+")
        self.process = subprocess.Popen([binary, "node", "--config", config], cwd=work_dir,
                                        stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + 60
        self.http_port = self.sql_port = None
        while time.time() < deadline and not (self.http_port and self.sql_port):
            time.sleep(0.1)
            with open(self.log_path) as log:
                text = log.read()
            match = re.search(r"listening on http://127\.0\.0\.1:(\d+)", text)
            self.http_port = int(match.group(1)) if match else None
            match = re.search(r"serving SQL on postgresql://127\.0\.0\.1:(\d+)", text)
            self.sql_port = int(match.group(1)) if match else None
            if self.process.poll() is not None:
                break
        if not (self.http_port and self.sql_port):
            self.process.kill()
            raise SystemExit(f"the node did not start:\n{open(self.log_path).read()}")

    def conninfo(self):
        return f"host=127.0.0.1 port={self.sql_port} user={USER} dbname=quanta"

    def connection(self):
        return http.client.HTTPConnection("127.0.0.1", self.http_port, timeout=600)

    def request(self, method, path, body=None, content_type="application/json"):
        connection = self.connection()
        connection.request(method, path, body=body, headers={"Content-Type": content_type})
        response = connection.getresponse()
        data = response.read()
        connection.close()
        if response.status not in (200, 201):
            raise SystemExit(f"{method} {path}: HTTP {response.status}: {data[:500]!r}")
        return json.loads(data)

    def stop(self):
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


class Postgres:
    """PostgreSQL 15 from a fresh data directory, run as the postgres user on 127.0.0.1."""

    def __init__(self, work_dir):
        for tool in ("initdb", "pg_ctl", "postgres"):
            if not os.access(os.path.join(PG_BIN, tool), os.X_OK):
                raise SystemExit(f"{PG_BIN}/{tool} is missing: apt-get install postgresql-15")
        self.dir = os.path.join(work_dir, "postgres")
        os.makedirs(self.dir)
        account = pwd.getpwnam("postgres")
        os.chown(self.dir, account.pw_uid, account.pw_gid)
        self.data = os.path.join(self.dir, "data")
        self.port = free_port()
        self.as_postgres([f"{PG_BIN}/initdb", "-D", self.data, "-U", "postgres", "--auth=trust",
                          "--encoding=UTF8", "--locale=C.UTF-8"])
        # Settings of a server given this machine's memory for reads, as the node's DuckDB
        # takes its default share; durability settings do not matter to these reads.
        options = (f"-c listen_addresses=127.0.0.1 -c port={self.port} "
                   f"-c unix_socket_directories={self.dir} -c max_connections=200 "
                   "-c shared_buffers=2GB -c work_mem=64MB -c maintenance_work_mem=512MB "
                   "-c max_wal_size=8GB -c synchronous_commit=off -c jit=off")
        self.as_postgres([f"{PG_BIN}/pg_ctl", "-D", self.data, "-l",
                          os.path.join(self.dir, "postgres.log"), "-o", options, "-w", "start"])
        self.psql("-d", "postgres", "-c", f"CREATE ROLE {USER} LOGIN SUPERUSER",
                  "-c", "CREATE DATABASE quanta OWNER bench")

    def as_postgres(self, command):
        done = subprocess.run(["runuser", "-u", "postgres", "--", *command], capture_output=True,
                              text=True, cwd=self.dir)
        if done.returncode != 0:
            raise SystemExit(f"{' '.join(command)} failed:\n{done.stdout}{done.stderr}")

    def conninfo(self):
        return f"host=127.0.0.1 port={self.port} user={USER} dbname=quanta"

    def psql(self, *arguments, stdin=None):
        command = ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p",
                   str(self.port), "-U", USER if "-d" not in arguments else "postgres",
                   *arguments]
        if "-d" not in arguments:
            command += ["-d", "quanta"]
        done = subprocess.run(command, capture_output=True, text=True, stdin=stdin)
        if done.returncode != 0:
            raise SystemExit(f"psql {arguments} failed:\n{done.stdout}{done.stderr}")
        return done.stdout

    def backend_rss_kib(self):
        """The summed RSS of the server's processes (shared buffers counted once per process
        that touched them, so an upper bound)."""
        total = 0
        with open(os.path.join(self.data, "postmaster.pid")) as pid_file:
            postmaster = int(pid_file.readline())
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    with open(f"/proc/{entry}/stat") as stat:
                        fields = stat.read().rsplit(")", 1)[1].split()
                    if int(fields[1]) == postmaster or int(entry) == postmaster:
                        total += status_kib(entry, "VmRSS") or 0
                except (OSError, ValueError, IndexError):
                    pass
        return total

    def stop(self):
        subprocess.run(["runuser", "-u", "postgres", "--", f"{PG_BIN}/pg_ctl", "-D", self.data,
                        "-m", "fast", "-w", "stop"], capture_output=True)


# --------------------------------------------------------------------------------------------
# A minimal protocol client: what the slow client and the connection-limit check need, which
# libpq and pgbench cannot do (read a result at a chosen pace; hold many sessions open).


class RawSession:
    def __init__(self, port, user=USER):
        self.socket = socket.create_connection(("127.0.0.1", port), timeout=30)
        body = struct.pack("!I", 196608) + f"user\0{user}\0database\0quanta\0\0".encode()
        self.socket.sendall(struct.pack("!I", len(body) + 4) + body)
        self.buffer = b""

    def message(self):
        while len(self.buffer) < 5 or len(self.buffer) < 1 + struct.unpack(
                "!I", self.buffer[1:5])[0]:
            data = self.socket.recv(65536)
            if not data:
                raise ConnectionError("the server closed the connection")
            self.buffer += data
        length = struct.unpack("!I", self.buffer[1:5])[0]
        kind, body = self.buffer[:1], self.buffer[5:1 + length]
        self.buffer = self.buffer[1 + length:]
        return kind, body

    def sign_in(self):
        """Returns None once ReadyForQuery arrives, or the ErrorResponse's fields."""
        while True:
            kind, body = self.message()
            if kind == b"Z":
                return None
            if kind == b"E":
                fields = {}
                for field in body.split(b"\0"):
                    if field:
                        fields[chr(field[0])] = field[1:].decode()
                return fields

    def send_query(self, sql):
        body = sql.encode() + b"\0"
        self.socket.sendall(b"Q" + struct.pack("!I", len(body) + 4) + body)

    def close(self):
        try:
            self.socket.sendall(b"X\0\0\0\4")
        except OSError:
            pass
        self.socket.close()


class SlowClient(threading.Thread):
    """Sends a query with a big result, then reads `chunk` bytes every `pause` seconds."""

    def __init__(self, port, sql, chunk=16384, pause=0.05):
        super().__init__(daemon=True)
        self.port, self.sql, self.chunk, self.pause = port, sql, chunk, pause
        self.stop_event = threading.Event()
        self.bytes_read = 0
        self.error = None

    def run(self):
        try:
            session = RawSession(self.port)
            refused = session.sign_in()
            if refused:
                self.error = refused
                return
            session.send_query(self.sql)
            session.socket.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
            while not self.stop_event.is_set():
                data = session.socket.recv(self.chunk)
                if not data:
                    self.error = "the node closed the slow client's connection"
                    return
                self.bytes_read += len(data)
                time.sleep(self.pause)
            session.socket.close()  # in the middle of the result, as an impatient client does
        except OSError as error:
            self.error = str(error)


# --------------------------------------------------------------------------------------------
# Tools


def run_json(command):
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"{command[0]} failed ({done.returncode}):\n{done.stderr[-2000:]}")
    return json.loads(done.stdout)


def build_tools(work_dir):
    include, lib = os.path.join(DUCKDB_DIR, "include"), os.path.join(DUCKDB_DIR, "lib")
    if not os.path.exists(os.path.join(lib, "libduckdb.so")):
        raise SystemExit(f"{lib}/libduckdb.so is missing: run scripts/fetch_duckdb.sh")
    baseline = os.path.join(work_dir, "sql_baseline")
    subprocess.run([os.environ.get("CXX", "g++"), "-std=c++20", "-O2", f"-I{include}",
                    os.path.join(REPO, "bench", "sql_baseline.cc"), f"-L{lib}", "-lduckdb",
                    f"-Wl,-rpath,{lib}", "-o", baseline], check=True)
    reader = os.path.join(work_dir, "libpq_reader")
    subprocess.run([os.environ.get("CC", "cc"), "-O2", "-o", reader,
                    os.path.join(REPO, "bench", "libpq_reader.c"), "-I/usr/include/postgresql",
                    "-lpq"], check=True)
    return baseline, reader


def pgbench(conninfo, scripts, mode, clients, seconds, log_prefix=None):
    """Runs pgbench with `scripts` ([(path, weight)]); returns its summary numbers."""
    command = ["pgbench", "-n", "-M", mode, "-c", str(clients), "-j", str(min(clients, 2)),
               "-T", str(seconds)]
    for path, weight in scripts:
        command += ["-f", f"{path}@{weight}"]
    if log_prefix:
        command += ["--log", f"--log-prefix={log_prefix}"]
    done = subprocess.run(command + [conninfo], capture_output=True, text=True,
                          cwd=os.path.dirname(scripts[0][0]))
    output = done.stdout + done.stderr
    tps = re.search(r"tps = ([\d.]+) \(without initial connection time\)", output)
    processed = re.search(r"number of transactions actually processed: (\d+)", output)
    failed = re.search(r"number of failed transactions: (\d+)", output)
    if done.returncode != 0 or not tps or not processed or (failed and int(failed.group(1))):
        raise SystemExit(f"pgbench {mode} against {conninfo} failed:\n{output[-3000:]}")
    latency = re.search(r"latency average = ([\d.]+) ms", output)
    return {"tps": float(tps.group(1)), "transactions": int(processed.group(1)),
            "latencyMs": float(latency.group(1)) if latency else None}


def percentile(values, fraction):
    ordered = sorted(values)
    if not ordered:
        return None
    return ordered[min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))]


def check_aggregation(name, rows, expected):
    got = {row[0]: (int(row[1]), row[2]) for row in rows}
    if got != expected:
        raise SystemExit(f"{name}'s aggregation is wrong:\n  got      {got}\n  expected {expected}")


# --------------------------------------------------------------------------------------------
# Measurements


def load(args, work_dir, node, postgres, baseline_binary):
    ndjson_path, csv_path, ranges = generate(work_dir, args.rows, args.batch)
    result = {"rows": args.rows, "batch": args.batch, "senders": args.senders,
              "ndjsonBytes": os.path.getsize(ndjson_path)}

    # The node: NDJSON batches over HTTP from concurrent senders, each batch read from the
    # file just before it is sent.
    node.request("PUT", "/v1/products/bench/sales", json.dumps({"files": product_files()}).encode())
    next_batch = iter(range(len(ranges)))
    lock = threading.Lock()
    accepted = []

    def sender():
        connection = node.connection()
        with open(ndjson_path, "rb") as source:
            while True:
                with lock:
                    index = next(next_batch, None)
                if index is None:
                    break
                offset, length = ranges[index]
                source.seek(offset)
                body = source.read(length)
                connection.request("POST", "/v1/products/bench/sales/ports/sales_in/events",
                                   body=body, headers={"Content-Type": "application/x-ndjson"})
                response = connection.getresponse()
                reply = response.read()
                if response.status != 200:
                    raise SystemExit(f"batch {index}: HTTP {response.status}: {reply[:500]!r}")
                reply = json.loads(reply)
                if reply["rejected"]:
                    raise SystemExit(f"batch {index}: {reply['rejections'][:3]}")
                accepted.append(reply["accepted"])
        connection.close()

    started = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(args.senders) as pool:
        for future in [pool.submit(sender) for _ in range(args.senders)]:
            future.result()
    node_rows = node.request("GET", "/v1/products/bench/sales")["datasets"][0]["rows"]
    result["nodeSeconds"] = time.perf_counter() - started
    if node_rows != args.rows or sum(accepted) != args.rows:
        raise SystemExit(f"the node holds {node_rows} rows and accepted {sum(accepted)}, "
                         f"not {args.rows}")
    result["nodePeakRssMiB"] = (status_kib(node.process.pid, "VmHWM") or 0) / 1024

    # PostgreSQL: COPY from the CSV, then the primary key's index and statistics, as a user
    # would load a table before querying it.
    columns = ", ".join(f"{c[0]} {c[4]}" for c in COLUMNS)
    postgres.psql("-c", "CREATE SCHEMA sales",
                  "-c", f"CREATE TABLE {TABLE} ({columns.replace(' PRIMARY KEY', '')})")
    started = time.perf_counter()
    with open(csv_path) as source:
        postgres.psql("-c", f"COPY {TABLE} FROM STDIN (FORMAT csv)", stdin=source)
    result["postgresCopySeconds"] = time.perf_counter() - started
    postgres.psql("-c", f"ALTER TABLE {TABLE} ADD PRIMARY KEY (id)", "-c",
                  f"VACUUM (ANALYZE) {TABLE}")
    result["postgresSeconds"] = time.perf_counter() - started
    count = int(postgres.psql("-A", "-t", "-c", f"SELECT count(*) FROM {TABLE}").strip())
    if count != args.rows:
        raise SystemExit(f"PostgreSQL holds {count} rows, not {args.rows}")

    # DuckDB in process: the same CSV into a table of the node's column types.
    types = "{" + ", ".join(f"'{c[0]}': '{c[3]}'" for c in COLUMNS) + "}"
    setup = (f"CREATE SCHEMA sales; CREATE TABLE {TABLE} AS SELECT * FROM read_csv("
             f"'{csv_path}', columns = {types}, header = false); CHECKPOINT")
    result["duckdbSetup"] = setup
    args.duckdb_file = os.path.join(work_dir, "baseline.duckdb")
    args.duckdb_setup = setup
    os.remove(ndjson_path)
    return result


def engine_statement_rate(args, work_dir, baseline_binary):
    """DuckDB's own rate for the round trips' statements: prepared once, run in a loop on one
    connection in this machine's process, no network or protocol, on a table indexed on id as
    the node's is. It bounds what any server
    that runs each statement through DuckDB can answer per connection."""
    rates = {}
    db_file = os.path.join(work_dir, "statements.duckdb")
    point = f"SELECT {COLUMN_LIST} FROM {TABLE} WHERE id = $1"
    for name, query, keys in (("select1", "SELECT 1", None), ("point", point, args.rows)):
        # The first run loads the rows, with the index the node keeps on the key.
        setup = ("SELECT 1" if rates else
                 f"{args.duckdb_setup}; CREATE INDEX sales_lookup ON {TABLE} (id); CHECKPOINT")
        command = [baseline_binary, "--statements", db_file, setup, query,
                   str(min(args.pgbench_seconds, 5))]
        if keys:
            command.append(str(keys))
        done = run_json(command)
        rates[name] = done["statements"] / done["seconds"]
    return rates


def bench_round_trips(args, work_dir, node, postgres, baseline_binary):
    scripts = {"select1": "SELECT 1;\n", "point": POINT_SCRIPT.format(last=args.rows - 1)}
    paths = {}
    for name, text in scripts.items():
        paths[name] = os.path.join(work_dir, f"{name}.sql")
        with open(paths[name], "w") as out:
            out.write(text)
    # A point lookup returns its one row from both before it is counted.
    probe = f"SELECT {COLUMN_LIST} FROM {TABLE} WHERE id = {args.rows // 2}"
    for target in (node, postgres):
        done = run_json([args.reader, target.conninfo(), "rows", probe, "1"])
        if done["runs"][0]["rows"] != 1 or done["sample"][0][0] != str(args.rows // 2):
            raise SystemExit(f"the point lookup returned {done}")
    results = []
    for name in scripts:
        for mode in ("simple", "extended", "prepared"):
            ours = pgbench(node.conninfo(), [(paths[name], 1)], mode, args.clients,
                           args.pgbench_seconds)
            theirs = pgbench(postgres.conninfo(), [(paths[name], 1)], mode, args.clients,
                             args.pgbench_seconds)
            results.append({"script": name, "mode": mode, "ours": ours, "postgres": theirs,
                            "ratio": ours["tps"] / theirs["tps"]})
    engine = engine_statement_rate(args, work_dir, baseline_binary)
    for row in results:
        row["duckdbStatementsPerSecond"] = engine[row["script"]]
    return results


def bench_aggregation(args, work_dir, node, postgres, baseline_binary):
    expected = expected_aggregation(args.rows)
    runs = args.aggregation_runs
    ours = run_json([args.reader, node.conninfo(), "rows", AGGREGATION, str(runs + 1)])
    theirs = run_json([args.reader, postgres.conninfo(), "rows", AGGREGATION, str(runs + 1)])
    duckdb = run_json([baseline_binary, args.duckdb_file, args.duckdb_setup, AGGREGATION,
                       str(runs + 1)])
    check_aggregation("the node", ours["sample"], expected)
    check_aggregation("PostgreSQL", theirs["sample"], expected)
    check_aggregation("DuckDB", duckdb["rows"], expected)
    # The first run warms caches on every side; the median of the others counts.
    ours_s = statistics.median(r["seconds"] for r in ours["runs"][1:])
    theirs_s = statistics.median(r["seconds"] for r in theirs["runs"][1:])
    duckdb_s = statistics.median(duckdb["seconds"][1:])
    return {"runs": runs, "oursSeconds": ours_s, "postgresSeconds": theirs_s,
            "duckdbSeconds": duckdb_s, "duckdbLoadSeconds": duckdb["setupSeconds"],
            "postgresOverOurs": theirs_s / ours_s, "oursOverDuckdb": ours_s / duckdb_s,
            "sameFirstRow": ours["sample"][0][:5] == theirs["sample"][0][:5],
            "oursFirstRow": ours["sample"][0], "postgresFirstRow": theirs["sample"][0]}


def bench_streaming(args, node, postgres):
    results = {}
    for mode, sql in (("select", STREAM), ("copy", f"COPY ({STREAM}) TO STDOUT")):
        runs = {}
        for name, target in (("ours", node), ("postgres", postgres)):
            done = run_json([args.reader, target.conninfo(), "rows" if mode == "select" else
                             "copy", sql, str(args.stream_runs)])
            for run in done["runs"]:
                if run["rows"] != args.rows:
                    raise SystemExit(f"{name} streamed {run['rows']} rows, not {args.rows}")
            best = min(done["runs"], key=lambda r: r["seconds"])
            runs[name] = {"seconds": best["seconds"], "rowsPerSecond": args.rows / best["seconds"],
                          "bytes": best["bytes"]}
        runs["ratio"] = runs["ours"]["rowsPerSecond"] / runs["postgres"]["rowsPerSecond"]
        results[mode] = runs
    return results


def bench_load(args, work_dir, node):
    load_dir = os.path.join(work_dir, "load")
    os.makedirs(load_dir)
    point, aggregation = os.path.join(load_dir, "point.sql"), os.path.join(load_dir, "agg.sql")
    with open(point, "w") as out:
        out.write(POINT_SCRIPT.format(last=args.rows - 1))
    with open(aggregation, "w") as out:
        out.write(AGGREGATION + ";\n")

    samples = []  # (seconds since start, VmRSS KiB)
    stop_sampling = threading.Event()

    def sample():
        began = time.perf_counter()
        while not stop_sampling.is_set():
            rss = status_kib(node.process.pid, "VmRSS")
            if rss:
                samples.append((time.perf_counter() - began, rss))
            stop_sampling.wait(0.5)

    sampler = threading.Thread(target=sample, daemon=True)
    slow = SlowClient(node.sql_port, STREAM)
    limit = {}

    def halfway():
        # The slow client joins at half time; a few seconds later the sessions are counted
        # up to maxConnections and one more must be refused.
        time.sleep(args.load_seconds / 2)
        slow.start()
        time.sleep(min(3, args.load_seconds / 6))
        held, refusal = [], None
        try:
            for _ in range(args.max_connections + 1):
                session = RawSession(node.sql_port)
                refused = session.sign_in()
                if refused:
                    refusal = refused
                    session.close()
                    break
                held.append(session)
        finally:
            for session in held:
                session.close()
        limit.update(held=len(held), refusal=refusal)

    sampler.start()
    started_epoch = time.time()
    side = threading.Thread(target=halfway, daemon=True)
    side.start()
    summary = pgbench(node.conninfo(), [(point, args.point_weight), (aggregation, 1)],
                      "prepared", args.load_clients, args.load_seconds,
                      log_prefix=os.path.join(load_dir, "tx"))
    side.join()
    slow.stop_event.set()
    slow.join(timeout=30)
    stop_sampling.set()
    sampler.join()

    # pgbench's log: client, transaction, latency (us), script, epoch seconds, microseconds.
    half = started_epoch + args.load_seconds / 2
    latencies = {("point", False): [], ("point", True): [], ("agg", False): [], ("agg", True): []}
    for path in glob.glob(os.path.join(load_dir, "tx*")):
        with open(path) as log:
            for line in log:
                fields = line.split()
                if len(fields) < 6:
                    continue
                latency_ms = int(fields[2]) / 1000
                script = "point" if fields[3] == "0" else "agg"
                finished = int(fields[4]) + int(fields[5]) / 1e6
                latencies[(script, finished >= half)].append(latency_ms)

    expected_held = args.max_connections - args.load_clients - 1
    refusal = limit.get("refusal")
    if slow.error:
        raise SystemExit(f"the slow client failed: {slow.error}")
    if slow.bytes_read == 0:
        raise SystemExit("the slow client read nothing")
    if not refusal or refusal.get("C") != "53300" or "too many clients" not in refusal.get(
            "M", ""):
        raise SystemExit(f"a session beyond maxConnections was not refused with 53300: {limit}")
    if limit["held"] != expected_held:
        raise SystemExit(f"{limit['held']} more sessions signed in before the refusal, not "
                         f"{expected_held} ({args.max_connections} minus {args.load_clients} "
                         "pgbench clients and the slow client)")

    def stats(values):
        return {"count": len(values), "p50Ms": percentile(values, 0.5),
                "p99Ms": percentile(values, 0.99), "maxMs": max(values) if values else None}

    return {
        "clients": args.load_clients, "seconds": args.load_seconds,
        "pointWeight": args.point_weight, "tps": summary["tps"],
        "transactions": summary["transactions"],
        "pointWithout": stats(latencies[("point", False)]),
        "pointWith": stats(latencies[("point", True)]),
        "aggWithout": stats(latencies[("agg", False)]),
        "aggWith": stats(latencies[("agg", True)]),
        "slowClientBytes": slow.bytes_read,
        "maxConnections": args.max_connections, "extraSessionsBeforeRefusal": limit["held"],
        "refusal": f"{refusal.get('C')} {refusal.get('M')}",
        "rssMiB": [(round(t, 1), round(kib / 1024)) for t, kib in samples],
        "peakRssMiB": (status_kib(node.process.pid, "VmHWM") or 0) / 1024,
    }


# --------------------------------------------------------------------------------------------


def machine():
    cpu = "unknown"
    with open("/proc/cpuinfo") as info:
        for line in info:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo") as info:
        ram_kib = int(next(line for line in info if line.startswith("MemTotal")).split()[1])
    return {"date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
            "nproc": os.cpu_count(), "cpu": cpu, "ramGiB": round(ram_kib / 1024 / 1024, 1),
            "kernel": platform.release(), "loadAverage": os.getloadavg()[0]}


def print_section(results, section):
    """Prints one measurement's numbers as soon as it is done."""
    print_lines(results, section)
    sys.stdout.flush()


def print_lines(results, section):
    if section == "data":
        r = results["data"]
        print(f"data         {r['rows']} rows of 5 columns; node: HTTP ingest of "
              f"{r['ndjsonBytes']} B NDJSON in batches of {r['batch']}, {r['senders']} senders, "
              f"{r['nodeSeconds']:.1f} s "
              f"({r['rows'] / r['nodeSeconds']:.0f} rows/s, peak RSS {r['nodePeakRssMiB']:.0f} "
              f"MiB); PostgreSQL: COPY {r['postgresCopySeconds']:.1f} s, with primary key and "
              f"VACUUM ANALYZE {r['postgresSeconds']:.1f} s")
    elif section == "roundTrips":
        print("round trips  pgbench TPS, ours / PostgreSQL (target >= 0.5)")
        for row in results["roundTrips"]:
            print(f"  {row['script']:<8} {row['mode']:<9} ours {row['ours']['tps']:>9.0f}  "
                  f"PostgreSQL {row['postgres']['tps']:>9.0f}  ratio {row['ratio']:.3f}")
        engine = {row["script"]: row["duckdbStatementsPerSecond"] for row in results["roundTrips"]}
        print("  DuckDB alone, the same statement prepared and run in a loop on one connection "
              "in process: " + ", ".join(f"{name} {rate:.0f}/s" for name, rate in engine.items()))
    elif section == "aggregation":
        a = results["aggregation"]
        print(f"aggregation  GROUP BY over every row, median of {a['runs']} after a warm-up run")
        print(f"  ours {a['oursSeconds'] * 1000:.1f} ms  PostgreSQL "
              f"{a['postgresSeconds'] * 1000:.1f} ms  DuckDB in process "
              f"{a['duckdbSeconds'] * 1000:.1f} ms")
        print(f"  PostgreSQL / ours {a['postgresOverOurs']:.2f} (target >= 10); ours / DuckDB "
              f"{a['oursOverDuckdb']:.3f} (target <= 1.1)")
    elif section == "streaming":
        print("streaming    every row to libpq, rows/s, ours / PostgreSQL (target >= 1.0)")
        for mode, s in results["streaming"].items():
            print(f"  {mode:<7} ours {s['ours']['rowsPerSecond']:>10.0f}  PostgreSQL "
                  f"{s['postgres']['rowsPerSecond']:>10.0f}  ratio {s['ratio']:.3f}")
    elif section == "loadTest":
        t = results["loadTest"]
        print(f"load         {t['clients']} pgbench clients for {t['seconds']} s, point lookups "
              f"{t['pointWeight']} : 1 aggregation, {t['tps']:.0f} TPS, no errors")
        for key, label in (("pointWithout", "point, first half"),
                           ("pointWith", "point, slow client"),
                           ("aggWithout", "agg, first half"), ("aggWith", "agg, slow client")):
            s = t[key]
            if s["count"]:
                print(f"  {label:<19} {s['count']:>7} tx  p50 {s['p50Ms']:.1f} ms  p99 "
                      f"{s['p99Ms']:.1f} ms  max {s['maxMs']:.1f} ms")
        rss = t["rssMiB"]
        step = max(1, len(rss) // 8)
        print(f"  node RSS MiB over time: " +
              ", ".join(f"{s:.0f}s {mib}" for s, mib in rss[::step]) +
              f"; peak (VmHWM) {t['peakRssMiB']:.0f} MiB")
        print(f"  slow client read {t['slowClientBytes']} B; with maxConnections "
              f"{t['maxConnections']}, {t['extraSessionsBeforeRefusal']} more sessions signed in, "
              f"then: {t['refusal']}")


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quanta", default=os.path.join(REPO, "build", "quanta"),
                        help="the quanta binary (default build/quanta)")
    parser.add_argument("--quick", action="store_true", help="small sizes, about a minute (CI)")
    parser.add_argument("--rows", type=int, help="rows of the table (default 10000000)")
    parser.add_argument("--batch", type=int, default=50000, help="rows per ingest batch")
    parser.add_argument("--senders", type=int, default=2, help="concurrent ingest senders")
    parser.add_argument("--clients", type=int, default=4, help="pgbench clients (round trips)")
    parser.add_argument("--pgbench-seconds", type=int, help="each round-trip run (default 10)")
    parser.add_argument("--aggregation-runs", type=int, default=5,
                        help="timed aggregation runs, after one warm-up")
    parser.add_argument("--stream-runs", type=int, default=1, help="streaming runs, best counts")
    parser.add_argument("--load-clients", type=int, default=64, help="load: pgbench clients")
    parser.add_argument("--load-seconds", type=int, help="load: duration (default 60)")
    parser.add_argument("--point-weight", type=int, default=49,
                        help="load: point lookups per aggregation")
    parser.add_argument("--max-connections", type=int, default=80,
                        help="the node's sql.maxConnections")
    parser.add_argument("--only", choices=["round-trips", "aggregation", "streaming", "load"],
                        action="append", help="run only these measurements (repeatable)")
    parser.add_argument("--work-dir", help="where data goes (default: a temporary directory, "
                        "removed afterwards)")
    parser.add_argument("--json", help="also write the results to this file as JSON")
    args = parser.parse_args()
    defaults = ({"rows": 200000, "pgbench_seconds": 2, "load_seconds": 10} if args.quick else
                {"rows": 10000000, "pgbench_seconds": 10, "load_seconds": 60})
    for name, value in defaults.items():
        if getattr(args, name) is None:
            setattr(args, name, value)
    if args.max_connections <= args.load_clients + 1:
        raise SystemExit("--max-connections must leave room beyond the load's clients")
    if not os.access(args.quanta, os.X_OK):
        raise SystemExit(f"{args.quanta} is missing: cmake --build build --target quanta")
    if shutil.which("pgbench") is None or shutil.which("psql") is None:
        raise SystemExit("pgbench and psql are missing: apt-get install postgresql-15")
    only = set(args.only or ["round-trips", "aggregation", "streaming", "load"])

    work_dir = args.work_dir or tempfile.mkdtemp(prefix="quanta-sql-bench-")
    os.makedirs(work_dir, exist_ok=True)
    os.chmod(work_dir, 0o755)  # PostgreSQL's data directory lives inside, owned by postgres
    binary = os.path.join(work_dir, "quanta")  # a copy: others may relink build/quanta
    shutil.copy2(args.quanta, binary)
    results = {"machine": machine()}
    m = results["machine"]
    print(f"machine: {m['nproc']} x {m['cpu']}, {m['ramGiB']} GiB RAM, Linux {m['kernel']}, "
          f"{m['date']}, load average {m['loadAverage']:.2f}; data in {work_dir}", flush=True)
    node = postgres = None
    try:
        baseline_binary, args.reader = build_tools(work_dir)
        node = Node(binary, work_dir, args.max_connections, args.rows)
        postgres = Postgres(work_dir)
        results["data"] = load(args, work_dir, node, postgres, baseline_binary)
        print_section(results, "data")
        if "round-trips" in only:
            results["roundTrips"] = bench_round_trips(args, work_dir, node, postgres,
                                                      baseline_binary)
            print_section(results, "roundTrips")
        if "aggregation" in only:
            results["aggregation"] = bench_aggregation(args, work_dir, node, postgres,
                                                       baseline_binary)
            print_section(results, "aggregation")
        if "streaming" in only:
            results["streaming"] = bench_streaming(args, node, postgres)
            print_section(results, "streaming")
        if "load" in only:
            postgres.stop()  # the load runs against the node alone
            results["loadTest"] = bench_load(args, work_dir, node)
            print_section(results, "loadTest")
        results["machine"]["loadAverageAtEnd"] = os.getloadavg()[0]
        print(f"load average at the end {results['machine']['loadAverageAtEnd']:.2f}")
    finally:
        if node:
            node.stop()
        if postgres:
            postgres.stop()
        if not args.work_dir:
            shutil.rmtree(work_dir, ignore_errors=True)
    if args.json:
        with open(args.json, "w") as out:
            json.dump(results, out, indent=2)
            out.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
