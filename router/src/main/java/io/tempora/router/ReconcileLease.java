package io.tempora.router;

import io.tempora.engine.PreconditionFailedException;
import io.tempora.proto.internal.v1.AcquireLeaseRequest;
import io.tempora.proto.internal.v1.AcquireLeaseResponse;
import io.tempora.proto.internal.v1.ShardGrpc;
import java.time.Duration;
import java.time.Instant;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * This router's side of the reconcile lease (DISTRIBUTED.md §4 step 0), stored on shard 0: taken
 * when free or expired, renewed every third of its duration, given up on close. The lease counts as
 * held locally until the duration has passed since the request that granted or renewed it was sent
 * (a lower bound of shard 0's expiry); the shards' epoch fence covers a holder that outlives it
 * anyway. Thread-safe.
 */
final class ReconcileLease {
  private final ShardClient shard0;
  private final String holder;
  private final Duration ttl;
  private final Duration deadline;
  private final LongSupplier nanos;
  private long epoch;
  private long sentAt;
  private AcquireLeaseResponse seen = AcquireLeaseResponse.getDefaultInstance();

  /**
   * @param shard0 where the lease lives
   * @param holder this router's id
   * @param ttl lease duration
   * @param deadline of each AcquireLease call
   * @param nanos monotonic clock ({@link System#nanoTime} outside tests)
   */
  ReconcileLease(
      ShardClient shard0, String holder, Duration ttl, Duration deadline, LongSupplier nanos) {
    this.shard0 = shard0;
    this.holder = holder;
    this.ttl = ttl;
    this.deadline = deadline;
    this.nanos = nanos;
  }

  /** This router's holder id. */
  String holder() {
    return holder;
  }

  /** The epoch if this router holds the lease now (renewing it when a third has passed). */
  synchronized OptionalLong hold() {
    long now = nanos.getAsLong();
    if (epoch != 0 && now - sentAt < ttl.toNanos() / 3) {
      return OptionalLong.of(epoch);
    }
    try {
      return acquire(now);
    } catch (RuntimeException e) {
      if (epoch != 0 && now - sentAt < ttl.toNanos()) {
        return OptionalLong.of(epoch); // shard 0 did not answer: still ours until the ttl passes
      }
      epoch = 0;
      throw e;
    }
  }

  private OptionalLong acquire(long now) {
    AcquireLeaseResponse r =
        Fanout.call(
            shard0,
            s ->
                ShardGrpc.newBlockingStub(s.channel())
                    .withDeadlineAfter(deadline.toMillis(), TimeUnit.MILLISECONDS)
                    .acquireLease(
                        AcquireLeaseRequest.newBuilder()
                            .setHolder(holder)
                            .setExpectedEpoch(epoch)
                            .setTtlMs(ttl.toMillis())
                            .build()));
    seen = r;
    if (r.getGranted()) {
      epoch = r.getEpoch();
      sentAt = now;
      return OptionalLong.of(epoch);
    }
    epoch = 0;
    return OptionalLong.empty();
  }

  /** Whether this router held the lease at its last {@link #hold} and it has not lapsed since. */
  synchronized boolean held() {
    return epoch != 0 && nanos.getAsLong() - sentAt < ttl.toNanos();
  }

  /**
   * Waits up to {@code patience} for the lease (DISTRIBUTED.md DS-4: takes or waits for it).
   *
   * @throws PreconditionFailedException naming the holder if it is still held by another router
   */
  long await(Duration patience) {
    long until = nanos.getAsLong() + patience.toNanos();
    while (true) {
      OptionalLong e = hold();
      if (e.isPresent()) {
        return e.getAsLong();
      }
      long left = until - nanos.getAsLong();
      if (left <= 0) {
        throw new PreconditionFailedException(
            "reconcile lease held by another router: " + describe() + "; retry later");
      }
      try {
        Thread.sleep(Math.min(TimeUnit.NANOSECONDS.toMillis(left) + 1, 100));
      } catch (InterruptedException ie) {
        Thread.currentThread().interrupt();
        throw new PreconditionFailedException("interrupted while waiting for the reconcile lease");
      }
    }
  }

  /** The last lease state seen on shard 0, for messages. */
  synchronized String describe() {
    return seen.getHolder().isEmpty()
        ? "free at epoch " + seen.getEpoch()
        : seen.getHolder()
            + " (epoch "
            + seen.getEpoch()
            + ") until "
            + Instant.ofEpochMilli(seen.getExpiresAtMs());
  }

  /** Gives the lease up if held (on close), so another router takes it at once. */
  synchronized void release() {
    if (epoch == 0) {
      return;
    }
    long held = epoch;
    epoch = 0;
    Fanout.call(
        shard0,
        s ->
            ShardGrpc.newBlockingStub(s.channel())
                .withDeadlineAfter(deadline.toMillis(), TimeUnit.MILLISECONDS)
                .acquireLease(
                    AcquireLeaseRequest.newBuilder()
                        .setHolder(holder)
                        .setExpectedEpoch(held)
                        .setRelease(true)
                        .build()));
  }
}
