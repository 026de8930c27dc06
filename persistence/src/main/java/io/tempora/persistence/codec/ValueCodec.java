package io.tempora.persistence.codec;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.KryoException;
import com.esotericsoftware.kryo.io.Input;
import com.esotericsoftware.kryo.io.Output;
import com.esotericsoftware.kryo.util.Pool;
import io.tempora.engine.conflict.ConflictItem;
import io.tempora.engine.model.AttrValue;
import io.tempora.engine.model.Descriptors;
import io.tempora.engine.model.EntityEvent;
import io.tempora.engine.model.EntityRow;
import io.tempora.engine.model.Identity;
import io.tempora.engine.model.RecordVersion;
import io.tempora.engine.model.RecordVersion.ChangeKind;
import io.tempora.engine.ontology.Ontology;
import io.tempora.engine.store.StoreMeta;
import io.tempora.engine.temporal.Interval;
import io.tempora.engine.temporal.IntervalSet;
import io.tempora.persistence.codec.Dictionary.Kind;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Function;

/**
 * Encodes and decodes every stored value (docs/storage.md). Each value starts with the layout byte
 * {@link #LAYOUT} (a packed events value with {@link #PACKED_EVENTS_LAYOUT}); an unknown layout
 * fails loudly instead of being misread. Kryo instances are pooled because they are not
 * thread-safe; this class is thread-safe.
 */
public final class ValueCodec {
  /** The value layout of every value but packed events. */
  public static final int LAYOUT = 1;

  /**
   * The layout of an {@code events} value holding several events ({@link #packedEvents(List)}),
   * written only for a transaction with more events than its u16 ordinals can number.
   */
  public static final int PACKED_EVENTS_LAYOUT = 2;

  private static final Pool<Kryo> KRYOS =
      new Pool<>(true, false, 64) {
        @Override
        protected Kryo create() {
          return newKryo();
        }
      };

  private static Kryo newKryo() {
    Kryo kryo = new Kryo();
    Serializers.register(kryo);
    return kryo;
  }

  private static final Pool<Output> OUTPUTS =
      new Pool<>(true, false, 64) {
        @Override
        protected Output create() {
          return new Output(256, -1);
        }
      };

  /**
   * Each thread's own Kryo and output, used when the thread is not already inside an encode or
   * decode (nested calls take the pools). Cheaper than the pools, whose queue is shared by every
   * writer and reader: the write path encodes a few dozen values per record (docs/BENCHMARKS.md).
   */
  private static final class Local {
    final Kryo kryo = newKryo();
    Output out = new Output(256, -1);
    boolean busy;
  }

  private static final ThreadLocal<Local> LOCAL = ThreadLocal.withInitial(Local::new);

  /** Output buffers above this size are not kept per thread. */
  private static final int LOCAL_OUTPUT_MAX = 64 * 1024;

  private ValueCodec() {}

  /** A value's writer: gets the pooled Kryo and an output positioned after the layout byte. */
  @FunctionalInterface
  private interface Writer {
    void write(Kryo kryo, Output out);
  }

  private static byte[] encode(Writer w) {
    return encode(LAYOUT, w);
  }

  private static byte[] encode(int layout, Writer w) {
    Local local = LOCAL.get();
    if (local.busy) {
      return encodePooled(layout, w); // a nested call on this thread
    }
    local.busy = true;
    Output out = local.out;
    try {
      out.reset();
      out.writeByte(layout);
      w.write(local.kryo, out);
      return out.toBytes();
    } finally {
      if (out.getBuffer().length > LOCAL_OUTPUT_MAX) {
        local.out = new Output(256, -1); // a rare large value: do not keep its buffer
      }
      local.busy = false;
    }
  }

  private static byte[] encodePooled(int layout, Writer w) {
    Kryo kryo = KRYOS.obtain();
    Output out = OUTPUTS.obtain();
    try {
      out.reset();
      out.writeByte(layout);
      w.write(kryo, out);
      return out.toBytes();
    } finally {
      OUTPUTS.free(out);
      KRYOS.free(kryo);
    }
  }

