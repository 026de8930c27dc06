package io.tempora.shardserver.ops;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.Gauge;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.instrumentation.jvm.JvmMetrics;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.registry.PrometheusScrapeRequest;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import java.time.Instant;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.DoubleSupplier;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A shard's Prometheus metrics (OPERATIONS.md §5) on its own registry, so that several shards in
 * one JVM (tests) do not collide. Thread-safe.
 */
public final class ShardMetrics {
  /** Latency buckets of OPERATIONS.md §5, in seconds. */
  static final double[] LATENCY_BUCKETS = {
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30
  };

  /** Checkpoint duration buckets, in seconds: checkpoints flush memtables, so they take longer. */
  static final double[] CHECKPOINT_BUCKETS = {
    0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300
  };

  private final StartingRegistry registry = new StartingRegistry();
  final Counter rpcRequests;
  final Histogram rpcDuration;
  final Gauge rpcInFlight;
  final Counter requestsShed;
  private final Counter ingestRequests;
  private final Counter ingestRecords;
  private final Counter ingestBytes;
  private final Counter configReloads;
  private final Gauge recoveryDuration;
  private final Histogram walSyncDuration;
  private final Histogram groupCommitBatch;
  private final Counter checkpoints;
  private final Histogram checkpointDuration;
  private final Gauge lastCheckpoint;
  private final Gauge manualCompactionsRunning;
  private final Counter manualCompactions;
  private final Counter manualCompactionSeconds;

  /**
   * @param shardId labels {@code tempora_shard_info}
   * @param version labels {@code tempora_build_info}
   */
  public ShardMetrics(int shardId, String version) {
    // JVM memory, GC, threads, class loading and process figures from the management beans:
    // registered on a thread of their own, since initialising the beans takes a large part of a
    // second on a busy machine and start-up does not need them; a scrape waits for them.
    registry.registerJvmMetrics();
    Gauge.builder()
        .name("tempora_build_info")
        .help("Build of this process")
        .labelNames("version")
        .register(registry)
        .labelValues(version)
        .set(1);
    Gauge.builder()
        .name("tempora_shard_info")
        .help("The shard this process serves")
        .labelNames("shard")
        .register(registry)
        .labelValues(Integer.toString(shardId))
        .set(1);
    rpcRequests =
        Counter.builder()
            .name("tempora_rpc_requests_total")
            .help("RPCs completed, by method and status code")
            .labelNames("method", "code")
            .register(registry);
    rpcDuration =
        Histogram.builder()
            .name("tempora_rpc_duration_seconds")
            .help("RPC latency from call start to status, by method and status code")
            .labelNames("method", "code")
            .classicOnly()
            .classicUpperBounds(LATENCY_BUCKETS)
            .register(registry);
    rpcInFlight =
        Gauge.builder()
            .name("tempora_rpc_in_flight")
            .help("RPCs started and not yet completed")
            .labelNames("method")
            .register(registry);
    requestsShed =
        Counter.builder()
            .name("tempora_requests_shed_total")
            .help("Requests rejected at admission, by reason")
            .labelNames("reason")
            .register(registry);
    ingestRequests =
        Counter.builder()
            .name("tempora_ingest_requests_total")
            .help("Ingest requests applied")
            .register(registry);
    ingestRecords =
        Counter.builder()
            .name("tempora_ingest_records_total")
            .help("Records in applied ingest requests, by outcome")
            .labelNames("outcome")
            .register(registry);
    ingestBytes =
        Counter.builder()
            .name("tempora_ingest_bytes_total")
            .help("Serialized bytes of admitted ingest messages")
            .register(registry);
    configReloads =
        Counter.builder()
            .name("tempora_config_reloads_total")
            .help("Configuration reloads (SIGHUP), by result")
            .labelNames("result")
            .register(registry);
    walSyncDuration =
        Histogram.builder()
            .name("tempora_wal_sync_duration_seconds")
            .help("Duration of WAL fsyncs")
            .classicOnly()
            .classicUpperBounds(LATENCY_BUCKETS)
            .register(registry);
    groupCommitBatch =
        Histogram.builder()
            .name("tempora_group_commit_batch_size")
            .help("Commits made durable by one WAL fsync (group commit)")
            .classicOnly()
            .classicUpperBounds(1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024)
            .register(registry);
    checkpoints =
        Counter.builder()
            .name("tempora_checkpoints_total")
            .help("Checkpoints taken (scheduled and on request), by result")
            .labelNames("result")
            .register(registry);
    checkpointDuration =
        Histogram.builder()
            .name("tempora_checkpoint_duration_seconds")
            .help("Time to take one checkpoint, including pruning old ones")
            .classicOnly()
            .classicUpperBounds(CHECKPOINT_BUCKETS)
            .register(registry);
    lastCheckpoint =
        Gauge.builder()
            .name("tempora_last_checkpoint_timestamp_seconds")
            .help("When the last successful checkpoint was taken (Unix time; 0 = none yet)")
            .register(registry);
    manualCompactionsRunning =
        Gauge.builder()
            .name("tempora_manual_compactions_running")
            .help("Manual compactions (admin compact) running now: 0 or 1")
            .register(registry);
    manualCompactions =
        Counter.builder()
            .name("tempora_manual_compactions_total")
            .help("Manual compactions (admin compact) finished, by result (ok, error)")
            .labelNames("result")
            .register(registry);
    manualCompactionSeconds =
        Counter.builder()
            .name("tempora_manual_compaction_seconds_total")
            .help("Time spent in finished manual compactions")
            .register(registry);
    recoveryDuration =
        Gauge.builder()
            .name("tempora_recovery_duration_seconds")
            .help("Time the last start spent opening and checking the store")
            .register(registry);
  }

