package io.tempora.shardserver.grpc;

import static io.tempora.engine.scenario.ScenarioJson.NODES;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tempora.engine.scenario.ScenarioJson;
import io.tempora.proto.v1.AttrValue;
import io.tempora.proto.v1.ConflictFilter;
import io.tempora.proto.v1.ConflictItem;
import io.tempora.proto.v1.ConflictKind;
import io.tempora.proto.v1.Constraint;
import io.tempora.proto.v1.ConstraintKind;
import io.tempora.proto.v1.Descriptor;
import io.tempora.proto.v1.EntityEvent;
import io.tempora.proto.v1.EntityStatus;
import io.tempora.proto.v1.ExplainOutcome;
import io.tempora.proto.v1.ExplainResponse;
import io.tempora.proto.v1.GetEntityResponse;
import io.tempora.proto.v1.GetRecordResponse;
import io.tempora.proto.v1.Identity;
import io.tempora.proto.v1.IdentityKey;
import io.tempora.proto.v1.IgnoredValues;
import io.tempora.proto.v1.Interval;
import io.tempora.proto.v1.Ontology;
import io.tempora.proto.v1.QueryConflictEntity;
import io.tempora.proto.v1.QueryConflictInterval;
import io.tempora.proto.v1.QueryEntitiesRequest;
import io.tempora.proto.v1.QueryEntitiesResponse;
import io.tempora.proto.v1.QueryMatch;
import io.tempora.proto.v1.Record;
import io.tempora.proto.v1.RecordVersion;
import io.tempora.proto.v1.StrongIdentifier;
import io.tempora.proto.v1.WriteItem;
import java.util.List;
import java.util.function.LongFunction;

/**
 * Scenario JSON ({@code tempora-scenario/1}) to proto requests and proto responses back to scenario
 * JSON, written against the wire types only, so the gRPC path is checked independently of the
 * engine's own renderers.
 */
public final class ProtoJson {
  private final LongFunction<JsonNode> entityRef;

  /**
   * @param entityRef renders an entity id inside conflict items and query answers (its anchor)
   */
  public ProtoJson(LongFunction<JsonNode> entityRef) {
    this.entityRef = entityRef;
  }

  // ---- requests

  public static Identity identity(JsonNode node) {
    io.tempora.engine.model.Identity id = ScenarioJson.identity(node);
    return Identity.newBuilder()
        .setEntityType(id.entityType())
        .setPerspective(id.perspective())
        .setUid(id.uid())
        .build();
  }

  public static Interval interval(JsonNode interval) {
    Interval.Builder b = Interval.newBuilder();
    Long s = ScenarioJson.side(interval, 0);
    Long e = ScenarioJson.side(interval, 1);
    if (s != null) {
      b.setStart(s);
    }
    if (e != null) {
      b.setEnd(e);
    }
    return b.build();
  }

  public static Record record(JsonNode r) {
    Record.Builder b =
        Record.newBuilder()
            .setIdentity(
                Identity.newBuilder()
                    .setEntityType(ScenarioJson.text(r, "entity_type"))
                    .setPerspective(ScenarioJson.text(r, "perspective"))
                    .setUid(ScenarioJson.text(r, "uid")));
    for (JsonNode d : r.path("descriptors")) {
      Descriptor.Builder db =
          Descriptor.newBuilder()
              .setAttr(ScenarioJson.text(d, "attr"))
              .setValue(ScenarioJson.text(d, "value"));
      if (d.has("interval") && !d.get("interval").isNull()) {
        db.setInterval(interval(d.get("interval")));
      }
      b.addDescriptors(db);
    }
    return b.build();
  }

