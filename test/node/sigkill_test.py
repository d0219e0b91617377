#!/usr/bin/env python3
"""Crash test of a Quanta node: SIGKILL during concurrent ingest, restart, and count.

Usage: sigkill_test.py [QUANTA_BINARY]   (default: $QUANTA_BIN, else build/quanta)

Starts `quanta node` on a free port with a fresh data directory, deploys the append-only
product in test/node/sigkill-product (every accepted event becomes one row; nothing is
deduplicated, so an event applied twice shows as two rows), and runs sender threads that
post batches of 1-200 events, some of them invalid, each batch with its own Idempotency-Key.
The node is killed with SIGKILL at a random moment, QUANTA_SIGKILL_ROUNDS times (default
20), and restarted on the same data directory each time. A sender whose batch got no answer
retries it with the same key after the restart about half of the time, and abandons it
otherwise.

At the end it reads the whole dataset and the dead letters back over HTTP and proves:
  - every event of every acknowledged batch is there exactly once: valid ones as rows,
    invalid ones as dead letters, matching the counts the node acknowledged;
  - no event id appears twice, and nothing appears that was never sent;
  - every batch, acknowledged or not, is wholly present or wholly absent, at offsets of its
    own (batches may share a commit, never an offset);
  - the product's status reconciles: received = committed + rejected, equal to the rows and
    dead letters found.
Exits 0 with a summary, 1 naming the violations found, 2 when the binary cannot be run.

Environment: QUANTA_SIGKILL_ROUNDS (default 20), QUANTA_SIGKILL_SENDERS (default 4),
QUANTA_SIGKILL_SEED (default: random; printed so that a failing run can be repeated as far
as the thread timing allows), QUANTA_SIGKILL_KEEP=1 keeps the data directory.
"""

import collections
import http.client
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
PRODUCT_DIR = os.path.join(HERE, "sigkill-product")
PRODUCT = "crashtest/ledger"
PORT = "entries"
DATASET = "ledger"
PAGE_SIZE = 5000
START_TIMEOUT_S = 60
REQUEST_TIMEOUT_S = 60
EVENT_ID_PATTERN = re.compile(r'"event_id"\s*:\s*"([^"]+)"')


class TestFailure(Exception):
    """A violation of what the node promises, or a node that does not behave at all."""


# ---------------------------------------------------------------------------------------------
# HTTP


def request_json(method, url, body=None, headers=None, timeout=REQUEST_TIMEOUT_S):
    """Sends one request; returns (status, parsed JSON body or raw text, response headers).
    Raises OSError (urllib.error.URLError, ConnectionError, ...) when no answer arrives."""
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            status, raw, response_headers = response.status, response.read(), response.headers
    except urllib.error.HTTPError as error:
        status, raw, response_headers = error.code, error.read(), error.headers
    text = raw.decode("utf-8", errors="replace")
    try:
        return status, json.loads(text), response_headers
    except ValueError:
        return status, text, response_headers


# ---------------------------------------------------------------------------------------------
# The node process


