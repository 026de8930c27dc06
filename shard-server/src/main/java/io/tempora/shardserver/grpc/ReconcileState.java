package io.tempora.shardserver.grpc;

import io.tempora.engine.PreconditionFailedException;
import io.tempora.persistence.HomeDirectory;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.concurrent.locks.StampedLock;

/**
 * What a shard keeps for reconciliation (docs/distributed.md "Reconciliation"), durably in its
 * identity directory's meta values: the reconcile lease (used on shard 0 only), the highest lease
 * epoch seen (the fence) and the reconciler's change-feed cursor.
 *
 * <p>Fencing: a call carrying an epoch is {@link #admit admitted} only if the epoch is not below
 * the highest seen; a higher epoch first becomes the highest (persisted). Admitted calls hold a
 * read stamp until they end, and raising the epoch takes the write lock, so once a call with epoch
 * E has been admitted no call with an epoch below E is still running or can start. Thread-safe.
 */
public final class ReconcileState {
  private static final byte FORMAT = 1;
  private static final String LEASE = "reconcile/lease";
  private static final String EPOCH = "reconcile/epoch";
  private static final String CURSOR = "reconcile/cursor";

  /** Longest lease a holder may ask for. */
  public static final long MAX_TTL_MS = 600_000;

  /**
   * The lease after a call.
   *
   * @param holder current holder, empty when free
   * @param epoch current epoch (0: never granted)
   * @param expiresAtMs expiry in epoch milliseconds of this shard's clock
   * @param granted whether the caller holds it
   */
  public record Lease(String holder, long epoch, long expiresAtMs, boolean granted) {}

  private final HomeDirectory store;
  private final Clock clock;
  private final StampedLock fence = new StampedLock();
  private volatile long highest;
  private long cursor;
  private Lease lease;

  private ReconcileState(HomeDirectory store, Clock clock) {
    this.store = store;
    this.clock = clock;
  }

  /** Reads the stored values from {@code store} (not owned). */
  public static ReconcileState open(HomeDirectory store, Clock clock) {
    ReconcileState s = new ReconcileState(store, clock);
    s.highest = readLong(store, EPOCH);
    s.cursor = readLong(store, CURSOR);
    byte[] l = store.meta(LEASE);
    if (l == null) {
      s.lease = new Lease("", 0, 0, false);
    } else {
      ByteBuffer b = ByteBuffer.wrap(l);
      checkFormat(b.get(), LEASE);
      long epoch = b.getLong();
      long expires = b.getLong();
      byte[] holder = new byte[b.remaining()];
      b.get(holder);
      s.lease = new Lease(new String(holder, StandardCharsets.UTF_8), epoch, expires, false);
    }
    return s;
  }

  private static long readLong(HomeDirectory store, String name) {
    byte[] v = store.meta(name);
    if (v == null) {
      return 0;
    }
    ByteBuffer b = ByteBuffer.wrap(v);
    checkFormat(b.get(), name);
    return b.getLong();
  }

  private static void checkFormat(byte format, String name) {
    if (format != FORMAT) {
      throw new IllegalStateException("directory meta " + name + ": unknown format " + format);
    }
  }

  private void writeLong(String name, long v) {
    store.putMeta(name, ByteBuffer.allocate(9).put(FORMAT).putLong(v).array());
  }

