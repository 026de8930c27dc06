package io.tempora.router;

import io.grpc.ConnectivityState;
import io.grpc.ManagedChannel;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.tempora.engine.Engine;
import io.tempora.engine.EngineConfig;
import io.tempora.engine.Limits;
import io.tempora.engine.store.InMemoryStore;
import io.tempora.persistence.InMemoryHomeDirectory;
import io.tempora.proto.internal.v1.ChangeFeedStateRequest;
import io.tempora.proto.internal.v1.ListLiveRecordsRequest;
import io.tempora.proto.internal.v1.ShardGrpc;
import io.tempora.proto.v1.Record;
import io.tempora.shardserver.ShardServer;
import io.tempora.shardserver.ShardServerConfig;
import io.tempora.shardserver.grpc.CallerThreadServerBuilder;
import io.tempora.shardserver.ops.ShardMetrics;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.AbstractExecutorService;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The simulation's cluster: in-process shards on in-memory stores and directories that can be
 * stopped and started again on the same state (a restart that loses nothing, as a synced RocksDB
 * would), routers without polling whose shard channels pass through {@link SimFaults} and whose
 * fan-out runs in the calling thread, and a direct channel per shard for the checks. Closes
 * everything it started. Not thread-safe: driven from the simulation's thread.
 */
final class SimCluster implements AutoCloseable {
  private static final ShardServerConfig SHARD_CONFIG =
      ShardServerConfig.defaults("127.0.0.1", 0)
          .withHealthPort(-1)
          .withShutdown(Duration.ZERO, Duration.ofSeconds(5));

  private final String prefix = UUID.randomUUID().toString();
  private final SimFaults faults;
  private final List<InMemoryStore> stores = new ArrayList<>();
  private final List<InMemoryHomeDirectory> directories = new ArrayList<>();
  private final List<ShardServer> servers = new ArrayList<>();
  private final List<ManagedChannel> checks = new ArrayList<>();
  private final List<ManagedChannel> routerChannels = new ArrayList<>();
  private final List<RouterServer> routers = new ArrayList<>();
  private final VirtualClock clock = new VirtualClock();

  SimCluster(int shards, SimFaults faults) {
    this.faults = faults;
    for (int i = 0; i < shards; i++) {
      stores.add(new InMemoryStore());
      directories.add(new InMemoryHomeDirectory());
      servers.add(null);
      startShard(i);
      checks.add(InProcessChannelBuilder.forName(shardName(i)).directExecutor().build());
    }
  }

  /** Moves the virtual time of the lease (shard 0's clock and every router's) on. */
  void advance(Duration d) {
    clock.advance(d.toMillis());
  }

  int size() {
    return stores.size();
  }

  boolean isUp(int shard) {
    return servers.get(shard) != null;
  }

  /** Stops shard {@code shard}: its calls fail with UNAVAILABLE until {@link #startShard}. */
  void stopShard(int shard) {
    servers.get(shard).close();
    servers.set(shard, null);
  }

  /**
   * Starts shard {@code shard} on its store and directory, then waits until every router's channel
   * to it is connected again (so whether a call reaches it does not depend on reconnect timing).
   */
  void startShard(int shard) {
    ShardServer s =
        ShardServer.open(
            new CallerThreadServerBuilder(InProcessServerBuilder.forName(shardName(shard))),
            null,
            SHARD_CONFIG,
            metrics(shard));
    s.serveWithLeaseClock(
        new Engine(stores.get(shard), new EngineConfig(shard, Limits.defaults())),
        directories.get(shard),
        clock);
    servers.set(shard, s);
    for (ManagedChannel c : routerChannels) {
      if (c.authority().equals(shardName(shard))) {
        awaitReady(c);
      }
    }
  }

  private static ShardMetrics metrics(int shard) {
    return new ShardMetrics(shard, "sim");
  }

