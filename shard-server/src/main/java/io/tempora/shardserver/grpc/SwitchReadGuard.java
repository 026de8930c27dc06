package io.tempora.shardserver.grpc;

import io.grpc.Context;
import io.grpc.Deadline;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.tempora.proto.internal.v1.SlotMove;
import io.tempora.proto.v1.TemporaServiceGrpc;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * Holds client reads on the source of a slot move between its flip and the end of its clean
 * (docs/distributed.md "Reads during a move"): then the moved records are live here and on the
 * target, so a fan-out read through any router would count them twice. A read (QueryEntities,
 * GetEntity, GetRecord, Explain, ListConflicts, ListEntities, GetStats) arriving while this shard
 * stores a {@code FLIPPED} move row waits until the row goes, at most the call's remaining deadline
 * and never more than {@link #MAX_WAIT}; if the row is still there it is answered UNAVAILABLE
 * {@code shard S is the source of slot move M, switching its slots to shard T; reads wait for its
 * clean (waited N ms); retry}. Writes, internal calls and exports pass. Thread-safe.
 */
public final class SwitchReadGuard implements ServerInterceptor {
  /** The longest a read waits here (the router's default {@code rebalance.max_freeze}). */
  public static final Duration MAX_WAIT = Duration.ofSeconds(2);

  private static final Set<String> READS =
      Set.of(
          "QueryEntities",
          "GetEntity",
          "GetRecord",
          "Explain",
          "ListConflicts",
          "ListEntities",
          "GetStats");

  private final SlotStore slots;
  private final int shardId;

  public SwitchReadGuard(SlotStore slots, int shardId) {
    this.slots = slots;
    this.shardId = shardId;
  }

  @Override
  public <Q, A> ServerCall.Listener<Q> interceptCall(
      ServerCall<Q, A> call, Metadata headers, ServerCallHandler<Q, A> next) {
    if (TemporaServiceGrpc.SERVICE_NAME.equals(call.getMethodDescriptor().getServiceName())
        && READS.contains(call.getMethodDescriptor().getBareMethodName())) {
      long wait = MAX_WAIT.toNanos();
      Deadline deadline = Context.current().getDeadline();
      if (deadline != null) {
        wait = Math.min(wait, Math.max(0, deadline.timeRemaining(TimeUnit.NANOSECONDS)));
      }
      SlotMove move = slots.awaitNoFlippedMove(wait);
      if (move != null) {
        call.close(
            Status.UNAVAILABLE.withDescription(
                "shard "
                    + shardId
                    + " is the source of slot move "
                    + move.getId()
                    + ", switching its slots to shard "
                    + move.getTarget()
                    + "; reads wait for its clean (waited "
                    + TimeUnit.NANOSECONDS.toMillis(wait)
                    + " ms); retry"),
            new Metadata());
        return new ServerCall.Listener<>() {};
      }
    }
    return next.startCall(call, headers);
  }
}
