#!/usr/bin/env bash
# The demo scenario (see examples/README.md), as far as Quanta runs it end to end today:
# lint every example product against the standards and the mesh's default policies, run each
# product's pipeline over its fixtures, then start a node, deploy the source products, ingest
# generated data with some bad records on purpose, and show counts, dead letters and a read
# of an earlier version.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh >/dev/null

quanta=build/quanta
products=(examples/ecommerce/user-interactions examples/orders/orders
          examples/customers/demographics examples/marketing/funnel)
failed=0

echo "== Quanta demo: four data products of three domains and one consumer-aligned product"
for product in "${products[@]}"; do
  echo
  echo "-- ${product#examples/}"
  if ! "$quanta" lint "$product"; then failed=1; fi
  if ! "$quanta" test "$product"; then failed=1; fi
done

echo
echo "== what a breaking change looks like (orders contract, a property removed)"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
contract=examples/orders/orders/contracts/orders.yaml
if [[ -f "$contract" ]]; then
  python3 - "$contract" "$tmp/orders-next.yaml" <<'PY'
import sys
text = open(sys.argv[1]).read().splitlines()
out, skip = [], False
for line in text:
    # drop the first property whose name is 'amount' (and its indented body)
    if not skip and line.strip() == "- name: amount":
        skip, indent = True, len(line) - len(line.lstrip())
        continue
    if skip and (not line.strip() or len(line) - len(line.lstrip()) > indent):
        continue
    skip = False
    out.append(line)
open(sys.argv[2], "w").write("\n".join(out) + "\n")
PY
  "$quanta" breaking "$contract" "$tmp/orders-next.yaml" || true
fi

echo
echo "== running the source products on a node"
data="$tmp/node-data"
# The analyst signs in to the SQL port with a password (SCRAM-SHA-256); the node keeps only
# the verifier. Its groups are the reader roles the contracts declare: it reads the three
# products, with the customers' personal data masked (no customers-pii-reader role).
verifier="$(echo 'demo-password' | "$quanta" scram-verifier --password-stdin)"
cat > "$tmp/node.yaml" <<YAML
principals:
  - name: analyst
    scram: "$verifier"
    groups: [interactions-reader, orders-reader, customers-reader]
  - name: dach_sales
    scram: "$verifier"
    groups: [customers-dach-reader]
YAML
"$quanta" node --config "$tmp/node.yaml" --listen 127.0.0.1:0 --data-dir "$data" \
  > "$tmp/node.log" 2> "$tmp/node.err" &
node_pid=$!
trap 'kill "$node_pid" 2>/dev/null; wait "$node_pid" 2>/dev/null; rm -rf "$tmp"' EXIT
export QUANTA_NODE=""
for _ in $(seq 1 100); do
  QUANTA_NODE="$(grep -oE 'http://127\.0\.0\.1:[0-9]+' "$tmp/node.log" | head -1 || true)"
  [[ -n "$QUANTA_NODE" ]] && break
  sleep 0.1
done
[[ -n "$QUANTA_NODE" ]] || { cat "$tmp/node.err"; echo "demo: the node did not start"; exit 1; }
echo "node: $QUANTA_NODE"
for product in examples/ecommerce/user-interactions examples/orders/orders \
               examples/customers/demographics; do
  "$quanta" deploy "$product" || failed=1
done

echo
echo "-- generating a day of activity for 100 customers, 1% of records damaged on purpose"
python3 examples/generate.py --out "$tmp/events" --scale 0.1 --days 1 --bad-rate 0.01 --quiet
# Rejected records are expected here (exit 1); only a usage or I/O error (2) fails the demo.
ingest() {
  local code=0
  "$quanta" ingest "$@" || code=$?
  ((code <= 1)) || failed=1
}
ingest "$tmp/events/ecommerce/user-interactions/web_events.ndjson" \
  --product ecommerce/user-interactions --port web_events
