package io.tempora.shardserver;

import java.time.Duration;

/**
 * How a shard serves gRPC (OPERATIONS.md §3, §4). Immutable; validated on construction.
 *
 * @param host address to bind, e.g. {@code 127.0.0.1}
 * @param port main gRPC port; 0 picks a free one
 * @param healthPort plaintext port serving only {@code grpc.health.v1.Health}; 0 picks a free one,
 *     -1 serves none (health then runs on the main port only)
 * @param maxInboundMessageBytes largest request message accepted (larger → RESOURCE_EXHAUSTED)
 * @param maxInboundMetadataBytes largest request metadata accepted
 * @param reflection whether server reflection runs on the main port
 * @param executorThreads threads running the service handlers
 * @param drainDelay how long close() keeps serving after readiness turns NOT_SERVING
 * @param shutdownGrace how long close() waits for calls in flight before cancelling them
 * @param ingestQueueRequests ingest calls admitted at once (more → RESOURCE_EXHAUSTED)
 * @param ingestQueueBytes serialized ingest message bytes admitted at once
 */
public record ShardServerConfig(
    String host,
    int port,
    int healthPort,
    int maxInboundMessageBytes,
    int maxInboundMetadataBytes,
    boolean reflection,
    int executorThreads,
    Duration drainDelay,
    Duration shutdownGrace,
    int ingestQueueRequests,
    long ingestQueueBytes,
    long changeFeedBytes) {

  /** {@code grpc.max_message_bytes} default: 16 MiB. */
  public static final int DEFAULT_MAX_MESSAGE_BYTES = 16 * 1024 * 1024;

  /** {@code grpc.max_metadata_bytes} default: 8 KiB. */
  public static final int DEFAULT_MAX_METADATA_BYTES = 8 * 1024;

  /**
   * Bytes of records one ChangedRecords answer holds at most: half the router's 64 MiB limit for
   * shard answers; a transaction changing more records makes the router run a full round.
   */
  public static final long DEFAULT_CHANGE_FEED_BYTES = 32L * 1024 * 1024;

  /** Offset of the health port from the main port (OPERATIONS.md §2 {@code ops.health_listen}). */
  public static final int HEALTH_PORT_OFFSET = 1000;

  public ShardServerConfig {
    if (host == null || host.isBlank()) {
      throw new IllegalArgumentException("host must not be empty");
    }
    checkPort(port, "port");
    if (healthPort != -1) {
      checkPort(healthPort, "health port");
    }
    if (maxInboundMessageBytes < 1 || maxInboundMetadataBytes < 1 || executorThreads < 1) {
      throw new IllegalArgumentException(
          "message size, metadata size and executor threads must be positive");
    }
    if (changeFeedBytes < 1) {
      throw new IllegalArgumentException("change feed bytes must be positive");
    }
    if (ingestQueueRequests < 1 || ingestQueueBytes < 1) {
      throw new IllegalArgumentException(
          "limits.ingest_queue_requests and limits.ingest_queue_bytes must be positive");
    }
    if (drainDelay.isNegative() || shutdownGrace.isNegative()) {
      throw new IllegalArgumentException("drain delay and shutdown grace must not be negative");
    }
  }

  private static void checkPort(int port, String what) {
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException(what + " " + port + " must be in 0..65535");
    }
  }

  /**
   * Defaults of OPERATIONS.md §2 for a listen address: health port = main port + 1000 (a free one
   * when the main port is 0), 16 MiB messages, reflection on, drain 5 s, grace 45 s.
   */
  public static ShardServerConfig defaults(String host, int port) {
    int health = port == 0 ? 0 : port + HEALTH_PORT_OFFSET;
    return new ShardServerConfig(
        host,
        port,
        health,
        DEFAULT_MAX_MESSAGE_BYTES,
        DEFAULT_MAX_METADATA_BYTES,
        true,
        Math.max(4, 2 * Runtime.getRuntime().availableProcessors()),
        Duration.ofSeconds(5),
        Duration.ofSeconds(45),
        256,
        256L * 1024 * 1024,
        DEFAULT_CHANGE_FEED_BYTES);
  }

  /** A copy with another health port. */
  public ShardServerConfig withHealthPort(int healthPort) {
    return new ShardServerConfig(
        host,
        port,
        healthPort,
        maxInboundMessageBytes,
        maxInboundMetadataBytes,
        reflection,
        executorThreads,
        drainDelay,
        shutdownGrace,
        ingestQueueRequests,
        ingestQueueBytes,
        changeFeedBytes);
  }

  /** A copy with another inbound message limit. */
  public ShardServerConfig withMaxInboundMessageBytes(int bytes) {
    return new ShardServerConfig(
        host,
        port,
        healthPort,
        bytes,
        maxInboundMetadataBytes,
        reflection,
        executorThreads,
        drainDelay,
        shutdownGrace,
        ingestQueueRequests,
        ingestQueueBytes,
        changeFeedBytes);
  }

  /** A copy with another ingest queue bound. */
  public ShardServerConfig withIngestQueue(int requests, long bytes) {
    return new ShardServerConfig(
        host,
        port,
        healthPort,
        maxInboundMessageBytes,
        maxInboundMetadataBytes,
        reflection,
        executorThreads,
        drainDelay,
        shutdownGrace,
        requests,
        bytes,
        changeFeedBytes);
  }

  /** A copy with other drain and grace periods. */
  public ShardServerConfig withShutdown(Duration drainDelay, Duration shutdownGrace) {
    return new ShardServerConfig(
        host,
        port,
        healthPort,
        maxInboundMessageBytes,
        maxInboundMetadataBytes,
        reflection,
        executorThreads,
        drainDelay,
        shutdownGrace,
        ingestQueueRequests,
        ingestQueueBytes,
        changeFeedBytes);
  }

  /** A copy with another byte budget for one ChangedRecords answer. */
  public ShardServerConfig withChangeFeedBytes(long bytes) {
    return new ShardServerConfig(
        host,
        port,
        healthPort,
        maxInboundMessageBytes,
        maxInboundMetadataBytes,
        reflection,
        executorThreads,
        drainDelay,
        shutdownGrace,
        ingestQueueRequests,
        ingestQueueBytes,
        bytes);
  }
}
