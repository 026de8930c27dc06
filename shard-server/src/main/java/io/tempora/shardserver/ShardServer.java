package io.tempora.shardserver;

import io.grpc.Server;
import io.grpc.ServerBuilder;
import io.grpc.ServerInterceptors;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.protobuf.services.ProtoReflectionServiceV1;
import io.tempora.engine.Engine;
import io.tempora.persistence.HomeDirectory;
import io.tempora.persistence.InMemoryHomeDirectory;
import io.tempora.shardserver.grpc.ActivationReadGuard;
import io.tempora.shardserver.grpc.CarryMarks;
import io.tempora.shardserver.grpc.Checkpointer;
import io.tempora.shardserver.grpc.Compactor;
import io.tempora.shardserver.grpc.Exporter;
import io.tempora.shardserver.grpc.LeaseFenceInterceptor;
import io.tempora.shardserver.grpc.MalformedRequestGuard;
import io.tempora.shardserver.grpc.MapEpochGuard;
import io.tempora.shardserver.grpc.ReconcileState;
import io.tempora.shardserver.grpc.ShardInternalGrpcService;
import io.tempora.shardserver.grpc.SlotStore;
import io.tempora.shardserver.grpc.StagedWriteActivator;
import io.tempora.shardserver.grpc.SwitchReadGuard;
import io.tempora.shardserver.grpc.TemporaGrpcService;
import io.tempora.shardserver.ops.IngestAdmission;
import io.tempora.shardserver.ops.RpcMetricsInterceptor;
import io.tempora.shardserver.ops.ShardMetrics;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One shard's gRPC servers: the main port (TemporaService, health, reflection) and the plaintext
 * health port (OPERATIONS.md §3). {@link #open} starts the health port with readiness NOT_SERVING
 * ("recovering") so probes see the shard while its store opens; {@link #serve} starts the main port
 * on the engine and turns readiness SERVING. {@link #close()} drains: readiness NOT_SERVING, the
 * drain delay, shutdown, await the grace period, shutdownNow. Thread-safe. Owns its servers and
 * handler executor; does not own the engine.
 */
public final class ShardServer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ShardServer.class);

  /** Health service names answering readiness (OPERATIONS.md §3). */
  public static final List<String> READINESS_SERVICES =
      List.of("", "tempora.internal.v1.Shard", "tempora.v1.TemporaService");

  /** Health service name answering liveness. */
  public static final String LIVENESS_SERVICE = "liveness";

  private enum State {
    RECOVERING,
    SERVING,
    DRAINING,
    CLOSED
  }

  private final ShardServerConfig config;
  private final ServerBuilder<?> mainBuilder;
  private final Server health;
  private final HealthStatusManager healthStatus;
  private final ExecutorService executor;
  private final ShardMetrics metrics;
  private Server main;
  private volatile SlotStore slots;
  private State state = State.RECOVERING;
  private String writeProblem;

  private ShardServer(
      ShardServerConfig config,
      ServerBuilder<?> mainBuilder,
      Server health,
      HealthStatusManager healthStatus,
      ExecutorService executor,
      ShardMetrics metrics) {
    this.config = config;
    this.mainBuilder = mainBuilder;
    this.health = health;
    this.healthStatus = healthStatus;
    this.executor = executor;
    this.metrics = metrics;
  }

  /** Opens on Netty on {@code config.host()}, then serves the engine (tests, embedded use). */
  public static ShardServer start(ShardServerConfig config, Engine engine) {
    ShardServer s = open(config, new ShardMetrics(0, "dev"));
    s.serve(engine);
    return s;
  }

  /** Opens on the given builders (e.g. in-process ones), then serves the engine. */
  public static ShardServer start(
      ServerBuilder<?> mainBuilder,
      ServerBuilder<?> healthBuilder,
      ShardServerConfig config,
      Engine engine) {
    ShardServer s = open(mainBuilder, healthBuilder, config, new ShardMetrics(0, "dev"));
    s.serve(engine);
    return s;
  }

  /**
   * Starts the health port (unless {@code config.healthPort()} is -1) on Netty with readiness
   * NOT_SERVING; the main port binds in {@link #serve}.
   */
  public static ShardServer open(ShardServerConfig config, ShardMetrics metrics) {
    ServerBuilder<?> main =
        NettyServerBuilder.forAddress(new InetSocketAddress(config.host(), config.port()));
    ServerBuilder<?> health =
        config.healthPort() < 0
            ? null
            : NettyServerBuilder.forAddress(
                new InetSocketAddress(config.host(), config.healthPort()));
    return open(main, health, config, metrics);
  }

  /**
   * Starts the health server on {@code healthBuilder} (null for none) with readiness NOT_SERVING
   * and liveness SERVING; host and ports of the config are not used.
   */
  public static ShardServer open(
      ServerBuilder<?> mainBuilder,
      ServerBuilder<?> healthBuilder,
      ShardServerConfig config,
      ShardMetrics metrics) {
    ExecutorService executor =
        Executors.newFixedThreadPool(config.executorThreads(), named("tempora-shard-grpc-"));
    HealthStatusManager healthStatus = new HealthStatusManager();
    for (String service : READINESS_SERVICES) {
      healthStatus.setStatus(service, ServingStatus.NOT_SERVING);
    }
    healthStatus.setStatus(LIVENESS_SERVICE, ServingStatus.SERVING);
    Server health = null;
    try {
      if (healthBuilder != null) {
        health =
            healthBuilder
                .executor(executor)
                .maxInboundMessageSize(64 * 1024)
                .addService(healthStatus.getHealthService())
                .build()
                .start();
      }
    } catch (IOException | RuntimeException e) {
      executor.shutdownNow();
      throw e instanceof IOException io ? new UncheckedIOException(io) : (RuntimeException) e;
    }
    return new ShardServer(config, mainBuilder, health, healthStatus, executor, metrics);
  }

  /**
   * Starts the main port serving {@code engine} with an in-memory identity directory (a shard used
   * without a router: tests, embedded use) and turns readiness SERVING.
   *
   * @throws IllegalStateException if already serving or closed
   */
  public void serve(Engine engine) {
    serve(engine, new InMemoryHomeDirectory());
  }

  /**
   * Starts the main port serving {@code engine} and this shard's part of the identity directory
   * (not owned: the caller closes it after this server) and turns readiness SERVING.
   *
   * @throws IllegalStateException if already serving or closed
   */
  public void serve(Engine engine, HomeDirectory directory) {
    serve(engine, directory, null);
  }

  /**
   * As {@link #serve(Engine, HomeDirectory)}, with the Checkpoint RPC answered by {@code
   * checkpointer} (null: UNIMPLEMENTED).
   *
   * @throws IllegalStateException if already serving or closed
   */
  public void serve(Engine engine, HomeDirectory directory, Checkpointer checkpointer) {
    serve(engine, directory, checkpointer, null);
  }

  /**
   * As {@link #serve(Engine, HomeDirectory, Checkpointer)}, with the Export RPC answered by {@code
   * exporter} (null: UNIMPLEMENTED).
   *
   * @throws IllegalStateException if already serving or closed
   */
  public void serve(
      Engine engine, HomeDirectory directory, Checkpointer checkpointer, Exporter exporter) {
    serve(engine, directory, checkpointer, exporter, null);
  }

  /**
   * As {@link #serve(Engine, HomeDirectory, Checkpointer, Exporter)}, with the Compact RPC answered
   * by {@code compactor} (null: UNIMPLEMENTED).
   *
   * @throws IllegalStateException if already serving or closed
   */
  public void serve(
      Engine engine,
      HomeDirectory directory,
      Checkpointer checkpointer,
      Exporter exporter,
      Compactor compactor) {
    serve(engine, directory, checkpointer, exporter, compactor, Clock.systemUTC());
  }

  /**
   * As {@link #serve(Engine, HomeDirectory)}, with the reconcile lease's expiry judged by {@code
   * leaseClock} instead of the system clock (a test seam: the router simulation moves time on
   * itself).
   *
   * @throws IllegalStateException if already serving or closed
   */
  public void serveWithLeaseClock(Engine engine, HomeDirectory directory, Clock leaseClock) {
    serve(engine, directory, null, null, null, leaseClock);
  }

  private synchronized void serve(
      Engine engine,
      HomeDirectory directory,
      Checkpointer checkpointer,
      Exporter exporter,
      Compactor compactor,
      Clock leaseClock) {
    if (state != State.RECOVERING) {
      throw new IllegalStateException("serve() in state " + state);
    }
    SlotStore slots = new SlotStore(directory);
    this.slots = slots;
    ReconcileState reconcile = ReconcileState.open(directory, leaseClock);
    LeaseFenceInterceptor fence = new LeaseFenceInterceptor(reconcile);
    // On the typed services (it reads the parsed request).
    ActivationReadGuard activation = new ActivationReadGuard(slots, engine.config().shardId());
    StagedWriteActivator activateFirst = new StagedWriteActivator(engine, slots);
    CarryMarks marks = CarryMarks.open(directory);
    mainBuilder
        .executor(executor)
        .maxInboundMessageSize(config.maxInboundMessageBytes())
        .maxInboundMetadataSize(config.maxInboundMetadataBytes())
        .intercept(new MapEpochGuard(slots, engine.config().shardId()))
        .intercept(new SwitchReadGuard(slots, engine.config().shardId()))
        .intercept(new RpcMetricsInterceptor(metrics))
        .addService(
            ServerInterceptors.intercept(
                MalformedRequestGuard.guard(
                    ServerInterceptors.intercept(
                        new TemporaGrpcService(
                            engine, metrics, checkpointer, exporter, compactor, marks),
                        new IngestAdmission(
                            config.ingestQueueRequests(), config.ingestQueueBytes(), metrics),
                        activation,
                        activateFirst)),
                fence))
        .addService(
            ServerInterceptors.intercept(
                new ShardInternalGrpcService(
                    engine, directory, slots, reconcile, config.changeFeedBytes(), marks),
                activateFirst,
                fence))
        .addService(healthStatus.getHealthService());
    if (config.reflection()) {
      mainBuilder.addService(ProtoReflectionServiceV1.newInstance());
    }
    try {
      main = mainBuilder.build().start();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot bind the main port " + config.port(), e);
    }
    state = State.SERVING;
    for (String service : READINESS_SERVICES) {
      healthStatus.setStatus(
          service, writeProblem == null ? ServingStatus.SERVING : ServingStatus.NOT_SERVING);
    }
    LOG.info("shard serving on port {} (health port {})", port(), healthPort());
  }

  private static ThreadFactory named(String prefix) {
    AtomicInteger n = new AtomicInteger();
    return r -> {
      Thread t = new Thread(r, prefix + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }

  /** The main port actually bound; -1 before {@link #serve} or without a socket (in-process). */
  public synchronized int port() {
    return main == null ? -1 : main.getPort();
  }

  /** The health port actually bound; -1 if there is none. */
  public int healthPort() {
    return health == null ? -1 : health.getPort();
  }

  /** The metrics this server records into. */
  public ShardMetrics metrics() {
    return metrics;
  }

  /**
   * Point reads waiting here for a slot move's activation ({@link ActivationReadGuard}); 0 before
   * {@code serve}. For tests and diagnostics.
   */
  public int activationWaiters() {
    SlotStore s = slots;
    return s == null ? 0 : s.activationWaiters();
  }

  /**
   * STORAGE.md §4.4: the store refuses writes after a failed write; readiness NOT_SERVING with
   * {@code reason} until {@link #writesResumed()}. Reads are still served.
   */
  public synchronized void writesRefused(String reason) {
    writeProblem = "writes refused: " + reason;
    if (state == State.SERVING) {
      for (String service : READINESS_SERVICES) {
        healthStatus.setStatus(service, ServingStatus.NOT_SERVING);
      }
    }
  }

  /** The store accepts writes again: readiness SERVING (unless shutting down). */
  public synchronized void writesResumed() {
    writeProblem = null;
    if (state == State.SERVING) {
      for (String service : READINESS_SERVICES) {
        healthStatus.setStatus(service, ServingStatus.SERVING);
      }
    }
  }

  /** Null when ready (readiness SERVING), else why not: for {@code /readyz}. */
  public synchronized String readinessProblem() {
    return switch (state) {
      case SERVING -> writeProblem;
      case RECOVERING -> "recovering: opening and checking the store";
      case DRAINING, CLOSED -> "shutting down";
    };
  }

  /** Null when live: the process answers, including during recovery (for {@code /healthz}). */
  public synchronized String livenessProblem() {
    return state == State.CLOSED ? "stopped" : null;
  }

  /** Turns readiness NOT_SERVING (health Watch clients are told); calls are still served. */
  public synchronized void markNotServing() {
    if (state == State.SERVING || state == State.RECOVERING) {
      state = State.DRAINING;
      for (String service : READINESS_SERVICES) {
        healthStatus.setStatus(service, ServingStatus.NOT_SERVING);
      }
    }
  }

  /** Blocks until the servers have terminated. */
  public void awaitTermination() throws InterruptedException {
    Server m;
    synchronized (this) {
      m = main;
    }
    if (m != null) {
      m.awaitTermination();
    }
    if (health != null) {
      health.awaitTermination();
    }
  }

  /**
   * Drains and stops: readiness NOT_SERVING, the drain delay, then shutdown; calls in flight get
   * the grace period to finish before the rest are cancelled. Idempotent.
   */
  @Override
  public void close() {
    Server m;
    synchronized (this) {
      if (state == State.CLOSED) {
        return;
      }
      markNotServing();
      state = State.CLOSED;
      m = main;
    }
    boolean interrupted = false;
    try {
      if (m != null) {
        sleepDrainDelay();
        m.shutdown();
        if (!m.awaitTermination(config.shutdownGrace().toMillis(), TimeUnit.MILLISECONDS)) {
          LOG.warn("calls still running after {}; cancelling them", config.shutdownGrace());
        }
      }
    } catch (InterruptedException e) {
      interrupted = true;
    } finally {
      if (m != null) {
        m.shutdownNow();
      }
      healthStatus.enterTerminalState();
      if (health != null) {
        health.shutdownNow();
      }
      executor.shutdownNow();
      LOG.info("shard server stopped");
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
  }

  private void sleepDrainDelay() throws InterruptedException {
    if (!config.drainDelay().isZero()) {
      // Routers and endpoints need this long to notice NOT_SERVING (OPERATIONS.md §3 step 2).
      TimeUnit.MILLISECONDS.sleep(config.drainDelay().toMillis());
    }
  }
}
