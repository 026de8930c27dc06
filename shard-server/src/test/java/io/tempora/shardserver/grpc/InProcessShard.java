package io.tempora.shardserver.grpc;

import io.grpc.ManagedChannel;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.tempora.engine.Engine;
import io.tempora.engine.EngineConfig;
import io.tempora.engine.store.InMemoryStore;
import io.tempora.proto.internal.v1.ShardGrpc;
import io.tempora.proto.v1.TemporaServiceGrpc;
import io.tempora.shardserver.ShardServer;
import io.tempora.shardserver.ShardServerConfig;
import java.time.Duration;
import java.util.UUID;
import java.util.function.UnaryOperator;

/**
 * One shard server on an in-memory store behind in-process gRPC, with blocking stubs of both
 * services; {@link #close()} stops all of it.
 */
final class InProcessShard implements AutoCloseable {
  private final InMemoryStore store;
  private final ShardServer server;
  private final ManagedChannel channel;
  final ShardGrpc.ShardBlockingStub internal;
  final TemporaServiceGrpc.TemporaServiceBlockingStub tempora;

  private InProcessShard(InMemoryStore store, ShardServer server, ManagedChannel channel) {
    this.store = store;
    this.server = server;
    this.channel = channel;
    this.internal = ShardGrpc.newBlockingStub(channel);
    this.tempora = TemporaServiceGrpc.newBlockingStub(channel);
  }

  /** Starts a shard whose server configuration is the test default changed by {@code config}. */
  static InProcessShard start(UnaryOperator<ShardServerConfig> config) {
    InMemoryStore store = new InMemoryStore();
    String name = "in-process-shard-" + UUID.randomUUID();
    ShardServerConfig c =
        config.apply(
            ShardServerConfig.defaults("127.0.0.1", 0)
                .withHealthPort(-1)
                .withShutdown(Duration.ZERO, Duration.ofSeconds(5)));
    ShardServer server =
        ShardServer.start(
            InProcessServerBuilder.forName(name),
            null,
            c,
            new Engine(store, EngineConfig.defaults()));
    return new InProcessShard(store, server, InProcessChannelBuilder.forName(name).build());
  }

  @Override
  public void close() {
    channel.shutdownNow();
    server.close();
    store.close();
  }
}
