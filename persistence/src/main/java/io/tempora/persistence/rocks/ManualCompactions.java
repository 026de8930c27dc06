package io.tempora.persistence.rocks;

import io.tempora.engine.PreconditionFailedException;
import io.tempora.engine.store.StoreException;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.rocksdb.CompactRangeOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code admin compact [--cf NAME]} (STORAGE.md §8): a manual compaction of one or every column
 * family with the bottommost level forced, so deleted keys and range tombstones are dropped. One at
 * a time, on its own thread ({@code tempora-compact}): a request while one runs is refused with
 * {@link PreconditionFailedException} (FAILED_PRECONDITION) naming what runs. Thread-safe. Owns its
 * thread; does not own the store: {@link #close()} (which cancels a running compaction and waits
 * for it) must run before the store closes.
 */
public final class ManualCompactions implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ManualCompactions.class);

  /** Hears when a manual compaction starts and ends (metrics). */
  public interface Listener {
    /** A compaction of {@code columnFamilies} started. */
    void started(List<String> columnFamilies);

    /** It ended: {@code ok} false when it failed or was cancelled. */
    void finished(boolean ok, long nanos);
  }

  /**
   * One started compaction.
   *
   * @param columnFamilies the column families it compacts, in order
   * @param done completes with the duration when every one is compacted, exceptionally with a
   *     {@link StoreException} when one failed
   */
  public record Started(List<String> columnFamilies, CompletableFuture<Duration> done) {
    /** Waits until it has finished; rethrows its failure. */
    public Duration await() {
      try {
        return done.get();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new StoreException("compact: interrupted while waiting", e);
      } catch (ExecutionException e) {
        if (e.getCause() instanceof RuntimeException r) {
          throw r;
        }
        throw new StoreException("compact: " + e.getCause().getMessage(), e.getCause());
      }
    }
  }

  private final RocksShardStore store;
  private final Listener listener;
  private final ExecutorService executor;

  // Guarded by this.
  private Started running;
  private CompactRangeOptions runningOptions;
  private boolean closed;

  /**
   * @param store the store to compact (not owned)
   * @param listener told about every compaction; not null
   */
  public ManualCompactions(RocksShardStore store, Listener listener) {
    this.store = store;
    this.listener = listener;
    this.executor =
        Executors.newSingleThreadExecutor(
            r -> {
              Thread t = new Thread(r, "tempora-compact");
              t.setDaemon(true);
              return t;
            });
  }

  /** The column family names a compaction accepts, in the order "all" compacts them. */
  public static List<String> columnFamilies() {
    return Arrays.stream(Cf.values()).map(Cf::cfName).toList();
  }

  /**
   * Starts a compaction of {@code cfName} (null or empty: every column family, one after the other)
   * in the background.
   *
   * @throws IllegalArgumentException if {@code cfName} names no column family
   * @throws PreconditionFailedException if a manual compaction is running already
   * @throws StoreException if shutting down
   */
  public synchronized Started start(String cfName) {
    List<Cf> cfs = resolve(cfName);
    if (closed) {
      throw new StoreException("compact: the shard is shutting down");
    }
    if (running != null) {
      throw new PreconditionFailedException(
          "a manual compaction is already running (column families "
              + String.join(", ", running.columnFamilies())
              + "); try again when it has finished");
    }
    List<String> names = cfs.stream().map(Cf::cfName).toList();
    Started s = new Started(names, new CompletableFuture<>());
    running = s;
    listener.started(names);
    executor.execute(() -> run(cfs, s));
    return s;
  }

  private static List<Cf> resolve(String cfName) {
    if (cfName == null || cfName.isEmpty()) {
      return List.of(Cf.values());
    }
    for (Cf cf : Cf.values()) {
      if (cf.cfName().equals(cfName)) {
        return List.of(cf);
      }
    }
    throw new IllegalArgumentException(
        "cf: unknown column family '"
            + cfName
            + "'; known: "
            + String.join(", ", columnFamilies()));
  }

  private void run(List<Cf> cfs, Started s) {
    long t0 = System.nanoTime();
    RuntimeException failure = null;
    try (CompactRangeOptions options = new CompactRangeOptions()) {
      synchronized (this) {
        runningOptions = options;
      }
      try {
        for (Cf cf : cfs) {
          synchronized (this) {
            if (closed) {
              throw new StoreException("compact: cancelled by shutdown before " + cf.cfName());
            }
          }
          store.rocks().compact(cf, options);
        }
      } finally {
        synchronized (this) {
          runningOptions = null;
        }
      }
    } catch (RuntimeException e) {
      failure = e;
    }
    long nanos = System.nanoTime() - t0;
    synchronized (this) {
      running = null;
    }
    listener.finished(failure == null, nanos);
    if (failure == null) {
      LOG.info(
          "manual compaction of {} finished in {} ms",
          String.join(", ", s.columnFamilies()),
          nanos / 1_000_000);
      s.done().complete(Duration.ofNanos(nanos));
    } else {
      LOG.warn("manual compaction failed: {}", failure.getMessage());
      s.done().completeExceptionally(failure);
    }
  }

  /** True while a manual compaction runs. */
  public synchronized boolean isRunning() {
    return running != null;
  }

  /** Cancels a running compaction (RocksDB stops it between files) and waits for its thread. */
  @Override
  public void close() {
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
      if (runningOptions != null) {
        runningOptions.setCanceled(true);
      }
    }
    executor.shutdown();
    try {
      if (!executor.awaitTermination(5, TimeUnit.MINUTES)) {
        LOG.warn("a manual compaction is still running after 5 minutes; closing anyway");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
