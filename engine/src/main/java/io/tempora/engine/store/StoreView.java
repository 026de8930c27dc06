package io.tempora.engine.store;

import io.tempora.engine.conflict.ConflictItem;
import io.tempora.engine.model.EntityEvent;
import io.tempora.engine.model.EntityRow;
import io.tempora.engine.model.Identity;
import io.tempora.engine.model.RecordVersion;
import io.tempora.engine.ontology.Ontology;
import io.tempora.engine.ontology.TupleKey;
import java.util.List;
import java.util.OptionalLong;

/**
 * A consistent read view of one shard's store. Every method is a point lookup or a bounded
 * prefix/range scan returning a {@link Cursor}; nothing requires the whole data set in memory. Ids
 * are ordered as unsigned 64-bit numbers. A view is used by one thread and closed by its opener.
 */
public interface StoreView extends AutoCloseable {
  /** Counters and resolution state. */
  StoreMeta meta();

  /** Live records, active entities and conflict items, maintained with every write: O(1). */
  StoreCounts counts();

  /** The ontology document of a version, or {@code null} if never stored (version 0 is empty). */
  Ontology ontology(int version);

  /** The record id of an identity, if it was ever created. */
  OptionalLong recordId(Identity identity);

  /** The current version of a record (tombstones included), or {@code null}. */
  RecordVersion record(long recordId);

  /**
   * Every kept version of a record, ascending: every version unless history retention removed older
   * ones (then it starts at the oldest version kept, see {@link #historyFromTx()}).
   */
  Cursor<RecordVersion> history(long recordId);

  /**
   * The first transaction whose superseded versions are all kept: 1 unless history retention
   * (STORAGE.md §8) removed versions superseded before it. The default keeps every version.
   */
  default long historyFromTx() {
    return 1;
  }

  /** The live records yielding a key tuple, ascending by record id. */
  Cursor<Posting> postings(TupleKey key);

  /** The live records holding {@code (attr, value)}, with its coverage, ascending by record id. */
  Cursor<Posting> valuePostings(String attr, String value);

  /** Live record ids greater than {@code afterId} (unsigned; 0 for the first), ascending. */
  Cursor<Long> liveRecords(long afterId);

  /** The entity holding a live record, or 0. */
  long entityOf(long recordId);

  /** Member record ids of an active entity, ascending. */
  Cursor<Long> members(long entityId);

  /** The row of an entity id, or {@code null} if never issued. */
  EntityRow entity(long entityId);

  /** Ids merged directly into {@code entityId}, ascending. */
  Cursor<Long> aliases(long entityId);

  /** Active entity ids greater than {@code afterId} (unsigned), ascending. */
  Cursor<Long> activeEntities(long afterId);

  /** Keys of the conflict units whose items name the entity. */
  Cursor<String> conflictUnits(long entityId);

  /** The items of one conflict unit (empty if none). */
  List<ConflictItem> conflicts(String unit);

  /** Conflict items in §7.4 order with {@code after < key < before} (either bound may be null). */
  Cursor<ConflictEntry> conflictRange(byte[] after, byte[] before);

  /**
   * The job rows whose keys start with {@code prefix} and sort after {@code after} (null: from the
   * prefix on), ascending by key as unsigned bytes (see {@link StoreTxn#putJobRow}).
   */
  Cursor<JobRow> jobRows(byte[] prefix, byte[] after);

  /** The value of a job row, or {@code null}. */
  byte[] jobRow(byte[] key);

  /** Events with {@code tx >= fromTx}, in order. */
  Cursor<EntityEvent> events(long fromTx);

  /**
   * As {@link #events(long)}, without the first {@code skip} events of transaction {@code fromTx}
   * (positions count from 0 in §6.2 order). The default reads and drops them; a store whose keys
   * carry the position seeks instead.
   */
  default Cursor<EntityEvent> events(long fromTx, long skip) {
    return dropLeading(events(fromTx), fromTx, skip);
  }

  /** {@code events} without its first {@code n} events of transaction {@code tx}. */
  static Cursor<EntityEvent> dropLeading(Cursor<EntityEvent> events, long tx, long n) {
    EntityEvent first = null;
    for (long dropped = 0; events.hasNext(); dropped++) {
      EntityEvent e = events.next();
      if (e.tx() != tx || dropped >= n) {
        first = e;
        break;
      }
    }
    if (first == null) {
      return events;
    }
    EntityEvent head = first;
    return new Cursor<>() {
      private boolean headTaken;

      @Override
      public boolean hasNext() {
        return !headTaken || events.hasNext();
      }

      @Override
      public EntityEvent next() {
        if (!headTaken) {
          headTaken = true;
          return head;
        }
        return events.next();
      }

      @Override
      public void close() {
        events.close();
      }
    };
  }

  @Override
  void close();
}
