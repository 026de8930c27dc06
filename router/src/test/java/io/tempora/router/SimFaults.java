package io.tempora.router;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ForwardingClientCall.SimpleForwardingClientCall;
import io.grpc.ForwardingClientCallListener.SimpleForwardingClientCallListener;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * The simulation's network between routers and shards: a client interceptor on every router → shard
 * channel ({@link #toward}) that, while {@link #enabled}, drops a call with the seeded probability,
 * either before it reaches the shard (request dropped: UNAVAILABLE, nothing applied) or after the
 * shard answered (response dropped: the shard applied it, the router sees UNAVAILABLE). The
 * decisions come from one seeded {@link Random} in call order, which the simulation keeps
 * deterministic by making one call at a time. Also the schedule's trace. Thread-safe
 * (synchronized), though used sequentially.
 */
final class SimFaults {
  private final Random random;
  private final int dropPercent;
  private final boolean sabotage;
  private final List<String> trace = new ArrayList<>();
  private boolean enabled;
  private int drops;

  /**
   * @param random the seed's generator (shared with the schedule)
   * @param dropPercent chance of a drop per router → shard call while enabled, 0..100
   * @param sabotage a seeded bug, to show the simulation catches one: an Ingest whose request is
   *     dropped is answered OK (as if the router took a lost sub-batch for applied)
   */
  SimFaults(Random random, int dropPercent, boolean sabotage) {
    this.random = random;
    this.dropPercent = dropPercent;
    this.sabotage = sabotage;
  }

  /** Turns drops on or off (off for the set-up, the final phase and the checks). */
  synchronized void enabled(boolean on) {
    enabled = on;
  }

  /** Whether drops are on. */
  synchronized boolean isEnabled() {
    return enabled;
  }

  /** Appends a line to the schedule's trace. */
  synchronized void note(String line) {
    trace.add(line);
  }

  /** The trace so far, one event a line. */
  synchronized String trace() {
    return String.join("\n", trace);
  }

  /** The number of calls dropped so far. */
  synchronized int drops() {
    return drops;
  }

  private enum Drop {
    NONE,
    REQUEST,
    RESPONSE,
    /** The sabotage: the request is dropped, the caller told OK. */
    LIE
  }

  private synchronized Drop decide(String method, String target) {
    // The lease calls are spared: a granted lease whose answer is lost makes the router wait for
    // it to expire, and the simulation's time moves only between steps.
    if (!enabled || method.equals("AcquireLease") || random.nextInt(100) >= dropPercent) {
      return Drop.NONE;
    }
    Drop d = random.nextBoolean() ? Drop.REQUEST : Drop.RESPONSE;
    if (sabotage && d == Drop.REQUEST && method.equals("Ingest")) {
      d = Drop.LIE;
    }
    drops++;
    trace.add(
        "  drop " + d.name().toLowerCase(java.util.Locale.ROOT) + " " + method + " → " + target);
    return d;
  }

  /** The interceptor of one router → shard channel; {@code target} names the shard in the trace. */
  ClientInterceptor toward(String target) {
    return new ClientInterceptor() {
      @Override
      public <Q, R> ClientCall<Q, R> interceptCall(
          MethodDescriptor<Q, R> method, CallOptions options, Channel next) {
        return switch (decide(method.getBareMethodName(), target)) {
          case NONE -> next.newCall(method, options);
          case REQUEST -> new RequestDropped<>();
          case RESPONSE -> new ResponseDropped<>(next.newCall(method, options));
          case LIE -> new Lie<>(method);
        };
      }
    };
  }

  private static Status dropped(String what) {
    return Status.UNAVAILABLE.withDescription("simulated network fault: " + what + " dropped");
  }

  /** A call that never leaves the router: it fails at once. */
  private static final class RequestDropped<Q, R> extends ClientCall<Q, R> {
    private Listener<R> listener;

    @Override
    public void start(Listener<R> responseListener, Metadata headers) {
      listener = responseListener;
    }

    @Override
    public void request(int numMessages) {}

    @Override
    public void cancel(String message, Throwable cause) {}

    @Override
    public void halfClose() {
      listener.onClose(dropped("request"), new Metadata());
    }

    @Override
    public void sendMessage(Q message) {}
  }

  /** A call that never leaves the router but answers OK with an empty response (the sabotage). */
  private static final class Lie<Q, R> extends ClientCall<Q, R> {
    private final MethodDescriptor<Q, R> method;
    private Listener<R> listener;

    Lie(MethodDescriptor<Q, R> method) {
      this.method = method;
    }

    @Override
    public void start(Listener<R> responseListener, Metadata headers) {
      listener = responseListener;
    }

    @Override
    public void request(int numMessages) {}

    @Override
    public void cancel(String message, Throwable cause) {}

    @Override
    public void halfClose() {
      @SuppressWarnings("unchecked")
      MethodDescriptor.PrototypeMarshaller<R> m =
          (MethodDescriptor.PrototypeMarshaller<R>) method.getResponseMarshaller();
      listener.onHeaders(new Metadata());
      listener.onMessage(m.getMessagePrototype());
      listener.onClose(Status.OK, new Metadata());
    }

    @Override
    public void sendMessage(Q message) {}
  }

  /** A call that runs on the shard, whose answer is replaced by UNAVAILABLE. */
  private static final class ResponseDropped<Q, R> extends SimpleForwardingClientCall<Q, R> {
    ResponseDropped(ClientCall<Q, R> delegate) {
      super(delegate);
    }

    @Override
    public void start(Listener<R> responseListener, Metadata headers) {
      super.start(
          new SimpleForwardingClientCallListener<R>(responseListener) {
            @Override
            public void onMessage(R message) {
              // swallowed: the answer is lost on the way back
            }

            @Override
            public void onHeaders(Metadata headers) {}

            @Override
            public void onClose(Status status, Metadata trailers) {
              super.onClose(status.isOk() ? dropped("response") : status, new Metadata());
            }
          },
          headers);
    }
  }
}
