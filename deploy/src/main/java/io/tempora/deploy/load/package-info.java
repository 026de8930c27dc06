/**
 * The {@code tempora load} benchmark: a seeded synthetic workload, a closed-loop or fixed-rate
 * driver measuring every request into an HdrHistogram, read modes, raw RocksDB and gRPC-echo
 * baselines, and the report (text and JSON). See docs/BENCHMARKS.md.
 */
package io.tempora.deploy.load;
