#!/usr/bin/env bash
# Installs the pinned DuckDB Node API into the git-ignored <repo>/.tools/node-duckdb and prints the
# NODE_PATH to use. BUILD.md names it 1.5.6; npm publishes that release as 1.5.6-r.1. Like
# node-client.sh, npm answers from its cache once the packages were fetched (offline CI); exits
# non-zero with the reason on stderr when node or npm is missing or the install fails, and the
# test then skips.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../../.." && pwd -P)
dir="$root/.tools/node-duckdb"
command -v node >/dev/null 2>&1 || { echo "node is not installed" >&2; exit 1; }
command -v npm >/dev/null 2>&1 || { echo "npm is not installed" >&2; exit 1; }
if [ ! -f "$dir/node_modules/@duckdb/node-api/package.json" ] ||
  ! grep -q '"version": "1.5.6-r.1"' "$dir/node_modules/@duckdb/node-api/package.json"; then
  mkdir -p "$dir"
  npm install --silent --no-audit --no-fund --prefer-offline --prefix "$dir" \
    @duckdb/node-api@1.5.6-r.1 >"$dir/npm.log" 2>&1 || {
    echo "npm install failed: $(tail -n 5 "$dir/npm.log")" >&2
    exit 1
  }
fi
echo "$dir/node_modules"
