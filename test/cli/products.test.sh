# Sourced by run.sh: the product API of a running node, driven with curl as an operator or a
# producing service would: deploy the orders example, post good and bad events, read the
# dataset (also as of an earlier version) and the dead letters, refuse a bad and a breaking
# deploy, and find everything again after a restart.
cd "$work" || exit 1
products_dir="$work/products"
mkdir -p "$products_dir"

# deploy_body FOLDER: the PUT body holding every file of a product folder.
deploy_body() {
  python3 - "$1" <<'EOF'
import json, os, sys
root = sys.argv[1]
files = {}
for folder, _, names in os.walk(root):
    for name in names:
        path = os.path.join(folder, name)
        files[os.path.relpath(path, root)] = open(path, encoding="utf-8").read()
print(json.dumps({"files": files}))
EOF
}

# put_product FILE URL: PUTs a deploy body; prints "STATUS BODY" on one line.
put_product() {
  local status
  status="$(curl -sS --max-time 60 -o "$products_dir/reply.json" -w '%{http_code}' -X PUT \
    --data-binary @"$1" "$2")"
  echo "$status $(tr -d '\n' < "$products_dir/reply.json")"
}

start_products_node() {
  "$quanta" node --listen 127.0.0.1:0 --data-dir "$products_dir/data" \
    > "$products_dir/stdout.log" 2> "$products_dir/stderr.log" &
  products_pid=$!
  products_url=""
  for _ in $(seq 1 100); do
    products_url="$(grep -oE 'http://127\.0\.0\.1:[0-9]+' "$products_dir/stdout.log" | head -1)"
    [[ -n "$products_url" ]] && break
    sleep 0.1
  done
}

start_products_node
orders="$products_url/v1/products/orders/orders"
deploy_body "$repo/examples/orders/orders" > "$products_dir/orders.json"
expect "PUT deploys the orders example (201)" 0 '^201 .*"created":true.*"deployed":true' -- \
  put_product "$products_dir/orders.json" "$orders"
expect "GET /v1/products lists it" 0 '"product":"orders/orders".*"state":"running"' -- \
  curl -sS --max-time 10 "$products_url/v1/products"

event() {  # order type time amount
  printf '{"event_id":"e-%s-%s","order_id":"%s","customer_id":"c-1","event_type":"%s","product_id":"p-1","category":"Shoes","quantity":1,"amount":%s,"occurred_at":"%s"}\n' \
    "$1" "$2" "$1" "$2" "$4" "$3"
}
{
  event o-1 created 2026-01-01T10:00:00Z 10.5
  event o-2 created 2026-01-01T10:05:00Z 20
  echo '{"event_id":"e-x","order_id":"o-3"}'
  event o-4 lost 2026-01-01T10:00:00Z 5
  echo 'not json at all'
} > "$products_dir/batch1.ndjson"
expect "POST events answers once durable, with counts and reasons" 0 \
  '"accepted":2.*"received":5,"rejected":3.*customer_id: required, but missing.*event_type: \\"lost\\" is not one of the allowed values.*not valid JSON.*"version":1' -- \
  curl -sS --max-time 30 -H 'Content-Type: application/x-ndjson' -H 'Idempotency-Key: batch-1' \
  --data-binary @"$products_dir/batch1.ndjson" "$orders/ports/order_events/events"
expect "a retried batch with the same Idempotency-Key applies once" 0 '"replayed":true.*"version":1' -- \
  curl -sS --max-time 30 -H 'Content-Type: application/x-ndjson' -H 'Idempotency-Key: batch-1' \
  --data-binary @"$products_dir/batch1.ndjson" "$orders/ports/order_events/events"
event o-9 created 2026-01-01T11:00:00Z 7 > "$products_dir/other.ndjson"
expect "other records under a used Idempotency-Key are refused (422), not answered as applied" 0 \
  "idempotency key 'batch-1' was used by an earlier request.*\"status\":422" -- \
  curl -sS --max-time 30 -H 'Idempotency-Key: batch-1' \
  --data-binary @"$products_dir/other.ndjson" "$orders/ports/order_events/events"
event o-1 shipped 2026-01-02T10:00:00Z 10.5 > "$products_dir/batch2.ndjson"
expect "a JSON array is a batch too" 0 '"accepted":1.*"version":2' -- \
  curl -sS --max-time 30 -H 'Content-Type: application/json' \
  --data-binary "[$(cat "$products_dir/batch2.ndjson")]" "$orders/ports/order_events/events"
expect "the dataset holds the latest state of each order" 0 \
  '"order_id":"o-1".*"status":"shipped".*"order_id":"o-2".*"status":"created"' -- \
  curl -sS --max-time 10 "$orders/datasets/orders?columns=order_id,status"
