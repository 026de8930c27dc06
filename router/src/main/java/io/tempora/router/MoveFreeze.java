package io.tempora.router;

import io.grpc.Context;
import io.grpc.Deadline;
import io.grpc.Status;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * A freeze of a slot move (DISTRIBUTED.md §5, docs/distributed.md "Rebalancing"): while a move
 * freezes, this router's client requests of one kind are held; one held longer than {@code
 * rebalance.max_freeze} (or than the client's deadline) is answered UNAVAILABLE before it touched
 * the directory or any shard, so retrying it is safe. Two are used:
 *
 * <ul>
 *   <li>{@link #writes}: client writes, from the final catch-up to the end of the clean;
 *   <li>{@link #reads}: client reads, from the flip to the end of the clean, the window in which a
 *       moved record is live on both shards or its directory row only staged on the target.
 * </ul>
 *
 * Reconciliation rounds take neither. Thread-safe.
 */
final class MoveFreeze {
  private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
  private final Duration maxWait;
  private final String held;
  private final String outcome;

  private MoveFreeze(Duration maxWait, String held, String outcome) {
    this.maxWait = maxWait;
    this.held = held;
    this.outcome = outcome;
  }

  /**
   * @param maxWait how long a write waits for a freeze at most ({@code rebalance.max_freeze})
   */
  static MoveFreeze writes(Duration maxWait) {
    return new MoveFreeze(
        maxWait,
        "a slot move is freezing writes",
        "nothing was applied, retrying the request is safe");
  }

  /**
   * @param maxWait how long a read waits for a move's switch at most ({@code rebalance.max_freeze})
   */
  static MoveFreeze reads(Duration maxWait) {
    return new MoveFreeze(
        maxWait,
        "a slot move is switching its slots to the target shard",
        "reads wait for the switch so that no record is counted twice or missed; retry the read");
  }

  /**
   * Admits a client request: returns at once unless a freeze holds requests of this kind, then
   * waits for it to end, at most the configured time (and the client's remaining deadline). The
   * caller {@link #leave leaves} when the request is done.
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
          .withDescription("interrupted while " + held + "; " + outcome)
          .asRuntimeException();
    }
    if (!admitted) {
      throw Status.UNAVAILABLE
          .withDescription(
              held
                  + " (held "
                  + TimeUnit.NANOSECONDS.toMillis(wait)
                  + " ms, rebalance.max_freeze "
                  + maxWait.toMillis()
                  + " ms); "
                  + outcome)
          .asRuntimeException();
    }
  }

  /** Ends a request admitted by {@link #enter}. */
  void leave() {
    lock.readLock().unlock();
  }

  /** Starts a freeze: waits for the requests in flight, then holds new ones until {@link #thaw}. */
  void freeze() {
    lock.writeLock().lock();
  }

  /** Requests waiting for a freeze to end now (a test seam; an estimate, as for any lock). */
  int waiting() {
    return lock.getQueueLength();
  }

  /** Ends the freeze started by this thread. */
  void thaw() {
    lock.writeLock().unlock();
  }
}
