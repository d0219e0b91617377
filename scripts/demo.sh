#!/usr/bin/env bash
# The demo scenario (see examples/README.md), as far as Quanta runs it end to end today:
# lint every example product against the standards and the mesh's default policies, then run
# each product's pipeline over its fixtures and check its output contract's quality rules.
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
if ((failed)); then
  echo "demo: some products did not pass lint or test (see above)"
  exit 1
fi
echo "demo: all products pass lint and test"
