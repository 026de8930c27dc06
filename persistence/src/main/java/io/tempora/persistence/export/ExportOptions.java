package io.tempora.persistence.export;

/**
 * What one shard export writes.
 *
 * @param shardId the shard id, used in file names ({@code records-shard-<N>.parquet})
 * @param history also write {@code versions-shard-<N>.parquet}
 * @param rowGroupBytes upper bound of a Parquet row group in bytes (STORAGE.md §6.2: at most 128
 *     MiB); the writer holds about one row group in memory
 */
public record ExportOptions(int shardId, boolean history, long rowGroupBytes) {
  /** STORAGE.md §6.2's bound on a row group. */
  public static final long MAX_ROW_GROUP_BYTES = 128L * 1024 * 1024;

  public ExportOptions {
    if (shardId < 0 || shardId > 0xFFFF) {
      throw new IllegalArgumentException("shard id " + shardId + " must be in 0..65535");
    }
    if (rowGroupBytes < 64 * 1024 || rowGroupBytes > MAX_ROW_GROUP_BYTES) {
      throw new IllegalArgumentException(
          "row group size "
              + rowGroupBytes
              + " must be between 65536 and "
              + MAX_ROW_GROUP_BYTES
              + " bytes");
    }
  }

  /** Row groups of 128 MiB. */
  public static ExportOptions of(int shardId, boolean history) {
    return new ExportOptions(shardId, history, MAX_ROW_GROUP_BYTES);
  }
}