  public static Ontology ontology(JsonNode json) {
    Ontology.Builder b = Ontology.newBuilder();
    for (JsonNode k : json.path("identity_keys")) {
      b.addIdentityKeys(
          IdentityKey.newBuilder()
              .setName(ScenarioJson.text(k, "name"))
              .addAllAttributes(strings(k.path("attributes")))
              .addAllEntityTypes(strings(k.path("entity_types"))));
    }
    for (JsonNode s : json.path("strong_identifiers")) {
      b.addStrongIdentifiers(
          StrongIdentifier.newBuilder()
              .setAttribute(ScenarioJson.text(s, "attribute"))
              .addAllEntityTypes(strings(s.path("entity_types"))));
    }
    for (JsonNode c : json.path("constraints")) {
      b.addConstraints(
          Constraint.newBuilder()
              .setName(ScenarioJson.text(c, "name"))
              .setAttribute(ScenarioJson.text(c, "attribute"))
              .setKind(constraintKind(ScenarioJson.text(c, "kind")))
              .addAllEntityTypes(strings(c.path("entity_types"))));
    }
    for (JsonNode i : json.path("ignored_values")) {
      b.addIgnoredValues(
          IgnoredValues.newBuilder()
              .setAttribute(ScenarioJson.text(i, "attribute"))
              .addAllValues(strings(i.path("values")))
              .addAllEntityTypes(strings(i.path("entity_types"))));
    }
    return b.build();
  }

  private static ConstraintKind constraintKind(String kind) {
    return switch (kind) {
      case "UNIQUE" -> ConstraintKind.CONSTRAINT_KIND_UNIQUE;
      case "UNIQUE_WITHIN_PERSPECTIVE" -> ConstraintKind.CONSTRAINT_KIND_UNIQUE_WITHIN_PERSPECTIVE;
      default -> ConstraintKind.CONSTRAINT_KIND_UNSPECIFIED;
    };
  }

  public static QueryEntitiesRequest query(JsonNode json) {
    QueryEntitiesRequest.Builder b =
        QueryEntitiesRequest.newBuilder().setReturnAll(json.path("return_all").asBoolean(false));
    for (JsonNode d : json.path("descriptors")) {
      b.addDescriptors(
          AttrValue.newBuilder()
              .setAttr(ScenarioJson.text(d, "attr"))
              .setValue(ScenarioJson.text(d, "value")));
    }
    if (json.has("window") && !json.get("window").isNull()) {
      b.setWindow(interval(json.get("window")));
    }
    String type = ScenarioJson.optionalText(json, "entity_type");
    if (type != null) {
      b.setEntityType(type);
    }
    return b.build();
  }

  /** Filters other than {@code entity}, which needs a lookup. */
  public static ConflictFilter.Builder filter(JsonNode json) {
    ConflictFilter.Builder b = ConflictFilter.newBuilder();
    if (json.has("window") && !json.get("window").isNull()) {
      b.setWindow(interval(json.get("window")));
    }
    String attribute = ScenarioJson.optionalText(json, "attribute");
    if (attribute != null) {
      b.setAttribute(attribute);
    }
    for (String k : strings(json.path("kinds"))) {
      b.addKinds(ConflictKind.valueOf("CONFLICT_KIND_" + k));
    }
    String type = ScenarioJson.optionalText(json, "entity_type");
    if (type != null) {
      b.setEntityType(type);
    }
    return b;
  }

  private static List<String> strings(JsonNode json) {
    List<String> out = new java.util.ArrayList<>();
    json.forEach(n -> out.add(n.asText()));
    return out;
  }

  // ---- answers

  public static ArrayNode interval(Interval i) {
    return ScenarioJson.interval(
        i.hasStart() ? i.getStart() : Long.MIN_VALUE, i.hasEnd() ? i.getEnd() : Long.MAX_VALUE);
  }

  public static ArrayNode identity(Identity id) {
    return NODES.arrayNode().add(id.getEntityType()).add(id.getPerspective()).add(id.getUid());
  }

  public static ArrayNode identities(List<Identity> ids) {
    ArrayNode out = NODES.arrayNode();
    ids.forEach(id -> out.add(identity(id)));
    return out;
  }

  private static String strip(Enum<?> value, String prefix) {
    return value.name().substring(prefix.length());
  }

  public static ObjectNode write(long tx, List<WriteItem> items, List<EntityEvent> events) {
    ObjectNode out = NODES.objectNode();
    out.set("tx", ScenarioJson.tx(tx));
    ArrayNode array = out.putArray("items");
    for (WriteItem it : items) {
      ObjectNode item = array.addObject();
      item.put("index", it.getIndex());
      item.put("outcome", strip(it.getOutcome(), "OUTCOME_"));
      if (it.getRecordId() != 0) {
        item.put("record_id", ScenarioJson.recordId(it.getRecordId()));
        item.put("version", it.getVersion());
        item.set("tx", ScenarioJson.tx(it.getTx()));
      }
      if (it.getEntityId() != 0) {
        item.put("entity_id", ScenarioJson.entityId(it.getEntityId()));
      }
    }
    out.set("events", events(events));
    return out;
  }

