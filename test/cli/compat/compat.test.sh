# Sourced by test/cli/run.sh: `quanta breaking`, `changelog`, `export` and `import` as a user
# runs them, on the contract pairs and schema files of this folder.
compat="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$work" || exit 1

# --- breaking -------------------------------------------------------------------------------
expect "breaking --help" 0 "Exit codes" -- "$quanta" breaking --help
expect "breaking without contracts is a usage error" 2 "" -- "$quanta" breaking
expect "breaking with one contract" 2 "give two contracts" -- \
  "$quanta" breaking "$compat/orders-v1.yaml"
expect "breaking with a missing file" 2 "nope.yaml" -- \
  "$quanta" breaking "$compat/orders-v1.yaml" nope.yaml
expect "breaking with an unknown mode" 2 "FULL_TRANSITIVE" -- \
  "$quanta" breaking "$compat/orders-v1.yaml" "$compat/orders-v1.yaml" --mode sideways

expect "a contract compared with itself" 0 "^no changes \(mode CONSUMER\)" -- \
  "$quanta" breaking "$compat/orders-v1.yaml" "$compat/orders-v1.yaml"
expect "widening, additions and documentation are compatible" 0 "6 changes, 0 breaking" -- \
  "$quanta" breaking "$compat/orders-v1.yaml" "$compat/orders-v2-compatible.yaml"
expect "a safe widening is named" 0 "INTEGER to BIGINT, a safe widening" -- \
  "$quanta" breaking "$compat/orders-v1.yaml" "$compat/orders-v2-compatible.yaml"

breaking_pair=("$compat/orders-v1.yaml" "$compat/orders-v2-breaking.yaml")
expect "breaking changes exit 1 with a summary" 1 "8 changes, 6 breaking \(mode CONSUMER\)" -- \
  "$quanta" breaking "${breaking_pair[@]}"
expect "a removed property points at the old file" 1 \
  "orders-v1.yaml:[0-9]+:[0-9]+: breaking\[property-removed\] schema\[orders\]\.properties\[note\]: .*renamed to 'comment'\?" -- \
  "$quanta" breaking "${breaking_pair[@]}"
expect "a narrowed type" 1 "breaking\[type-changed\] schema\[orders\]\.properties\[quantity\]" -- \
  "$quanta" breaking "${breaking_pair[@]}"
expect "required became optional" 1 "breaking\[required-removed\]" -- \
  "$quanta" breaking "${breaking_pair[@]}"
expect "an enum value removed" 1 "breaking\[enum-values-removed\].*'cancelled'" -- \
  "$quanta" breaking "${breaking_pair[@]}"
expect "retention shortened" 1 "breaking\[retention-shortened\] slaProperties\[retention\]" -- \
  "$quanta" breaking "${breaking_pair[@]}"
expect "latency raised (15 m is minutes for latency)" 1 "breaking\[latency-raised\]" -- \
  "$quanta" breaking "${breaking_pair[@]}"
expect "a minor version bump with breaking changes gets a hint" 1 "new major version" -- \
  "$quanta" breaking "${breaking_pair[@]}"
expect "FULL mode judges only what stream readers see" 1 "8 changes, 3 breaking \(mode FULL\)" -- \
  "$quanta" breaking "${breaking_pair[@]}" --mode FULL
expect "NONE mode never fails" 0 "8 changes, 0 breaking" -- \
  "$quanta" breaking "${breaking_pair[@]}" --mode none
expect "json output" 1 '"compatible": false' -- \
  "$quanta" breaking "${breaking_pair[@]}" --format json

clicks=("$compat/clicks-v1.yaml" "$compat/clicks-v2.yaml" "$compat/clicks-v3.yaml")
expect "BACKWARD checks only the last version" 0 "0 breaking" -- \
  "$quanta" breaking "$compat/clicks-v2.yaml" "$compat/clicks-v3.yaml" --mode BACKWARD
expect "BACKWARD_TRANSITIVE checks every earlier version" 1 \
  "1 breaking against 2 earlier versions" -- \
  "$quanta" breaking "${clicks[@]}" --mode BACKWARD_TRANSITIVE
expect "three versions need a transitive mode" 2 "_TRANSITIVE" -- \
  "$quanta" breaking "${clicks[@]}" --mode BACKWARD

printf 'apiVersion: v3.1.0\nkind: DataContract\nid: x\n\tversion: 1.0.0\n' > tabs.yaml
expect "a contract with YAML errors" 1 "tabs.yaml:4:1: error\[yaml-tab\]" -- \
  "$quanta" breaking "$compat/orders-v1.yaml" tabs.yaml
: > empty.yaml
expect "an empty file" 1 "empty.yaml:1:1: error\[document-empty\]" -- \
  "$quanta" breaking empty.yaml "$compat/orders-v1.yaml"