class Node:
    """One `quanta node` process after another on the same data directory."""

    def __init__(self, binary, work_dir):
        self.binary = binary
        self.data_dir = os.path.join(work_dir, "data")
        self.log_dir = work_dir
        self.process = None
        self.url = None
        self.starts = 0

    def start(self):
        """Starts the node and waits until it prints where it listens."""
        self.starts += 1
        stdout_path = os.path.join(self.log_dir, f"node-{self.starts}.stdout")
        stderr_path = os.path.join(self.log_dir, f"node-{self.starts}.stderr")
        with open(stdout_path, "wb") as stdout, open(stderr_path, "wb") as stderr:
            try:
                self.process = subprocess.Popen(
                    [self.binary, "node", "--listen", "127.0.0.1:0", "--data-dir", self.data_dir],
                    stdout=stdout, stderr=stderr, stdin=subprocess.DEVNULL)
            except OSError as error:
                raise TestFailure(f"start {self.starts}: cannot run {self.binary}: {error}")
        deadline = time.monotonic() + START_TIMEOUT_S
        pattern = re.compile(r"quanta node listening on (http://\S+) \(data: ")
        while time.monotonic() < deadline:
            with open(stdout_path, encoding="utf-8", errors="replace") as stdout:
                match = pattern.search(stdout.read())
            if match:
                self.url = match.group(1)
                return
            if self.process.poll() is not None:
                raise TestFailure(
                    f"start {self.starts}: the node exited with {self.process.returncode} "
                    f"before listening; its stderr:\n{self.tail(stderr_path)}")
            time.sleep(0.02)
        self.process.kill()
        raise TestFailure(f"start {self.starts}: the node did not print its URL within "
                          f"{START_TIMEOUT_S}s; its stderr:\n{self.tail(stderr_path)}")

    def kill(self):
        """SIGKILL, then reap the process."""
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def stop(self):
        """SIGTERM, expecting a clean exit 0."""
        self.process.send_signal(signal.SIGTERM)
        try:
            code = self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise TestFailure("the node did not stop within 60s of SIGTERM")
        if code != 0:
            raise TestFailure(f"the node exited with {code} after SIGTERM (expected 0)")

    def stderr_tail(self):
        return self.tail(os.path.join(self.log_dir, f"node-{self.starts}.stderr"))

    @staticmethod
    def tail(path, lines=20):
        try:
            with open(path, encoding="utf-8", errors="replace") as file:
                return "".join(file.readlines()[-lines:])
        except OSError:
            return "(no stderr)"


def deploy(url):
    files = {}
    for folder, _, names in os.walk(PRODUCT_DIR):
        for name in names:
            path = os.path.join(folder, name)
            with open(path, encoding="utf-8") as file:
                files[os.path.relpath(path, PRODUCT_DIR)] = file.read()
    status, body, _ = request_json("PUT", f"{url}/v1/products/{PRODUCT}",
                                   json.dumps({"files": files}).encode(),
                                   {"Content-Type": "application/json"})
    if status not in (200, 201) or not isinstance(body, dict) or not body.get("deployed"):
        raise TestFailure(f"deploying {PRODUCT} answered {status}: {body}")


def product_status(url):
    status, body, _ = request_json("GET", f"{url}/v1/products/{PRODUCT}")
    if status != 200 or not isinstance(body, dict):
        raise TestFailure(f"GET /v1/products/{PRODUCT} answered {status}: {body}")
    return body


def port_counts(status):
    for port in status.get("ports", []):
        if port.get("name") == PORT:
            return port
    raise TestFailure(f"the status of {PRODUCT} has no port '{PORT}': {status}")


# ---------------------------------------------------------------------------------------------
# Batches and senders


class Batch:
    """One batch a sender made: its events, which of them are invalid, and what the node said."""

    def __init__(self, batch_id, events, lines, invalid, as_array):
        self.batch_id = batch_id
        self.events = events        # event_id -> amount, for every event of the batch
        self.lines = lines          # the records as sent, in order
        self.invalid = invalid      # event_id -> index in the batch, for the invalid ones
        self.as_array = as_array    # sent as a JSON array rather than NDJSON
        self.key = f"key-{batch_id}"
        self.attempts = 0
        self.reply = None           # the first 200 reply, once acknowledged
        self.replays = 0            # acknowledged resends that the node answered as replayed

    def body(self):
        if self.as_array:
            return ("[" + ",".join(self.lines) + "]").encode(), "application/json"
        return ("\n".join(self.lines) + "\n").encode(), "application/x-ndjson"


