/**
 * The router: shard map, request routing, fan-out, reconciliation and rebalancing across shards. It
 * speaks to shards only through the wire API in {@code proto}.
 */
package io.tempora.router;
