package io.tempora.engine.conflict;

import io.tempora.engine.conflict.ConflictItem.ConstraintViolation;
import io.tempora.engine.conflict.ConflictItem.EntityHolders;
import io.tempora.engine.model.Identity;
import io.tempora.engine.ontology.Ontology.Constraint;
import io.tempora.engine.ontology.Ontology.ConstraintKind;
import io.tempora.engine.temporal.ByteOrder;
import io.tempora.engine.temporal.IntervalSet;
import io.tempora.engine.temporal.Timeline;
import io.tempora.engine.temporal.Timeline.Segment;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.LongFunction;

/**
 * CONSTRAINT items of one {@code (entity type, constraint, value)} (DOMAIN.md §7.3), computed from
 * the records of that type holding the (non-ignored) value.
 */
public final class ConstraintConflicts {
  private ConstraintConflicts() {}

  /**
   * One holder of the value: the record, its entity and its coverage of the value.
   *
   * @param identity the record identity
   * @param entityId the record's entity
   * @param coverage where the record holds the value
   */
  public record Holder(Identity identity, long entityId, IntervalSet coverage) {}

  /**
   * The items of one constraint and value.
   *
   * @param type the entity type
   * @param c the constraint (applies to {@code type})
   * @param value the value (not ignored)
   * @param holders every live record of {@code type} holding the value
   * @param anchorOf the anchor of an entity id, for ordering entities
   */
  public static List<ConstraintViolation> of(
      String type,
      Constraint c,
      String value,
      List<Holder> holders,
      LongFunction<Identity> anchorOf) {
    List<ConstraintViolation> out = new ArrayList<>();
    if (c.kind() == ConstraintKind.UNIQUE) {
      out.addAll(evaluate(type, c, value, null, holders, anchorOf));
      return out;
    }
    TreeMap<String, List<Holder>> byPersp = new TreeMap<>(ByteOrder.STRINGS);
    for (Holder h : holders) {
      byPersp.computeIfAbsent(h.identity().perspective(), k -> new ArrayList<>()).add(h);
    }
    byPersp.forEach((p, hs) -> out.addAll(evaluate(type, c, value, p, hs, anchorOf)));
    return out;
  }

  private static List<ConstraintViolation> evaluate(
      String type,
      Constraint c,
      String value,
      String persp,
      List<Holder> holders,
      LongFunction<Identity> anchorOf) {
    Map<Long, IntervalSet> byEntity = new HashMap<>();
    for (Holder h : holders) {
      byEntity.merge(h.entityId(), h.coverage(), IntervalSet::union);
    }
    if (byEntity.size() < 2) {
      return List.of();
    }
    Map<Long, Identity> anchors = new HashMap<>();
    byEntity.keySet().forEach(id -> anchors.put(id, anchorOf.apply(id)));
    Comparator<Long> byAnchor = Comparator.comparing(anchors::get);
    List<ConstraintViolation> out = new ArrayList<>();
    for (Segment<Long> s : Timeline.segments(byEntity, byAnchor)) {
      if (s.keys().size() < 2) {
        continue;
      }
      List<EntityHolders> ents = new ArrayList<>();
      for (long id : s.keys()) {
        List<Identity> hs = new ArrayList<>();
        for (Holder h : holders) {
          if (h.entityId() == id && h.coverage().overlaps(s.interval())) {
            hs.add(h.identity());
          }
        }
        hs.sort(null);
        ents.add(new EntityHolders(id, hs));
      }
      out.add(
          new ConstraintViolation(
              type, c.attribute(), s.interval(), c.name(), c.kind(), value, persp, ents));
    }
    return out;
  }
}
