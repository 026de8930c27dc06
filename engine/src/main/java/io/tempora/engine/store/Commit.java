package io.tempora.engine.store;

/**
 * A committed write unit. The write is visible once {@link StoreTxn#commit()} returns; whether it
 * is also durable depends on the store's durability mode, and {@link #awaitDurable()} waits until
 * it is (a disk store may share one fsync among concurrent commits). Thread-safe.
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
