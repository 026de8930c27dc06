package io.tempora.router;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.Context;
import io.grpc.ForwardingClientCall.SimpleForwardingClientCall;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.tempora.shardserver.grpc.LeaseFenceInterceptor;
import java.util.function.Supplier;

/**
 * Carries the reconcile lease epoch on every shard call of a round (DISTRIBUTED.md §4 step 0): a
 * round runs {@link #with in the epoch's context}, and {@link #ATTACH}, installed on every shard
 * stub, adds the {@code tempora-lease-epoch} header when the calling context has an epoch. Client
 * calls never run in such a context, so they carry none. Fan-out propagates the context to its
 * worker threads. Stateless; thread-safe.
 */
final class LeaseEpoch {
  private static final Context.Key<Long> KEY = Context.key("tempora-lease-epoch");

  /** Adds the header to calls made in a round's context. */
  static final ClientInterceptor ATTACH =
      new ClientInterceptor() {
        @Override
        public <Q, R> ClientCall<Q, R> interceptCall(
            MethodDescriptor<Q, R> method, CallOptions options, Channel next) {
          Long epoch = KEY.get();
          if (epoch == null) {
            return next.newCall(method, options);
          }
          return new SimpleForwardingClientCall<>(next.newCall(method, options)) {
            @Override
            public void start(Listener<R> listener, Metadata headers) {
              headers.put(LeaseFenceInterceptor.EPOCH_HEADER, Long.toUnsignedString(epoch));
              super.start(listener, headers);
            }
          };
        }
      };

  private LeaseEpoch() {}

  /** The epoch of the calling round's context, or null outside a round. */
  static Long current() {
    return KEY.get();
  }

  /** Runs {@code body} with every shard call it makes carrying {@code epoch}. */
  static <T> T with(long epoch, Supplier<T> body) {
    Context previous = Context.current().withValue(KEY, epoch).attach();
    try {
      return body.get();
    } finally {
      Context.current().detach(previous);
    }
  }
}
