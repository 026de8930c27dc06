package io.tempora.engine.scenario;

import static io.tempora.engine.scenario.ScenarioJson.NODES;
import static io.tempora.engine.scenario.ScenarioJson.error;
import static io.tempora.engine.scenario.ScenarioJson.identity;
import static io.tempora.engine.scenario.ScenarioJson.optionalText;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tempora.engine.Engine;
import io.tempora.engine.EngineConfig;
import io.tempora.engine.EntityInfo;
import io.tempora.engine.NotFoundException;
import io.tempora.engine.PreconditionFailedException;
import io.tempora.engine.Reader;
import io.tempora.engine.Reader.EntitySummary;
import io.tempora.engine.RecordInfo;
import io.tempora.engine.model.EntityRow.Status;
import io.tempora.engine.model.Identity;
import io.tempora.engine.query.ConflictFilter;
import io.tempora.engine.query.ConflictPage;
import io.tempora.engine.query.Query;
import io.tempora.engine.store.InMemoryStore;
import io.tempora.engine.temporal.Interval;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.stream.Collectors;

/**
 * {@link ScenarioClient} on an in-process {@link Engine} over an {@link InMemoryStore}, shard 0.
 * Engine exceptions map to scenario error codes: {@link IllegalArgumentException} to
 * INVALID_ARGUMENT, {@link NotFoundException} to NOT_FOUND, {@link PreconditionFailedException} to
 * FAILED_PRECONDITION and anything else to INTERNAL (with the throwing frame, for diagnosis).
 */
public final class EngineScenarioClient implements ScenarioClient {
  private final InMemoryStore store = new InMemoryStore();
  private final Engine engine;
  private final Reader reader;

  private EngineScenarioClient(JsonNode limits) {
    this.engine = new Engine(store, new EngineConfig(0, EngineRequests.limits(limits)));
    this.reader = engine.reader();
  }

  /** The factory: a fresh engine and empty store per run. */
  public static ScenarioClient open(JsonNode limits) {
    return new EngineScenarioClient(limits);
  }

  @Override
  public boolean singleShard() {
    return true;
  }

  @Override
  public JsonNode upsert(JsonNode records) {
    var in = EngineRequests.records(records);
    return call(() -> engine.upsert(in), EngineAnswers::write);
  }

  @Override
  public JsonNode delete(JsonNode identities) {
    var in = EngineRequests.identities(identities);
    return call(() -> engine.delete(in), EngineAnswers::write);
  }

  @Override
  public JsonNode setOntology(JsonNode ontology, Integer expectedVersion) {
    var in = EngineRequests.ontology(ontology);
    return call(() -> engine.setOntology(in, expectedVersion), EngineAnswers::ontology);
  }

  @Override
  public JsonNode ontologyVersion() {
    return NODES.numberNode(engine.ontology().version());
  }

  @Override
  public JsonNode partition() {
    ArrayNode out = NODES.arrayNode();
    for (EntitySummary e : reader.partition()) {
      out.add(ScenarioJson.identities(e.members()));
    }
    return out;
  }

  @Override
  public JsonNode listConflicts(JsonNode filter, int pageSize, String pageToken) {
    Long entityId = null;
    JsonNode entity = filter.get("entity");
    if (entity != null && !entity.isNull()) {
      Identity member = identity(entity);
      JsonNode rec = call(() -> reader.getRecord(member), r -> NODES.numberNode(r.entityId()));
      if (rec.has("error")) {
        return rec;
      }
      entityId = rec.asLong();
    }
    JsonNode window = filter.get("window");
    ConflictFilter f =
        new ConflictFilter(
            ScenarioJson.side(window, 0),
            ScenarioJson.side(window, 1),
            optionalText(filter, "attribute"),
            EngineRequests.kinds(filter.get("kinds")),
            optionalText(filter, "entity_type"),
            entityId);
    return call(() -> reader.listConflicts(f, pageSize, pageToken), this::page);
  }

  private JsonNode page(ConflictPage p) {
    ObjectNode out = NODES.objectNode();
    out.set("items", answers().conflicts(p.items()));
    if (p.nextPageToken() != null) {
      out.put("next_page_token", p.nextPageToken());
    }
    return out;
  }

