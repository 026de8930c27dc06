package io.tempora.router;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.tempora.engine.Engine;
import io.tempora.engine.EngineConfig;
import io.tempora.engine.Limits;
import io.tempora.engine.store.InMemoryStore;
import io.tempora.persistence.InMemoryHomeDirectory;
import io.tempora.proto.internal.v1.ChangeFeedStateRequest;
import io.tempora.proto.internal.v1.ListLiveRecordsRequest;
import io.tempora.proto.internal.v1.ListMoveJournalRequest;
import io.tempora.proto.internal.v1.ReconcileRequest;
import io.tempora.proto.internal.v1.ReconcileResponse;
import io.tempora.proto.internal.v1.RouterGrpc;
import io.tempora.proto.internal.v1.ShardGrpc;
import io.tempora.proto.v1.Identity;
import io.tempora.proto.v1.Record;
import io.tempora.proto.v1.TemporaServiceGrpc;
import io.tempora.proto.v1.TemporaServiceGrpc.TemporaServiceBlockingStub;
import io.tempora.shardserver.ShardServer;
import io.tempora.shardserver.ShardServerConfig;
import io.tempora.shardserver.grpc.StoreExporter;
import io.tempora.shardserver.ops.ShardMetrics;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import java.util.function.IntFunction;
import java.util.function.UnaryOperator;

/**
 * Test fixture: in-process shards (in-memory stores) behind real in-process gRPC, and routers
 * without a polling loop in front of them, each with its own lease ttl and id. Closes everything it
 * started. Not thread-safe (set up from the test thread).
 */
final class InProcessCluster implements AutoCloseable {
  private final String prefix = UUID.randomUUID().toString();
  private final List<InMemoryStore> stores = new ArrayList<>();
  private final List<InMemoryHomeDirectory> directories = new ArrayList<>();
  private final List<ServerInterceptor> traps = new ArrayList<>();
  private final List<ShardServer> servers = new ArrayList<>();
  private final List<String> names = new ArrayList<>();
  private final List<ManagedChannel> channels = new ArrayList<>();
  private final List<RouterServer> routers = new ArrayList<>();

  private Path exports;

  private InProcessCluster() {}

