package io.tempora.engine.write;

import io.tempora.engine.model.EntityEvent;
import java.util.List;

/**
 * The answer to an upsert or delete request (DOMAIN.md §2.4).
 *
 * @param tx the transaction the request consumed, or 0 if none
 * @param items one item per request position
 * @param events the events of the transaction, in §6.2 order
 */
public record WriteResult(long tx, List<Item> items, List<EntityEvent> events) {
  public WriteResult {
    items = List.copyOf(items);
    events = List.copyOf(events);
  }

  /** Per-record outcomes. */
  public enum Outcome {
    CREATED,
    UPDATED,
    UNCHANGED,
    DELETED,
    NOT_FOUND
  }

  /**
   * One response item.
   *
   * @param index position in the request
   * @param outcome what happened
   * @param recordId record id, 0 for an identity never seen
   * @param version current version, 0 if none
   * @param tx the transaction of the current version, 0 if none
   * @param entityId entity after the whole request for a live record, else 0
   */
  public record Item(
      int index, Outcome outcome, long recordId, int version, long tx, long entityId) {}
}
