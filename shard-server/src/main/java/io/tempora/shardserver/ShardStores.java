package io.tempora.shardserver;

import io.tempora.engine.store.Store;
import io.tempora.persistence.StorageConfig;
import io.tempora.persistence.rocks.RocksShardStore;
import java.nio.file.Path;

/**
 * Opens the store behind a shard: the RocksDB store of the persistence module on {@code
 * <data-dir>/db}, with the default durability (immediate: acknowledged after a group-committed WAL
 * fsync). This is the one place that chooses the implementation.
 */
public final class ShardStores {
  private ShardStores() {}

  /**
   * Opens the store of a data directory, creating it if empty; the caller closes it.
   *
   * @param dataDir the shard's data directory
   * @param shardId the shard id, checked against the one stored in the directory
   */
  public static Store open(Path dataDir, int shardId) {
    return RocksShardStore.open(dataDir, StorageConfig.defaults(shardId));
  }
}
