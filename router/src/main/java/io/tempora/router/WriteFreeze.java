package io.tempora.router;

import io.grpc.Context;
import io.grpc.Deadline;
import io.grpc.Status;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * The write freeze of a slot move (DISTRIBUTED.md §5 "freeze", docs/distributed.md "Rebalancing"):
 * while a move freezes, this router's client writes are held; a write held longer than {@code
 * rebalance.max_freeze} (or than the client's deadline) is answered UNAVAILABLE before it touched
 * the directory or any shard, so retrying it is safe. Reconciliation rounds do not take it.
 * Thread-safe.
 */
final class WriteFreeze {
  private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
  private final Duration maxWait;

  /**
   * @param maxWait how long a write waits for a freeze at most ({@code rebalance.max_freeze})
   */
  WriteFreeze(Duration maxWait) {
    this.maxWait = maxWait;
  }

  /**
   * Admits a client write: returns at once unless a freeze holds writes, then waits for it to end,
   * at most the configured time (and the client's remaining deadline). The caller {@link #leave
   * leaves} when the write is done.
   *
   * @throws io.grpc.StatusRuntimeException UNAVAILABLE when the freeze outlasted the wait (nothing
   *     was applied)
   */
  void enter() {
    long wait = maxWait.toNanos();
    Deadline client = Context.current().getDeadline();
    if (client != null) {
      wait = Math.min(wait, Math.max(0, client.timeRemaining(TimeUnit.NANOSECONDS)));
    }
    boolean admitted;
    try {
      admitted = lock.readLock().tryLock(wait, TimeUnit.NANOSECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw Status.CANCELLED
          .withDescription("interrupted while a slot move froze writes; nothing was applied")
          .asRuntimeException();
    }
    if (!admitted) {
      throw Status.UNAVAILABLE
          .withDescription(
              "a slot move is freezing writes (held "
                  + TimeUnit.NANOSECONDS.toMillis(wait)
                  + " ms, rebalance.max_freeze "
                  + maxWait.toMillis()
                  + " ms); nothing was applied, retrying the request is safe")
          .asRuntimeException();
    }
  }

  /** Ends a write admitted by {@link #enter}. */
  void leave() {
    lock.readLock().unlock();
  }

  /** Starts a freeze: waits for the writes in flight, then holds new ones until {@link #thaw}. */
  void freeze() {
    lock.writeLock().lock();
  }

  /** Ends the freeze started by this thread. */
  void thaw() {
    lock.writeLock().unlock();
  }
}
