package io.tempora.persistence.rocks;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * History partitions (STORAGE.md §8; docs/storage.md "History partitions and retention"). A
 * superseded record version is keyed {@code part u32, rid u64, version u32} in {@code
 * record_history}, {@code part} chosen from the wall clock of the superseding transaction: {@code
 * floor(utc seconds / storage.history.partition)}, never below the last partition used. {@code
 * meta/history/<u32 part>} holds the partition's range (first and last superseding tx, first and
 * last UTC second) and is written in the batch that writes the versions. Versions written before
 * partitions existed stay in {@code record_versions} under {@code rid u64, version u32}: the legacy
 * partition, described by {@code meta/history_legacy}. {@code meta/history_from} records what
 * retention removed.
 *
 * <p>An instance holds the newest partition's range and the last partition number for the commit
 * path; its mutable state is used under the store's writer permit only.
 */
final class HistoryPartitions {
  /** {@code meta} name prefix of the partition rows: {@code history/} + u32 part. */
  static final byte[] META_PREFIX = Keys.meta("history/");

  /** {@code meta/history_from}: what retention removed (absent: nothing). */
  static final byte[] FROM = Keys.meta("history_from");

  /** {@code meta/history_legacy}: the legacy partition ({@code record_versions}). */
  static final byte[] LEGACY = Keys.meta("history_legacy");

  /** Legacy states: the data dir had no legacy version when first opened by this build. */
  static final int LEGACY_NONE = 0;

  /** Legacy versions are in {@code record_versions}. */
  static final int LEGACY_KEPT = 1;

  /** Retention removed the legacy partition. */
  static final int LEGACY_REMOVED = 2;

  /** Length of a {@code record_history} key. */
  static final int KEY_LENGTH = 16;

  /** Length of a legacy {@code record_versions} key. */
  static final int LEGACY_KEY_LENGTH = 12;

  /** The largest partition number. */
  static final long MAX_PART = 0xFFFF_FFFFL;

  private static final byte LAYOUT = 1;

  private final long partitionSeconds;
  // Under the writer permit: the newest partition's row (null if none is left), the last
  // partition used (-1: none) and the latest commit time written to it.
  private Range newest;
  private long lastPart;
  private long lastSeconds;

  HistoryPartitions(Duration partition, Range newest, From from) {
    this.partitionSeconds = Math.max(1, partition.toSeconds());
    this.newest = newest;
    if (newest != null && newest.part() > from.lastPart()) {
      this.lastPart = newest.part();
      this.lastSeconds = newest.lastSeconds();
    } else {
      this.lastPart = from.lastPart();
      this.lastSeconds = from.lastSeconds();
    }
  }

  /** Reads the newest partition's row and {@code meta/history_from}: one seek, one read. */
  static HistoryPartitions load(RocksStore rocks, Duration partition) {
    byte[][] row = rocks.lastInRange(Cf.META, META_PREFIX, metaKey(MAX_PART));
    Range newest = row == null ? null : Range.decode(row[0], row[1]);
    return new HistoryPartitions(partition, newest, From.decode(rocks.get(Cf.META, FROM)));
  }

  /**
   * The partition a transaction committing at {@code seconds} writes its superseded versions to:
   * {@code floor(seconds / partition)}, except that it never goes below the last partition used (a
   * clock stepping back keeps writing to it) and, when the partition length was raised since
   * (smaller numbers for the same time), the next partition is {@code last + 1} once the clock
   * enters a later window than the last write of the last partition.
   */
  long partFor(long seconds) {
    long p = Math.min(MAX_PART, Math.floorDiv(Math.max(0, seconds), partitionSeconds));
    if (p > lastPart) {
      return p;
    }
    if (lastPart < MAX_PART && p > Math.floorDiv(lastSeconds, partitionSeconds)) {
      return lastPart + 1;
    }
    return lastPart;
  }

