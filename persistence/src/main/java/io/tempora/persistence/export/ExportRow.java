package io.tempora.persistence.export;

/**
 * One row of a records or versions file (STORAGE.md §6.2). Nullable fields are {@code null} where
 * the table says "null = unbounded or absent".
 *
 * @param recordId record id (unsigned)
 * @param entityType entity type
 * @param perspective perspective
 * @param uid identifier within the perspective
 * @param version record version from 1
 * @param tx transaction that wrote the version
 * @param attribute attribute, null for a tombstone version
 * @param value value, null for a tombstone version
 * @param validFrom first instant, null = unbounded or tombstone
 * @param validTo end instant (exclusive), null = unbounded or tombstone
 * @param entityId entity holding the record (unsigned), null when the record is not live
 * @param kind CREATED, UPDATED or DELETED (versions only; null in records rows)
 * @param supersededTx transaction of the next version, null for the current one (versions only)
 */
public record ExportRow(
    long recordId,
    String entityType,
    String perspective,
    String uid,
    int version,
    long tx,
    String attribute,
    String value,
    Long validFrom,
    Long validTo,
    Long entityId,
    String kind,
    Long supersededTx) {}
