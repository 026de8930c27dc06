package io.tempora.persistence.rocks;

import io.tempora.engine.store.Cursor;
import io.tempora.engine.temporal.Interval;
import io.tempora.persistence.codec.RecordSummary;
import io.tempora.persistence.codec.ValueCodec;
import java.nio.ByteBuffer;
import java.util.function.BiConsumer;

/**
 * The record ↔ index checks of {@code temporal}, {@code entity_type_idx} and {@code
 * perspective_idx} (STORAGE.md §3, §3.3, §5): every live record has its rows and every row names a
 * live record that has it; each temporal key has its twin in the other order and sits on a marked
 * level. Read-only; memory is bounded by one record's rows.
 */
final class IndexVerifier {
  private final RocksView view;
  private final BiConsumer<String, String> report;
  private final TemporalIndex.Levels levels;

  private IndexVerifier(RocksView view, BiConsumer<String, String> report) {
    this.view = view;
    this.report = report;
    this.levels = TemporalIndex.Levels.decode(view.get(Cf.META, TemporalIndex.LEVELS_KEY));
  }

  /** Checks the view, reporting (problem class, example) pairs. */
  static void verify(RocksView view, BiConsumer<String, String> report) {
    IndexVerifier v = new IndexVerifier(view, report);
    v.records();
    v.temporalRows();
    v.idRows(Cf.ENTITY_TYPE_IDX);
    v.idRows(Cf.PERSPECTIVE_IDX);
  }

  private static String id(long id) {
    return Long.toUnsignedString(id);
  }

  private void records() {
    try (Cursor<byte[]> c = view.scan(Cf.RECORDS, new byte[0], null, this::record)) {
      c.toList();
    }
  }

  private byte[] record(byte[] key, byte[] value) {
    long rid = Keys.u64(key, 0);
    RecordSummary r = ValueCodec.recordSummary(rid, value);
    if (r.deleted()) {
      return null;
    }
    if (view.get(Cf.ENTITY_TYPE_IDX, RecordIndexes.idRow(r.typeId(), rid)) == null) {
      report.accept("missing entity_type_idx row", "record " + id(rid));
    }
    if (view.get(Cf.PERSPECTIVE_IDX, RecordIndexes.idRow(r.perspectiveId(), rid)) == null) {
      report.accept("missing perspective_idx row", "record " + id(rid));
    }
    for (Interval i : r.intervals()) {
      TemporalIndex.Span s = TemporalIndex.Span.of(i);
      if (view.get(Cf.TEMPORAL, TemporalIndex.byStart(s, rid)) == null
          || view.get(Cf.TEMPORAL, TemporalIndex.byEnd(s, rid)) == null) {
        report.accept("missing temporal row", "record " + id(rid) + " " + i);
      }
      if (!levels.has(s.level())) {
        report.accept("temporal level not marked", "level " + s.level() + " record " + id(rid));
      }
    }
    return null;
  }

  private void temporalRows() {
    try (Cursor<byte[]> c = view.scan(Cf.TEMPORAL, new byte[0], null, this::temporalRow)) {
      c.toList();
    }
  }

  private byte[] temporalRow(byte[] key, byte[] value) {
    if (key.length != TemporalIndex.KEY_BYTES
        || (key[0] != TemporalIndex.BY_START && key[0] != TemporalIndex.BY_END)) {
      report.accept("malformed temporal row", "key of " + key.length + " bytes, tag " + key[0]);
      return null;
    }
    boolean byStart = key[0] == TemporalIndex.BY_START;
    long a = Keys.u64(key, byStart ? 2 : 10);
    long b = Keys.u64(key, byStart ? 10 : 2);
    long rid = Keys.lastU64(key);
    if (Long.compareUnsigned(a, b) > 0 || b == -1L) {
      report.accept("malformed temporal row", "record " + id(rid) + " positions out of order");
      return null;
    }
    TemporalIndex.Span s = new TemporalIndex.Span(a, b);
    if (key[1] != s.level()) {
      report.accept("temporal row on the wrong level", "record " + id(rid) + " " + s.interval());
      return null;
    }
    byte[] twin = byStart ? TemporalIndex.byEnd(s, rid) : TemporalIndex.byStart(s, rid);
    if (view.get(Cf.TEMPORAL, twin) == null) {
      report.accept("temporal row without its twin", "record " + id(rid) + " " + s.interval());
    }
    if (byStart && !holds(rid, s.interval())) {
      report.accept("dangling temporal row", "record " + id(rid) + " " + s.interval());
    }
    return null;
  }

  private boolean holds(long rid, Interval i) {
    byte[] v = view.get(Cf.RECORDS, Keys.u64(rid));
    if (v == null) {
      return false;
    }
    RecordSummary r = ValueCodec.recordSummary(rid, v);
    return !r.deleted() && r.intervals().contains(i);
  }

  private void idRows(Cf cf) {
    try (Cursor<byte[]> c =
        view.scan(
            cf,
            new byte[0],
            null,
            (k, v) -> {
              idRow(cf, k);
              return null;
            })) {
      c.toList();
    }
  }

  private void idRow(Cf cf, byte[] key) {
    if (key.length != 12) {
      report.accept("malformed " + cf.cfName() + " row", "key of " + key.length + " bytes");
      return;
    }
    long rid = Keys.lastU64(key);
    long indexed = Integer.toUnsignedLong(ByteBuffer.wrap(key, 0, 4).getInt());
    byte[] v = view.get(Cf.RECORDS, Keys.u64(rid));
    RecordSummary r = v == null ? null : ValueCodec.recordSummary(rid, v);
    long actual = r == null ? -1 : cf == Cf.ENTITY_TYPE_IDX ? r.typeId() : r.perspectiveId();
    if (r == null || r.deleted() || actual != indexed) {
      report.accept("dangling " + cf.cfName() + " row", "record " + id(rid));
    }
  }
}
