package io.tempora.shardserver.grpc;

import io.grpc.ForwardingServerCallListener.SimpleForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.InputStream;

/**
 * Answers malformed request bytes with {@code INVALID_ARGUMENT} instead of grpc-java's {@code
 * UNKNOWN "Application error processing RPC"}: the service is bound on raw streams and the request
 * is parsed inside this interceptor's listener, where a parse failure can be caught. Responses pass
 * through as the lazy protobuf streams they already are (no copy). Stateless.
 */
public final class MalformedRequestGuard implements ServerInterceptor {
  private static final MethodDescriptor.Marshaller<InputStream> STREAM =
      new MethodDescriptor.Marshaller<>() {
        @Override
        public InputStream stream(InputStream value) {
          return value;
        }

        @Override
        public InputStream parse(InputStream stream) {
          return stream;
        }
      };

  private MalformedRequestGuard() {}

  /** The service bound on raw streams with malformed requests answered INVALID_ARGUMENT. */
  public static ServerServiceDefinition guard(ServerServiceDefinition typed) {
    return ServerInterceptors.intercept(
        ServerInterceptors.useMarshalledMessages(typed, STREAM, STREAM),
        new MalformedRequestGuard());
  }

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(
      ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
    return new SimpleForwardingServerCallListener<>(next.startCall(call, headers)) {
      private boolean rejected;

      @Override
      public void onMessage(Q message) {
        if (rejected) {
          return;
        }
        try {
          super.onMessage(message);
        } catch (StatusRuntimeException e) {
          // Handlers never throw (Calls turns failures into statuses): this is the parse.
          rejected = true;
          call.close(
              Status.INVALID_ARGUMENT.withDescription(
                  "malformed request: not a valid "
                      + call.getMethodDescriptor().getBareMethodName()
                      + " request message"),
              new Metadata());
        }
      }

      @Override
      public void onHalfClose() {
        if (!rejected) {
          super.onHalfClose();
        }
      }
    };
  }
}
