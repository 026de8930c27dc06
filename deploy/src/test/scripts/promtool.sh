#!/usr/bin/env bash
# Prints the path of a promtool binary, fetching Debian's `prometheus` package into the git-ignored
# <repo>/.tools/prometheus without root if needed (apt-get download + dpkg -x). Exits non-zero with
# the reason on stderr when no promtool can be had; tests then skip with that reason.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../../.." && pwd -P)
dir="$root/.tools/prometheus"
bin="$dir/usr/bin/promtool"
if [ -x "$bin" ]; then echo "$bin"; exit 0; fi
if command -v promtool >/dev/null 2>&1; then command -v promtool; exit 0; fi
command -v apt-get >/dev/null 2>&1 || { echo "no apt-get to fetch Debian's prometheus package" >&2; exit 1; }
command -v dpkg >/dev/null 2>&1 || { echo "no dpkg to unpack Debian's prometheus package" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && apt-get download prometheus >/dev/null 2>"$tmp/err") || {
  echo "apt-get download prometheus failed: $(tail -n 3 "$tmp/err")" >&2
  exit 1
}
mkdir -p "$dir"
dpkg -x "$tmp"/prometheus_*.deb "$dir"
[ -x "$bin" ] || { echo "the prometheus package held no usr/bin/promtool" >&2; exit 1; }
echo "$bin"
