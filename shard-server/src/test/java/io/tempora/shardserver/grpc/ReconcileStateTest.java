package io.tempora.shardserver.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tempora.engine.PreconditionFailedException;
import io.tempora.persistence.InMemoryHomeDirectory;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The shard's reconcile lease, fence and cursor (docs/distributed.md), with a settable clock. */
class ReconcileStateTest {
  private final InMemoryHomeDirectory directory = new InMemoryHomeDirectory();
  private final MutableClock clock = new MutableClock();

  @Test
  void acquire_heldByOther_isRefusedUntilExpiryThenGrantedWithHigherEpoch() {
    ReconcileState s = ReconcileState.open(directory, clock);

    ReconcileState.Lease a = s.acquire("a", 0, 1000, false);
    ReconcileState.Lease refused = s.acquire("b", 0, 1000, false);
    clock.advance(500);
    ReconcileState.Lease renewed = s.acquire("a", a.epoch(), 1000, false);
    clock.advance(1000);
    ReconcileState.Lease b = s.acquire("b", 0, 1000, false);
    ReconcileState.Lease staleRenewal = s.acquire("a", a.epoch(), 1000, false);

    assertThat(a.granted()).isTrue();
    assertThat(a.epoch()).isEqualTo(1);
    assertThat(refused.granted()).isFalse();
    assertThat(refused.holder()).isEqualTo("a");
    assertThat(renewed.granted()).isTrue();
    assertThat(renewed.epoch()).isEqualTo(1);
    assertThat(renewed.expiresAtMs()).isEqualTo(1_001_500);
    assertThat(b.granted()).isTrue();
    assertThat(b.holder()).isEqualTo("b");
    assertThat(b.epoch()).isEqualTo(2);
    assertThat(staleRenewal.granted()).isFalse();
    assertThat(staleRenewal.holder()).isEqualTo("b");
  }

  @Test
  void acquire_afterRelease_isGrantedAtOnceAndStateSurvivesReopen() {
    ReconcileState s = ReconcileState.open(directory, clock);
    ReconcileState.Lease a = s.acquire("a", 0, 10_000, false);
    s.acquire("a", a.epoch(), 0, true);
    ReconcileState.Lease b = s.acquire("b", 0, 10_000, false);
    s.acknowledge(b.epoch(), 42);

    ReconcileState reopened = ReconcileState.open(directory, clock);

    assertThat(b.granted()).isTrue();
    assertThat(b.epoch()).isEqualTo(2);
    assertThat(reopened.acquire("c", 0, 10_000, false).granted()).isFalse();
    assertThat(reopened.acknowledged()).isEqualTo(42);
    assertThat(reopened.highestEpoch()).isEqualTo(2);
  }

  @Test
  void admit_epochBelowHighestSeen_isRejected() {
    ReconcileState s = ReconcileState.open(directory, clock);
    s.release(s.admit(3));

    assertThatThrownBy(() -> s.admit(2))
        .isInstanceOf(PreconditionFailedException.class)
        .hasMessageContaining("epoch 2 is below the highest epoch 3");
    assertThatThrownBy(() -> s.acknowledge(2, 10)).isInstanceOf(PreconditionFailedException.class);
    assertThat(s.acknowledged()).isZero();
  }

  @Test
  void admit_higherEpoch_waitsForAdmittedCallsOfLowerEpochs() throws Exception {
    ReconcileState s = ReconcileState.open(directory, clock);
    long old = s.admit(1);

    CompletableFuture<Long> newer = CompletableFuture.supplyAsync(() -> s.admit(2));
    boolean doneWhileOldRuns = waitBriefly(newer);
    s.release(old);
    long stamp = newer.get(10, TimeUnit.SECONDS);
    s.release(stamp);

    assertThat(doneWhileOldRuns).isFalse();
    assertThat(s.highestEpoch()).isEqualTo(2);
  }

  @Test
  void acquire_badTtlOrHolder_isInvalidArgument() {
    ReconcileState s = ReconcileState.open(directory, clock);

    assertThatThrownBy(() -> s.acquire("", 0, 1000, false))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("holder must not be empty");
    assertThatThrownBy(() -> s.acquire("a", 0, 0, false))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("ttl_ms: 0 must be in 1..600000");
  }

  /** Whether the future completes within 200 ms (it must not: it waits for a stamp). */
  private static boolean waitBriefly(CompletableFuture<?> f) {
    try {
      f.get(200, TimeUnit.MILLISECONDS);
      return true;
    } catch (java.util.concurrent.TimeoutException e) {
      return false;
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  private static final class MutableClock extends Clock {
    private long millis = 1_000_000;

    void advance(long ms) {
      millis += ms;
    }

    @Override
    public long millis() {
      return millis;
    }

    @Override
    public Instant instant() {
      return Instant.ofEpochMilli(millis);
    }

    @Override
    public ZoneOffset getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(java.time.ZoneId zone) {
      return this;
    }
  }
}
