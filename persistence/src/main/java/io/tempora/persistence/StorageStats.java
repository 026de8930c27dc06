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
 * @param compactions compactions finished since open
 * @param compactionMicros microseconds spent in those compactions
 * @param backgroundErrors background errors (flush, compaction) since open
 * @param walBytes bytes written to the WAL since open
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
    long estimatedKeys,
    long compactions,
    long compactionMicros,
    long backgroundErrors,
    long walBytes) {

  /** All zero: before the first poll. */
  public static final StorageStats EMPTY =
      new StorageStats(0, 0, 0, 0, 0, 0, 0, 0, false, 0, 0, 0, 0, 0, 0, 0, 0, 0);
}
