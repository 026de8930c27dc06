#!/usr/bin/env bash
# Router + 2 shards vs single shard ingest (usage: [RECORDS=n] [WARMUP=n] lease-bench.sh), then a 5,000-record burst with the loop on (lag gauge sampled).
set -u
cd "$(dirname "$0")/../.."
export JAVA_HOME=/usr/lib/jvm/temurin-25-jdk-amd64
B=$(mktemp -d /tmp/lease-bench.XXXX)
pids=()
start() { "$@" > "$B/$(basename $1)-$RANDOM.log" 2>&1 & pids+=($!); }
bin/shard --listen 127.0.0.1:7720 --shard-id 0 --data-dir $B/single --set ops.health_listen=8720 --set ops.http_listen=9720 > $B/single.log 2>&1 & pids+=($!)
bin/shard --listen 127.0.0.1:7710 --shard-id 0 --data-dir $B/s0 --set ops.health_listen=8710 --set ops.http_listen=9710 > $B/s0.log 2>&1 & pids+=($!)
bin/shard --listen 127.0.0.1:7711 --shard-id 1 --data-dir $B/s1 --set ops.health_listen=8711 --set ops.http_listen=9711 > $B/s1.log 2>&1 & pids+=($!)
bin/router --listen 127.0.0.1:7700 --shards 127.0.0.1:7710,127.0.0.1:7711 --reconcile-staleness-ms 0 --http-listen 127.0.0.1:9700 > $B/router.log 2>&1 & pids+=($!)
sleep 15
# RECORDS / WARMUP override the ingest phase's size (each JVM's JIT warm-up weighs less in a longer run).
L="--records ${RECORDS:-20000} --batch 1000 --concurrency 4 --warmup-records ${WARMUP:-2000} --cross-key 0.1 --no-progress"
echo "== load average: $(cat /proc/loadavg)"
bin/tempora load --target 127.0.0.1:7720 $L --json $B/single.json 2>&1 | grep -E "^phase|^ingest" | head -4
bin/tempora load --target 127.0.0.1:7700 $L --json $B/router.json 2>&1 | grep -E "^phase|^ingest" | head -4
echo "== load average: $(cat /proc/loadavg)"
# Restart the router with the loop on, reconcile, then burst and sample the lag gauge.
kill ${pids[3]}; wait ${pids[3]} 2>/dev/null
bin/router --listen 127.0.0.1:7700 --shards 127.0.0.1:7710,127.0.0.1:7711 --http-listen 127.0.0.1:9700 > $B/router2.log 2>&1 & pids[3]=$!
sleep 10
until curl -s 127.0.0.1:9700/metrics | grep -q '^tempora_reconcile_lease_held 1'; do sleep 0.5; done
# wait until caught up after the start (first poll: continuing from cursors or full pass)
until curl -s 127.0.0.1:9700/metrics | grep -q '^tempora_reconcile_lag_seconds 0.0'; do sleep 0.5; done
echo "== caught up; burst"
( max=0; while [ ! -f $B/stop ]; do v=$(curl -s 127.0.0.1:9700/metrics | awk '/^tempora_reconcile_lag_seconds /{print $2}'); echo "$(date +%s.%N) $v" >> $B/lag.txt; sleep 0.1; done ) &
sampler=$!
t0=$(date +%s.%N)
bin/tempora load --target 127.0.0.1:7700 --records 5000 --seed 43 --warmup-records 0 --batch 1000 --concurrency 4 --cross-key 0.1 --no-progress --json $B/burst.json 2>&1 | grep -E "^phase|^ingest" | head -3
t1=$(date +%s.%N)
sleep 8
touch $B/stop; wait $sampler
echo "burst ingest took $(echo "$t1 - $t0" | bc) s"
echo "max lag gauge: $(awk "BEGIN{m=0} { if (\$2+0 > m) m = \$2+0 } END { print m }" $B/lag.txt) s over $(wc -l < $B/lag.txt) samples"
awk -v t1=$t1 '$1 > t1 && $2+0 == 0 { print "lag back to 0 at +" ($1 - t1) " s after the burst ended"; exit }' $B/lag.txt
curl -s 127.0.0.1:9700/metrics | grep '^tempora_reconcile'
grep -i "lease\|reconciled" $B/router2.log | tail -5
for p in "${pids[@]}"; do kill $p 2>/dev/null; done
wait 2>/dev/null
echo "dir $B"
