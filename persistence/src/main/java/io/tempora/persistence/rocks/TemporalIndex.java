package io.tempora.persistence.rocks;

import io.tempora.engine.temporal.Interval;
import java.nio.ByteBuffer;

/**
 * The temporal index of STORAGE.md §3.3: dyadic bins over unsigned 64-bit positions {@code u =
 * enc(t)}, two keys per distinct (record, interval) in the {@code temporal} column family, and the
 * marked levels in {@code meta/temporal_levels}. A window query visits at most two key ranges per
 * marked level and every visited key but each range's last is a match. Stateless; thread-safe.
 */
final class TemporalIndex {
  /** Tag of the by-start keys {@code 0x01, k, a, b, rid}. */
  static final byte BY_START = 0x01;

  /** Tag of the by-end keys {@code 0x02, k, b, a, rid}. */
  static final byte BY_END = 0x02;

  /** Levels 0..64; level 64 is one bin holding the whole domain. */
  static final int LEVELS = 65;

  /** Bytes of every temporal key. */
  static final int KEY_BYTES = 26;

  /** The {@code meta} key of the marked levels. */
  static final byte[] LEVELS_KEY = Keys.meta("temporal_levels");

  private TemporalIndex() {}

  /**
   * An interval as the positions it covers, {@code a = enc(start)} to {@code b = enc(end) - 1}
   * inclusive, compared as unsigned numbers.
   */
  record Span(long a, long b) {
    static Span of(long start, long end) {
      if (start >= end) {
        throw new IllegalArgumentException(
            "interval [" + start + "," + end + "): start must be less than end");
      }
      return new Span(start ^ Long.MIN_VALUE, (end ^ Long.MIN_VALUE) - 1);
    }

    static Span of(Interval i) {
      return of(i.start(), i.end());
    }

    /** The smallest level whose bin contains the span. */
    int level() {
      return 64 - Long.numberOfLeadingZeros(a ^ b);
    }

    /** The interval back in instants. */
    Interval interval() {
      return new Interval(a ^ Long.MIN_VALUE, (b + 1) ^ Long.MIN_VALUE);
    }
  }

  /** The by-start key of a span of a record. */
  static byte[] byStart(Span s, long rid) {
    return key(BY_START, s.level(), s.a(), s.b(), rid);
  }

  /** The by-end key of a span of a record. */
  static byte[] byEnd(Span s, long rid) {
    return key(BY_END, s.level(), s.b(), s.a(), rid);
  }

  private static byte[] key(byte tag, int level, long first, long second, long rid) {
    return ByteBuffer.allocate(KEY_BYTES)
        .put(tag)
        .put((byte) level)
        .putLong(first)
        .putLong(second)
        .putLong(rid)
        .array();
  }

  /** Where a scan of one level starts: {@code tag, k, position}. */
  private static byte[] seek(byte tag, int level, long position) {
    return ByteBuffer.allocate(10).put(tag).put((byte) level).putLong(position).array();
  }

  /** The end of one level's keys of one order. */
  private static byte[] levelEnd(byte tag, int level) {
    return new byte[] {tag, (byte) (level + 1)};
  }

  /**
   * The marked levels: a 128-bit mask, bit {@code k} for level {@code k}, stored as {@code 01}
   * followed by the mask's 16 bytes, big-endian ({@code hi} first).
   */
  record Levels(long hi, long lo) {
    static final Levels NONE = new Levels(0, 0);

    static Levels decode(byte[] v) {
      if (v == null) {
        return NONE;
      }
      if (v.length != 17 || v[0] != 1) {
        throw new IllegalStateException(
            "meta/temporal_levels: unknown layout (" + v.length + " bytes, first " + v[0] + ")");
      }
      ByteBuffer b = ByteBuffer.wrap(v, 1, 16);
      return new Levels(b.getLong(), b.getLong());
    }

