package io.tempora.persistence;

import java.time.Duration;

/**
 * Storage configuration of one shard (the {@code storage.*} keys of OPERATIONS.md). Immutable;
 * validated on construction; {@link #defaults(int)} holds every default.
 *
 * @param shardId the shard this data directory belongs to (0..65535)
 * @param durability when a commit counts as durable
 * @param syncInterval batched mode: longest time between background WAL fsyncs
 * @param syncBytes batched mode: WAL bytes after which a background fsync runs early
 * @param watermarkInterval shortest time between two rewrites of {@code ACKED}
 * @param internerCacheEntries entries of each of the interner's two LRU caches
 * @param blockCacheBytes the shared block cache
 * @param writeBufferBytes the memtable budget, charged to the block cache
 * @param maxOpenFiles RocksDB's open-file limit (never unlimited)
 * @param bloomBitsPerKey bloom filter bits per key
 * @param maxBackgroundJobs RocksDB flush and compaction threads
 * @param acceptDataLoss open even if the acknowledged watermark is ahead of the database
 * @param groupCommitMaxWait immediate mode: longest time the syncer may hold back a WAL fsync to
 *     gather further commits while other writes are in flight ({@code
 *     storage.group_commit_max_wait_us}, 0 = never; a lone write never waits); 0..1 s
 * @param startupSample records (and as many index rows) checked at open ({@code
 *     storage.startup_sample}, STORAGE.md §5 step 5); 0..100000, 0 = off
 * @param historyPartition length of a history partition ({@code storage.history.partition},
 *     STORAGE.md §8): superseded versions are grouped by the time of the superseding transaction,
 *     so that retention removes whole partitions; at least one second, default 7 days
 */
