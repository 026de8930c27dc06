package io.tempora.shardserver.grpc;

import io.grpc.ForwardingServerCallListener.SimpleForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.Status;
import java.util.function.Function;

/**
 * A server call listener that runs a check on each request message before the handler sees it: a
 * check that answers a status closes the call with it, and the rest of the call (further messages,
 * the half-close) never reaches the handler. Used by the interceptors that hold or prepare a call
 * from its parsed request ({@link ActivationReadGuard}, {@link StagedWriteActivator}).
 */
final class MessageGate {
  private MessageGate() {}

  /**
   * Wraps {@code next}, the handler's listener of {@code call}; {@code check} answers null to let a
   * message through.
   */
  static <Q, A> ServerCall.Listener<Q> listener(
      ServerCall<Q, A> call, ServerCall.Listener<Q> next, Function<Object, Status> check) {
    return new SimpleForwardingServerCallListener<>(next) {
      private boolean refused;

      @Override
      public void onMessage(Q message) {
        if (refused) {
          return;
        }
        Status s = check.apply(message);
        if (s != null) {
          refused = true;
          call.close(s, new Metadata());
          return;
        }
        super.onMessage(message);
      }

      @Override
      public void onHalfClose() {
        if (!refused) {
          super.onHalfClose();
        }
      }
    };
  }
}
