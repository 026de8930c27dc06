/**
 * The {@code shard} command: configuration records from the layered settings, the process lifecycle
 * (ports, recovery, drain), signal-driven reloads and the store's metrics.
 */
package io.tempora.deploy.shard;
