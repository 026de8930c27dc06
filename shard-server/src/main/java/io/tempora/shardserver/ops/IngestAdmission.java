package io.tempora.shardserver.ops;

import com.google.protobuf.MessageLite;
import io.grpc.ForwardingServerCall.SimpleForwardingServerCall;
import io.grpc.ForwardingServerCallListener.SimpleForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import java.util.Set;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The bounded ingest queue (OPERATIONS.md §4): at most {@code maxRequests} ingest calls and {@code
 * maxBytes} bytes of their messages are admitted at once; beyond that a call is answered {@code
 * RESOURCE_EXHAUSTED "ingest queue full"} with a {@code grpc-retry-pushback-ms} hint before any
 * work, so nothing buffers without bound. Thread-safe.
 */
public final class IngestAdmission implements ServerInterceptor {
  /** Methods that write. */
  public static final Set<String> INGEST_METHODS =
      Set.of(
          "tempora.v1.TemporaService/Ingest",
          "tempora.v1.TemporaService/IngestStream",
          "tempora.v1.TemporaService/Delete");

  static final Metadata.Key<String> PUSHBACK =
      Metadata.Key.of("grpc-retry-pushback-ms", Metadata.ASCII_STRING_MARSHALLER);

  private static final long PUSHBACK_MS = 100;

  private final int maxRequests;
  private final long maxBytes;
  private final Semaphore requests;
  private final AtomicLong bytes = new AtomicLong();
  private final ShardMetrics metrics;

  /**
   * @param maxRequests ingest calls admitted at once ({@code limits.ingest_queue_requests})
   * @param maxBytes message bytes admitted at once ({@code limits.ingest_queue_bytes})
   * @param metrics counts shed requests
   */
  public IngestAdmission(int maxRequests, long maxBytes, ShardMetrics metrics) {
    this.maxRequests = maxRequests;
    this.maxBytes = maxBytes;
    this.requests = new Semaphore(maxRequests);
    this.metrics = metrics;
  }

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(
      ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
    if (!INGEST_METHODS.contains(call.getMethodDescriptor().getFullMethodName())) {
      return next.startCall(call, headers);
    }
    if (!requests.tryAcquire()) {
      shed(
          call,
          "ingest queue full: "
              + maxRequests
              + " ingest calls in flight (limits.ingest_queue_requests)");
      return new ServerCall.Listener<>() {};
    }
    return new AdmittedCall<>(call, headers, next).listener();
  }

  /** One admitted call: holds its permit and message bytes until it ends. */
  private final class AdmittedCall<Q, R> {
    private final AtomicBoolean released = new AtomicBoolean();
    private final AtomicLong held = new AtomicLong();
    private final boolean unary;
    private final ServerCall<Q, R> call;
    private final ServerCall.Listener<Q> delegate;
    private volatile boolean shed;

    AdmittedCall(ServerCall<Q, R> raw, Metadata headers, ServerCallHandler<Q, R> next) {
      this.unary = raw.getMethodDescriptor().getType().clientSendsOneMessage();
      this.call =
          new SimpleForwardingServerCall<>(raw) {
            @Override
            public void close(Status status, Metadata trailers) {
              release();
              super.close(status, trailers);
            }
          };
      try {
        this.delegate = next.startCall(call, headers);
      } catch (RuntimeException e) {
        release();
        throw e;
      }
    }

    private void release() {
      if (released.compareAndSet(false, true)) {
        bytes.addAndGet(-held.getAndSet(0));
        requests.release();
      }
    }

    ServerCall.Listener<Q> listener() {
      return new SimpleForwardingServerCallListener<>(delegate) {
        @Override
        public void onMessage(Q message) {
          if (shed) {
            return;
          }
          long size = message instanceof MessageLite m ? m.getSerializedSize() : 0;
          if (bytes.addAndGet(size) > maxBytes) {
            bytes.addAndGet(-size);
            shed = true;
            shed(
                call,
                "ingest queue full: over "
                    + maxBytes
                    + " bytes of ingest messages in flight (limits.ingest_queue_bytes)");
            return;
          }
          metrics.ingestBytes(size);
          if (unary) {
            // A unary handler runs at half-close: the bytes stay held until the call closes.
            held.addAndGet(size);
            super.onMessage(message);
            return;
          }
          try {
            super.onMessage(message);
          } finally {
            bytes.addAndGet(-size);
          }
        }

        @Override
        public void onHalfClose() {
          if (!shed) {
            super.onHalfClose();
          }
        }

        @Override
        public void onCancel() {
          release();
          super.onCancel();
        }

        @Override
        public void onComplete() {
          // Also reached when an outer interceptor closed the call without this one seeing it.
          release();
          super.onComplete();
        }
      };
    }
  }

  private <Q, R> void shed(ServerCall<Q, R> call, String message) {
    metrics.requestsShed.labelValues("ingest_queue_full").inc();
    Metadata trailers = new Metadata();
    trailers.put(PUSHBACK, Long.toString(PUSHBACK_MS));
    call.close(Status.RESOURCE_EXHAUSTED.withDescription(message), trailers);
  }
}
