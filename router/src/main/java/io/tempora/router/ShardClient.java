package io.tempora.router;

import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.tempora.proto.v1.TemporaServiceGrpc;
import io.tempora.proto.v1.TemporaServiceGrpc.TemporaServiceBlockingStub;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * The router's channel to one shard. Thread-safe. Owns its channel.
 *
 * @param id the shard id (its position in the shard list)
 * @param address where it listens, for messages
 * @param channel the long-lived channel
 */
public record ShardClient(int id, String address, ManagedChannel channel) implements AutoCloseable {

  /**
   * A plaintext Netty channel with keepalive (ping every 30 s, 10 s timeout, also without calls)
   * and the 64 MiB router ↔ shard message limit (DISTRIBUTED.md §6).
   */
  public static ShardClient connect(int id, String address) {
    int colon = address.lastIndexOf(':');
    ManagedChannel channel =
        NettyChannelBuilder.forAddress(
                address.substring(0, colon), Integer.parseInt(address.substring(colon + 1)))
            .usePlaintext()
            .keepAliveTime(30, TimeUnit.SECONDS)
            .keepAliveTimeout(10, TimeUnit.SECONDS)
            .keepAliveWithoutCalls(true)
            .maxInboundMessageSize(RouterConfig.SHARD_MESSAGE_BYTES)
            .build();
    return new ShardClient(id, address, channel);
  }

  /**
   * A blocking stub whose calls carry a deadline of {@code timeout} from now (and the lease epoch
   * inside a reconciliation round, {@link LeaseEpoch}).
   */
  public TemporaServiceBlockingStub stub(Duration timeout) {
    return TemporaServiceGrpc.newBlockingStub(channel)
        .withInterceptors(LeaseEpoch.ATTACH)
        .withMaxInboundMessageSize(RouterConfig.SHARD_MESSAGE_BYTES)
        .withMaxOutboundMessageSize(RouterConfig.SHARD_MESSAGE_BYTES)
        .withDeadlineAfter(timeout.toMillis(), TimeUnit.MILLISECONDS);
  }

  /**
   * The status a client sees for a failed shard call: the shard's own answer for definite errors
   * (INVALID_ARGUMENT, NOT_FOUND, ...), UNAVAILABLE naming this shard when it could not answer.
   */
  public StatusRuntimeException failure(StatusRuntimeException e) {
    Status s = e.getStatus();
    return switch (s.getCode()) {
      case UNAVAILABLE, DEADLINE_EXCEEDED, CANCELLED, UNKNOWN, ABORTED -> {
        // A restarted shard is reached by the next call, not after the channel's backoff.
        channel.resetConnectBackoff();
        yield Status.UNAVAILABLE
            .withDescription(
                "shard "
                    + id
                    + " ("
                    + address
                    + ") "
                    + s.getCode()
                    + (s.getDescription() == null ? "" : ": " + s.getDescription()))
            .withCause(e)
            .asRuntimeException();
      }
      case FAILED_PRECONDITION ->
          EpochChannel.stale(s)
              // The router refreshes its map meanwhile (EpochChannel); resending is safe.
              ? Status.UNAVAILABLE
                  .withDescription("shard " + id + " (" + address + "): " + s.getDescription())
                  .withCause(e)
                  .asRuntimeException()
              : e;
      default -> e;
    };
  }

  @Override
  public void close() {
    channel.shutdownNow();
  }
}
