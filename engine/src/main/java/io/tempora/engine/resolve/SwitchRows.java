package io.tempora.engine.resolve;

import io.tempora.engine.model.EntityEvent;
import io.tempora.engine.model.Identity;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * The job rows of an ontology switch ({@link OntologySwitch}), byte by byte (docs/storage.md,
 * "Ontology switch"). Keys start with a tag byte; every value starts with the format version
 * {@value #VERSION}; numbers are big-endian, ids unsigned.
 *
 * <ul>
 *   <li>{@code 0x01}: the state: version, phase (u8, {@link OntologySwitch.Phase} ordinal), record
 *       cursor (u64), key cursor (i32 length, -1 = none, then the bytes), conflicts changed (u8),
 *       next event sequence (u64), records passed in the current pass (u64).
 *   <li>{@code 0x02 rid}: a record the walk must skip; value: version.
 *   <li>{@code 0x03 rid}: a deferred unit (starting at {@code rid}); value: version.
 *   <li>{@code 0x04 identity}: the anchor of a group needing a fresh id; identity as three strings,
 *       each code point {@code c} as the 3 bytes of {@code c + 1} and then {@code 00 00 00} (so the
 *       key order is the identity order of DOMAIN.md §0); value: version, fresh id (u64, 0 = not
 *       numbered yet).
 *   <li>{@code 0x05 entity kind seq}: an event: entity id (u64), kind ordinal (u8), sequence (u64);
 *       value: version, tx (u64), kind (u8), entity id (u64), related count (u32), related ids (u64
 *       each).
 * </ul>
 */
final class SwitchRows {
  static final byte VERSION = 1;
  static final byte[] STATE = {1};
  static final byte[] SKIP = {2};
  static final byte[] DEFERRED = {3};
  static final byte[] ANCHORS = {4};
  static final byte[] EVENTS = {5};
  static final byte[] MARK = {VERSION};

  private SwitchRows() {}

  /** The state row's content. */
  record State(
      int phase,
      long cursor,
      byte[] keyCursor,
      boolean conflictsChanged,
      long eventSeq,
      long passRecords) {}

  static byte[] state(State s) {
    int keyLength = s.keyCursor() == null ? 0 : s.keyCursor().length;
    ByteBuffer b = ByteBuffer.allocate(1 + 1 + 8 + 4 + keyLength + 1 + 8 + 8);
    b.put(VERSION).put((byte) s.phase()).putLong(s.cursor());
    if (s.keyCursor() == null) {
      b.putInt(-1);
    } else {
      b.putInt(keyLength).put(s.keyCursor());
    }
    b.put((byte) (s.conflictsChanged() ? 1 : 0)).putLong(s.eventSeq()).putLong(s.passRecords());
    return b.array();
  }

  static State state(byte[] v) {
    ByteBuffer b = versioned(v, "state");
    int phase = b.get();
    if (phase < 0 || phase >= OntologySwitch.Phase.values().length) {
      throw new IllegalStateException("ontology switch job state: unknown phase " + phase);
    }
    long cursor = b.getLong();
    int n = b.getInt();
    byte[] key = null;
    if (n >= 0) {
      key = new byte[n];
      b.get(key);
    }
    boolean changed = b.get() != 0;
    return new State(phase, cursor, key, changed, b.getLong(), b.getLong());
  }

  static byte[] skip(long rid) {
    return idKey(SKIP[0], rid);
  }

  static byte[] deferred(long rid) {
    return idKey(DEFERRED[0], rid);
  }

  /** The record id of a skip or deferred key. */
  static long idOf(byte[] key) {
    return ByteBuffer.wrap(key, 1, 8).getLong();
  }

  private static byte[] idKey(byte tag, long id) {
    return ByteBuffer.allocate(9).put(tag).putLong(id).array();
  }

  static byte[] anchor(Identity id) {
    int n = 1 + 3 * 3;
    for (String s : List.of(id.entityType(), id.perspective(), id.uid())) {
      n += 3 * s.codePointCount(0, s.length());
    }
    ByteBuffer b = ByteBuffer.allocate(n).put(ANCHORS[0]);
    for (String s : List.of(id.entityType(), id.perspective(), id.uid())) {
      s.codePoints().forEach(c -> put3(b, c + 1));
      put3(b, 0);
    }
    return b.array();
  }

  private static void put3(ByteBuffer b, int v) {
    b.put((byte) (v >>> 16)).put((byte) (v >>> 8)).put((byte) v);
  }

  static byte[] freshId(long id) {
    return ByteBuffer.allocate(9).put(VERSION).putLong(id).array();
  }

  static long freshId(byte[] v) {
    return versioned(v, "anchor").getLong();
  }

  static byte[] event(EntityEvent e, long seq) {
    return ByteBuffer.allocate(1 + 8 + 1 + 8)
        .put(EVENTS[0])
        .putLong(e.entityId())
        .put((byte) e.kind().ordinal())
        .putLong(seq)
        .array();
  }

  static byte[] event(EntityEvent e) {
    ByteBuffer b = ByteBuffer.allocate(1 + 8 + 1 + 8 + 4 + 8 * e.relatedIds().size());
    b.put(VERSION).putLong(e.tx()).put((byte) e.kind().ordinal()).putLong(e.entityId());
    b.putInt(e.relatedIds().size());
    e.relatedIds().forEach(b::putLong);
    return b.array();
  }

  static EntityEvent event(byte[] v) {
    ByteBuffer b = versioned(v, "event");
    long tx = b.getLong();
    EntityEvent.Kind kind = EntityEvent.Kind.values()[b.get()];
    long entity = b.getLong();
    int n = b.getInt();
    List<Long> related = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      related.add(b.getLong());
    }
    return new EntityEvent(tx, kind, entity, related);
  }

  private static ByteBuffer versioned(byte[] v, String what) {
    if (v.length == 0 || v[0] != VERSION) {
      throw new IllegalStateException(
          "ontology switch job "
              + what
              + " row: format version "
              + (v.length == 0 ? "missing" : Byte.toString(v[0]))
              + ", this build reads "
              + VERSION);
    }
    return ByteBuffer.wrap(v, 1, v.length - 1);
  }
}
