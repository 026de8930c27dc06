package io.tempora.persistence.rocks;

import io.tempora.persistence.CheckpointConfig;
import io.tempora.persistence.CheckpointInfo;
import java.time.Clock;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Takes a checkpoint of one store every {@link CheckpointConfig#interval()} and keeps the newest
 * {@link CheckpointConfig#retain()} (STORAGE.md §6.1). {@link #checkpointNow()} is the entry point
 * of the admin Checkpoint RPC; it and the schedule are serialised. The executor is the caller's
 * (who shuts it down); {@link #close()} cancels the schedule. Thread-safe.
 */
public final class CheckpointScheduler implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(CheckpointScheduler.class);

  private final RocksShardStore store;
  private final CheckpointConfig config;
  private final ScheduledExecutorService executor;
  private final Clock clock;
  private ScheduledFuture<?> task;

  /** Builds a scheduler; nothing runs until {@link #start()}. */
  public CheckpointScheduler(
      RocksShardStore store,
      CheckpointConfig config,
      ScheduledExecutorService executor,
      Clock clock) {
    this.store = store;
    this.config = config;
    this.executor = executor;
    this.clock = clock;
  }

  /** Removes stale {@code .tmp} checkpoints and starts the schedule if it is on. */
  public synchronized void start() {
    ShardCheckpoints.removeStale(store.dataDir());
    if (config.isScheduled() && task == null) {
      long ms = config.interval().toMillis();
      task = executor.scheduleWithFixedDelay(this::scheduled, ms, ms, TimeUnit.MILLISECONDS);
    }
  }

  private void scheduled() {
    try {
      checkpointNow();
    } catch (RuntimeException e) {
      // The next run tries again; the failure must not cancel the schedule.
      LOG.error("scheduled checkpoint of {} failed", store.dataDir(), e);
    }
  }

  /** Takes a checkpoint now, then prunes to the retention; returns the new checkpoint. */
  public synchronized CheckpointInfo checkpointNow() {
    CheckpointInfo info = ShardCheckpoints.create(store, clock);
    for (var old : ShardCheckpoints.prune(store.dataDir(), config.retain())) {
      LOG.info("checkpoint {} removed (retain {})", old, config.retain());
    }
    return info;
  }

  /** Cancels the schedule (a running checkpoint finishes). */
  @Override
  public synchronized void close() {
    if (task != null) {
      task.cancel(false);
      task = null;
    }
  }
}
