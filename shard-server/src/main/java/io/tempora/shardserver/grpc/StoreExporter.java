package io.tempora.shardserver.grpc;

import io.tempora.engine.store.Store;
import io.tempora.engine.store.StoreException;
import io.tempora.engine.store.StoreView;
import io.tempora.persistence.export.ExportOptions;
import io.tempora.persistence.export.ExportSink;
import io.tempora.persistence.export.ExportSummary;
import io.tempora.persistence.export.ShardExport;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Clock;
import java.util.OptionalLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link Exporter} of a shard's store: one read view per export ({@link Store#view()}, the
 * durable read view in {@code immediate} mode), written by {@link ShardExport} under {@code
 * <dataDir>/exports/}. Thread-safe; does not own the store.
 */
public final class StoreExporter implements Exporter {
  private static final Logger LOG = LoggerFactory.getLogger(StoreExporter.class);

  private final Store store;
  private final Path dataDir;
  private final int shardId;
  private final Clock clock;

  /**
   * @param store the shard's store; the caller keeps ownership
   * @param dataDir the shard's data directory
   * @param shardId the shard id (file names)
   * @param clock names exports that come without one
   */
  public StoreExporter(Store store, Path dataDir, int shardId, Clock clock) {
    this.store = store;
    this.dataDir = dataDir;
    this.shardId = shardId;
    this.clock = clock;
  }

  @Override
  public ExportSummary export(String name, boolean history) {
    String chosen = name.isEmpty() ? ShardExport.defaultName(clock) : name;
    Path dir = ShardExport.localDir(dataDir, chosen).toAbsolutePath();
    long t0 = System.nanoTime();
    ExportSummary summary;
    try (StoreView view = store.view()) {
      summary =
          ShardExport.write(view, OptionalLong.empty(), ExportOptions.of(shardId, history), dir);
    } catch (UncheckedIOException e) {
      throw new StoreException("export to " + dir + " failed: " + e.getMessage(), e);
    }
    LOG.info(
        "export {} written at tx {}: {} rows in {} ms",
        dir,
        summary.tx(),
        summary.totalRows(),
        (System.nanoTime() - t0) / 1_000_000);
    return summary;
  }

  @Override
  public ExportSummary stream(boolean history, ExportSink sink) {
    try (StoreView view = store.view()) {
      return ShardExport.stream(
          view, OptionalLong.empty(), ExportOptions.of(shardId, history), sink);
    }
  }
}
