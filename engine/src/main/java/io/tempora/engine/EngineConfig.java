package io.tempora.engine;

/**
 * Engine configuration.
 *
 * @param shardId this shard's id (0..65535), the high 16 bits of every id it allocates
 * @param limits request limits
 * @param switchBatchRecords records an ontology switch handles between two spill points of its
 *     transaction ({@code storage.reindex_batch_records}, 1..10000000; docs/storage.md "Ontology
 *     switch")
 */
public record EngineConfig(int shardId, Limits limits, int switchBatchRecords) {
  /** The default of {@code storage.reindex_batch_records}. */
  public static final int DEFAULT_SWITCH_BATCH_RECORDS = 10_000;

  /** The largest {@code storage.reindex_batch_records}. */
  public static final int MAX_SWITCH_BATCH_RECORDS = 10_000_000;

  public EngineConfig {
    if (shardId < 0 || shardId > 0xFFFF) {
      throw new IllegalArgumentException("shard id " + shardId + " must be in 0..65535");
    }
    if (limits == null) {
      throw new IllegalArgumentException("limits must not be null");
    }
    if (switchBatchRecords < 1 || switchBatchRecords > MAX_SWITCH_BATCH_RECORDS) {
      throw new IllegalArgumentException(
          "storage.reindex_batch_records must be between 1 and "
              + MAX_SWITCH_BATCH_RECORDS
              + ", got "
              + switchBatchRecords);
    }
  }

  /** The default switch batch ({@value #DEFAULT_SWITCH_BATCH_RECORDS} records). */
  public EngineConfig(int shardId, Limits limits) {
    this(shardId, limits, DEFAULT_SWITCH_BATCH_RECORDS);
  }

  /** A copy with another switch batch. */
  public EngineConfig withSwitchBatchRecords(int records) {
    return new EngineConfig(shardId, limits, records);
  }

  /** Shard 0 with default limits. */
  public static EngineConfig defaults() {
    return new EngineConfig(0, Limits.defaults());
  }
}