  /** The row of {@code part} after a commit that superseded versions at {@code minTx..maxTx}. */
  Range committing(long part, long minTx, long maxTx, long seconds) {
    if (newest != null && newest.part() == part) {
      return newest.plus(minTx, maxTx, seconds);
    }
    return new Range(part, minTx, maxTx, seconds, seconds);
  }

  /** The commit writing {@code row} succeeded. */
  void committed(Range row) {
    newest = row;
    if (row.part() >= lastPart) {
      lastPart = row.part();
      lastSeconds = Math.max(lastSeconds, row.lastSeconds());
    }
  }

  /** Retention removed every partition up to and including {@code part}. */
  void removedThrough(long part) {
    if (newest != null && newest.part() <= part) {
      newest = null;
    }
  }

  /**
   * What {@code meta/history_from} holds after removing partitions up to {@code part}, the first
   * superseding tx then kept being {@code firstKeptTx}.
   */
  From from(long firstKeptTx) {
    return new From(firstKeptTx, lastPart, lastSeconds);
  }

  static byte[] metaKey(long part) {
    return ByteBuffer.allocate(META_PREFIX.length + 4).put(META_PREFIX).putInt((int) part).array();
  }

  /** True iff {@code key} is a partition row key ({@code history/} + u32). */
  static boolean isMetaKey(byte[] key) {
    return key.length == META_PREFIX.length + 4
        && Arrays.equals(key, 0, META_PREFIX.length, META_PREFIX, 0, META_PREFIX.length);
  }

  static long partOfMetaKey(byte[] key) {
    return ByteBuffer.wrap(key, META_PREFIX.length, 4).getInt() & MAX_PART;
  }

  /** A {@code record_history} key. */
  static byte[] key(long part, long rid, int version) {
    return ByteBuffer.allocate(KEY_LENGTH).putInt((int) part).putLong(rid).putInt(version).array();
  }

  /** The 12-byte prefix of a record's versions in one partition. */
  static byte[] prefix(long part, long rid) {
    return ByteBuffer.allocate(12).putInt((int) part).putLong(rid).array();
  }

  static long partOf(byte[] key) {
    return ByteBuffer.wrap(key, 0, 4).getInt() & MAX_PART;
  }

  static long ridOf(byte[] key) {
    return ByteBuffer.wrap(key, 4, 8).getLong();
  }

  static int versionOf(byte[] key) {
    return ByteBuffer.wrap(key, 12, 4).getInt();
  }

  /** The first key of a partition in {@code record_history}. */
  static byte[] start(long part) {
    return ByteBuffer.allocate(4).putInt((int) part).array();
  }

  /** The first key after a partition in {@code record_history}. */
  static byte[] end(long part) {
    if (part < MAX_PART) {
      return start(part + 1);
    }
    byte[] b = new byte[KEY_LENGTH + 1];
    Arrays.fill(b, (byte) 0xFF);
    return b;
  }

  /** The whole key range of the legacy {@code record_versions} family: every 12-byte key. */
  static byte[][] legacyRange() {
    byte[] end = new byte[LEGACY_KEY_LENGTH + 1];
    Arrays.fill(end, (byte) 0xFF);
    return new byte[][] {new byte[0], end};
  }

  /**
   * The partition rows as the source sees them, ascending by part (a short scan of {@code meta}:
   * one row per partition).
   */
  static List<Range> list(Source source) {
    List<Range> out = new ArrayList<>();
    try (Scan s = source.scan(Cf.META, META_PREFIX, Keys.prefixEnd(META_PREFIX))) {
      for (; s.valid(); s.next()) {
        byte[] k = s.key();
        if (isMetaKey(k)) {
          out.add(Range.decode(k, s.value()));
        }
      }
    }
    return out;
  }

