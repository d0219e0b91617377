#!/usr/bin/env python3
"""Benchmarks of a Quanta node, each against a baseline measured in the same run.

1. Ingest: ~200-byte JSON events POSTed as NDJSON batches by concurrent senders until every
   batch is acknowledged (durable) and the rows are counted by the node, in events/s. Baseline:
   DuckDB's own read_ndjson loading the same events from a file into a table of the same schema,
   then CHECKPOINT (bench/ndjson_baseline.cc, built here with g++ against third_party/duckdb).
2. Freshness: from the 200 acknowledgement of a small batch to its last event being returned by
   GET .../datasets/{name} (polled without pause). Baseline: the same GET of a row that is
   already visible, which is the least any freshness can be over HTTP.
3. Time travel: after many small upsert commits, a read with ?version=<old> against the same read
   of the current version (same rows count, same page).

Only the Python standard library is used. Nothing here asserts on time: numbers are printed
(and written as JSON with --json). See bench/README.md.
"""

import argparse
import concurrent.futures
import datetime
import http.client
import json
import os
import platform
import re
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DUCKDB_DIR = os.path.join(REPO, "third_party", "duckdb")

# The columns of the benchmark events and the DuckDB type that Quanta's type mapping gives each
# contract property (docs/type-mapping.md): the baseline's table uses the same types.
CLICK_COLUMNS = [
    # name, logicalType, physicalType or None, required, DuckDB type
    ("event_id", "string", None, True, "VARCHAR"),
    ("user_id", "string", None, True, "VARCHAR"),
    ("session_id", "string", None, True, "VARCHAR"),
    ("event_type", "string", None, True, "VARCHAR"),
    ("product_id", "string", None, False, "VARCHAR"),
    ("page_url", "string", None, False, "VARCHAR"),
    ("quantity", "integer", None, False, "BIGINT"),
    ("amount", "number", "decimal(12,2)", False, "DECIMAL(12,2)"),
    ("occurred_at", "timestamp", None, True, "TIMESTAMP WITH TIME ZONE"),
]

ACCOUNT_COLUMNS = [
    ("account_id", "string", None, True, "VARCHAR"),
    ("status", "string", None, True, "VARCHAR"),
    ("balance", "number", "decimal(12,2)", False, "DECIMAL(12,2)"),
    ("updated_at", "timestamp", None, True, "TIMESTAMP WITH TIME ZONE"),
]


# --------------------------------------------------------------------------------------------
# Product folders


def contract_yaml(product, name, physical_type, columns, primary_key=None):
    lines = [
        "apiVersion: v3.1.0",
        "kind: DataContract",
        f"id: urn:quanta:bench:{product}:contract:{name}",
        f"name: {name}",
        "version: 1.0.0",
        "status: active",
        "domain: bench",
        f"dataProduct: {product}",
        "description:",
        "  purpose: Synthetic records written by bench/node_bench.py.",
        "team:",
        "  name: bench",
        "  members:",
        "    - username: bench@example.com",
        "      role: owner",
        "schema:",
        f"  - name: {name}",
        f"    physicalType: {physical_type}",
        "    description: One synthetic record.",
        "    properties:",
    ]
    for column, logical, physical, required, _ in columns:
        lines.append(f"      - name: {column}")
        lines.append(f"        logicalType: {logical}")
        if physical:
            lines.append(f'        physicalType: "{physical}"')
        lines.append(f"        required: {'true' if required else 'false'}")
        if column == primary_key:
            lines.append("        primaryKey: true")
            lines.append("        primaryKeyPosition: 1")
        lines.append(f"        description: The {column.replace('_', ' ')}.")
    lines += [
        "slaProperties:",
        "  - {property: latency, value: 1, unit: m}",
        "  - {property: retention, value: 1, unit: y}",
    ]
    return "\n".join(lines) + "\n"


