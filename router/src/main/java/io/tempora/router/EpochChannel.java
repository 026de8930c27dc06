package io.tempora.router;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ClientInterceptors;
import io.grpc.ConnectivityState;
import io.grpc.ForwardingClientCall;
import io.grpc.ForwardingClientCallListener;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.tempora.shardserver.grpc.MapEpochGuard;
import java.util.concurrent.TimeUnit;

/**
 * A router ↔ shard channel that sends the router's shard map epoch with every call ({@code
 * tempora-map-epoch}) and calls {@code onStale} when a shard rejects a call for a stale epoch, so
 * the router refreshes its map (docs/distributed.md "Rebalancing"). Delegates everything else;
 * thread-safe.
 */
final class EpochChannel extends ManagedChannel {
  private final ManagedChannel delegate;
  private final Channel intercepted;

  EpochChannel(ManagedChannel delegate, ShardMap map, Runnable onStale) {
    this.delegate = delegate;
    this.intercepted =
        ClientInterceptors.intercept(
            delegate,
            new ClientInterceptor() {
              @Override
              public <Q, A> ClientCall<Q, A> interceptCall(
                  MethodDescriptor<Q, A> method, CallOptions options, Channel next) {
                return new ForwardingClientCall.SimpleForwardingClientCall<>(
                    next.newCall(method, options)) {
                  @Override
                  public void start(Listener<A> listener, Metadata headers) {
                    headers.put(MapEpochGuard.EPOCH, Long.toString(map.epoch()));
                    super.start(
                        new ForwardingClientCallListener.SimpleForwardingClientCallListener<>(
                            listener) {
                          @Override
                          public void onClose(Status status, Metadata trailers) {
                            if (stale(status)) {
                              onStale.run();
                            }
                            super.onClose(status, trailers);
                          }
                        },
                        headers);
                  }
                };
              }
            });
  }

  /** True iff a shard rejected a call for the caller's stale map epoch. */
  static boolean stale(Status status) {
    return status.getCode() == Status.Code.FAILED_PRECONDITION
        && status.getDescription() != null
        && status.getDescription().startsWith(MapEpochGuard.STALE);
  }

  @Override
  public <Q, A> ClientCall<Q, A> newCall(MethodDescriptor<Q, A> method, CallOptions options) {
    return intercepted.newCall(method, options);
  }

  @Override
  public String authority() {
    return delegate.authority();
  }

  @Override
  public ManagedChannel shutdown() {
    delegate.shutdown();
    return this;
  }

  @Override
  public boolean isShutdown() {
    return delegate.isShutdown();
  }

  @Override
  public boolean isTerminated() {
    return delegate.isTerminated();
  }

  @Override
  public ManagedChannel shutdownNow() {
    delegate.shutdownNow();
    return this;
  }

  @Override
  public boolean awaitTermination(long timeout, TimeUnit unit) throws InterruptedException {
    return delegate.awaitTermination(timeout, unit);
  }

  @Override
  public ConnectivityState getState(boolean requestConnection) {
    return delegate.getState(requestConnection);
  }

  @Override
  public void notifyWhenStateChanged(ConnectivityState source, Runnable callback) {
    delegate.notifyWhenStateChanged(source, callback);
  }

  @Override
  public void resetConnectBackoff() {
    delegate.resetConnectBackoff();
  }

  @Override
  public void enterIdle() {
    delegate.enterIdle();
  }
}
