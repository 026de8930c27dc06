package io.tempora.persistence.rocks;

import io.tempora.engine.store.StoreException;
import java.util.Arrays;
import org.rocksdb.ReadOptions;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.Slice;

/**
 * A forward scan over {@code [from, to)} of one column family, owning its iterator, read options
 * and bound slice. The bound is also checked here: a batch-merged iterator applies neither {@code
 * prefix_same_as_start} nor, for batch entries, every bound to keys of the batch. Not thread-safe.
 */
final class Scan implements AutoCloseable {
  private final RocksIterator it;
  private final ReadOptions options;
  private final Slice bound;
  private final byte[] to;
  private boolean closed;

  Scan(RocksIterator it, ReadOptions options, Slice bound, byte[] from, byte[] to) {
    this.it = it;
    this.options = options;
    this.bound = bound;
    this.to = to;
    it.seek(from);
  }

  /** True iff the scan is on a key inside the range. */
  boolean valid() {
    if (closed || !it.isValid()) {
      check();
      return false;
    }
    return to == null || Arrays.compareUnsigned(it.key(), to) < 0;
  }

  byte[] key() {
    return it.key();
  }

  byte[] value() {
    return it.value();
  }

  void next() {
    it.next();
  }

  private void check() {
    if (closed) {
      return;
    }
    try {
      it.status();
    } catch (RocksDBException e) {
      throw new StoreException("iterator failed: " + e.getMessage(), e);
    }
  }

  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    it.close();
    options.close();
    if (bound != null) {
      bound.close();
    }
  }
}
