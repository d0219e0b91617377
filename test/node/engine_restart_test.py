#!/usr/bin/env python3
"""A product whose checkpoint stops the node's engine: the node opens itself again without it.

Usage: engine_restart_test.py QUANTA_BINARY

Starts `quanta node` with the smallest DuckDB memory limit (sql.memoryLimit 128MiB) and two
products: test/node/documents-product (documents of 1 MiB) and test/node/sigkill-product (a
small ledger). It acknowledges a few ledger entries, then posts batches of eight documents
until one is refused: a checkpoint of that many large rows does not fit in the memory, and
DuckDB then stops its whole instance, the ledger's included. It proves that:
  - the refused batch gets a 5xx answer saying why (or, when the node already closed its port
    to open itself again, no answer, and the node's log says why);
  - the same process opens the node again by itself (it prints its listening line again),
    its health check answers 200, and the ledger answers reads with every entry it
    acknowledged and takes new entries;
  - the documents product stays closed, listed as failed, and its reads answer 503 with the
    reason;
  - after a restart with more memory (1GiB) every acknowledged document is there exactly
    once, and none of the refused batch is.
Exits 0 with a summary, 1 naming what went wrong, 2 when the binary cannot be run.
"""

import hashlib
import json
import os
import queue
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
DOCUMENTS = "crashtest/documents"
LEDGER = "crashtest/ledger"
DOCUMENTS_PER_BATCH = 8
LEDGER_ENTRIES = 10
REOPEN_TIMEOUT_S = 60


class TestFailure(Exception):
    """Something the node promises did not hold."""


def call(url, method="GET", body=None):
    """(status, parsed JSON or text) of one request; raises OSError when nothing answers."""
    request = urllib.request.Request(url, data=body, method=method,
                                     headers={"Content-Type": "application/x-ndjson"})
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            status, raw = response.status, response.read()
    except urllib.error.HTTPError as error:
        status, raw = error.code, error.read()
    try:
        return status, json.loads(raw)
    except ValueError:
        return status, raw.decode("utf-8", errors="replace")


def document_batch(batch):
    """Eight documents of 1 MiB of hex digits that do not compress, ids 8*batch ... 8*batch+7."""
    lines = []
    for n in range(DOCUMENTS_PER_BATCH):
        body = "".join(hashlib.md5(f"{batch}-{n}-{k}".encode()).hexdigest() for k in range(32768))
        lines.append(json.dumps({"document_id": batch * DOCUMENTS_PER_BATCH + n, "body": body}))
    return "\n".join(lines).encode()


def ledger_entries(first, count):
    return "\n".join(json.dumps({"event_id": f"entry-{i}", "batch_id": "b", "kind": "credit",
                                 "amount": i, "occurred_at": "2026-03-01T10:00:00Z"})
                     for i in range(first, first + count)).encode()


def all_rows(url, product, dataset, column):
    """Every value of `column` in the dataset, paging through it."""
    values, cursor = [], None
    while True:
        path = f"{url}/v1/products/{product}/datasets/{dataset}?columns={column}&limit=1000"
        if cursor:
            path += f"&cursor={cursor}"
        status, page = call(path)
        if status != 200:
            raise TestFailure(f"reading {product} {dataset}: HTTP {status}: {page}")
        values.extend(row[column] for row in page["rows"])
        cursor = page.get("nextCursor")
        if not cursor:
            return values