def product_files(product, columns, mode, key=None):
    """The files of a product bench/<product>: input port <product>_in, dataset <product>."""
    port = f"{product}_in"
    select = ", ".join(c[0] for c in columns)
    pipeline = [
        "apiVersion: quanta/v1",
        "kind: Pipeline",
        "inputs:",
        f"  - port: {port}",
        "    source: http",
        "datasets:",
        f"  - name: {product}",
        f"    outputPort: {product}",
        f"    transform: transforms/{product}.sql",
        f"    mode: {mode}",
    ]
    if key:
        pipeline.append(f"    key: [{key}]")
    product_yaml = f"""apiVersion: v1.0.0
kind: DataProduct
id: urn:quanta:bench:{product}
name: {product}
version: 1.0.0
status: active
domain: bench
description:
  purpose: Benchmark product of bench/node_bench.py.
  limitations: Synthetic data.
  usage: Measured by bench/node_bench.py only.
team:
  name: bench
  members:
    - username: bench@example.com
      role: owner
inputPorts:
  - name: {port}
    version: 1.0.0
    contractId: urn:quanta:bench:{product}:contract:{port}
outputPorts:
  - name: {product}
    version: 1.0.0
    contractId: urn:quanta:bench:{product}:contract:{product}
"""
    return {
        "product.yaml": product_yaml,
        "pipeline.yaml": "\n".join(pipeline) + "\n",
        f"transforms/{product}.sql": f"SELECT {select}\nFROM {port}\n",
        f"contracts/{port}.yaml": contract_yaml(product, port, "topic", columns),
        f"contracts/{product}.yaml": contract_yaml(product, product, "table", columns, key),
    }


def write_folder(root, files):
    for relative, text in files.items():
        path = os.path.join(root, relative)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8") as out:
            out.write(text)


# --------------------------------------------------------------------------------------------
# Events

BASE_TIME = datetime.datetime(2026, 3, 1, 10, 0, 0, tzinfo=datetime.timezone.utc)
EVENT_TYPES = ("view", "view", "view", "click", "click", "add_to_cart")
CATEGORIES = ("shoes", "books", "garden", "toys", "kitchen", "music", "sports")


def click_event(i):
    """One ~200-byte click event as compact JSON bytes; deterministic in i."""
    product = i * 7919 % 5000
    event_type = EVENT_TYPES[i % len(EVENT_TYPES)]
    at = BASE_TIME + datetime.timedelta(milliseconds=i * 37)
    record = {
        "event_id": f"ev-{i:010d}",
        "user_id": f"u-{i * 31 % 250000:07d}",
        "session_id": f"s-{i // 9:09d}",
        "event_type": event_type,
        "product_id": f"p-{product:05d}",
        "page_url": f"/c/{CATEGORIES[product % len(CATEGORIES)]}/p-{product:05d}",
        # An explicit null rather than a missing key, so that every record has the same keys
        # and the two loaders read the same bytes as the events of earlier results.
        "quantity": 1 + i % 3 if event_type == "add_to_cart" else None,
        "amount": round(5 + product % 1000 * 0.37, 2),
        "occurred_at": at.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z",
    }
    return json.dumps(record, separators=(",", ":")).encode()


def account_event(account, version):
    record = {
        "account_id": f"acct-{account:06d}",
        "status": ("new", "active", "closed")[version % 3],
        "balance": round(account * 1.5 + version, 2),
        "updated_at": (BASE_TIME + datetime.timedelta(seconds=version)).strftime(
            "%Y-%m-%dT%H:%M:%SZ"),
    }
    return json.dumps(record, separators=(",", ":")).encode()


# --------------------------------------------------------------------------------------------
# A node and HTTP


class Node:
    """A `quanta node` on a free loopback port with its own data directory."""

    def __init__(self, binary, data_dir, threads=None):
        command = [binary, "node", "--listen", "127.0.0.1:0", "--data-dir", data_dir]
        if threads:
            command += ["--threads", str(threads)]
        self.process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                        text=True)
        line = self.process.stdout.readline()
        match = re.search(r"listening on (http://\S+)", line)
        if not match:
            self.process.kill()
            raise SystemExit(f"node did not start: {line!r} {self.process.stderr.read()}")
        url = urllib.parse.urlparse(match.group(1))
        self.host, self.port = url.hostname, url.port

    def connection(self):
        return http.client.HTTPConnection(self.host, self.port, timeout=300)

    def peak_rss_kib(self):
        with open(f"/proc/{self.process.pid}/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
        return None

    def cpu_seconds(self):
        """User + system CPU the node has used so far, all of its threads."""
        with open(f"/proc/{self.process.pid}/stat") as stat:
            # Fields after the command name, which is in parentheses and may hold spaces.
            fields = stat.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self):
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def request(connection, method, path, body=None, headers=None, expect=(200,)):
    connection.request(method, path, body=body, headers=headers or {})
    response = connection.getresponse()
    data = response.read()
    if response.status not in expect:
        raise SystemExit(f"{method} {path}: HTTP {response.status}: {data[:500]!r}")
    return response, data


