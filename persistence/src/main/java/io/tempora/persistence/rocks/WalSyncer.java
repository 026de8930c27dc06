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
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes commits durable as the durability mode says (STORAGE.md §4.2, §4.3). {@code immediate}:
 * group commit; one syncer thread fsyncs the WAL once for every commit waiting at that moment and
 * releases them together. {@code batched}: the thread fsyncs every interval or after a number of
 * WAL bytes, and commits do not wait. {@code async}: no thread, no fsync. Thread-safe; the owner
 * closes it.
 */
final class WalSyncer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(WalSyncer.class);
  private static final AtomicInteger THREADS = new AtomicInteger();

  /** A write sequence and the transaction number it carried. */
  record Mark(long wseq, long tx) {}

  private final Durability mode;
  private final Runnable syncWal;
  private final Consumer<Mark> onDurable;
  private final long intervalNanos;
  private final long syncBytes;
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition work = lock.newCondition();
  private final Condition synced = lock.newCondition();
  private final AtomicLong syncs = new AtomicLong();
  private final Thread thread;
  private volatile SyncListener listener = SyncListener.NONE;

  private Mark written;
  private Mark durable;
  private long requested;
  private long bytesSinceSync;
  private StoreException failure;
  private boolean stopping;
  private boolean finished;
  private long lastSyncNanos = System.nanoTime();

  WalSyncer(StorageConfig config, Mark start, Runnable syncWal, Consumer<Mark> onDurable) {
    this.mode = config.durability();
    this.syncWal = syncWal;
    this.onDurable = onDurable;
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

  /** Records a write that reached the WAL and returns its durability handle. */
  Commit written(Mark mark, long bytes) {
    lock.lock();
    try {
      written = mark;
      bytesSinceSync += bytes;
      if (mode == Durability.BATCHED) {
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
      if (durable.wseq() >= wseq) {
        return;
      }
      requested = Math.max(requested, wseq);
      work.signalAll();
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

  /** Sets who is told about each fsync. */
  void listener(SyncListener l) {
    listener = l;
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
        target = written;
        bytesSinceSync = 0;
      } finally {
        lock.unlock();
      }
      // Every write issued before this call, including target, is covered by the fsync.
      long before = durable().wseq();
      long started = System.nanoTime();
      try {
        syncWal.run();
        syncs.incrementAndGet();
        listener.synced(target.wseq() - before, System.nanoTime() - started);
      } catch (RuntimeException e) {
        LOG.error("WAL fsync failed; refusing further writes", e);
        fail(e);
        return;
      }
      lock.lock();
      try {
        durable = target;
        lastSyncNanos = System.nanoTime();
        synced.signalAll();
      } finally {
        lock.unlock();
      }
      onDurable.accept(target);
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
      if (mode == Durability.IMMEDIATE && requested > durable.wseq()) {
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
