package io.tempora.shardserver.grpc;

import static io.tempora.engine.scenario.ScenarioJson.NODES;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.grpc.StatusRuntimeException;
import io.tempora.engine.scenario.ScenarioClient;
import io.tempora.engine.scenario.ScenarioJson;
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
import io.tempora.proto.v1.TemporaServiceGrpc.TemporaServiceBlockingStub;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The scenario runner's client side over {@code tempora.v1} gRPC (a shard or a router behind {@code
 * stub}): every request and answer crosses the wire as protobuf messages; status codes become
 * scenario error codes by name. Subclasses own the servers and say what happens after each write
 * (e.g. a router reconciles). Shared through shard-server's test-jar.
 */
public abstract class StubScenarioClient implements ScenarioClient {
  private final TemporaServiceBlockingStub stub;

  protected StubScenarioClient(TemporaServiceBlockingStub stub) {
    this.stub = stub;
  }

  /** Called with each write's answer (ingest, delete, set ontology) before it is returned. */
  protected JsonNode afterWrite(JsonNode answer) {
    return answer;
  }

  @Override
  public JsonNode upsert(JsonNode records) {
    IngestRequest.Builder b = IngestRequest.newBuilder();
    records.forEach(r -> b.addRecords(ProtoJson.record(r)));
    return afterWrite(
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
    return afterWrite(
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
    return afterWrite(
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
          long index = 0;
          ListEntityChangesResponse page;
          do {
            page =
                stub.listEntityChanges(
                    ListEntityChangesRequest.newBuilder()
                        .setFromTx(from)
                        .setFromIndex(index)
                        .setPageSize(2)
                        .build());
            all.addAll(page.getEventsList());
            from = page.getNextFromTx();
            index = page.getNextFromIndex();
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
              .min(Comparator.comparing(StubScenarioClient::engineIdentity))
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
}
