package io.tempora.persistence;

/** When a write counts as durable (STORAGE.md §4.2, key {@code storage.durability}). */
public enum Durability {
  /** Acknowledged after a WAL fsync covering it; concurrent commits share one fsync. */
  IMMEDIATE,
  /** Acknowledged once in the WAL; a background fsync runs every interval or after some bytes. */
  BATCHED,
  /** Acknowledged once in the WAL; never fsynced by Tempora. */
  ASYNC;

  /** The name in configuration and metrics: {@code immediate}, {@code batched}, {@code async}. */
  public String configName() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }
}
