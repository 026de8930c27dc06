package io.tempora.persistence.rocks;

import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.rocksdb.CompactRangeOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Event and history retention (STORAGE.md §8, docs/storage.md "Event retention" and "History
 * partitions and retention"), one job on one thread ({@code tempora-retention}) every {@code
 * storage.retention_interval}:
 *
 * <ul>
 *   <li>events of transactions older than {@code storage.events.retain_age} or, if set, more than
 *       {@code storage.events.retain_txs} transactions behind the last one go with one {@code
 *       DeleteRange} on their tx prefix, never those a consumer still needs (a slot move catching
 *       up from the event log);
 *   <li>history (off unless {@code storage.history.retain_txs} or {@code
 *       storage.history.retain_age} is set): each oldest history partition whose last superseding
 *       tx is below {@code last_tx − retain_txs} or whose last commit is before {@code now −
 *       retain_age} goes with one {@code DeleteRange}, then its files are deleted and its range
 *       compacted.
 * </ul>
 *
 * Thread-safe. Does not own the store: close this first.
 */
public final class Retention implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Retention.class);

  /** How long marks are kept when {@code retain_age} is off. */
  private static final Duration MARKS_WITHOUT_AGE = Duration.ofDays(7);

  /**
   * The policies.
   *
   * @param retainAge events of transactions committed longer ago go; {@link Duration#ZERO}: no age
   *     limit
   * @param retainTxs only the last this many transactions keep their events; 0: no such limit
   * @param interval time between two retention runs, positive
   * @param historyRetainAge history partitions whose last commit is older go; {@link
   *     Duration#ZERO}: no age limit
   * @param historyRetainTxs history partitions whose last superseding tx is more than this many
   *     transactions behind the last one go; 0: no such limit. Both zero (the default): every
   *     version is kept
   */
  public record Config(
      Duration retainAge,
      long retainTxs,
      Duration interval,
      Duration historyRetainAge,
      long historyRetainTxs) {
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
      if (historyRetainAge == null || historyRetainAge.isNegative()) {
        throw new IllegalArgumentException(
            "storage.history.retain_age must be zero (off) or positive, got " + historyRetainAge);
      }
      if (historyRetainTxs < 0) {
        throw new IllegalArgumentException(
            "storage.history.retain_txs must be zero (off) or positive, got " + historyRetainTxs);
      }
    }

    /** Event retention only; history retention off. */
    public Config(Duration retainAge, long retainTxs, Duration interval) {
      this(retainAge, retainTxs, interval, Duration.ZERO, 0);
    }

    /** Events 7 days, no tx limit, every 10 minutes, history kept (OPERATIONS.md defaults). */
    public static Config defaults() {
      return new Config(Duration.ofDays(7), 0, Duration.ofMinutes(10));
    }

    /** A copy with another history policy. */
    public Config withHistory(Duration age, long txs) {
      return new Config(retainAge, retainTxs, interval, age, txs);
    }

    /** True iff history retention is on. */
    public boolean historyOn() {
      return !historyRetainAge.isZero() || historyRetainTxs > 0;
    }
  }

  /**
   * What one run did.
   *
   * @param firstKeptTx the first transaction whose events are kept afterwards
   * @param removed whether this run removed events
   * @param heldBy the first transaction a consumer still needed (0 if none held the cut back)
   * @param historyPartitionsRemoved history partitions removed by this run (the legacy one counts)
   * @param historyFromTx the first superseding transaction whose versions are kept afterwards
   */
  public record Result(
      long firstKeptTx,
      boolean removed,
      long heldBy,
      int historyPartitionsRemoved,
      long historyFromTx) {}

  private final RocksShardStore store;
  private final LongSupplier neededFromTx;
  private final Clock clock;
  private final ScheduledExecutorService executor;
  private volatile Config config;
  private ScheduledFuture<?> task;
  // The history compaction running, cancelled by close(); guarded by this.
  private CompactRangeOptions reclaiming;
  private boolean closed;

  /**
   * @param store the store (not owned)
   * @param config the policies
   * @param neededFromTx the first transaction whose events a consumer still needs (a slot move's
   *     catch-up cursor); 0 if none
   * @param clock the wall clock
   */
  public Retention(RocksShardStore store, Config config, LongSupplier neededFromTx, Clock clock) {
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
  public synchronized Retention start() {
    schedule();
    return this;
  }

  /** Replaces the policies (SIGHUP); the next run is one new interval away. */
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
        "retention every {}: events age {}, last {} transactions; history {}",
        config.interval(),
        config.retainAge().isZero() ? "unlimited" : config.retainAge(),
        config.retainTxs() == 0 ? "unlimited" : config.retainTxs(),
        config.historyOn()
            ? "age "
                + (config.historyRetainAge().isZero() ? "unlimited" : config.historyRetainAge())
                + ", last "
                + (config.historyRetainTxs() == 0 ? "unlimited" : config.historyRetainTxs())
                + " transactions"
            : "kept (every version)");
  }

  private void scheduled() {
    Config c = config;
    long now = clock.instant().getEpochSecond();
    try {
      events(c, now);
    } catch (RuntimeException e) {
      // The next run tries again; a failure must not cancel the schedule.
      LOG.error("event retention failed: {}", e.getMessage(), e);
    }
    try {
      history(c, now);
    } catch (RuntimeException e) {
      LOG.error("history retention failed: {}", e.getMessage(), e);
    }
  }

  /** One retention pass now, events then history (the schedule runs the same). */
  public Result runOnce() {
    Config c = config;
    long now = clock.instant().getEpochSecond();
    EventsDone e = events(c, now);
    RocksShardStore.HistoryRemoval h = history(c, now);
    return new Result(
        store.firstEventTx(), e.removed(), e.heldBy(), h.partitions(), h.firstKeptTx());
  }

  private record EventsDone(boolean removed, long heldBy) {}

  private EventsDone events(Config c, long now) {
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
    return new EventsDone(removed, heldBy);
  }

  /**
   * Removes the expired oldest history partitions, then reclaims their space. A partition is
   * expired when its last superseding tx is below {@code last_tx − retain_txs} or its last commit
   * was before {@code now − retain_age}; the store decides under its writer permit, so a commit
   * adding to a partition meanwhile is seen.
   */
  private RocksShardStore.HistoryRemoval history(Config c, long now) {
    if (!c.historyOn()) {
      return new RocksShardStore.HistoryRemoval(java.util.List.of(), store.historyFromTx());
    }
    long txLimit = c.historyRetainTxs() > 0 ? store.lastTx() - c.historyRetainTxs() : 0;
    long ageLimit =
        c.historyRetainAge().isZero() ? Long.MIN_VALUE : now - c.historyRetainAge().toSeconds();
    RocksShardStore.HistoryRemoval removal =
        store.removeHistory(r -> r.lastTx() < txLimit || r.lastSeconds() < ageLimit);
    if (removal.partitions() == 0) {
      return removal;
    }
    LOG.info(
        "history retention: {} partition(s) removed ({}); versions superseded from tx {} on are"
            + " kept",
        removal.partitions(),
        removal.removed().stream()
            .map(r -> r.part() == RocksShardStore.LEGACY_PART ? "legacy" : "part " + r.part())
            .toList(),
        removal.firstKeptTx());
    long t0 = System.nanoTime();
    try (CompactRangeOptions options = new CompactRangeOptions()) {
      synchronized (this) {
        if (closed) {
          return removal;
        }
        reclaiming = options;
      }
      try {
        store.reclaimHistory(removal, options);
      } finally {
        synchronized (this) {
          reclaiming = null;
        }
      }
    }
    LOG.info(
        "history retention: space of the removed partitions reclaimed in {} ms",
        (System.nanoTime() - t0) / 1_000_000);
    return removal;
  }

  /** Stops the schedule, cancels a running compaction and waits for a running pass. */
  @Override
  public void close() {
    synchronized (this) {
      closed = true;
      if (reclaiming != null) {
        reclaiming.setCanceled(true);
      }
    }
    executor.shutdown();
    try {
      if (!executor.awaitTermination(5, TimeUnit.MINUTES)) {
        LOG.warn("retention still running after 5 minutes; closing anyway");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
