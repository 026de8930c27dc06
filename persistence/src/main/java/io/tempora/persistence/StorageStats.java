package io.tempora.persistence;

/**
 * A snapshot of RocksDB figures for metrics (OPERATIONS.md §5); each is 0 when unknown. Immutable.
 *
 * @param memtableBytes size of all memtables
 * @param blockCacheUsageBytes bytes in the shared block cache
 * @param blockCacheCapacityBytes the block cache's capacity
 * @param blockCachePinnedBytes bytes pinned in the block cache
 * @param blockCacheHits block cache hits since open
 * @param blockCacheMisses block cache misses since open
 * @param pendingCompactionBytes estimated bytes compaction still has to rewrite
 * @param runningCompactions compactions running now
 * @param writeStopped whether RocksDB currently stops writes
 * @param stallMicros microseconds writes were stalled since open
 * @param compactionReadBytes bytes read by compactions since open
 * @param compactionWriteBytes bytes written by compactions since open
 * @param liveSstBytes size of live SST files
 * @param estimatedKeys estimated number of keys over all column families
 */
public record StorageStats(
    long memtableBytes,
    long blockCacheUsageBytes,
    long blockCacheCapacityBytes,
    long blockCachePinnedBytes,
    long blockCacheHits,
    long blockCacheMisses,
    long pendingCompactionBytes,
    long runningCompactions,
    boolean writeStopped,
    long stallMicros,
    long compactionReadBytes,
    long compactionWriteBytes,
    long liveSstBytes,
    long estimatedKeys) {

  /** All zero: before the first poll. */
  public static final StorageStats EMPTY =
      new StorageStats(0, 0, 0, 0, 0, 0, 0, 0, false, 0, 0, 0, 0, 0);
}
