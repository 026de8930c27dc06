package io.tempora.engine.write;

import io.tempora.engine.model.Identity;

/**
 * Bookkeeping a caller does under the engine's write lock together with one write, so that no other
 * write of the engine comes between (a shard's carry-over marks, docs/distributed.md "Writes during
 * a move"). Called on the writing thread while the lock is held: keep it short. {@link #NONE} does
 * nothing.
 */
public interface WriteHook {
  /** No bookkeeping. */
  WriteHook NONE = new WriteHook() {};

  /**
   * For compare-and-writes only: whether {@code identity} may be written at all, checked together
   * with its expected state (false: reported {@code NOT_FOUND}, not written). The default admits
   * every identity.
   */
  default boolean admits(Identity identity) {
    return true;
  }

  /**
   * Runs once the write is applied and visible to reads (not yet durable), before the lock is
   * released; not run when the write failed. An exception thrown here fails the call although the
   * write stays applied.
   */
  default void applied(WriteResult result) {}
}
