package io.tempora.shardserver.ops;

import io.grpc.ForwardingServerCall.SimpleForwardingServerCall;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import java.util.concurrent.atomic.AtomicBoolean;

/** Counts every RPC by method and code, times it, and tracks calls in flight. Thread-safe. */
public final class RpcMetricsInterceptor implements ServerInterceptor {
  private final ShardMetrics metrics;

  /**
   * @param metrics where the figures go
   */
  public RpcMetricsInterceptor(ShardMetrics metrics) {
    this.metrics = metrics;
  }

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(
      ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
    String method = call.getMethodDescriptor().getBareMethodName();
    String m = method == null ? "unknown" : method;
    long start = System.nanoTime();
    metrics.rpcInFlight.labelValues(m).inc();
    AtomicBoolean done = new AtomicBoolean();
    return next.startCall(
        new SimpleForwardingServerCall<>(call) {
          @Override
          public void close(Status status, Metadata trailers) {
            if (done.compareAndSet(false, true)) {
              String code = status.getCode().name();
              metrics.rpcInFlight.labelValues(m).dec();
              metrics.rpcRequests.labelValues(m, code).inc();
              metrics.rpcDuration.labelValues(m, code).observe((System.nanoTime() - start) / 1e9);
            }
            super.close(status, trailers);
          }
        },
        headers);
  }
}
