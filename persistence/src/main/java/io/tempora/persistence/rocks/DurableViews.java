package io.tempora.persistence.rocks;

import io.tempora.engine.store.StoreMeta;
import io.tempora.persistence.codec.ValueCodec;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.rocksdb.ReadOptions;
import org.rocksdb.Snapshot;

/**
 * The durable read view of STORAGE.md §4.3 ({@code immediate} mode); also, in any mode, the pinned
 * view of the state before a spilled transaction ({@link RocksShardStore}). The syncer {@linkplain
 * #capture() captures} a snapshot just before each WAL fsync and {@linkplain #publish publishes} it
 * once the fsync has finished; read views open on the published snapshot, so they never show a
 * write that a machine crash could still remove, and a read that starts after an acknowledgement
 * sees that write (the snapshot is published before the waiting commits are released).
 *
 * <p>Snapshots are reference-counted: the published one holds a reference, each open view another;
 * the last release returns the snapshot to RocksDB. Thread-safe. The store closes it before
 * RocksDB; views still open release their reference on a closed database harmlessly.
 */
final class DurableViews implements AutoCloseable {
  private final RocksStore rocks;
  private final AtomicReference<Point> published = new AtomicReference<>();

  /** Publishes the current state at once (it was made durable by the open). */
  DurableViews(RocksStore rocks) {
    this.rocks = rocks;
    published.set(capture());
  }

  /**
   * Takes a snapshot of the latest state with the write sequence and transaction it holds. Every
   * write it shows has reached the WAL, so a WAL fsync that starts afterwards makes all of it
   * durable.
   */
  Point capture() {
    Snapshot snapshot = rocks.snapshot();
    try (ReadOptions at = new ReadOptions().setSnapshot(snapshot)) {
      long wseq = RocksShardStore.readLong(rocks.get(Cf.META, at, RocksShardStore.LAST_WSEQ));
      byte[] meta = rocks.get(Cf.META, at, RocksView.STORE_META);
      long tx = meta == null ? StoreMeta.INITIAL.lastTx() : ValueCodec.storeMeta(meta).lastTx();
      return new Point(snapshot, new WalSyncer.Mark(wseq, tx));
    } catch (RuntimeException e) {
      rocks.release(snapshot);
      throw e;
    }
  }

  /** Makes {@code point} the read view and drops the published reference to the previous one. */
  void publish(Point point) {
    Point old = published.getAndSet(point);
    if (old != null) {
      old.release();
    }
  }

  /**
   * The published view with one more reference; the caller releases it.
   *
   * @throws IllegalStateException after {@link #close()}
   */
  Point acquire() {
    while (true) {
      Point p = published.get();
      if (p == null) {
        throw new IllegalStateException("store is closed");
      }
      if (p.retain()) {
        return p;
      }
      // Replaced and released between the read and the retain: read the newer one.
    }
  }

  /** The published view with one more reference (the caller releases it), or null once closed. */
  Point tryAcquire() {
    while (true) {
      Point p = published.get();
      if (p == null) {
        return null;
      }
      if (p.retain()) {
        return p;
      }
    }
  }

  /** The write sequence and transaction of the published view. */
  WalSyncer.Mark publishedMark() {
    Point p = published.get();
    return p == null ? null : p.mark();
  }

  @Override
  public void close() {
    Point old = published.getAndSet(null);
    if (old != null) {
      old.release();
    }
  }

  /** A captured snapshot and what it holds; reference-counted, starting at one. */
  final class Point {
    private final Snapshot snapshot;
    private final WalSyncer.Mark mark;
    private final AtomicInteger refs = new AtomicInteger(1);

    private Point(Snapshot snapshot, WalSyncer.Mark mark) {
      this.snapshot = snapshot;
      this.mark = mark;
    }

    Snapshot snapshot() {
      return snapshot;
    }

    /** The last write sequence and transaction in the snapshot. */
    WalSyncer.Mark mark() {
      return mark;
    }

    private boolean retain() {
      while (true) {
        int r = refs.get();
        if (r == 0) {
          return false;
        }
        if (refs.compareAndSet(r, r + 1)) {
          return true;
        }
      }
    }

    /** Drops one reference; the last one returns the snapshot to RocksDB. */
    void release() {
      if (refs.decrementAndGet() == 0) {
        rocks.release(snapshot);
      }
    }
  }
}