  public static ArrayNode events(List<EntityEvent> events) {
    ArrayNode out = NODES.arrayNode();
    for (EntityEvent e : events) {
      ObjectNode o = out.addObject();
      o.put("tx", e.getTx());
      o.put("kind", strip(e.getKind(), "ENTITY_EVENT_KIND_"));
      o.put("entity_id", ScenarioJson.entityId(e.getEntityId()));
      ArrayNode related = o.putArray("related_ids");
      e.getRelatedIdsList().forEach(id -> related.add(ScenarioJson.entityId(id)));
    }
    return out;
  }

  public static ArrayNode descriptors(List<Descriptor> ds) {
    ArrayNode out = NODES.arrayNode();
    for (Descriptor d : ds) {
      ObjectNode o = out.addObject();
      o.put("attr", d.getAttr());
      o.put("value", d.getValue());
      o.set("interval", interval(d.getInterval()));
    }
    return out;
  }

  public static ObjectNode record(GetRecordResponse r) {
    ObjectNode out = NODES.objectNode();
    out.put("record_id", ScenarioJson.recordId(r.getRecordId()));
    out.put("status", strip(r.getStatus(), "RECORD_STATUS_"));
    out.put("version", r.getVersion());
    boolean live = r.getStatus() == io.tempora.proto.v1.RecordStatus.RECORD_STATUS_LIVE;
    if (live) {
      out.set("descriptors", descriptors(r.getDescriptorsList()));
      out.put("entity_id", ScenarioJson.entityId(r.getEntityId()));
    }
    ArrayNode history = out.putArray("history");
    for (RecordVersion v : r.getHistoryList()) {
      ObjectNode h = history.addObject();
      h.put("version", v.getVersion());
      h.put("tx", v.getTx());
      h.put("kind", strip(v.getKind(), "VERSION_KIND_"));
      if (v.getKind() != io.tempora.proto.v1.VersionKind.VERSION_KIND_DELETED) {
        h.set("descriptors", descriptors(v.getDescriptorsList()));
      }
    }
    return out;
  }

  public ObjectNode entity(GetEntityResponse e) {
    ObjectNode out = NODES.objectNode();
    out.put("requested", ScenarioJson.entityId(e.getRequested()));
    out.put("resolved", ScenarioJson.entityId(e.getResolved()));
    out.put("status", strip(e.getStatus(), "ENTITY_STATUS_"));
    if (e.getResolvedStatus() == EntityStatus.ENTITY_STATUS_DELETED) {
      out.put("resolved_status", strip(e.getResolvedStatus(), "ENTITY_STATUS_"));
      out.put("deleted_tx", e.getDeletedTx());
      return out;
    }
    out.put("entity_type", e.getEntityType());
    ArrayNode members = out.putArray("members");
    for (io.tempora.proto.v1.EntityMember m : e.getMembersList()) {
      ObjectNode o = members.addObject();
      o.set("identity", identity(m.getIdentity()));
      o.put("record_id", ScenarioJson.recordId(m.getRecordId()));
      o.put("version", m.getVersion());
    }
    out.set("golden", descriptors(e.getGoldenList()));
    out.set("conflicts", conflicts(e.getConflictsList()));
    ArrayNode aliases = out.putArray("aliases");
    e.getAliasesList().forEach(a -> aliases.add(ScenarioJson.entityId(a)));
    return out;
  }

  public ArrayNode conflicts(List<ConflictItem> items) {
    ArrayNode out = NODES.arrayNode();
    items.forEach(i -> out.add(conflict(i)));
    return out;
  }

  private ObjectNode conflict(ConflictItem item) {
    ObjectNode o = NODES.objectNode();
    o.put("kind", strip(item.getKind(), "CONFLICT_KIND_"));
    o.put("entity_type", item.getEntityType());
    o.put("attribute", item.getAttribute());
    o.set("interval", interval(item.getInterval()));
    switch (item.getDetailCase()) {
      case DIRECT -> {
        o.set("entity", entityRef.apply(item.getDirect().getEntityId()));
        ArrayNode values = o.putArray("values");
        for (io.tempora.proto.v1.ValueHolders v : item.getDirect().getValuesList()) {
          values
              .addObject()
              .put("value", v.getValue())
              .set("holders", identities(v.getHoldersList()));
        }
      }
      case BLOCKED_MERGE -> blocked(o, item.getBlockedMerge());
      case CONSTRAINT -> constraint(o, item.getConstraint());
      case DETAIL_NOT_SET -> o.put("detail", "missing");
    }
    return o;
  }

