package io.tempora.persistence.rocks;

import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Event retention (STORAGE.md §8, docs/storage.md "Event retention"): every {@code
 * storage.retention_interval} the events of transactions older than {@code
 * storage.events.retain_age} or, if set, more than {@code storage.events.retain_txs} transactions
 * behind the last one go with one {@code DeleteRange} on their tx prefix, never those a consumer
 * still needs (a slot move catching up from the event log). Runs on its own thread ({@code
 * tempora-retention}). Thread-safe. Does not own the store: close this first.
 */
public final class EventRetention implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(EventRetention.class);

  /** How long marks are kept when {@code retain_age} is off. */
  private static final Duration MARKS_WITHOUT_AGE = Duration.ofDays(7);

  /**
   * The policy.
   *
   * @param retainAge events of transactions committed longer ago go; {@link Duration#ZERO}: no age
   *     limit
   * @param retainTxs only the last this many transactions keep their events; 0: no such limit
   * @param interval time between two retention runs, positive
   */
  public record Config(Duration retainAge, long retainTxs, Duration interval) {
    public Config {
      if (retainAge == null || retainAge.isNegative()) {
        throw new IllegalArgumentException(
            "storage.events.retain_age must be zero (no age limit) or positive, got " + retainAge);
      }
      if (retainTxs < 0) {
        throw new IllegalArgumentException(
            "storage.events.retain_txs must be zero (no limit) or positive, got " + retainTxs);
      }
      if (interval == null || interval.isNegative() || interval.isZero()) {
        throw new IllegalArgumentException(
            "storage.retention_interval must be positive, got " + interval);
      }
    }

    /** 7 days, no tx limit, every 10 minutes (OPERATIONS.md defaults). */
    public static Config defaults() {
      return new Config(Duration.ofDays(7), 0, Duration.ofMinutes(10));
    }
  }

  /**
   * What one run did.
   *
   * @param firstKeptTx the first transaction whose events are kept afterwards
   * @param removed whether this run removed anything
   * @param heldBy the first transaction a consumer still needed (0 if none held the cut back)
   */
  public record Result(long firstKeptTx, boolean removed, long heldBy) {}

  private final RocksShardStore store;
  private final LongSupplier neededFromTx;
  private final Clock clock;
  private final ScheduledExecutorService executor;
  private volatile Config config;
  private ScheduledFuture<?> task;

  /**
   * @param store the store (not owned)
   * @param config the policy
   * @param neededFromTx the first transaction whose events a consumer still needs (a slot move's
   *     catch-up cursor); 0 if none
   * @param clock the wall clock
   */
  public EventRetention(
      RocksShardStore store, Config config, LongSupplier neededFromTx, Clock clock) {
    this.store = store;
    this.config = config;
    this.neededFromTx = neededFromTx;
    this.clock = clock;
    this.executor =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "tempora-retention");
              t.setDaemon(true);
              return t;
            });
  }

  /** Starts the schedule: the first run one interval from now. */
  public synchronized EventRetention start() {
    schedule();
    return this;
  }

  /** Replaces the policy (SIGHUP); the next run is one new interval away. */
  public synchronized void reconfigure(Config next) {
    this.config = next;
    if (task != null) {
      schedule();
    }
  }

  private void schedule() {
    if (task != null) {
      task.cancel(false);
    }
    long ms = config.interval().toMillis();
    task = executor.scheduleWithFixedDelay(this::scheduled, ms, ms, TimeUnit.MILLISECONDS);
    LOG.info(
        "event retention: age {}, last {} transactions, every {}",
        config.retainAge().isZero() ? "unlimited" : config.retainAge(),
        config.retainTxs() == 0 ? "unlimited" : config.retainTxs(),
        config.interval());
  }

  private void scheduled() {
    try {
      runOnce();
    } catch (RuntimeException e) {
      // The next run tries again; a failure must not cancel the schedule.
      LOG.error("event retention failed: {}", e.getMessage(), e);
    }
  }

  /** One retention pass now (the schedule calls it; tests and admin may too). */
  public Result runOnce() {
    Config c = config;
    long now = clock.instant().getEpochSecond();
    long lastTx = store.lastTx();
    long cut = 1;
    if (!c.retainAge().isZero()) {
      cut = Math.max(cut, store.txCommittedBy(now - c.retainAge().toSeconds()).tx() + 1);
    }
    if (c.retainTxs() > 0) {
      cut = Math.max(cut, lastTx - c.retainTxs() + 1);
    }
    cut = Math.min(cut, lastTx + 1);
    long needed = neededFromTx.getAsLong();
    long heldBy = 0;
    if (needed >= 1 && needed < cut) {
      heldBy = needed;
      cut = needed;
    }
    Duration markAge = c.retainAge().isZero() ? MARKS_WITHOUT_AGE : c.retainAge();
    long markSeconds = store.txCommittedBy(now - markAge.toSeconds()).epochSeconds();
    boolean removed = store.deleteEventsBefore(cut, markSeconds);
    if (removed) {
      LOG.info(
          "event retention: events before tx {} removed{}",
          cut,
          heldBy == 0 ? "" : " (held back by a slot move catching up from tx " + heldBy + ")");
    }
    return new Result(store.firstEventTx(), removed, heldBy);
  }

  /** Stops the schedule and waits for a running pass. */
  @Override
  public void close() {
    executor.shutdown();
    try {
      if (!executor.awaitTermination(1, TimeUnit.MINUTES)) {
        LOG.warn("event retention still running after 1 minute; closing anyway");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
