package io.tempora.engine.conflict;

import io.tempora.engine.conflict.ConflictItem.BlockedMerge;
import io.tempora.engine.conflict.ConflictItem.ConstraintViolation;
import io.tempora.engine.conflict.ConflictItem.Direct;
import io.tempora.engine.conflict.ConflictItem.EntityHolders;
import io.tempora.engine.conflict.ConflictItem.ValueHolders;
import io.tempora.engine.model.Identity;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.TreeSet;

/**
 * The total order of conflict items of DOMAIN.md §7.4, encoded as bytes that compare unsigned
 * lexicographically in that order, so a store can keep items in a sorted index and page by key.
 * Entity ids are appended last only to make keys unique; they never decide the order of distinct
 * items.
 */
public final class ConflictOrder {
  private ConflictOrder() {}

  /** The sort key of an item. */
  public static byte[] key(ConflictItem item) {
    Bytes out = new Bytes(64);
    string(out, item.entityType());
    out.write(item.kind().ordinal());
    string(out, item.attribute());
    instant(out, item.interval().start());
    instant(out, item.interval().end());
    String constraint = item instanceof ConstraintViolation c ? c.constraint() : "";
    string(out, constraint);
    string(out, perspective(item));
    stringList(out, values(item));
    identityList(out, records(item));
    for (long id : item.entityIds()) {
      instant(out, id ^ Long.MIN_VALUE);
    }
    return out.toByteArray();
  }

  /** The prefix shared by every key of one entity type: a range-scan start. */
  public static byte[] typePrefix(String entityType) {
    Bytes out = new Bytes(16);
    string(out, entityType);
    return out.toByteArray();
  }

  /** The first key strictly greater than every key that starts with {@code prefix}. */
  public static byte[] prefixEnd(byte[] prefix) {
    byte[] end = Arrays.copyOf(prefix, prefix.length + 1);
    end[prefix.length] = (byte) 0xFF;
    return end;
  }

  /** Unsigned lexicographic comparison. */
  public static int compare(byte[] a, byte[] b) {
    return Arrays.compareUnsigned(a, b);
  }

  private static String perspective(ConflictItem item) {
    if (item instanceof BlockedMerge b) {
      return b.perspective();
    }
    if (item instanceof ConstraintViolation c && c.perspective() != null) {
      return c.perspective();
    }
    return "";
  }

  private static List<String> values(ConflictItem item) {
    return switch (item) {
      case Direct d -> d.values().stream().map(ValueHolders::value).toList();
      case BlockedMerge b -> List.of(b.valueA(), b.valueB());
      case ConstraintViolation c -> List.of(c.value());
    };
  }

  /** Every record the item names, canonical, without repeats. */
  public static List<Identity> records(ConflictItem item) {
    TreeSet<Identity> all = new TreeSet<>();
    switch (item) {
      case Direct d -> d.values().forEach(v -> all.addAll(v.holders()));
      case BlockedMerge b -> {
        all.addAll(b.linkRecords());
        all.addAll(b.conflictRecords());
      }
      case ConstraintViolation c -> {
        for (EntityHolders e : c.entities()) {
          all.addAll(e.holders());
        }
      }
    }
    return new ArrayList<>(all);
  }

  private static void string(Bytes out, String s) {
    // 0x00 is escaped as 00 FF and the string ends with 00 01, so encodings keep byte order and a
    // proper prefix sorts first.
    for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
      out.write(b);
      if (b == 0) {
        out.write(0xFF);
      }
    }
    out.write(0);
    out.write(1);
  }

  private static void stringList(Bytes out, List<String> list) {
    for (String s : list) {
      out.write(2);
      string(out, s);
    }
    out.write(1);
  }

  private static void identityList(Bytes out, List<Identity> list) {
    for (Identity id : list) {
      out.write(2);
      string(out, id.entityType());
      string(out, id.perspective());
      string(out, id.uid());
    }
    out.write(1);
  }

  private static void instant(Bytes out, long t) {
    long u = t ^ Long.MIN_VALUE;
    for (int shift = 56; shift >= 0; shift -= 8) {
      out.write((int) (u >>> shift) & 0xFF);
    }
  }

  /**
   * A growable byte array without {@link java.io.ByteArrayOutputStream}'s per-write lock: keys are
   * built a byte at a time on the write path (docs/BENCHMARKS.md, round 3).
   */
  private static final class Bytes {
    private byte[] buf;
    private int size;

    Bytes(int capacity) {
      buf = new byte[capacity];
    }

    void write(int b) {
      if (size == buf.length) {
        buf = Arrays.copyOf(buf, buf.length * 2);
      }
      buf[size++] = (byte) b;
    }

    byte[] toByteArray() {
      return Arrays.copyOf(buf, size);
    }
  }
}
