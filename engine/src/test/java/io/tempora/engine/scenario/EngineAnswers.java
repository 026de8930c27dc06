package io.tempora.engine.scenario;

import static io.tempora.engine.scenario.ScenarioJson.NODES;
import static io.tempora.engine.scenario.ScenarioJson.entityId;
import static io.tempora.engine.scenario.ScenarioJson.identities;
import static io.tempora.engine.scenario.ScenarioJson.identity;
import static io.tempora.engine.scenario.ScenarioJson.recordId;
import static io.tempora.engine.scenario.ScenarioJson.tx;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tempora.engine.EntityInfo;
import io.tempora.engine.OntologyResult;
import io.tempora.engine.RecordInfo;
import io.tempora.engine.conflict.ConflictItem;
import io.tempora.engine.conflict.ConflictItem.BlockedMerge;
import io.tempora.engine.conflict.ConflictItem.ConstraintViolation;
import io.tempora.engine.conflict.ConflictItem.Direct;
import io.tempora.engine.conflict.ConflictItem.EntityHolders;
import io.tempora.engine.conflict.ConflictItem.ValueHolders;
import io.tempora.engine.link.LinkIndex.LinkStep;
import io.tempora.engine.model.Descriptor;
import io.tempora.engine.model.EntityEvent;
import io.tempora.engine.model.EntityRow.Status;
import io.tempora.engine.model.RecordVersion;
import io.tempora.engine.query.Explanation;
import io.tempora.engine.query.QueryResult;
import io.tempora.engine.query.QueryResult.ConflictEntity;
import io.tempora.engine.query.QueryResult.ConflictInterval;
import io.tempora.engine.query.QueryResult.DescriptorHolders;
import io.tempora.engine.query.QueryResult.Match;
import io.tempora.engine.temporal.Interval;
import io.tempora.engine.write.WriteResult;
import java.util.List;
import java.util.function.LongFunction;

/**
 * Engine answers to scenario JSON. Entity references in conflict items and query answers go through
 * {@code entityRef} (the anchor identity); ids elsewhere render as {@code "rN"}/{@code "eN"}.
 */
final class EngineAnswers {
  private final LongFunction<JsonNode> entityRef;

  EngineAnswers(LongFunction<JsonNode> entityRef) {
    this.entityRef = entityRef;
  }

  /** An upsert or delete answer; items of never-seen identities carry only index and outcome. */
  static ObjectNode write(WriteResult r) {
    ObjectNode out = NODES.objectNode();
    out.set("tx", tx(r.tx()));
    ArrayNode items = out.putArray("items");
    for (WriteResult.Item it : r.items()) {
      ObjectNode item = items.addObject();
      item.put("index", it.index());
      item.put("outcome", it.outcome().name());
      if (it.recordId() != 0) {
        item.put("record_id", recordId(it.recordId()));
        item.put("version", it.version());
        item.set("tx", tx(it.tx()));
      }
      if (it.entityId() != 0) {
        item.put("entity_id", entityId(it.entityId()));
      }
    }
    out.set("events", events(r.events()));
    return out;
  }

  /** A SetOntology answer. */
  static ObjectNode ontology(OntologyResult r) {
    ObjectNode out = NODES.objectNode();
    out.put("version", r.version());
    out.set("tx", tx(r.tx()));
    out.set("events", events(r.events()));
    return out;
  }

  /** Events {@code {"tx", "kind", "entity_id", "related_ids"}}. */
  static ArrayNode events(List<EntityEvent> events) {
    ArrayNode out = NODES.arrayNode();
    for (EntityEvent e : events) {
      ObjectNode o = out.addObject();
      o.put("tx", e.tx());
      o.put("kind", e.kind().name());
      o.put("entity_id", entityId(e.entityId()));
      ArrayNode related = o.putArray("related_ids");
      e.relatedIds().forEach(id -> related.add(entityId(id)));
    }
    return out;
  }

  /** Descriptors {@code {"attr", "value", "interval"}}. */
  static ArrayNode descriptors(List<Descriptor> ds) {
    ArrayNode out = NODES.arrayNode();
    for (Descriptor d : ds) {
      ObjectNode o = out.addObject();
      o.put("attr", d.attr());
      o.put("value", d.value());
      o.set("interval", ScenarioJson.interval(d.start(), d.end()));
    }
    return out;
  }

  static ArrayNode interval(Interval i) {
    return ScenarioJson.interval(i.start(), i.end());
  }

  /** GetRecord. */
  static ObjectNode record(RecordInfo r) {
    ObjectNode out = NODES.objectNode();
    out.put("record_id", recordId(r.recordId()));
    out.put("status", r.live() ? "LIVE" : "DELETED");
    out.put("version", r.version());
    if (r.live()) {
      out.set("descriptors", descriptors(r.descriptors().pieces()));
      out.put("entity_id", entityId(r.entityId()));
    }
    ArrayNode history = out.putArray("history");
    for (RecordVersion v : r.history()) {
      ObjectNode h = history.addObject();
      h.put("version", v.version());
      h.put("tx", v.tx());
      h.put("kind", v.kind().name());
      if (!v.isDeleted()) {
        h.set("descriptors", descriptors(v.descriptors().pieces()));
      }
    }
    return out;
  }