  private static void awaitReady(ManagedChannel c) {
    c.resetConnectBackoff();
    for (int i = 0; i < 100; i++) {
      ConnectivityState s = c.getState(true);
      if (s == ConnectivityState.READY) {
        return;
      }
      CountDownLatch changed = new CountDownLatch(1);
      c.notifyWhenStateChanged(s, changed::countDown);
      c.resetConnectBackoff();
      try {
        if (!changed.await(5, TimeUnit.SECONDS)) {
          break;
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while reconnecting", e);
      }
    }
    throw new IllegalStateException(
        "channel to " + c.authority() + " not ready: " + c.getState(false));
  }

  /**
   * Starts a router {@code id} without a polling loop, lease ttl {@code leaseTtl}, whose shard
   * calls pass through the faults and whose fan-out runs in the caller's thread.
   */
  RouterServer router(String id, Duration leaseTtl) {
    List<ShardClient> clients = new ArrayList<>();
    List<String> addresses = new ArrayList<>();
    for (int i = 0; i < size(); i++) {
      ManagedChannel c =
          InProcessChannelBuilder.forName(shardName(i))
              .directExecutor()
              .intercept(faults.toward("shard " + i))
              .build();
      routerChannels.add(c);
      clients.add(new ShardClient(i, shardName(i), c));
      addresses.add("s" + i + ":1");
    }
    RouterServer r =
        RouterServer.start(
            new CallerThreadServerBuilder(InProcessServerBuilder.forName(routerName(id))),
            clients,
            RouterConfig.defaults("127.0.0.1", 0, addresses)
                .withReconcileStaleness(Duration.ZERO)
                .withReconcile(new RouterConfig.ReconcileConfig(leaseTtl, 10_000, id)),
            new CallerRuns(),
            () -> TimeUnit.MILLISECONDS.toNanos(clock.millis()));
    routers.add(r);
    return r;
  }

  /** A new channel to router {@code id} (closed with the cluster). */
  ManagedChannel channel(String id) {
    ManagedChannel c = InProcessChannelBuilder.forName(routerName(id)).directExecutor().build();
    checks.add(c);
    return c;
  }

  /** The move journal entries pending on a shard (fault-free). */
  int pending(int shard) {
    return ShardGrpc.newBlockingStub(checks.get(shard))
        .withDeadlineAfter(30, TimeUnit.SECONDS)
        .changeFeedState(ChangeFeedStateRequest.getDefaultInstance())
        .getPendingMoves();
  }

  /** The entities holding a live record on a shard (fault-free; at most 10,000 records). */
  java.util.Set<Long> liveEntities(int shard) {
    return new java.util.HashSet<>(
        ShardGrpc.newBlockingStub(checks.get(shard))
            .withDeadlineAfter(30, TimeUnit.SECONDS)
            .listLiveRecords(ListLiveRecordsRequest.newBuilder().setPageSize(10_000).build())
            .getEntityIdsList());
  }

  /** The live records of a shard (fault-free; at most 10,000). */
  List<Record> live(int shard) {
    return ShardGrpc.newBlockingStub(checks.get(shard))
        .withDeadlineAfter(30, TimeUnit.SECONDS)
        .listLiveRecords(ListLiveRecordsRequest.newBuilder().setPageSize(10_000).build())
        .getRecordsList();
  }

  private String shardName(int shard) {
    return "sim-shard-" + shard + "-" + prefix;
  }

  private String routerName(String id) {
    return "sim-router-" + id + "-" + prefix;
  }

  @Override
  public void close() {
    faults.enabled(false);
    checks.forEach(ManagedChannel::shutdownNow);
    routers.forEach(RouterServer::close);
    for (ShardServer s : servers) {
      if (s != null) {
        s.close();
      }
    }
    stores.forEach(InMemoryStore::close);
    directories.forEach(InMemoryHomeDirectory::close);
  }

  /**
   * The time the reconcile lease is judged by, on shard 0 and in every router: starts at a fixed
   * instant and moves only when the simulation says.
   */
  private static final class VirtualClock extends Clock {
    private final AtomicLong now = new AtomicLong(1_700_000_000_000L);

    void advance(long ms) {
      now.addAndGet(ms);
    }

    @Override
    public long millis() {
      return now.get();
    }

    @Override
    public Instant instant() {
      return Instant.ofEpochMilli(millis());
    }

    @Override
    public ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
      throw new UnsupportedOperationException("the simulation's clock is UTC only");
    }
  }

  /** Runs every task in the submitting thread: a router's fan-out becomes sequential. */
  private static final class CallerRuns extends AbstractExecutorService {
    private volatile boolean shutdown;

    @Override
    public void execute(Runnable command) {
      command.run();
    }

    @Override
    public void shutdown() {
      shutdown = true;
    }

    @Override
    public List<Runnable> shutdownNow() {
      shutdown = true;
      return List.of();
    }

    @Override
    public boolean isShutdown() {
      return shutdown;
    }

    @Override
    public boolean isTerminated() {
      return shutdown;
    }

    @Override
    public boolean awaitTermination(long timeout, TimeUnit unit) {
      return true;
    }
  }
}
