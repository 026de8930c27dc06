package io.tempora.shardserver.grpc;

import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import java.util.Set;

/**
 * Rejects calls made under a stale shard map (docs/distributed.md "Rebalancing"): a router sends
 * its map epoch in the {@code tempora-map-epoch} header; a call whose epoch is below the one this
 * shard stores answers FAILED_PRECONDITION {@code shard map epoch E is stale: shard S stores epoch
 * F; refresh the map and retry}. Only calls whose effect depends on the map are checked (Ingest,
 * IngestStream, Delete, ResolveHomes, SetHomes, and MoveCopy, a reconciliation move's ingest);
 * reads, rebalancing calls and calls without the header (clients of a lone shard, tools) pass.
 * Thread-safe.
 */
public final class MapEpochGuard implements ServerInterceptor {
  /** The header carrying the caller's map epoch (decimal). */
  public static final Metadata.Key<String> EPOCH =
      Metadata.Key.of("tempora-map-epoch", Metadata.ASCII_STRING_MARSHALLER);

  /** Start of the description of a stale-epoch rejection. */
  public static final String STALE = "shard map epoch ";

  /** The calls whose effect depends on the map: writes and directory claims/moves. */
  private static final Set<String> CHECKED =
      Set.of("Ingest", "IngestStream", "Delete", "ResolveHomes", "SetHomes", "MoveCopy");

  private final SlotStore slots;
  private final int shardId;

  public MapEpochGuard(SlotStore slots, int shardId) {
    this.slots = slots;
    this.shardId = shardId;
  }

  @Override
  public <Q, A> ServerCall.Listener<Q> interceptCall(
      ServerCall<Q, A> call, Metadata headers, ServerCallHandler<Q, A> next) {
    String value = headers.get(EPOCH);
    long stored = slots.epoch();
    if (value != null
        && stored > 0
        && CHECKED.contains(call.getMethodDescriptor().getBareMethodName())) {
      long caller;
      try {
        caller = Long.parseLong(value);
      } catch (NumberFormatException e) {
        caller = -1;
      }
      if (caller < stored) {
        call.close(
            Status.FAILED_PRECONDITION.withDescription(
                STALE
                    + value
                    + " is stale: shard "
                    + shardId
                    + " stores epoch "
                    + stored
                    + "; refresh the map and retry"),
            new Metadata());
        return new ServerCall.Listener<>() {};
      }
    }
    return next.startCall(call, headers);
  }
}
