# Sourced by run.sh: deploy, ingest, status and undeploy against a real `quanta node`, as a
# domain team would from CI. The node listens on a free port of 127.0.0.1 with its own data
# directory; every step is bounded.
cd "$work" || exit 1
nc_dir="$work/node-commands"
mkdir -p "$nc_dir"

for command in deploy undeploy status ingest; do
  expect "$command --help shows --node" 0 "--node" -- "$quanta" "$command" --help
  expect "$command --help states the exit codes" 0 "Exit codes" -- "$quanta" "$command" --help
done
expect "ingest --help shows --batch-rows" 0 "--batch-rows" -- "$quanta" ingest --help

# Usage errors, before any node is involved.
expect "a node URL without http:// is a usage error" 2 "expected http://HOST:PORT" -- \
  "$quanta" status --node 127.0.0.1:7070
expect "https is refused clearly" 2 "https is not supported" -- \
  "$quanta" status --node https://127.0.0.1:7070
expect "undeploy wants DOMAIN/NAME" 2 "'orders' is not DOMAIN/NAME" -- "$quanta" undeploy orders
expect "deploy of a missing folder" 2 "not a product folder" -- "$quanta" deploy "$nc_dir/nope"
mkdir -p "$nc_dir/no-product/contracts"
expect "deploy of a folder without product.yaml" 2 "not a product folder" -- \
  "$quanta" deploy "$nc_dir/no-product"
expect "ingest of a folder says it is one" 2 "is a folder; name a file in it" -- \
  "$quanta" ingest "$nc_dir" --format ndjson --product orders/orders --port order_events
printf 'a\n' > "$nc_dir/data.txt"
expect "ingest cannot guess the format of .txt" 2 "pass --format csv, ndjson or parquet" -- \
  "$quanta" ingest "$nc_dir/data.txt" --product orders/orders --port order_events
expect "ingest of a missing file" 2 "no such file" -- \
  "$quanta" ingest "$nc_dir/missing.ndjson" --product orders/orders --port order_events
expect "ingest needs --product and --port" 2 "product" -- "$quanta" ingest "$nc_dir/data.txt"

# No node listening: exit 2 and a message that says how to start one.
expect "status without a node says how to start one" 2 \
  "no node listening at http://127\.0\.0\.1:1; start one with \`quanta node\`" -- \
  "$quanta" status --node http://127.0.0.1:1
expect "QUANTA_NODE is used when --node is absent" 2 "no node listening at http://127\.0\.0\.1:1" -- \
  env QUANTA_NODE=http://127.0.0.1:1 "$quanta" undeploy orders/orders
# A web server that is not a node: exit 2, as for no node, and a message that asks.
other_port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
python3 -m http.server "$other_port" --bind 127.0.0.1 --directory "$nc_dir" > /dev/null 2>&1 &
other_pid=$!
for _ in $(seq 1 50); do curl -s -o /dev/null "http://127.0.0.1:$other_port/" && break; sleep 0.1; done
expect "a server that is not a node: exit 2, asking whether it is one" 2 "is it a Quanta node\?" -- \
  "$quanta" status --node "http://127.0.0.1:$other_port"
kill "$other_pid"; wait "$other_pid" 2>/dev/null

"$quanta" node --listen 127.0.0.1:0 --data-dir "$nc_dir/data" \
  > "$nc_dir/stdout.log" 2> "$nc_dir/stderr.log" &
nc_pid=$!
nc_url=""
for _ in $(seq 1 100); do
  nc_url="$(grep -oE 'http://127\.0\.0\.1:[0-9]+' "$nc_dir/stdout.log" | head -1)"
  [[ -n "$nc_url" ]] && break
  sleep 0.1
done
export QUANTA_NODE="$nc_url"

expect "status of an empty node" 0 "^No products deployed on $nc_url\.$" -- "$quanta" status

cp -r "$repo/examples/orders/orders" "$nc_dir/orders"
expect "deploy uploads the product folder" 0 "^deployed orders/orders to $nc_url$" -- \
  "$quanta" deploy "$nc_dir/orders"
expect "deploying again redeploys" 0 "^deployed orders/orders to $nc_url \(redeployed\)$" -- \
  "$quanta" deploy "$nc_dir/orders"