public record StorageConfig(
    int shardId,
    Durability durability,
    Duration syncInterval,
    long syncBytes,
    Duration watermarkInterval,
    int internerCacheEntries,
    long blockCacheBytes,
    long writeBufferBytes,
    int maxOpenFiles,
    int bloomBitsPerKey,
    int maxBackgroundJobs,
    boolean acceptDataLoss,
    Duration groupCommitMaxWait,
    int startupSample,
    Duration historyPartition) {

  private static final long MIB = 1024L * 1024;
  private static final Duration DEFAULT_HISTORY_PARTITION = Duration.ofDays(7);
  private static final Duration MAX_GROUP_COMMIT_WAIT = Duration.ofSeconds(1);
  private static final int DEFAULT_STARTUP_SAMPLE = 64;

  public StorageConfig {
    if (shardId < 0 || shardId > 0xFFFF) {
      throw new IllegalArgumentException("shard id " + shardId + " must be in 0..65535");
    }
    if (durability == null) {
      throw new IllegalArgumentException("storage.durability must be set");
    }
    positive("storage.sync_interval_ms", syncInterval);
    positive("storage.watermark_interval_ms", watermarkInterval);
    atLeast("storage.sync_bytes", syncBytes, 1);
    atLeast("storage.interner_cache_entries", internerCacheEntries, 1);
    atLeast("storage.block_cache_mb", blockCacheBytes, MIB);
    atLeast("storage.write_buffer_mb", writeBufferBytes, MIB);
    atLeast("storage.max_open_files", maxOpenFiles, 16);
    atLeast("storage.bloom_bits_per_key", bloomBitsPerKey, 1);
    atLeast("storage.max_background_jobs", maxBackgroundJobs, 1);
    if (groupCommitMaxWait == null
        || groupCommitMaxWait.isNegative()
        || groupCommitMaxWait.compareTo(MAX_GROUP_COMMIT_WAIT) > 0) {
      throw new IllegalArgumentException(
          "storage.group_commit_max_wait_us must be between 0 and 1000000, got "
              + (groupCommitMaxWait == null ? null : groupCommitMaxWait.toNanos() / 1000));
    }
    if (startupSample < 0 || startupSample > 100_000) {
      throw new IllegalArgumentException(
          "storage.startup_sample must be between 0 and 100000, got " + startupSample);
    }
    if (historyPartition == null || historyPartition.compareTo(Duration.ofSeconds(1)) < 0) {
      throw new IllegalArgumentException(
          "storage.history.partition must be at least 1s, got " + historyPartition);
    }
    if (writeBufferBytes > blockCacheBytes) {
      throw new IllegalArgumentException(
          "storage.write_buffer_mb ("
              + writeBufferBytes / MIB
              + ") must not exceed storage.block_cache_mb ("
              + blockCacheBytes / MIB
              + "): memtables are charged to the cache");
    }
  }

  /** A configuration with the default history partition (7 days). */
  public StorageConfig(
      int shardId,
      Durability durability,
      Duration syncInterval,
      long syncBytes,
      Duration watermarkInterval,
      int internerCacheEntries,
      long blockCacheBytes,
      long writeBufferBytes,
      int maxOpenFiles,
      int bloomBitsPerKey,
      int maxBackgroundJobs,
      boolean acceptDataLoss,
      Duration groupCommitMaxWait,
      int startupSample) {
    this(
        shardId,
        durability,
        syncInterval,
        syncBytes,
        watermarkInterval,
        internerCacheEntries,
        blockCacheBytes,
        writeBufferBytes,
        maxOpenFiles,
        bloomBitsPerKey,
        maxBackgroundJobs,
        acceptDataLoss,
        groupCommitMaxWait,
        startupSample,
        DEFAULT_HISTORY_PARTITION);
  }

  /**
   * A configuration without a group-commit wait ({@code storage.group_commit_max_wait_us} 0) and
   * the default start-up sample (64).
   */
  public StorageConfig(
      int shardId,
      Durability durability,
      Duration syncInterval,
      long syncBytes,
      Duration watermarkInterval,
      int internerCacheEntries,
      long blockCacheBytes,
      long writeBufferBytes,
      int maxOpenFiles,
      int bloomBitsPerKey,
      int maxBackgroundJobs,
      boolean acceptDataLoss) {
    this(
        shardId,
        durability,
        syncInterval,
        syncBytes,
        watermarkInterval,
        internerCacheEntries,
        blockCacheBytes,
        writeBufferBytes,
        maxOpenFiles,
        bloomBitsPerKey,
        maxBackgroundJobs,
        acceptDataLoss,
        Duration.ZERO,
        DEFAULT_STARTUP_SAMPLE);
  }

  /** The defaults of OPERATIONS.md for a shard. */
  public static StorageConfig defaults(int shardId) {
    return new StorageConfig(
        shardId,
        Durability.IMMEDIATE,
        Duration.ofMillis(100),
        4 * MIB,
        Duration.ofMillis(1000),
        100_000,
        256 * MIB,
        64 * MIB,
        4096,
        10,
        4,
        false);
  }

  /** A copy with another durability mode. */
  public StorageConfig withDurability(Durability d) {
    return new StorageConfig(
        shardId,
        d,
        syncInterval,
        syncBytes,
        watermarkInterval,
        internerCacheEntries,
        blockCacheBytes,
        writeBufferBytes,
        maxOpenFiles,
        bloomBitsPerKey,
        maxBackgroundJobs,
        acceptDataLoss,
        groupCommitMaxWait,
        startupSample,
        historyPartition);
  }

  /** A copy that opens despite a watermark mismatch (the {@code --accept-data-loss} flag). */
  public StorageConfig withAcceptDataLoss(boolean accept) {
    return new StorageConfig(
        shardId,
        durability,
        syncInterval,
        syncBytes,
        watermarkInterval,
        internerCacheEntries,
        blockCacheBytes,
        writeBufferBytes,
        maxOpenFiles,
        bloomBitsPerKey,
        maxBackgroundJobs,
        accept,
        groupCommitMaxWait,
        startupSample,
        historyPartition);
  }

  /** A copy with small caches, for tests that open many stores. */
  public StorageConfig withSmallCaches() {
    return new StorageConfig(
        shardId,
        durability,
        syncInterval,
        syncBytes,
        watermarkInterval,
        1000,
        8 * MIB,
        4 * MIB,
        maxOpenFiles,
        bloomBitsPerKey,
        2,
        acceptDataLoss,
        groupCommitMaxWait,
        startupSample,
        historyPartition);
  }

  /** A copy with another {@code storage.group_commit_max_wait_us}. */
  public StorageConfig withGroupCommitMaxWait(Duration wait) {
    return new StorageConfig(
        shardId,
        durability,
        syncInterval,
        syncBytes,
        watermarkInterval,
        internerCacheEntries,
        blockCacheBytes,
        writeBufferBytes,
        maxOpenFiles,
        bloomBitsPerKey,
        maxBackgroundJobs,
        acceptDataLoss,
        wait,
        startupSample,
        historyPartition);
  }

  /** A copy with another {@code storage.startup_sample}. */
  public StorageConfig withStartupSample(int records) {
    return new StorageConfig(
        shardId,
        durability,
        syncInterval,
        syncBytes,
        watermarkInterval,
        internerCacheEntries,
        blockCacheBytes,
        writeBufferBytes,
        maxOpenFiles,
        bloomBitsPerKey,
        maxBackgroundJobs,
        acceptDataLoss,
        groupCommitMaxWait,
        records,
        historyPartition);
  }

  /** A copy with another {@code storage.history.partition}. */
  public StorageConfig withHistoryPartition(Duration partition) {
    return new StorageConfig(
        shardId,
        durability,
        syncInterval,
        syncBytes,
        watermarkInterval,
        internerCacheEntries,
        blockCacheBytes,
        writeBufferBytes,
        maxOpenFiles,
        bloomBitsPerKey,
        maxBackgroundJobs,
        acceptDataLoss,
        groupCommitMaxWait,
        startupSample,
        partition);
  }

  private static void positive(String key, Duration d) {
    if (d == null || d.isNegative() || d.isZero()) {
      throw new IllegalArgumentException(key + " must be positive, got " + d);
    }
  }

  private static void atLeast(String key, long v, long min) {
    if (v < min) {
      throw new IllegalArgumentException(key + " must be at least " + min + ", got " + v);
    }
  }
}
