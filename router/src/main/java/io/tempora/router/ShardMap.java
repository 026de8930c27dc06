package io.tempora.router;

import io.tempora.proto.v1.Identity;
import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32C;

/**
 * The slot space and its assignment to shards (DISTRIBUTED.md §2): 16,384 slots, shard {@code i} of
 * {@code N} owns {@code [⌊i·16384/N⌋, ⌊(i+1)·16384/N⌋)}. Immutable; thread-safe.
 *
 * <p>Slot of an identity: CRC-32C (Castagnoli, as in {@link CRC32C}) over the three identity
 * strings, each as its UTF-8 length (4 bytes, big-endian) followed by its UTF-8 bytes, modulo
 * 16,384. Stable across processes, JVMs and releases: it decides where records live.
 */
public final class ShardMap {
  /** Number of slots. */
  public static final int SLOTS = 16_384;

  private final int shards;

  /** An even split over {@code shards} shards (ids 0..shards-1). */
  public ShardMap(int shards) {
    if (shards < 1 || shards > SLOTS) {
      throw new IllegalArgumentException("shard count " + shards + " must be in 1.." + SLOTS);
    }
    this.shards = shards;
  }

  /** Number of shards. */
  public int shardCount() {
    return shards;
  }

  /** The shard owning a slot. */
  public int shardOfSlot(int slot) {
    if (slot < 0 || slot >= SLOTS) {
      throw new IllegalArgumentException("slot " + slot + " must be in 0.." + (SLOTS - 1));
    }
    // The largest i with ⌊i·SLOTS/N⌋ <= slot.
    int i = (int) (((long) slot * shards + shards - 1) / SLOTS);
    while (i > 0 && (long) i * SLOTS / shards > slot) {
      i--;
    }
    while (i + 1 < shards && (long) (i + 1) * SLOTS / shards <= slot) {
      i++;
    }
    return i;
  }

  /** First slot owned by a shard. */
  public int firstSlot(int shard) {
    return (int) ((long) shard * SLOTS / shards);
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
