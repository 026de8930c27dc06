package io.tempora.persistence.export;

/**
 * One golden entry of an entity (STORAGE.md §6.2, DOMAIN.md §8).
 *
 * @param entityId entity id (unsigned)
 * @param entityType entity type
 * @param attribute attribute
 * @param value the value held alone over the interval
 * @param validFrom first instant, null = unbounded
 * @param validTo end instant (exclusive), null = unbounded
 * @param memberCount number of live member records of the entity
 */
public record GoldenRow(
    long entityId,
    String entityType,
    String attribute,
    String value,
    Long validFrom,
    Long validTo,
    int memberCount) {}
