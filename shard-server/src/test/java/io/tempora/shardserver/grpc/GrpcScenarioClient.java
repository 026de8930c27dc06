package io.tempora.shardserver.grpc;

import com.fasterxml.jackson.databind.JsonNode;
import io.grpc.ManagedChannel;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.tempora.engine.Engine;
import io.tempora.engine.EngineConfig;
import io.tempora.engine.scenario.EngineRequests;
import io.tempora.engine.scenario.ScenarioClient;
import io.tempora.engine.store.InMemoryStore;
import io.tempora.proto.v1.TemporaServiceGrpc;
import io.tempora.shardserver.ShardServer;
import io.tempora.shardserver.ShardServerConfig;
import java.time.Duration;
import java.util.UUID;

/**
 * {@link ScenarioClient} speaking gRPC to a fresh in-process shard server (shard 0, in-memory
 * store) per scenario run.
 */
final class GrpcScenarioClient extends StubScenarioClient {
  private final InMemoryStore store;
  private final ShardServer server;
  private final ManagedChannel channel;

  private GrpcScenarioClient(InMemoryStore store, ShardServer server, ManagedChannel channel) {
    super(TemporaServiceGrpc.newBlockingStub(channel));
    this.store = store;
    this.server = server;
    this.channel = channel;
  }

  /** The factory: a fresh server, engine and store per run. */
  static ScenarioClient open(JsonNode limits) {
    InMemoryStore store = new InMemoryStore();
    Engine engine = new Engine(store, new EngineConfig(0, EngineRequests.limits(limits)));
    String name = "scenario-" + UUID.randomUUID();
    ShardServerConfig config =
        ShardServerConfig.defaults("127.0.0.1", 0)
            .withHealthPort(-1)
            .withShutdown(Duration.ZERO, Duration.ofSeconds(5));
    ShardServer server =
        ShardServer.start(InProcessServerBuilder.forName(name), null, config, engine);
    return new GrpcScenarioClient(
        store, server, InProcessChannelBuilder.forName(name).directExecutor().build());
  }

  @Override
  public boolean singleShard() {
    return true;
  }

  @Override
  public void close() {
    channel.shutdownNow();
    server.close();
    store.close();
  }
}
