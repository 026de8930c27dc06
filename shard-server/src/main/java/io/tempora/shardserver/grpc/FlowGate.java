package io.tempora.shardserver.grpc;

import io.grpc.stub.CallStreamObserver;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Outbound flow control for a stream written from a producer thread (DISTRIBUTED.md §6, "streams"):
 * {@link #awaitReady()} blocks the producer until the stream's transport window has room or the
 * call is cancelled. Register {@link #signal()} as the observer's on-ready handler and {@link
 * #cancel()} as its cancel handler. The producer must not be a gRPC callback thread of the same
 * call (the on-ready callback could never run). Thread-safe.
 */
public final class FlowGate {
  private final CallStreamObserver<?> stream;
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition changed = lock.newCondition();
  private volatile boolean cancelled;

  public FlowGate(CallStreamObserver<?> stream) {
    this.stream = stream;
  }

  /** Wakes the producer: the stream may be ready. */
  public void signal() {
    lock.lock();
    try {
      changed.signalAll();
    } finally {
      lock.unlock();
    }
  }

  /** Marks the call cancelled and wakes the producer. */
  public void cancel() {
    cancelled = true;
    signal();
  }

  /** True once the call is cancelled. */
  public boolean isCancelled() {
    return cancelled;
  }

  /**
   * Blocks until the stream is ready for another message.
   *
   * @return false if the call was cancelled (or the thread interrupted) instead
   */
  public boolean awaitReady() {
    lock.lock();
    try {
      while (!stream.isReady() && !cancelled) {
        changed.await();
      }
      return !cancelled;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    } finally {
      lock.unlock();
    }
  }
}
