#!/usr/bin/env bash
# Fuzzes with libFuzzer: the YAML document loader, the PostgreSQL frontend message reader and
# the consumer SQL sandbox.
#   scripts/fuzz.sh [SECONDS]  (default 600, shared: each of the three targets gets a third)
# Needs the sanitizer build: QUANTA_SANITIZE=1 scripts/setup.sh. Crashes land in .cache/fuzz/.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-600}"
per_target=$((seconds / 3 > 0 ? seconds / 3 : 1))
if [[ ! -x build-asan/fuzz_document_loader || ! -x build-asan/fuzz_pg_message ||
      ! -x build-asan/fuzz_consumer_sql ]]; then
  QUANTA_SANITIZE=1 scripts/setup.sh
fi
mkdir -p .cache/fuzz/crashes

run() {  # target, corpus folder, extra libFuzzer flags...
  local target="$1" corpus="$2"; shift 2
  local log=".cache/fuzz/$target.log"
  echo "fuzz: $target for ${per_target}s (whole log: $log)"
  "build-asan/$target" "$corpus" -max_total_time="$per_target" -timeout=10 -rss_limit_mb=4096 \
    -artifact_prefix=.cache/fuzz/crashes/ -print_final_stats=1 "$@" > "$log" 2>&1 || true
  grep -E "^(#[0-9]+ +(DONE|INITED)|stat::number_of_executed_units|==|SUMMARY|ERROR)" "$log" || true
  # A failure's own report (the sanitizer's stack, or what a target's check saw before it
  # trapped) and the seed that reproduces the run, so that CI's output says what happened.
  if grep -q -E "deadly signal|ERROR: [A-Za-z]+Sanitizer|_fuzzer: " "$log"; then
    echo "fuzz: $target failed; $(grep -m1 "INFO: Seed" "$log" || echo "seed unknown"); its report:"
    grep -v -E "^(#[0-9]+ +(NEW|REDUCE|pulse|RELOAD)|\"|###### )" "$log" | tail -60 | sed 's/^/  /'
  fi
}

# The document loader, seeded with every document we have: the standards' examples and our own.
corpus=.cache/fuzz/corpus
mkdir -p "$corpus"
find ../shared/standards examples fuzz/seeds -name '*.yaml' -o -name '*.yml' -o -name '*.json' \
  2>/dev/null | head -500 | xargs -r cp -t "$corpus" 2>/dev/null || true
run fuzz_document_loader "$corpus" -max_len=65536

# The SQL port's message reader, seeded with client conversations (fuzz/seeds/pg_message).
corpus=.cache/fuzz/pg_message_corpus
mkdir -p "$corpus"
cp fuzz/seeds/pg_message/* "$corpus"/
run fuzz_pg_message "$corpus" -max_len=16384

# The consumer SQL sandbox, seeded with SELECTs it takes and statements it must refuse
# (fuzz/seeds/consumer_sql), with SQL words to splice in (fuzz/consumer_sql.dict).
corpus=.cache/fuzz/consumer_sql_corpus
mkdir -p "$corpus"
cp fuzz/seeds/consumer_sql/* "$corpus"/
run fuzz_consumer_sql "$corpus" -max_len=4096 -dict=fuzz/consumer_sql.dict

if ls .cache/fuzz/crashes/* >/dev/null 2>&1; then
  echo "fuzz: crashes found in .cache/fuzz/crashes/" >&2
  exit 1
fi
echo "fuzz: no crash in ${seconds}s"
