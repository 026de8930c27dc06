package io.tempora.router;

import com.google.protobuf.Descriptors.EnumValueDescriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Message;
import io.grpc.ForwardingServerCall.SimpleForwardingServerCall;
import io.grpc.ForwardingServerCallListener.SimpleForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.tempora.proto.v1.Consistency;
import io.tempora.shardserver.grpc.Statuses;
import java.time.Duration;

/**
 * Settled reads (DISTRIBUTED.md §4 "Settled reads") for every read of the router's {@code
 * TemporaService} whose request has a {@code consistency} field: with {@code SETTLED} the router
 * notes each shard's change-feed head when the request arrives and waits ({@link
 * ReconcileLoop#awaitSettled}, which runs a round when this router holds or can take the lease)
 * until reconciliation has passed it, or fails with DEADLINE_EXCEEDED; {@code CURRENT} answers at
 * once. The response's {@code settled} is true for a settled wait that held, and always with one
 * shard; never for an answer listing missing shards. Kept apart from the handlers, which need not
 * know. Thread-safe.
 */
final class SettledReads implements ServerInterceptor {
  private final ReconcileLoop loop;
  private final boolean single;
  private final Duration fallback;
  private final Duration margin;

  /**
   * @param loop the reconciliation loop whose cursors are waited on
   * @param single whether there is one shard (always settled)
   * @param fallback the longest wait when the client sets no deadline
   * @param margin subtracted from the client's deadline, so the read itself still has time
   */
  SettledReads(ReconcileLoop loop, boolean single, Duration fallback, Duration margin) {
    this.loop = loop;
    this.single = single;
    this.fallback = fallback;
    this.margin = margin;
  }

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(
      ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
    boolean[] settled = {single};
    boolean[] closed = {false};
    ServerCall<Q, R> marking =
        new SimpleForwardingServerCall<>(call) {
          @Override
          @SuppressWarnings("unchecked")
          public void sendMessage(R message) {
            super.sendMessage((R) mark(message, settled[0]));
          }
        };
    return new SimpleForwardingServerCallListener<>(next.startCall(marking, headers)) {
      @Override
      public void onMessage(Q message) {
        if (isSettledRequest(message) && !single) {
          try {
            long[] heads = loop.heads();
            if (!loop.awaitSettled(heads, Fanout.perCall(fallback, margin))) {
              closed[0] = true;
              call.close(
                  Status.DEADLINE_EXCEEDED.withDescription(
                      "settled read: reconciliation did not pass the changes acknowledged before"
                          + " the read started within the deadline"),
                  new Metadata());
              return;
            }
            settled[0] = true;
          } catch (RuntimeException e) {
            closed[0] = true;
            call.close(Statuses.toStatus(e), new Metadata());
            return;
          }
        }
        super.onMessage(message);
      }

      @Override
      public void onHalfClose() {
        if (!closed[0]) {
          super.onHalfClose();
        }
      }
    };
  }

  private static boolean isSettledRequest(Object message) {
    if (!(message instanceof Message m)) {
      return false;
    }
    FieldDescriptor f = m.getDescriptorForType().findFieldByName("consistency");
    return f != null
        && ((EnumValueDescriptor) m.getField(f)).getNumber()
            == Consistency.CONSISTENCY_SETTLED_VALUE;
  }

  private static Object mark(Object message, boolean settled) {
    if (!(message instanceof Message m)) {
      return message;
    }
    FieldDescriptor f = m.getDescriptorForType().findFieldByName("settled");
    if (f == null) {
      return message;
    }
    FieldDescriptor missing = m.getDescriptorForType().findFieldByName("missing_shards");
    boolean partial = missing != null && m.getRepeatedFieldCount(missing) > 0;
    return m.toBuilder().setField(f, settled && !partial).build();
  }
}