  /**
   * Sets {@code tempora_durability_mode_info{mode}} to 1 for the store's durability mode (once, at
   * start).
   */
  public void durabilityMode(String mode) {
    Gauge.builder()
        .name("tempora_durability_mode_info")
        .help("The durability mode of this shard's store (storage.durability)")
        .labelNames("mode")
        .register(registry)
        .labelValues(mode)
        .set(1);
  }

  /** The registry the HTTP port exports. */
  public PrometheusRegistry registry() {
    return registry;
  }

  /** Counts one applied ingest request and its records by outcome (created, updated, unchanged). */
  public void ingested(long created, long updated, long unchanged) {
    ingestRequests.inc();
    ingestRecords.labelValues("created").inc(created);
    ingestRecords.labelValues("updated").inc(updated);
    ingestRecords.labelValues("unchanged").inc(unchanged);
  }

  void ingestBytes(long bytes) {
    ingestBytes.inc(bytes);
  }

  /** Counts a configuration reload with result {@code ok} or {@code error}. */
  public void configReloaded(String result) {
    configReloads.labelValues(result).inc();
  }

  /** Records one WAL fsync: how many commits it covered and how long it took. */
  public void walSynced(long writes, long nanos) {
    walSyncDuration.observe(nanos / 1e9);
    groupCommitBatch.observe(writes);
  }

  /**
   * Records one checkpoint attempt.
   *
   * @param ok whether it succeeded (label {@code result} = {@code ok} or {@code error})
   * @param nanos how long it took
   * @param takenAt when it was taken (successes only; null otherwise)
   */
  public void checkpointed(boolean ok, long nanos, Instant takenAt) {
    checkpoints.labelValues(ok ? "ok" : "error").inc();
    checkpointDuration.observe(nanos / 1e9);
    if (ok) {
      lastCheckpoint.set(takenAt.getEpochSecond());
    }
  }

  /** A manual compaction started. */
  public void manualCompactionStarted() {
    manualCompactionsRunning.set(1);
  }

