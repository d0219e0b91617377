#!/usr/bin/env bash
# Everything a fresh Debian 12 machine (as root) needs before Quanta builds:
# system packages, the pinned DuckDB, and a configured, built tree in build/.
# Safe to run again: each step skips what is already done.
#   scripts/setup.sh            packages + DuckDB + release build
#   QUANTA_SANITIZE=1 ...       also the ASan+UBSan build in build-asan/
set -euo pipefail
cd "$(dirname "$0")/.."

readonly kPackages=(
  build-essential cmake ninja-build ccache pkg-config git ca-certificates
  clang-14 libclang-rt-14-dev clang-format clang-tidy
  libgtest-dev libgmock-dev
  libyaml-cpp-dev nlohmann-json3-dev libcli11-dev libfmt-dev libspdlog-dev
  libboost1.81-dev libboost-url1.81-dev libsimdjson-dev libssl-dev curl
  libicu-dev  # NFKC for SASLprep of SCRAM passwords, as PostgreSQL and libpq prepare them
  python3 prometheus  # promtool checks /metrics in the tests
  # Real PostgreSQL clients for the SQL port's tests and benchmarks.
  postgresql-client-15 libpq-dev python3-psycopg2 python3-psycopg python3-asyncpg
  python3-sqlalchemy python3-pandas libpostgresql-jdbc-java default-jdk-headless openssl
  # PostgreSQL 15 itself, the SQL port benchmark's baseline; it carries pgbench.
  postgresql-15
)

missing=()
for package in "${kPackages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" ||
    missing+=("$package")
done
# npm fetches DuckDB; a machine may have Node.js from elsewhere, so look for the command.
command -v npm >/dev/null || missing+=(npm nodejs)
if ((${#missing[@]})); then
  echo "installing: ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

scripts/fetch_duckdb.sh

# The npm pg client for the SQL port's tests, kept in the build folder (not in git).
if [[ ! -d build/sql-clients/node_modules/pg ]]; then
  mkdir -p build/sql-clients
  (cd build/sql-clients && npm install --no-save --no-audit --no-fund --silent pg@8 >/dev/null)
fi

# ccache keeps its default folder (~/.cache/ccache) so that fresh clones on one machine share it.
# Paths are hashed relative to the clone, so that a clone in another folder finds the same objects.
export CCACHE_BASEDIR="$PWD" CCACHE_NOHASHDIR=true
jobs="$(nproc)"
# The standards' JSON Schemas: QUANTA_STANDARDS_DIR, else ../shared/standards (CMake's default),
# else, for a clone of a local checkout (git clone /work/main /tmp/x), the folder beside that
# checkout.
standards=()
if [[ -n "${QUANTA_STANDARDS_DIR:-}" ]]; then
  standards=("-DQUANTA_STANDARDS_DIR=$QUANTA_STANDARDS_DIR")
elif [[ ! -d ../shared/standards ]]; then
  origin="$(git config --get remote.origin.url 2>/dev/null || true)"
  if [[ -n "$origin" && -d "$origin/../shared/standards" ]]; then
    standards=("-DQUANTA_STANDARDS_DIR=$(cd "$origin/../shared/standards" && pwd)")
  fi
fi
configure_and_build() {  # build dir, extra cmake args...
  local dir="$1"; shift
  if [[ ! -f "$dir/build.ninja" ]]; then
    cmake -S . -B "$dir" -G Ninja -DCMAKE_C_COMPILER_LAUNCHER=ccache \
      -DCMAKE_CXX_COMPILER_LAUNCHER=ccache "${standards[@]}" "$@" >/dev/null
  fi
  cmake --build "$dir" --parallel "$jobs"
}
configure_and_build build -DCMAKE_BUILD_TYPE=RelWithDebInfo
if [[ "${QUANTA_SANITIZE:-0}" == 1 ]]; then
  # clang for libFuzzer; the sanitizer build also holds the fuzz targets.
  configure_and_build build-asan -DCMAKE_BUILD_TYPE=Debug -DQUANTA_SANITIZE=ON -DQUANTA_FUZZ=ON \
    -DCMAKE_C_COMPILER=clang-14 -DCMAKE_CXX_COMPILER=clang++-14
fi
