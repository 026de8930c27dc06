package io.tempora.shardserver.grpc;

import io.grpc.ForwardingServerCall.SimpleForwardingServerCall;
import io.grpc.ForwardingServerCallListener.SimpleForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Fences the calls of reconciliation rounds (DISTRIBUTED.md §4 step 0): a call carrying the {@link
 * #EPOCH_HEADER} header is admitted by {@link ReconcileState#admit} and holds its read stamp until
 * it closes; an epoch below the highest seen fails with FAILED_PRECONDITION before the handler
 * runs. Calls without the header (client traffic) pass untouched. Thread-safe.
 */
public final class LeaseFenceInterceptor implements ServerInterceptor {
  /** The reconcile lease epoch of a round's call, decimal. */
  public static final Metadata.Key<String> EPOCH_HEADER =
      Metadata.Key.of("tempora-lease-epoch", Metadata.ASCII_STRING_MARSHALLER);

  private final ReconcileState state;

  public LeaseFenceInterceptor(ReconcileState state) {
    this.state = state;
  }

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(
      ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
    String value = headers.get(EPOCH_HEADER);
    if (value == null) {
      return next.startCall(call, headers);
    }
    long stamp;
    try {
      stamp = state.admit(parse(value));
    } catch (RuntimeException e) {
      call.close(Statuses.toStatus(e), new Metadata());
      return new ServerCall.Listener<>() {};
    }
    AtomicBoolean ended = new AtomicBoolean();
    Runnable end =
        () -> {
          if (ended.compareAndSet(false, true)) {
            state.release(stamp);
          }
        };
    ServerCall<Q, R> closing =
        new SimpleForwardingServerCall<>(call) {
          @Override
          public void close(Status status, Metadata trailers) {
            try {
              super.close(status, trailers);
            } finally {
              end.run();
            }
          }
        };
    ServerCall.Listener<Q> listener;
    try {
      listener = next.startCall(closing, headers);
    } catch (RuntimeException e) {
      end.run();
      throw e;
    }
    return new SimpleForwardingServerCallListener<>(listener) {
      @Override
      public void onCancel() {
        try {
          super.onCancel();
        } finally {
          end.run();
        }
      }

      @Override
      public void onComplete() {
        try {
          super.onComplete();
        } finally {
          end.run();
        }
      }
    };
  }

  private static long parse(String value) {
    try {
      return Long.parseUnsignedLong(value);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(
          EPOCH_HEADER.name() + ": " + value + " is not an unsigned decimal number");
    }
  }
}
