package io.tempora.engine.store;

/**
 * The storage of one shard as the engine needs it: records and their history, the identity map, key
 * and value postings, memberships, entity ids, conflicts, events and metadata. Implementations:
 * {@link InMemoryStore} here, a RocksDB store in the persistence module. Thread-safe: any number of
 * views, one transaction at a time.
 */
public interface Store extends AutoCloseable {
  /** Opens a consistent read view; the caller closes it. */
  StoreView view();

  /** Opens the write transaction, waiting for a running one; the caller closes it. */
  StoreTxn begin();

  /**
   * Tells the store how many writers are queued for their turn to {@link #begin()} (an estimate),
   * so that a group commit can wait for commits that are evidently coming. The default ignores it.
   */
  default void writersQueued(java.util.function.IntSupplier queued) {}

  /**
   * The first transaction whose events are kept: 1 unless event retention removed older ones
   * (STORAGE.md §8). The default keeps every event.
   */
  default long firstEventTx() {
    return 1;
  }

  @Override
  void close();
}
