package io.tempora.persistence.export;

import io.tempora.engine.conflict.EntityConflicts;
import io.tempora.engine.link.LiveRecord;
import io.tempora.engine.model.Descriptor;
import io.tempora.engine.model.EntityRow;
import io.tempora.engine.model.Ids;
import io.tempora.engine.model.RecordVersion;
import io.tempora.engine.query.Query;
import io.tempora.engine.store.Cursor;
import io.tempora.engine.store.StoreView;
import io.tempora.engine.temporal.Interval;
import java.util.List;
import java.util.function.Consumer;

/**
 * The rows of STORAGE.md §6.2 read from one {@link StoreView}, handed to a sink one at a time while
 * the view's cursors advance: memory holds one record (or one entity's members), never the whole
 * shard. Stateless; the caller owns and closes the view.
 */
public final class ExportRows {
  private ExportRows() {}

  /** One row per descriptor piece of each live record, ascending by record id. */
  public static void records(StoreView view, Consumer<ExportRow> sink) {
    try (Cursor<Long> ids = view.liveRecords(0)) {
      while (ids.hasNext()) {
        long rid = ids.next();
        RecordVersion current = view.record(rid);
        Long entity = nullIfZero(view.entityOf(rid));
        emit(current, entity, null, null, sink);
      }
    }
  }

  /**
   * Every version of every record this shard holds: the records it created (counters below {@code
   * nextRecord}, deleted ones included) then live records created by other shards; per record in
   * version order. A version yields one row per descriptor piece, a tombstone one row without
   * attribute, value or interval. {@code entity_id} is the record's current entity (null once
   * deleted).
   */
  public static void versions(StoreView view, int shardId, Consumer<ExportRow> sink) {
    long next = view.meta().nextRecord();
    for (long counter = 1; counter < next; counter++) {
      history(view, Ids.of(shardId, counter), sink);
    }
    try (Cursor<Long> ids = view.liveRecords(0)) {
      while (ids.hasNext()) {
        long rid = ids.next();
        if (Ids.shard(rid) != shardId) {
          history(view, rid, sink);
        }
      }
    }
  }

  private static void history(StoreView view, long rid, Consumer<ExportRow> sink) {
    Long entity = nullIfZero(view.entityOf(rid));
    try (Cursor<RecordVersion> versions = view.history(rid)) {
      RecordVersion previous = null;
      while (versions.hasNext()) {
        RecordVersion v = versions.next();
        if (previous != null) {
          emit(previous, entity, previous.kind().name(), v.tx(), sink);
        }
        previous = v;
      }
      if (previous != null) {
        emit(previous, entity, previous.kind().name(), null, sink);
      }
    }
  }

  private static void emit(
      RecordVersion v, Long entity, String kind, Long supersededTx, Consumer<ExportRow> sink) {
    if (v.isDeleted()) {
      sink.accept(row(v, null, entity, kind, supersededTx));
      return;
    }
    for (Descriptor d : v.descriptors().pieces()) {
      sink.accept(row(v, d, entity, kind, supersededTx));
    }
  }

  private static ExportRow row(
      RecordVersion v, Descriptor d, Long entity, String kind, Long supersededTx) {
    return new ExportRow(
        v.recordId(),
        v.identity().entityType(),
        v.identity().perspective(),
        v.identity().uid(),
        v.version(),
        v.tx(),
        d == null ? null : d.attr(),
        d == null ? null : d.value(),
        d == null ? null : start(d.start()),
        d == null ? null : end(d.end()),
        entity,
        kind,
        supersededTx);
  }

  /** One row per golden entry (DOMAIN.md §8, over all time) of each active entity, by entity id. */
  public static void golden(StoreView view, Consumer<GoldenRow> sink) {
    try (Cursor<Long> ids = view.activeEntities(0)) {
      while (ids.hasNext()) {
        long eid = ids.next();
        EntityRow row = view.entity(eid);
        List<LiveRecord> members = Query.loadMembers(view, eid);
        for (Descriptor d : EntityConflicts.golden(members, null)) {
          sink.accept(
              new GoldenRow(
                  eid,
                  row.entityType(),
                  d.attr(),
                  d.value(),
                  start(d.start()),
                  end(d.end()),
                  members.size()));
        }
      }
    }
  }

  private static Long start(long start) {
    return start == Interval.NEG_INF ? null : start;
  }

  private static Long end(long end) {
    return end == Interval.POS_INF ? null : end;
  }

  private static Long nullIfZero(long id) {
    return id == 0 ? null : id;
  }
}
