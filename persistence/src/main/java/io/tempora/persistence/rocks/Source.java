package io.tempora.persistence.rocks;

/** Where a view reads: a snapshot, or a transaction's batch over the latest state. */
interface Source {
  /** The value of a key, or null. */
  byte[] get(Cf cf, byte[] key);

  /** A scan of {@code [from, to)} (to null = to the end); the caller closes it. */
  Scan scan(Cf cf, byte[] from, byte[] to);

  /** True iff values read here may be uncommitted (a transaction's own writes). */
  boolean isTransactional();
}
