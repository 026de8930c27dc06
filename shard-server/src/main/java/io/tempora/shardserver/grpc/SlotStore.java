package io.tempora.shardserver.grpc;

import com.google.protobuf.InvalidProtocolBufferException;
import io.tempora.engine.PreconditionFailedException;
import io.tempora.persistence.HomeDirectory;
import io.tempora.proto.internal.v1.ShardMapState;
import io.tempora.proto.internal.v1.SlotMove;
import io.tempora.proto.internal.v1.SlotOwner;
import io.tempora.proto.v1.Record;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.zip.CRC32C;

/**
 * A shard's rebalancing state on its directory store (docs/distributed.md "Rebalancing"): the shard
 * map with its epoch ({@code 0xFF 'm'}), slot move rows ({@code 0xFE id}), staged records ({@code
 * 0xF0 entity(8) identity-key} → Record, indexed by {@code 0xF3 identity-key} → entity) and staged
 * directory rows ({@code 0xF1 identity-key} → slot), with the staging marker ({@code 0xFF
 * "slot_staging"} → the map epoch when the rows were staged and the staging move's id). Every write
 * is durable. Thread-safe.
 */
public final class SlotStore {
  /** Number of slots (DISTRIBUTED.md §2). */
  public static final int SLOTS = 16_384;

  /** The phase of a move row from its flip to the end of its clean. */
  public static final String FLIPPED = "FLIPPED";

  private static final byte[] MAP = {(byte) 0xFF, 'm'};
  private static final byte[] MOVE = {(byte) 0xFE};
  private static final byte[] STAGED = {(byte) 0xF0};
  private static final byte[] STAGED_HOMES = {(byte) 0xF1};
  private static final byte[] STAGED_INDEX = {(byte) 0xF3};
  private static final byte[] STAGING =
      concat(new byte[] {(byte) 0xFF}, "slot_staging".getBytes(StandardCharsets.UTF_8));
  private static final byte[] NONE = {};

  private final HomeDirectory store;
  private volatile long epoch;

  /** The flipped move rows stored here (id → row), guarded by itself. */
  private final java.util.Map<String, SlotMove> flipped = new java.util.TreeMap<>();

  /** What is staged here, from the staging marker: null when nothing is. */
  private volatile Staging staging;

  private final Object activationLock = new Object();

  /** Notified whenever staged rows are activated or dropped. */
  private final Object unstaged = new Object();

  /** Threads waiting in {@link #awaitActive}. */
  private final java.util.concurrent.atomic.AtomicInteger waiting =
      new java.util.concurrent.atomic.AtomicInteger();

  /**
   * The staging marker: rows were staged here by move {@code move} while this shard stored map
   * epoch {@code epoch}.
   */
  public record Staging(long epoch, String move) {}

  /** Wraps a directory store; reads the stored epoch, move rows and staging marker. */
  public SlotStore(HomeDirectory store) {
    this.store = store;
    ShardMapState m = map();
    this.epoch = m == null ? 0 : m.getEpoch();
    byte[] marker = store.get(STAGING);
    if (marker != null) {
      ByteBuffer b = ByteBuffer.wrap(marker);
      long at = b.getLong();
      byte[] move = new byte[b.remaining()];
      b.get(move);
      this.staging = new Staging(at, new String(move, StandardCharsets.UTF_8));
    }
    for (SlotMove move : moves()) {
      track(move, false);
    }
  }

  /** The stored map's epoch, 0 before bootstrap. */
  public long epoch() {
    return epoch;
  }

  /** The stored map, or null. */
  public ShardMapState map() {
    byte[] v = store.get(MAP);
    return v == null ? null : parse(v, ShardMapState.parser());
  }