def deploy(node, product, files):
    connection = node.connection()
    request(connection, "PUT", f"/v1/products/bench/{product}",
            body=json.dumps({"files": files}).encode(),
            headers={"Content-Type": "application/json"}, expect=(200, 201))
    connection.close()


def post_events(connection, product, lines):
    body = b"\n".join(lines) + b"\n"
    _, data = request(connection, "POST", f"/v1/products/bench/{product}/ports/{product}_in/events",
                      body=body, headers={"Content-Type": "application/x-ndjson"})
    return json.loads(data)


def ingest_handler_seconds(node, product):
    """The sum of the node's quanta_ingest_commit_duration_seconds histogram for `product`."""
    connection = node.connection()
    _, data = request(connection, "GET", "/metrics")
    connection.close()
    for line in data.decode().splitlines():
        if (line.startswith("quanta_ingest_commit_duration_seconds_sum") and
                f'product="{product}"' in line):
            return float(line.rsplit(" ", 1)[1])
    return None


def percentile(values, fraction):
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


# --------------------------------------------------------------------------------------------
# The baseline program


def build_baseline(work_dir):
    source = os.path.join(REPO, "bench", "ndjson_baseline.cc")
    binary = os.path.join(work_dir, "ndjson_baseline")
    include, lib = os.path.join(DUCKDB_DIR, "include"), os.path.join(DUCKDB_DIR, "lib")
    if not os.path.exists(os.path.join(lib, "libduckdb.so")):
        raise SystemExit(f"{lib}/libduckdb.so is missing: run scripts/fetch_duckdb.sh")
    compiler = os.environ.get("CXX", "g++")
    subprocess.run([compiler, "-std=c++20", "-O2", f"-I{include}", source, f"-L{lib}", "-lduckdb",
                    f"-Wl,-rpath,{lib}", "-o", binary], check=True)
    return binary


def run_baseline(binary, work_dir, ndjson_path, columns, attempt, batch_paths=()):
    """One load of ndjson_path; with batch_paths, one durable commit per batch file instead."""
    db_file = os.path.join(work_dir, f"baseline-{attempt}.duckdb")
    struct = "{" + ", ".join(f"'{c[0]}': '{c[4]}'" for c in columns) + "}"
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    output = subprocess.run([binary, db_file, ndjson_path, "clicks", struct, "0", *batch_paths],
                            check=True, capture_output=True, text=True).stdout
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    result = json.loads(output)
    result["cpuSeconds"] = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    os.remove(db_file)
    return result


# --------------------------------------------------------------------------------------------
# 1. Ingest


def ingest_once(args, work_dir, bodies, attempt):
    """One timed run of the node: a fresh node and product take every batch of `bodies`."""
    node = Node(args.quanta, os.path.join(work_dir, f"ingest-node-{attempt}"), args.threads)
    try:
        deploy(node, "clicks", product_files("clicks", CLICK_COLUMNS, "append"))
        next_batch = iter(range(len(bodies)))
        lock = threading.Lock()
        accepted = []

        def sender():
            connection = node.connection()
            while True:
                with lock:
                    index = next(next_batch, None)
                if index is None:
                    break
                _, data = request(connection, "POST",
                                  "/v1/products/bench/clicks/ports/clicks_in/events",
                                  body=bodies[index],
                                  headers={"Content-Type": "application/x-ndjson"})
                reply = json.loads(data)
                if reply["rejected"]:
                    raise SystemExit(f"batch {index}: {reply['rejections'][:3]}")
                accepted.append(reply["accepted"])
            connection.close()

        cpu_before = node.cpu_seconds()
        started = time.perf_counter()
        with concurrent.futures.ThreadPoolExecutor(args.senders) as pool:
            for future in [pool.submit(sender) for _ in range(args.senders)]:
                future.result()
        # Every batch is acknowledged; the status shows the rows as committed and queryable.
        connection = node.connection()
        _, data = request(connection, "GET", "/v1/products/bench/clicks")
        elapsed = time.perf_counter() - started
        node_cpu = node.cpu_seconds() - cpu_before
        status = json.loads(data)
        rows = status["datasets"][0]["rows"]
        # Batches that queued behind a commit share the next one (group commit): the store's
        # versions count the commits.
        commits = (status.get("head") or {}).get("version")
        connection.close()
        if rows != args.events or sum(accepted) != args.events:
            raise SystemExit(f"the node holds {rows} rows and accepted {sum(accepted)}, "
                             f"not {args.events}")
        return {"seconds": elapsed, "cpuSeconds": node_cpu, "peakRssKiB": node.peak_rss_kib(),
                "handlerSeconds": ingest_handler_seconds(node, "bench/clicks"),
                "commits": commits}
    finally:
        node.stop()



