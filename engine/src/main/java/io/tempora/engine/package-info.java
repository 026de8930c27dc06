/**
 * Tempora's resolution engine: the semantics of DOMAIN.md behind a storage interface. {@link
 * io.tempora.engine.Engine} applies writes as atomic transactions; {@link io.tempora.engine.Reader}
 * answers reads. Nothing here depends on gRPC or RocksDB.
 */
package io.tempora.engine;
