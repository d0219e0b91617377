#!/usr/bin/env python3
"""Generates input data for the demo scenario's three source products, at any size.

    python3 examples/generate.py --out DIR --scale N [--bad-rate 0.01] [--seed 42] [--days 7]

Writes, under DIR:

    ecommerce/user-interactions/web_events.ndjson   clicks, views and add-to-carts (HTTP port)
    orders/orders/order_events.ndjson                order lifecycle events (HTTP port)
    customers/demographics/drops/demographic_drops-YYYY-MM-DD.csv     provider drops (file port)
    customers/demographics/drops/demographic_drops-YYYY-MM-DD.ndjson  the same drops as NDJSON
    manifest.json                                    what was written: counts per file and kind

Each line or row follows the input contract of its port (examples/*/*/contracts/), except a
share of bad records (--bad-rate) made on purpose for the ingestion demo: wrong types,
missing required fields, values outside an enum, and malformed lines. manifest.json counts
them per file, so that "received = committed + rejected" can be checked.

Scale 1 is 1,000 customers over 7 days: about 25,000 web events, 500 orders (1,400 order
events) and 1,000 demographic records in 3 drops (8 MB, 2 seconds). Scale is linear and may be
fractional (0.01 is 10 customers); scale 100 writes about 850 MB in under 2 minutes.
Output is deterministic: the same arguments give byte-identical files. The bad records are
drawn from their own random stream, so changing --bad-rate corrupts a different share of the
same data rather than producing different data.

Standard library only. Events are spread over hourly buckets on disk and each bucket is then
sorted by arrival time, so memory grows with the number of customers (about 1 KB each), not
with the number of events.
"""

import argparse
import csv
import datetime as dt
import io
import json
import os
import random
import shutil
import sys
import tempfile

START = dt.datetime(2026, 3, 1, tzinfo=dt.timezone.utc)
CUSTOMERS_PER_SCALE = 1000

CATEGORIES = ["shoes", "fashion", "electronics", "books", "garden", "kitchen", "toys", "sports",
              "beauty", "music"]
PRICE_RANGE = {  # euros per item
    "shoes": (39, 189), "fashion": (15, 149), "electronics": (29, 1299), "books": (8, 45),
    "garden": (9, 399), "kitchen": (12, 299), "toys": (9, 129), "sports": (15, 499),
    "beauty": (6, 89), "music": (10, 59),
}
PRODUCTS_PER_CATEGORY = 60

# Age groups with their share of customers and [youngest, oldest] age.
AGE_GROUPS = [
    ("under-18", 0.03, 16, 17), ("18-24", 0.14, 18, 24), ("25-34", 0.24, 25, 34),
    ("35-44", 0.22, 35, 44), ("45-54", 0.17, 45, 54), ("55-64", 0.12, 55, 64),
    ("65+", 0.08, 65, 88),
]
# How much each age group browses each category (relative weights, in CATEGORIES order) and
# how likely an add-to-cart turns into an order. The gaps between the two are what the
# marketing funnel is meant to find: young customers browse electronics a lot and rarely buy.
BROWSE = {
    "under-18": [3, 5, 8, 2, 0.2, 0.2, 2, 4, 3, 6],
    "18-24": [5, 8, 10, 2, 0.5, 1, 1, 4, 5, 5],
    "25-34": [5, 7, 8, 3, 2, 3, 3, 5, 4, 2],
    "35-44": [4, 4, 6, 3, 4, 5, 6, 4, 3, 1],
    "45-54": [3, 3, 4, 4, 6, 5, 2, 3, 3, 1],
    "55-64": [2, 2, 3, 5, 8, 5, 2, 2, 2, 1],
    "65+": [1, 1, 2, 7, 8, 4, 2, 1, 1, 2],
}
BUY = {
    "under-18": [0.10, 0.15, 0.02, 0.30, 0.10, 0.10, 0.20, 0.10, 0.20, 0.15],
    "18-24": [0.25, 0.35, 0.04, 0.40, 0.20, 0.20, 0.15, 0.20, 0.40, 0.25],
    "25-34": [0.45, 0.40, 0.15, 0.45, 0.35, 0.40, 0.45, 0.35, 0.45, 0.30],
    "35-44": [0.45, 0.35, 0.30, 0.50, 0.55, 0.55, 0.65, 0.40, 0.40, 0.25],
    "45-54": [0.40, 0.30, 0.35, 0.55, 0.65, 0.55, 0.55, 0.35, 0.35, 0.20],
    "55-64": [0.35, 0.25, 0.30, 0.60, 0.75, 0.55, 0.60, 0.30, 0.30, 0.20],
    "65+": [0.30, 0.20, 0.10, 0.70, 0.75, 0.50, 0.65, 0.20, 0.25, 0.30],
}

