package io.tempora.shardserver.grpc;

import io.grpc.Context;
import io.grpc.Deadline;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.tempora.proto.v1.ExplainRequest;
import io.tempora.proto.v1.GetRecordRequest;
import io.tempora.proto.v1.Identity;
import io.tempora.proto.v1.TemporaServiceGrpc;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Holds point lookups of identities staged on the target of a slot move between its flip and their
 * activation (docs/distributed.md "Reads during a move"): a router that knows the new map but not
 * the move sends GetRecord and Explain of a moving identity to this shard alone, where its record
 * is still staged, so they would answer NOT_FOUND. (Directory lookups of staged directory rows are
 * not held: {@link StagedWriteActivator} activates those rows first.) While a move's staged rows
 * are being activated here ({@link SlotStore#activatingMove}), a GetRecord or Explain naming an
 * identity whose record is staged waits until it is active, at most the call's remaining deadline
 * and never more than {@link SwitchReadGuard#MAX_WAIT}, then runs normally; if one is still staged
 * it is answered UNAVAILABLE {@code shard S is the target of slot move M, activating it; identity
 * T/P/U is staged here until then (waited N ms); retry}. Other calls pass. Thread-safe.
 */
public final class ActivationReadGuard implements ServerInterceptor {
  private final SlotStore slots;
  private final int shardId;

  public ActivationReadGuard(SlotStore slots, int shardId) {
    this.slots = slots;
    this.shardId = shardId;
  }

  @Override
  public <Q, A> ServerCall.Listener<Q> interceptCall(
      ServerCall<Q, A> call, Metadata headers, ServerCallHandler<Q, A> next) {
    String service = call.getMethodDescriptor().getServiceName();
    String method = call.getMethodDescriptor().getBareMethodName();
    boolean guarded =
        (TemporaServiceGrpc.SERVICE_NAME.equals(service)
            && (method.equals("GetRecord") || method.equals("Explain")));
    if (!guarded) {
      return next.startCall(call, headers);
    }
    return MessageGate.listener(call, next.startCall(call, headers), this::hold);
  }

  /** Waits for the staged identities of {@code message}; the refusal if one is still staged. */
  private Status hold(Object message) {
    if (slots.activatingMove() == null) {
      return null; // nothing staged here is being activated: no lookup
    }
    List<byte[]> records = new ArrayList<>();
    List<Identity> named = new ArrayList<>();
    switch (message) {
      case GetRecordRequest r when r.hasIdentity() -> named.add(r.getIdentity());
      case ExplainRequest r -> {
        if (r.hasA()) {
          named.add(r.getA());
        }
        if (r.hasB()) {
          named.add(r.getB());
        }
      }
      default -> {}
    }
    for (Identity id : named) {
      records.add(ShardInternalGrpcService.key(id));
    }
    if (records.isEmpty()) {
      return null;
    }
    long wait = SwitchReadGuard.MAX_WAIT.toNanos();
    Deadline deadline = Context.current().getDeadline();
    if (deadline != null) {
      wait = Math.min(wait, Math.max(0, deadline.timeRemaining(TimeUnit.NANOSECONDS)));
    }
    int[] first = {-1};
    String move =
        slots.awaitActive(
            () -> {
              first[0] = staged(records);
              return first[0] >= 0;
            },
            wait);
    if (move == null) {
      return null;
    }
    String identity = describe(named.get(Math.max(0, first[0])));
    return Status.UNAVAILABLE.withDescription(
        "shard "
            + shardId
            + " is the target of slot move "
            + move
            + ", activating it; identity "
            + identity
            + " is staged here until then (waited "
            + TimeUnit.NANOSECONDS.toMillis(wait)
            + " ms); retry");
  }

  /** The position of the first staged one, or -1. */
  private int staged(List<byte[]> records) {
    for (int i = 0; i < records.size(); i++) {
      if (slots.recordStaged(records.get(i))) {
        return i;
      }
    }
    return -1;
  }

  private static String describe(Identity id) {
    return id.getEntityType() + "/" + id.getPerspective() + "/" + id.getUid();
  }
}