cp -r "$nc_dir/orders" "$nc_dir/broken"
sed -i '0,/^SELECT/s//SELECT 42 AS not_in_contract,/' "$nc_dir/broken/transforms/orders.sql"
expect "a deploy with lint errors is refused with lint's findings" 1 \
  "error\[sql/transform-columns\]: .*not_in_contract" -- "$quanta" deploy "$nc_dir/broken"
expect "a refused deploy says it was not deployed" 1 "quanta deploy: .*was not deployed" -- \
  "$quanta" deploy "$nc_dir/broken"

# Events: 5 good ones, a blank line, one without a required field, one with a wrong type and one
# that is not JSON at all.
cat > "$nc_dir/events.ndjson" <<'JSON'
{"event_id": "oe-1", "order_id": "o-1", "customer_id": "c-1", "event_type": "created", "product_id": "p-7", "category": "shoes", "quantity": 1, "amount": 59.90, "occurred_at": "2026-03-01T10:05:00Z"}
{"event_id": "oe-2", "order_id": "o-1", "customer_id": "c-1", "event_type": "paid", "product_id": "p-7", "category": "shoes", "quantity": 1, "amount": 59.90, "occurred_at": "2026-03-01T10:06:00Z"}
{"event_id": "oe-3", "order_id": "o-2", "customer_id": "c-2", "event_type": "created", "product_id": "p-21", "category": "Books", "quantity": 3, "amount": 36.00, "occurred_at": "2026-03-01T11:00:00Z"}

