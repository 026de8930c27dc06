package io.tempora.deploy.shard;

import io.tempora.engine.store.StoreException;
import io.tempora.persistence.CheckpointConfig;
import io.tempora.persistence.CheckpointInfo;
import io.tempora.persistence.rocks.CheckpointScheduler;
import io.tempora.persistence.rocks.RocksShardStore;
import io.tempora.shardserver.grpc.Checkpointer;
import io.tempora.shardserver.ops.ShardMetrics;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A shard's checkpoints (STORAGE.md §6.1): the schedule of {@code storage.checkpoint_interval}, the
 * retention of {@code storage.checkpoint_retain}, and the Checkpoint RPC. Every checkpoint,
 * scheduled or requested, runs on one thread ({@code tempora-deploy-checkpoint-1}), so they never
 * overlap, and each is counted in the metrics. {@link #reconfigure} (SIGHUP) replaces the schedule.
 * Thread-safe. Owns its thread; does not own the store (close this first).
 */
final class Checkpointing implements Checkpointer, AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Checkpointing.class);

  private final RocksShardStore store;
  private final ShardMetrics metrics;
  private final Clock clock;
  private final ScheduledExecutorService executor;

  // Confined to the executor thread.
  private CheckpointScheduler scheduler;
  private ScheduledFuture<?> task;

  private Checkpointing(
      RocksShardStore store, ShardMetrics metrics, Clock clock, ScheduledExecutorService executor) {
    this.store = store;
    this.metrics = metrics;
    this.clock = clock;
    this.executor = executor;
  }

  /** Removes unfinished checkpoints left by a crash and starts the schedule of {@code config}. */
  static Checkpointing start(
      RocksShardStore store, CheckpointConfig config, ShardMetrics metrics, Clock clock) {
    ScheduledExecutorService executor =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "tempora-deploy-checkpoint-1");
              t.setDaemon(true);
              return t;
            });
    Checkpointing c = new Checkpointing(store, metrics, clock, executor);
    try {
      c.onThread(() -> c.schedule(config));
    } catch (RuntimeException e) {
      executor.shutdownNow();
      throw e;
    }
    return c;
  }

  /** Takes a checkpoint now (after one already running), prunes, and returns it. */
  @Override
  public CheckpointInfo checkpointNow() {
    return onThread(this::take);
  }

  /** Replaces the schedule and retention (SIGHUP); the next checkpoint is one interval away. */
  void reconfigure(CheckpointConfig config) {
    onThread(
        () -> {
          schedule(config);
          return null;
        });
  }

  private Void schedule(CheckpointConfig config) {
    if (task != null) {
      task.cancel(false);
      task = null;
    }
    // The persistence scheduler prunes to its retention; its own timer stays off (interval 0),
    // so that every checkpoint runs here, serialised and counted.
    scheduler =
        new CheckpointScheduler(
            store, new CheckpointConfig(Duration.ZERO, config.retain()), executor, clock);
    scheduler.start();
    if (config.isScheduled()) {
      long ms = config.interval().toMillis();
      task = executor.scheduleWithFixedDelay(this::scheduled, ms, ms, TimeUnit.MILLISECONDS);
    }
    LOG.info(
        "checkpoints: {}, keep {}",
        config.isScheduled() ? "every " + config.interval() : "not scheduled",
        config.retain());
    return null;
  }

  private void scheduled() {
    try {
      take();
    } catch (RuntimeException e) {
      // The next run tries again; a failure must not cancel the schedule.
      LOG.error("scheduled checkpoint of {} failed: {}", store.dataDir(), e.getMessage(), e);
    }
  }

  private CheckpointInfo take() {
    long t0 = System.nanoTime();
    try {
      CheckpointInfo info = scheduler.checkpointNow();
      metrics.checkpointed(true, System.nanoTime() - t0, info.utc());
      return info;
    } catch (RuntimeException e) {
      metrics.checkpointed(false, System.nanoTime() - t0, null);
      throw e;
    }
  }

  private <T> T onThread(Callable<T> body) {
    Future<T> f;
    try {
      f = executor.submit(body);
    } catch (RejectedExecutionException e) {
      throw new StoreException("checkpoint: the shard is shutting down", e);
    }
    try {
      return f.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new StoreException("checkpoint: interrupted while waiting", e);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof RuntimeException r) {
        throw r;
      }
      throw new IllegalStateException(e.getCause());
    }
  }

  /** Cancels the schedule and waits for a running checkpoint to finish. */
  @Override
  public void close() {
    // shutdown(), not shutdownNow(): an interrupt would abort a checkpoint half-way (its fsyncs
    // fail on an interrupted channel); periodic tasks are cancelled by shutdown().
    executor.shutdown();
    try {
      if (!executor.awaitTermination(5, TimeUnit.MINUTES)) {
        LOG.warn("a checkpoint is still running after 5 minutes; closing the store anyway");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