  /** A manual compaction ended ({@code ok} false: failed or cancelled) after {@code nanos}. */
  public void manualCompactionFinished(boolean ok, long nanos) {
    manualCompactionsRunning.set(0);
    manualCompactions.labelValues(ok ? "ok" : "error").inc();
    manualCompactionSeconds.inc(nanos / 1e9);
  }

  /** Sets how long the store took to open and check. */
  public void recovered(double seconds) {
    recoveryDuration.set(seconds);
  }

  /** Registers a gauge read at scrape time (a cheap in-memory figure). */
  public void gauge(String name, String help, DoubleSupplier value) {
    GaugeWithCallback.builder()
        .name(name)
        .help(help)
        .callback(cb -> cb.call(value.getAsDouble()))
        .register(registry);
  }

  /** Registers a counter read at scrape time; {@code name} ends in {@code _total}. */
  public void counter(String name, String help, DoubleSupplier value) {
    CounterWithCallback.builder()
        .name(name)
        .help(help)
        .callback(cb -> cb.call(value.getAsDouble()))
        .register(registry);
  }

  /**
   * The registry. JVM metrics live in one registry per JVM ({@link #JVM}), registered once by a
   * background thread: the Prometheus library keeps every registry it registered them in for the
   * life of the JVM, so registering them per shard leaked each in-process shard's whole registry
   * (the router's 100,000-seed simulation ran out of heap). Every scrape adds them, waiting for
   * that registration first (at most 10 s), so no scrape ever lacks them once the process runs.
   */
  private static final class StartingRegistry extends PrometheusRegistry {
    private static final Logger LOG = LoggerFactory.getLogger(ShardMetrics.class);
    private static final PrometheusRegistry JVM = new PrometheusRegistry();
    private static final CompletableFuture<Void> JVM_REGISTERED = new CompletableFuture<>();
    private static final AtomicBoolean JVM_STARTED = new AtomicBoolean();

    void registerJvmMetrics() {
      if (!JVM_STARTED.compareAndSet(false, true)) {
        return;
      }
      Thread t =
          new Thread(
              () -> {
                try {
                  JvmMetrics.builder().register(JVM);
                  JVM_REGISTERED.complete(null);
                } catch (RuntimeException e) {
                  LOG.warn("JVM metrics not registered: {}", e.toString());
                  JVM_REGISTERED.completeExceptionally(e);
                }
              },
              "tempora-jvm-metrics");
      t.setDaemon(true);
      t.start();
    }

    private static MetricSnapshots withJvm(MetricSnapshots own, Supplier<MetricSnapshots> jvm) {
      try {
        JVM_REGISTERED.get(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return own;
      } catch (ExecutionException | TimeoutException e) {
        // Scrape what is there; the failure was logged (or registration is still running).
      }
      // The library's scrape variants call each other: add each JVM metric once.
      Set<String> names = new HashSet<>();
      MetricSnapshots.Builder all = MetricSnapshots.builder();
      for (var m : own) {
        names.add(m.getMetadata().getPrometheusName());
        all.metricSnapshot(m);
      }
      for (var m : jvm.get()) {
        if (names.add(m.getMetadata().getPrometheusName())) {
          all.metricSnapshot(m);
        }
      }
      return all.build();
    }

    @Override
    public MetricSnapshots scrape() {
      return withJvm(super.scrape(), JVM::scrape);
    }

    @Override
    public MetricSnapshots scrape(PrometheusScrapeRequest request) {
      return withJvm(super.scrape(request), () -> JVM.scrape(request));
    }

    @Override
    public MetricSnapshots scrape(Predicate<String> includedNames) {
      return withJvm(super.scrape(includedNames), () -> JVM.scrape(includedNames));
    }

    @Override
    public MetricSnapshots scrape(
        Predicate<String> includedNames, PrometheusScrapeRequest request) {
      return withJvm(
          super.scrape(includedNames, request), () -> JVM.scrape(includedNames, request));
    }
  }
}
