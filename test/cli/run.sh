#!/usr/bin/env bash
# Command-line tests: drive the quanta binary as a user would and check what they would see
# (exit codes, messages that name file:line:col). Usage: run.sh QUANTA_BINARY STANDARDS_DIR
set -uo pipefail
quanta="$(realpath "$1")"
standards="$(realpath "$2")"
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
passed=0
failed=0

# expect NAME EXIT_CODE PATTERN -- command...   (PATTERN: extended regex over stdout+stderr)
expect() {
  local name="$1" want_code="$2" pattern="$3"
  shift 4
  local output code
  output="$("$@" 2>&1)"
  code=$?
  if [[ "$code" =~ ^($want_code)$ ]] && { [[ -z "$pattern" ]] || grep -Eq -- "$pattern" <<<"$output"; }; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    echo "FAIL: $name (exit $code, wanted $want_code; pattern '$pattern')"
    echo "$output" | head -20 | sed 's/^/    /'
  fi
}

for test_file in "$here"/*.test.sh; do
  # shellcheck source=/dev/null
  source "$test_file"
done

echo "$passed passed, $failed failed"
((failed == 0))
