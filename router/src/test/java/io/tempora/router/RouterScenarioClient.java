package io.tempora.router;

import static io.tempora.engine.scenario.ScenarioJson.NODES;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.tempora.engine.Engine;
import io.tempora.engine.EngineConfig;
import io.tempora.engine.Limits;
import io.tempora.engine.scenario.EngineRequests;
import io.tempora.engine.scenario.ScenarioClient;
import io.tempora.engine.scenario.ScenarioJson;
import io.tempora.engine.store.InMemoryStore;
import io.tempora.proto.internal.v1.ReconcileRequest;
import io.tempora.proto.internal.v1.RouterGrpc;
import io.tempora.proto.v1.ConflictFilter;
import io.tempora.proto.v1.DeleteRequest;
import io.tempora.proto.v1.DeleteResponse;
import io.tempora.proto.v1.EntitySummary;
import io.tempora.proto.v1.ExplainRequest;
import io.tempora.proto.v1.GetEntityRequest;
import io.tempora.proto.v1.GetOntologyRequest;
import io.tempora.proto.v1.GetRecordRequest;
import io.tempora.proto.v1.GetRecordResponse;
import io.tempora.proto.v1.Identity;
import io.tempora.proto.v1.IngestRequest;
import io.tempora.proto.v1.IngestResponse;
import io.tempora.proto.v1.ListConflictsRequest;
import io.tempora.proto.v1.ListConflictsResponse;
import io.tempora.proto.v1.ListEntitiesRequest;
import io.tempora.proto.v1.ListEntitiesResponse;
import io.tempora.proto.v1.ListEntityChangesRequest;
import io.tempora.proto.v1.ListEntityChangesResponse;
import io.tempora.proto.v1.RecordStatus;
import io.tempora.proto.v1.SetOntologyRequest;
import io.tempora.proto.v1.SetOntologyResponse;
import io.tempora.proto.v1.TemporaServiceGrpc;
import io.tempora.proto.v1.TemporaServiceGrpc.TemporaServiceBlockingStub;
import io.tempora.shardserver.ShardServer;
import io.tempora.shardserver.ShardServerConfig;
import io.tempora.shardserver.grpc.ProtoJson;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Supplier;

/**
 * {@link ScenarioClient} speaking gRPC to a router in front of fresh in-process shard servers
 * (in-memory stores) per scenario run. Adapted from shard-server's GrpcScenarioClient (test code of
 * another module, not shared as a jar).
 */
final class RouterScenarioClient implements ScenarioClient {
  private final List<InMemoryStore> stores = new ArrayList<>();
  private final List<ShardServer> servers = new ArrayList<>();
  private final RouterServer router;
  private final ManagedChannel channel;
  private final TemporaServiceBlockingStub stub;
  private final int shardCount;
  private final RouterGrpc.RouterBlockingStub admin;