  /**
   * Stores {@code next} iff its epoch is above the stored one; an equal epoch must carry the same
   * assignment. Returns the epoch stored afterwards.
   *
   * @throws IllegalArgumentException if the ranges do not cover 0..16383 exactly once, ascending
   * @throws PreconditionFailedException for an equal epoch with another assignment
   */
  public synchronized long assign(ShardMapState next) {
    validate(next);
    ShardMapState now = map();
    if (now != null && next.getEpoch() < now.getEpoch()) {
      return now.getEpoch();
    }
    if (now != null && next.getEpoch() == now.getEpoch()) {
      if (!now.getRangesList().equals(next.getRangesList())) {
        throw new PreconditionFailedException(
            "shard map epoch "
                + next.getEpoch()
                + " is already stored with another assignment; use a higher epoch");
      }
      return now.getEpoch();
    }
    store.write(List.of(), List.of(MAP), List.of(next.toByteArray()));
    epoch = next.getEpoch();
    wake();
    return epoch;
  }

  private static void validate(ShardMapState m) {
    if (m.getEpoch() < 1) {
      throw new IllegalArgumentException("map.epoch: " + m.getEpoch() + " must be at least 1");
    }
    int expect = 0;
    for (int i = 0; i < m.getRangesCount(); i++) {
      SlotOwner r = m.getRanges(i);
      if (r.getFirst() != expect || r.getLast() < r.getFirst() || r.getLast() >= SLOTS) {
        throw new IllegalArgumentException(
            "map.ranges["
                + i
                + "]: "
                + r.getFirst()
                + "-"
                + r.getLast()
                + " must start at "
                + expect
                + " and end at or after it, below "
                + SLOTS);
      }
      expect = r.getLast() + 1;
    }
    if (expect != SLOTS) {
      throw new IllegalArgumentException(
          "map.ranges: cover 0.." + (expect - 1) + ", must cover 0.." + (SLOTS - 1));
    }
  }

  /** Stores a move row (replacing the one with its id). */
  public void saveMove(SlotMove move) {
    if (move.getId().isEmpty()) {
      throw new IllegalArgumentException("move.id: must not be empty");
    }
    store.write(List.of(), List.of(moveKey(move.getId())), List.of(move.toByteArray()));
    track(move, false);
  }

  /** Deletes a move row. */
  public void removeMove(String id) {
    store.write(List.of(moveKey(id)), List.of(), List.of());
    track(SlotMove.newBuilder().setId(id).build(), true);
  }

  private void track(SlotMove move, boolean removed) {
    synchronized (flipped) {
      if (!removed && move.getPhase().equals(FLIPPED)) {
        flipped.put(move.getId(), move);
      } else if (flipped.remove(move.getId()) != null) {
        flipped.notifyAll();
      }
    }
  }

  /**
   * Waits while a move row stored here is {@link #FLIPPED} (this shard is the source of a move
   * between its flip and the end of its clean), at most {@code nanos}.
   *
   * @return the flipped move still stored when the wait ended, or null if none is
   */
  public SlotMove awaitNoFlippedMove(long nanos) {
    long until = System.nanoTime() + nanos;
    synchronized (flipped) {
      while (!flipped.isEmpty()) {
        long left = until - System.nanoTime();
        if (left <= 0) {
          return flipped.values().iterator().next();
        }
        try {
          java.util.concurrent.TimeUnit.NANOSECONDS.timedWait(flipped, left);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return flipped.values().iterator().next();
        }
      }
      return null;
    }
  }

  /** The stored move rows. */
  public List<SlotMove> moves() {
    List<SlotMove> out = new ArrayList<>();
    for (byte[][] kv : store.scan(MOVE, MOVE, Integer.MAX_VALUE)) {
      out.add(parse(kv[1], SlotMove.parser()));
    }
    return out;
  }

  private static byte[] moveKey(String id) {
    return concat(MOVE, id.getBytes(StandardCharsets.UTF_8));
  }

