package io.tempora.engine.model;

/**
 * Record and entity id layout (DOMAIN.md §2.1, §6.1): creating shard in the high 16 bits, that
 * shard's counter (from 1) in the low 48, compared unsigned.
 */
public final class Ids {
  /** Largest counter value that fits the low 48 bits. */
  public static final long MAX_COUNTER = (1L << 48) - 1;

  private Ids() {}

  /** Composes an id. */
  public static long of(int shard, long counter) {
    if (shard < 0 || shard > 0xFFFF) {
      throw new IllegalArgumentException("shard id " + shard + " must be in 0..65535");
    }
    if (counter < 1 || counter > MAX_COUNTER) {
      throw new IllegalStateException("id counter " + counter + " out of range");
    }
    return ((long) shard << 48) | counter;
  }

  /** The creating shard. */
  public static int shard(long id) {
    return (int) (id >>> 48);
  }

  /** The counter part. */
  public static long counter(long id) {
    return id & MAX_COUNTER;
  }
}
