#!/usr/bin/env bash
# DS-T8 (DISTRIBUTED.md): 3 shards + router, steady ingest with 10 % cross-shard links; samples the
# router's reconciliation lag gauge every 100 ms during the ingest and prints p50 / p99 / max.
# Usage: docs/load-results/ds-t8.sh [records/s (1000)] [seconds (60)]
set -u
cd "$(dirname "$0")/../.."
RATE=${1:-1000}
SECS=${2:-60}
B=$(mktemp -d /tmp/ds-t8.XXXX)
pids=()
for i in 0 1 2; do
  bin/shard --listen 127.0.0.1:781$i --shard-id $i --data-dir $B/s$i \
    --set ops.health_listen=881$i --set ops.http_listen=981$i > $B/s$i.log 2>&1 & pids+=($!)
done
bin/router --listen 127.0.0.1:7800 --shards 127.0.0.1:7810,127.0.0.1:7811,127.0.0.1:7812 \
  --http-listen 127.0.0.1:9800 > $B/router.log 2>&1 & pids+=($!)
until curl -s 127.0.0.1:9800/metrics | grep -q '^tempora_reconcile_lease_held 1'; do sleep 0.5; done
until curl -s 127.0.0.1:9800/metrics | grep -q '^tempora_reconcile_lag_seconds 0.0'; do sleep 0.5; done
echo "== router holds the lease and is caught up; load average $(cut -d' ' -f1-3 /proc/loadavg)"
( while [ ! -f $B/stop ]; do
    v=$(curl -s 127.0.0.1:9800/metrics | awk '/^tempora_reconcile_lag_seconds /{print $2}')
    echo "$(date +%s.%N) $v" >> $B/lag.txt; sleep 0.1
  done ) &
sampler=$!
t0=$(date +%s.%N)
bin/tempora load --target 127.0.0.1:7800 --records $((RATE * SECS)) --batch 100 \
  --rate $((RATE / 100)) --concurrency 4 --warmup-records 0 --cross-key 0.1 --no-progress \
  --json $B/load.json 2>&1 | grep -E "^phase|^ingest" | head -3
t1=$(date +%s.%N)
sleep 6
touch $B/stop; wait $sampler
echo "ingest took $(echo "$t1 - $t0" | bc) s; load average $(cut -d' ' -f1-3 /proc/loadavg)"
awk -v t0=$t0 -v t1=$t1 '$1 >= t0 && $1 <= t1 { print $2 + 0 }' $B/lag.txt | sort -g > $B/during.txt
n=$(wc -l < $B/during.txt)
pick() { sed -n "$(( ($1 * n + 99) / 100 ))p" $B/during.txt; }
echo "lag samples during the ingest: $n; p50 $(pick 50) s, p99 $(pick 99) s, max $(tail -1 $B/during.txt) s"
awk -v t1=$t1 '$1 > t1 && $2+0 == 0 { print "lag back to 0 at +" ($1 - t1) " s after the last ack"; exit }' $B/lag.txt
curl -s 127.0.0.1:9800/metrics | grep -E '^tempora_reconcile_(rounds|lag)' | head -6
for p in "${pids[@]}"; do kill $p 2>/dev/null; done
wait 2>/dev/null
echo "dir $B"
