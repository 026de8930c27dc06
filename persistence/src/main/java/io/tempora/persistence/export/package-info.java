/**
 * Parquet export of one shard (STORAGE.md §6.2): the record, version and golden rows of one
 * consistent read view, streamed through the store's cursors into Snappy-compressed Parquet files
 * with a {@code _SUCCESS} marker written last. Never touches RocksDB directly: it reads through the
 * engine's {@link io.tempora.engine.store.StoreView}.
 */
package io.tempora.persistence.export;
