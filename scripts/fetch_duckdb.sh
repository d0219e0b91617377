#!/usr/bin/env bash
# Fetches the pinned DuckDB (library and header) from its official npm packages,
# checks their sha256 and unpacks them into third_party/duckdb/ (ignored by git).
set -euo pipefail
cd "$(dirname "$0")/.."

readonly kBindings="@duckdb/node-bindings-linux-x64@1.4.4-r.4"
readonly kBindingsTgz="duckdb-node-bindings-linux-x64-1.4.4-r.4.tgz"
readonly kBindingsSha="732fac4dc6b8f198870b9c4bb6ddf13544466daca00ad28ba2f1d80de5d7aa4b"
readonly kSource="duckdb@1.4.4"
readonly kSourceTgz="duckdb-1.4.4.tgz"
readonly kSourceSha="5bb967dcbcd517670ba5f169f238fb9d6787e53752c60ebe24386169d76941ed"

dest=third_party/duckdb
if [[ -f "$dest/lib/libduckdb.so" && -f "$dest/include/duckdb.h" && -f "$dest/VERSION" ]] &&
   [[ "$(cat "$dest/VERSION")" == "$kBindingsSha $kSourceSha" ]]; then
  exit 0
fi

cache=.cache/npm-pack
mkdir -p "$cache" "$dest/lib" "$dest/include"
fetch() {  # package, tarball, sha256
  if [[ ! -f "$cache/$2" ]] || ! echo "$3  $cache/$2" | sha256sum --check --status; then
    echo "fetching $1" >&2
    (cd "$cache" && npm pack --silent "$1" >/dev/null)
  fi
  if ! echo "$3  $cache/$2" | sha256sum --check --status; then
    echo "error: $cache/$2 does not have the pinned sha256 $3" >&2
    exit 1
  fi
}
fetch "$kBindings" "$kBindingsTgz" "$kBindingsSha"
fetch "$kSource" "$kSourceTgz" "$kSourceSha"

tar -xzf "$cache/$kBindingsTgz" -C "$dest/lib" --strip-components=1 package/libduckdb.so
tar -xzf "$cache/$kSourceTgz" -C "$dest/include" --strip-components=5 \
  package/src/duckdb/src/include/duckdb.h
echo "$kBindingsSha $kSourceSha" > "$dest/VERSION"
echo "DuckDB 1.4.4 ready in $dest" >&2
