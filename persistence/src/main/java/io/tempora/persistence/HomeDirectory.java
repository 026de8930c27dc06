package io.tempora.persistence;

/**
 * A shard's part of the identity directory (DISTRIBUTED.md §3): identity key → home slot. Rows are
 * put-if-absent at first ingest and change only by compare-and-set (reconciliation moves). Keys are
 * opaque bytes (the router's identity encoding). Implementations are thread-safe; every mutating
 * call is durable before it returns.
 */
public interface HomeDirectory extends AutoCloseable {
  /** Returned for an identity without a row. */
  int ABSENT = -1;

  /**
   * Looks up or claims homes in one durable write.
   *
   * @param keys identity keys
   * @param proposed per key, the slot to record when absent, or {@link #ABSENT} to only look up
   * @return per key, the recorded slot after the call, or {@link #ABSENT}
   */
  int[] claim(byte[][] keys, int[] proposed);

  /**
   * Compare-and-set of one home: sets {@code next} iff the recorded slot is {@code expected}.
   *
   * @return the recorded slot after the call ({@link #ABSENT} if there is no row)
   */
  int compareAndSet(byte[] key, int expected, int next);

  /**
   * A small named value kept beside the directory rows (the reconcile lease, fencing epoch and
   * change-feed cursor of docs/distributed.md), in a key space that no identity key can reach.
   *
   * @return the value, or null if never written
   */
  byte[] meta(String name);

  /** Writes a named value durably (see {@link #meta}). */
  void putMeta(String name, byte[] value);

  @Override
  void close();
}
