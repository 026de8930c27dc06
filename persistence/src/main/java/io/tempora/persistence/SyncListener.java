package io.tempora.persistence;

/**
 * Told about every WAL fsync of the group-commit syncer, for metrics. Called on the syncer thread:
 * must be quick and must not throw.
 */
@FunctionalInterface
public interface SyncListener {
  /** A listener that ignores everything. */
  SyncListener NONE = (writes, nanos) -> {};

  /**
   * One fsync finished.
   *
   * @param writes commits it made durable (the group-commit batch size)
   * @param nanos how long the fsync took
   */
  void synced(long writes, long nanos);
}
