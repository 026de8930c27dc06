/**
 * The operator-facing side of a shard: Prometheus metrics, the RPC metrics and ingest admission
 * interceptors, and the plaintext HTTP port serving {@code /metrics}, {@code /healthz} and {@code
 * /readyz} (OPERATIONS.md §3, §5).
 */
package io.tempora.shardserver.ops;
