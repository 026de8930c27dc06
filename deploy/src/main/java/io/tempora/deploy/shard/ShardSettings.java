package io.tempora.deploy.shard;

import static io.tempora.deploy.config.ConfigKeys.*;

import io.tempora.deploy.config.ConfigException;
import io.tempora.deploy.config.Settings;
import io.tempora.engine.Limits;
import io.tempora.persistence.CheckpointConfig;
import io.tempora.persistence.Durability;
import io.tempora.persistence.StorageConfig;
import io.tempora.persistence.rocks.Retention;
import io.tempora.shardserver.ShardServerConfig;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;

/**
 * The configuration records of one shard, built from the effective {@link Settings}. Immutable.
 *
 * @param shardId the shard id
 * @param dataDir the data directory
 * @param server how the gRPC ports serve
 * @param httpHost host of the HTTP port
 * @param httpPort HTTP port of /metrics, /healthz, /readyz (0 = any free one)
 * @param storage the RocksDB store's configuration
 * @param limits request limits
 * @param statsInterval how often RocksDB figures are polled
 * @param checkpoints the checkpoint schedule and retention
 * @param retention the event and history retention policies
 * @param reindexBatchRecords records an ontology switch handles between two spill points ({@code
 *     storage.reindex_batch_records})
 */
public record ShardSettings(
    int shardId,
    Path dataDir,
    ShardServerConfig server,
    String httpHost,
    int httpPort,
    StorageConfig storage,
    Limits limits,
    Duration statsInterval,
    CheckpointConfig checkpoints,
    Retention.Config retention,
    int reindexBatchRecords) {

  private static final long MIB = 1024L * 1024;

  /** Builds the records; inconsistent values throw {@link ConfigException} naming the keys. */
  public static ShardSettings of(Settings s) {
    HostPort main = HostPort.parse(s.string(SHARD_LISTEN), SHARD_LISTEN);
    checkInsecure(main.host(), s.flag(SECURITY_ALLOW_INSECURE));
    int health = port(s.string(OPS_HEALTH_LISTEN), OPS_HEALTH_LISTEN, main, 1000);
    HostPort http = hostPort(s.string(OPS_HTTP_LISTEN), OPS_HTTP_LISTEN, main, 2000);
    int id = s.integer(SHARD_ID);
    try {
      ShardServerConfig server =
          new ShardServerConfig(
              main.host(),
              main.port(),
              health,
              s.integer(GRPC_MAX_MESSAGE_BYTES),
              s.integer(GRPC_MAX_METADATA_BYTES),
              s.flag(GRPC_REFLECTION),
              Math.max(4, 2 * Runtime.getRuntime().availableProcessors()),
              s.duration(SHUTDOWN_DRAIN_DELAY),
              s.duration(SHUTDOWN_GRACE),
              s.integer(LIMITS_INGEST_QUEUE_REQUESTS),
              s.number(LIMITS_INGEST_QUEUE_BYTES),
              ShardServerConfig.DEFAULT_CHANGE_FEED_BYTES);
      StorageConfig storage =
          new StorageConfig(
                  id,
                  Durability.valueOf(s.string(STORAGE_DURABILITY).toUpperCase(Locale.ROOT)),
                  Duration.ofMillis(s.number(STORAGE_SYNC_INTERVAL_MS)),
                  s.number(STORAGE_SYNC_BYTES),
                  Duration.ofMillis(s.number(STORAGE_WATERMARK_INTERVAL_MS)),
                  s.integer(STORAGE_INTERNER_CACHE_ENTRIES),
                  s.number(STORAGE_BLOCK_CACHE_MB) * MIB,
                  s.number(STORAGE_WRITE_BUFFER_MB) * MIB,
                  s.integer(STORAGE_MAX_OPEN_FILES),
                  s.integer(STORAGE_BLOOM_BITS_PER_KEY),
                  s.integer(STORAGE_MAX_BACKGROUND_JOBS),
                  s.flag(SHARD_ACCEPT_DATA_LOSS))
              .withHistoryPartition(s.duration(STORAGE_HISTORY_PARTITION));
      Limits limits =
          new Limits(
              s.integer(LIMITS_MAX_RECORDS),
              s.integer(LIMITS_MAX_DESCRIPTORS),
              s.integer(LIMITS_MAX_IDENTITY_BYTES),
              s.integer(LIMITS_MAX_STRING_BYTES),
              new Limits.KeyNames(
                  LIMITS_MAX_RECORDS,
                  LIMITS_MAX_DESCRIPTORS,
                  LIMITS_MAX_IDENTITY_BYTES,
                  LIMITS_MAX_STRING_BYTES));
      return new ShardSettings(
          id,
          Path.of(s.string(SHARD_DATA_DIR)),
          server,
          http.host(),
          http.port(),
          storage,
          limits,
          s.duration(STORAGE_STATS_INTERVAL),
          checkpoints(s),
          retention(s),
          s.integer(STORAGE_REINDEX_BATCH_RECORDS));
    } catch (IllegalArgumentException e) {
      throw new ConfigException(e.getMessage());
    }
  }

  /** The checkpoint keys; reloadable, so SIGHUP uses this too. */
  static CheckpointConfig checkpoints(Settings s) {
    try {
      return new CheckpointConfig(
          s.duration(STORAGE_CHECKPOINT_INTERVAL), s.integer(STORAGE_CHECKPOINT_RETAIN));
    } catch (IllegalArgumentException e) {
      throw new ConfigException(e.getMessage());
    }
  }

  /** The event and history retention keys; reloadable, so SIGHUP uses this too. */
  static Retention.Config retention(Settings s) {
    try {
      return new Retention.Config(
          s.duration(STORAGE_EVENTS_RETAIN_AGE),
          s.number(STORAGE_EVENTS_RETAIN_TXS),
          s.duration(STORAGE_RETENTION_INTERVAL),
          s.duration(STORAGE_HISTORY_RETAIN_AGE),
          s.number(STORAGE_HISTORY_RETAIN_TXS));
    } catch (IllegalArgumentException e) {
      throw new ConfigException(e.getMessage());
    }
  }

  /** Binding beyond loopback without TLS and tokens needs --insecure (OPERATIONS.md §4). */
  private static void checkInsecure(String host, boolean allowInsecure) {
    if (allowInsecure) {
      return;
    }
    boolean loopback;
    try {
      loopback = InetAddress.getByName(host).isLoopbackAddress();
    } catch (UnknownHostException e) {
      throw new ConfigException(SHARD_LISTEN + ": unknown host " + host);
    }
    if (!loopback) {
      throw new ConfigException(
          SHARD_LISTEN
              + ": "
              + host
              + " is not a loopback address; TLS and tokens are off, so binding it needs"
              + " --insecure (security.allow_insecure = true)");
    }
  }

  private static int port(String text, String key, HostPort main, int offset) {
    return hostPort(text, key, main, offset).port();
  }

  private static HostPort hostPort(String text, String key, HostPort main, int offset) {
    if (text.isBlank()) {
      int p = main.port() == 0 ? 0 : main.port() + offset;
      if (p > 65535) {
        throw new ConfigException(
            key + ": main port " + main.port() + " + " + offset + " is above 65535; set " + key);
      }
      return new HostPort(main.host(), p);
    }
    if (text.contains(":")) {
      return HostPort.parse(text, key);
    }
    return new HostPort(main.host(), HostPort.port(text, key));
  }

  /**
   * A host and port.
   *
   * @param host host name or address
   * @param port 0..65535
   */
  public record HostPort(String host, int port) {
    /** Parses {@code HOST:PORT}; errors name the key. */
    public static HostPort parse(String text, String key) {
      int colon = text.lastIndexOf(':');
      if (colon <= 0) {
        throw new ConfigException(key + ": '" + text + "' is not HOST:PORT");
      }
      String host = text.substring(0, colon);
      if (host.startsWith("[") && host.endsWith("]")) {
        host = host.substring(1, host.length() - 1);
      }
      return new HostPort(host, port(text.substring(colon + 1), key));
    }

    static int port(String text, String key) {
      try {
        int p = Integer.parseInt(text.strip());
        if (p < 0 || p > 65535) {
          throw new ConfigException(key + ": port " + p + " is not in 0..65535");
        }
        return p;
      } catch (NumberFormatException e) {
        throw new ConfigException(key + ": port '" + text + "' is not a number");
      }
    }
  }
}
