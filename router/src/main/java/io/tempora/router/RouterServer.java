package io.tempora.router;

import io.grpc.Server;
import io.grpc.ServerBuilder;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.protobuf.services.ProtoReflectionServiceV1;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A router's gRPC server: {@code TemporaService} (forwarded, routed and fanned out to the shards),
 * health and reflection. Stateless: it holds only channels. Thread-safe. Owns its server, its
 * executors and the shard clients it is given.
 */
public final class RouterServer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(RouterServer.class);

  private final Server server;
  private final List<ShardClient> shards;
  private final ExecutorService handlers;
  private final ExecutorService fanout;
  private final ScheduledExecutorService loop;
  private final HealthStatusManager health;
  private final RouterGrpcService service;

  private RouterServer(
      Server server,
      List<ShardClient> shards,
      ExecutorService handlers,
      ExecutorService fanout,
      ScheduledExecutorService loop,
      HealthStatusManager health,
      RouterGrpcService service) {
    this.service = service;
    this.server = server;
    this.loop = loop;
    this.shards = shards;
    this.handlers = handlers;
    this.fanout = fanout;
    this.health = health;
  }

  /** Starts a Netty server on {@code config.host():config.port()} with channels to the shards. */
  public static RouterServer start(RouterConfig config) {
    List<ShardClient> clients = new ArrayList<>();
    for (int i = 0; i < config.shards().size(); i++) {
      clients.add(ShardClient.connect(i, config.shards().get(i)));
    }
    return start(
        NettyServerBuilder.forAddress(new InetSocketAddress(config.host(), config.port())),
        clients,
        config);
  }

  /** Starts the service on a given builder (e.g. in-process in tests) with given shard clients. */
  public static RouterServer start(
      ServerBuilder<?> builder, List<ShardClient> shards, RouterConfig config) {
    return start(
        builder,
        shards,
        config,
        Executors.newCachedThreadPool(named("tempora-router-fanout-")),
        System::nanoTime);
  }

  /**
   * As above, with the executor of the parallel shard calls and the reconcile lease's monotonic
   * clock given (a test seam: the router simulation passes an executor running the calls in the
   * caller's thread, so a request's shard calls happen in shard order, and its virtual time). The
   * router owns the executor: {@link #close} shuts it down.
   */
  static RouterServer start(
      ServerBuilder<?> builder,
      List<ShardClient> shards,
      RouterConfig config,
      ExecutorService fanout,
      LongSupplier nanos) {
    ExecutorService handlers =
        Executors.newFixedThreadPool(config.executorThreads(), named("tempora-router-grpc-"));
    HealthStatusManager health = new HealthStatusManager();
    RouterGrpcService service = new RouterGrpcService(shards, config, fanout, nanos);
    Server server;
    try {
      // Adopt the stored shard map and finish flipped moves before serving any write.
      service.rebalancer().start();
      server =
          builder
              .executor(handlers)
              .maxInboundMessageSize(config.maxInboundMessageBytes())
              .addService(
                  io.grpc.ServerInterceptors.intercept(
                      service,
                      new SettledReads(
                          service.reconcileLoop(),
                          shards.size() == 1,
                          config.readDeadline(),
                          config.fanout().margin())))
              .addService(new RouterAdminGrpcService(service))
              .addService(health.getHealthService())
              .addService(ProtoReflectionServiceV1.newInstance())
              .build()
              .start();
    } catch (IOException | RuntimeException e) {
      service.rebalancer().close();
      handlers.shutdownNow();
      fanout.shutdownNow();
      shards.forEach(ShardClient::close);
      throw e instanceof IOException io ? new UncheckedIOException(io) : (RuntimeException) e;
    }
    health.setStatus("", ServingStatus.SERVING);
    health.setStatus("tempora.v1.TemporaService", ServingStatus.SERVING);
    ScheduledExecutorService loop =
        Executors.newSingleThreadScheduledExecutor(named("tempora-router-reconcile-"));
    if (config.reconcileStaleness().isPositive() && shards.size() > 1) {
      // DS-3: the lease holder polls every shard's head at least every max_staleness / 4.
      long ms = Math.max(1, config.reconcileStaleness().toMillis() / 4);
      ReconcileLoop rounds = service.reconcileLoop();
      loop.scheduleWithFixedDelay(
          () -> {
            try {
              rounds.poll();
            } catch (RuntimeException e) {
              LOG.warn("reconciliation poll failed; retrying in {} ms: {}", ms, e.toString());
            }
          },
          ms,
          ms,
          TimeUnit.MILLISECONDS);
    }
    RouterServer r =
        new RouterServer(server, List.copyOf(shards), handlers, fanout, loop, health, service);
    LOG.info("router serving on port {} in front of {} shard(s)", r.port(), shards.size());
    return r;
  }

  private static ThreadFactory named(String prefix) {
    AtomicInteger n = new AtomicInteger();
    return r -> {
      Thread t = new Thread(r, prefix + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }

  /** This router's metrics (reconciliation lag, lease, rounds). */
  public RouterMetrics metrics() {
    return service.metrics();
  }

  /** Client reads waiting for a slot move's switch now (a test seam). */
  int readsWaiting() {
    return service.readsWaiting();
  }

  /** Installs a test seam in this router's moves ({@link MoveHook}). */
  void moveHook(MoveHook hook) {
    service.moveHook(hook);
  }

  /** Keeps this router's lease (renewing it when due), for a test seam that pauses a round. */
  void holdLease() {
    service.reconcileLoop().lease().hold();
  }

  /** The port bound, or -1 in-process. */
  public int port() {
    return server.getPort();
  }

  /** Blocks until the server has terminated. */
  public void awaitTermination() throws InterruptedException {
    server.awaitTermination();
  }

  /** Stops: NOT_SERVING, shutdown with a 10 s grace for calls in flight, then closes channels. */
  @Override
  public void close() {
    health.enterTerminalState();
    loop.shutdownNow();
    service.rebalancer().close();
    if (shards.size() > 1) {
      try {
        loop.awaitTermination(10, TimeUnit.SECONDS); // a round in progress ends first
        service.reconcileLoop().lease().release(); // OPERATIONS.md §3: another router takes over
      } catch (RuntimeException e) {
        LOG.warn("could not release the reconcile lease (it expires by itself): {}", e.toString());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    server.shutdown();
    boolean interrupted = false;
    try {
      server.awaitTermination(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      interrupted = true;
    } finally {
      server.shutdownNow();
      shards.forEach(ShardClient::close);
      fanout.shutdownNow();
      handlers.shutdownNow();
      LOG.info("router stopped");
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
