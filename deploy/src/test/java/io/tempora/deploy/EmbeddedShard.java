package io.tempora.deploy;

import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.tempora.engine.Engine;
import io.tempora.engine.EngineConfig;
import io.tempora.engine.Limits;
import io.tempora.persistence.StorageConfig;
import io.tempora.persistence.rocks.RocksHomeDirectory;
import io.tempora.persistence.rocks.RocksShardStore;
import io.tempora.shardserver.ShardServer;
import io.tempora.shardserver.ShardServerConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * A shard inside this process on a loopback port, with its RocksDB store on a data directory, and a
 * plaintext channel to it (identity directory durable in the data directory, as in a shard
 * process): the fast quick-start test's backend (behind an in-process router). Owns the store,
 * server and channel.
 */
final class EmbeddedShard implements AutoCloseable {
  private final RocksShardStore store;
  private final RocksHomeDirectory directory;
  private final ShardServer server;
  private final ManagedChannel channel;
  private final boolean reused;

  private EmbeddedShard(
      RocksShardStore store,
      RocksHomeDirectory directory,
      ShardServer server,
      ManagedChannel channel,
      boolean reused) {
    this.store = store;
    this.directory = directory;
    this.server = server;
    this.channel = channel;
    this.reused = reused;
  }

  /** Opens (creating if needed) shard {@code shardId}'s store in {@code dataDir} on 127.0.0.1. */
  static EmbeddedShard start(Path dataDir, int shardId) {
    boolean reused = Files.isDirectory(dataDir.resolve("db"));
    RocksShardStore store =
        RocksShardStore.open(dataDir, StorageConfig.defaults(shardId).withSmallCaches());
    RocksHomeDirectory directory = null;
    try {
      directory = RocksHomeDirectory.open(dataDir);
      ShardServerConfig config =
          ShardServerConfig.defaults("127.0.0.1", 0)
              .withHealthPort(-1)
              .withShutdown(Duration.ZERO, Duration.ofSeconds(10));
      ShardServer server =
          ShardServer.start(
              config, new Engine(store, new EngineConfig(shardId, Limits.defaults())));
      ManagedChannel channel =
          NettyChannelBuilder.forAddress("127.0.0.1", server.port()).usePlaintext().build();
      return new EmbeddedShard(store, directory, server, channel, reused);
    } catch (RuntimeException e) {
      if (directory != null) {
        directory.close();
      }
      store.close();
      throw e;
    }
  }

  int port() {
    return server.port();
  }

  ManagedChannel channel() {
    return channel;
  }

  /** Whether the data directory already held a database. */
  boolean isReused() {
    return reused;
  }

  @Override
  public void close() {
    channel.shutdownNow();
    try {
      channel.awaitTermination(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    try {
      server.close();
    } finally {
      try {
        directory.close();
      } finally {
        store.close();
      }
    }
  }
}
