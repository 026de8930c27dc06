package io.tempora.deploy.shard;

import io.tempora.persistence.rocks.RocksShardStore;
import io.tempora.shardserver.ops.ShardMetrics;

/** The store's figures as scrape-time metrics (cheap in-memory counters only). */
final class StoreMetrics {
  private StoreMetrics() {}

  static void register(ShardMetrics metrics, RocksShardStore store) {
    metrics.counter(
        "tempora_wal_syncs_total",
        "WAL fsyncs issued by the group-commit syncer",
        store::walSyncCount);
  }
}
