#!/usr/bin/env python3
"""Tests of examples/generate.py: python3 -m unittest examples/generate_test.py

Checks what the ingestion demo relies on: the same seed gives the same bytes, valid records
follow their input contract, bad records are bad in the way the manifest says, and the
manifest's counts match the files.
"""

import csv
import datetime as dt
import json
import os
import re
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
GENERATOR = os.path.join(HERE, "generate.py")

# Required fields and enums of the input contracts (examples/*/*/contracts/<port>.yaml).
WEB_REQUIRED = ["event_id", "session_id", "event_type", "occurred_at"]
ORDER_REQUIRED = ["event_id", "order_id", "customer_id", "event_type", "product_id", "category",
                  "quantity", "amount", "occurred_at"]
DEMOGRAPHIC_REQUIRED = ["customer_id", "email", "country", "updated_at"]
WEB_TYPES = {"click", "view", "add_to_cart"}
ORDER_TYPES = {"created", "paid", "shipped", "cancelled"}
TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")


def generate(out, *extra):
    subprocess.run([sys.executable, GENERATOR, "--out", out, "--quiet", *extra], check=True,
                   stdout=subprocess.DEVNULL)
    with open(os.path.join(out, "manifest.json"), encoding="utf-8") as handle:
        return json.load(handle)


def read_tree(root):
    files = {}
    for folder, _, names in os.walk(root):
        for name in names:
            path = os.path.join(folder, name)
            with open(path, "rb") as handle:
                files[os.path.relpath(path, root)] = handle.read()
    return files


def valid_timestamp(text):
    if not isinstance(text, str) or not TIMESTAMP.match(text):
        return False
    try:
        dt.datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ")
        return True
    except ValueError:
        return False


def json_record_ok(line, required, enum_field, enum_values):
    """True when an NDJSON line is a record its input contract accepts."""
    try:
        record = json.loads(line)
    except ValueError:
        return False
    if not isinstance(record, dict) or any(record.get(f) in (None, "") for f in required):
        return False
    if enum_field and record[enum_field] not in enum_values:
        return False
    for field in ("occurred_at", "updated_at"):
        if field in record and not valid_timestamp(record[field]):
            return False
    if "quantity" in record and not isinstance(record["quantity"], int):
        return False
    if "amount" in record and not isinstance(record["amount"], (int, float)):
        return False
    if "birth_date" in record:
        try:
            dt.date.fromisoformat(record["birth_date"])
        except (TypeError, ValueError):
            return False
    return True


class GenerateTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.temp = tempfile.TemporaryDirectory(prefix="quanta-generate-test-")
        cls.root = cls.temp.name
        cls.out = os.path.join(cls.root, "a")
        cls.manifest = generate(cls.out, "--scale", "0.2", "--bad-rate", "0.05", "--seed", "7")

    @classmethod
    def tearDownClass(cls):
        cls.temp.cleanup()

    def entries(self, port, file_format=None):
        return [e for e in self.manifest["files"]
                if e["port"] == port and (file_format is None or e["format"] == file_format)]

    def test_same_seed_gives_identical_files_and_another_seed_does_not(self):
        again = os.path.join(self.root, "again")
        generate(again, "--scale", "0.2", "--bad-rate", "0.05", "--seed", "7")
        self.assertEqual(read_tree(self.out), read_tree(again))
        other = os.path.join(self.root, "other")
        generate(other, "--scale", "0.2", "--bad-rate", "0.05", "--seed", "8")
        self.assertNotEqual(read_tree(self.out), read_tree(other))

    def test_bad_rate_damages_records_without_changing_the_others(self):
        clean = os.path.join(self.root, "clean")
        manifest = generate(clean, "--scale", "0.2", "--bad-rate", "0", "--seed", "7")
        self.assertTrue(all(entry["bad"] == 0 for entry in manifest["files"]))
        path = "ecommerce/user-interactions/web_events.ndjson"
        with open(os.path.join(clean, path), encoding="utf-8") as handle:
            clean_lines = handle.read().splitlines()
        with open(os.path.join(self.out, path), encoding="utf-8") as handle:
            bad_lines = handle.read().splitlines()
        self.assertEqual(len(clean_lines), len(bad_lines))
        changed = sum(1 for a, b in zip(clean_lines, bad_lines) if a != b)
        self.assertEqual(changed, self.entries("web_events")[0]["bad"])

    def test_manifest_counts_match_the_files_and_the_contracts(self):
        checks = {
            "web_events": (WEB_REQUIRED, "event_type", WEB_TYPES),
            "order_events": (ORDER_REQUIRED, "event_type", ORDER_TYPES),
            "demographic_drops": (DEMOGRAPHIC_REQUIRED, None, None),
        }
        for entry in self.manifest["files"]:
            if entry["format"] != "ndjson":
                continue
            with open(os.path.join(self.out, entry["path"]), encoding="utf-8") as handle:
                lines = handle.read().splitlines()
            required, enum_field, enum_values = checks[entry["port"]]
            valid = sum(1 for line in lines if json_record_ok(line, required, enum_field,
                                                              enum_values))
            self.assertEqual(len(lines), entry["records"], entry["path"])
            self.assertEqual(valid, entry["valid"], entry["path"])
            self.assertEqual(entry["bad"], sum(entry["badByKind"].values()), entry["path"])
        for entry in self.entries("web_events") + self.entries("order_events"):
            self.assertEqual(set(entry["badByKind"]),
                             {"bad-enum", "malformed-json", "missing-required", "wrong-type"})

    def test_csv_drops_have_the_contract_columns_and_count_bad_rows(self):
        for entry in self.entries("demographic_drops", "csv"):
            with open(os.path.join(self.out, entry["path"]), encoding="utf-8", newline="") as f:
                rows = list(csv.reader(f))
            header, body = rows[0], rows[1:]
            self.assertEqual(header, ["customer_id", "email", "birth_date", "country", "gender",
                                      "income_band", "updated_at"])
            self.assertEqual(len(body), entry["records"])
            good = 0
            for row in body:
                if len(row) != len(header):
                    continue
                record = dict(zip(header, row))
                if any(record[f] == "" for f in DEMOGRAPHIC_REQUIRED):
                    continue
                if not valid_timestamp(record["updated_at"]):
                    continue
                if record["birth_date"]:
                    try:
                        dt.date.fromisoformat(record["birth_date"])
                    except ValueError:
                        continue
                good += 1
            self.assertEqual(good, entry["valid"], entry["path"])

    def test_order_lifecycles_are_consistent(self):
        path = os.path.join(self.out, "orders/orders/order_events.ndjson")
        steps = {}
        with open(path, encoding="utf-8") as handle:
            for line in handle:
                if json_record_ok(line, ORDER_REQUIRED, "event_type", ORDER_TYPES):
                    record = json.loads(line)
                    steps.setdefault(record["order_id"], {})[record["event_type"]] = record
        self.assertGreater(len(steps), 20)
        for order_id, events in steps.items():
            if "shipped" in events and "paid" in events:
                self.assertLess(events["paid"]["occurred_at"], events["shipped"]["occurred_at"])
            if "paid" in events and "created" in events:
                self.assertLess(events["created"]["occurred_at"], events["paid"]["occurred_at"])
            self.assertFalse("shipped" in events and "cancelled" in events, order_id)
            customers = {event["customer_id"] for event in events.values()}
            self.assertEqual(len(customers), 1, order_id)

    def test_web_users_are_customers_of_the_demographic_drops(self):
        customers = set()
        for entry in self.entries("demographic_drops", "ndjson"):
            with open(os.path.join(self.out, entry["path"]), encoding="utf-8") as handle:
                for line in handle:
                    if json_record_ok(line, DEMOGRAPHIC_REQUIRED, None, None):
                        customers.add(json.loads(line)["customer_id"])
        users = set()
        with open(os.path.join(self.out, "ecommerce/user-interactions/web_events.ndjson"),
                  encoding="utf-8") as handle:
            for line in handle:
                if json_record_ok(line, WEB_REQUIRED, "event_type", WEB_TYPES):
                    user = json.loads(line).get("user_id")
                    if user:
                        users.add(user)
        matched = len(users & customers) / len(users)
        self.assertGreater(matched, 0.8)  # the provider knows about 9 customers in 10
        self.assertLess(matched, 1.0)

    def test_rejects_bad_arguments(self):
        for arguments in (["--scale", "0"], ["--scale", "1", "--bad-rate", "2"],
                          ["--scale", "1", "--days", "0"]):
            result = subprocess.run([sys.executable, GENERATOR, "--out",
                                     os.path.join(self.root, "x"), *arguments],
                                    capture_output=True, text=True)
            self.assertEqual(result.returncode, 2, arguments)
            self.assertIn("must be", result.stderr)


if __name__ == "__main__":
    unittest.main()