class RunningNode:
    """`quanta node --config FILE`, its stdout lines read as they come."""

    def __init__(self, quanta, config_path, log_path):
        self.log = open(log_path, "a")
        self.process = subprocess.Popen([quanta, "node", "--config", config_path],
                                        stdout=subprocess.PIPE, stderr=self.log, text=True)
        self.lines = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        self.url = self.wait_for_listening()

    def _read(self):
        for line in self.process.stdout:
            self.lines.put(line)

    def wait_for_listening(self, timeout=REOPEN_TIMEOUT_S):
        """The URL of the next `listening on` line, within `timeout` seconds."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            try:
                line = self.lines.get(timeout=0.2)
            except queue.Empty:
                if self.process.poll() is not None:
                    raise TestFailure(f"the node exited with {self.process.returncode}")
                continue
            match = re.search(r"quanta node listening on (http://\S+)", line)
            if match:
                return match.group(1)
        raise TestFailure(f"no 'quanta node listening on' line within {timeout} s")

    def stop(self):
        self.process.terminate()
        try:
            return self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            return None


def write_config(path, data_dir, memory_limit):
    with open(path, "w") as out:
        out.write(f"dataDir: {data_dir}\nhttp: {{listen: \"127.0.0.1:0\"}}\n"
                  f"sql: {{listen: \"127.0.0.1:0\", memoryLimit: {memory_limit}}}\n")


def run(quanta, work):
    data_dir = os.path.join(work, "data")
    config = os.path.join(work, "node.yaml")
    log_path = os.path.join(work, "node.log")
    write_config(config, data_dir, "128MiB")
    node = RunningNode(quanta, config, log_path)
    url = node.url
    for folder in ("documents-product", "sigkill-product"):
        deployed = subprocess.run([quanta, "deploy", os.path.join(HERE, folder), "--node", url],
                                  capture_output=True, text=True)
        if deployed.returncode != 0:
            raise TestFailure(f"deploy {folder}: {deployed.stdout}{deployed.stderr}")
    status, reply = call(f"{url}/v1/products/{LEDGER}/ports/entries/events", "POST",
                         ledger_entries(0, LEDGER_ENTRIES))
    if status != 200 or reply.get("accepted") != LEDGER_ENTRIES:
        raise TestFailure(f"ledger entries: HTTP {status}: {reply}")

    # The checkpoint that fails runs after a commit is acknowledged: the next batch gets a 503,
    # or no answer at all when the node already closed its port to open itself again.
    acknowledged, refusal = 0, None
    for batch in range(1, 41):
        try:
            status, reply = call(f"{url}/v1/products/{DOCUMENTS}/ports/uploads/events", "POST",
                                 document_batch(batch))
        except OSError as error:
            status, reply = None, str(error)
        if status == 200:
            acknowledged = batch
            continue
        refusal = (status, reply)
        break
    if refusal is None:
        raise TestFailure("40 batches of 8 MiB fit in 128 MiB: the test no longer reaches the "
                          "engine's memory limit")
    status, reply = refusal
    if status is None:
        with open(log_path) as log:
            stopped = "stopped its database instance" in log.read()
        if not stopped:
            raise TestFailure(f"batch {acknowledged + 1} got no answer ({reply}) and the node "
                              "did not log that DuckDB stopped its instance")
        print(f"engine_restart_test: {acknowledged} batches acknowledged, then no answer: the "
              "node was already opening itself again")
    else:
        message = json.dumps(reply)
        if status < 500 or "stopped its database instance" not in message:
            raise TestFailure(f"the refused batch {acknowledged + 1}: HTTP {status} "
                              f"{message[:500]}; expected a 5xx saying DuckDB stopped its "
                              "instance (the test relies on a checkpoint that runs out of memory)")
        print(f"engine_restart_test: {acknowledged} batches acknowledged, then HTTP {status}: "
              f"{reply['error']['message'][:160]}...")

    url = node.wait_for_listening()
    if node.process.poll() is not None:
        raise TestFailure("the node exited instead of opening itself again")
    status, health = call(f"{url}/healthz")
    if status != 200:
        raise TestFailure(f"after reopening, /healthz: HTTP {status}: {health}")
    entries = all_rows(url, LEDGER, "ledger", "event_id")
    if sorted(entries) != sorted(f"entry-{i}" for i in range(LEDGER_ENTRIES)):
        raise TestFailure(f"after reopening, the ledger holds {len(entries)} entries, not the "
                          f"{LEDGER_ENTRIES} acknowledged: {entries[:5]}")
    status, reply = call(f"{url}/v1/products/{LEDGER}/ports/entries/events", "POST",
                         ledger_entries(LEDGER_ENTRIES, 1))
    if status != 200 or reply.get("accepted") != 1:
        raise TestFailure(f"after reopening, a ledger entry: HTTP {status}: {reply}")
    status, reply = call(f"{url}/v1/products/{DOCUMENTS}/datasets/documents?limit=1")
    text = json.dumps(reply)
    if status != 503 or "not served" not in text or "restart the node" not in text:
        raise TestFailure(f"after reopening, a read of the documents: HTTP {status}: "
                          f"{text[:400]}; expected 503 saying why it is not served")
    status, listing = call(f"{url}/v1/products")
    failed = [p for p in listing.get("products", []) if p.get("state") == "failed"]
    if [p["product"] for p in failed] != [DOCUMENTS]:
        raise TestFailure(f"after reopening, /v1/products lists as failed: {failed}")
    exit_code = node.stop()
    if exit_code != 0:
        raise TestFailure(f"SIGTERM: the node exited with {exit_code}")

    write_config(config, data_dir, "1GiB")
    node = RunningNode(quanta, config, log_path)
    try:
        ids = all_rows(node.url, DOCUMENTS, "documents", "document_id")
        expected = list(range(DOCUMENTS_PER_BATCH, DOCUMENTS_PER_BATCH * (acknowledged + 1)))
        if sorted(ids) != expected:
            raise TestFailure(f"with 1GiB the documents hold {len(ids)} rows ({len(set(ids))} "
                              f"distinct), not the {len(expected)} acknowledged")
        entries = all_rows(node.url, LEDGER, "ledger", "event_id")
        if len(entries) != LEDGER_ENTRIES + 1:
            raise TestFailure(f"with 1GiB the ledger holds {len(entries)} entries")
    finally:
        node.stop()
    print(f"engine_restart_test: ok, the node opened itself again without {DOCUMENTS}, served "
          f"{LEDGER} meanwhile, and with more memory holds all {len(ids)} acknowledged documents")


def main():
    if len(sys.argv) != 2:
        print(__doc__)
        return 2
    quanta = os.path.abspath(sys.argv[1])
    if not os.access(quanta, os.X_OK):
        print(f"engine_restart_test: {quanta} is not an executable")
        return 2
    work = tempfile.mkdtemp(prefix="quanta-engine-restart-")
    try:
        run(quanta, work)
        return 0
    except (TestFailure, OSError) as failure:
        print(f"engine_restart_test: FAILED: {failure}")
        with open(os.path.join(work, "node.log")) as log:
            print("node log (last lines):\n" + "".join(log.readlines()[-20:]))
        return 1
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
