package io.tempora.router;

import io.tempora.proto.v1.Identity;
import java.util.List;

/**
 * A test seam at the boundaries between the steps of a reconciliation round that moves records
 * (docs/distributed.md "Writes during a move"), where a router may die: tests throw from it (the
 * round fails as if the router had died there and the router is abandoned), halt the process, or
 * ask for the step before a boundary to run twice ({@link #repeat}). {@link #NONE} outside tests.
 * Implementations must be thread-safe.
 */
interface MoveHook {
  /** Where a round, a move or the finishing of a journaled one stands, in the order they happen. */
  enum Point {
    /** Finishing a journaled move: the carry-over ran, the entry is not marked carried yet. */
    FINISH_CARRIED,
    /** Finishing a journaled move: the entry is marked carried, no stale copy deleted yet. */
    FINISH_MARKED,
    /** Finishing a journaled move: the stale copies were deleted, the entry is not removed yet. */
    FINISH_DELETED,
    /** Finishing a journaled move: the entry is removed; the round has not read a change yet. */
    FINISH_REMOVED,
    /** The copy is on the target (marked carry-over pending); no journal entry yet. */
    TARGET_INGESTED,
    /** The copy is on the target and the journal entry on the source; no CAS yet. */
    BEFORE_CAS,
    /** The directory compare-and-sets of the batch ran; no carry-over yet. */
    AFTER_CAS,
    /** The carry-over ran; the journal entry is not marked carried yet. */
    CARRIED_OVER,
    /** The journal entry is marked carried; the source copies are not deleted yet. */
    MARKED_CARRIED,
    /** The source copies are deleted; the journal entry is not removed yet. */
    SOURCE_DELETED,
    /** The journal entry is removed: the batch is moved (the next batch or the round's end). */
    MOVED,
    /** The round reached its cursors; they are not acknowledged on the shards yet. */
    ROUND_DONE,
    /** The cursors are acknowledged (AckDirty); the Reconcile call has not answered yet. */
    ACKNOWLEDGED
  }

  /** No-op. */
  MoveHook NONE = (point, ids) -> {};

  /** Called at {@code point} with the identities of the batch (empty for a round's points). */
  void at(Point point, List<Identity> ids);

  /**
   * Whether the step that ends at {@code point} runs a second time before {@link #at} is called
   * (every step of a round may run twice with the same result); never for {@link Point#ROUND_DONE},
   * which ends no shard call.
   */
  default boolean repeat(Point point) {
    return false;
  }

  /** Runs {@code step} (twice if {@link #repeat} says so), then calls {@link #at}. */
  default void step(Point point, List<Identity> ids, Runnable step) {
    step.run();
    if (repeat(point)) {
      step.run();
    }
    at(point, ids);
  }
}
