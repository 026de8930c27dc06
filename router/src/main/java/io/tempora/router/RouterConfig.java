package io.tempora.router;

import io.tempora.engine.Limits;
import java.time.Duration;
import java.util.List;

/**
 * How a router serves and reaches its shards (DISTRIBUTED.md §6, OPERATIONS.md §2). Immutable;
 * validated on construction.
 *
 * @param host address to bind
 * @param port gRPC port; 0 picks a free one
 * @param shards shard addresses {@code host:port}; the position is the shard id
 * @param limits DOMAIN.md §2.2 limits the router validates writes against (same as the shards')
 * @param maxInboundMessageBytes largest client message accepted
 * @param writeDeadline deadline of an ingest or delete sub-batch on a shard ({@code
 *     router.deadline.ingest})
 * @param readDeadline deadline of a read on a shard ({@code router.deadline.read})
 * @param executorThreads threads serving client calls and fan-out
 * @param reconcileStaleness the staleness bound of reconciliation ({@code reconcile.max_staleness},
 *     2 s): the lease holder polls every shard's change-feed head every quarter of it and runs a
 *     round when any has unreconciled changes; zero turns the automatic loop off
 * @param fanout how reads fan out to the shards
 * @param reconcile the reconcile lease and round sizes
 * @param rebalance slot moves
 */