  /**
   * Replaces the staged rows of {@code entity} by {@code records} (identity keys given), staged by
   * move {@code move} (stored in the staging marker with this shard's map epoch).
   */
  public int stage(List<Long> entities, List<List<Record>> records, String move) {
    List<byte[]> deletes = new ArrayList<>();
    List<byte[]> keys = new ArrayList<>();
    List<byte[]> values = new ArrayList<>();
    java.util.Set<ByteBuffer> restaged = new java.util.HashSet<>();
    int n = 0;
    for (int i = 0; i < entities.size(); i++) {
      byte[] entity = ByteBuffer.allocate(8).putLong(entities.get(i)).array();
      byte[] prefix = concat(STAGED, entity);
      for (Record r : records.get(i)) {
        byte[] id = ShardInternalGrpcService.key(r.getIdentity());
        keys.add(concat(prefix, id));
        values.add(r.toByteArray());
        keys.add(concat(STAGED_INDEX, id));
        values.add(entity);
        restaged.add(ByteBuffer.wrap(id));
        n++;
      }
    }
    for (int i = 0; i < entities.size(); i++) {
      byte[] entity = ByteBuffer.allocate(8).putLong(entities.get(i)).array();
      byte[] prefix = concat(STAGED, entity);
      for (byte[][] kv : store.scan(prefix, prefix, Integer.MAX_VALUE)) {
        deletes.add(kv[0]);
        byte[] id = Arrays.copyOfRange(kv[0], prefix.length, kv[0].length);
        if (!restaged.contains(ByteBuffer.wrap(id))) {
          dropIndex(kv[0], deletes);
        }
      }
    }
    marker(move, keys, values);
    store.write(deletes, keys, values);
    return n;
  }

  /**
   * Adds the index key of the staged record row {@code stagedKey} to {@code deletes} if the index
   * still names that row's entity (the identity may have been staged under another entity since).
   */
  private void dropIndex(byte[] stagedKey, List<byte[]> deletes) {
    byte[] index = concat(STAGED_INDEX, Arrays.copyOfRange(stagedKey, 9, stagedKey.length));
    byte[] entity = store.get(index);
    if (entity != null && Arrays.equals(entity, 0, 8, stagedKey, 1, 9)) {
      deletes.add(index);
    }
  }

  private void marker(String move, List<byte[]> keys, List<byte[]> values) {
    Staging next = new Staging(epoch, move);
    if (!next.equals(staging)) {
      byte[] id = move.getBytes(StandardCharsets.UTF_8);
      keys.add(STAGING);
      values.add(ByteBuffer.allocate(8 + id.length).putLong(epoch).put(id).array());
      staging = next;
    }
  }

  /** Stages directory rows (see {@link #stage} for {@code move}). */
  public void stageHomes(List<byte[]> identityKeys, List<Integer> slots, String move) {
    List<byte[]> keys = new ArrayList<>();
    List<byte[]> values = new ArrayList<>();
    for (int i = 0; i < identityKeys.size(); i++) {
      keys.add(concat(STAGED_HOMES, identityKeys.get(i)));
      values.add(ByteBuffer.allocate(4).putInt(slots.get(i)).array());
    }
    marker(move, keys, values);
    store.write(List.of(), keys, values);
  }

  /**
   * The move whose staged rows are being activated here: rows are staged and this shard stores a
   * map newer than the one it stored while they were staged (the move flipped: its slots are on
   * this shard now). Null otherwise.
   */
  public String activatingMove() {
    Staging s = staging;
    return s != null && epoch > s.epoch() ? s.move() : null;
  }

  /** Whether the record of {@code identityKey} is staged here. */
  public boolean recordStaged(byte[] identityKey) {
    return store.get(concat(STAGED_INDEX, identityKey)) != null;
  }

  /** The entity (8 bytes) under which the record of {@code identityKey} is staged, or null. */
  public byte[] stagedEntity(byte[] identityKey) {
    return store.get(concat(STAGED_INDEX, identityKey));
  }

  /**
   * Up to {@code limit} staged records of {@code entity} (8 bytes), each as {key, Record bytes}.
   */
  public List<byte[][]> stagedOf(byte[] entity, int limit) {
    byte[] prefix = concat(STAGED, entity);
    return store.scan(prefix, prefix, limit);
  }

  /** The staged directory row of {@code identityKey} as {key, slot bytes}, or null. */
  public byte[][] stagedHome(byte[] identityKey) {
    byte[] key = concat(STAGED_HOMES, identityKey);
    byte[] v = store.get(key);
    return v == null ? null : new byte[][] {key, v};
  }

  /**
   * Held by every step that activates or drops staged rows ({@link StagedActivation}), so that each
   * is activated once and a write applied after its activation is not overwritten.
   */
  public Object activationLock() {
    return activationLock;
  }

