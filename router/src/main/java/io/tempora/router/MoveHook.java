package io.tempora.router;

import io.tempora.proto.v1.Identity;
import java.util.List;

/**
 * A test seam at the points of a reconciliation move where a router may die (docs/distributed.md
 * "Writes during a move"): tests throw from it (the round fails as if the router had died there and
 * the router is abandoned) or halt the process. {@link #NONE} outside tests. Implementations must
 * be thread-safe.
 */
interface MoveHook {
  /** Where a move or the finishing of a journaled one stands. */
  enum Point {
    /** The copy is on the target and the journal entry on the source; no CAS yet. */
    BEFORE_CAS,
    /** The directory compare-and-sets of the batch ran; no carry-over yet. */
    AFTER_CAS,
    /** Finishing a journaled move: the carry-over ran, the entry is not marked carried yet. */
    FINISH_CARRIED,
    /** Finishing a journaled move: the stale copies were deleted, the entry is not removed yet. */
    FINISH_DELETED
  }

  /** No-op. */
  MoveHook NONE = (point, ids) -> {};

  /** Called at {@code point} with the identities of the batch. */
  void at(Point point, List<Identity> ids);
}