ingest "$tmp/events/orders/orders/order_events.ndjson" --product orders/orders --port order_events
for drop in "$tmp"/events/customers/demographics/drops/*.csv; do
  ingest "$drop" --product customers/demographics --port demographic_drops
done

echo
echo "-- status: received = committed + rejected, per port"
"$quanta" status || failed=1

echo
echo "-- the first dead letters of orders/orders, each with its reason and raw payload"
curl -sS "$QUANTA_NODE/v1/products/orders/orders/deadletters?limit=3" |
  python3 -c 'import json, sys
for row in json.load(sys.stdin)["rows"]:
    print("  offset %s: %s" % (row["offset"], row["reason"]))
    print("    payload: %s" % row["payload"][:100])'

echo
echo "-- time travel: one more order event, then the order as of the version before it"
order="$(curl -sS "$QUANTA_NODE/v1/products/orders/orders/datasets/orders?limit=1&columns=order_id" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["rows"][0]["order_id"])')"
before="$(curl -sS "$QUANTA_NODE/v1/products/orders/orders" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["head"]["version"])')"
printf '{"event_id":"demo-cancel","order_id":"%s","customer_id":"c-demo","event_type":"cancelled","product_id":"p-demo","category":"demo","quantity":1,"amount":1,"occurred_at":"2030-01-01T00:00:00Z"}\n' "$order" |
  curl -sS -H 'Content-Type: application/x-ndjson' --data-binary @- \
    "$QUANTA_NODE/v1/products/orders/orders/ports/order_events/events" > /dev/null
for version in "$before" current; do
  query="order_id=eq.$order&columns=order_id,status,updated_at"
  [[ "$version" == current ]] || query+="&version=$version"
  printf '  %-10s %s\n' "$version" "$(curl -sS "$QUANTA_NODE/v1/products/orders/orders/datasets/orders?$query" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["rows"])')"
done

echo
echo "-- a Parquet export of orders at the current version, with the manifest another engine follows"
curl -sS "$QUANTA_NODE/v1/products/orders/orders/datasets/orders/export?format=parquet" |
  python3 -c 'import json, sys
manifest = json.load(sys.stdin)
print("  version %s, %s rows, columns: %s" % (manifest["version"], manifest["rowCount"],
      ", ".join(column["name"] for column in manifest["schema"])))
for part in manifest["files"]:
    print("  %s (%s rows, %s bytes)" % (part["path"], part["rows"], part["bytes"]))' || failed=1

echo
echo "-- an analyst's psql on the SQL port joins the three products, the work done by the node"
sql_port="$(grep -oE 'serving SQL on postgresql://127\.0\.0\.1:[0-9]+' "$tmp/node.log" | grep -oE '[0-9]+$' || true)"
analyst_psql() {
  PGPASSWORD=demo-password psql -X -h 127.0.0.1 -p "$sql_port" -U analyst -d quanta "$@"
}
if [[ -z "$sql_port" ]]; then
  echo "demo: the node did not report its SQL port"; failed=1
else
  analyst_psql -c '\dt *.*' || failed=1
  echo "  the customers' personal data reaches the analyst masked (it has no customers-pii-reader role):"
  analyst_psql -c "SELECT customer_id, email, birth_date, age_group, country
                   FROM demographics.customers ORDER BY customer_id LIMIT 3" || failed=1
  analyst_psql -c "SELECT count(*) AS emails_with_an_at FROM demographics.customers
                   WHERE email LIKE '%@%'" || failed=1
  echo "  which age groups browse a product category but do not order it?"
  analyst_psql -c "
    WITH browsed AS (
      SELECT DISTINCT user_id AS customer_id, category FROM user_interactions.interactions
      WHERE user_id IS NOT NULL AND category IS NOT NULL),
    ordered AS (
      SELECT DISTINCT customer_id, category FROM orders.orders WHERE status <> 'cancelled')
    SELECT coalesce(c.age_group, 'unknown') AS age_group, b.category,
           count(*) AS customers_who_browsed_but_did_not_order
    FROM browsed b
    LEFT JOIN ordered o USING (customer_id, category)
    LEFT JOIN demographics.customers c USING (customer_id)
    WHERE o.customer_id IS NULL
    GROUP BY ALL ORDER BY 3 DESC, 1, 2 LIMIT 8" || failed=1
  echo "  the same orders as of the version before the demo's cancellation (time travel in SQL):"
  analyst_psql -c "SELECT order_id, status FROM orders.orders AT (VERSION => $before)
                   WHERE order_id = '$order'" || failed=1
  echo "  a regional team's principal (role customers-dach-reader, rowFilter country IN ('DE', 'AT'))"
  echo "  sees only its region's customers, whatever its query asks for:"
  PGPASSWORD=demo-password psql -X -h 127.0.0.1 -p "$sql_port" -U dach_sales -d quanta -c "
    SELECT country, count(*) AS customers FROM demographics.customers
    WHERE country = 'FR' OR true GROUP BY country ORDER BY country" || failed=1
  echo "  and what the sandbox says to a query that reaches for a file:"
  analyst_psql -c "SELECT * FROM read_csv('/etc/passwd')" 2>&1 | head -1 || true
fi

echo
if ((failed)); then
  echo "demo: some products did not pass lint, test or deploy, or ingest failed (see above)"
  exit 1
fi
echo "demo: all products pass lint and test, and run on a node"