expect "version=1 reads the dataset as it was" 0 '"order_id":"o-1","status":"created"' -- \
  curl -sS --max-time 10 "$orders/datasets/orders?columns=order_id,status&version=1"
expect "filters select rows" 0 '^\{"dataset":"orders","version":2,"rows":\[\{"order_id":"o-2"\}\]' -- \
  curl -sS --max-time 10 "$orders/datasets/orders?columns=order_id&status=eq.created"
expect "the dead letters keep the raw payload and the reason" 0 \
  '"reason":"not valid JSON at byte 1: invalid literal","payload":"not json at all"' -- \
  curl -sS --max-time 10 "$orders/deadletters"
expect "status: received = committed + rejected" 0 '"committed":3.*"received":6,"rejected":3' -- \
  curl -sS --max-time 10 "$orders"
expect "status: the output port's latency SLO (300 s) is met by the commits so far" 0 \
  '"slo":\[\{"observedSeconds":[0-9.e-]+,"port":"orders","property":"latency","state":"met","targetSeconds":300' -- \
  curl -sS --max-time 10 "$orders"
expect "status: each dataset says how far back it can be read and its retention" 0 \
  '"earliestReadableVersion":0,"latestCommitAt":"[^"]+","latestVersion":[0-9]+,"mode":"upsert","name":"orders","retentionSeconds":[0-9]+' -- \
  curl -sS --max-time 10 "$orders"
expect "status: the frequency SLO (60 s) holds the age of the port's newest change" 0 \
  '\{"observedSeconds":[0-9.e-]+,"port":"orders","property":"frequency","state":"(met|violated)","targetSeconds":60\.0\}' -- \
  curl -sS --max-time 10 "$orders"
expect "an unknown port is a JSON 404 naming the ports" 0 '"status":404.*|order_events.*"status":404' -- \
  curl -sS --max-time 10 --data-binary '{}' "$orders/ports/nope/events"
expect "an unknown product is a JSON 404" 0 '"code":"not_found".*no product shop/none' -- \
  curl -sS --max-time 10 "$products_url/v1/products/shop/none/datasets/x"
expect "an empty batch is a 400" 0 'no records.*"status":400' -- \
  curl -sS --max-time 10 --data-binary '' "$orders/ports/order_events/events"
expect "an empty batch to an unknown port is a 404 naming the port, not a 400" 0 \
  "no input port 'nope' \\(its input ports: order_events\\).*\"status\":404" -- \
  curl -sS --max-time 10 -X POST "$orders/ports/nope/events"
expect "a malformed JSON array is a 400" 0 'not a JSON array.*"status":400' -- \
  curl -sS --max-time 10 -H 'Content-Type: application/json' --data-binary '[{"a":' \
  "$orders/ports/order_events/events"
gzip -c "$products_dir/batch2.ndjson" > "$products_dir/batch2.ndjson.gz"
expect "a compressed batch is a 415 naming the coding, not dead letters" 0 \
  "Content-Encoding 'gzip' is not supported.*\"status\":415" -- \
  curl -sS --max-time 10 -H 'Content-Encoding: gzip' \
  -H 'Content-Type: application/x-ndjson' --data-binary @"$products_dir/batch2.ndjson.gz" \
  "$orders/ports/order_events/events"
expect "a batch of a type the port does not read is a 415 naming the types it reads" 0 \
  "Content-Type 'text/csv' is not one an ingest port reads; it reads application/x-ndjson.*\"status\":415" -- \
  curl -sS --max-time 10 -H 'Content-Type: text/csv' --data-binary 'event_id,order_id' \
  "$orders/ports/order_events/events"

# Deploys that must be refused leave the running version as it was.
python3 - "$products_dir/orders.json" "$products_dir" <<'EOF'
import json, sys
body = json.load(open(sys.argv[1]))
broken = json.loads(json.dumps(body))
broken["files"]["transforms/orders.sql"] = broken["files"]["transforms/orders.sql"].replace(
    "order_id,", "order_idx,", 1)
json.dump(broken, open(sys.argv[2] + "/lint-error.json", "w"))
breaking = json.loads(json.dumps(body))
breaking["files"]["contracts/orders.yaml"] = breaking["files"]["contracts/orders.yaml"].replace(
    "- name: status", "- name: order_status")
breaking["files"]["transforms/orders.sql"] = breaking["files"]["transforms/orders.sql"].replace(
    "AS status", "AS order_status")
json.dump(breaking, open(sys.argv[2] + "/breaking.json", "w"))
escape = {"files": {"product.yaml": "x", "../../etc/evil": "x"}}
json.dump(escape, open(sys.argv[2] + "/escape.json", "w"))
EOF
expect "a deploy with lint errors is a 422 with the findings" 0 \
  '^422 .*"findings":\[.*"file":"transforms/orders.sql".*order_idx' -- \
  put_product "$products_dir/lint-error.json" "$orders"
