package io.tempora.engine.store;

import io.tempora.engine.conflict.ConflictItem;
import io.tempora.engine.model.EntityEvent;
import io.tempora.engine.model.EntityRow;
import io.tempora.engine.model.Identity;
import io.tempora.engine.model.RecordVersion;
import io.tempora.engine.ontology.Ontology;
import io.tempora.engine.ontology.TupleKey;
import io.tempora.engine.temporal.IntervalSet;
import java.util.List;

/**
 * The single write unit of one request: reads see the transaction's own writes, {@link #commit()}
 * makes all of them visible atomically, and closing without commit discards them. At most one
 * transaction is open per store; the opener closes it.
 */
public interface StoreTxn extends StoreView {
  /** Replaces the counters and resolution state. */
  void putMeta(StoreMeta meta);

  /** Stores an ontology version. */
  void putOntology(int version, Ontology ontology);

  /** Maps an identity to its record id (never removed). */
  void putIdentity(Identity identity, long recordId);

  /** Writes a new current version of a record and appends it to the record's history. */
  void putRecord(RecordVersion version);

  /** Adds or replaces a posting of a key tuple. */
  void putPosting(TupleKey key, long recordId, IntervalSet intervals);

  /** Removes a posting of a key tuple. */
  void deletePosting(TupleKey key, long recordId);

  /** Adds or replaces the coverage of {@code (attr, value)} in a record. */
  void putValuePosting(String attr, String value, long recordId, IntervalSet coverage);

  /** Removes a value posting. */
  void deleteValuePosting(String attr, String value, long recordId);

  /** Sets the entity of a live record; 0 removes the membership. */
  void setEntityOf(long recordId, long entityId);

  /** Writes the row of an entity id. */
  void putEntity(EntityRow row);

  /** Replaces the items of a conflict unit; an empty list removes the unit. */
  void putConflicts(String unit, List<ConflictItem> items);

  /** Appends the events of one transaction. */
  void appendEvents(List<EntityEvent> events);

  /**
   * Appends a piece of the events of transaction {@code tx}: they take positions {@code first},
   * {@code first + 1}, … of its list, which holds {@code total} events once every piece is in.
   * Pieces come in order, each starting where the one before ended (a transaction may {@link
   * #spill()} between them); a piece at {@code first = 0} replaces any earlier list of {@code tx}.
   * Once all pieces are in, the list reads as if {@link #appendEvents(List)} had written it at
   * once. Lets an ontology switch write its events in pieces (docs/storage.md, "Ontology switch").
   *
   * @throws IllegalArgumentException if an event is of another tx, or the piece ends after {@code
   *     total}
   * @throws IllegalStateException if the stored list of {@code tx} does not end at {@code first}
   */
  void appendEvents(long tx, long first, long total, List<EntityEvent> events);

  /** The argument checks of {@link #appendEvents(long, long, long, List)}. */
  static void checkPiece(long tx, long first, long total, List<EntityEvent> events) {
    if (first < 0 || first + events.size() > total) {
      throw new IllegalArgumentException(
          "appendEvents: a piece of "
              + events.size()
              + " events at "
              + first
              + " does not fit a list of "
              + total);
    }
    for (EntityEvent e : events) {
      if (e.tx() != tx) {
        throw new IllegalArgumentException(
            "appendEvents: an event of transaction " + e.tx() + " in a piece of " + tx);
      }
    }
  }

  /**
   * Stores a row of a job's scratch state (a key range apart from the data, kept until deleted),
   * written with the transaction's other rows and, like them, spilled by {@link #spill()}.
   */
  void putJobRow(byte[] key, byte[] value);

  /** Removes a job row. */
  void deleteJobRow(byte[] key);

  /**
   * A spill point of a long transaction (an ontology switch): the store may write the rows so far
   * as one atomic piece, bounded in size, and start collecting the next piece. Reads of this
   * transaction still see every write; views opened by readers keep showing the state from before
   * the transaction's first spill until {@link #commit()}. Spilled pieces are not acknowledged:
   * closing without commit leaves them in place (a job that spilled must be finished from its job
   * rows, which every spilled piece carries with the data it describes). A store may also keep
   * everything in the one transaction (the in-memory store does).
   *
   * @throws IllegalStateException if the transaction wrote something a spill cannot carry (the disk
   *     store: superseded record versions)
   */
  void spill();

  /**
   * Makes every write of this transaction visible at once, as one atomic unit.
   *
   * @return a handle to wait for durability outside any lock the caller holds
   */
  Commit commit();
}