    byte[] encode() {
      return ByteBuffer.allocate(17).put((byte) 1).putLong(hi).putLong(lo).array();
    }

    boolean has(int level) {
      return level < 64 ? (lo >>> level & 1) != 0 : (hi >>> (level - 64) & 1) != 0;
    }

    Levels with(int level) {
      return level < 64
          ? new Levels(hi, lo | 1L << level)
          : new Levels(hi | 1L << (level - 64), lo);
    }

    int count() {
      return Long.bitCount(hi) + Long.bitCount(lo);
    }
  }

  /** Receives each index entry overlapping a query window. */
  @FunctionalInterface
  interface Sink {
    void accept(long rid, Interval interval);
  }

  /**
   * What a query cost: keys read, of which index entries matched, over how many marked levels.
   * STORAGE.md ST-T7 bounds {@code visited <= matched + 2 * levels}.
   */
  record Visit(long visited, long matched, int levels) {}

  /**
   * Reports every index entry whose interval overlaps {@code [start, end)} to {@code sink}: each
   * (record, distinct interval) once, so a record may be reported more than once; callers
   * de-duplicate record ids. Reads the levels through {@code source}.
   *
   * @throws IllegalArgumentException if {@code start >= end}
   */
  static Visit overlapping(Source source, long start, long end, Sink sink) {
    Span window = Span.of(start, end);
    Levels levels = Levels.decode(source.get(Cf.META, LEVELS_KEY));
    Counter c = new Counter(source, window.b(), sink);
    for (int k = 0; k < LEVELS; k++) {
      if (levels.has(k)) {
        c.level(k, window.a());
      }
    }
    return new Visit(c.visited, c.matched, levels.count());
  }

  /** One query's scans and counts. */
  private static final class Counter {
    private final Source source;
    private final long qb;
    private final Sink sink;
    private long visited;
    private long matched;

    Counter(Source source, long qb, Sink sink) {
      this.source = source;
      this.qb = qb;
      this.sink = sink;
    }

    /** The §3.3 scans of level {@code k} for a window starting at position {@code qa}. */
    void level(int k, long qa) {
      if (k == 0) {
        byStart(0, qa);
        return;
      }
      long mask = k == 64 ? -1L : (1L << k) - 1;
      long binStart = qa & ~mask;
      long binLast = binStart | mask;
      long mid = binStart + (1L << (k - 1));
      if (Long.compareUnsigned(mid, qa) <= 0) {
        byEnd(k, qa, binLast);
        if (binLast != -1L) {
          byStart(k, binLast + 1);
        }
      } else {
        byStart(k, binStart);
      }
    }

    /** By-start keys of level {@code k} with {@code from <= a}, while {@code a <= qb}. */
    private void byStart(int k, long from) {
      if (Long.compareUnsigned(from, qb) > 0) {
        return;
      }
      try (Scan s = source.scan(Cf.TEMPORAL, seek(BY_START, k, from), levelEnd(BY_START, k))) {
        for (; s.valid(); s.next()) {
          visited++;
          byte[] key = s.key();
          long a = Keys.u64(key, 2);
          if (Long.compareUnsigned(a, qb) > 0) {
            return;
          }
          match(key, new Span(a, Keys.u64(key, 10)));
        }
      }
    }

    /** By-end keys of level {@code k} with {@code from <= b <= last}: all of them match. */
    private void byEnd(int k, long from, long last) {
      byte[] to = last == -1L ? levelEnd(BY_END, k) : seek(BY_END, k, last + 1);
      try (Scan s = source.scan(Cf.TEMPORAL, seek(BY_END, k, from), to)) {
        for (; s.valid(); s.next()) {
          visited++;
          byte[] key = s.key();
          match(key, new Span(Keys.u64(key, 10), Keys.u64(key, 2)));
        }
      }
    }

    private void match(byte[] key, Span span) {
      matched++;
      sink.accept(Keys.lastU64(key), span.interval());
    }
  }
}
