package io.tempora.shardserver.grpc;

import com.google.protobuf.InvalidProtocolBufferException;
import io.tempora.persistence.HomeDirectory;
import io.tempora.proto.internal.v1.MoveJournalEntry;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * The move journal of reconciliation moves whose source is this shard (docs/distributed.md "Writes
 * during a move"), on the directory store: one row per entry, key {@code 0xF2, epoch u64, sequence
 * u64} (big-endian), value the {@link MoveJournalEntry} protobuf. Every write is durable and fenced
 * by the lease epoch ({@link ReconcileState#fenced}): a former holder can neither add nor remove
 * entries once a newer epoch was seen. Thread-safe.
 */
public final class MoveJournal {
  /** Records per entry at most (a move's batch). */
  public static final int MAX_RECORDS = 10_000;

  private static final byte[] PREFIX = {(byte) 0xF2};

  private final HomeDirectory store;
  private final ReconcileState fence;
  private int pending;

  /** Wraps a directory store (not owned) and counts the stored entries. */
  public MoveJournal(HomeDirectory store, ReconcileState fence) {
    this.store = store;
    this.fence = fence;
    this.pending = store.scan(PREFIX, PREFIX, Integer.MAX_VALUE).size();
  }

  /**
   * Stores {@code entry} (replacing the one with its epoch and sequence) under {@code epoch}.
   *
   * @return the entries stored afterwards
   * @throws io.tempora.engine.PreconditionFailedException if {@code epoch} is below the highest
   *     seen
   * @throws IllegalArgumentException for an entry without records, with more than {@link
   *     #MAX_RECORDS}, or written at an epoch above {@code epoch}
   */
  public int save(long epoch, MoveJournalEntry entry) {
    if (entry.getRecordsCount() == 0 || entry.getRecordsCount() > MAX_RECORDS) {
      throw new IllegalArgumentException(
          "entry.records: " + entry.getRecordsCount() + " must be in 1.." + MAX_RECORDS);
    }
    byte[] key = key(entry.getEpoch(), entry.getSequence());
    return fence.fenced(
        epoch,
        () -> {
          if (entry.getEpoch() > epoch) { // after the fence: a former holder learns it is one
            throw new IllegalArgumentException(
                "entry.epoch: "
                    + entry.getEpoch()
                    + " must not be above the request's epoch "
                    + epoch);
          }
          synchronized (this) {
            boolean fresh = store.get(key) == null;
            store.write(List.of(), List.of(key), List.of(entry.toByteArray()));
            return fresh ? ++pending : pending;
          }
        });
  }

  /**
   * Deletes the entry of {@code entryEpoch} and {@code sequence} (absent: nothing) under {@code
   * epoch}.
   *
   * @return the entries stored afterwards
   * @throws io.tempora.engine.PreconditionFailedException if {@code epoch} is below the highest
   *     seen
   */
  public int remove(long epoch, long entryEpoch, long sequence) {
    byte[] key = key(entryEpoch, sequence);
    return fence.fenced(
        epoch,
        () -> {
          synchronized (this) {
            if (store.get(key) == null) {
              return pending;
            }
            store.write(List.of(key), List.of(), List.of());
            return --pending;
          }
        });
  }

  /** The first {@code limit} entries in key order. */
  public synchronized List<MoveJournalEntry> list(int limit) {
    List<MoveJournalEntry> out = new ArrayList<>();
    for (byte[][] kv : store.scan(PREFIX, PREFIX, limit)) {
      try {
        out.add(MoveJournalEntry.parseFrom(kv[1]));
      } catch (InvalidProtocolBufferException e) {
        throw new io.tempora.engine.store.StoreException(
            "directory: corrupt move journal entry: " + e.getMessage(), e);
      }
    }
    return out;
  }

  /** Entries stored. */
  public synchronized int pending() {
    return pending;
  }

  private static byte[] key(long epoch, long sequence) {
    return ByteBuffer.allocate(17).put(PREFIX).putLong(epoch).putLong(sequence).array();
  }
}
