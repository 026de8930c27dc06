package io.tempora.persistence.rocks;

/** The write side of a transaction: rows go into its one batch. */
interface Batch {
  void put(Cf cf, byte[] key, byte[] value);

  void delete(Cf cf, byte[] key);
}
