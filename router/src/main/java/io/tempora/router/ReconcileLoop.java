package io.tempora.router;

import io.grpc.Context;
import io.grpc.Deadline;
import io.tempora.proto.internal.v1.AckDirtyRequest;
import io.tempora.proto.internal.v1.ChangeFeedStateRequest;
import io.tempora.proto.internal.v1.ChangeFeedStateResponse;
import io.tempora.proto.internal.v1.ReconcileResponse;
import io.tempora.proto.internal.v1.ShardGrpc;
import java.time.Duration;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reconciliation among several routers (DISTRIBUTED.md §4 DS-3, DS-4, "Settled reads"): only the
 * {@link ReconcileLease lease} holder runs rounds, and every shard call of a round carries its
 * epoch ({@link LeaseEpoch}). The holder {@link #poll polls} every shard's change-feed head
 * (ChangeFeedState) every quarter of the staleness bound and runs a round when any shard has
 * changes past its acknowledged cursor; after a round the cursors are persisted on the shards
 * (AckDirty), so a new holder, or this router after a restart, continues from them. A new holder (a
 * new epoch) reads the cursors first; a shard never acknowledged means a full pass. Rounds are
 * serialised on this object. Thread-safe.
 */
final class ReconcileLoop {
  private static final Logger LOG = LoggerFactory.getLogger(ReconcileLoop.class);
  private static final long SETTLE_POLL_MS = 20;

  private final List<ShardClient> shards;
  private final Fanout fanout;
  private final Reconciler reconciler;
  private final ReconcileLease lease;
  private final RouterMetrics metrics;
  private final Duration deadline;
  private final LongSupplier nanos;
  private final long[] acknowledged;

  /** Per shard: since when changes are pending (0: none), read by the lag gauge at any time. */
  private final AtomicLongArray pendingSince;

  /** Per shard: the head when pending changes were first seen. */
  private final long[] pendingHead;

  /** Per shard: the last poll that found nothing pending (0: none yet). */
  private final long[] lastClean;

  private final int[] ontology;
  private long adopted;

  ReconcileLoop(
      List<ShardClient> shards,
      Fanout fanout,
      Reconciler reconciler,
      ReconcileLease lease,
      RouterMetrics metrics,
      Duration deadline,
      LongSupplier nanos) {
    this.shards = shards;
    this.fanout = fanout;
    this.reconciler = reconciler;
    this.lease = lease;
    this.metrics = metrics;
    this.deadline = deadline;
    this.nanos = nanos;
    this.acknowledged = new long[shards.size()];
    this.pendingSince = new AtomicLongArray(shards.size());
    this.pendingHead = new long[shards.size()];
    this.lastClean = new long[shards.size()];
    metrics.lagSource(this::lagSeconds);
    this.ontology = new int[shards.size()];
  }

  /** The lease this loop runs under. */
  ReconcileLease lease() {
    return lease;
  }

  /**
   * One poll (DS-3): renews or takes the lease; as holder, reads every shard's head and runs a
   * round when any has unreconciled changes (or a shard's ontology version changed).
   *
   * @return whether this router holds the lease
   */
  synchronized boolean poll() {
    OptionalLong epoch = lease.hold();
    metrics.leaseHeld(epoch.isPresent());
    if (epoch.isEmpty()) {
      for (int s = 0; s < shards.size(); s++) {
        pendingSince.set(s, 0);
      }
      return false;
    }
    LeaseEpoch.with(
        epoch.getAsLong(),
        () -> {
          List<ChangeFeedStateResponse> states = states();
          boolean pending = adopt(epoch.getAsLong(), states);
          if (pending) {
            round(epoch.getAsLong(), false, heads(states));
          }
          return null;
        });
    return true;
  }

  /**
   * The Reconcile RPC (DS-4): takes or waits for the lease (up to {@code patience}), then runs
   * rounds until every change present now is reconciled; full passes when {@code full}.
   *
   * @throws io.tempora.engine.PreconditionFailedException if another router keeps the lease
   */
  synchronized ReconcileResponse reconcile(boolean full, Duration patience) {
    long epoch = lease.await(patience);
    metrics.leaseHeld(true);
    return LeaseEpoch.with(
        epoch,
        () -> {
          List<ChangeFeedStateResponse> states = states();
          adopt(epoch, states);
          return round(epoch, full, heads(states));
        });
  }

  /**
   * Finishes every pending move-journal entry as the lease holder, for a slot move (docs/
   * distributed.md "Rebalancing"): takes or waits for the lease (up to {@code patience}; zero: only
   * if held or free now), raises every shard's fence with its epoch (before the listing, as a round
   * does), then finishes the entries. Not synchronized with polls on purpose: a slot move's freeze,
   * which calls this, holds the reconciler's lock, which a poll may be waiting for while it holds
   * this object.
   *
   * @return entries finished
   * @throws io.tempora.engine.PreconditionFailedException if another router keeps the lease
   */
  long finishMoves(Duration patience) {
    long epoch = lease.await(patience);
    metrics.leaseHeld(true);
    return LeaseEpoch.with(
        epoch,
        () -> {
          states();
          return reconciler.finishJournal();
        });
  }

  /** Every shard's change-feed state (in the calling context: with the epoch inside a round). */
  private List<ChangeFeedStateResponse> states() {
    return fanout.all(
        s ->
            ShardGrpc.newBlockingStub(s.channel())
                .withInterceptors(LeaseEpoch.ATTACH)
                .withDeadlineAfter(deadline.toMillis(), TimeUnit.MILLISECONDS)
                .changeFeedState(ChangeFeedStateRequest.getDefaultInstance()));
  }

  /**
   * Takes the shards' cursors when this epoch is new to this router, notes ontology switches and
   * the age of pending changes; returns whether any shard has unreconciled changes.
   */
  private boolean adopt(long epoch, List<ChangeFeedStateResponse> states) {
    long now = nanos.getAsLong();
    boolean fresh = adopted != epoch;
    long[] cursors = new long[states.size()];
    boolean never = false;
    boolean pending = false;
    for (int s = 0; s < states.size(); s++) {
      ChangeFeedStateResponse st = states.get(s);
      cursors[s] = st.getAcknowledged();
      never |= st.getAcknowledged() == 0;
      if (!fresh && st.getOntologyVersion() != ontology[s]) {
        reconciler.requireFull(); // every signature may have changed
        pending = true;
      }
      ontology[s] = st.getOntologyVersion();
      acknowledged[s] = st.getAcknowledged();
      pending |= st.getPendingMoves() > 0; // a move left unfinished: a round finishes it
      if (st.getHeadTx() > st.getAcknowledged()) {
        pending = true;
        if (pendingSince.get(s) == 0) {
          // The changes appeared after the last poll that found none: count from there (an
          // overestimate by at most one poll period), or from now on the first poll.
          pendingSince.set(s, lastClean[s] != 0 ? lastClean[s] : now);
          pendingHead[s] = st.getHeadTx();
        }
      } else {
        pendingSince.set(s, 0);
        lastClean[s] = now;
      }
    }
    if (fresh) {
      if (never) {
        reconciler.requireFull();
      } else {
        reconciler.adopt(cursors);
      }
      adopted = epoch;
      LOG.info(
          "reconcile lease taken as {} at epoch {}; {}",
          lease.holder(),
          epoch,
          never ? "a shard was never reconciled: full pass first" : "continuing from the cursors");
    }
    return pending || never;
  }

  /** Age of the oldest pending change seen, in seconds (the lag gauge, at scrape time). */
  double lagSeconds() {
    long oldest = 0;
    for (int s = 0; s < pendingSince.length(); s++) {
      long since = pendingSince.get(s);
      if (since != 0 && (oldest == 0 || since < oldest)) {
        oldest = since;
      }
    }
    return oldest == 0 ? 0 : Math.max(0, nanos.getAsLong() - oldest) / 1e9;
  }

  /**
   * Runs the reconciler over the changes below {@code heads} (read before it, DS-4) and persists
   * the cursors it reached.
   */
  private ReconcileResponse round(long epoch, boolean full, long[] heads) {
    long started = nanos.getAsLong();
    ReconcileResponse r;
    try {
      r = reconciler.reconcile(full, heads);
      metrics.round("ok");
    } catch (RuntimeException e) {
      metrics.round("error");
      throw e;
    }
    long[] reached = reconciler.cursors();
    reconciler
        .moveHook()
        .step(MoveHook.Point.ACKNOWLEDGED, List.of(), () -> acknowledge(epoch, reached));
    for (int s = 0; s < reached.length; s++) {
      acknowledged[s] = Math.max(acknowledged[s], reached[s]);
      if (reached[s] >= pendingHead[s]) {
        // What was pending is reconciled; changes the round did not read (its own moves among
        // them) are seen at the next poll and appeared after the round started.
        pendingSince.set(s, 0);
        lastClean[s] = started;
      }
    }
    return r;
  }

  /** Persists the cursors reached (AckDirty, monotonic on the shards). */
  private void acknowledge(long epoch, long[] reached) {
    fanout.all(
        s ->
            reached[s.id()] > acknowledged[s.id()]
                ? ShardGrpc.newBlockingStub(s.channel())
                    .withInterceptors(LeaseEpoch.ATTACH)
                    .withDeadlineAfter(deadline.toMillis(), TimeUnit.MILLISECONDS)
                    .ackDirty(
                        AckDirtyRequest.newBuilder()
                            .setEpoch(epoch)
                            .setUpTo(reached[s.id()])
                            .build())
                : null);
  }

  /** Every shard's head now: the cursors a settled read waits for. */
  long[] heads() {
    return heads(states());
  }

  private static long[] heads(List<ChangeFeedStateResponse> states) {
    long[] heads = new long[states.size()];
    for (int s = 0; s < heads.length; s++) {
      heads[s] = states.get(s).getHeadTx();
    }
    return heads;
  }

  /**
   * Waits until every shard's acknowledged cursor has reached {@code heads} (DISTRIBUTED.md §4
   * "Settled reads"): as holder (taking the lease if free), by running a round now; otherwise by
   * watching the shards while the holder's loop catches up.
   *
   * @param patience how long to wait at most
   * @return whether it holds
   */
  boolean awaitSettled(long[] heads, Duration patience) {
    Deadline until = Deadline.after(patience.toNanos(), TimeUnit.NANOSECONDS);
    while (true) {
      poll(); // the holder (or a router that can take the lease) reconciles now
      List<ChangeFeedStateResponse> states = states();
      boolean settled = true;
      for (int s = 0; s < heads.length; s++) {
        settled &= states.get(s).getAcknowledged() >= heads[s];
      }
      if (settled) {
        return true;
      }
      if (until.isExpired() || Context.current().isCancelled()) {
        return false;
      }
      try {
        Thread.sleep(
            Math.min(SETTLE_POLL_MS, Math.max(1, until.timeRemaining(TimeUnit.MILLISECONDS))));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return false;
      }
    }
  }

  /** Number of shards. */
  int size() {
    return shards.size();
  }
}