  /**
   * Acquires, renews or releases the lease (AcquireLease). A renewal needs the stored holder and
   * epoch and an unexpired lease; a free or expired lease goes to the caller with an epoch above
   * every epoch seen; otherwise the lease is unchanged and not granted.
   *
   * @throws IllegalArgumentException on an empty holder or a ttl outside 1..{@link #MAX_TTL_MS}
   */
  public synchronized Lease acquire(
      String holder, long expectedEpoch, long ttlMs, boolean release) {
    if (holder.isEmpty()) {
      throw new IllegalArgumentException("holder must not be empty");
    }
    long now = clock.millis();
    boolean mine = lease.holder().equals(holder) && lease.epoch() == expectedEpoch;
    boolean live = !lease.holder().isEmpty() && now < lease.expiresAtMs();
    if (release) {
      if (mine) {
        store(new Lease("", lease.epoch(), now, false));
      }
      return lease;
    }
    if (ttlMs < 1 || ttlMs > MAX_TTL_MS) {
      throw new IllegalArgumentException("ttl_ms: " + ttlMs + " must be in 1.." + MAX_TTL_MS);
    }
    if (mine && live) {
      store(new Lease(holder, lease.epoch(), now + ttlMs, true));
    } else if (!live) {
      long epoch = Math.max(lease.epoch(), highest) + 1;
      // The fence rises with the new holder's first call to each shard (admit), which waits for
      // calls of the former holder still running there.
      store(new Lease(holder, epoch, now + ttlMs, true));
    } else {
      return new Lease(lease.holder(), lease.epoch(), lease.expiresAtMs(), false);
    }
    return lease;
  }

  private void store(Lease l) {
    byte[] h = l.holder().getBytes(StandardCharsets.UTF_8);
    store.putMeta(
        LEASE,
        ByteBuffer.allocate(17 + h.length)
            .put(FORMAT)
            .putLong(l.epoch())
            .putLong(l.expiresAtMs())
            .put(h)
            .array());
    lease = l;
  }

  /**
   * Admits a call of a reconciliation round carrying {@code epoch}: raises the highest epoch if it
   * is higher, then holds a read stamp the caller must {@link #release}.
   *
   * @throws PreconditionFailedException if {@code epoch} is below the highest seen
   */
  public long admit(long epoch) {
    if (epoch > highest) {
      long w = fence.writeLock(); // waits for admitted calls of lower epochs to end
      try {
        raise(epoch);
      } finally {
        fence.unlockWrite(w);
      }
    }
    long stamp = fence.readLock();
    if (epoch < highest) {
      fence.unlockRead(stamp);
      throw new PreconditionFailedException(
          "reconcile lease epoch "
              + epoch
              + " is below the highest epoch "
              + highest
              + " this shard has seen: another router holds the lease now");
    }
    return stamp;
  }

  /** Ends an admitted call. */
  public void release(long stamp) {
    fence.unlockRead(stamp);
  }

  private synchronized void raise(long epoch) {
    if (epoch > highest) {
      writeLong(EPOCH, epoch);
      highest = epoch;
    }
  }

  /**
   * Stores the change-feed cursor (AckDirty) if above the stored one. The call itself is admitted
   * through its header ({@link #admit}); the epoch in the request is checked again here.
   *
   * @return the stored cursor after the call
   * @throws PreconditionFailedException if {@code epoch} is below the highest seen
   */
  public synchronized long acknowledge(long epoch, long upTo) {
    if (epoch < highest) {
      throw new PreconditionFailedException(
          "reconcile lease epoch " + epoch + " is below the highest epoch " + highest + " seen");
    }
    raise(epoch);
    if (upTo > cursor) {
      writeLong(CURSOR, upTo);
      cursor = upTo;
    }
    return cursor;
  }

  /**
   * Runs a durable write of reconciliation state (the move journal) under {@code epoch}: rejected
   * if the epoch is below the highest seen, which it raises otherwise; no higher epoch is raised
   * while the write runs.
   *
   * @return what {@code write} returns
   * @throws PreconditionFailedException if {@code epoch} is below the highest seen
   */
  public synchronized <T> T fenced(long epoch, java.util.function.Supplier<T> write) {
    if (epoch < highest) {
      throw new PreconditionFailedException(
          "reconcile lease epoch " + epoch + " is below the highest epoch " + highest + " seen");
    }
    raise(epoch);
    return write.get();
  }

  /** The stored change-feed cursor (0: never acknowledged). */
  public synchronized long acknowledged() {
    return cursor;
  }

  /** The highest lease epoch seen. */
  public long highestEpoch() {
    return highest;
  }
}