  private static <T> T decode(byte[] bytes, String what, Function<Input, T> r) {
    if (bytes.length == 0 || bytes[0] != LAYOUT) {
      throw new IllegalStateException(
          what
              + ": unknown value layout "
              + (bytes.length == 0 ? "(empty)" : Integer.toString(bytes[0] & 0xFF))
              + ", this build reads "
              + LAYOUT);
    }
    try {
      Input in = new Input(bytes, 1, bytes.length - 1);
      return r.apply(in);
    } catch (KryoException | IllegalArgumentException e) {
      throw new IllegalStateException(what + ": undecodable value: " + e.getMessage(), e);
    }
  }

  private static <T> T read(Input in, Class<T> type) {
    Local local = LOCAL.get();
    if (local.busy) {
      Kryo kryo = KRYOS.obtain(); // a nested call on this thread
      try {
        return kryo.readObject(in, type);
      } finally {
        KRYOS.free(kryo);
      }
    }
    local.busy = true;
    try {
      return local.kryo.readObject(in, type);
    } finally {
      local.busy = false;
    }
  }

  /** Interval set value: varint count, then enc(start) enc(end) per piece. */
  public static byte[] intervals(IntervalSet set) {
    return encode((k, out) -> k.writeObject(out, set));
  }

  /** Decodes {@link #intervals(IntervalSet)}. */
  public static IntervalSet intervals(byte[] b) {
    return decode(b, "interval set", in -> read(in, IntervalSet.class));
  }

  /** Store metadata value. */
  public static byte[] storeMeta(StoreMeta m) {
    return encode((k, out) -> k.writeObject(out, m));
  }

  /** Decodes {@link #storeMeta(StoreMeta)}. */
  public static StoreMeta storeMeta(byte[] b) {
    return decode(b, "store meta", in -> read(in, StoreMeta.class));
  }

  /** Entity row value (the id is in the key). */
  public static byte[] entityRow(EntityRow r) {
    return encode((k, out) -> k.writeObject(out, r));
  }

  /** Decodes {@link #entityRow(EntityRow)} for the id of its key. */
  public static EntityRow entityRow(long entityId, byte[] b) {
    EntityRow r = decode(b, "entity row", in -> read(in, EntityRow.class));
    return new EntityRow(entityId, r.status(), r.entityType(), r.mergedInto(), r.deletedTx());
  }

  /** Event value. */
  public static byte[] event(EntityEvent e) {
    return encode((k, out) -> k.writeObject(out, e));
  }

  /** Decodes {@link #event(EntityEvent)}. */
  public static EntityEvent event(byte[] b) {
    return decode(b, "event", in -> read(in, EntityEvent.class));
  }

  /**
   * Several events of one transaction under one {@code events} key: {@code 02 varint n, n × event}
   * (each event as in {@link #event(EntityEvent)} without its layout byte), {@code n >= 1}.
   */
  public static byte[] packedEvents(List<EntityEvent> events) {
    if (events.isEmpty()) {
      throw new IllegalArgumentException("packed events: empty list");
    }
    return encode(
        PACKED_EVENTS_LAYOUT,
        (k, out) -> {
          out.writeVarInt(events.size(), true);
          events.forEach(e -> k.writeObject(out, e));
        });
  }

