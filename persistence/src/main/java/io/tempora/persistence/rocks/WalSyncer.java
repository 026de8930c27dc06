package io.tempora.persistence.rocks;

import io.tempora.engine.store.Commit;
import io.tempora.engine.store.StoreException;
import io.tempora.persistence.Durability;
import io.tempora.persistence.StorageConfig;
import io.tempora.persistence.SyncListener;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import java.util.function.IntSupplier;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes commits durable as the durability mode says (STORAGE.md §4.2, §4.3). {@code immediate}:
 * group commit; one syncer thread captures a sync point (a snapshot and the last write it holds),
 * fsyncs the WAL once for every commit written by then, publishes the point and releases those
 * commits together. With {@code group_commit_max_wait} above zero it holds the fsync back, up to
 * that long after the oldest waiting commit, while other writers are evidently active (a write
 * transaction is open, writers are queued for one, more than one commit waits, or the previous
 * fsync covered several); a lone writer never waits. {@code batched}: the thread fsyncs every
 * interval or after a number of WAL bytes, and commits do not wait. {@code async}: no thread, no
 * fsync. Thread-safe; the owner closes it.
 */
final class WalSyncer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(WalSyncer.class);
  private static final AtomicInteger THREADS = new AtomicInteger();

  /** A write sequence and the transaction number it carried. */
  record Mark(long wseq, long tx) {}

  /** What one fsync covers, captured just before it ({@code immediate} mode). */
  interface SyncPoint {
    /** The last write the point holds; the fsync makes it and everything before durable. */
    Mark mark();

    /** Called once the fsync covering the point has finished. */
    void publish();

    /** Called instead of {@link #publish()} when the fsync failed. */
    void discard();
  }

  private final Durability mode;
  private final Runnable syncWal;
  private final Consumer<Mark> onDurable;
  private final Supplier<SyncPoint> capture;
  private final long maxWaitNanos;
  private final long intervalNanos;
  private final long syncBytes;
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition work = lock.newCondition();
  private final Condition synced = lock.newCondition();
  private final AtomicLong syncs = new AtomicLong();
  private final AtomicLong syncedCommits = new AtomicLong();
  private final AtomicLong groupWaits = new AtomicLong();
  private final Thread thread;
  private volatile SyncListener listener = SyncListener.NONE;
  private volatile java.util.function.Consumer<StoreException> onFailure = e -> {};
  private volatile IntSupplier writersQueued = () -> 0;

  private Mark written;
  private Mark durable;
  private long bytesSinceSync;
  private boolean transactionOpen;
  private long pendingSinceNanos;
  private long lastBatch;
  private StoreException failure;
  private boolean stopping;
  private boolean finished;
  private long lastSyncNanos = System.nanoTime();

  /**
   * @param start the last write at open, durable
   * @param syncWal fsyncs the WAL; covers every write that returned before the call
   * @param onDurable told each newly durable write, on the syncer thread
   * @param capture {@code immediate} mode: the sync point taken before each fsync
   */
  WalSyncer(
      StorageConfig config,
      Mark start,
      Runnable syncWal,
      Consumer<Mark> onDurable,
      Supplier<SyncPoint> capture) {
    this.mode = config.durability();
    this.syncWal = syncWal;
    this.onDurable = onDurable;
    this.capture = capture;
    this.maxWaitNanos = config.groupCommitMaxWait().toNanos();
    this.intervalNanos = config.syncInterval().toNanos();
    this.syncBytes = config.syncBytes();
    this.written = start;
    this.durable = start;
    if (mode == Durability.ASYNC) {
      thread = null;
    } else {
      thread =
          Thread.ofPlatform()
              .daemon()
              .name("tempora-persistence-syncer-" + THREADS.incrementAndGet())
              .start(this::run);
    }
  }

  /** Fails a write early if an earlier fsync failed: the page cache can no longer be trusted. */
  void checkHealthy() {
    lock.lock();
    try {
      if (failure != null) {
        throw new StoreException("writes refused after a failed WAL fsync", failure);
      }
    } finally {
      lock.unlock();
    }
  }

  /** A write transaction began: a commit may follow, worth a group-commit wait. */
  void transactionBegun() {
    lock.lock();
    try {
      transactionOpen = true;
    } finally {
      lock.unlock();
    }
  }

  /** The write transaction ended (committed or not): no commit follows from it. */
  void transactionEnded() {
    lock.lock();
    try {
      if (transactionOpen) {
        transactionOpen = false;
        work.signalAll();
      }
    } finally {
      lock.unlock();
    }
  }

  /** Records a write that reached the WAL and returns its durability handle. */
  Commit written(Mark mark, long bytes) {
    lock.lock();
    try {
      if (written.wseq() <= durable.wseq()) {
        pendingSinceNanos = System.nanoTime();
      }
      written = mark;
      bytesSinceSync += bytes;
      transactionOpen = false;
      if (mode != Durability.ASYNC) {
        work.signalAll();
      }
    } finally {
      lock.unlock();
    }
    return mode == Durability.IMMEDIATE ? () -> awaitDurable(mark.wseq()) : Commit.DURABLE;
  }

  private void awaitDurable(long wseq) {
    lock.lock();
    try {
      while (durable.wseq() < wseq) {
        if (failure != null) {
          throw new StoreException("WAL fsync failed; write " + wseq + " not durable", failure);
        }
        if (finished || thread == null) {
          throw new StoreException("store closed before write " + wseq + " was made durable");
        }
        synced.awaitUninterruptibly();
      }
    } finally {
      lock.unlock();
    }
  }

  /** WAL fsyncs issued so far. */
  long syncCount() {
    return syncs.get();
  }

  /**
   * Sets the estimate of writers queued for a write transaction (their commits are coming: a
   * group-commit wait may gather them). Without it only an open transaction counts.
   */
  void writersQueued(IntSupplier queued) {
    writersQueued = queued;
  }

  /** Called on the syncer thread after a failed fsync, once the waiting commits have failed. */
  void onFailure(java.util.function.Consumer<StoreException> f) {
    onFailure = f;
  }

  private StoreException failure() {
    lock.lock();
    try {
      return failure;
    } finally {
      lock.unlock();
    }
  }

  /** Sets who is told about each fsync. */
  void listener(SyncListener l) {
    listener = l;
  }

  /** Commits made durable by those fsyncs (requests per fsync = this / {@link #syncCount()}). */
  long syncedCommits() {
    return syncedCommits.get();
  }

  /** Fsyncs the syncer held back to gather further commits ({@code group_commit_max_wait}). */
  long groupWaits() {
    return groupWaits.get();
  }

  /** The last write known durable. */
  Mark durable() {
    lock.lock();
    try {
      return durable;
    } finally {
      lock.unlock();
    }
  }

  private void run() {
    while (true) {
      Mark target;
      lock.lock();
      try {
        if (!awaitWork()) {
          finished = true;
          synced.signalAll();
          return;
        }
        if (mode == Durability.IMMEDIATE) {
          gather();
        }
        target = written;
        bytesSinceSync = 0;
      } finally {
        lock.unlock();
      }
      if (!sync(target)) {
        return;
      }
    }
  }

  /**
   * One fsync covering {@code target} (and, in immediate mode, its sync point); false if failed.
   */
  private boolean sync(Mark target) {
    // Every write that returned before the capture, including target, is in the snapshot, and the
    // fsync, issued after it, covers them all.
    long started = System.nanoTime();
    SyncPoint point = mode == Durability.IMMEDIATE ? capture.get() : null;
    try {
      syncWal.run();
      syncs.incrementAndGet();
    } catch (RuntimeException e) {
      if (point != null) {
        point.discard();
      }
      LOG.error("WAL fsync failed; refusing further writes", e);
      fail(e);
      onFailure.accept(failure());
      return false;
    }
    Mark done = target;
    if (point != null) {
      // Published before any waiting commit is released: a read after an ack sees the write.
      point.publish();
      done = point.mark().wseq() > target.wseq() ? point.mark() : target;
    }
    long batch;
    lock.lock();
    try {
      lastBatch = Math.max(0, done.wseq() - durable.wseq());
      batch = lastBatch;
      syncedCommits.addAndGet(lastBatch);
      durable = done;
      if (written.wseq() > done.wseq()) {
        // Commits the sync missed were written after it started: none is older than that.
        pendingSinceNanos = started;
      }
      lastSyncNanos = System.nanoTime();
      synced.signalAll();
    } finally {
      lock.unlock();
    }
    listener.synced(batch, System.nanoTime() - started);
    onDurable.accept(done);
    return true;
  }

  /**
   * Holding the lock, with commits waiting: while other writers are evidently active (a write
   * transaction is open, writers are queued for one, more than one commit waits, or the previous
   * fsync covered more than one) and the oldest waiting commit is younger than the maximum wait,
   * waits for more. A lone writer's commit (the only one waiting, no transaction open, nobody
   * queued, the previous fsync covered one) syncs at once.
   */
  private void gather() {
    if (maxWaitNanos == 0) {
      return;
    }
    long deadline = pendingSinceNanos + maxWaitNanos;
    boolean waited = false;
    while (!stopping
        && (transactionOpen
            || writersQueued.getAsInt() > 0
            || lastBatch > 1
            || written.wseq() - durable.wseq() > 1)) {
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        break;
      }
      if (!waited) {
        waited = true;
        groupWaits.incrementAndGet();
      }
      try {
        work.awaitNanos(left);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
    }
  }

  /**
   * Waits (holding the lock) until a sync is due; on close, one last sync covers what is pending.
   * False when stopping with nothing to do.
   */
  private boolean awaitWork() {
    while (true) {
      boolean pending = written.wseq() > durable.wseq();
      if (stopping) {
        return pending;
      }
      if (mode == Durability.IMMEDIATE && pending) {
        return true;
      }
      if (mode == Durability.BATCHED && pending) {
        long left = lastSyncNanos + intervalNanos - System.nanoTime();
        if (left <= 0 || bytesSinceSync >= syncBytes) {
          return true;
        }
        try {
          work.awaitNanos(left);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return false;
        }
      } else {
        work.awaitUninterruptibly();
      }
    }
  }

  private void fail(RuntimeException e) {
    lock.lock();
    try {
      failure = e instanceof StoreException s ? s : new StoreException("WAL fsync failed", e);
      finished = true;
      synced.signalAll();
    } finally {
      lock.unlock();
    }
  }

  /** Stops the thread; commits still waiting fail (the owner flushes and syncs afterwards). */
  @Override
  public void close() {
    lock.lock();
    try {
      stopping = true;
      work.signalAll();
      synced.signalAll();
    } finally {
      lock.unlock();
    }
    if (thread != null) {
      try {
        thread.join(TimeUnit.SECONDS.toMillis(30));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
