package io.tempora.shardserver.grpc;

import io.grpc.ForwardingServerBuilder;
import io.grpc.ServerBuilder;
import java.util.concurrent.Executor;

/**
 * A server builder (in-process, in tests) whose calls run in the calling thread whatever executor
 * the server sets: with direct channels, a client call and every call it makes to other such
 * servers run in the thread that made it, with no hand-off between threads. Not for servers whose
 * handlers block waiting for another call.
 */
public final class CallerThreadServerBuilder
    extends ForwardingServerBuilder<CallerThreadServerBuilder> {
  private final ServerBuilder<?> delegate;

  /** Wraps {@code delegate}, setting its executor to the direct one. */
  public CallerThreadServerBuilder(ServerBuilder<?> delegate) {
    this.delegate = delegate.directExecutor();
  }

  @Override
  protected ServerBuilder<?> delegate() {
    return delegate;
  }

  /** Ignored: calls run in the calling thread. */
  @Override
  public CallerThreadServerBuilder executor(Executor executor) {
    return this;
  }
}
