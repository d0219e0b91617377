# Sourced by run.sh: two majors of a product served side by side. Deploy the orders example as
# 1.0.0, ingest, deploy a breaking 2.0.0 (status renamed order_status) as a new major, ingest
# again into both, read both over HTTP and with psql, check the counts of each, restart the node
# and read both again, then retire major 1 at a date a few seconds ahead and find it gone with a
# clear 404 and, over SQL, a 42P01 naming what there is.
cd "$work" || exit 1
majors_dir="$work/majors"
mkdir -p "$majors_dir"
# dev holds the role the orders contract grants reading to (docs/policies.md, grants).
printf 'principals:\n  - name: dev\n    trust: true\n    groups: [orders-reader]\n' > "$majors_dir/node.yaml"

start_majors_node() {
  "$quanta" node --config "$majors_dir/node.yaml" --listen 127.0.0.1:0 \
    --data-dir "$majors_dir/data" > "$majors_dir/stdout.log" 2> "$majors_dir/stderr.log" &
  majors_pid=$!
  majors_url=""
  majors_sql_port=""
  for _ in $(seq 1 100); do
    majors_url="$(grep -oE 'http://127\.0\.0\.1:[0-9]+' "$majors_dir/stdout.log" | head -1)"
    majors_sql_port="$(grep -oE 'postgresql://127\.0\.0\.1:[0-9]+' "$majors_dir/stdout.log" |
      head -1 | grep -oE '[0-9]+$')"
    [[ -n "$majors_url" && -n "$majors_sql_port" ]] && break
    sleep 0.1
  done
  orders="$majors_url/v1/products/orders/orders"
}
# majors_psql SQL...: rows as a|b, one per line, with errors' SQLSTATE (psql -A -t, verbose).
majors_psql() {
  local arguments=()
  for command in "$@"; do arguments+=(-c "$command"); done
  PGCONNECT_TIMEOUT=10 psql -X -A -t -v VERBOSITY=verbose -h 127.0.0.1 -p "$majors_sql_port" \
    -U dev -d quanta "${arguments[@]}"
}

# The orders example as version 1.0.0, and a 2.0.0 that renames the status column.
cp -r "$repo/examples/orders/orders" "$majors_dir/v1"
cp -r "$repo/examples/orders/orders" "$majors_dir/v2"
python3 - "$majors_dir/v2" <<'EOF'
import re, sys
root = sys.argv[1]
product = open(root + "/product.yaml").read()
product = product.replace("version: 1.0.0\nstatus: active", "version: 2.0.0\nstatus: active")
# The output port's version is the line before its contractId.
product = product.replace(
    "    version: 1.0.0\n    contractId: urn:quanta:orders:orders:contract:orders",
    "    version: 2.0.0\n    contractId: urn:quanta:orders:orders:contract:orders")
open(root + "/product.yaml", "w").write(product)
contract = open(root + "/contracts/orders.yaml").read()
contract = contract.replace("version: 1.0.0", "version: 2.0.0", 1).replace(
    "- name: status", "- name: order_status")
open(root + "/contracts/orders.yaml", "w").write(contract)
sql = open(root + "/transforms/orders.sql").read().replace("AS status", "AS order_status")
open(root + "/transforms/orders.sql", "w").write(sql)
for test in ["lifecycle.yaml", "late-and-duplicate-events.yaml"]:
    path = root + "/tests/" + test
    text = open(path).read()
    open(path, "w").write(re.sub(r"\bstatus:", "order_status:", text))
EOF

majors_event() {  # order type time
  printf '{"event_id":"e-%s-%s","order_id":"%s","customer_id":"c-1","event_type":"%s","product_id":"p-1","category":"Shoes","quantity":1,"amount":10,"occurred_at":"%s"}\n' \
    "$1" "$2" "$1" "$2" "$3"
}
# one_line COMMAND...: its output with newlines as spaces, so that a pattern can span lines.
one_line() {
  local output code
  output="$("$@" 2>&1)"
  code=$?
  tr '\n' ' ' <<<"$output"
  return "$code"
}
majors_post() {  # key file
  curl -sS --max-time 30 -H 'Content-Type: application/x-ndjson' -H "Idempotency-Key: $1" \
    --data-binary @"$2" "$orders/ports/order_events/events"
}

start_majors_node
expect "major 1 deploys" 0 "^deployed orders/orders to $majors_url$" -- \
  "$quanta" deploy "$majors_dir/v1" --node "$majors_url"
{
  majors_event o-1 created 2026-01-01T10:00:00Z
  majors_event o-2 created 2026-01-01T10:05:00Z
  majors_event o-3 lost 2026-01-01T10:10:00Z
} > "$majors_dir/batch1.ndjson"
expect "with one major an ingest answers as before" 0 '"accepted":2.*"received":3,"rejected":1' -- \
  majors_post batch-1 "$majors_dir/batch1.ndjson"

