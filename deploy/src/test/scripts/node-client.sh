#!/usr/bin/env bash
# Installs the pinned Node gRPC client (@grpc/grpc-js 1.14.7, @grpc/proto-loader 0.8.1) into the
# git-ignored <repo>/.tools/node-client and prints the NODE_PATH to use. Exits non-zero with the
# reason on stderr when node or npm is missing or the install fails; the test then skips.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../../.." && pwd -P)
dir="$root/.tools/node-client"
command -v node >/dev/null 2>&1 || { echo "node is not installed" >&2; exit 1; }
command -v npm >/dev/null 2>&1 || { echo "npm is not installed" >&2; exit 1; }
if [ ! -f "$dir/node_modules/@grpc/grpc-js/package.json" ] ||
  ! grep -q '"version": "1.14.7"' "$dir/node_modules/@grpc/grpc-js/package.json"; then
  mkdir -p "$dir"
  npm install --silent --no-audit --no-fund --prefix "$dir" \
    @grpc/grpc-js@1.14.7 @grpc/proto-loader@0.8.1 >"$dir/npm.log" 2>&1 || {
    echo "npm install failed: $(tail -n 5 "$dir/npm.log")" >&2
    exit 1
  }
fi
echo "$dir/node_modules"
