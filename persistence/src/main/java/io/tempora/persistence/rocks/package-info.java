/**
 * The engine's store on RocksDB: {@link io.tempora.persistence.rocks.RocksStore} owns every native
 * object, {@link io.tempora.persistence.rocks.RocksShardStore} implements the engine's storage
 * interface with durability and start-up checks. The only package that imports org.rocksdb.
 */
package io.tempora.persistence.rocks;