public record RouterConfig(
    String host,
    int port,
    List<String> shards,
    Limits limits,
    int maxInboundMessageBytes,
    Duration writeDeadline,
    Duration readDeadline,
    int executorThreads,
    Duration reconcileStaleness,
    FanoutConfig fanout,
    ReconcileConfig reconcile,
    RebalanceConfig rebalance) {

  /**
   * Reconciliation among several routers (DISTRIBUTED.md §4, OPERATIONS.md §2).
   *
   * @param leaseTtl how long a lease lasts without renewal ({@code reconcile.lease_ttl}, default 10
   *     s); the holder renews every third of it
   * @param maxBatch change events read per shard per round ({@code reconcile.max_batch}, 1..10000,
   *     default 10000); more are split over several rounds
   * @param holder this router's lease holder id, unique among the routers (default: a random one
   *     per process)
   * @param roundsHoldWrites whether this router's client writes wait while its own round runs
   *     ({@code reconcile.rounds_hold_writes}, default true): rounds then finish sooner under
   *     steady writes (lower reconciliation lag) and writes wait for them (higher write latency);
   *     either way writes racing a round's moves are safe (docs/distributed.md "Writes during a
   *     move")
   */
  public record ReconcileConfig(
      Duration leaseTtl, int maxBatch, String holder, boolean roundsHoldWrites) {
    /** Rounds holding this router's writes (the default). */
    public ReconcileConfig(Duration leaseTtl, int maxBatch, String holder) {
      this(leaseTtl, maxBatch, holder, true);
    }

    public ReconcileConfig {
      if (leaseTtl.toMillis() < 1 || leaseTtl.toMillis() > 600_000) {
        throw new IllegalArgumentException(
            "reconcile lease ttl " + leaseTtl.toMillis() + " ms must be in 1..600000 ms");
      }
      if (maxBatch < 1 || maxBatch > 10_000) {
        throw new IllegalArgumentException(
            "reconcile max batch " + maxBatch + " must be in 1..10000");
      }
      if (holder == null || holder.isBlank()) {
        throw new IllegalArgumentException("reconcile lease holder id must not be empty");
      }
    }

    /** 10 s lease, 10,000 events per shard per round, a random holder id. */
    public static ReconcileConfig defaults() {
      return new ReconcileConfig(
          Duration.ofSeconds(10), 10_000, "router-" + java.util.UUID.randomUUID());
    }
  }

  /**
   * Fan-out of reads (DISTRIBUTED.md §4 "Fan-out", OPERATIONS.md §2).
   *
   * @param parallelism at most this many shard calls of one request at a time ({@code
   *     router.fanout_parallelism}, default 64)
   * @param margin subtracted from the client's remaining deadline to give each shard call its
   *     deadline, so the router has time to merge and answer ({@code router.fanout_margin_ms},
   *     default 50 ms)
   */
  public record FanoutConfig(int parallelism, Duration margin) {
    public FanoutConfig {
      if (parallelism < 1) {
        throw new IllegalArgumentException(
            "fan-out parallelism " + parallelism + " must be at least 1");
      }
      if (margin.isNegative()) {
        throw new IllegalArgumentException("fan-out margin " + margin + " must not be negative");
      }
    }

    /** 64 calls at a time, 50 ms margin. */
    public static FanoutConfig defaults() {
      return new FanoutConfig(64, Duration.ofMillis(50));
    }
  }

  /**
   * Slot moves (DISTRIBUTED.md §5, OPERATIONS.md §2).
   *
   * @param maxFreeze how long a client write waits at most while a slot move freezes writes ({@code
   *     rebalance.max_freeze}, default 2 s, 1 ms..10 min); then it is answered UNAVAILABLE without
   *     having applied anything
   */
  public record RebalanceConfig(Duration maxFreeze) {
    public RebalanceConfig {
      if (maxFreeze == null
          || maxFreeze.toMillis() < 1
          || maxFreeze.compareTo(Duration.ofMinutes(10)) > 0) {
        throw new IllegalArgumentException(
            "rebalance max freeze "
                + (maxFreeze == null ? "null" : maxFreeze.toMillis() + " ms")
                + " must be in 1..600000 ms");
      }
    }

    /** Writes wait at most 2 s for a freeze. */
    public static RebalanceConfig defaults() {
      return new RebalanceConfig(Duration.ofSeconds(2));
    }
  }

  /** Router ↔ shard message limit (DISTRIBUTED.md §6): 64 MiB. */
  public static final int SHARD_MESSAGE_BYTES = 64 * 1024 * 1024;

  public RouterConfig {
    if (host == null || host.isBlank()) {
      throw new IllegalArgumentException("host must not be empty");
    }
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("port " + port + " must be in 0..65535");
    }
    shards = List.copyOf(shards);
    if (shards.isEmpty()) {
      throw new IllegalArgumentException("shards: at least one shard address is needed");
    }
    for (String s : shards) {
      int colon = s.lastIndexOf(':');
      if (colon <= 0 || colon == s.length() - 1) {
        throw new IllegalArgumentException("shards: " + s + " is not HOST:PORT");
      }
    }
    if (maxInboundMessageBytes < 1 || executorThreads < 1) {
      throw new IllegalArgumentException("message size and executor threads must be positive");
    }
    if (!writeDeadline.isPositive() || !readDeadline.isPositive()) {
      throw new IllegalArgumentException("deadlines must be positive");
    }
    if (fanout == null || reconcile == null || rebalance == null) {
      throw new IllegalArgumentException("fanout, reconcile and rebalance must be set");
    }
    if (reconcileStaleness.isNegative()) {
      throw new IllegalArgumentException("reconcile staleness must not be negative");
    }
  }

  /**
   * Defaults: DOMAIN.md limits, 16 MiB client messages, 30 s writes, 10 s reads, reconciliation
   * every 2 s.
   */
  public static RouterConfig defaults(String host, int port, List<String> shards) {
    return new RouterConfig(
        host,
        port,
        shards,
        Limits.defaults(),
        16 * 1024 * 1024,
        Duration.ofSeconds(30),
        Duration.ofSeconds(10),
        Math.max(8, 4 * Runtime.getRuntime().availableProcessors()),
        Duration.ofSeconds(2),
        FanoutConfig.defaults(),
        ReconcileConfig.defaults(),
        RebalanceConfig.defaults());
  }

  /** A copy with other limits. */
  public RouterConfig withLimits(Limits limits) {
    return new RouterConfig(
        host,
        port,
        shards,
        limits,
        maxInboundMessageBytes,
        writeDeadline,
        readDeadline,
        executorThreads,
        reconcileStaleness,
        fanout,
        reconcile,
        rebalance);
  }

  /** A copy with another reconciliation period (zero: no automatic loop). */
  public RouterConfig withReconcileStaleness(Duration staleness) {
    return new RouterConfig(
        host,
        port,
        shards,
        limits,
        maxInboundMessageBytes,
        writeDeadline,
        readDeadline,
        executorThreads,
        staleness,
        fanout,
        reconcile,
        rebalance);
  }

  /** A copy with other reconciliation settings. */
  public RouterConfig withReconcile(ReconcileConfig reconcile) {
    return new RouterConfig(
        host,
        port,
        shards,
        limits,
        maxInboundMessageBytes,
        writeDeadline,
        readDeadline,
        executorThreads,
        reconcileStaleness,
        fanout,
        reconcile,
        rebalance);
  }

  /** A copy with other fan-out settings. */
  public RouterConfig withFanout(FanoutConfig fanout) {
    return new RouterConfig(
        host,
        port,
        shards,
        limits,
        maxInboundMessageBytes,
        writeDeadline,
        readDeadline,
        executorThreads,
        reconcileStaleness,
        fanout,
        reconcile,
        rebalance);
  }

  /** A copy with other per-shard-call deadlines used when the client sets none. */
  public RouterConfig withDeadlines(Duration write, Duration read) {
    return new RouterConfig(
        host,
        port,
        shards,
        limits,
        maxInboundMessageBytes,
        write,
        read,
        executorThreads,
        reconcileStaleness,
        fanout,
        reconcile,
        rebalance);
  }

  /** A copy with other slot-move settings. */
  public RouterConfig withRebalance(RebalanceConfig rebalance) {
    return new RouterConfig(
        host,
        port,
        shards,
        limits,
        maxInboundMessageBytes,
        writeDeadline,
        readDeadline,
        executorThreads,
        reconcileStaleness,
        fanout,
        reconcile,
        rebalance);
  }
}