expect "a breaking change with a new major is deployed beside the previous one" 0 \
  "^deployed orders/orders to $majors_url as a new major, 2 \(2\.0\.0\) major 1 \(1\.0\.0\) is retiring: served until 20[0-9-]{8}T[0-9:.]{15}Z at /v1/products/orders/orders/majors/1/ $" -- \
  one_line "$quanta" deploy "$majors_dir/v2" --node "$majors_url"

{
  majors_event o-1 paid 2026-01-02T10:00:00Z
  majors_event o-4 lost 2026-01-02T10:00:00Z
} > "$majors_dir/batch2.ndjson"
expect "an ingest feeds both majors, each with its own outcome" 0 \
  '"accepted":1,"committedAt":"[^"]*","major":2,.*"majors":\[\{"accepted":1,.*"major":2,.*"version":1\},\{"accepted":1,.*"major":1,.*"version":2\}\]' -- \
  majors_post batch-2 "$majors_dir/batch2.ndjson"
expect "a retry with the same Idempotency-Key applies once to each major" 0 \
  '"major":2,"received":2,"rejected":1,"rejections":\[\],"replayed":true,"version":1\},\{.*"major":1,"received":2,"rejected":1,"rejections":\[\],"replayed":true,"version":2\}' -- \
  majors_post batch-2 "$majors_dir/batch2.ndjson"

expect "the product's datasets path serves the current major" 0 \
  '^\{"dataset":"orders","version":1,"rows":\[\{"order_id":"o-1","order_status":"paid"\}\]' -- \
  curl -sS --max-time 10 "$orders/datasets/orders?columns=order_id,order_status"
expect "major 1 is read under /majors/1/, with its own history" 0 \
  '^\{"dataset":"orders","version":2,"rows":\[\{"order_id":"o-1","status":"paid"\},\{"order_id":"o-2","status":"created"\}\]' -- \
  curl -sS --max-time 10 "$orders/majors/1/datasets/orders?columns=order_id,status"
expect "major 1 keeps its time travel" 0 '"order_id":"o-1","status":"created"' -- \
  curl -sS --max-time 10 "$orders/majors/1/datasets/orders?columns=order_id,status&version=1"
expect "a read of the retiring major says when it goes and what replaces it" 0 \
  'Quanta-Major: 1.*Sunset: [A-Z][a-z]{2}, [0-9]{2} [A-Z][a-z]{2} 20[0-9]{2} [0-9:]{8} GMT.*Link: </v1/products/orders/orders/majors/2/datasets/orders>; rel="successor-version"' -- \
  bash -c "curl -sS --max-time 10 -D - -o /dev/null '$orders/majors/1/datasets/orders' | tr -d '\r' | tr '\n' ' '"
expect "a read of the current major names it" 0 'Quanta-Major: 2' -- \
  curl -sS --max-time 10 -D - -o /dev/null "$orders/majors/2/datasets/orders"
expect "each major keeps its own dead letters" 0 '"reason":"event_type: .*lost' -- \
  curl -sS --max-time 10 "$orders/majors/1/deadletters?columns=reason"
expect "the export of major 1 goes to its own folder" 0 \
  '"path":"[^"]*/exports/orders/orders/majors/1/orders/v2/part-0.parquet","rows":2' -- \
  curl -sS --max-time 30 "$orders/majors/1/datasets/orders/export"
expect "the change stream of major 1 replays its commits" 0 \
  'id: 1 event: commit .*id: 2 event: commit data: \{"version":2' -- \
  bash -c "curl -sS -N --max-time 2 '$orders/majors/1/datasets/orders/changes?since_version=0' \
    | tr '\n' ' '"

expect "over SQL the current major stays at orders.orders" 0 '^o-1\|paid $' -- \
  one_line majors_psql "SELECT order_id, order_status FROM orders.orders ORDER BY 1"
expect "over SQL the retiring major is orders_v1, with its own columns and rows" 0 \
  '^o-1\|paid o-2\|created $' -- \
  one_line majors_psql "SELECT order_id, status FROM orders_v1.orders ORDER BY 1"
expect "over SQL the retiring major keeps its time travel" 0 '^o-1\|created o-2\|created $' -- \
  one_line majors_psql "SELECT order_id, status FROM orders_v1.orders AT (VERSION => 1) ORDER BY 1"
expect "one statement reads both majors" 0 '^1\|2 $' -- \
  one_line majors_psql "SELECT (SELECT count(*) FROM orders.orders), (SELECT count(*) FROM orders_v1.orders)"