  @Override
  public JsonNode golden(JsonNode identity, JsonNode window) {
    Identity member = identity(identity);
    return call(
        () -> {
          RecordInfo r = reader.getRecord(member);
          if (!r.live()) {
            throw new NotFoundException("record " + member + " is deleted");
          }
          return reader.getEntity(r.entityId(), window(window));
        },
        e -> NODES.objectNode().set("entries", EngineAnswers.descriptors(e.golden())));
  }

  @Override
  public JsonNode query(JsonNode request) {
    var q = EngineRequests.query(request);
    return call(() -> reader.query(q), r -> answers().query(r));
  }

  @Override
  public JsonNode explain(JsonNode a, JsonNode b) {
    Identity ia = identity(a);
    Identity ib = identity(b);
    return call(() -> reader.explain(ia, ib), x -> answers().explain(x));
  }

  @Override
  public JsonNode record(JsonNode identity) {
    Identity id = identity(identity);
    return call(() -> reader.getRecord(id), EngineAnswers::record);
  }

  @Override
  public JsonNode entity(String id, JsonNode window) {
    long eid = ScenarioJson.parseId(id);
    return call(() -> reader.getEntity(eid, window(window)), e -> answers().entity(e));
  }

  @Override
  public JsonNode events() {
    return EngineAnswers.events(reader.events(0, Integer.MAX_VALUE));
  }

  /** A GetEntity window, null for all time; an empty one is INVALID_ARGUMENT as for queries. */
  private static Interval window(JsonNode window) {
    if (window == null || window.isNull()) {
      return null;
    }
    long s = ScenarioJson.windowStart(window);
    long e = ScenarioJson.windowEnd(window);
    Query.checkWindow(s, e);
    return new Interval(s, e);
  }

  /** Renderers naming each entity by its anchor in the current partition. */
  private EngineAnswers answers() {
    Map<Long, Identity> anchors = new HashMap<>();
    for (EntitySummary e : reader.partition()) {
      anchors.put(e.entityId(), Collections.min(e.members()));
    }
    return new EngineAnswers(id -> anchor(anchors, id));
  }

  private JsonNode anchor(Map<Long, Identity> anchors, long id) {
    Identity a = anchors.get(id);
    if (a != null) {
      return identity(a);
    }
    // Not an active entity: resolve aliases so the mismatch says what the id stands for.
    try {
      EntityInfo e = reader.getEntity(id, null);
      if (e.resolvedStatus() == Status.ACTIVE && !e.members().isEmpty()) {
        return NODES.textNode(
            ScenarioJson.entityId(id)
                + " (not active; resolves to "
                + ScenarioJson.entityId(e.resolved())
                + " anchored at "
                + Collections.min(e.members().stream().map(EntityInfo.Member::identity).toList())
                + ")");
      }
      return NODES.textNode(ScenarioJson.entityId(id) + " (" + e.resolvedStatus() + ")");
    } catch (NotFoundException ex) {
      return NODES.textNode(ScenarioJson.entityId(id) + " (never issued)");
    }
  }

  private static <T> JsonNode call(Supplier<T> engineCall, Function<T, JsonNode> render) {
    T result;
    try {
      result = engineCall.get();
    } catch (IllegalArgumentException e) {
      return error("INVALID_ARGUMENT", e.getMessage());
    } catch (NotFoundException e) {
      return error("NOT_FOUND", e.getMessage());
    } catch (PreconditionFailedException e) {
      return error("FAILED_PRECONDITION", e.getMessage());
    } catch (RuntimeException e) {
      return error("INTERNAL", e + " at " + frames(e));
    }
    return render.apply(result);
  }

  private static String frames(Throwable e) {
    List<StackTraceElement> top = Arrays.asList(e.getStackTrace());
    return top.subList(0, Math.min(4, top.size())).stream()
        .map(StackTraceElement::toString)
        .collect(Collectors.joining(" < "));
  }

  @Override
  public void close() {
    store.close();
  }
}