  /**
   * One partition's row: the superseding transactions and UTC seconds of the versions it holds.
   *
   * @param part partition number (u32)
   * @param firstTx the lowest superseding tx
   * @param lastTx the highest superseding tx
   * @param firstSeconds the earliest commit time (UTC seconds)
   * @param lastSeconds the latest commit time (UTC seconds)
   */
  record Range(long part, long firstTx, long lastTx, long firstSeconds, long lastSeconds) {
    Range plus(long minTx, long maxTx, long seconds) {
      return new Range(
          part,
          Math.min(firstTx, minTx),
          Math.max(lastTx, maxTx),
          Math.min(firstSeconds, seconds),
          Math.max(lastSeconds, seconds));
    }

    /** {@code 01, u64 firstTx, u64 lastTx, u64 firstSeconds, u64 lastSeconds}. */
    byte[] encode() {
      return ByteBuffer.allocate(33)
          .put(LAYOUT)
          .putLong(firstTx)
          .putLong(lastTx)
          .putLong(firstSeconds)
          .putLong(lastSeconds)
          .array();
    }

    static Range decode(byte[] key, byte[] value) {
      long part = partOfMetaKey(key);
      if (value.length != 33 || value[0] != LAYOUT) {
        throw new IllegalStateException(
            "meta/history/" + part + ": unknown value layout (" + value.length + " bytes)");
      }
      ByteBuffer b = ByteBuffer.wrap(value, 1, 32);
      return new Range(part, b.getLong(), b.getLong(), b.getLong(), b.getLong());
    }
  }

  /**
   * {@code meta/history_from}, written by each retention batch: the first superseding tx whose
   * versions are all kept, and the last partition used with its latest commit time when it was
   * written (so that partition numbers never decrease, even once every partition row is gone).
   *
   * @param firstKeptTx 1 until retention removed something
   * @param lastPart the last partition used, -1 if none
   * @param lastSeconds the latest commit time written to {@code lastPart}
   */
  record From(long firstKeptTx, long lastPart, long lastSeconds) {
    static final From NONE = new From(1, -1, 0);

    /** {@code 01, u64 firstKeptTx, i64 lastPart, u64 lastSeconds}. */
    byte[] encode() {
      return ByteBuffer.allocate(25)
          .put(LAYOUT)
          .putLong(firstKeptTx)
          .putLong(lastPart)
          .putLong(lastSeconds)
          .array();
    }

    static From decode(byte[] value) {
      if (value == null) {
        return NONE;
      }
      if (value.length != 25 || value[0] != LAYOUT) {
        throw new IllegalStateException("meta/history_from: unknown value layout");
      }
      ByteBuffer b = ByteBuffer.wrap(value, 1, 24);
      return new From(b.getLong(), b.getLong(), b.getLong());
    }
  }

  /**
   * {@code meta/history_legacy}: whether {@code record_versions} holds versions written before
   * history partitions, and bounds of their superseding transactions and times, taken when this
   * build first opened the data dir (every legacy version was superseded by then).
   *
   * @param state {@link #LEGACY_NONE}, {@link #LEGACY_KEPT} or {@link #LEGACY_REMOVED}
   * @param lastTx {@code last_tx} at that open
   * @param seconds UTC seconds of that open
   */
  record Legacy(int state, long lastTx, long seconds) {
    /** {@code 01, u8 state, u64 lastTx, u64 seconds}. */
    byte[] encode() {
      return ByteBuffer.allocate(18)
          .put(LAYOUT)
          .put((byte) state)
          .putLong(lastTx)
          .putLong(seconds)
          .array();
    }

    /** Decodes a row; null for an absent one (a data dir this build never opened read-write). */
    static Legacy decode(byte[] value) {
      if (value == null) {
        return null;
      }
      if (value.length != 18 || value[0] != LAYOUT || value[1] < 0 || value[1] > 2) {
        throw new IllegalStateException("meta/history_legacy: unknown value layout");
      }
      ByteBuffer b = ByteBuffer.wrap(value, 2, 16);
      return new Legacy(value[1], b.getLong(), b.getLong());
    }
  }
}