  /**
   * The events of one {@code events} value in stored order: one for layout 1 ({@link
   * #event(EntityEvent)}), n for layout 2 ({@link #packedEvents(List)}). Fails naming the problem
   * for any other layout, an empty or truncated pack, or bytes left over after the last event.
   */
  public static List<EntityEvent> events(byte[] b) {
    if (b.length > 0 && b[0] == PACKED_EVENTS_LAYOUT) {
      try {
        Input in = new Input(b, 1, b.length - 1);
        int n = in.readVarInt(true);
        if (n < 1 || n > b.length) {
          throw new IllegalStateException("packed events: bad count " + n);
        }
        List<EntityEvent> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
          out.add(read(in, EntityEvent.class));
        }
        if (in.position() != in.limit()) {
          throw new IllegalStateException(
              "packed events: " + (in.limit() - in.position()) + " bytes after event " + n);
        }
        return out;
      } catch (KryoException | IllegalArgumentException e) {
        throw new IllegalStateException("packed events: undecodable value: " + e.getMessage(), e);
      }
    }
    if (b.length > 0 && b[0] != LAYOUT) {
      throw new IllegalStateException(
          "event: unknown value layout "
              + (b[0] & 0xFF)
              + ", this build reads "
              + LAYOUT
              + " and "
              + PACKED_EVENTS_LAYOUT);
    }
    return List.of(event(b));
  }

  /** Ontology document value. */
  public static byte[] ontology(Ontology o) {
    return encode((k, out) -> k.writeObject(out, o));
  }

  /** Decodes {@link #ontology(Ontology)}. */
  public static Ontology ontology(byte[] b) {
    return decode(b, "ontology", in -> read(in, Ontology.class));
  }

  /** One conflict item: u8 kind, then the item's fields. */
  public static byte[] conflictItem(ConflictItem item) {
    return encode((k, out) -> writeItem(k, out, item));
  }

  /** Decodes {@link #conflictItem(ConflictItem)}. */
  public static ConflictItem conflictItem(byte[] b) {
    return decode(b, "conflict item", ValueCodec::readItem);
  }

  /** The items of a conflict unit: varint count, then each as in {@link #conflictItem}. */
  public static byte[] conflictItems(List<ConflictItem> items) {
    return encode(
        (k, out) -> {
          out.writeVarInt(items.size(), true);
          items.forEach(i -> writeItem(k, out, i));
        });
  }

  /**
   * The bytes of {@link #conflictItems(List)} built from the items' {@link #conflictItem} encodings
   * (each without its layout byte), so a writer that needs both encodes every item once.
   */
  public static byte[] conflictItemsOf(List<byte[]> encodedItems) {
    return encode(
        (k, out) -> {
          out.writeVarInt(encodedItems.size(), true);
          for (byte[] b : encodedItems) {
            if (b.length == 0 || b[0] != LAYOUT) {
              throw new IllegalArgumentException("not a conflict item encoding");
            }
            out.writeBytes(b, 1, b.length - 1);
          }
        });
  }

  /** Decodes {@link #conflictItems(List)}. */
  public static List<ConflictItem> conflictItems(byte[] b) {
    return decode(
        b,
        "conflict unit",
        in -> {
          int n = in.readVarInt(true);
          List<ConflictItem> out = new ArrayList<>(n);
          for (int i = 0; i < n; i++) {
            out.add(readItem(in));
          }
          return List.copyOf(out);
        });
  }

  private static void writeItem(Kryo kryo, Output out, ConflictItem item) {
    out.writeByte(item.kind().ordinal());
    kryo.writeObject(out, item);
  }

  private static ConflictItem readItem(Input in) {
    ConflictItem.Kind kind =
        Primitives.enumOf(ConflictItem.Kind.values(), in.readByte(), "conflict kind");
    return switch (kind) {
      case DIRECT -> read(in, ConflictItem.Direct.class);
      case BLOCKED_MERGE -> read(in, ConflictItem.BlockedMerge.class);
      case CONSTRAINT -> read(in, ConflictItem.ConstraintViolation.class);
    };
  }

  /**
   * A record version: u8 layout, u8 kind, varint version, varlong tx, varint type id, varint
   * perspective id, varint uid length, uid bytes, and for a live version varint n and n × (varint
   * attribute id, varlong value id, enc(start), enc(end)). Strings go through {@code dict}.
   */
  public static byte[] recordVersion(RecordVersion v, Dictionary dict) {
    Identity id = v.identity();
    long type = dict.id(Kind.TYPE, id.entityType());
    long persp = dict.id(Kind.PERSPECTIVE, id.perspective());
    List<long[]> pieces = new ArrayList<>();
    if (!v.isDeleted()) {
      for (Map.Entry<AttrValue, IntervalSet> e : v.descriptors().coverage().entrySet()) {
        long attr = dict.id(Kind.ATTRIBUTE, e.getKey().attr());
        long value = dict.id(Kind.VALUE, e.getKey().value());
        IntervalSet set = e.getValue();
        for (int k = 0; k < set.size(); k++) {
          pieces.add(new long[] {attr, value, set.start(k), set.end(k)});
        }
      }
    }
    byte[] uid = WtfEight.encode(id.uid());
    return encode(
        (k, out) -> {
          out.writeByte(v.kind().ordinal());
          out.writeVarInt(v.version(), true);
          out.writeVarLong(v.tx(), true);
          out.writeVarInt((int) type, true);
          out.writeVarInt((int) persp, true);
          out.writeVarInt(uid.length, true);
          out.writeBytes(uid);
          if (!v.isDeleted()) {
            out.writeVarInt(pieces.size(), true);
            for (long[] p : pieces) {
              out.writeVarInt((int) p[0], true);
              out.writeVarLong(p[1], true);
              Primitives.instant(out, p[2]);
              Primitives.instant(out, p[3]);
            }
          }
        });
  }

  /** True iff an encoded record version is a tombstone (reads one byte). */
  public static boolean isTombstone(byte[] b) {
    return b.length > 1 && b[1] == ChangeKind.DELETED.ordinal();
  }

  /** Decodes {@link #recordVersion(RecordVersion, Dictionary)} for the record id of its key. */
  public static RecordVersion recordVersion(long recordId, byte[] b, Dictionary dict) {
    return decode(
        b, "record " + Long.toUnsignedString(recordId), in -> readVersion(recordId, in, dict));
  }

  /**
   * Reads the type and perspective ids and the distinct piece intervals of an encoded record
   * version without decoding strings (the record indexes' view of it).
   */
  public static RecordSummary recordSummary(long recordId, byte[] b) {
    return decode(b, "record " + Long.toUnsignedString(recordId), ValueCodec::readSummary);
  }

  /**
   * The version number and tx of an encoded record version, without decoding the rest (verify's
   * view of stored history).
   */
  public static VersionStamp versionStamp(long recordId, byte[] b) {
    return decode(
        b,
        "record " + Long.toUnsignedString(recordId),
        in -> {
          Primitives.enumOf(ChangeKind.values(), in.readByte(), "change kind");
          int version = in.readVarInt(true);
          return new VersionStamp(version, in.readVarLong(true));
        });
  }

  private static RecordSummary readSummary(Input in) {
    boolean deleted = in.readByte() == ChangeKind.DELETED.ordinal();
    in.readVarInt(true);
    in.readVarLong(true);
    long type = in.readVarInt(true) & 0xFFFFFFFFL;
    long persp = in.readVarInt(true) & 0xFFFFFFFFL;
    in.skip(in.readVarInt(true));
    SortedSet<Interval> intervals = new TreeSet<>();
    if (!deleted) {
      for (int n = in.readVarInt(true); n > 0; n--) {
        in.readVarInt(true);
        in.readVarLong(true);
        long s = Primitives.instant(in);
        intervals.add(new Interval(s, Primitives.instant(in)));
      }
    }
    return new RecordSummary(deleted, type, persp, intervals);
  }

  private static RecordVersion readVersion(long recordId, Input in, Dictionary dict) {
    ChangeKind kind = Primitives.enumOf(ChangeKind.values(), in.readByte(), "change kind");
    int version = in.readVarInt(true);
    long tx = in.readVarLong(true);
    String type = dict.string(Kind.TYPE, in.readVarInt(true) & 0xFFFFFFFFL);
    String persp = dict.string(Kind.PERSPECTIVE, in.readVarInt(true) & 0xFFFFFFFFL);
    int uidLen = in.readVarInt(true);
    String uid = WtfEight.decode(in.readBytes(uidLen), 0, uidLen);
    Identity identity = new Identity(type, persp, uid);
    if (kind == ChangeKind.DELETED) {
      return new RecordVersion(recordId, identity, version, tx, kind, null);
    }
    SortedMap<AttrValue, List<Interval>> raw = new TreeMap<>();
    for (int n = in.readVarInt(true); n > 0; n--) {
      String attr = dict.string(Kind.ATTRIBUTE, in.readVarInt(true) & 0xFFFFFFFFL);
      String value = dict.string(Kind.VALUE, in.readVarLong(true));
      long s = Primitives.instant(in);
      raw.computeIfAbsent(new AttrValue(attr, value), x -> new ArrayList<>())
          .add(new Interval(s, Primitives.instant(in)));
    }
    SortedMap<AttrValue, IntervalSet> cov = new TreeMap<>();
    raw.forEach((av, list) -> cov.put(av, IntervalSet.union(list)));
    return new RecordVersion(recordId, identity, version, tx, kind, Descriptors.ofCoverage(cov));
  }
}
