/**
 * The engine's storage interface: point lookups and bounded scans over records, postings,
 * memberships, conflicts, events and metadata, written in one atomic transaction per request. The
 * in-memory implementation serves tests; the RocksDB one lives in the persistence module.
 */
package io.tempora.engine.store;
