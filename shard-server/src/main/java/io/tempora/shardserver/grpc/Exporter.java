package io.tempora.shardserver.grpc;

import io.tempora.persistence.export.ExportSummary;

/**
 * Writes a shard-local Parquet export on request: the body of the Export RPC. Implementations are
 * thread-safe.
 */
@FunctionalInterface
public interface Exporter {
  /**
   * Exports the shard's current read view into {@code <data-dir>/exports/<name>/}.
   *
   * @param name the directory name; empty for the UTC time
   * @param history also write every record version
   * @throws IllegalArgumentException for a bad name (INVALID_ARGUMENT)
   * @throws io.tempora.engine.PreconditionFailedException if the directory exists
   * @throws io.tempora.engine.store.StoreException if writing failed (UNAVAILABLE)
   */
  ExportSummary export(String name, boolean history);
}