USER_AGENTS = [
    ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Chrome/122.0 Safari/537.36", 30),
    ("Mozilla/5.0 (Macintosh; Intel Mac OS X 14_3) AppleWebKit/605.1.15 (KHTML, like Gecko) "
     "Version/17.3 Safari/605.1.15", 12),
    ("Mozilla/5.0 (X11; Linux x86_64; rv:124.0) Gecko/20100101 Firefox/124.0", 5),
    ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_3 like Mac OS X) AppleWebKit/605.1.15 "
     "(KHTML, like Gecko) Version/17.3 Mobile/15E148 Safari/604.1", 25),
    ("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Chrome/122.0 Mobile Safari/537.36", 18),
    ("Mozilla/5.0 (iPad; CPU OS 17_3 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
     "Version/17.3 Mobile/15E148 Safari/604.1", 6),
    (None, 3),  # browser sends no user agent
    ("", 1),
]

FIRST_NAMES = ["anna", "ben", "chloe", "david", "elena", "felix", "grace", "hugo", "ines",
               "jonas", "karin", "luca", "maria", "nils", "olivia", "paul", "queenie", "rosa",
               "sami", "tara", "umar", "vera", "wim", "xenia", "yusuf", "zoe"]
LAST_NAMES = ["schmidt", "martin", "jansen", "rossi", "garcia", "huber", "peeters", "nowak",
              "lindqvist", "nielsen", "dubois", "muller", "bianchi", "lopez", "kowalski"]
EMAIL_DOMAINS = ["example.com", "example.org", "example.net", "mail.example.com"]
COUNTRIES = [("DE", 28), ("FR", 18), ("NL", 10), ("IT", 12), ("ES", 11), ("AT", 5),
             ("BE", 5), ("PL", 6), ("SE", 3), ("DK", 2)]
GENDERS = [("female", 48), ("male", 47), ("diverse", 2), (None, 8)]
INCOME_BANDS = [("low", 20), ("lower-middle", 30), ("upper-middle", 28), ("high", 10),
                (None, 15)]

WEB_FIELDS = ["event_id", "user_id", "session_id", "event_type", "product_id", "category",
              "page_url", "user_agent", "occurred_at"]
ORDER_FIELDS = ["event_id", "order_id", "customer_id", "event_type", "product_id", "category",
                "quantity", "amount", "occurred_at"]
DEMOGRAPHIC_FIELDS = ["customer_id", "email", "birth_date", "country", "gender", "income_band",
                      "updated_at"]


def weighted(rng, pairs):
    """Picks the first element of one (value, weight) pair."""
    total = sum(weight for _, weight in pairs)
    point = rng.random() * total
    for value, weight in pairs:
        point -= weight
        if point < 0:
            return value
    return pairs[-1][0]


def iso(moment):
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


class Progress:
    """Prints '<what>: <done>/<total> (<percent>%)' to stderr every 10%, for big runs only."""

    def __init__(self, what, total, enabled):
        self.what, self.total, self.enabled = what, total, enabled and total >= 20000
        self.next_step = 1

    def update(self, done):
        if not self.enabled or self.total == 0:
            return
        while done * 10 >= self.next_step * self.total and self.next_step <= 10:
            print(f"{self.what}: {done}/{self.total} ({self.next_step * 10}%)", file=sys.stderr,
                  flush=True)
            self.next_step += 1


