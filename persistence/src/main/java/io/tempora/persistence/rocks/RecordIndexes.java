package io.tempora.persistence.rocks;

import io.tempora.engine.store.Cursor;
import io.tempora.engine.temporal.Interval;
import io.tempora.persistence.codec.Dictionary.Kind;
import io.tempora.persistence.codec.RecordSummary;
import io.tempora.persistence.codec.ValueCodec;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.OptionalLong;
import java.util.Set;

/**
 * Keeps the per-record indexes of one transaction in its batch (ST-4): {@code temporal} (§3.3, with
 * {@code meta/temporal_levels}), {@code entity_type_idx} and {@code perspective_idx}. A live record
 * version has its rows; a tombstone has none. Only the difference between the previous and the new
 * version is written. Used by the transaction's one thread.
 */
final class RecordIndexes {
  private final Source source;
  private final Batch batch;
  private TemporalIndex.Levels levels;

  RecordIndexes(Source source, Batch batch) {
    this.source = source;
    this.batch = batch;
  }

  /** The key of an {@code entity_type_idx} or {@code perspective_idx} row. */
  static byte[] idRow(long id, long rid) {
    return ByteBuffer.allocate(12).putInt((int) id).putLong(rid).array();
  }

  /**
   * Writes the index changes of a record going from {@code before} (encoded version, or null if
   * none) to {@code after} (encoded version).
   */
  void recordChanged(long rid, byte[] before, byte[] after) {
    RecordSummary old = before == null ? null : ValueCodec.recordSummary(rid, before);
    RecordSummary now = ValueCodec.recordSummary(rid, after);
    boolean wasLive = old != null && !old.deleted();
    boolean isLive = !now.deleted();
    idIndex(Cf.ENTITY_TYPE_IDX, rid, wasLive, old == null ? 0 : old.typeId(), isLive, now.typeId());
    idIndex(
        Cf.PERSPECTIVE_IDX,
        rid,
        wasLive,
        old == null ? 0 : old.perspectiveId(),
        isLive,
        now.perspectiveId());
    Set<TemporalIndex.Span> removed = spans(old);
    Set<TemporalIndex.Span> added = spans(now);
    Set<TemporalIndex.Span> kept = new HashSet<>(removed);
    kept.retainAll(added);
    removed.removeAll(kept);
    added.removeAll(kept);
    for (TemporalIndex.Span s : removed) {
      batch.delete(Cf.TEMPORAL, TemporalIndex.byStart(s, rid));
      batch.delete(Cf.TEMPORAL, TemporalIndex.byEnd(s, rid));
    }
    for (TemporalIndex.Span s : added) {
      batch.put(Cf.TEMPORAL, TemporalIndex.byStart(s, rid), new byte[0]);
      batch.put(Cf.TEMPORAL, TemporalIndex.byEnd(s, rid), new byte[0]);
      mark(s.level());
    }
  }

  /**
   * Live record ids of an entity type (or perspective, with {@link Cf#PERSPECTIVE_IDX}) greater
   * than {@code afterRid} (unsigned), ascending; empty for a string never interned.
   */
  static Cursor<Long> recordsOf(RocksView view, Cf cf, String name, long afterRid) {
    if (cf != Cf.ENTITY_TYPE_IDX && cf != Cf.PERSPECTIVE_IDX) {
      throw new IllegalArgumentException(cf.cfName() + " is not a type or perspective index");
    }
    Kind kind = cf == Cf.ENTITY_TYPE_IDX ? Kind.TYPE : Kind.PERSPECTIVE;
    OptionalLong id = view.find(kind, name);
    if (id.isEmpty() || afterRid == -1L) {
      return Cursor.of(List.<Long>of().iterator());
    }
    byte[] prefix = Arrays.copyOf(idRow(id.getAsLong(), 0), 4);
    return view.scan(
        cf, idRow(id.getAsLong(), afterRid + 1), Keys.prefixEnd(prefix), (k, v) -> Keys.lastU64(k));
  }

  private void idIndex(Cf cf, long rid, boolean wasLive, long oldId, boolean isLive, long newId) {
    if (wasLive && (!isLive || oldId != newId)) {
      batch.delete(cf, idRow(oldId, rid));
    }
    if (isLive && (!wasLive || oldId != newId)) {
      batch.put(cf, idRow(newId, rid), new byte[0]);
    }
  }

  private static Set<TemporalIndex.Span> spans(RecordSummary r) {
    Set<TemporalIndex.Span> out = new HashSet<>();
    if (r != null) {
      for (Interval i : r.intervals()) {
        out.add(TemporalIndex.Span.of(i));
      }
    }
    return out;
  }

  /** Marks a level in {@code meta/temporal_levels} in this batch unless it is marked already. */
  private void mark(int level) {
    if (levels == null) {
      levels = TemporalIndex.Levels.decode(source.get(Cf.META, TemporalIndex.LEVELS_KEY));
    }
    if (!levels.has(level)) {
      levels = levels.with(level);
      batch.put(Cf.META, TemporalIndex.LEVELS_KEY, levels.encode());
    }
  }
}
