package io.tempora.engine.conflict;

import io.tempora.engine.model.Identity;
import io.tempora.engine.ontology.Ontology.ConstraintKind;
import io.tempora.engine.temporal.Interval;
import java.util.List;

/**
 * One conflict item (DOMAIN.md §7): DIRECT, BLOCKED_MERGE or CONSTRAINT. Entities are named by id;
 * records by identity. Immutable.
 */
public sealed interface ConflictItem
    permits ConflictItem.Direct, ConflictItem.BlockedMerge, ConflictItem.ConstraintViolation {

  /** Conflict kinds in §7.4 order. */
  enum Kind {
    DIRECT,
    BLOCKED_MERGE,
    CONSTRAINT
  }

  /** The kind. */
  Kind kind();

  /** The entity type. */
  String entityType();

  /** The attribute. */
  String attribute();

  /** The item's interval. */
  Interval interval();

  /** Every entity id the item names. */
  List<Long> entityIds();

  /** A value and its holders (canonical order). */
  record ValueHolders(String value, List<Identity> holders) {
    public ValueHolders {
      holders = List.copyOf(holders);
    }
  }

  /** An entity and its members holding the value. */
  record EntityHolders(long entityId, List<Identity> holders) {
    public EntityHolders {
      holders = List.copyOf(holders);
    }
  }

  /** Several values of one attribute at once inside one entity (§7.1). */
  record Direct(
      String entityType,
      String attribute,
      Interval interval,
      long entityId,
      List<ValueHolders> values)
      implements ConflictItem {
    public Direct {
      values = List.copyOf(values);
    }

    @Override
    public Kind kind() {
      return Kind.DIRECT;
    }

    @Override
    public List<Long> entityIds() {
      return List.of(entityId);
    }
  }

  /** Two entities that are linkable but whose union has a strong conflict (§7.2). */
  record BlockedMerge(
      String entityType,
      String attribute,
      Interval interval,
      long entityA,
      long entityB,
      List<Identity> linkRecords,
      String key,
      List<String> tuple,
      Interval linkInterval,
      String perspective,
      String valueA,
      String valueB,
      List<Identity> conflictRecords)
      implements ConflictItem {
    public BlockedMerge {
      linkRecords = List.copyOf(linkRecords);
      tuple = List.copyOf(tuple);
      conflictRecords = List.copyOf(conflictRecords);
    }

    @Override
    public Kind kind() {
      return Kind.BLOCKED_MERGE;
    }

    @Override
    public List<Long> entityIds() {
      return List.of(entityA, entityB);
    }
  }

  /** A value held by several entities at once against a uniqueness constraint (§7.3). */
  record ConstraintViolation(
      String entityType,
      String attribute,
      Interval interval,
      String constraint,
      ConstraintKind constraintKind,
      String value,
      String perspective,
      List<EntityHolders> entities)
      implements ConflictItem {
    public ConstraintViolation {
      entities = List.copyOf(entities);
    }

    @Override
    public Kind kind() {
      return Kind.CONSTRAINT;
    }

    @Override
    public List<Long> entityIds() {
      return entities.stream().map(EntityHolders::entityId).toList();
    }
  }
}
