package io.tempora.router;

import com.fasterxml.jackson.databind.JsonNode;
import io.grpc.ManagedChannel;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.tempora.engine.Engine;
import io.tempora.engine.EngineConfig;
import io.tempora.engine.Limits;
import io.tempora.engine.scenario.EngineRequests;
import io.tempora.engine.scenario.ScenarioClient;
import io.tempora.engine.store.InMemoryStore;
import io.tempora.proto.internal.v1.ReconcileRequest;
import io.tempora.proto.internal.v1.RouterGrpc;
import io.tempora.proto.v1.TemporaServiceGrpc;
import io.tempora.shardserver.ShardServer;
import io.tempora.shardserver.ShardServerConfig;
import io.tempora.shardserver.grpc.StubScenarioClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * {@link ScenarioClient} speaking gRPC to a router in front of fresh in-process shard servers
 * (in-memory stores) per scenario run; the RPC-to-JSON side is shard-server's {@link
 * StubScenarioClient}. With several shards every write step is followed by a reconciliation, so
 * reads are made on a settled service.
 */
final class RouterScenarioClient extends StubScenarioClient {
  private final Cluster cluster;

  /** The shards, their stores and the router of one run. */
  private record Cluster(
      List<InMemoryStore> stores,
      List<ShardServer> servers,
      RouterServer router,
      ManagedChannel channel,
      int shardCount) {

    static Cluster start(JsonNode limits, int shardCount) {
      Limits l = EngineRequests.limits(limits);
      List<InMemoryStore> stores = new ArrayList<>();
      List<ShardServer> servers = new ArrayList<>();
      List<ShardClient> clients = new ArrayList<>();
      ShardServerConfig config =
          ShardServerConfig.defaults("127.0.0.1", 0)
              .withHealthPort(-1)
              .withShutdown(Duration.ZERO, Duration.ofSeconds(5));
      for (int i = 0; i < shardCount; i++) {
        InMemoryStore store = new InMemoryStore();
        stores.add(store);
        String name = "router-scenario-shard-" + i + "-" + UUID.randomUUID();
        servers.add(
            ShardServer.start(
                InProcessServerBuilder.forName(name),
                null,
                config,
                new Engine(store, new EngineConfig(i, l))));
        clients.add(
            new ShardClient(
                i, name, InProcessChannelBuilder.forName(name).directExecutor().build()));
      }
      String name = "router-scenario-" + UUID.randomUUID();
      RouterConfig routerConfig =
          RouterConfig.defaults("127.0.0.1", 0, clients.stream().map(c -> "in-process:1").toList())
              .withLimits(l)
              .withReconcileStaleness(Duration.ZERO);
      RouterServer router =
          RouterServer.start(InProcessServerBuilder.forName(name), clients, routerConfig);
      return new Cluster(
          stores,
          servers,
          router,
          InProcessChannelBuilder.forName(name).directExecutor().build(),
          shardCount);
    }
  }

  private RouterScenarioClient(Cluster cluster) {
    super(TemporaServiceGrpc.newBlockingStub(cluster.channel()));
    this.cluster = cluster;
  }

  /** A factory: fresh shards (in-memory engines) and a router in front of them per run. */
  static ScenarioClient.Factory factory(int shardCount) {
    return limits -> new RouterScenarioClient(Cluster.start(limits, shardCount));
  }

  @Override
  public boolean singleShard() {
    return cluster.shardCount() == 1;
  }

  /** Reads are made on a settled service: reconcile after every write step. */
  @Override
  protected JsonNode afterWrite(JsonNode answer) {
    if (cluster.shardCount() > 1) {
      RouterGrpc.newBlockingStub(cluster.channel())
          .reconcile(ReconcileRequest.getDefaultInstance());
    }
    return answer;
  }

  @Override
  public void close() {
    cluster.channel().shutdownNow();
    cluster.router().close();
    cluster.servers().forEach(ShardServer::close);
    cluster.stores().forEach(InMemoryStore::close);
  }
}