  /** The temporary directory under which shards write shard-local exports (created once). */
  private Path exports() {
    if (exports == null) {
      try {
        exports = Files.createTempDirectory("tempora-inprocess-");
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return exports;
  }

  /**
   * Starts {@code shards} shards; {@code interceptor} gives each shard's server interceptor (by
   * shard id; null: none).
   */
  static InProcessCluster start(int shards, IntFunction<ServerInterceptor> interceptor) {
    InProcessCluster c = new InProcessCluster();
    for (int i = 0; i < shards; i++) {
      c.stores.add(new InMemoryStore());
      c.directories.add(new InMemoryHomeDirectory());
      c.names.add("shard-" + i + "-" + c.prefix);
      c.traps.add(interceptor.apply(i));
      c.servers.add(c.serveShard(i));
    }
    return c;
  }

  /** A shard server on shard {@code i}'s store and directory (what a restart keeps). */
  private ShardServer serveShard(int i) {
    ShardServerConfig config =
        ShardServerConfig.defaults("127.0.0.1", 0)
            .withHealthPort(-1)
            .withShutdown(Duration.ZERO, Duration.ofSeconds(5));
    InProcessServerBuilder builder = InProcessServerBuilder.forName(names.get(i));
    if (traps.get(i) != null) {
      builder.intercept(traps.get(i));
    }
    ShardServer s = ShardServer.open(builder, null, config, new ShardMetrics(i, "dev"));
    // Exports (ExportRows; shard-local Export writes under the cluster's temporary directory).
    s.serve(
        new Engine(stores.get(i), new EngineConfig(i, Limits.defaults())),
        directories.get(i),
        null,
        new StoreExporter(stores.get(i), exports().resolve("shard-" + i), i, Clock.systemUTC()));
    return s;
  }

  /**
   * Stops shard {@code shard} and starts it again on its store and directory (a restart that loses
   * nothing written: an in-memory store stands for a synced RocksDB).
   */
  void restartShard(int shard) {
    servers.get(shard).close();
    servers.set(shard, serveShard(shard));
  }

  /** The carry-over marks stored on a shard (docs/distributed.md "Writes during a move"). */
  int carryMarks(int shard) {
    return ShardGrpc.newBlockingStub(shardChannel(shard))
        .listMoveJournal(ListMoveJournalRequest.getDefaultInstance())
        .getCarryMarks();
  }

  /** A one-shot action: runs before the next call of {@code method} reaches shard {@code shard}. */
  record Trap(int shard, String method, Runnable action) {}

  /**
   * A shard's server interceptor running the {@link Trap} armed in {@code armed} (once: it is
   * cleared as it fires, so {@code armed} is null again once it has run).
   */
  static ServerInterceptor trap(int shard, AtomicReference<Trap> armed) {
    return new ServerInterceptor() {
      @Override
      public <Q, R> ServerCall.Listener<Q> interceptCall(
          ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
        Trap t = armed.get();
        if (t != null
            && t.shard() == shard
            && call.getMethodDescriptor().getBareMethodName().equals(t.method())
            && armed.compareAndSet(t, null)) {
          t.action().run();
        }
        return next.startCall(call, headers);
      }
    };
  }

  /** Polls {@code condition} until it holds (a generous deadline: not a speed assertion). */
  static void await(BooleanSupplier condition, String what) {
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (!condition.getAsBoolean()) {
      assertThat(System.nanoTime()).as("waiting for: %s", what).isLessThan(until);
      try {
        Thread.sleep(20);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
    }
  }

  /** The in-process server name of shard {@code shard}. */
  String shardName(int shard) {
    return names.get(shard);
  }

  /** The server of shard {@code shard}. */
  ShardServer shard(int shard) {
    return servers.get(shard);
  }

  /** Number of shards. */
  int size() {
    return names.size();
  }

  /** Starts a router without a polling loop (Reconcile runs rounds); reach it by {@code id}. */
  RouterServer router(String id, Duration leaseTtl) {
    return router(id, leaseTtl, c -> c);
  }

  /** As {@link #router(String, Duration)}, with {@code tweak} applied to its configuration. */
  RouterServer router(String id, Duration leaseTtl, UnaryOperator<RouterConfig> tweak) {
    List<ShardClient> clients = new ArrayList<>();
    List<String> addresses = new ArrayList<>();
    for (int i = 0; i < names.size(); i++) {
      clients.add(new ShardClient(i, names.get(i), shardChannel(i)));
      addresses.add("s" + i + ":1");
    }
    RouterServer r =
        RouterServer.start(
            InProcessServerBuilder.forName(routerName(id)),
            clients,
            tweak.apply(
                RouterConfig.defaults("127.0.0.1", 0, addresses)
                    .withReconcileStaleness(Duration.ZERO)
                    .withReconcile(new RouterConfig.ReconcileConfig(leaseTtl, 10_000, id))));
    routers.add(r);
    return r;
  }

  /** A new channel to router {@code id}. */
  ManagedChannel channel(String id) {
    ManagedChannel c = InProcessChannelBuilder.forName(routerName(id)).build();
    channels.add(c);
    return c;
  }

  /** A client of router {@code id}. */
  TemporaServiceBlockingStub client(String id) {
    return TemporaServiceGrpc.newBlockingStub(channel(id)).withDeadlineAfter(30, TimeUnit.SECONDS);
  }

  /** A new channel to a shard. */
  ManagedChannel shardChannel(int shard) {
    ManagedChannel c = InProcessChannelBuilder.forName(names.get(shard)).build();
    channels.add(c);
    return c;
  }

  /** Reconcile through router {@code id} (waits for its lease). */
  ReconcileResponse reconcile(String id) {
    return RouterGrpc.newBlockingStub(channel(id))
        .withDeadlineAfter(30, TimeUnit.SECONDS)
        .reconcile(ReconcileRequest.getDefaultInstance());
  }

  /** The move journal entries pending on a shard. */
  int pending(int shard) {
    return ShardGrpc.newBlockingStub(shardChannel(shard))
        .changeFeedState(ChangeFeedStateRequest.getDefaultInstance())
        .getPendingMoves();
  }

  /** The live records of a shard (at most 10,000). */
  List<Record> live(int shard) {
    return ShardGrpc.newBlockingStub(shardChannel(shard))
        .listLiveRecords(ListLiveRecordsRequest.newBuilder().setPageSize(10_000).build())
        .getRecordsList();
  }

  /** The tag of the live copy of {@code r} on {@code shard} (null: none live there). */
  String tagOn(int shard, Record r) {
    for (Record x : live(shard)) {
      if (x.getIdentity().equals(r.getIdentity())) {
        return ContactRecords.tag(x.getDescriptorsList());
      }
    }
    return null;
  }

  /** The shards holding a live copy of {@code id}, ascending. */
  List<Integer> liveCopies(Identity id) {
    List<Integer> out = new ArrayList<>();
    for (int s = 0; s < names.size(); s++) {
      for (Record r : live(s)) {
        if (r.getIdentity().equals(id)) {
          out.add(s);
        }
      }
    }
    return out;
  }

  private String routerName(String id) {
    return "router-" + id + "-" + prefix;
  }

  @Override
  public void close() {
    channels.forEach(ManagedChannel::shutdownNow);
    routers.forEach(RouterServer::close);
    servers.forEach(ShardServer::close);
    stores.forEach(InMemoryStore::close);
    directories.forEach(InMemoryHomeDirectory::close);
    if (exports != null) {
      try (var paths = Files.walk(exports)) {
        for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
          Files.deleteIfExists(p);
        }
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }
}
