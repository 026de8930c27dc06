package io.tempora.deploy.load;

import io.tempora.engine.Engine;
import io.tempora.engine.EngineConfig;
import io.tempora.engine.Limits;
import io.tempora.persistence.Durability;
import io.tempora.persistence.StorageConfig;
import io.tempora.persistence.rocks.RocksShardStore;
import io.tempora.shardserver.ShardServer;
import io.tempora.shardserver.ShardServerConfig;
import java.nio.file.Path;
import java.time.Duration;

/**
 * A shard started inside the load process ({@code load --embedded DIR}): the RocksDB store on a
 * data directory, the engine and the gRPC server on a free loopback port. Measures how long it took
 * to become ready (open, start-up checks, listen). The creator closes it.
 */
final class EmbeddedShard implements AutoCloseable {
  private final RocksShardStore store;
  private final ShardServer server;
  private final Duration startup;
  private boolean closed;

  private EmbeddedShard(RocksShardStore store, ShardServer server, Duration startup) {
    this.store = store;
    this.server = server;
    this.startup = startup;
  }

  /** Opens the data directory (creating it if empty) and starts serving. */
  static EmbeddedShard start(Path dataDir, Durability durability) {
    long begin = System.nanoTime();
    RocksShardStore store =
        RocksShardStore.open(dataDir, StorageConfig.defaults(0).withDurability(durability));
    try {
      Engine engine = new Engine(store, new EngineConfig(0, Limits.defaults()));
      ShardServerConfig config =
          ShardServerConfig.defaults("127.0.0.1", 0)
              .withHealthPort(-1)
              .withShutdown(Duration.ZERO, Duration.ofSeconds(5));
      ShardServer server = ShardServer.start(config, engine);
      return new EmbeddedShard(store, server, Duration.ofNanos(System.nanoTime() - begin));
    } catch (RuntimeException e) {
      store.close();
      throw e;
    }
  }

  /** The loopback address to send requests to. */
  String target() {
    return "127.0.0.1:" + server.port();
  }

  /** From the call to listening: open, start-up checks, engine, server. */
  Duration startup() {
    return startup;
  }

  /** WAL fsyncs issued by the store so far. */
  long walSyncs() {
    return store.walSyncCount();
  }

  /** Stops serving and closes the store. Idempotent; thread-safe (a shutdown hook may call it). */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    try {
      server.close();
    } finally {
      store.close();
    }
  }
}