class Corrupter:
    """Decides which records go bad and how, from its own random stream.

    Each kind of damage is one a real source produces: a field of the wrong type, a required
    field left out, a value outside an enum, a line that is not JSON (or a CSV row with the
    wrong number of fields).
    """

    def __init__(self, seed, rate):
        self.rng = random.Random(f"{seed}/bad")
        self.rate = rate

    def pick(self, kinds):
        if self.rate <= 0 or self.rng.random() >= self.rate:
            return None
        return self.rng.choice(kinds)


class FileStats:
    """Counts what went into one output file, for the manifest."""

    def __init__(self, path, product, port, file_format):
        self.path, self.product, self.port, self.format = path, product, port, file_format
        self.records = 0
        self.bad = {}
        self.resent = 0

    def add(self, bad_kind=None, resent=False):
        self.records += 1
        if bad_kind:
            self.bad[bad_kind] = self.bad.get(bad_kind, 0) + 1
        if resent:
            self.resent += 1

    def to_json(self, root):
        bad_total = sum(self.bad.values())
        return {
            "path": os.path.relpath(self.path, root),
            "product": self.product,
            "port": self.port,
            "format": self.format,
            "records": self.records,
            "valid": self.records - bad_total,
            "bad": bad_total,
            "badByKind": dict(sorted(self.bad.items())),
            "resentDuplicates": self.resent,
        }


