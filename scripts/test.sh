#!/usr/bin/env bash
# Runs every test on a fresh Debian 12 machine (as root): installs what is missing, builds,
# then runs the unit tests, SQL logic tests and command-line tests (ctest), the unit tests
# again under AddressSanitizer + UndefinedBehaviorSanitizer, and a short fuzzing run.
# Last, the node and SQL port benchmarks at their small sizes (bench/README.md), which print
# numbers and assert nothing about time.
#   QUANTA_FUZZ_SECONDS=N   how long fuzzing runs, shared by the fuzz targets (default 60)
set -euo pipefail
cd "$(dirname "$0")/.."

QUANTA_SANITIZE=1 scripts/setup.sh

echo "== unit, SQL logic and command-line tests"
(cd build && ctest --output-on-failure --parallel "$(nproc)")

echo "== unit tests under ASan + UBSan"
# Leak checking is off: libduckdb.so is not built with sanitizers, so memory it still holds
# at exit cannot be told apart from leaks of ours. Address and UB errors are still fatal.
ASAN_OPTIONS=detect_leaks=0 UBSAN_OPTIONS=print_stacktrace=1 \
  build-asan/quanta_unit_tests --gtest_brief=1

echo "== fuzzing the document loader, the PostgreSQL message reader and the SQL sandbox for ${QUANTA_FUZZ_SECONDS:-60}s"
scripts/fuzz.sh "${QUANTA_FUZZ_SECONDS:-60}"

echo "== node benchmarks, small sizes (bench/node_bench.py --quick)"
python3 bench/node_bench.py --quick

echo "== SQL port benchmarks against PostgreSQL 15, small sizes (bench/sql_bench.py --quick)"
python3 bench/sql_bench.py --quick
