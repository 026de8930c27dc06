/**
 * One shard process: the gRPC services over an engine and its RocksDB store, with proto-to-domain
 * mapping, status mapping, metrics and health. It is the only place where the wire API meets the
 * domain.
 */
package io.tempora.shardserver;
