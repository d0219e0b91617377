#!/usr/bin/env python3
"""A node whose disk fills up: clear errors, nothing committed lost, and it recovers.

Usage: full_disk_test.py QUANTA_BINARY   (as root: it mounts a small tmpfs)

Mounts a 24 MiB tmpfs, starts `quanta node` with its data directory there, deploys the orders
example, fills most of the disk with a file, then posts batches of distinct order events of
varying sizes until the disk refuses several in a row. Every refused batch must get a 5xx
answer that says the disk is full, and the node must keep answering reads all along. Then it
proves by counting that every acknowledged event is in the dataset and none of a refused batch
is, that the product's counts reconcile (received = committed + rejected), that after the
filler file is removed ingest works again, and that a restart finds the same rows.

Exits 0 with a summary, 1 naming what went wrong, 2 when the test cannot run (not root, no
tmpfs): a test that cannot run says so and fails, it is never skipped.
"""

import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PRODUCT = "orders/orders"
DISK_BYTES = 24 * 1024 * 1024


def post(url, events):
    body = "\n".join(json.dumps(event) for event in events).encode()
    request = urllib.request.Request(
        f"{url}/v1/products/{PRODUCT}/ports/order_events/events", data=body, method="POST",
        headers={"Content-Type": "application/x-ndjson"})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


def get(url, path):
    with urllib.request.urlopen(f"{url}{path}", timeout=60) as response:
        return json.loads(response.read())


def order_ids(url):
    """Every order id in the dataset, paging through it."""
    ids, cursor = set(), None
    while True:
        path = f"/v1/products/{PRODUCT}/datasets/orders?columns=order_id&limit=5000"
        if cursor:
            path += f"&cursor={cursor}"
        page = get(url, path)
        ids.update(row["order_id"] for row in page["rows"])
        cursor = page.get("nextCursor")
        if not cursor:
            return ids


def start_node(quanta, data_dir, log_path):
    log = open(log_path, "a+")
    start = log.seek(0, os.SEEK_END)  # this start's lines come after what is there
    process = subprocess.Popen([quanta, "node", "--listen", "127.0.0.1:0", "--sql-listen", "off",
                                "--data-dir", data_dir], stdout=log, stderr=subprocess.STDOUT)
    deadline = time.time() + 60
    while time.time() < deadline:
        log.seek(start)
        match = re.search(r"listening on (http://\S+)", log.read())
        if match:
            return process, match.group(1)
        time.sleep(0.1)
    raise RuntimeError("the node did not start")


def stop_node(process):
    process.terminate()
    try:
        process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        process.kill()


def events(first, count):
    return [{"event_id": f"e-{i}", "order_id": f"o-{i:08d}", "customer_id": "c-1",
             "event_type": "created", "product_id": "p-1", "category": "books" * 20,
             "quantity": 1, "amount": 2.5, "occurred_at": "2026-03-01T10:00:00Z"}
            for i in range(first, first + count)]


def main():
    if len(sys.argv) != 2:
        print(__doc__)
        return 2
    quanta = os.path.abspath(sys.argv[1])
    work = tempfile.mkdtemp(prefix="quanta-full-disk-")
    disk = os.path.join(work, "disk")
    os.makedirs(disk)
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={DISK_BYTES}", "tmpfs", disk],
                             capture_output=True, text=True)
    if mounted.returncode != 0:
        print(f"full_disk_test: cannot mount a tmpfs (needs root): {mounted.stderr.strip()}")
        return 2
    problems = []
    process = None
    node_log = ""
    try:
        data_dir = os.path.join(disk, "data")
        log_path = os.path.join(work, "node.log")
        process, url = start_node(quanta, data_dir, log_path)
        deploy = subprocess.run([quanta, "deploy", os.path.join(REPO, "examples", PRODUCT),
                                 "--node", url], capture_output=True, text=True)
        if deploy.returncode != 0:
            raise RuntimeError(f"deploy failed: {deploy.stdout}{deploy.stderr}")
        # Leave about 3 MiB: a few batches fit, then the disk is full.
        free = shutil.disk_usage(disk).free
        filler = os.path.join(disk, "filler")
        with open(filler, "wb") as out:
            out.write(b"\0" * max(0, free - 3 * 1024 * 1024))

        rng = random.Random(7)
        next_id, acknowledged, refused_ids = 0, set(), set()
        refusals, in_a_row = 0, 0
        while in_a_row < 4 and next_id < 2_000_000:
            batch = events(next_id, rng.choice([50, 500, 2000, 6000]))
            next_id += len(batch)
            status, body = post(url, batch)
            ids = {event["order_id"] for event in batch}
            if status == 200:
                acknowledged |= ids
                in_a_row = 0
                continue
            in_a_row += 1
            refusals += 1
            refused_ids |= ids
            message = body.get("error", {}).get("message", "")
            if status < 500 or not re.search(r"disk is full|disk full|No space|space left",
                                             message, re.I):
                problems.append(f"a refused batch got {status} {message!r}, not a 5xx that says "
                                "the disk is full")
            # The node keeps serving reads while the disk is full.
            get(url, f"/v1/products/{PRODUCT}")
        if refusals == 0:
            problems.append("the disk never filled up: the test measured nothing")

        found = order_ids(url)
        if acknowledged - found:
            problems.append(f"{len(acknowledged - found)} acknowledged orders are missing")
        if found & refused_ids:
            problems.append(f"{len(found & refused_ids)} orders of refused batches were applied")
        ports = get(url, f"/v1/products/{PRODUCT}")["ports"]
        for port in ports:
            if port["received"] != port["committed"] + port["rejected"]:
                problems.append(f"port {port['name']}: received {port['received']} is not "
                                f"committed {port['committed']} + rejected {port['rejected']}")

        os.remove(filler)
        status, body = post(url, events(next_id, 100))
        if status != 200:
            problems.append(f"after space was freed, ingest still fails: {status} {body}")
        else:
            acknowledged |= {f"o-{i:08d}" for i in range(next_id, next_id + 100)}
        stop_node(process)
        process, url = start_node(quanta, data_dir, log_path)
        found = order_ids(url)
        if found != acknowledged:
            problems.append(f"after a restart the dataset has {len(found)} orders, not the "
                            f"{len(acknowledged)} acknowledged")
        print(f"full_disk_test: {len(acknowledged)} orders acknowledged, {refusals} batches "
              f"refused while the disk was full, {len(found)} orders found after a restart")
    except Exception as error:  # the node misbehaving in a way the checks did not foresee
        problems.append(f"{type(error).__name__}: {error}")
    finally:
        if process:
            stop_node(process)
        if os.path.exists(os.path.join(work, "node.log")):
            node_log = open(os.path.join(work, "node.log")).read()
        subprocess.run(["umount", disk], capture_output=True)
        shutil.rmtree(work, ignore_errors=True)
    for problem in problems:
        print(f"full_disk_test: FAIL {problem}")
    if problems and node_log:
        print("node log (last lines):\n  " + "\n  ".join(node_log.splitlines()[-15:]))
    if not problems:
        print("full_disk_test: ok, clear errors while full, nothing acknowledged lost, "
              "nothing refused applied, and ingest resumes when space comes back")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