def bench_ingest(args, work_dir, baseline_binary):
    events = [click_event(i) for i in range(args.events)]
    batches = [events[i:i + args.batch] for i in range(0, len(events), args.batch)]
    bodies = [b"\n".join(batch) + b"\n" for batch in batches]
    total_bytes = sum(len(body) for body in bodies)
    ndjson_path = os.path.join(work_dir, "events.ndjson")
    with open(ndjson_path, "wb") as out:
        out.writelines(bodies)
    batch_paths = []
    for index, body in enumerate(bodies):
        batch_paths.append(os.path.join(work_dir, f"batch-{index}.ndjson"))
        with open(batch_paths[-1], "wb") as out:
            out.write(body)

    def check_baseline(runs):
        for run in runs:
            if run["rows"] != args.events:
                raise SystemExit(f"baseline loaded {run['rows']} rows, not {args.events}")
        return runs

    # Ours and the baseline take turns, so that a change in the machine's load falls on both;
    # each side's median counts.
    baseline_runs, our_runs = [], []
    for attempt in range(max(args.baseline_runs, args.ingest_runs)):
        if attempt < args.baseline_runs:
            baseline_runs.append(run_baseline(baseline_binary, work_dir, ndjson_path,
                                              CLICK_COLUMNS, attempt))
        if attempt < args.ingest_runs:
            our_runs.append(ingest_once(args, work_dir, bodies, attempt))
    check_baseline(baseline_runs)
    baseline_seconds = statistics.median(run["seconds"] for run in baseline_runs)
    # The node folds its log into the file once the log passes a size (docs/store.md), so a
    # run may hold no checkpoint at all while the baseline's time holds its own: the load
    # alone is the stricter comparison.
    baseline_load_seconds = statistics.median(run["loadSeconds"] for run in baseline_runs)
    # The floor under any ingest that makes each batch durable on its own, as the node must
    # before it acknowledges: DuckDB's loader, one commit (and write-ahead log sync) per batch.
    per_batch_runs = check_baseline([
        run_baseline(baseline_binary, work_dir, ndjson_path, CLICK_COLUMNS, attempt, batch_paths)
        for attempt in range(args.baseline_runs)])
    per_batch_seconds = statistics.median(run["seconds"] for run in per_batch_runs)
    # The run of median time stands for ours, with its CPU, memory and commits.
    median_run = sorted(our_runs, key=lambda run: run["seconds"])[(len(our_runs) - 1) // 2]
    elapsed = median_run["seconds"]
    node_cpu = median_run["cpuSeconds"]
    peak_rss_kib = median_run["peakRssKiB"]
    handler_seconds = median_run["handlerSeconds"]
    commits = median_run["commits"]

    ours = args.events / elapsed
    baseline = args.events / baseline_seconds
    return {
        "events": args.events,
        "batch": args.batch,
        "senders": args.senders,
        "meanEventBytes": round(total_bytes / args.events, 1),
        "oursSeconds": round(elapsed, 3),
        "oursRuns": [round(run["seconds"], 3) for run in our_runs],
        "oursEventsPerSecond": round(ours),
        "baselineSeconds": round(baseline_seconds, 3),
        "baselineRuns": [round(run["seconds"], 3) for run in baseline_runs],
        "baselineCheckpointSeconds": round(
            statistics.median(run["checkpointSeconds"] for run in baseline_runs), 3),
        "baselineEventsPerSecond": round(baseline),
        "ratio": round(ours / baseline, 3),
        "baselineLoadSeconds": round(baseline_load_seconds, 3),
        "loadRatio": round(baseline_load_seconds / elapsed, 3),
        "perBatchBaselineSeconds": round(per_batch_seconds, 3),
        "perBatchBaselineRuns": [round(run["seconds"], 3) for run in per_batch_runs],
        "perBatchRatio": round(per_batch_seconds / elapsed, 3),
        "nodePeakRssMiB": round(peak_rss_kib / 1024, 1) if peak_rss_kib else None,
        # CPU seconds spent on the same events: the node's over the timed run (all threads;
        # the senders are not counted), the baseline program's whole run. Less moved by other
        # load on the machine than the wall clock, and the cost that stays when cores are few.
        "oursCpuSeconds": round(node_cpu, 3),
        "baselineCpuSeconds": round(
            statistics.median(run["cpuSeconds"] for run in baseline_runs), 3),
        "perBatchBaselineCpuSeconds": round(
            statistics.median(run["cpuSeconds"] for run in per_batch_runs), 3),
        "batches": len(bodies),
        "nodeCommits": commits,
        # Seconds the node spent from request bodies to durable commits, summed over batches:
        # close to oursSeconds when the node, not the senders, sets the pace.
        "nodeIngestSeconds": round(handler_seconds, 3) if handler_seconds else None,
    }


# --------------------------------------------------------------------------------------------
# 2. Freshness


def bench_freshness(args, work_dir):
    node = Node(args.quanta, os.path.join(work_dir, "freshness-node"), args.threads)
    try:
        deploy(node, "clicks", product_files("clicks", CLICK_COLUMNS, "append"))
        writer, reader = node.connection(), node.connection()
        post_events(writer, "clicks", [click_event(i) for i in range(1000)])  # warm up
        next_event = 1000
        fresh, acks, reads, polls = [], [], [], []
        for _ in range(args.samples):
            batch = [click_event(i) for i in range(next_event, next_event + args.fresh_batch)]
            last_id = f"ev-{next_event + args.fresh_batch - 1:010d}"
            next_event += args.fresh_batch
            path = f"/v1/products/bench/clicks/datasets/clicks?event_id=eq.{last_id}&limit=1"
            sent = time.perf_counter()
            post_events(writer, "clicks", batch)
            acknowledged = time.perf_counter()
            attempts = 0
            while True:
                attempts += 1
                _, data = request(reader, "GET", path)
                if json.loads(data)["rows"]:
                    break
                if time.perf_counter() - acknowledged > 30:
                    raise SystemExit(f"{last_id} was acknowledged but not visible after 30 s")
            visible = time.perf_counter()
            # The baseline: the same read again, now of a row known to be visible.
            request(reader, "GET", path)
            read_done = time.perf_counter()
            acks.append(acknowledged - sent)
            fresh.append(visible - acknowledged)
            reads.append(read_done - visible)
            polls.append(attempts)
        writer.close()
        reader.close()
    finally:
        node.stop()

    def ms(value):
        return round(value * 1000, 3)

    return {
        "samples": args.samples,
        "batchEvents": args.fresh_batch,
        "oursP50Ms": ms(percentile(fresh, 0.50)),
        "oursP99Ms": ms(percentile(fresh, 0.99)),
        "baselineP50Ms": ms(percentile(reads, 0.50)),
        "baselineP99Ms": ms(percentile(reads, 0.99)),
        "ratioP50": round(percentile(fresh, 0.50) / percentile(reads, 0.50), 3),
        "ratioP99": round(percentile(fresh, 0.99) / percentile(reads, 0.99), 3),
        "ackP50Ms": ms(percentile(acks, 0.50)),
        "ackP99Ms": ms(percentile(acks, 0.99)),
        "visibleOnFirstRead": sum(1 for p in polls if p == 1),
        "maxReads": max(polls),
    }


# --------------------------------------------------------------------------------------------
# 3. Time travel


def bench_time_travel(args, work_dir):
    node = Node(args.quanta, os.path.join(work_dir, "history-node"), args.threads)
    try:
        deploy(node, "accounts", product_files("accounts", ACCOUNT_COLUMNS, "upsert",
                                               key="account_id"))
        connection = node.connection()
        # Version 1 holds every account; each later version updates a rotating slice of them.
        first = post_events(connection, "accounts",
                            [account_event(a, 0) for a in range(args.accounts)])
        old_version = first["version"]
        step = args.updates_per_version
        started = time.perf_counter()
        for version in range(1, args.versions):
            start = version * step % args.accounts
            accounts = [(start + k) % args.accounts for k in range(step)]
            head = post_events(connection, "accounts",
                               [account_event(a, version) for a in accounts])["version"]
        commit_seconds = time.perf_counter() - started

        base = f"/v1/products/bench/accounts/datasets/accounts?limit={args.accounts}"
        reads = {"current": base, "head": f"{base}&version={head}",
                 "old": f"{base}&version={old_version}"}
        rows = {}
        for name, path in reads.items():  # warm up, and check that the reads are alike
            _, data = request(connection, "GET", path)
            rows[name] = len(json.loads(data)["rows"])
        if len(set(rows.values())) != 1:
            raise SystemExit(f"the reads return different row counts: {rows}")
        timings = {name: [] for name in reads}
        for _ in range(args.reads):
            for name, path in reads.items():  # interleaved, so that drift hits all alike
                began = time.perf_counter()
                request(connection, "GET", path)
                timings[name].append(time.perf_counter() - began)
        _, data = request(connection, "GET", "/v1/products/bench/accounts")
        status = json.loads(data)["datasets"][0]
        connection.close()
    finally:
        node.stop()

    median = {name: statistics.median(values) for name, values in timings.items()}
    return {
        "versions": head,
        "oldVersion": old_version,
        "rowsPerRead": rows["current"],
        "rowVersions": status["rowVersions"],
        "commitsPerSecond": round((args.versions - 1) / commit_seconds, 1),
        "reads": args.reads,
        "oursMs": round(median["old"] * 1000, 3),
        "baselineMs": round(median["current"] * 1000, 3),
        "headByVersionMs": round(median["head"] * 1000, 3),
        "ratio": round(median["old"] / median["current"], 3),
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


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quanta", default=os.path.join(REPO, "build", "quanta"),
                        help="the quanta binary (default build/quanta)")
    parser.add_argument("--quick", action="store_true",
                        help="small sizes that run in well under 30 s (for CI)")
    parser.add_argument("--events", type=int, help="ingest: events to send (default 200000)")
    parser.add_argument("--batch", type=int, default=10000, help="ingest: events per batch")
    parser.add_argument("--senders", type=int, default=2, help="ingest: concurrent senders")
    parser.add_argument("--baseline-runs", type=int, default=3,
                        help="ingest: baseline loads, the median counts")
    parser.add_argument("--ingest-runs", type=int,
                        help="ingest: runs of the node, each on a fresh node, taking turns with "
                        "the baseline's; the median counts (default 3, 1 with --quick)")
    parser.add_argument("--samples", type=int, help="freshness: samples (default 200)")
    parser.add_argument("--fresh-batch", type=int, default=10,
                        help="freshness: events per acknowledged batch")
    parser.add_argument("--versions", type=int, help="time travel: commits (default 500)")
    parser.add_argument("--accounts", type=int, default=1000,
                        help="time travel: rows of the upsert dataset (each read returns all)")
    parser.add_argument("--updates-per-version", type=int, default=100,
                        help="time travel: rows each commit updates")
    parser.add_argument("--reads", type=int, help="time travel: timed reads of each kind")
    parser.add_argument("--threads", type=int, help="the node's --threads (default: its own)")
    parser.add_argument("--only", choices=["ingest", "freshness", "time-travel"], action="append",
                        help="run only these measurements (repeatable)")
    parser.add_argument("--work-dir", help="where data goes (default: a temporary directory, "
                        "removed afterwards); must be a real disk for durability to cost")
    parser.add_argument("--json", help="also write the results to this file as JSON")
    args = parser.parse_args()
    defaults = ({"events": 20000, "samples": 30, "versions": 50, "reads": 10, "ingest_runs": 1}
                if args.quick else
                {"events": 200000, "samples": 200, "versions": 500, "reads": 30, "ingest_runs": 3})
    for name, value in defaults.items():
        if getattr(args, name) is None:
            setattr(args, name, value)
    args.updates_per_version = min(args.updates_per_version, args.accounts)
    if not os.access(args.quanta, os.X_OK):
        raise SystemExit(f"{args.quanta} is missing: cmake --build build --target quanta")
    only = set(args.only or ["ingest", "freshness", "time-travel"])

    work_dir = args.work_dir or tempfile.mkdtemp(prefix="quanta-bench-")
    os.makedirs(work_dir, exist_ok=True)
    # Others may relink build/quanta while this runs: run a copy of it.
    binary = os.path.join(work_dir, "quanta")
    shutil.copy2(args.quanta, binary)
    args.quanta = binary
    results = {"machine": machine()}
    m = results["machine"]
    print(f"machine: {m['nproc']} x {m['cpu']}, {m['ramGiB']} GiB RAM, Linux {m['kernel']}, "
          f"{m['date']}, load average {m['loadAverage']:.2f}; data in {work_dir}")
    try:
        if "ingest" in only:
            baseline_binary = build_baseline(work_dir)
            r = results["ingest"] = bench_ingest(args, work_dir, baseline_binary)
            print(f"ingest       {r['events']} events of {r['meanEventBytes']} B, batches of "
                  f"{r['batch']}, {r['senders']} senders")
            runs = ", ".join(str(seconds) for seconds in r["oursRuns"])
            print(f"  ours       {r['oursEventsPerSecond']:>10} events/s  ({r['oursSeconds']} s, "
                  f"median of {len(r['oursRuns'])} runs on fresh nodes: {runs} s; node peak RSS "
                  f"{r['nodePeakRssMiB']} MiB; node busy in ingest {r['nodeIngestSeconds']} s; "
                  f"{r['batches']} batches in {r['nodeCommits']} commits)")
            print(f"  baseline   {r['baselineEventsPerSecond']:>10} events/s  "
                  f"({r['baselineSeconds']} s, DuckDB read_ndjson + CHECKPOINT, median of "
                  f"{len(r['baselineRuns'])})")
            print(f"  ratio      {r['ratio']:>10}  (ours / baseline, target >= 1.0)")
            print(f"  strict     {r['loadRatio']:>10}  (ours / the baseline's load alone, "
                  f"{r['baselineLoadSeconds']} s without its CHECKPOINT)")
            print(f"  per batch  {round(r['events'] / r['perBatchBaselineSeconds']):>10} events/s  "
                  f"({r['perBatchBaselineSeconds']} s, the same read_ndjson with one durable "
                  f"commit per batch, then CHECKPOINT)")
            print(f"  ratio      {r['perBatchRatio']:>10}  (ours / per-batch baseline)")
            print(f"  cpu        ours {r['oursCpuSeconds']} s, baseline "
                  f"{r['baselineCpuSeconds']} s, per-batch baseline "
                  f"{r['perBatchBaselineCpuSeconds']} s  (baseline / ours "
                  f"{round(r['baselineCpuSeconds'] / r['oursCpuSeconds'], 3)})")
        if "freshness" in only:
            r = results["freshness"] = bench_freshness(args, work_dir)
            print(f"freshness    {r['samples']} batches of {r['batchEvents']} events; visible on "
                  f"the first read {r['visibleOnFirstRead']}/{r['samples']}")
            print(f"  ours       p50 {r['oursP50Ms']} ms  p99 {r['oursP99Ms']} ms  "
                  f"(acknowledged -> visible)")
            print(f"  baseline   p50 {r['baselineP50Ms']} ms  p99 {r['baselineP99Ms']} ms  "
                  f"(the same read of a visible row)")
            print(f"  ratio      p50 {r['ratioP50']}  p99 {r['ratioP99']}  "
                  f"(ack itself: p50 {r['ackP50Ms']} ms, p99 {r['ackP99Ms']} ms)")
        if "time-travel" in only:
            r = results["timeTravel"] = bench_time_travel(args, work_dir)
            print(f"time travel  {r['versions']} versions ({r['commitsPerSecond']} commits/s), "
                  f"{r['rowVersions']} row versions, reads of {r['rowsPerRead']} rows, "
                  f"median of {r['reads']}")
            print(f"  ours       {r['oursMs']:>10} ms  (?version={r['oldVersion']})")
            print(f"  baseline   {r['baselineMs']:>10} ms  (current version; ?version="
                  f"{r['versions']}: {r['headByVersionMs']} ms)")
            print(f"  ratio      {r['ratio']:>10}  (old / current, target <= 1.2)")
    finally:
        if not args.work_dir:
            shutil.rmtree(work_dir, ignore_errors=True)
    if args.json:
        with open(args.json, "w") as out:
            json.dump(results, out, indent=2)
            out.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