expect "each major's dead letters are a table of its schema" 0 \
  '^1\|1\|event_type: "lost" is not one of [^|]* 1\|2\|event_type: "lost" [^|]* 2\|4\|event_type: "lost" [^|]*$' -- \
  one_line majors_psql \
  "SELECT version, \"offset\", reason FROM orders._dead_letters" \
  "SELECT version, \"offset\", reason FROM orders_v1._dead_letters ORDER BY 1, 2"
expect "\\dn lists the retiring major's schema" 0 '^orders\|quanta orders_v1\|quanta public\|quanta $' -- \
  one_line majors_psql '\dn'
expect "\\dt lists the tables of both majors" 0 \
  '^orders\|_dead_letters\|table\|quanta orders\|orders\|table\|quanta orders_v1\|_dead_letters\|table\|quanta orders_v1\|orders\|table\|quanta $' -- \
  one_line majors_psql '\dt *.*'
expect "the retiring schema's comment says until when it is served" 0 \
  'orders_v1\|quanta\|\|.*Major 1 \(1\.0\.0\) of orders/orders, retiring: served until 20[0-9-]{8}T[0-9:.]{15}Z; the current major 2 is in schema orders\.' -- \
  one_line majors_psql '\dn+'
expect "the current major answers to orders_v2 too" 0 '^o-1\|paid $' -- \
  one_line majors_psql "SELECT order_id, order_status FROM orders_v2.orders"

expect "status lists each served major with its state and counts" 0 \
  "orders/orders +2\.0\.0 +current +2 +1 +1 +1 +[^ ]+ +met +orders/orders +1\.0\.0 +retiring until 20[0-9-]{8}T[0-9:.]{15}Z +5 +3 +2 +2 +[^ ]+ +met $" -- \
  one_line "$quanta" status --node "$majors_url"
expect "status of the product shows both majors" 0 \
  "Major 2:.*State: +current.*Output ports: +orders 2\.0\.0.*Major 1:.*State: +retiring until" -- \
  bash -c "'$quanta' status orders/orders --node '$majors_url' | tr '\n' ' '"
expect "the product API names each major's role and date" 0 \
  '"majors":\[\{.*"major":2,.*"role":"current".*\},\{.*"major":1,.*"retireAt":"20[^"]*","retiringSince":"20[^"]*","role":"retiring"' -- \
  curl -sS --max-time 10 "$orders"

curl -sS --max-time 10 "$majors_url/metrics" > "$majors_dir/metrics.txt"
expect "/metrics keeps each major's counts apart" 0 \
  'quanta_port_received_records\{product="orders/orders",major="1",port="order_events"\} 5.*quanta_port_received_records\{product="orders/orders",major="2",port="order_events"\} 2' -- \
  bash -c "tr '\n' ' ' < '$majors_dir/metrics.txt'"
expect "promtool accepts /metrics with two majors" 0 "" -- \
  bash -c "promtool check metrics < '$majors_dir/metrics.txt'"

# Hostile requests.
expect "an unknown major is a 404 naming the majors served" 0 \
  '"code":"not_found".*serves no major 7 .*it serves majors 2 \(current, 2\.0\.0\) and 1 \(retiring at 20' -- \
  curl -sS --max-time 10 "$orders/majors/7/datasets/orders"
expect "a major that is not a number is a 400" 0 \
  "'v1' in /v1/products/orders/orders/majors/v1/ is not a major version number.*\"status\":400" -- \
  curl -sS --max-time 10 "$orders/majors/v1/datasets/orders"
expect "a malformed retirement date is refused naming the forms it takes" 2 \
  "retire_previous_at '2026-13-45' is not a time: give now, a date" -- \
  "$quanta" deploy "$majors_dir/v2" --node "$majors_url" --retire-previous-at 2026-13-45
expect "a retirement date in the past is refused" 2 "is in the past" -- \
  "$quanta" deploy "$majors_dir/v2" --node "$majors_url" --retire-previous-at 2020-01-01
cp -r "$majors_dir/v2" "$majors_dir/v3"
sed -i '0,/^version: 2.0.0/s//version: 3.0.0/' "$majors_dir/v3/product.yaml"
expect "a third major is refused while two are served" 1 \
  "it serves majors 2 \(current, 2\.0\.0\) and 1 \(retiring at [^)]*\) already, and a third major cannot be served" -- \
  "$quanta" deploy "$majors_dir/v3" --node "$majors_url"
expect "the current major cannot be retired on its own" 0 'major 2 is the current major.*"status":409' -- \
  curl -sS --max-time 10 -X DELETE "$orders/majors/2"
