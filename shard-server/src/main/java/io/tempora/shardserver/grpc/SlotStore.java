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
 * 0xF0 entity(8) identity-key} → Record) and staged directory rows ({@code 0xF1 identity-key} →
 * slot). Every write is durable. Thread-safe.
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
  private static final byte[] NONE = {};

  private final HomeDirectory store;
  private volatile long epoch;

  /** The flipped move rows stored here (id → row), guarded by itself. */
  private final java.util.Map<String, SlotMove> flipped = new java.util.TreeMap<>();

  /** Wraps a directory store; reads the stored epoch and move rows. */
  public SlotStore(HomeDirectory store) {
    this.store = store;
    ShardMapState m = map();
    this.epoch = m == null ? 0 : m.getEpoch();
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

  /** Replaces the staged rows of {@code entity} by {@code records} (identity keys given). */
  public int stage(List<Long> entities, List<List<Record>> records) {
    List<byte[]> deletes = new ArrayList<>();
    List<byte[]> keys = new ArrayList<>();
    List<byte[]> values = new ArrayList<>();
    int n = 0;
    for (int i = 0; i < entities.size(); i++) {
      byte[] prefix = concat(STAGED, ByteBuffer.allocate(8).putLong(entities.get(i)).array());
      for (byte[][] kv : store.scan(prefix, prefix, Integer.MAX_VALUE)) {
        deletes.add(kv[0]);
      }
      for (Record r : records.get(i)) {
        keys.add(concat(prefix, ShardInternalGrpcService.key(r.getIdentity())));
        values.add(r.toByteArray());
        n++;
      }
    }
    store.write(deletes, keys, values);
    return n;
  }

  /** Stages directory rows. */
  public void stageHomes(List<byte[]> identityKeys, List<Integer> slots) {
    List<byte[]> keys = new ArrayList<>();
    List<byte[]> values = new ArrayList<>();
    for (int i = 0; i < identityKeys.size(); i++) {
      keys.add(concat(STAGED_HOMES, identityKeys.get(i)));
      values.add(ByteBuffer.allocate(4).putInt(slots.get(i)).array());
    }
    store.write(List.of(), keys, values);
  }

  /** Up to {@code limit} staged records, each as {key, Record bytes}. */
  public List<byte[][]> staged(int limit) {
    return store.scan(STAGED, STAGED, limit);
  }

  /** Up to {@code limit} staged directory rows, each as {key, slot bytes}. */
  public List<byte[][]> stagedHomes(int limit) {
    return store.scan(STAGED_HOMES, STAGED_HOMES, limit);
  }

  /** Deletes staged rows by key. */
  public void unstage(List<byte[]> keys) {
    store.write(keys, List.of(), List.of());
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