def damage_json(rng, record, kind, required, enum_field, enum_bad, typed_fields):
    """Returns the NDJSON line of `record` damaged in the way `kind` says."""
    record = dict(record)
    if kind == "missing-required":
        record.pop(rng.choice(required), None)
    elif kind == "bad-enum":
        record[enum_field] = rng.choice(enum_bad)
    elif kind == "wrong-type":
        field, value = rng.choice(typed_fields)
        record[field] = value
    elif kind == "malformed-json":
        text = json.dumps(record, separators=(",", ":"))
        choice = rng.randrange(4)
        if choice == 0:
            return text[: max(1, len(text) // 2)]  # cut off mid-record
        if choice == 1:
            return text.replace('"', "'")  # single quotes
        if choice == 2:
            return text + "}"  # trailing garbage
        return "<html><body>502 Bad Gateway</body></html>"
    return json.dumps(record, separators=(",", ":"))


class BucketWriter:
    """Spreads lines over hourly bucket files keyed by arrival time, then writes them out in
    arrival order. Keeps memory bounded by one bucket."""

    def __init__(self, folder, name):
        self.folder = os.path.join(folder, name)
        os.makedirs(self.folder)
        self.files = {}

    def add(self, arrival, line):
        hour = int((arrival - START).total_seconds() // 3600)
        handle = self.files.get(hour)
        if handle is None:
            handle = open(os.path.join(self.folder, f"{hour:06d}"), "w", encoding="utf-8")
            self.files[hour] = handle
        # Microseconds since START sort the bucket; ties keep the order they were written in.
        micros = int((arrival - START).total_seconds() * 1_000_000)
        handle.write(f"{micros:016d}\t{line}\n")

    def write_sorted(self, path):
        with open(path, "w", encoding="utf-8", newline="\n") as out:
            for hour in sorted(self.files):
                self.files[hour].close()
                with open(os.path.join(self.folder, f"{hour:06d}"), encoding="utf-8") as bucket:
                    entries = []
                    for number, line in enumerate(bucket):
                        micros, text = line.rstrip("\n").split("\t", 1)
                        entries.append((micros, number, text))
                entries.sort()
                for _, _, text in entries:
                    out.write(text + "\n")


class Generator:
    def __init__(self, args):
        self.args = args
        self.out = args.out
        self.days = args.days
        self.end = START + dt.timedelta(days=self.days)
        self.customers = max(1, round(args.scale * CUSTOMERS_PER_SCALE))
        self.rng_people = random.Random(f"{args.seed}/people")
        self.rng_web = random.Random(f"{args.seed}/web")
        self.rng_orders = random.Random(f"{args.seed}/orders")
        self.corrupt = Corrupter(args.seed, args.bad_rate)
        self.products = self.make_catalog(random.Random(f"{args.seed}/catalog"))
        self.web_sequence = 0
        self.order_sequence = 0
        self.order_event_sequence = 0
        self.session_sequence = 0

    @staticmethod
    def make_catalog(rng):
        products = {}
        number = 1
        for category in CATEGORIES:
            low, high = PRICE_RANGE[category]
            products[category] = []
            for _ in range(PRODUCTS_PER_CATEGORY):
                price = round(rng.uniform(low, high)) - 0.01
                products[category].append((f"p-{number:04d}", max(price, 0.99)))
                number += 1
        return products

    # -- people ------------------------------------------------------------------------------

    def make_person(self, index):
        rng = self.rng_people
        group = weighted(rng, [(g, share) for g, share, _, _ in AGE_GROUPS])
        _, _, youngest, oldest = next(g for g in AGE_GROUPS if g[0] == group)
        age = rng.randint(youngest, oldest)
        # Born so that the age holds on the first day of the data.
        birth = START.date().replace(year=START.year - age - 1) + dt.timedelta(
            days=rng.randint(1, 364))
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        email = f"{first}.{last}{rng.randint(1, 999)}@{rng.choice(EMAIL_DOMAINS)}"
        return {
            "customer_id": f"c-{index:07d}",
            "age_group": group,
            "email": email,
            "birth_date": birth.isoformat(),
            "country": weighted(rng, COUNTRIES),
            "gender": weighted(rng, GENDERS),
            "income_band": weighted(rng, INCOME_BANDS),
            "matched": rng.random() < 0.9,  # the provider knows 9 in 10 customers
            "sessions": min(12, int(rng.expovariate(1 / 2.5))),
            "user_agent": weighted(rng, USER_AGENTS),
        }

    # -- web events and orders ---------------------------------------------------------------

    def web_event(self, writer, stats, session, kind, category, product, moment):
        self.web_sequence += 1
        rng = self.rng_web
        page = "/" if category is None else f"/c/{category}" + (f"/{product}" if product else "")
        record = {
            "event_id": f"ev-{self.web_sequence:09d}",
            "user_id": session["user_id"],
            "session_id": session["session_id"],
            "event_type": kind,
            "product_id": product,
            "category": category,
            "page_url": page,
            "user_agent": session["user_agent"],
            "occurred_at": iso(moment),
        }
        record = {key: value for key, value in record.items() if value is not None}
        arrival = moment + dt.timedelta(seconds=rng.uniform(0, 10))
        self.emit_json(writer, stats, record, arrival,
                       required=["event_id", "session_id", "event_type", "occurred_at"],
                       enum_field="event_type", enum_bad=["hover", "scroll", "purchase", "VIEW"],
                       typed_fields=[("occurred_at", "yesterday"),
                                     ("occurred_at", "2026-13-45T99:00:00Z"),
                                     ("occurred_at", "01/03/2026 10:00")])
        # The browser resends a batch when the answer is lost: the same event again.
        if rng.random() < 0.005:
            self.emit_json(writer, stats, record, arrival + dt.timedelta(seconds=rng.uniform(5, 60)),
                           resent=True)

    def emit_json(self, writer, stats, record, arrival, required=None, enum_field=None,
                  enum_bad=None, typed_fields=None, resent=False):
        kind = None
        if not resent:
            kinds = ["missing-required", "bad-enum", "wrong-type", "malformed-json"]
            kind = self.corrupt.pick(kinds)
        if kind:
            line = damage_json(self.corrupt.rng, record, kind, required, enum_field, enum_bad,
                               typed_fields)
        else:
            line = json.dumps(record, separators=(",", ":"))
        writer.add(arrival, line)
        stats.add(kind, resent)

    def order_lifecycle(self, writer, stats, customer_id, category, product, price, created):
        """Writes the events of one order: created, then paid and shipped, or cancelled."""
        rng = self.rng_orders
        self.order_sequence += 1
        order_id = f"o-{self.order_sequence:08d}"
        quantity = 1 if rng.random() < 0.8 else rng.randint(2, 4)
        steps = [("created", created)]
        roll = rng.random()
        if roll < 0.07:
            steps.append(("cancelled", created + dt.timedelta(minutes=rng.uniform(5, 2880))))
        elif roll < 0.10:
            pass  # payment abandoned: stays created
        else:
            paid = created + dt.timedelta(minutes=rng.uniform(1, 30))
            steps.append(("paid", paid))
            if rng.random() < 0.03:
                steps.append(("cancelled", paid + dt.timedelta(hours=rng.uniform(1, 12))))
            else:
                steps.append(("shipped", paid + dt.timedelta(hours=rng.uniform(4, 72))))
        for kind, moment in steps:
            if moment >= self.end:
                break  # has not happened yet when the data ends
            # A customer sometimes changes the quantity before paying.
            if kind == "paid" and rng.random() < 0.03:
                quantity += 1
            self.order_event_sequence += 1
            record = {
                "event_id": f"oe-{self.order_event_sequence:09d}",
                "order_id": order_id,
                "customer_id": customer_id,
                "event_type": kind,
                "product_id": product,
                "category": category,
                "quantity": quantity,
                "amount": round(price * quantity, 2),
                "occurred_at": iso(moment),
            }
            delay = rng.uniform(0.1, 5)
            if rng.random() < 0.02:
                delay += rng.uniform(60, 3600)  # late: a slow partition or a retry queue
            arrival = moment + dt.timedelta(seconds=delay)
            self.emit_json(writer, stats, record, arrival,
                           required=["event_id", "order_id", "customer_id", "event_type",
                                     "occurred_at"],
                           enum_field="event_type",
                           enum_bad=["refunded", "PAID", "delivered", ""],
                           typed_fields=[("quantity", "two"), ("amount", "59,90"),
                                         ("amount", "EUR 12.00"), ("occurred_at", "tomorrow")])
            if rng.random() < 0.01:  # at-least-once delivery: the same event twice
                self.emit_json(writer, stats, record,
                               arrival + dt.timedelta(seconds=rng.uniform(1, 120)), resent=True)

    def session(self, web, web_stats, orders, order_stats, person, age_group):
        rng = self.rng_web
        self.session_sequence += 1
        session = {
            "session_id": f"s-{self.session_sequence:09d}",
            "user_id": person["customer_id"] if person else None,
            "user_agent": person["user_agent"] if person else weighted(rng, USER_AGENTS),
        }
        moment = START + dt.timedelta(seconds=rng.uniform(0, self.days * 86400 - 3600))
        weights = BROWSE[age_group]
        category_index = weighted(rng, list(zip(range(len(CATEGORIES)), weights)))
        category = CATEGORIES[category_index]
        if rng.random() < 0.3:
            self.web_event(web, web_stats, session, "view", None, None, moment)
            moment += dt.timedelta(seconds=rng.uniform(3, 40))
        self.web_event(web, web_stats, session, "view", category, None, moment)
        carted = None
        for _ in range(rng.randint(1, 6)):
            moment += dt.timedelta(seconds=rng.uniform(5, 120))
            product, price = rng.choice(self.products[category])
            self.web_event(web, web_stats, session, "click", category, product, moment)
            moment += dt.timedelta(seconds=rng.uniform(1, 5))
            self.web_event(web, web_stats, session, "view", category, product, moment)
            if rng.random() < 0.25:
                moment += dt.timedelta(seconds=rng.uniform(10, 90))
                self.web_event(web, web_stats, session, "add_to_cart", category, product, moment)
                carted = (product, price)
        if carted and person and rng.random() < BUY[age_group][category_index]:
            created = moment + dt.timedelta(seconds=rng.uniform(30, 600))
            self.order_lifecycle(orders, order_stats, person["customer_id"], category, carted[0],
                                 carted[1], created)

    def web_and_orders(self, people, scratch):
        web_path = os.path.join(self.out, "ecommerce", "user-interactions", "web_events.ndjson")
        order_path = os.path.join(self.out, "orders", "orders", "order_events.ndjson")
        os.makedirs(os.path.dirname(web_path), exist_ok=True)
        os.makedirs(os.path.dirname(order_path), exist_ok=True)
        web_stats = FileStats(web_path, "ecommerce/user-interactions", "web_events", "ndjson")
        order_stats = FileStats(order_path, "orders/orders", "order_events", "ndjson")
        web = BucketWriter(scratch, "web")
        orders = BucketWriter(scratch, "orders")
        progress = Progress("web events and orders", len(people), not self.args.quiet)
        for done, person in enumerate(people, 1):
            for _ in range(person["sessions"]):
                self.session(web, web_stats, orders, order_stats, person, person["age_group"])
            # Anonymous visitors: about one session in four.
            if self.rng_web.random() < 0.8:
                group = weighted(self.rng_web, [(g, s) for g, s, _, _ in AGE_GROUPS])
                self.session(web, web_stats, orders, order_stats, None, group)
            # Orders placed in the mobile app: no web events.
            if self.rng_orders.random() < 0.08:
                category = self.rng_orders.choice(CATEGORIES)
                product, price = self.rng_orders.choice(self.products[category])
                created = START + dt.timedelta(
                    seconds=self.rng_orders.uniform(0, self.days * 86400))
                self.order_lifecycle(orders, order_stats, person["customer_id"], category,
                                     product, price, created)
            progress.update(done)
        if progress.enabled:
            print("writing events in arrival order", file=sys.stderr, flush=True)
        web.write_sorted(web_path)
        orders.write_sorted(order_path)
        return [web_stats, order_stats]

    # -- demographic drops -------------------------------------------------------------------

    def demographic_drops(self, people):
        """Drops every few days: the first holds most matched customers, later ones the rest
        and changed records (a new email, a new income band), sometimes twice in one file."""
        rng = random.Random(f"{self.args.seed}/drops")
        folder = os.path.join(self.out, "customers", "demographics", "drops")
        os.makedirs(folder, exist_ok=True)
        drop_days = sorted({0, self.days // 2, self.days - 1})
        drops = {day: [] for day in drop_days}
        for person in people:
            if not person["matched"]:
                continue
            first = drop_days[0] if rng.random() < 0.8 else rng.choice(drop_days)
            record = {
                "customer_id": person["customer_id"],
                "email": person["email"],
                "birth_date": person["birth_date"] if rng.random() < 0.95 else None,
                "country": person["country"],
                "gender": person["gender"],
                "income_band": person["income_band"],
            }
            # Some providers' records have stray case or spaces; the pipeline normalises them.
            if rng.random() < 0.03:
                record["email"] = f" {record['email'].upper()} "
            if rng.random() < 0.03:
                record["country"] = record["country"].lower()
            drops[first].append((record, self.provider_time(rng, first)))
            later = [day for day in drop_days if day > first]
            if later and rng.random() < 0.1:
                changed = dict(record)
                if rng.random() < 0.5:
                    changed["email"] = changed["email"].strip().lower().replace("@", ".new@", 1)
                else:
                    changed["income_band"] = weighted(rng, INCOME_BANDS)
                day = rng.choice(later)
                drops[day].append((changed, self.provider_time(rng, day)))
        stats = []
        progress = Progress("demographic drops", len(drop_days), not self.args.quiet)
        for done, day in enumerate(drop_days, 1):
            rows = drops[day]
            # The provider sometimes sends a record twice in one drop.
            resent = [row for row in rows if rng.random() < 0.005]
            rows = rows + resent
            rows.sort(key=lambda row: row[0]["customer_id"])
            date = (START + dt.timedelta(days=day)).date().isoformat()
            base = os.path.join(folder, f"demographic_drops-{date}")
            stats.append(self.write_csv(base + ".csv", rows, len(resent)))
            stats.append(self.write_ndjson(base + ".ndjson", rows, len(resent)))
            progress.update(done)
        return stats

    @staticmethod
    def provider_time(rng, day):
        """When the provider changed the record: the night before the drop."""
        return START + dt.timedelta(days=day) - dt.timedelta(seconds=rng.uniform(3600, 43200))

    def write_csv(self, path, rows, resent):
        stats = FileStats(path, "customers/demographics", "demographic_drops", "csv")
        stats.resent = resent
        with open(path, "w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(DEMOGRAPHIC_FIELDS)
            for record, updated in rows:
                values = dict(record, updated_at=iso(updated))
                row = ["" if values.get(f) is None else values[f] for f in DEMOGRAPHIC_FIELDS]
                kind = self.corrupt.pick(["missing-required", "wrong-type", "wrong-field-count"])
                rng = self.corrupt.rng
                if kind == "missing-required":
                    row[DEMOGRAPHIC_FIELDS.index(rng.choice(["customer_id", "updated_at"]))] = ""
                elif kind == "wrong-type":
                    field, value = rng.choice([("birth_date", "15/06/1990"),
                                               ("birth_date", "1990-02-30"),
                                               ("updated_at", "last tuesday")])
                    row[DEMOGRAPHIC_FIELDS.index(field)] = value
                elif kind == "wrong-field-count":
                    row = row[:-2] if rng.random() < 0.5 else row + ["extra", "fields"]
                writer.writerow(row)
                stats.add(kind)
        return stats

    def write_ndjson(self, path, rows, resent):
        stats = FileStats(path, "customers/demographics", "demographic_drops", "ndjson")
        stats.resent = resent
        with open(path, "w", encoding="utf-8", newline="\n") as handle:
            for record, updated in rows:
                values = {k: v for k, v in dict(record, updated_at=iso(updated)).items()
                          if v is not None}
                kind = self.corrupt.pick(["missing-required", "wrong-type", "malformed-json"])
                if kind:
                    line = damage_json(self.corrupt.rng, values, kind,
                                       ["customer_id", "email", "updated_at"], None, None,
                                       [("birth_date", "15/06/1990"), ("birth_date", 19900615),
                                        ("updated_at", "last tuesday")])
                else:
                    line = json.dumps(values, separators=(",", ":"))
                handle.write(line + "\n")
                stats.add(kind)
        return stats

    # -- all ---------------------------------------------------------------------------------

    def run(self):
        os.makedirs(self.out, exist_ok=True)
        people = [self.make_person(index) for index in range(1, self.customers + 1)]
        scratch = tempfile.mkdtemp(prefix="quanta-generate-")
        try:
            files = self.web_and_orders(people, scratch)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
        files += self.demographic_drops(people)
        manifest = {
            "generator": "examples/generate.py",
            "seed": self.args.seed,
            "scale": self.args.scale,
            "badRate": self.args.bad_rate,
            "start": iso(START),
            "end": iso(self.end),
            "customers": self.customers,
            "files": [stats.to_json(self.out) for stats in files],
        }
        with open(os.path.join(self.out, "manifest.json"), "w", encoding="utf-8") as handle:
            json.dump(manifest, handle, indent=2)
            handle.write("\n")
        return manifest


def positive_float(text):
    value = float(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be greater than 0, got {text}")
    return value


def rate(text):
    value = float(text)
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError(f"must be between 0 and 1, got {text}")
    return value


def day_count(text):
    value = int(text)
    if not 1 <= value <= 365:
        raise argparse.ArgumentTypeError(f"must be between 1 and 365, got {text}")
    return value


def main(argv=None):
    parser = argparse.ArgumentParser(
        description="Generate input data for the demo's source products (web events, order "
                    "events, demographic drops), deterministic by seed.",
        epilog="Example: python3 examples/generate.py --out /tmp/quanta-data --scale 10 "
               "--bad-rate 0.01")
    parser.add_argument("--out", required=True, help="folder to write into (created if absent)")
    parser.add_argument("--scale", type=positive_float, required=True,
                        help=f"size: {CUSTOMERS_PER_SCALE} customers per unit, fractions allowed")
    parser.add_argument("--bad-rate", type=rate, default=0.01,
                        help="share of records damaged on purpose (default 0.01; 0 for none)")
    parser.add_argument("--seed", type=int, default=42, help="random seed (default 42)")
    parser.add_argument("--days", type=day_count, default=7, metavar="DAYS",
                        help="days of activity from 2026-03-01 (default 7)")
    parser.add_argument("--quiet", action="store_true", help="no progress on stderr")
    args = parser.parse_args(argv)
    manifest = Generator(args).run()
    for entry in manifest["files"]:
        print(f"{entry['path']}: {entry['records']} records, {entry['bad']} bad, "
              f"{entry['resentDuplicates']} resent")
    return 0


if __name__ == "__main__":
    sys.exit(main())
