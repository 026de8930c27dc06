package io.tempora.router;

import io.tempora.proto.internal.v1.ShardMapState;
import io.tempora.proto.internal.v1.SlotOwner;
import io.tempora.proto.internal.v1.SlotRange;
import io.tempora.proto.v1.Identity;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.zip.CRC32C;

/**
 * The slot space and its assignment to shards (DISTRIBUTED.md §2): 16,384 slots, each owned by one
 * shard, with the map's epoch. Until a map is adopted it is the bootstrap even split at epoch 0:
 * shard {@code i} of {@code N} owns {@code [⌊i·16384/N⌋, ⌊(i+1)·16384/N⌋)}; the router then adopts
 * the map stored on the shards ({@link MapSync}), and rebalancing flips it ({@link Rebalancer}).
 * The assignment is swapped atomically; thread-safe.
 *
 * <p>Slot of an identity: CRC-32C (Castagnoli, as in {@link CRC32C}) over the three identity
 * strings, each as its UTF-8 length (4 bytes, big-endian) followed by its UTF-8 bytes, modulo
 * 16,384. Stable across processes, JVMs and releases: it decides where records live.
 */
public final class ShardMap {
  /** Number of slots. */
  public static final int SLOTS = 16_384;

  /** One assignment: owner per slot, its epoch, and each shard's first slot (-1: none). */
  private record State(short[] owner, long epoch, int[] first) {
    State(short[] owner, long epoch, int shards) {
      this(owner, epoch, firsts(owner, shards));
    }

    private static int[] firsts(short[] owner, int shards) {
      int[] first = new int[shards];
      Arrays.fill(first, -1);
      for (int s = SLOTS - 1; s >= 0; s--) {
        first[owner[s]] = s;
      }
      return first;
    }
  }

  private final int shards;
  private volatile State state;

  /** An even split over {@code shards} shards (ids 0..shards-1), epoch 0 (not stored yet). */
  public ShardMap(int shards) {
    if (shards < 1 || shards > SLOTS) {
      throw new IllegalArgumentException("shard count " + shards + " must be in 1.." + SLOTS);
    }
    this.shards = shards;
    short[] owner = new short[SLOTS];
    for (int i = 0; i < shards; i++) {
      Arrays.fill(
          owner,
          (int) ((long) i * SLOTS / shards),
          (int) ((long) (i + 1) * SLOTS / shards),
          (short) i);
    }
    this.state = new State(owner, 0, shards);
  }

  /** Number of shards. */
  public int shardCount() {
    return shards;
  }

  /** The epoch of the current assignment (0: the bootstrap split, not adopted from the shards). */
  public long epoch() {
    return state.epoch();
  }

  /** The shard owning a slot. */
  public int shardOfSlot(int slot) {
    if (slot < 0 || slot >= SLOTS) {
      throw new IllegalArgumentException("slot " + slot + " must be in 0.." + (SLOTS - 1));
    }
    return state.owner()[slot];
  }

  /**
   * First slot owned by a shard under the current map (reconciliation records it as the home of
   * records it moves there).
   *
   * @throws IllegalStateException if the shard owns no slot
   */
  public int firstSlot(int shard) {
    State now = state;
    int first = now.first()[shard];
    if (first < 0) {
      throw new IllegalStateException("shard " + shard + " owns no slot at epoch " + now.epoch());
    }
    return first;
  }

  /** Per shard, the number of slots it owns. */
  public int[] slotsPerShard() {
    int[] out = new int[shards];
    for (short o : state.owner()) {
      out[o]++;
    }
    return out;
  }

  /** The current assignment as stored on shards, with {@code epoch} in place of its own. */
  public ShardMapState toState(long epoch) {
    return toState(state.owner(), epoch);
  }

  /** The current assignment as stored on shards. */
  public ShardMapState toState() {
    return toState(state.epoch());
  }

