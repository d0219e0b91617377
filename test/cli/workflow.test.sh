# Sourced by run.sh: a new user's first steps: init, lint, test, break something, see why.
cd "$work" || exit 1

expect "init --help" 0 "DOMAIN/NAME" -- "$quanta" init --help
expect "an unknown command is named" 2 "'bogus' is not a quanta command; the commands are init, " \
  -- "$quanta" bogus
expect "an unknown option is named" 2 "'--bogus' is not a quanta option" -- "$quanta" --bogus
expect "init a product" 0 "" -- "$quanta" init sales/invoices
expect "init refuses to overwrite" 2 "" -- "$quanta" init sales/invoices
expect "init rejects a bad name" 2 "" -- "$quanta" init "Sales Team/Invoices!"
expect "what init made lints clean" 0 "^ok: 0 errors" -- "$quanta" lint invoices
expect "what init made passes its tests" 0 "[1-9][0-9]* passed, 0 failed" -- "$quanta" test invoices
expect "lint finds the product below a folder" 0 "" -- "$quanta" lint "$work"

# Break the transform: a column the output contract does not have.
cp -r invoices broken
for sql in broken/transforms/*.sql; do
  sed -i '0,/^SELECT/s//SELECT 42 AS not_in_contract,/' "$sql"
done
expect "lint names the extra column" 1 "not_in_contract" -- "$quanta" lint broken
expect "test fails on the broken transform" 1 "" -- "$quanta" test broken

# A domain the node would refuse is refused by lint, at its line.
cp -r invoices bad-domain
sed -i 's/^domain: .*/domain: Sales/' bad-domain/product.yaml
expect "lint refuses a domain a node cannot keep, naming the line" 1 \
  "product.yaml:[0-9]+:[0-9]+: error\[meaning/product-name\]: domain 'Sales' cannot name a product" \
  -- "$quanta" lint bad-domain

# A transform is one SELECT: a second statement would run beside the node's own.
cp -r invoices two-statements
for sql in two-statements/transforms/*.sql; do
  printf '%s;\nSELECT 1;\n' "$(cat "$sql")" > "$sql"
done
expect "lint refuses a second statement in a transform" 1 "not one SELECT: it holds 2 statements" \
  -- "$quanta" lint two-statements
expect "test refuses it too" 1 "not one SELECT: it holds 2 statements" -- "$quanta" test two-statements
# Lint and test run a transform without file access, as a node does.
cp -r invoices reads-files
for sql in reads-files/transforms/*.sql; do
  sed -i "0,/^FROM /s//FROM read_csv('\/etc\/passwd') AS files, /" "$sql"
done
expect "lint refuses a transform that reads a file" 1 "file system operations are disabled" \
  -- "$quanta" lint reads-files
expect "test does not run it either" 1 "file system operations are disabled" \
  -- "$quanta" test reads-files

# Break a fixture: expected rows that the pipeline does not produce.
cp -r invoices wrong-expectation
python3 - wrong-expectation/tests/*.yaml <<'PY'
import sys, re
path = sys.argv[1]
text = open(path).read()
# Drop the last expected row: the actual output then has an unexpected row.
lines = text.rstrip("\n").split("\n")
expected_at = max(i for i, l in enumerate(lines) if l.strip().startswith("expected:"))
rows = [i for i in range(expected_at, len(lines)) if lines[i].lstrip().startswith("- ")]
if rows:
    last = rows[-1]
    end = last + 1
    indent = len(lines[last]) - len(lines[last].lstrip())
    while end < len(lines) and (len(lines[end]) - len(lines[end].lstrip())) > indent:
        end += 1
    del lines[last:end]
open(path, "w").write("\n".join(lines) + "\n")
PY
expect "test shows the unexpected row" 1 "FAIL" -- "$quanta" test wrong-expectation
expect "test json output" 1 '"failed"' -- "$quanta" test --format json wrong-expectation
expect "test a missing folder" 2 "" -- "$quanta" test "$work/nope"

cd "$repo" || exit 1