  /** Whether the directory row of {@code identityKey} is staged here. */
  public boolean homeStaged(byte[] identityKey) {
    return store.get(concat(STAGED_HOMES, identityKey)) != null;
  }

  /**
   * Waits while {@code staged} holds and a move's rows are being activated here ({@link
   * #activatingMove}), at most {@code nanos}.
   *
   * @return the activating move if {@code staged} still held when the wait ended, else null
   */
  public String awaitActive(java.util.function.BooleanSupplier staged, long nanos) {
    long until = System.nanoTime() + nanos;
    waiting.incrementAndGet();
    try {
      synchronized (unstaged) {
        while (true) {
          String move = activatingMove();
          if (move == null || !staged.getAsBoolean()) {
            return null;
          }
          long left = until - System.nanoTime();
          if (left <= 0) {
            return move;
          }
          try {
            java.util.concurrent.TimeUnit.NANOSECONDS.timedWait(unstaged, left);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return move;
          }
        }
      }
    } finally {
      waiting.decrementAndGet();
    }
  }

  /** Threads waiting in {@link #awaitActive} now (for tests and diagnostics). */
  public int activationWaiters() {
    return waiting.get();
  }

  /** Deletes the staging marker once nothing is staged any more. */
  public void endStaging() {
    store.write(List.of(STAGING), List.of(), List.of());
    staging = null;
    wake();
  }

  private void wake() {
    synchronized (unstaged) {
      unstaged.notifyAll();
    }
  }

  /** Up to {@code limit} staged records, each as {key, Record bytes}. */
  public List<byte[][]> staged(int limit) {
    return store.scan(STAGED, STAGED, limit);
  }

  /** Up to {@code limit} staged directory rows, each as {key, slot bytes}. */
  public List<byte[][]> stagedHomes(int limit) {
    return store.scan(STAGED_HOMES, STAGED_HOMES, limit);
  }

  /** Deletes staged rows by key (with their index keys). */
  public void unstage(List<byte[]> keys) {
    List<byte[]> deletes = new ArrayList<>(keys);
    for (byte[] k : keys) {
      if (k[0] == STAGED[0]) {
        dropIndex(k, deletes);
      }
    }
    store.write(deletes, List.of(), List.of());
    wake();
  }

  /** Makes staged directory rows live (overwriting) and deletes them from the staging area. */
  public void activateHomes(List<byte[][]> staged) {
    List<byte[]> deletes = new ArrayList<>();
    List<byte[]> keys = new ArrayList<>();
    List<byte[]> values = new ArrayList<>();
    for (byte[][] kv : staged) {
      deletes.add(kv[0]);
      keys.add(Arrays.copyOfRange(kv[0], 1, kv[0].length));
      values.add(kv[1]);
    }
    store.write(deletes, keys, values);
    wake();
  }

  /**
   * Up to {@code limit} live directory rows with a key above {@code after} (null: from the start),
   * each as {identity key, slot bytes}.
   */
  public List<byte[][]> homes(byte[] after, int limit) {
    byte[] from = after == null ? NONE : concat(after, new byte[] {0});
    List<byte[][]> out = new ArrayList<>();
    for (byte[][] kv : store.scan(from, NONE, limit)) {
      if ((kv[0][0] & 0xFF) >= HomeDirectory.SIDE) {
        break;
      }
      out.add(kv);
    }
    return out;
  }

  /** Deletes live directory rows. */
  public void deleteHomes(List<byte[]> keys) {
    store.write(keys, List.of(), List.of());
  }

  /** The slot of an identity key: CRC-32C of the key modulo 16,384 (as the router's slotOf). */
  public static int slotOfKey(byte[] key) {
    CRC32C crc = new CRC32C();
    crc.update(key);
    return (int) (crc.getValue() % SLOTS);
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] out = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }

  private static <T> T parse(byte[] v, com.google.protobuf.Parser<T> parser) {
    try {
      return parser.parseFrom(v);
    } catch (InvalidProtocolBufferException e) {
      throw new io.tempora.engine.store.StoreException(
          "directory: corrupt rebalancing row: " + e.getMessage(), e);
    }
  }
}
