package io.tempora.shardserver.grpc;

import io.tempora.persistence.export.ExportSink;
import io.tempora.persistence.export.ExportSummary;

/**
 * Exports a shard on request: the body of the Export RPC (files on the shard) and of ExportRows
 * (rows to the caller). Implementations are thread-safe.
 */
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

  /**
   * Opens one read view and hands its rows to {@code sink} (records, golden, then with {@code
   * history} versions) on the calling thread.
   *
   * @return the view's tx and the row count per file name; {@code dir} is null
   */
  ExportSummary stream(boolean history, ExportSink sink);
}
