package io.tempora.engine.model;

import java.util.List;

/**
 * An entity change event (DOMAIN.md §6.2).
 *
 * @param tx the transaction that emitted it
 * @param kind what happened
 * @param entityId the entity the event is about
 * @param relatedIds ascending ids of the other entities involved (unsigned order)
 */
public record EntityEvent(long tx, Kind kind, long entityId, List<Long> relatedIds) {
  /** Event kinds in §6.2 order. */
  public enum Kind {
    SPLIT,
    MERGED,
    CREATED,
    UPDATED,
    DELETED
  }

  public EntityEvent {
    relatedIds = List.copyOf(relatedIds);
  }
}
