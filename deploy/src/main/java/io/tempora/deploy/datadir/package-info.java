/**
 * Offline commands on a stopped shard's data directory: {@code tempora verify} (read-only full
 * check) and {@code tempora admin restore} (a checkpoint into a new data directory).
 */
package io.tempora.deploy.datadir;
