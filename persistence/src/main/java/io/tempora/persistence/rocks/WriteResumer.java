package io.tempora.persistence.rocks;

import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * STORAGE.md §4.4: while the store refuses writes after a failed write, tries a probe write every
 * {@code interval} ({@link RocksShardStore#tryResumeWrites()}); idle otherwise. Runs on its own
 * thread ({@code tempora-write-resume}). Does not own the store: close this first.
 */
public final class WriteResumer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(WriteResumer.class);

  /** STORAGE.md §4.4's retry interval. */
  public static final Duration INTERVAL = Duration.ofSeconds(10);

  private final ScheduledExecutorService executor;

  private WriteResumer(ScheduledExecutorService executor) {
    this.executor = executor;
  }

  /** Starts checking {@code store} every {@code interval}. */
  public static WriteResumer start(RocksShardStore store, Duration interval) {
    ScheduledExecutorService executor =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "tempora-write-resume");
              t.setDaemon(true);
              return t;
            });
    Runnable probe =
        () -> {
          try {
            if (store.writesRefused() != null) {
              store.tryResumeWrites();
            }
          } catch (RuntimeException e) {
            LOG.warn("write resume check failed: {}", e.getMessage());
          }
        };
    long ms = interval.toMillis();
    executor.scheduleWithFixedDelay(probe, ms, ms, TimeUnit.MILLISECONDS);
    // RocksDB's recovery finishing is worth a probe at once, not up to one interval later.
    store.onErrorRecovered(
        () -> {
          try {
            executor.execute(probe);
          } catch (java.util.concurrent.RejectedExecutionException shuttingDown) {
            // closing: nothing to resume
          }
        });
    return new WriteResumer(executor);
  }

  @Override
  public void close() {
    executor.shutdown();
    try {
      executor.awaitTermination(1, TimeUnit.MINUTES);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
