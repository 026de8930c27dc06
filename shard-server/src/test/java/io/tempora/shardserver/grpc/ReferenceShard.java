package io.tempora.shardserver.grpc;

import io.grpc.ManagedChannel;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.tempora.engine.Engine;
import io.tempora.engine.EngineConfig;
import io.tempora.engine.Limits;
import io.tempora.engine.store.InMemoryStore;
import io.tempora.proto.v1.TemporaServiceGrpc;
import io.tempora.proto.v1.TemporaServiceGrpc.TemporaServiceBlockingStub;
import io.tempora.shardserver.ShardServer;
import io.tempora.shardserver.ShardServerConfig;
import java.time.Duration;
import java.util.UUID;

/**
 * DISTRIBUTED.md DS-T1's reference: a fresh single in-process engine (shard 0, in memory) serving
 * TemporaService (its calls run in the caller's thread), to be fed the requests a cluster was
 * given. Owns its server, store and channel.
 */
public final class ReferenceShard implements AutoCloseable {
  private final InMemoryStore store = new InMemoryStore();
  private final ShardServer server;
  private final ManagedChannel channel;
  private final TemporaServiceBlockingStub stub;

  /** Starts it. */
  public ReferenceShard() {
    String name = "reference-" + UUID.randomUUID();
    server =
        ShardServer.start(
            new CallerThreadServerBuilder(InProcessServerBuilder.forName(name)),
            null,
            ShardServerConfig.defaults("127.0.0.1", 0)
                .withHealthPort(-1)
                .withShutdown(Duration.ZERO, Duration.ofSeconds(5)),
            new Engine(store, new EngineConfig(0, Limits.defaults())));
    channel = InProcessChannelBuilder.forName(name).directExecutor().build();
    stub = TemporaServiceGrpc.newBlockingStub(channel);
  }

  /** A blocking stub of the engine's TemporaService (no deadline). */
  public TemporaServiceBlockingStub stub() {
    return stub;
  }

  @Override
  public void close() {
    channel.shutdownNow();
    server.close();
    store.close();
  }
}