expect "a breaking change to an output port without a new major is a 409" 0 \
  "^409 .*property 'status' removed.*breaking-change" -- \
  put_product "$products_dir/breaking.json" "$orders"
expect "a file path leaving the product folder is refused" 0 'segments are not allowed.*"status":400' -- \
  curl -sS --max-time 10 -X PUT --data-binary @"$products_dir/escape.json" "$orders"
expect "the running version still serves after refused deploys" 0 '"status":"shipped"' -- \
  curl -sS --max-time 10 "$orders/datasets/orders?order_id=eq.o-1"

curl -sS --max-time 10 "$products_url/metrics" > "$products_dir/metrics.txt"
expect "/metrics counts ingested records by outcome" 0 \
  'quanta_ingest_records_total\{product="orders/orders",major="1",port="order_events",outcome="rejected"\} 3' -- \
  cat "$products_dir/metrics.txt"
expect "/metrics keeps received = committed + rejected per port" 0 \
  'quanta_port_received_records\{product="orders/orders",major="1",port="order_events"\} 6' -- \
  cat "$products_dir/metrics.txt"
expect "/metrics gives each SLO's target and state" 0 \
  'quanta_slo_met\{product="orders/orders",major="1",port="orders",property="latency"\} 1' -- \
  cat "$products_dir/metrics.txt"
expect "promtool accepts /metrics with products" 0 "" -- \
  bash -c "promtool check metrics < '$products_dir/metrics.txt'"

kill -TERM "$products_pid"
wait "$products_pid"
# A second product whose store file is damaged while the node is down.
mkdir -p "$products_dir/data/products/shop/broken/majors/1"
cp -r "$products_dir/data/products/orders/orders/majors/1/source" \
  "$products_dir/data/products/shop/broken/majors/1/"
head -c 300000 /dev/urandom > "$products_dir/data/products/shop/broken/majors/1/store.duckdb"
start_products_node
orders="$products_url/v1/products/orders/orders"
expect "a product whose store is damaged is reported as failed, naming the file" 0 \
  'shop/broken/majors/1/store.duckdb.*is damaged.*"product":"shop/broken","state":"failed"' -- \
  curl -sS --max-time 10 "$products_url/v1/products"
rm -rf "$products_dir/data/products/shop"
expect "after a restart the product is back with its data" 0 '"status":"shipped"' -- \
  curl -sS --max-time 10 "$orders/datasets/orders?order_id=eq.o-1"
expect "after a restart the version history is kept" 0 '"status":"created"' -- \
  curl -sS --max-time 10 "$orders/datasets/orders?order_id=eq.o-1&version=1"
expect "DELETE undeploys" 0 '"undeployed":true' -- curl -sS --max-time 30 -X DELETE "$orders"
expect "an undeployed product is gone" 0 '"status":404' -- curl -sS --max-time 10 "$orders"

# Parquet export and the change stream, on the product deployed again with its kept data
# (versions 1 and 2 above).
expect "a product deployed again keeps its data" 0 '^20[01] .*"deployed":true' -- \
  put_product "$products_dir/orders.json" "$orders"
expect "export writes Parquet at the latest version and answers the manifest" 0 \
  '"files":\[\{"bytes":[1-9][0-9]*,"path":"[^"]*/exports/orders/orders/majors/1/orders/v2/part-0.parquet","rows":2\}\].*"rowCount":2.*"sinceVersion":null.*"version":2' -- \
  curl -sS --max-time 30 "$orders/datasets/orders/export?format=parquet"
expect "the exported file and its manifest are on the node's disk" 0 "" -- \
  test -s "$products_dir/data/exports/orders/orders/majors/1/orders/v2/part-0.parquet" -a \
  -s "$products_dir/data/exports/orders/orders/majors/1/orders/v2/manifest.json"
expect "an incremental export holds the changes since a version" 0 \
  '"rowCount":2.*"_quanta_change".*"sinceVersion":1.*"version":2' -- \
  curl -sS --max-time 30 "$orders/datasets/orders/export?since=1"
expect "an export of a version that does not exist is a 422" 0 '"status":422' -- \
  curl -sS --max-time 10 "$orders/datasets/orders/export?version=99"
expect "an export refuses a parameter it does not take, listing those it takes" 0 \
  'query parameter as_of: the export of dataset orders takes no such parameter; it takes format, version, since.*"status":400' -- \
  curl -sS --max-time 10 "$orders/datasets/orders/export?format=parquet&as_of=2026-01-01T00:00:00Z"