  private void blocked(ObjectNode o, io.tempora.proto.v1.BlockedMergeConflict b) {
    o.set("entity_a", entityRef.apply(b.getEntityA()));
    o.set("entity_b", entityRef.apply(b.getEntityB()));
    o.set("link_records", identities(b.getLinkRecordsList()));
    o.put("key", b.getKey());
    ArrayNode tuple = o.putArray("tuple");
    b.getTupleList().forEach(tuple::add);
    o.set("link_interval", interval(b.getLinkInterval()));
    o.put("perspective", b.getPerspective());
    o.put("value_a", b.getValueA());
    o.put("value_b", b.getValueB());
    o.set("conflict_records", identities(b.getConflictRecordsList()));
  }

  private void constraint(ObjectNode o, io.tempora.proto.v1.ConstraintConflict c) {
    o.put("constraint", c.getConstraint());
    o.put("constraint_kind", strip(c.getConstraintKind(), "CONSTRAINT_KIND_"));
    o.put("value", c.getValue());
    if (c.hasPerspective()) {
      o.put("perspective", c.getPerspective());
    }
    ArrayNode entities = o.putArray("entities");
    for (io.tempora.proto.v1.EntityHolders h : c.getEntitiesList()) {
      entities
          .addObject()
          .<ObjectNode>set("entity", entityRef.apply(h.getEntityId()))
          .set("holders", identities(h.getHoldersList()));
    }
  }

  public ObjectNode query(QueryEntitiesResponse r) {
    ObjectNode out = NODES.objectNode();
    if (r.hasMatches()) {
      ArrayNode matches = out.putArray("matches");
      for (QueryMatch m : r.getMatches().getMatchesList()) {
        matches
            .addObject()
            .<ObjectNode>set("entity", entityRef.apply(m.getEntityId()))
            .<ObjectNode>set("interval", interval(m.getInterval()))
            .set("golden", descriptors(m.getGoldenList()));
      }
    }
    if (r.hasConflict()) {
      ArrayNode conflict = out.putArray("conflict");
      for (QueryConflictInterval ci : r.getConflict().getIntervalsList()) {
        ObjectNode c = conflict.addObject();
        c.set("interval", interval(ci.getInterval()));
        ArrayNode entities = c.putArray("entities");
        for (QueryConflictEntity ce : ci.getEntitiesList()) {
          ObjectNode e = entities.addObject();
          e.set("entity", entityRef.apply(ce.getEntityId()));
          ArrayNode ds = e.putArray("descriptors");
          for (io.tempora.proto.v1.DescriptorHolders dh : ce.getDescriptorsList()) {
            ds.addObject()
                .put("attr", dh.getAttr())
                .put("value", dh.getValue())
                .set("holders", identities(dh.getHoldersList()));
          }
        }
      }
    }
    return out;
  }

  public ObjectNode explain(ExplainResponse x) {
    ObjectNode out = NODES.objectNode();
    out.put("outcome", strip(x.getOutcome(), "EXPLAIN_OUTCOME_"));
    boolean withPath =
        x.getOutcome() == ExplainOutcome.EXPLAIN_OUTCOME_SAME_ENTITY
            || x.getOutcome() == ExplainOutcome.EXPLAIN_OUTCOME_BLOCKED;
    if (withPath) {
      out.set("path", identities(x.getPathList()));
      ArrayNode steps = out.putArray("steps");
      for (io.tempora.proto.v1.LinkStep s : x.getStepsList()) {
        ArrayNode tuple = NODES.arrayNode();
        s.getTupleList().forEach(tuple::add);
        steps
            .addObject()
            .put("key", s.getKey())
            .<ObjectNode>set("tuple", tuple)
            .set("link_interval", interval(s.getLinkInterval()));
      }
    }
    if (x.getOutcome() == ExplainOutcome.EXPLAIN_OUTCOME_BLOCKED) {
      out.set("blocked", conflicts(x.getBlockedList()));
    }
    return out;
  }
}
