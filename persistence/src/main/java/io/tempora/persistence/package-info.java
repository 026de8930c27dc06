/**
 * The RocksDB implementation of the engine's storage interface: codecs, durability, checkpoints and
 * export. It is the only module that touches RocksDB and Kryo, and never gRPC.
 */
package io.tempora.persistence;