  private RouterScenarioClient(JsonNode limits, int shardCount) {
    this.shardCount = shardCount;
    Limits l = EngineRequests.limits(limits);
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
          new ShardClient(i, name, InProcessChannelBuilder.forName(name).directExecutor().build()));
    }
    String name = "router-scenario-" + UUID.randomUUID();
    RouterConfig routerConfig =
        RouterConfig.defaults("127.0.0.1", 0, clients.stream().map(c -> "in-process:1").toList())
            .withLimits(l)
            .withReconcileStaleness(Duration.ZERO);
    this.router = RouterServer.start(InProcessServerBuilder.forName(name), clients, routerConfig);
    this.channel = InProcessChannelBuilder.forName(name).directExecutor().build();
    this.stub = TemporaServiceGrpc.newBlockingStub(channel);
    this.admin = RouterGrpc.newBlockingStub(channel);
  }

  /** Reads are made on a settled service: reconcile after every write step. */
  private JsonNode settled(JsonNode answer) {
    if (shardCount > 1) {
      admin.reconcile(ReconcileRequest.getDefaultInstance());
    }
    return answer;
  }

  /** A factory: fresh shards (in-memory engines) and a router in front of them per run. */
  static ScenarioClient.Factory factory(int shardCount) {
    return limits -> new RouterScenarioClient(limits, shardCount);
  }

  @Override
  public boolean singleShard() {
    return shardCount == 1;
  }

  @Override
  public JsonNode upsert(JsonNode records) {
    IngestRequest.Builder b = IngestRequest.newBuilder();
    records.forEach(r -> b.addRecords(ProtoJson.record(r)));
    return settled(
        call(
            () -> {
              IngestResponse r = stub.ingest(b.build());
              return ProtoJson.write(r.getTx(), r.getItemsList(), r.getEventsList());
            }));
  }

  @Override
  public JsonNode delete(JsonNode identities) {
    DeleteRequest.Builder b = DeleteRequest.newBuilder();
    identities.forEach(i -> b.addIdentities(ProtoJson.identity(i)));
    return settled(
        call(
            () -> {
              DeleteResponse r = stub.delete(b.build());
              return ProtoJson.write(r.getTx(), r.getItemsList(), r.getEventsList());
            }));
  }

  @Override
  public JsonNode setOntology(JsonNode ontology, Integer expectedVersion) {
    SetOntologyRequest.Builder b =
        SetOntologyRequest.newBuilder().setOntology(ProtoJson.ontology(ontology));
    if (expectedVersion != null) {
      b.setExpectedVersion(expectedVersion);
    }
    return settled(
        call(
            () -> {
              SetOntologyResponse r = stub.setOntology(b.build());
              ObjectNode out = NODES.objectNode();
              out.put("version", r.getVersion());
              out.set("tx", ScenarioJson.tx(r.getTx()));
              out.set("events", ProtoJson.events(r.getEventsList()));
              return out;
            }));
  }

  @Override
  public JsonNode ontologyVersion() {
    return call(
        () ->
            NODES.numberNode(
                stub.getOntology(GetOntologyRequest.getDefaultInstance()).getOntologyVersion()));
  }

  @Override
  public JsonNode partition() {
    return call(
        () -> {
          ArrayNode out = NODES.arrayNode();
          for (EntitySummary e : sortedEntities()) {
            out.add(ProtoJson.identities(e.getMembersList()));
          }
          return out;
        });
  }

  /** Every active entity over all pages of ListEntities, ordered by anchor. */
  private List<EntitySummary> sortedEntities() {
    List<EntitySummary> all = new ArrayList<>();
    long after = 0;
    do {
      ListEntitiesResponse page =
          stub.listEntities(
              ListEntitiesRequest.newBuilder().setAfterId(after).setPageSize(3).build());
      all.addAll(page.getEntitiesList());
      after = page.getNextAfterId();
    } while (after != 0);
    all.sort(Comparator.comparing(e -> engineIdentity(e.getMembers(0))));
    return all;
  }

  private static io.tempora.engine.model.Identity engineIdentity(Identity id) {
    return io.tempora.engine.model.Identity.of(
        id.getEntityType(), id.getPerspective(), id.getUid());
  }

  @Override
  public JsonNode listConflicts(JsonNode filter, int pageSize, String pageToken) {
    return call(
        () -> {
          ConflictFilter.Builder f = ProtoJson.filter(filter);
          JsonNode entity = filter.get("entity");
          if (entity != null && !entity.isNull()) {
            f.setEntityId(recordOf(entity).getEntityId());
          }
          ListConflictsRequest.Builder b =
              ListConflictsRequest.newBuilder().setFilter(f).setPageSize(pageSize);
          if (pageToken != null) {
            b.setPageToken(pageToken);
          }
          ListConflictsResponse r = stub.listConflicts(b.build());
          ObjectNode out = NODES.objectNode();
          out.set("items", answers().conflicts(r.getItemsList()));
          if (!r.getNextPageToken().isEmpty()) {
            out.put("next_page_token", r.getNextPageToken());
          }
          return out;
        });
  }

  private GetRecordResponse recordOf(JsonNode identity) {
    return stub.getRecord(
        GetRecordRequest.newBuilder().setIdentity(ProtoJson.identity(identity)).build());
  }

  @Override
  public JsonNode golden(JsonNode identity, JsonNode window) {
    return call(
        () -> {
          GetRecordResponse r = recordOf(identity);
          if (r.getStatus() != RecordStatus.RECORD_STATUS_LIVE) {
            return ScenarioJson.error("NOT_FOUND", "record is deleted");
          }
          var e = stub.getEntity(entityRequest(r.getEntityId(), window));
          return NODES.objectNode().set("entries", ProtoJson.descriptors(e.getGoldenList()));
        });
  }

  private static GetEntityRequest entityRequest(long id, JsonNode window) {
    GetEntityRequest.Builder b = GetEntityRequest.newBuilder().setEntityId(id);
    if (window != null && !window.isNull()) {
      b.setWindow(ProtoJson.interval(window));
    }
    return b.build();
  }

  @Override
  public JsonNode query(JsonNode request) {
    return call(() -> answers().query(stub.queryEntities(ProtoJson.query(request))));
  }

  @Override
  public JsonNode explain(JsonNode a, JsonNode b) {
    ExplainRequest req =
        ExplainRequest.newBuilder().setA(ProtoJson.identity(a)).setB(ProtoJson.identity(b)).build();
    return call(() -> answers().explain(stub.explain(req)));
  }

  @Override
  public JsonNode record(JsonNode identity) {
    return call(() -> ProtoJson.record(recordOf(identity)));
  }

  @Override
  public JsonNode entity(String id, JsonNode window) {
    long eid = ScenarioJson.parseId(id);
    return call(() -> answers().entity(stub.getEntity(entityRequest(eid, window))));
  }

  @Override
  public JsonNode events() {
    return call(
        () -> {
          List<io.tempora.proto.v1.EntityEvent> all = new ArrayList<>();
          long from = 1;
          ListEntityChangesResponse page;
          do {
            page =
                stub.listEntityChanges(
                    ListEntityChangesRequest.newBuilder().setFromTx(from).setPageSize(2).build());
            all.addAll(page.getEventsList());
            from = page.getNextFromTx();
          } while (page.getHasMore());
          return ProtoJson.events(all);
        });
  }

  /** Renderers naming each entity by its anchor in the current partition. */
  private ProtoJson answers() {
    Map<Long, JsonNode> anchors = new HashMap<>();
    for (EntitySummary e : sortedEntities()) {
      Identity anchor =
          e.getMembersList().stream()
              .min(Comparator.comparing(RouterScenarioClient::engineIdentity))
              .orElseThrow();
      anchors.put(e.getEntityId(), ProtoJson.identity(anchor));
    }
    return new ProtoJson(
        id ->
            anchors.getOrDefault(
                id, NODES.textNode(ScenarioJson.entityId(id) + " (not an active entity)")));
  }

  private static JsonNode call(Supplier<JsonNode> rpc) {
    try {
      return rpc.get();
    } catch (StatusRuntimeException e) {
      return ScenarioJson.error(e.getStatus().getCode().name(), e.getStatus().getDescription());
    }
  }

  @Override
  public void close() {
    channel.shutdownNow();
    router.close();
    servers.forEach(ShardServer::close);
    stores.forEach(InMemoryStore::close);
  }
}