cp -r "$majors_dir/v1" "$majors_dir/v1-bad-date"
sed -i 's/^tags: \[/customProperties:\n  - property: retireAt\n    value: someday\ntags: [/' \
  "$majors_dir/v1-bad-date/product.yaml"
expect "a retireAt that is not a date refuses the deploy, naming the line" 1 \
  'product.yaml:[0-9]+:[0-9]+: error\[retire-at\]: custom property retireAt: "someday" is not a date or time' -- \
  "$quanta" deploy "$majors_dir/v1-bad-date" --node "$majors_url"

kill -TERM "$majors_pid"
wait "$majors_pid"
start_majors_node
expect "after a restart the current major is back" 0 '"order_id":"o-1","order_status":"paid"' -- \
  curl -sS --max-time 10 "$orders/datasets/orders?columns=order_id,order_status"
expect "after a restart the retiring major is back with its data" 0 \
  '"order_id":"o-2","status":"created"' -- \
  curl -sS --max-time 10 "$orders/majors/1/datasets/orders?columns=order_id,status"
expect "after a restart the retiring major is back over SQL" 0 '^o-1\|paid o-2\|created $' -- \
  one_line majors_psql "SELECT order_id, status FROM orders_v1.orders ORDER BY 1"
expect "after a restart both majors keep their counts" 0 \
  '"major":2,.*"ports":\[\{"committed":1,"deadLetters":1,"name":"order_events","received":2,"rejected":1\}\].*"major":1,.*"ports":\[\{"committed":3,"deadLetters":2,"name":"order_events","received":5,"rejected":2\}\]' -- \
  curl -sS --max-time 10 "$orders"

# Retire major 1 a few seconds from now: deploying the current major again with a date moves
# the retiring major's date and changes nothing else.
retire_at="$(date -u -d '+4 seconds' +%Y-%m-%dT%H:%M:%SZ)"
expect "a redeploy of the current major can move the retiring major's date" 0 \
  "^deployed orders/orders to $majors_url \(redeployed\) major 1 \(1\.0\.0\) is retiring: served until ${retire_at%Z}\.000000Z" -- \
  one_line "$quanta" deploy "$majors_dir/v2" --node "$majors_url" --retire-previous-at "$retire_at"
for _ in $(seq 1 100); do
  [[ "$(curl -sS --max-time 5 -o /dev/null -w '%{http_code}' "$orders/majors/1/datasets/orders")" == 404 ]] && break
  sleep 0.2
done
expect "after its date the retired major is a 404 that names the majors still served" 0 \
  'serves no major 1 .*it serves major 2 \(current, 2\.0\.0\)".*"status":404' -- \
  curl -sS --max-time 10 "$orders/majors/1/datasets/orders"
expect "after its date the retired major's schema is a 42P01 that names what there is" 1 \
  'ERROR:  42P01: relation "orders_v1.orders" does not exist; the datasets are: orders\.orders, orders\._dead_letters' -- \
  one_line majors_psql "SELECT * FROM orders_v1.orders"
expect "and the catalogs no longer list it" 0 '^orders\|quanta public\|quanta $' -- \
  one_line majors_psql '\dn'
expect "the node logs the retirement and where the data stays" 0 \
  "orders/orders major 1 retired \(its date was ${retire_at%Z}\.000000Z\); its data stays in .*/majors/1" -- \
  bash -c "sleep 1; cat '$majors_dir/stderr.log'"
expect "the retired major's data stays on disk" 0 "" -- \
  test -s "$majors_dir/data/products/orders/orders/majors/1/store.duckdb" -a \
  -f "$majors_dir/data/products/orders/orders/majors/1/retired/product.yaml"
expect "status lists the current major only" 0 \
  "^PRODUCT [^/]+ orders/orders +2\.0\.0 +current +2 +1 +1 +1 +[^ ]+ +no data $" -- \
  one_line "$quanta" status --node "$majors_url"
expect "with one major left an ingest goes to it alone" 0 '"accepted":1,.*"received":1,' -- \
  bash -c "echo '$(majors_event o-5 created 2026-01-03T10:00:00Z)' > '$majors_dir/batch3.ndjson' &&
    curl -sS --max-time 30 --data-binary @'$majors_dir/batch3.ndjson' '$orders/ports/order_events/events'"
expect "undeploy --purge removes every major" 0 '"purged":true' -- \
  curl -sS --max-time 30 -X DELETE "$orders?purge=true"
expect "nothing of the product stays on disk" 1 "" -- \
  test -e "$majors_dir/data/products/orders/orders"
kill -TERM "$majors_pid"
wait "$majors_pid"
