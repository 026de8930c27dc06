package io.tempora.deploy.shard;

import io.tempora.engine.Engine;
import io.tempora.persistence.StorageStats;
import io.tempora.persistence.rocks.RocksShardStore;
import io.tempora.proto.v1.GetStatsResponse;
import io.tempora.shardserver.grpc.ShardReads;
import io.tempora.shardserver.ops.ShardMetrics;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.ToDoubleFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The store's figures as metrics: WAL fsyncs and group-commit batch sizes as they happen, RocksDB
 * figures and record/entity/conflict counts polled every {@code storage.stats_interval} (never per
 * scrape; the counts are maintained counters). Owns its poller thread; close it before the store.
 */
final class StoreMetrics implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(StoreMetrics.class);

  private final AtomicReference<StorageStats> rocks = new AtomicReference<>(StorageStats.EMPTY);
  private final AtomicReference<GetStatsResponse> counts =
      new AtomicReference<>(GetStatsResponse.getDefaultInstance());
  private final ScheduledExecutorService poller;

  private StoreMetrics(ScheduledExecutorService poller) {
    this.poller = poller;
  }

  static StoreMetrics start(
      ShardMetrics metrics, RocksShardStore store, Engine engine, Duration interval) {
    store.syncListener(metrics::walSynced);
    metrics.counter(
        "tempora_wal_syncs_total",
        "WAL fsyncs issued by the group-commit syncer",
        store::walSyncCount);
    metrics.durabilityMode(store.config().durability().configName());
    metrics.gauge(
        "tempora_applied_wseq",
        "Write sequence of the last batch applied to RocksDB",
        store::appliedWseq);
    metrics.gauge(
        "tempora_durable_wseq",
        "Write sequence of the last batch known durable (fsynced; async: as of open)",
        store::durableWseq);
    StoreMetrics m =
        new StoreMetrics(
            Executors.newSingleThreadScheduledExecutor(
                r -> {
                  Thread t = new Thread(r, "tempora-deploy-stats-1");
                  t.setDaemon(true);
                  return t;
                }));
    m.register(metrics);
    ShardReads reads = new ShardReads(engine);
    Runnable poll =
        () -> {
          try {
            m.rocks.set(store.stats());
            m.counts.set(reads.stats());
          } catch (RuntimeException e) {
            LOG.warn("polling store figures failed: {}", e.toString());
          }
        };
    poll.run();
    long ms = Math.max(1, interval.toMillis());
    m.poller.scheduleWithFixedDelay(poll, ms, ms, TimeUnit.MILLISECONDS);
    return m;
  }

  private void register(ShardMetrics metrics) {
    rocksGauge(
        metrics,
        "tempora_rocksdb_memtable_bytes",
        "Size of all memtables",
        StorageStats::memtableBytes);
    rocksGauge(
        metrics,
        "tempora_rocksdb_block_cache_usage_bytes",
        "Bytes in the block cache",
        StorageStats::blockCacheUsageBytes);
    rocksGauge(
        metrics,
        "tempora_rocksdb_block_cache_capacity_bytes",
        "Block cache capacity",
        StorageStats::blockCacheCapacityBytes);
    rocksGauge(
        metrics,
        "tempora_rocksdb_block_cache_pinned_bytes",
        "Bytes pinned in the block cache",
        StorageStats::blockCachePinnedBytes);
    rocksGauge(
        metrics,
        "tempora_rocksdb_compaction_pending_bytes",
        "Estimated bytes compaction still has to rewrite",
        StorageStats::pendingCompactionBytes);
    rocksGauge(
        metrics,
        "tempora_rocksdb_compactions_running",
        "Compactions running",
        StorageStats::runningCompactions);
    rocksGauge(
        metrics,
        "tempora_rocksdb_write_stopped",
        "1 while RocksDB stops writes",
        s -> s.writeStopped() ? 1 : 0);
    rocksGauge(
        metrics,
        "tempora_rocksdb_live_sst_bytes",
        "Size of live SST files",
        StorageStats::liveSstBytes);
    rocksGauge(
        metrics,
        "tempora_rocksdb_estimated_keys",
        "Estimated keys over all column families",
        StorageStats::estimatedKeys);
    rocksCounter(
        metrics,
        "tempora_rocksdb_block_cache_hits_total",
        "Block cache hits",
        StorageStats::blockCacheHits);
    rocksCounter(
        metrics,
        "tempora_rocksdb_block_cache_misses_total",
        "Block cache misses",
        StorageStats::blockCacheMisses);
    rocksCounter(
        metrics,
        "tempora_rocksdb_stall_seconds_total",
        "Time writes were stalled",
        s -> s.stallMicros() / 1e6);
    rocksCounter(
        metrics,
        "tempora_rocksdb_compaction_read_bytes_total",
        "Bytes read by compactions",
        StorageStats::compactionReadBytes);
    rocksCounter(
        metrics,
        "tempora_rocksdb_compaction_write_bytes_total",
        "Bytes written by compactions",
        StorageStats::compactionWriteBytes);
    rocksCounter(
        metrics,
        "tempora_rocksdb_compactions_total",
        "Compactions finished",
        StorageStats::compactions);
    rocksCounter(
        metrics,
        "tempora_rocksdb_compaction_seconds_total",
        "Time spent in finished compactions",
        s -> s.compactionMicros() / 1e6);
    rocksCounter(
        metrics,
        "tempora_rocksdb_background_errors_total",
        "RocksDB background errors (flush, compaction)",
        StorageStats::backgroundErrors);
    rocksCounter(
        metrics, "tempora_wal_bytes_total", "Bytes written to the WAL", StorageStats::walBytes);
    metrics.gauge("tempora_records", "Live records", () -> counts.get().getRecords());
    metrics.gauge("tempora_entities", "Entities", () -> counts.get().getEntities());
    metrics.gauge("tempora_conflicts", "Conflict items", () -> counts.get().getConflicts());
  }

  private void rocksGauge(
      ShardMetrics metrics, String name, String help, ToDoubleFunction<StorageStats> f) {
    metrics.gauge(name, help, () -> f.applyAsDouble(rocks.get()));
  }

  private void rocksCounter(
      ShardMetrics metrics, String name, String help, ToDoubleFunction<StorageStats> f) {
    metrics.counter(name, help, () -> f.applyAsDouble(rocks.get()));
  }

  @Override
  public void close() {
    poller.shutdownNow();
    try {
      // A poll in progress reads the store: let it finish before the store closes.
      poller.awaitTermination(30, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