  /** The current assignment with {@code slots} given to {@code target}, at {@code epoch}. */
  public ShardMapState moved(List<SlotRange> slots, int target, long epoch) {
    short[] owner = state.owner().clone();
    for (SlotRange r : slots) {
      Arrays.fill(owner, r.getFirst(), r.getLast() + 1, (short) target);
    }
    return toState(owner, epoch);
  }

  /** True iff every slot of {@code slots} is owned by {@code shard}. */
  public boolean owns(int shard, List<SlotRange> slots) {
    short[] owner = state.owner();
    for (SlotRange r : slots) {
      for (int s = r.getFirst(); s <= r.getLast(); s++) {
        if (owner[s] != shard) {
          return false;
        }
      }
    }
    return true;
  }

  private static ShardMapState toState(short[] owner, long epoch) {
    ShardMapState.Builder b = ShardMapState.newBuilder().setEpoch(epoch);
    int first = 0;
    for (int s = 1; s <= SLOTS; s++) {
      if (s == SLOTS || owner[s] != owner[first]) {
        b.addRanges(SlotOwner.newBuilder().setFirst(first).setLast(s - 1).setShard(owner[first]));
        first = s;
      }
    }
    return b.build();
  }

  /**
   * Adopts a stored map iff its epoch is above the current one.
   *
   * @return true iff adopted
   * @throws IllegalArgumentException if it does not cover every slot once or names a shard this
   *     router does not know
   */
  public synchronized boolean adopt(ShardMapState m) {
    if (m.getEpoch() <= state.epoch()) {
      return false;
    }
    short[] owner = new short[SLOTS];
    int next = 0;
    for (SlotOwner r : m.getRangesList()) {
      if (r.getFirst() != next || r.getLast() < r.getFirst() || r.getLast() >= SLOTS) {
        throw new IllegalArgumentException(
            "shard map epoch "
                + m.getEpoch()
                + ": range "
                + r.getFirst()
                + "-"
                + r.getLast()
                + " must start at "
                + next);
      }
      if (r.getShard() >= shards) {
        throw new IllegalArgumentException(
            "shard map epoch "
                + m.getEpoch()
                + " assigns slots "
                + r.getFirst()
                + "-"
                + r.getLast()
                + " to shard "
                + r.getShard()
                + " but the router knows "
                + shards
                + " shard(s): list every shard in --shards");
      }
      Arrays.fill(owner, r.getFirst(), r.getLast() + 1, (short) r.getShard());
      next = r.getLast() + 1;
    }
    if (next != SLOTS) {
      throw new IllegalArgumentException(
          "shard map epoch " + m.getEpoch() + " covers slots 0.." + (next - 1) + " only");
    }
    state = new State(owner, m.getEpoch(), shards);
    return true;
  }

  /** Ranges of a sorted list of slots. */
  static List<SlotRange> ranges(List<Integer> sorted) {
    List<SlotRange> out = new ArrayList<>();
    for (int i = 0; i < sorted.size(); ) {
      int j = i;
      while (j + 1 < sorted.size() && sorted.get(j + 1) == sorted.get(j) + 1) {
        j++;
      }
      out.add(SlotRange.newBuilder().setFirst(sorted.get(i)).setLast(sorted.get(j)).build());
      i = j + 1;
    }
    return out;
  }

  /** The slot of an identity (see the class comment). */
  public static int slotOf(Identity id) {
    CRC32C crc = new CRC32C();
    update(crc, id.getEntityType());
    update(crc, id.getPerspective());
    update(crc, id.getUid());
    return (int) (crc.getValue() % SLOTS);
  }

  /** The shard owning the slot of an identity. */
  public int shardOf(Identity id) {
    return shardOfSlot(slotOf(id));
  }

  private static void update(CRC32C crc, String s) {
    byte[] b = s.getBytes(StandardCharsets.UTF_8);
    crc.update(b.length >>> 24);
    crc.update(b.length >>> 16);
    crc.update(b.length >>> 8);
    crc.update(b.length);
    crc.update(b);
  }
}
