package io.tempora.deploy.config;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Every configuration key the loader knows, in one table (docs/configuration.md lists exactly
 * these; a test checks it). Add a key here, then to the docs table.
 */
public final class ConfigKeys {
  private static final List<ConfigKey> KEYS = new ArrayList<>();

  public static final String SHARD_LISTEN =
      string("shard.listen", null, "HOST:PORT of the shard's gRPC port (flag --listen)");
  public static final String SHARD_ID =
      integer("shard.id", null, 0, 65535, false, "this shard's id (flag --shard-id)");
  public static final String SHARD_DATA_DIR =
      string("shard.data_dir", null, "the shard's data directory (flag --data-dir)");
  public static final String SHARD_ACCEPT_DATA_LOSS =
      bool(
          "shard.accept_data_loss",
          "false",
          "open even if the acknowledged watermark is ahead of the database (flag"
              + " --accept-data-loss)");
  public static final String OPS_HEALTH_LISTEN =
      string(
          "ops.health_listen",
          "",
          "plaintext gRPC health port: PORT or HOST:PORT; empty = main port + 1000 (0 = any free"
              + " port)");
  public static final String OPS_HTTP_LISTEN =
      string(
          "ops.http_listen",
          "",
          "HTTP port of /metrics, /healthz, /readyz: PORT or HOST:PORT; empty = main port + 2000");
  public static final String GRPC_REFLECTION =
      bool("grpc.reflection", "true", "serve gRPC server reflection on the main port");
  public static final String GRPC_MAX_MESSAGE_BYTES =
      integer(
          "grpc.max_message_bytes",
          "16777216",
          1024,
          Integer.MAX_VALUE,
          false,
          "largest request message; larger ones get RESOURCE_EXHAUSTED");
  public static final String GRPC_MAX_METADATA_BYTES =
      integer("grpc.max_metadata_bytes", "8192", 1024, 1 << 20, false, "largest request metadata");
  public static final String LIMITS_MAX_RECORDS =
      integer(
          "limits.max_records_per_request",
          "10000",
          1,
          1_000_000,
          false,
          "records (or identities) per Ingest/Delete request; more → INVALID_ARGUMENT");
  public static final String LIMITS_MAX_DESCRIPTORS =
      integer(
          "limits.max_descriptors_per_record",
          "1000",
          1,
          1_000_000,
          false,
          "descriptors per record; more → INVALID_ARGUMENT");
  public static final String LIMITS_MAX_IDENTITY_BYTES =
      integer(
          "limits.max_identity_bytes",
          "1024",
          1,
          1 << 20,
          false,
          "UTF-8 bytes of entity_type, perspective and uid; longer → INVALID_ARGUMENT");
  public static final String LIMITS_MAX_STRING_BYTES =
      integer(
          "limits.max_string_bytes",
          "4096",
          1,
          1 << 24,
          false,
          "UTF-8 bytes of an attribute or value; longer → INVALID_ARGUMENT");
  public static final String LIMITS_INGEST_QUEUE_REQUESTS =
      integer(
          "limits.ingest_queue_requests",
          "256",
          1,
          1_000_000,
          false,
          "ingest calls (Ingest, IngestStream, Delete) admitted at once; more → RESOURCE_EXHAUSTED"
              + " `ingest queue full`");
  public static final String LIMITS_INGEST_QUEUE_BYTES =
      integer(
          "limits.ingest_queue_bytes",
          "268435456",
          1024,
          Long.MAX_VALUE,
          false,
          "serialized bytes of ingest messages admitted at once; more → RESOURCE_EXHAUSTED");
  public static final String LOG_LEVEL =
      choice(
          "log.level",
          "info",
          true,
          List.of("trace", "debug", "info", "warn", "error"),
          "root log level");
  public static final String LOG_FORMAT =
      choice("log.format", "text", false, List.of("text", "json"), "one line per event, or JSON");
  public static final String STORAGE_DURABILITY =
      choice(
          "storage.durability",
          "immediate",
          false,
          List.of("immediate", "batched", "async"),
          "when a write is acknowledged (docs/storage.md)");
  public static final String STORAGE_SYNC_INTERVAL_MS =
      integer(
          "storage.sync_interval_ms",
          "100",
          1,
          3_600_000,
          false,
          "batched mode: longest time between WAL fsyncs");
  public static final String STORAGE_SYNC_BYTES =
      integer(
          "storage.sync_bytes",
          "4194304",
          1,
          Long.MAX_VALUE,
          false,
          "batched mode: WAL bytes after which an fsync runs early");
  public static final String STORAGE_WATERMARK_INTERVAL_MS =
      integer(
          "storage.watermark_interval_ms",
          "1000",
          1,
          3_600_000,
          false,
          "shortest time between rewrites of the ACKED watermark file");
  public static final String STORAGE_BLOCK_CACHE_MB =
      integer("storage.block_cache_mb", "512", 1, 1 << 20, false, "RocksDB block cache (MiB)");
  public static final String STORAGE_WRITE_BUFFER_MB =
      integer(
          "storage.write_buffer_mb",
          "256",
          1,
          1 << 20,
          false,
          "memtable budget (MiB), charged to the block cache; at most storage.block_cache_mb");
  public static final String STORAGE_MAX_OPEN_FILES =
      integer("storage.max_open_files", "4096", 16, 1 << 20, false, "RocksDB open-file limit");
  public static final String STORAGE_MAX_BACKGROUND_JOBS =
      integer(
          "storage.max_background_jobs", "4", 1, 256, false, "RocksDB flush/compaction threads");
  public static final String STORAGE_BLOOM_BITS_PER_KEY =
      integer("storage.bloom_bits_per_key", "10", 1, 64, false, "bloom filter bits per key");
  public static final String STORAGE_INTERNER_CACHE_ENTRIES =
      integer(
          "storage.interner_cache_entries",
          "1000000",
          1,
          100_000_000,
          false,
          "entries of each interner cache (applied at the next start)");
  public static final String STORAGE_REINDEX_BATCH_RECORDS =
      integer(
          "storage.reindex_batch_records",
          "10000",
          1,
          10_000_000,
          false,
          "records an ontology switch handles between two spill points of its transaction"
              + " (docs/storage.md \"Ontology switch\")");
  public static final String STORAGE_STATS_INTERVAL =
      duration(
          "storage.stats_interval",
          "10s",
          false,
          "how often RocksDB figures are polled for metrics");
  public static final String STORAGE_CHECKPOINT_INTERVAL =
      duration(
          "storage.checkpoint_interval",
          "1h",
          true,
          "time between scheduled checkpoints into <data-dir>/checkpoints (0 = none; docs/storage.md)");
  public static final String STORAGE_CHECKPOINT_RETAIN =
      integer(
          "storage.checkpoint_retain",
          "3",
          1,
          10_000,
          true,
          "checkpoints kept (the newest); older ones are deleted after each checkpoint");
  public static final String STORAGE_EVENTS_RETAIN_AGE =
      duration(
          "storage.events.retain_age",
          "7d",
          true,
          "events of transactions committed longer ago are removed (0 = no age limit;"
              + " docs/storage.md)");
  public static final String STORAGE_EVENTS_RETAIN_TXS =
      integer(
          "storage.events.retain_txs",
          "0",
          0,
          Long.MAX_VALUE,
          true,
          "only the last this many transactions keep their events (0 = no such limit)");
  public static final String STORAGE_HISTORY_PARTITION =
      duration(
          "storage.history.partition",
          "7d",
          false,
          "length of a history partition: superseded versions are grouped by the time of the"
              + " superseding transaction, retention removes whole partitions (at least 1s)");
  public static final String STORAGE_HISTORY_RETAIN_TXS =
      integer(
          "storage.history.retain_txs",
          "0",
          0,
          Long.MAX_VALUE,
          true,
          "history partitions whose last superseding transaction is more than this many"
              + " transactions behind the last one are removed (0 = off: every version is kept)");
  public static final String STORAGE_HISTORY_RETAIN_AGE =
      duration(
          "storage.history.retain_age",
          "0",
          true,
          "history partitions whose last superseding transaction was committed longer ago are"
              + " removed (0 = off: every version is kept)");
  public static final String STORAGE_RETENTION_INTERVAL =
      duration(
          "storage.retention_interval",
          "10m",
          true,
          "time between two retention runs, events and history (positive)");
  public static final String SHUTDOWN_DRAIN_DELAY =
      duration(
          "shutdown.drain_delay",
          "5s",
          false,
          "on SIGTERM, how long readiness is NOT_SERVING before the listener closes");
  public static final String SHUTDOWN_GRACE =
      duration(
          "shutdown.grace",
          "45s",
          false,
          "on SIGTERM, how long in-flight calls may take before they are cancelled");
  public static final String SECURITY_ALLOW_INSECURE =
      bool(
          "security.allow_insecure",
          "false",
          "allow binding a non-loopback address without TLS and tokens (flag --insecure)");

