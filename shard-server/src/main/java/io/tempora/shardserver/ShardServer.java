package io.tempora.shardserver;

import io.grpc.Server;
import io.grpc.ServerBuilder;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.protobuf.services.ProtoReflectionServiceV1;
import io.tempora.engine.Engine;
import io.tempora.persistence.HomeDirectory;
import io.tempora.persistence.InMemoryHomeDirectory;
import io.tempora.shardserver.grpc.ShardInternalGrpcService;
import io.tempora.shardserver.grpc.TemporaGrpcService;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
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
 * health port (OPERATIONS.md §3). Readiness turns SERVING once both listen. {@link #close()}
 * drains: readiness NOT_SERVING, the drain delay, shutdown, await the grace period, shutdownNow.
 * Thread-safe. Owns its servers and handler executor; does not own the engine.
 */
public final class ShardServer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ShardServer.class);

  /** Health service names answering readiness (OPERATIONS.md §3). */
  public static final List<String> READINESS_SERVICES =
      List.of("", "tempora.internal.v1.Shard", "tempora.v1.TemporaService");

  /** Health service name answering liveness. */
  public static final String LIVENESS_SERVICE = "liveness";

  private enum State {
    SERVING,
    DRAINING,
    CLOSED
  }

  private final ShardServerConfig config;
  private final Server main;
  private final Server health;
  private final HealthStatusManager healthStatus;
  private final ExecutorService executor;
  private State state = State.SERVING;

  private ShardServer(
      ShardServerConfig config,
      Server main,
      Server health,
      HealthStatusManager healthStatus,
      ExecutorService executor) {
    this.config = config;
    this.main = main;
    this.health = health;
    this.healthStatus = healthStatus;
    this.executor = executor;
  }

  /**
   * Starts Netty servers on {@code config.host()}: the main port and, unless -1, the health port.
   */
  public static ShardServer start(ShardServerConfig config, Engine engine) {
    return start(config, engine, new InMemoryHomeDirectory());
  }

  /** As {@link #start(ShardServerConfig, Engine)} with this shard's identity directory. */
  public static ShardServer start(
      ShardServerConfig config, Engine engine, HomeDirectory directory) {
    ServerBuilder<?> main =
        NettyServerBuilder.forAddress(new InetSocketAddress(config.host(), config.port()));
    ServerBuilder<?> health =
        config.healthPort() < 0
            ? null
            : NettyServerBuilder.forAddress(
                new InetSocketAddress(config.host(), config.healthPort()));
    return start(main, health, config, engine, directory);
  }

  /**
   * Starts the services on given builders (e.g. in-process ones in tests); host and ports of the
   * config are not used.
   *
   * @param healthBuilder builder of the health-only server, or null for none
   */
  public static ShardServer start(
      ServerBuilder<?> mainBuilder,
      ServerBuilder<?> healthBuilder,
      ShardServerConfig config,
      Engine engine) {
    return start(mainBuilder, healthBuilder, config, engine, new InMemoryHomeDirectory());
  }

  /** As above, with this shard's part of the identity directory (not owned). */
  public static ShardServer start(
      ServerBuilder<?> mainBuilder,
      ServerBuilder<?> healthBuilder,
      ShardServerConfig config,
      Engine engine,
      HomeDirectory directory) {
    ExecutorService executor =
        Executors.newFixedThreadPool(config.executorThreads(), named("tempora-shard-grpc-"));
    HealthStatusManager healthStatus = new HealthStatusManager();
    Server main = null;
    Server health = null;
    try {
      mainBuilder
          .executor(executor)
          .maxInboundMessageSize(config.maxInboundMessageBytes())
          .maxInboundMetadataSize(config.maxInboundMetadataBytes())
          .addService(new TemporaGrpcService(engine))
          .addService(new ShardInternalGrpcService(engine, directory))
          .addService(healthStatus.getHealthService());
      if (config.reflection()) {
        mainBuilder.addService(ProtoReflectionServiceV1.newInstance());
      }
      main = mainBuilder.build().start();
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
      // Release what already started before reporting the failure.
      if (main != null) {
        main.shutdownNow();
      }
      executor.shutdownNow();
      throw e instanceof IOException io ? new UncheckedIOException(io) : (RuntimeException) e;
    }
    for (String service : READINESS_SERVICES) {
      healthStatus.setStatus(service, ServingStatus.SERVING);
    }
    healthStatus.setStatus(LIVENESS_SERVICE, ServingStatus.SERVING);
    ShardServer server = new ShardServer(config, main, health, healthStatus, executor);
    LOG.info("shard serving on port {} (health port {})", server.port(), server.healthPort());
    return server;
  }

  private static ThreadFactory named(String prefix) {
    AtomicInteger n = new AtomicInteger();
    return r -> {
      Thread t = new Thread(r, prefix + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }

  /** The main port actually bound, or -1 for a server without a socket (in-process). */
  public int port() {
    return main.getPort();
  }

  /** The health port actually bound; -1 if there is none. */
  public int healthPort() {
    return health == null ? -1 : health.getPort();
  }

  /** Turns readiness NOT_SERVING (health Watch clients are told); calls are still served. */
  public synchronized void markNotServing() {
    if (state == State.SERVING) {
      state = State.DRAINING;
      for (String service : READINESS_SERVICES) {
        healthStatus.setStatus(service, ServingStatus.NOT_SERVING);
      }
    }
  }

  /** Blocks until both servers have terminated. */
  public void awaitTermination() throws InterruptedException {
    main.awaitTermination();
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
    synchronized (this) {
      if (state == State.CLOSED) {
        return;
      }
      markNotServing();
      state = State.CLOSED;
    }
    boolean interrupted = false;
    try {
      sleepDrainDelay();
      main.shutdown();
      if (!main.awaitTermination(config.shutdownGrace().toMillis(), TimeUnit.MILLISECONDS)) {
        LOG.warn("calls still running after {}; cancelling them", config.shutdownGrace());
      }
    } catch (InterruptedException e) {
      interrupted = true;
    } finally {
      main.shutdownNow();
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
