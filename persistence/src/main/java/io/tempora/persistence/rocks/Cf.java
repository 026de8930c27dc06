package io.tempora.persistence.rocks;

import java.nio.charset.StandardCharsets;

/**
 * The column families of one shard database and their filter setup (docs/storage.md lists each key
 * and value byte by byte). RocksDB's {@code default} family exists but stays empty.
 */
enum Cf {
  META("meta", 0),
  INTERNER("interner", 0),
  RECORDS("records", 0),
  /** Superseded versions in the layout before history partitions (read, dropped, never written). */
  RECORD_VERSIONS("record_versions", 8),
  /** Superseded versions by history partition: {@code part u32, rid u64, version u32}. */
  RECORD_HISTORY("record_history", 12),
  IDENTITY("identity", 0),
  ATTR_VALUE("attr_value", 12),
  KEY_POSTINGS("key_postings", 17),
  RECORD_ENTITY("record_entity", 0),
  MEMBERSHIPS("memberships", 8),
  ENTITY_IDS("entity_ids", 0),
  ACTIVE_ENTITIES("active_entities", -1),
  ALIASES("aliases", 8),
  CONFLICTS("conflicts", 0),
  CONFLICT_ORDER("conflict_order", -1),
  CONFLICT_UNITS("conflict_units", 8),
  EVENTS("events", -1),
  TEMPORAL("temporal", -1),
  ENTITY_TYPE_IDX("entity_type_idx", 4),
  PERSPECTIVE_IDX("perspective_idx", 4);

  private final String cfName;
  private final int prefix;

  /**
   * @param prefix fixed prefix length with prefix blooms; 0 for whole-key bloom; -1 for a range CF
   *     with no filter
   */
  Cf(String cfName, int prefix) {
    this.cfName = cfName;
    this.prefix = prefix;
  }

  /** The column family name in RocksDB. */
  String cfName() {
    return cfName;
  }

  byte[] nameBytes() {
    return cfName.getBytes(StandardCharsets.US_ASCII);
  }

  /** False for the legacy {@code record_versions}, which this build reads but never writes. */
  boolean isWritten() {
    return this != RECORD_VERSIONS;
  }

  /** Fixed prefix length, 0 for whole-key bloom, -1 for no filter. */
  int prefix() {
    return prefix;
  }
}
