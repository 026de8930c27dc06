package io.tempora.engine.model;

/**
 * The stored state of an entity id (DOMAIN.md §6.1): active, merged into another id (an alias), or
 * deleted at a transaction.
 *
 * @param entityId the id
 * @param status current status
 * @param entityType the entity type (kept for every status)
 * @param mergedInto target id when MERGED, else 0
 * @param deletedTx deleting transaction when DELETED, else 0
 */
public record EntityRow(
    long entityId, Status status, String entityType, long mergedInto, long deletedTx) {
  /** Entity id status. */
  public enum Status {
    ACTIVE,
    MERGED,
    DELETED
  }

  /** An active entity. */
  public static EntityRow active(long id, String type) {
    return new EntityRow(id, Status.ACTIVE, type, 0, 0);
  }
}
