package io.tempora.engine.store;

/**
 * Live counts a store maintains with every write, in the same atomic unit as the change, so that
 * reading them costs O(1) (STORAGE.md {@code meta/count/*}).
 *
 * @param records live (not deleted) records
 * @param entities active entities
 * @param conflicts conflict items as ListConflicts lists them (each item once)
 */
public record StoreCounts(long records, long entities, long conflicts) {
  /** The counts of an empty store. */
  public static final StoreCounts ZERO = new StoreCounts(0, 0, 0);

  /** A copy with the three deltas added. */
  public StoreCounts plus(long records, long entities, long conflicts) {
    return new StoreCounts(
        this.records + records, this.entities + entities, this.conflicts + conflicts);
  }

  /**
   * Counts by scanning every live record, active entity and conflict item of a view: O(n), for
   * verification and for stores written before the counters existed.
   */
  public static StoreCounts recount(StoreView view) {
    return new StoreCounts(
        size(view.liveRecords(0)),
        size(view.activeEntities(0)),
        size(view.conflictRange(null, null)));
  }

  private static long size(Cursor<?> c) {
    try (c) {
      long n = 0;
      while (c.hasNext()) {
        c.next();
        n++;
      }
      return n;
    }
  }
}