expect "the change stream replays every commit from a version" 0 \
  'id: 1 event: commit data: \{"version":1.*id: 2 event: commit data: \{"version":2,.*"op":"delete".*"op":"insert"' -- \
  bash -c "curl -sS -N --max-time 2 '$orders/datasets/orders/changes?since_version=0' \
    > '$products_dir/changes.txt'; tr '\n' ' ' < '$products_dir/changes.txt'"
expect "the change stream resumes after Last-Event-ID" 0 '^ *id: 2 event: commit data: \{"version":2' -- \
  bash -c "curl -sS -N --max-time 2 -H 'Last-Event-ID: 1' \
    '$orders/datasets/orders/changes?since_version=0' > '$products_dir/resumed.txt'; \
    grep -v '^:' '$products_dir/resumed.txt' | tr '\n' ' '"

# A file input port's drop folder: a CSV dropped there is ingested and moved to done/.
deploy_body "$repo/examples/customers/demographics" > "$products_dir/demographics.json"
demographics="$products_url/v1/products/customers/demographics"
expect "the demographics product deploys" 0 '^201 ' -- \
  put_product "$products_dir/demographics.json" "$demographics"
drops="$products_dir/data/drops/customers/demographics/demographic_drops"
for _ in $(seq 1 50); do [[ -d "$drops" ]] && break; sleep 0.1; done
{
  echo 'customer_id,email,birth_date,country,gender,income_band,updated_at'
  echo 'c-1,ana@example.com,1990-02-01,PT,female,middle,2026-03-01T10:00:00Z'
  echo 'c-2,bo@example.com,1990-02-30,SE,male,high,2026-03-01T10:00:00Z'
  echo 'c-3,cy@example.com,,NL,,,2026-03-01T10:00:00Z'
} > "$drops/.drop-2026-03-01.csv"
mv "$drops/.drop-2026-03-01.csv" "$drops/drop-2026-03-01.csv"
for _ in $(seq 1 100); do [[ -f "$drops/done/drop-2026-03-01.csv" ]] && break; sleep 0.1; done
expect "a dropped CSV is ingested and moved to done/" 0 "" -- \
  test -f "$drops/done/drop-2026-03-01.csv"
expect "its bad row is a dead letter naming the value" 0 'birth_date: expected a date.*1990-02-30' -- \
  curl -sS --max-time 10 "$demographics/deadletters"
expect "its good rows are in the status" 0 '"committed":2,.*"received":3,"rejected":1' -- \
  curl -sS --max-time 10 "$demographics"
expect "a dropped file counts in the ingest metrics" 0 \
  'quanta_ingest_records_total\{product="customers/demographics",major="1",port="demographic_drops",outcome="rejected"\} 1' -- \
  curl -sS --max-time 10 "$products_url/metrics"
expect "its latency SLO (a day) is measured from the file's arrival" 0 \
  '"observedSeconds":[0-9.e-]+,"port":"customers","property":"latency","state":"met","targetSeconds":86400' -- \
  curl -sS --max-time 10 "$demographics"
printf 'not a parquet file' > "$drops/broken.parquet"
for _ in $(seq 1 100); do [[ -f "$drops/failed/broken.parquet.error.txt" ]] && break; sleep 0.1; done
expect "an unreadable drop goes to failed/ with the reason" 0 "broken.parquet: cannot be read" -- \
  cat "$drops/failed/broken.parquet.error.txt"
# A line with a field too many refuses the whole file, naming the line, rather than making
# the CSV reader see one column and every row a false rejection.
{
  echo 'customer_id,email,birth_date,country,gender,income_band,updated_at'
  echo 'c-4,di@example.com,1991-02-01,PT,female,middle,2026-03-02T10:00:00Z'
  echo 'c-5,ed@example.com,1992-02-01,SE,male,high,2026-03-02T10:00:00Z,extra'
} > "$drops/.ragged.csv"
mv "$drops/.ragged.csv" "$drops/ragged.csv"
for _ in $(seq 1 100); do [[ -f "$drops/failed/ragged.csv.error.txt" ]] && break; sleep 0.1; done
expect "a CSV drop with a ragged line fails naming the line" 0 \
  "ragged.csv:3: Expected Number of Columns: 7 Found: 8" -- cat "$drops/failed/ragged.csv.error.txt"
: > "$drops/empty.csv"
for _ in $(seq 1 100); do [[ -f "$drops/done/empty.csv" ]] && break; sleep 0.1; done
expect "an empty CSV drop has no records and is done" 0 "" -- test -f "$drops/done/empty.csv"
expect "neither changed the counts" 0 '"committed":2,.*"received":3,"rejected":1' -- \
  curl -sS --max-time 10 "$demographics"
kill -TERM "$products_pid"
wait "$products_pid"
