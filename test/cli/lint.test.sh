# Sourced by run.sh: `quanta lint` on good and bad documents.
cd "$work" || exit 1

contract_head='apiVersion: v3.1.0
kind: DataContract
id: c1
version: 1.0.0
status: active'

expect "lint --help" 0 "Exit codes" -- "$quanta" lint --help
expect "lint without paths is a usage error" 2 "" -- "$quanta" lint
expect "lint a missing path" 2 "no such file" -- "$quanta" lint "$work/nope.yaml"

for example in "$standards"/odcs/examples/*.yaml; do
  name="$(basename "$example")"
  expect "standard example $name parses (no yaml errors)" "[01]" "" -- "$quanta" lint "$example"
done

printf '%s\nschema:\n  - name: t\n    properties:\n      - name: a\n        logicalType: string\n' \
  "$contract_head" > good.yaml
expect "a valid contract is clean" 0 "^ok: 0 errors" -- "$quanta" lint good.yaml

: > empty.yaml
expect "empty file" 1 "empty.yaml:1:1: error\[document-empty\]" -- "$quanta" lint empty.yaml

printf '# only a comment\n' > comment.yaml
expect "comment-only file" 1 "document-empty" -- "$quanta" lint comment.yaml

printf 'apiVersion: v3.1.0\n\x00\x01\x02binary' > binary.yaml
expect "binary file" 1 "binary.yaml:2:1: error\[binary-file\]" -- "$quanta" lint binary.yaml

printf 'apiVersion: v3.1.0\nkind: \xff\xfeDataContract\n' > latin.yaml
expect "invalid UTF-8 names line and column" 1 "latin.yaml:2:7: error\[yaml-encoding\]" -- "$quanta" lint latin.yaml

printf '%s\nschema:\n\t- name: t\n' "$contract_head" > tabs.yaml
expect "tab indentation" 1 "tabs.yaml:7:1: error\[yaml-tab\]" -- "$quanta" lint tabs.yaml

printf '%s\nid: c2\n' "$contract_head" > dup.yaml
expect "duplicate key names both lines" 1 "dup.yaml:6:1: error\[yaml-duplicate-key\].*already set at line 3|already set at line 3" -- "$quanta" lint dup.yaml

printf '%s\nschema: [\n' "$contract_head" > syntax.yaml
expect "syntax error has a place" 1 "syntax.yaml:[0-9]+:[0-9]+: error\[yaml-syntax\]" -- "$quanta" lint syntax.yaml

head -c 52428800 /dev/zero | tr '\0' 'a' > big.yaml
expect "50 MB file is refused quickly" 1 "document-too-large" -- timeout 20 "$quanta" lint big.yaml

printf 'a: &x\n  b: *x\n' > alias.yaml
expect "recursive alias does not hang" 1 "" -- timeout 20 "$quanta" lint alias.yaml

printf '%s\nschema:\n  - name: t\n    properties:\n      - name: a\n        logicalType: strin\n' \
  "$contract_head" > enum.yaml
expect "wrong enum value names the field" 1 "enum.yaml:10:22: error\[schema/enum\]" -- "$quanta" lint enum.yaml

printf '%s\nschema:\n  - name: t\n    properties:\n      - name: a\n        quality:\n          - metric: nullValues\n            mustBeBetween: 5\n' \
  "$contract_head" > between.yaml
expect "mustBeBetween with one number" 1 "between.yaml:12:[0-9]+: error\[schema/" -- "$quanta" lint between.yaml

printf '%s\nschema:\n  - name: t\n    properties:\n      - name: a\n      - name: a\n' \
  "$contract_head" > dupprop.yaml
expect "duplicate property" 1 "dupprop.yaml:10:15: error\[meaning/duplicate-property\]" -- "$quanta" lint dupprop.yaml

printf '%s\nschema:\n  - name: t\n    properties:\n      - name: a\n        quality:\n          - type: sql\n            query: SELECT count(*) FROM t WHERE b > 0\n            mustBe: 0\n' \
  "$contract_head" > badsql.yaml
expect "quality SQL naming an unknown column" 1 "badsql.yaml:12:20: error\[sql/quality-query\].*\"b\"" -- "$quanta" lint badsql.yaml

printf '%s\nschema:\n  - name: t\n    properties:\n      - name: a\n        quality:\n          - type: sql\n            query: SELEC oops\n            mustBe: 0\n' \
  "$contract_head" > parsesql.yaml
expect "quality SQL that does not parse" 1 "parsesql.yaml:12:20: error\[sql/quality-query\].*syntax error" -- "$quanta" lint parsesql.yaml

expect "json output" 1 '"rule": "yaml-duplicate-key"' -- "$quanta" lint --format json dup.yaml

cd "$repo" || exit 1
