package io.tempora.persistence;

import java.util.List;

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
   * Raw access for rebalancing (docs/distributed.md "Rebalancing"): the shard map, slot move rows
   * and staged rows live in the same store under keys whose first byte is {@link #SIDE} or above,
   * which no identity key has (its first byte is the high byte of a 4-byte length). Home rows are
   * the identity key with the slot as 4 bytes big-endian.
   *
   * @return the value of {@code key}, or null
   */
  byte[] get(byte[] key);

  /** Deletes {@code deletes}, then puts {@code keys[i] → values[i]}, in one durable write. */
  void write(List<byte[]> deletes, List<byte[]> keys, List<byte[]> values);

  /**
   * Up to {@code limit} rows whose key starts with {@code prefix} and is at least {@code from},
   * ascending (unsigned byte order), each as {key, value}.
   */
  List<byte[][]> scan(byte[] from, byte[] prefix, int limit);

  /** First key byte of side rows (see {@link #get}). */
  int SIDE = 0xF0;

  /**
   * How many times a home row may have changed or gone since this object was opened: grows with
   * every {@link #compareAndSet} that sets and every {@link #write} that deletes or puts a key
   * below {@link #SIDE}; claims of absent rows and side rows do not count. A router that read the
   * same value before its claims and after its writes knows that no home row of this shard changed
   * in between (docs/distributed.md "Writes during a move"). Starts at 0 at every open; {@link
   * #CHANGES_UNKNOWN} (the default) for an implementation that does not count, whose callers then
   * look the rows up instead.
   */
  default long changes() {
    return CHANGES_UNKNOWN;
  }

  /** {@link #changes} of an implementation that does not count changes. */
  long CHANGES_UNKNOWN = -1;

  /**
   * Whether {@code deletes} or {@code keys} hold a home row's key (first byte below {@link #SIDE}).
   */
  static boolean touchesHomes(List<byte[]> deletes, List<byte[]> keys) {
    for (List<byte[]> l : List.of(deletes, keys)) {
      for (byte[] k : l) {
        if (k.length == 0 || (k[0] & 0xFF) < SIDE) {
          return true;
        }
      }
    }
    return false;
  }

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