def make_batch(rng, batch_id):
    size = rng.randint(1, 200)
    as_array = rng.random() < 0.2
    events, lines, invalid = {}, [], {}
    for index in range(size):
        event_id = f"{batch_id}-e{index}"
        amount = rng.randint(1, 1_000_000)
        events[event_id] = amount
        record = {"event_id": event_id, "batch_id": batch_id,
                  "kind": rng.choice(["credit", "debit"]), "amount": amount,
                  "occurred_at": "2026-03-01T10:%02d:%02dZ" % (index // 60 % 60, index % 60)}
        roll = rng.random()
        if roll < 0.02:
            record["kind"] = "refund"                    # not an allowed value
        elif roll < 0.04:
            del record["amount"]                         # a required field is missing
        elif roll < 0.05:
            record["amount"] = "ten"                     # the wrong type
        elif roll < 0.06 and not as_array:
            lines.append(json.dumps(record)[:-25])       # not JSON at all
            invalid[event_id] = index
            continue
        if roll < 0.05:
            invalid[event_id] = index
        lines.append(json.dumps(record))
    return Batch(batch_id, events, lines, invalid, as_array)


class SharedNode:
    """What the senders and the killer share: the current node URL and its generation."""

    def __init__(self):
        self.condition = threading.Condition()
        self.url = None
        self.generation = 0
        self.stopping = False
        self.errors = []          # unexpected HTTP answers: violations
        self.lost_answers = 0     # requests that got no answer (the node died under them)

    def publish(self, url):
        with self.condition:
            self.url = url
            self.generation += 1
            self.condition.notify_all()

    def withdraw(self):
        with self.condition:
            self.url = None

    def wait_for_node(self, after_generation):
        """Blocks until a node newer than `after_generation` is up; returns its URL and
        generation, or (None, None) once the test stops."""
        with self.condition:
            while not self.stopping and (self.url is None or self.generation <= after_generation):
                self.condition.wait(0.5)
            if self.stopping:
                return None, None
            return self.url, self.generation

    def stop(self):
        with self.condition:
            self.stopping = True
            self.condition.notify_all()


def post(url, batch):
    body, content_type = batch.body()
    return request_json("POST", f"{url}/v1/products/{PRODUCT}/ports/{PORT}/events", body,
                        {"Content-Type": content_type, "Idempotency-Key": batch.key})


def check_reply(batch, reply, shared):
    """A 200 reply must count the batch as the sender knows it."""
    expected = (len(batch.events), len(batch.events) - len(batch.invalid), len(batch.invalid))
    got = (reply.get("received"), reply.get("accepted"), reply.get("rejected"))
    if got != expected:
        shared.errors.append(f"batch {batch.batch_id}: the node acknowledged received/accepted/"
                             f"rejected {got}, but the batch has {expected} (reply {reply})")


def sender(number, rng, shared, batches, lock):
    """Runs one sender thread; a sender that fails is a violation, not a silent loss of load."""
    try:
        send_batches(number, rng, shared, batches, lock)
    except Exception as error:  # noqa: BLE001 - reported, then the run fails
        shared.errors.append(f"sender {number} stopped on {type(error).__name__}: {error}")


def send_batches(number, rng, shared, batches, lock):
    """Posts batches until the test stops. Owns the batches it makes."""
    failed_generation = 0    # after a lost answer, wait for a node newer than this one
    sequence = 0
    pending = None           # a batch that got no answer, to retry after the next restart
    acknowledged = []
    while True:
        url, generation = shared.wait_for_node(failed_generation)
        if url is None:
            return  # the test stops
        if pending is not None:
            batch, pending = pending, None
            if rng.random() < 0.5:
                continue  # abandoned: it must be wholly present or wholly absent
        elif acknowledged and rng.random() < 0.03:
            batch = rng.choice(acknowledged)     # a client resending what was acknowledged
        else:
            sequence += 1
            batch = make_batch(rng, f"s{number}-b{sequence}")
            with lock:
                batches.append(batch)
        batch.attempts += 1
        try:
            status, reply, _ = post(url, batch)
        except (OSError, http.client.HTTPException):  # the node died under the request
            with lock:
                shared.lost_answers += 1
            if batch.reply is None:
                pending = batch
            failed_generation = generation
            continue
        if status != 200 or not isinstance(reply, dict):
            shared.errors.append(f"batch {batch.batch_id} (attempt {batch.attempts}): the node "
                                 f"answered {status}: {reply}")
            if batch.reply is None:
                pending = batch
            failed_generation = generation
            continue
        check_reply(batch, reply, shared)
        if batch.reply is None:
            batch.reply = reply
            if batch.attempts == 1 and reply.get("replayed"):
                shared.errors.append(f"batch {batch.batch_id}: its first attempt was answered as "
                                     f"replayed: {reply}")
            acknowledged.append(batch)
        else:
            batch.replays += 1
            if not reply.get("replayed") or reply.get("version") != batch.reply.get("version"):
                shared.errors.append(
                    f"batch {batch.batch_id}: resent with its key after it was acknowledged at "
                    f"version {batch.reply.get('version')}, the node answered {reply} (expected "
                    f"replayed: true at the same version)")


# ---------------------------------------------------------------------------------------------
# Reading everything back


def read_all(url, path):
    """Pages through a dataset or the dead letters; returns (rows, pinned version)."""
    rows, cursor, version, pages = [], None, None, 0
    while True:
        target = f"{url}{path}?limit={PAGE_SIZE}"
        if cursor:
            target += "&cursor=" + urllib.request.quote(cursor, safe="")
        status, body, _ = request_json("GET", target)
        if status != 200 or not isinstance(body, dict) or "rows" not in body:
            raise TestFailure(f"GET {path} (page {pages + 1}) answered {status}: {body}")
        if version is None:
            version = body.get("version")
        elif body.get("version") != version:
            raise TestFailure(f"GET {path}: page {pages + 1} is at version {body.get('version')}"
                              f" but the first page was at {version}; the cursor must pin it")
        rows.extend(body["rows"])
        pages += 1
        cursor = body.get("nextCursor")
        if not cursor:
            return rows, version


def verify(url, batches, shared):
    """Returns the list of violations found (empty when every promise holds)."""
    violations = list(shared.errors)
    rows, _ = read_all(url, f"/v1/products/{PRODUCT}/datasets/{DATASET}")
    letters, _ = read_all(url, f"/v1/products/{PRODUCT}/deadletters")

    batch_of_event = {}
    for batch in batches:
        for event_id in batch.events:
            batch_of_event[event_id] = batch

    row_count = collections.Counter(row.get("event_id") for row in rows)
    for event_id, count in row_count.items():
        if count > 1:
            violations.append(f"event {event_id} is in the dataset {count} times")
    for row in rows:
        batch = batch_of_event.get(row.get("event_id"))
        if batch is None:
            violations.append(f"the dataset holds a row that was never sent: {row}")
        elif row.get("batch_id") != batch.batch_id or \
                row.get("amount") != batch.events[row["event_id"]]:
            violations.append(f"row {row} does not hold what was sent in batch {batch.batch_id}")

    letter_count = collections.Counter()
    letter_of_event = {}
    offsets = collections.Counter(letter.get("offset") for letter in letters)
    for offset, count in offsets.items():
        if count > 1:
            violations.append(f"{count} dead letters have the offset {offset}")
    for letter in letters:
        match = EVENT_ID_PATTERN.search(letter.get("payload") or "")
        if not match or match.group(1) not in batch_of_event:
            violations.append(f"a dead letter holds no event that was sent: {letter}")
            continue
        letter_count[match.group(1)] += 1
        letter_of_event[match.group(1)] = letter
    for event_id, count in letter_count.items():
        if count > 1:
            violations.append(f"event {event_id} is in the dead letters {count} times")
        if event_id in row_count:
            violations.append(f"event {event_id} is both a row and a dead letter")

    present_batches, acknowledged, half = 0, 0, 0
    events_present = 0
    for batch in batches:
        valid = set(batch.events) - set(batch.invalid)
        as_rows = {event_id for event_id in batch.events if event_id in row_count}
        as_letters = {event_id for event_id in batch.events if event_id in letter_count}
        found = len(as_rows) + len(as_letters)
        label = "acknowledged" if batch.reply else "unacknowledged"
        if batch.reply:
            acknowledged += 1
        if found == 0:
            if batch.reply:
                violations.append(
                    f"acknowledged batch {batch.batch_id} ({len(batch.events)} events, version "
                    f"{batch.reply.get('version')}) is missing entirely")
            continue
        present_batches += 1
        events_present += len(batch.events)
        if found != len(batch.events):
            half += 1
            violations.append(f"{label} batch {batch.batch_id} is half-applied: {found} of its "
                              f"{len(batch.events)} events are present")
        if as_rows != valid & as_rows or as_letters != set(batch.invalid) & as_letters:
            violations.append(f"{label} batch {batch.batch_id}: valid events ended as dead "
                              f"letters or invalid ones as rows")
        if as_rows != valid:
            missing = sorted(valid - as_rows)[:5]
            violations.append(f"{label} batch {batch.batch_id}: {len(valid - as_rows)} accepted "
                              f"events are not in the dataset (e.g. {missing})")
        if as_letters != set(batch.invalid):
            absent = set(batch.invalid) - as_letters
            violations.append(f"{label} batch {batch.batch_id}: {len(absent)} rejected events "
                              f"are not in the dead letters (e.g. {sorted(absent)[:5]})")
        # The dead letters of one batch come from one commit at consecutive offsets.
        versions = {letter_of_event[e].get("version") for e in as_letters}
        bases = {letter_of_event[e].get("offset") - batch.invalid[e]
                 for e in as_letters if e in batch.invalid}
        if len(versions) > 1 or len(bases) > 1:
            violations.append(f"{label} batch {batch.batch_id}: its dead letters span versions "
                              f"{sorted(versions)} and offset bases {sorted(bases)}")
        if batch.reply and as_letters and versions != {batch.reply.get("version")}:
            violations.append(f"batch {batch.batch_id} was acknowledged at version "
                              f"{batch.reply.get('version')} but its dead letters are at "
                              f"{sorted(versions)}")

    # Batches that queued together share a commit (group commit), so several may be
    # acknowledged at one version; each still has offsets of its own. A batch's range starts
    # at its dead letters' offset base, and no two ranges may overlap.
    ranges = []
    for batch in batches:
        bases = {letter_of_event[e].get("offset") - batch.invalid[e]
                 for e in batch.invalid if e in letter_count}
        if len(bases) == 1:
            base = bases.pop()
            ranges.append((base, base + len(batch.events) - 1, batch.batch_id))
    ranges.sort()
    for (first, last, batch_id), (next_first, next_last, next_id) in zip(ranges, ranges[1:]):
        if next_first <= last:
            violations.append(f"batches {batch_id} (offsets {first}..{last}) and {next_id} "
                              f"(offsets {next_first}..{next_last}) overlap")

    status = product_status(url)
    port = port_counts(status)
    received, committed = port.get("received"), port.get("committed")
    rejected = port.get("rejected")
    if received != committed + rejected:
        violations.append(f"status: received {received} != committed {committed} + rejected "
                          f"{rejected}")
    if committed != len(rows) or rejected != len(letters) or received != events_present:
        violations.append(f"status says received {received}, committed {committed}, rejected "
                          f"{rejected}; found {len(rows)} rows and {len(letters)} dead letters "
                          f"from {events_present} events of the batches present")
    if port.get("deadLetters") not in (None, len(letters)):
        violations.append(f"status counts {port.get('deadLetters')} dead letters; found "
                          f"{len(letters)}")
    for dataset in status.get("datasets", []):
        if dataset.get("name") == DATASET and dataset.get("rows") != len(rows):
            violations.append(f"status counts {dataset.get('rows')} rows in {DATASET}; paging "
                              f"found {len(rows)}")
    shared = collections.Counter(b.reply.get("version") for b in batches if b.reply)
    facts = {"rows": len(rows), "dead_letters": len(letters), "batches_present": present_batches,
             "commits_shared": sum(1 for count in shared.values() if count > 1),
             "acknowledged": acknowledged, "half_applied": half}
    return violations, facts


# ---------------------------------------------------------------------------------------------


def main():
    binary = (sys.argv[1] if len(sys.argv) > 1 else os.environ.get("QUANTA_BIN")
              or os.path.join(HERE, "..", "..", "build", "quanta"))
    if not os.access(binary, os.X_OK):
        print(f"sigkill_test: {binary} is not an executable quanta binary; pass its path",
              file=sys.stderr)
        return 2
    rounds = int(os.environ.get("QUANTA_SIGKILL_ROUNDS", "20"))
    senders = int(os.environ.get("QUANTA_SIGKILL_SENDERS", "4"))
    seed = int(os.environ.get("QUANTA_SIGKILL_SEED", str(random.randrange(1 << 30))))
    rng = random.Random(seed)
    work_dir = tempfile.mkdtemp(prefix="quanta-sigkill-")
    print(f"sigkill_test: {rounds} rounds, {senders} senders, seed {seed}, work dir {work_dir}",
          flush=True)

    started = time.monotonic()
    node = Node(binary, work_dir)
    shared = SharedNode()
    batches, lock, threads = [], threading.Lock(), []
    ok = False
    try:
        node.start()
        deploy(node.url)
        for number in range(senders):
            thread = threading.Thread(
                target=sender, daemon=True,
                args=(number, random.Random(rng.random()), shared, batches, lock))
            thread.start()
            threads.append(thread)
        shared.publish(node.url)
        for round_number in range(1, rounds + 1):
            time.sleep(rng.uniform(0.05, 1.5))
            shared.withdraw()
            node.kill()
            node.start()
            status = product_status(node.url)  # the product is back after the restart
            port = port_counts(status)
            if port["received"] != port["committed"] + port["rejected"]:
                raise TestFailure(f"after restart {round_number}: received {port['received']} != "
                                  f"committed {port['committed']} + rejected {port['rejected']}")
            with lock:
                acked_events = sum(len(b.events) for b in batches if b.reply)
            if port["received"] < acked_events:
                raise TestFailure(f"after restart {round_number}: the node counts "
                                  f"{port['received']} received events, but {acked_events} were "
                                  f"acknowledged before the kill")
            shared.publish(node.url)
            print(f"  round {round_number}: killed and restarted; {port['received']} events "
                  f"received so far", flush=True)
        # Let retries of the last kill go through, then stop the senders.
        time.sleep(0.5)
        shared.stop()
        for thread in threads:
            thread.join(REQUEST_TIMEOUT_S * 2)
            if thread.is_alive():
                raise TestFailure("a sender did not finish within two request timeouts")
        violations, facts = verify(node.url, batches, shared)
        node.stop()
        elapsed = time.monotonic() - started
        sent_events = sum(len(b.events) for b in batches)
        acked_events = sum(len(b.events) for b in batches if b.reply)
        retried = sum(1 for b in batches if b.attempts > 1 and b.replays == 0)
        retried_replayed = sum(1 for b in batches if b.reply and b.reply.get("replayed"))
        print(f"sigkill_test: {rounds} SIGKILLs in {elapsed:.1f}s; {len(batches)} batches sent "
              f"({sent_events} events), {facts['acknowledged']} acknowledged ({acked_events} "
              f"events), {retried} retried after a kill ({retried_replayed} of them had been "
              f"committed before it), "
              f"{sum(b.replays for b in batches)} acknowledged resends replayed, "
              f"{shared.lost_answers} answers lost to kills; found {facts['rows']} rows, "
              f"{facts['dead_letters']} dead letters, {facts['batches_present']} batches present, "
              f"{facts['half_applied']} half-applied, {facts['commits_shared']} commits shared by "
              f"several acknowledged batches")
        if facts["acknowledged"] < rounds:
            violations.append(f"only {facts['acknowledged']} batches were acknowledged in "
                              f"{rounds} rounds: the node hardly ingested, so this run proves "
                              f"little")
        if violations:
            print(f"sigkill_test: FAILED with {len(violations)} violations (seed {seed}):",
                  file=sys.stderr)
            for violation in violations[:50]:
                print(f"  - {violation}", file=sys.stderr)
            return 1
        print("sigkill_test: ok, every acknowledged event is present exactly once and no batch "
              "is half-applied")
        ok = True
        return 0
    except TestFailure as failure:
        print(f"sigkill_test: FAILED (seed {seed}): {failure}", file=sys.stderr)
        if node.starts:
            print(f"stderr of the last node:\n{node.stderr_tail()}", file=sys.stderr)
        return 1
    finally:
        shared.stop()
        if node.process and node.process.poll() is None:
            node.process.kill()
            node.process.wait()
        if ok and os.environ.get("QUANTA_SIGKILL_KEEP") != "1":
            shutil.rmtree(work_dir, ignore_errors=True)
        else:
            print(f"sigkill_test: data directory and node logs kept in {work_dir}",
                  file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