  private ConfigKeys() {}

  /** Every key, in table order. */
  public static List<ConfigKey> all() {
    return Collections.unmodifiableList(KEYS);
  }

  /** Keys by name. */
  public static Map<String, ConfigKey> byName() {
    Map<String, ConfigKey> out = new LinkedHashMap<>();
    for (ConfigKey k : KEYS) {
      out.put(k.name(), k);
    }
    return out;
  }

  private static String add(ConfigKey key) {
    KEYS.add(key);
    return key.name();
  }

  private static String string(String name, String def, String doc) {
    return add(new ConfigKey(name, ConfigType.STRING, def, false, 0, 0, List.of(), doc));
  }

  private static String choice(
      String name, String def, boolean reload, List<String> choices, String doc) {
    return add(new ConfigKey(name, ConfigType.STRING, def, reload, 0, 0, choices, doc));
  }

  private static String bool(String name, String def, String doc) {
    return add(new ConfigKey(name, ConfigType.BOOLEAN, def, false, 0, 0, List.of(), doc));
  }

  private static String integer(
      String name, String def, long min, long max, boolean reload, String doc) {
    return add(new ConfigKey(name, ConfigType.INTEGER, def, reload, min, max, List.of(), doc));
  }

  private static String duration(String name, String def, boolean reload, String doc) {
    return add(new ConfigKey(name, ConfigType.DURATION, def, reload, 0, 0, List.of(), doc));
  }
}
