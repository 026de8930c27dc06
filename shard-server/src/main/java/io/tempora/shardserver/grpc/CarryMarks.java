package io.tempora.shardserver.grpc;

import io.tempora.engine.model.Identity;
import io.tempora.engine.model.RecordInput;
import io.tempora.engine.write.WriteHook;
import io.tempora.engine.write.WriteResult;
import io.tempora.persistence.HomeDirectory;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The carry-over marks of a reconciliation move's target (docs/distributed.md "Writes during a
 * move", rule 2): a copy a move writes here is marked carry-over pending together with the copy
 * (under the engine's write lock), every client write of the identity here (an UNCHANGED upsert and
 * a delete included) clears the mark under the same lock, and the move's carry-over applies the
 * source's state only where the mark is still there. So a client write after the move's directory
 * compare-and-set that sets the copy back to exactly the descriptors it was made with (which writes
 * nothing and keeps the version) still stops the carry-over of an older source write. The
 * carry-over, and a sweep once the move journal is finished, drop the marks.
 *
 * <p>Stored on the directory store: key {@code 0xF4, identity key} (as {@link
 * ShardInternalGrpcService#key}), value {@code 01, u64 epoch, u64 sequence} (the journal entry of
 * the move that wrote the copy), synced; read back at start. A mark is set durably before the copy
 * it marks is acknowledged, and a client write's clear is made durable after its own write is
 * durable and before it is acknowledged. At most the records of the moves in flight plus those a
 * dead mover left, which the next round's sweep drops. Thread-safe.
 */
public final class CarryMarks {
  private static final byte PREFIX = (byte) 0xF4;
  private static final byte FORMAT = 1;

  /** The journal entry (lease epoch and sequence) of the move whose copy is marked. */
  private record Mark(long epoch, long sequence) {
    boolean atMost(long e, long s) {
      return epoch < e || epoch == e && sequence <= s;
    }
  }

  private final HomeDirectory store;
  private final Map<Identity, Mark> marks = new HashMap<>();
  private volatile int size;

  private CarryMarks(HomeDirectory store) {
    this.store = store;
  }

  /** Reads the stored marks from {@code store} (not owned). */
  public static CarryMarks open(HomeDirectory store) {
    CarryMarks m = new CarryMarks(store);
    byte[] prefix = {PREFIX};
    for (byte[][] kv : store.scan(prefix, prefix, Integer.MAX_VALUE)) {
      ByteBuffer v = ByteBuffer.wrap(kv[1]);
      if (kv[1].length != 17 || v.get() != FORMAT) {
        throw new io.tempora.engine.store.StoreException(
            "directory: carry-over mark of "
                + identity(kv[0])
                + ": unknown layout "
                + (kv[1].length == 0 ? "(empty)" : kv[1][0])
                + " or length "
                + kv[1].length);
      }
      m.marks.put(identity(kv[0]), new Mark(v.getLong(), v.getLong()));
    }
    m.size = m.marks.size();
    return m;
  }

  /** Marks stored. */
  public int size() {
    return size;
  }

  /**
   * The hook of a move's copy: once the copy is applied, marks {@code ids} for the journal entry
   * {@code (epoch, sequence)}, durably, before the engine lock is released.
   */
  WriteHook marking(List<Identity> ids, long epoch, long sequence) {
    return new WriteHook() {
      @Override
      public void applied(WriteResult result) {
        put(ids, new Mark(epoch, sequence));
      }
    };
  }

  private synchronized void put(List<Identity> ids, Mark mark) {
    List<byte[]> keys = new ArrayList<>(ids.size());
    List<byte[]> values = new ArrayList<>(ids.size());
    byte[] value =
        ByteBuffer.allocate(17).put(FORMAT).putLong(mark.epoch).putLong(mark.sequence).array();
    for (Identity id : ids) {
      keys.add(key(id));
      values.add(value);
    }
    store.write(List.of(), keys, values);
    ids.forEach(id -> marks.put(id, mark));
    size = marks.size();
  }

  /** The hook of a client upsert of {@code records}: see {@link Clearing}. */
  Clearing clearing(List<RecordInput> records) {
    return new Clearing(records.stream().map(RecordInput::identity).toList());
  }

  /** The hook of a client delete of {@code ids}: see {@link Clearing}. */
  Clearing clearingDeletes(List<Identity> ids) {
    return new Clearing(ids);
  }

  /**
   * A client write's hook: clears the marks of its identities as the write is applied (under the
   * engine's lock, so a carry-over after it sees no mark); {@link #persist} then makes the clear
   * durable, to be called once the write returned (is durable) and before it is acknowledged. If
   * the shard dies in between, the write was not acknowledged and the mark is still stored.
   */
  final class Clearing implements WriteHook {
    private final List<Identity> ids;
    private List<Identity> cleared = List.of();

    private Clearing(List<Identity> ids) {
      this.ids = ids;
    }

    @Override
    public void applied(WriteResult result) {
      if (size > 0) {
        cleared = take(ids);
      }
    }

    /** Deletes the stored marks this write cleared (nothing when it cleared none). */
    void persist() {
      if (!cleared.isEmpty()) {
        forget(cleared);
      }
    }
  }

  private synchronized List<Identity> take(List<Identity> ids) {
    List<Identity> out = new ArrayList<>();
    for (Identity id : ids) {
      if (marks.remove(id) != null) {
        out.add(id);
      }
    }
    size = marks.size();
    return out;
  }

  /** Deletes the stored rows of {@code ids} unless a newer move marked them again meanwhile. */
  private synchronized void forget(List<Identity> ids) {
    List<byte[]> deletes = new ArrayList<>();
    for (Identity id : ids) {
      if (!marks.containsKey(id)) {
        deletes.add(key(id));
      }
    }
    if (!deletes.isEmpty()) {
      store.write(deletes, List.of(), List.of());
    }
  }

  /**
   * The hook of a carry-over's compare-and-writes: admits only identities still marked (checked
   * under the engine's lock with the copy's descriptors).
   */
  WriteHook admittingMarked() {
    return new WriteHook() {
      @Override
      public boolean admits(Identity identity) {
        return isMarked(identity);
      }
    };
  }

  private synchronized boolean isMarked(Identity id) {
    return marks.containsKey(id);
  }

  /** Drops the marks of {@code ids} (a carry-over that ran), durably. */
  void release(List<Identity> ids) {
    List<Identity> cleared = take(ids);
    if (!cleared.isEmpty()) {
      forget(cleared);
    }
  }

  /**
   * Drops every mark of a journal entry at or before {@code (epoch, sequence)}, durably: the sweep
   * of a lease holder that finished every journaled move and has none in flight below that point.
   *
   * @return the marks stored afterwards
   */
  synchronized int sweep(long epoch, long sequence) {
    List<byte[]> deletes = new ArrayList<>();
    var it = marks.entrySet().iterator();
    while (it.hasNext()) {
      var e = it.next();
      if (e.getValue().atMost(epoch, sequence)) {
        deletes.add(key(e.getKey()));
        it.remove();
      }
    }
    if (!deletes.isEmpty()) {
      store.write(deletes, List.of(), List.of());
    }
    size = marks.size();
    return size;
  }

  private static byte[] key(Identity id) {
    byte[][] parts = {utf8(id.entityType()), utf8(id.perspective()), utf8(id.uid())};
    ByteBuffer b = ByteBuffer.allocate(1 + 12 + Arrays.stream(parts).mapToInt(p -> p.length).sum());
    b.put(PREFIX);
    for (byte[] p : parts) {
      b.putInt(p.length).put(p);
    }
    return b.array();
  }

  private static Identity identity(byte[] key) {
    ByteBuffer b = ByteBuffer.wrap(key, 1, key.length - 1);
    String[] parts = new String[3];
    for (int i = 0; i < 3; i++) {
      byte[] p = new byte[b.getInt()];
      b.get(p);
      parts[i] = new String(p, StandardCharsets.UTF_8);
    }
    return Identity.of(parts[0], parts[1], parts[2]);
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
