package io.tempora.shardserver.grpc;

import java.time.Duration;
import java.util.List;

/**
 * Starts manual compactions of a shard's store: the body of the Compact RPC (STORAGE.md §8). The
 * process that owns the store implements it. Implementations are thread-safe.
 */
@FunctionalInterface
public interface Compactor {
  /**
   * Starts a compaction of {@code cf} (empty: every column family) and, with {@code wait}, waits
   * for it.
   *
   * @return what it compacts and, when waited for, how long it took
   * @throws IllegalArgumentException for an unknown column family (INVALID_ARGUMENT)
   * @throws io.tempora.engine.PreconditionFailedException if one is running (FAILED_PRECONDITION)
   * @throws io.tempora.engine.store.StoreException if it failed (UNAVAILABLE)
   */
  Compaction compact(String cf, boolean wait);

  /**
   * A started compaction.
   *
   * @param columnFamilies the column families it compacts, in order
   * @param took how long it took; null while it runs in the background
   */
  record Compaction(List<String> columnFamilies, Duration took) {}
}