{"event_id": "oe-4", "order_id": "o-2", "event_type": "cancelled", "product_id": "p-21", "category": "Books", "quantity": 3, "amount": 36.00, "occurred_at": "2026-03-01T11:30:00Z"}
{"event_id": "oe-5", "order_id": "o-3", "customer_id": "c-1", "event_type": "created", "product_id": "p-30", "category": "garden", "quantity": "two", "amount": 18.50, "occurred_at": "2026-03-02T15:00:00Z"}
{"event_id": "oe-6", "order_id":
{"event_id": "oe-7", "order_id": "o-3", "customer_id": "c-1", "event_type": "paid", "product_id": "p-30", "category": "garden", "quantity": 2, "amount": 18.50, "occurred_at": "2026-03-02T15:10:00Z"}
{"event_id": "oe-8", "order_id": "o-4", "customer_id": "c-2", "event_type": "created", "product_id": "p-1", "category": "toys", "quantity": 1, "amount": 9.99, "occurred_at": "2026-03-02T16:00:00Z"}
JSON
"$quanta" ingest "$nc_dir/events.ndjson" --product orders/orders --port order_events \
  --batch-rows 3 > "$nc_dir/ingest1.log" 2>&1
expect "ingest with rejections exits 1" 0 "" -- test $? -eq 1
expect "ingest sums up what the node said" 0 \
  "events.ndjson -> orders/orders port order_events: 8 received, 5 accepted, 3 rejected \(3 batches\)" -- \
  cat "$nc_dir/ingest1.log"
expect "ingest names the line of a missing field" 0 "^  line 5: customer_id: .*missing" -- \
  cat "$nc_dir/ingest1.log"
expect "ingest names the line of a wrong type" 0 "^  line 6: quantity: " -- cat "$nc_dir/ingest1.log"
expect "ingest names the line that is not JSON" 0 "^  line 7: .*JSON" -- cat "$nc_dir/ingest1.log"
expect "ingesting the same file again applies nothing twice" 1 \
  "8 received, 5 accepted, 3 rejected \(3 batches, 3 already applied before\)" -- \
  "$quanta" ingest "$nc_dir/events.ndjson" --product orders/orders --port order_events --batch-rows 3
expect "status counts each event once" 0 \
  "^orders/orders +1\.0\.0 +current +8 +5 +3 +3 +[0-9]{4}-[0-9]{2}-[0-9]{2}T[^ ]+ +met$" -- "$quanta" status

cat > "$nc_dir/events.csv" <<'CSV'
event_id,order_id,customer_id,event_type,product_id,category,quantity,amount,occurred_at
oe-10,o-10,c-3,created,p-1,toys,1,9.99,2026-03-03T08:00:00Z
oe-11,o-10,c-3,paid,p-1,toys,1,9.99,2026-03-03T08:01:00Z
CSV
expect "ingest of a CSV file" 0 "2 received, 2 accepted, 0 rejected \(1 batch\)" -- \
  "$quanta" ingest "$nc_dir/events.csv" --product orders/orders --port order_events
{ cat "$nc_dir/events.csv"; echo 'oe-12,o-11,c-4,created,p-2,toys,4,19.96'; } > "$nc_dir/short.csv"
expect "ingest refuses a CSV file with a short line, naming it, and sends nothing" 1 \
  "short.csv:4: Expected Number of Columns: 9 Found: 8" -- \
  "$quanta" ingest "$nc_dir/short.csv" --product orders/orders --port order_events
cat > "$nc_dir/to_parquet.test" <<SQL
statement ok
COPY (SELECT * FROM read_csv('$nc_dir/events.csv') UNION ALL SELECT 'oe-12', 'o-11', 'c-4', 'created', 'p-2', 'toys', 4, 19.96, TIMESTAMPTZ '2026-03-03 09:00:00+00') TO '$nc_dir/events.parquet' (FORMAT parquet)
SQL
if "$quanta" sqllogictest "$nc_dir/to_parquet.test" > /dev/null 2>&1; then
  expect "ingest of a Parquet file" 0 \
    "3 received, 3 accepted, 0 rejected" -- \
    "$quanta" ingest "$nc_dir/events.parquet" --product orders/orders --port order_events
else
  echo "SKIP: ingest of a Parquet file (could not write one with quanta sqllogictest)"
fi

expect "status of one product shows its input ports" 0 "^  order_events +1[0-9] +[0-9]+ +3 +3$" -- \
  "$quanta" status orders/orders
expect "status of one product shows how far back its datasets can be read" 0 \
  "^  orders +upsert +[0-9]+ +[0-9]+ +[0-9]+ +[0-9T:.Z-]+ +version 0$" -- "$quanta" status orders/orders
expect "status of one product shows its datasets" 0 "^  orders +upsert +[0-9]+ " -- \
  "$quanta" status orders/orders
expect "status of one product shows its latency SLO against the worst commit" 0 \
  "^  orders +latency +300\.000 s +[0-9]+\.[0-9]{3} s +met$" -- "$quanta" status orders/orders
expect "status --format json is the node's answer" 0 '"product": "orders/orders"' -- \
  "$quanta" status orders/orders --format json
expect "the dataset holds the accepted orders" 0 '"order_id":"o-4"' -- \
  curl -sS --max-time 5 "$nc_url/v1/products/orders/orders/datasets/orders"

expect "status of a product that is not deployed" 1 "no product orders/nope" -- \
  "$quanta" status orders/nope
expect "ingest into a product that is not deployed" 1 "batch 1 \(lines 1 to 3\) was not ingested" -- \
  "$quanta" ingest "$nc_dir/events.ndjson" --product orders/nope --port order_events --batch-rows 3
expect "undeploy keeps the data by default" 0 "^undeployed orders/orders from $nc_url \(its data is kept" -- \
  "$quanta" undeploy orders/orders
expect "the node no longer lists it" 0 "^No products deployed" -- "$quanta" status
expect "undeploying it again is refused" 1 "orders/orders" -- "$quanta" undeploy orders/orders
expect "a deploy after undeploy works" 0 "^deployed orders/orders" -- "$quanta" deploy "$nc_dir/orders"
expect "undeploy --purge" 0 "its data was deleted" -- "$quanta" undeploy orders/orders --purge

kill -TERM "$nc_pid" 2> /dev/null
for _ in $(seq 1 100); do
  kill -0 "$nc_pid" 2> /dev/null || break
  sleep 0.1
done
kill -0 "$nc_pid" 2> /dev/null && kill -KILL "$nc_pid" 2> /dev/null
wait "$nc_pid" 2> /dev/null
expect "a node that has stopped is unreachable: exit 2" 2 "no node listening at $nc_url" -- \
  "$quanta" status
unset QUANTA_NODE
# Later tests lint everything under $work: leave no broken product behind.
rm -rf "$nc_dir"
