#!/bin/bash
# 10M measurements; run after the build finished. Output: /tmp/bench10m/measure.log
set -u
cd /work/main
D=/tmp/bench10m/data
log=/tmp/bench10m/measure.log
exec > >(tee -a $log) 2>&1
echo "=== $(date -u) uptime: $(uptime)"
du -sh $D
echo "=== in-process restart + reads (load --embedded)"
MALLOC_ARENA_MAX=2 bin/tempora load --embedded $D --durability async --records 0 --warmup-records 0 \
  --queries 2000 --concurrency 4 --query-space 10000000 --no-progress --json /tmp/bench10m/restart.json 2>&1 | grep -v WARNING
echo "=== process launch -> first answered query (bin/shard, -Xmx256m), 3 runs"
for i in 1 2 3; do
  JAVA_OPTS=-Xmx256m MALLOC_ARENA_MAX=2 /usr/lib/jvm/temurin-25-jdk-amd64/bin/java -cp deploy/target/tempora.jar \
    docs/load-results/tools/FirstQuery.java 7831 email nobody@example.org -- \
    bin/shard --listen 127.0.0.1:7831 --shard-id 0 --data-dir $D 2>&1 | grep -v WARNING
done
echo "=== shard process with -Xmx256m: reads through gRPC, then heap and RSS"
JAVA_OPTS=-Xmx256m MALLOC_ARENA_MAX=2 bin/shard --listen 127.0.0.1:7832 --shard-id 0 --data-dir $D > /tmp/bench10m/shard.log 2>&1 &
spid=$!
until grep -q "ready: port" /tmp/bench10m/shard.log; do sleep 0.2; done
grep -E "recover|ready" /tmp/bench10m/shard.log | grep -v WARN
jpid=$(pgrep -f "listen 127.0.0.1:7832" | head -1)
bin/tempora load --target 127.0.0.1:7832 --records 0 --warmup-records 0 --queries 2000 --concurrency 4 \
  --query-space 10000000 --metrics-url http://127.0.0.1:9832/metrics --no-progress --json /tmp/bench10m/reads-process.json 2>&1 | grep -v WARNING
/usr/lib/jvm/temurin-25-jdk-amd64/bin/jcmd $jpid GC.run >/dev/null
/usr/lib/jvm/temurin-25-jdk-amd64/bin/jcmd $jpid GC.heap_info
grep -E "VmRSS|VmHWM" /proc/$jpid/status
curl -s 127.0.0.1:9832/metrics | grep -E "^jvm_memory_used_bytes\{area=\"heap\"\}|^tempora_records |^tempora_entities |^tempora_rocksdb_block_cache_usage_bytes|^tempora_rocksdb_memtable_bytes|^tempora_recovery_duration_seconds"
kill $spid; wait $spid
echo "=== done $(date -u)"
