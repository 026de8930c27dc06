package io.tempora.engine.store;

/**
 * A committed write unit. Whether it is durable once {@link StoreTxn#commit()} returns depends on
 * the store's durability mode, and {@link #awaitDurable()} waits until it is (a disk store may
 * share one fsync among concurrent commits). Views opened after {@link #awaitDurable()} returns see
 * the write; a store whose views show only durable state (STORAGE.md §4.3) may hide it from views
 * until then. Thread-safe.
 */
public interface Commit {
  /** A commit that is durable at once (in-memory stores, or nothing written). */
  Commit DURABLE = () -> {};

  /**
   * Blocks until the write is durable as the store's mode defines it.
   *
   * @throws io.tempora.engine.store.StoreException if the store could not make it durable
   */
  void awaitDurable();
}