expect "a product is not a contract" 1 "error\[document-kind\]" -- \
  "$quanta" breaking "$compat/orders-v1.yaml" "$standards/odps/examples/simple-data-product.odps.yaml"
sed 's/required: true/required: "yes"/' "$compat/orders-v1.yaml" > typo.yaml
expect "schema problems are warnings" 1 "typo.yaml:[0-9]+:[0-9]+: warning\[schema/type\]" -- \
  "$quanta" breaking "$compat/orders-v1.yaml" typo.yaml
expect "and the comparison goes on" 1 "breaking\[required-removed\]" -- \
  "$quanta" breaking "$compat/orders-v1.yaml" typo.yaml

# --- changelog ------------------------------------------------------------------------------
expect "changelog lists every change and exits 0" 0 "orders 1.0.0 -> 1.1.0" -- \
  "$quanta" changelog "${breaking_pair[@]}"
expect "changelog in markdown" 0 "## Breaking changes" -- \
  "$quanta" changelog "${breaking_pair[@]}" --format markdown

# --- export ---------------------------------------------------------------------------------
expect "export --help" 0 "Exit codes" -- "$quanta" export --help
expect "export needs a format" 2 "" -- "$quanta" export "$compat/orders-v1.yaml"
expect "export an unknown format" 2 "unknown format" -- \
  "$quanta" export "$compat/orders-v1.yaml" --format xml
expect "export an unknown object" 2 "has no schema object 'refunds'; it has: orders" -- \
  "$quanta" export "$compat/orders-v1.yaml" --format avro --object refunds
expect "export avro" 0 '"logicalType": "decimal"' -- \
  "$quanta" export "$compat/orders-v1.yaml" --format avro
expect "export jsonschema warns about the decimal" 0 "warning: .*amount.*no decimal type" -- \
  "$quanta" export "$compat/orders-v1.yaml" --format jsonschema
expect "export sql for PostgreSQL" 0 "amount NUMERIC\(10,2\) NOT NULL" -- \
  "$quanta" export "$compat/orders-v1.yaml" --format sql
expect "export sql for DuckDB" 0 "amount DECIMAL\(10,2\) NOT NULL" -- \
  "$quanta" export "$compat/orders-v1.yaml" --format sql --dialect duckdb
for example in "$standards"/odcs/examples/*.yaml; do
  name="$(basename "$example")"
  expect "export odcs of $name" 0 "" -- "$quanta" export "$example" --format odcs -o "odcs-$name"
  expect "export odcs of $name is stable" 0 "" -- \
    bash -c '"$1" export "$2" --format odcs | cmp - "$2"' _ "$quanta" "odcs-$name"
done

# --- import ---------------------------------------------------------------------------------
expect "import --help" 0 "Exit codes" -- "$quanta" import --help
for source in "avro orders.avsc" "jsonschema order.schema.json" "sql shop.sql"; do
  read -r from file <<<"$source"
  expect "import --from $from" 0 "" -- \
    "$quanta" import --from "$from" "$compat/$file" --output "imported-$from.yaml"
  expect "import --from $from passes lint" 0 "^ok: 0 errors" -- \
    "$quanta" lint "imported-$from.yaml"
done
expect "imported avro keeps the decimal" 0 "physicalType: DECIMAL\(10,2\)" -- \
  cat imported-avro.yaml
expect "export avro then import gives a FULL-compatible contract" 0 "0 breaking" -- \
  bash -c '"$1" export "$2" --format avro -o back.avsc && "$1" import --from avro back.avsc \
    -o back.yaml && "$1" breaking "$2" back.yaml --mode FULL' _ "$quanta" "imported-avro.yaml"
printf '{"type": "record", "name": "A", "fields": [\n  {"name": "x", "type": ["string", "int"]}]}\n' \
  > union.avsc
expect "an Avro union of two types is refused where it is" 1 \
  "union.avsc:2:[0-9]+: error\[import-avro\].*/fields/0/type" -- \
  "$quanta" import --from avro union.avsc
printf '{"type": "record", "name": "A", "fields": [' > broken.avsc
expect "broken JSON names the place" 1 "broken.avsc:1:[0-9]+: error" -- \
  "$quanta" import --from avro broken.avsc
printf 'CREATE TABLE t (a INT);\nDROP TABLE t;\n' > drop.sql
expect "sql import refuses other statements" 1 "drop.sql:2:1: error\[import-sql\]" -- \
  "$quanta" import --from sql drop.sql
expect "sql import can skip them" 0 "warning\[import-sql\]: skipped 'DROP TABLE t'" -- \
  "$quanta" import --from sql drop.sql --skip-other-statements
