package io.tempora.persistence.export;

/**
 * Receives the rows of one shard export in order: every records row, then every golden row, then
 * (with history) every versions row. Called from one thread.
 */
public interface ExportSink {
  /** A row of {@code records-shard-<N>.parquet}. */
  void record(ExportRow row);

  /** A row of {@code golden-shard-<N>.parquet}. */
  void golden(GoldenRow row);

  /** A row of {@code versions-shard-<N>.parquet}. */
  void version(ExportRow row);
}
