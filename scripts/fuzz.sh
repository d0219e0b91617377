#!/usr/bin/env bash
# Fuzzes the YAML document loader with libFuzzer.  scripts/fuzz.sh [SECONDS]  (default 600)
# Needs the sanitizer build: QUANTA_SANITIZE=1 scripts/setup.sh. Crashes land in .cache/fuzz/.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-600}"
[[ -x build-asan/fuzz_document_loader ]] || QUANTA_SANITIZE=1 scripts/setup.sh
corpus=.cache/fuzz/corpus
mkdir -p "$corpus" .cache/fuzz/crashes
# Seed with every document we have: the standards' examples and our own.
find ../shared/standards examples fuzz/seeds -name '*.yaml' -o -name '*.yml' -o -name '*.json' \
  2>/dev/null | head -500 | xargs -r cp -t "$corpus" 2>/dev/null || true
build-asan/fuzz_document_loader "$corpus" -max_total_time="$seconds" -max_len=65536 \
  -timeout=10 -rss_limit_mb=4096 -artifact_prefix=.cache/fuzz/crashes/ -print_final_stats=1 \
  2>&1 | grep -E "^(#[0-9]+ +(DONE|INITED)|stat::number_of_executed_units|==|SUMMARY|ERROR)" || true
if ls .cache/fuzz/crashes/* >/dev/null 2>&1; then
  echo "fuzz: crashes found in .cache/fuzz/crashes/" >&2
  exit 1
fi
echo "fuzz: no crash in ${seconds}s"
