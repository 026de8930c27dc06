/**
 * {@code tempora admin export} (OPERATIONS.md §1, DISTRIBUTED.md §4 "Export"): Parquet files
 * written where the command runs from rows streamed through a router, or shard-local files written
 * by every shard.
 */
package io.tempora.deploy.export;
