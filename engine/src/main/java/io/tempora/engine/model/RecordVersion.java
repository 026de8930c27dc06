package io.tempora.engine.model;

/**
 * One version of a record (DOMAIN.md §2.5): the current state of an identity or a superseded one. A
 * tombstone ({@link #isDeleted()}) has no descriptors.
 *
 * @param recordId the record id (creating shard in the high 16 bits)
 * @param identity the identity
 * @param version version number from 1
 * @param tx the transaction that wrote this version
 * @param kind CREATED, UPDATED or DELETED
 * @param descriptors normal form, {@code null} for DELETED
 */
public record RecordVersion(
    long recordId,
    Identity identity,
    int version,
    long tx,
    ChangeKind kind,
    Descriptors descriptors) {

  /** How a version came to be. */
  public enum ChangeKind {
    CREATED,
    UPDATED,
    DELETED
  }

  /** True for a tombstone. */
  public boolean isDeleted() {
    return kind == ChangeKind.DELETED;
  }
}