  /** GetEntity; a resolved DELETED entity carries only ids, statuses and the deleting tx. */
  ObjectNode entity(EntityInfo e) {
    ObjectNode out = NODES.objectNode();
    out.put("requested", entityId(e.requested()));
    out.put("resolved", entityId(e.resolved()));
    out.put("status", e.status().name());
    if (e.resolvedStatus() == Status.DELETED) {
      out.put("resolved_status", e.resolvedStatus().name());
      out.put("deleted_tx", e.deletedTx());
      return out;
    }
    out.put("entity_type", e.entityType());
    ArrayNode members = out.putArray("members");
    for (EntityInfo.Member m : e.members()) {
      ObjectNode o = members.addObject();
      o.set("identity", identity(m.identity()));
      o.put("record_id", recordId(m.recordId()));
      o.put("version", m.version());
    }
    out.set("golden", descriptors(e.golden()));
    out.set("conflicts", conflicts(e.conflicts()));
    ArrayNode aliases = out.putArray("aliases");
    e.aliases().forEach(a -> aliases.add(entityId(a)));
    return out;
  }

  /** Conflict items in the given order. */
  ArrayNode conflicts(List<? extends ConflictItem> items) {
    ArrayNode out = NODES.arrayNode();
    items.forEach(i -> out.add(conflict(i)));
    return out;
  }

  private ObjectNode conflict(ConflictItem item) {
    ObjectNode o = NODES.objectNode();
    o.put("kind", item.kind().name());
    o.put("entity_type", item.entityType());
    o.put("attribute", item.attribute());
    o.set("interval", interval(item.interval()));
    switch (item) {
      case Direct d -> direct(o, d);
      case BlockedMerge b -> blocked(o, b);
      case ConstraintViolation c -> constraint(o, c);
    }
    return o;
  }

  private void direct(ObjectNode o, Direct d) {
    o.set("entity", entityRef.apply(d.entityId()));
    ArrayNode values = o.putArray("values");
    for (ValueHolders v : d.values()) {
      values.addObject().put("value", v.value()).set("holders", identities(v.holders()));
    }
  }

  private void blocked(ObjectNode o, BlockedMerge b) {
    o.set("entity_a", entityRef.apply(b.entityA()));
    o.set("entity_b", entityRef.apply(b.entityB()));
    o.set("link_records", identities(b.linkRecords()));
    o.put("key", b.key());
    o.set("tuple", strings(b.tuple()));
    o.set("link_interval", interval(b.linkInterval()));
    o.put("perspective", b.perspective());
    o.put("value_a", b.valueA());
    o.put("value_b", b.valueB());
    o.set("conflict_records", identities(b.conflictRecords()));
  }

  private void constraint(ObjectNode o, ConstraintViolation c) {
    o.put("constraint", c.constraint());
    o.put("constraint_kind", c.constraintKind() == null ? null : c.constraintKind().name());
    o.put("value", c.value());
    if (c.perspective() != null) {
      o.put("perspective", c.perspective());
    }
    ArrayNode entities = o.putArray("entities");
    for (EntityHolders h : c.entities()) {
      entities
          .addObject()
          .<ObjectNode>set("entity", entityRef.apply(h.entityId()))
          .set("holders", identities(h.holders()));
    }
  }

  /** A query answer: matches or a QueryConflict. */
  ObjectNode query(QueryResult r) {
    ObjectNode out = NODES.objectNode();
    if (r.matches() != null) {
      ArrayNode matches = out.putArray("matches");
      for (Match m : r.matches()) {
        matches
            .addObject()
            .<ObjectNode>set("entity", entityRef.apply(m.entityId()))
            .<ObjectNode>set("interval", interval(m.interval()))
            .set("golden", descriptors(m.golden()));
      }
    }
    if (r.conflict() != null) {
      ArrayNode conflict = out.putArray("conflict");
      for (ConflictInterval ci : r.conflict()) {
        ObjectNode c = conflict.addObject();
        c.set("interval", interval(ci.interval()));
        ArrayNode entities = c.putArray("entities");
        for (ConflictEntity ce : ci.entities()) {
          ObjectNode e = entities.addObject();
          e.set("entity", entityRef.apply(ce.entityId()));
          ArrayNode ds = e.putArray("descriptors");
          for (DescriptorHolders dh : ce.descriptors()) {
            ds.addObject()
                .put("attr", dh.attr())
                .put("value", dh.value())
                .set("holders", identities(dh.holders()));
          }
        }
      }
    }
    return out;
  }

  /** An Explain answer; DIFFERENT_ENTITY_TYPE and NO_LINK_PATH carry only the outcome. */
  ObjectNode explain(Explanation x) {
    ObjectNode out = NODES.objectNode();
    out.put("outcome", x.outcome().name());
    if (x.outcome() == Explanation.Outcome.SAME_ENTITY
        || x.outcome() == Explanation.Outcome.BLOCKED) {
      out.set("path", identities(x.path()));
      ArrayNode steps = out.putArray("steps");
      for (LinkStep s : x.steps()) {
        steps
            .addObject()
            .put("key", s.key())
            .<ObjectNode>set("tuple", strings(s.tuple()))
            .set("link_interval", interval(s.piece()));
      }
    }
    if (x.outcome() == Explanation.Outcome.BLOCKED) {
      out.set("blocked", conflicts(x.blocked()));
    }
    return out;
  }

  private static ArrayNode strings(List<String> values) {
    ArrayNode out = NODES.arrayNode();
    values.forEach(out::add);
    return out;
  }
}
