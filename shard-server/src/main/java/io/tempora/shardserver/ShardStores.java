package io.tempora.shardserver;

import io.tempora.engine.store.InMemoryStore;
import io.tempora.engine.store.Store;
import java.nio.file.Path;

/**
 * Opens the store behind a shard. This is the one place that chooses the implementation: today the
 * engine's {@link InMemoryStore} (nothing survives a restart); the RocksDB store of the persistence
 * module replaces it here, opened on the data directory.
 */
public final class ShardStores {
  private ShardStores() {}

  /**
   * Opens the store of a data directory; the caller closes it.
   *
   * @param dataDir the shard's data directory (unused by the in-memory store)
   */
  public static Store open(Path dataDir) {
    return new InMemoryStore();
  }
}
