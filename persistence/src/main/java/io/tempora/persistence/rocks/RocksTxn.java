package io.tempora.persistence.rocks;

import io.tempora.engine.conflict.ConflictItem;
import io.tempora.engine.conflict.ConflictOrder;
import io.tempora.engine.model.EntityEvent;
import io.tempora.engine.model.EntityRow;
import io.tempora.engine.model.Identity;
import io.tempora.engine.model.RecordVersion;
import io.tempora.engine.ontology.Ontology;
import io.tempora.engine.ontology.TupleKey;
import io.tempora.engine.store.Commit;
import io.tempora.engine.store.StoreCounts;
import io.tempora.engine.store.StoreMeta;
import io.tempora.engine.store.StoreTxn;
import io.tempora.engine.temporal.IntervalSet;
import io.tempora.persistence.codec.Dictionary;
import io.tempora.persistence.codec.Dictionary.Kind;
import io.tempora.persistence.codec.ValueCodec;
import io.tempora.persistence.codec.WtfEight;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.function.Function;
import java.util.function.LongSupplier;

/**
 * The write transaction: every write goes into one {@code WriteBatchWithIndex}, reads see it merged
 * over the latest committed state, and {@link #commit()} writes the batch with one {@code db.write}
 * (ST-4). Closing without commit discards the batch. Used by one thread.
 */
final class RocksTxn extends RocksView implements StoreTxn {
  private final Batch batch;
  private final Interner.Pending pending;
  private final RecordIndexes indexes;
  private final Function<RocksTxn, Commit> committer;
  private final java.util.function.Consumer<RocksTxn> spiller;
  private boolean spilled;
  private final HistoryPartitions partitions;
  private final LongSupplier nowSeconds;
  // The history partition of this transaction's superseded versions (-1: none yet), the commit
  // time it was chosen for, and the lowest and highest superseding tx.
  private long historyPart = -1;
  private long historySeconds;
  private long historyMinTx = Long.MAX_VALUE;
  private long historyMaxTx;
  private StoreMeta writtenMeta;
  private StoreCounts counts;
  private long dRecords;
  private long dEntities;
  private long dConflicts;
  private boolean committed;

  RocksTxn(
      Source source,
      Batch batch,
      Interner interner,
      Function<RocksTxn, Commit> committer,
      java.util.function.Consumer<RocksTxn> spiller,
      HistoryPartitions partitions,
      LongSupplier nowSeconds,
      Runnable onClose) {
    super(source, interner, onClose);
    this.batch = batch;
    this.pending = interner.begin();
    this.indexes = new RecordIndexes(source, batch);
    this.committer = committer;
    this.spiller = spiller;
    this.partitions = partitions;
    this.nowSeconds = nowSeconds;
  }

  Interner.Pending pending() {
    return pending;
  }

  /** The meta this transaction wrote, or null. */
  StoreMeta writtenMeta() {
    return writtenMeta;
  }

  private void put(Cf cf, byte[] key, byte[] value) {
    checkWritable();
    batch.put(cf, key, value);
  }

  private void delete(Cf cf, byte[] key) {
    checkWritable();
    batch.delete(cf, key);
  }

  private void checkWritable() {
    checkOpen();
    if (committed) {
      throw new IllegalStateException("transaction already committed");
    }
  }

  private long intern(Kind kind, String s) {
    checkWritable();
    return pending.intern(source(), batch, kind, s);
  }

  /** Interns on write; decodes through the batch on read. */
  @Override
  Dictionary dictionary() {
    Dictionary read = super.dictionary();
    return new Dictionary() {
      @Override
      public long id(Kind kind, String s) {
        return intern(kind, s);
      }

      @Override
      public String string(Kind kind, long id) {
        return read.string(kind, id);
      }
    };
  }

  @Override
  public StoreCounts counts() {
    if (counts == null) {
      counts = super.counts();
    }
    return counts.plus(dRecords, dEntities, dConflicts);
  }

  /** Puts the changed counters into the batch (meta {@code count/*}); called once, at commit. */
  private void writeCounts() {
    if (dRecords == 0 && dEntities == 0 && dConflicts == 0) {
      return;
    }
    StoreCounts c = counts();
    if (dRecords != 0) {
      put(Cf.META, COUNT_RECORDS, Interner.Values.id(c.records()));
    }
    if (dEntities != 0) {
      put(Cf.META, COUNT_ENTITIES, Interner.Values.id(c.entities()));
    }
    if (dConflicts != 0) {
      put(Cf.META, COUNT_CONFLICTS, Interner.Values.id(c.conflicts()));
    }
  }

  @Override
  public void putMeta(StoreMeta meta) {
    put(Cf.META, STORE_META, ValueCodec.storeMeta(meta));
    writtenMeta = meta;
  }

  @Override
  public void putOntology(int version, Ontology ontology) {
    put(Cf.META, Keys.ontology(version), ValueCodec.ontology(ontology));
  }

  @Override
  public void putIdentity(Identity identity, long recordId) {
    long type = intern(Kind.TYPE, identity.entityType());
    long persp = intern(Kind.PERSPECTIVE, identity.perspective());
    put(Cf.IDENTITY, Keys.identity(type, persp, identity.uid()), Interner.Values.id(recordId));
  }

  @Override
  public void putRecord(RecordVersion version) {
    byte[] rid = Keys.u64(version.recordId());
    byte[] current = get(Cf.RECORDS, rid);
    boolean wasLive = false;
    if (current != null) {
      RecordVersion old = ValueCodec.recordVersion(version.recordId(), current, dictionary());
      put(Cf.RECORD_HISTORY, historyKey(version, old.version()), current);
      wasLive = !old.isDeleted();
    }
    dRecords += (version.isDeleted() ? 0 : 1) - (wasLive ? 1 : 0);
    byte[] encoded = ValueCodec.recordVersion(version, dictionary());
    put(Cf.RECORDS, rid, encoded);
    indexes.recordChanged(version.recordId(), current, encoded);
  }

  /**
   * The {@code record_history} key of the version {@code superseding} replaces: the partition is
   * chosen once per transaction, at its first superseded version (STORAGE.md §8).
   */
  private byte[] historyKey(RecordVersion superseding, int supersededVersion) {
    if (historyPart < 0) {
      historySeconds = nowSeconds.getAsLong();
      historyPart = partitions.partFor(historySeconds);
    }
    historyMinTx = Math.min(historyMinTx, superseding.tx());
    historyMaxTx = Math.max(historyMaxTx, superseding.tx());
    return HistoryPartitions.key(historyPart, superseding.recordId(), supersededVersion);
  }

  /** The {@code meta/history/<part>} row this transaction's commit writes, or null if none. */
  HistoryPartitions.Range historyRow() {
    return historyPart < 0
        ? null
        : partitions.committing(historyPart, historyMinTx, historyMaxTx, historySeconds);
  }

  /** Reads see the partition of this transaction's own superseded versions before its row. */
  @Override
  List<HistoryPartitions.Range> historyRanges() {
    List<HistoryPartitions.Range> stored = super.historyRanges();
    HistoryPartitions.Range own = historyRow();
    if (own == null || stored.stream().anyMatch(r -> r.part() == own.part())) {
      return stored;
    }
    List<HistoryPartitions.Range> out = new java.util.ArrayList<>(stored);
    out.add(own);
    return out;
  }

  @Override
  public void putPosting(TupleKey key, long recordId, IntervalSet intervals) {
    put(
        Cf.KEY_POSTINGS,
        Keys.posting(postingPrefix(key), recordId),
        ValueCodec.intervals(intervals));
  }

  @Override
  public void deletePosting(TupleKey key, long recordId) {
    delete(Cf.KEY_POSTINGS, Keys.posting(postingPrefix(key), recordId));
  }

  @Override
  public void putValuePosting(String attr, String value, long recordId, IntervalSet coverage) {
    long a = intern(Kind.ATTRIBUTE, attr);
    long v = intern(Kind.VALUE, value);
    put(Cf.ATTR_VALUE, Keys.attrValue(a, v, recordId), ValueCodec.intervals(coverage));
  }

  @Override
  public void deleteValuePosting(String attr, String value, long recordId) {
    OptionalLong a = find(Kind.ATTRIBUTE, attr);
    OptionalLong v = find(Kind.VALUE, value);
    if (a.isPresent() && v.isPresent()) {
      delete(Cf.ATTR_VALUE, Keys.attrValue(a.getAsLong(), v.getAsLong(), recordId));
    }
  }

  @Override
  public void setEntityOf(long recordId, long entityId) {
    long old = entityOf(recordId);
    if (old != 0) {
      delete(Cf.MEMBERSHIPS, Keys.pair(old, recordId));
      delete(Cf.RECORD_ENTITY, Keys.u64(recordId));
    }
    if (entityId != 0) {
      put(Cf.RECORD_ENTITY, Keys.u64(recordId), Interner.Values.id(entityId));
      put(Cf.MEMBERSHIPS, Keys.pair(entityId, recordId), new byte[0]);
    }
  }

  @Override
  public void putEntity(EntityRow row) {
    long id = row.entityId();
    EntityRow old = entity(id);
    if (old != null && old.status() == EntityRow.Status.MERGED) {
      delete(Cf.ALIASES, Keys.pair(old.mergedInto(), id));
    }
    boolean wasActive = old != null && old.status() == EntityRow.Status.ACTIVE;
    dEntities += (row.status() == EntityRow.Status.ACTIVE ? 1 : 0) - (wasActive ? 1 : 0);
    put(Cf.ENTITY_IDS, Keys.u64(id), ValueCodec.entityRow(row));
    if (row.status() == EntityRow.Status.ACTIVE) {
      put(Cf.ACTIVE_ENTITIES, Keys.u64(id), new byte[0]);
    } else {
      delete(Cf.ACTIVE_ENTITIES, Keys.u64(id));
    }
    if (row.status() == EntityRow.Status.MERGED) {
      put(Cf.ALIASES, Keys.pair(row.mergedInto(), id), new byte[0]);
    }
  }

  @Override
  public void putConflicts(String unit, List<ConflictItem> items) {
    List<ConflictItem> previous = conflicts(unit);
    dConflicts += items.size() - previous.size();
    for (ConflictItem old : previous) {
      delete(Cf.CONFLICT_ORDER, ConflictOrder.key(old));
      for (long id : old.entityIds()) {
        delete(Cf.CONFLICT_UNITS, Keys.u64AndString(id, unit));
      }
    }
    byte[] unitKey = WtfEight.encode(unit);
    if (items.isEmpty()) {
      delete(Cf.CONFLICTS, unitKey);
      return;
    }
    // Each item encoded once: the unit's value is the same bytes as ValueCodec.conflictItems.
    List<byte[]> encoded = new ArrayList<>(items.size());
    for (ConflictItem item : items) {
      encoded.add(ValueCodec.conflictItem(item));
    }
    put(Cf.CONFLICTS, unitKey, ValueCodec.conflictItemsOf(encoded));
    for (int i = 0; i < items.size(); i++) {
      ConflictItem item = items.get(i);
      put(Cf.CONFLICT_ORDER, ConflictOrder.key(item), encoded.get(i));
      for (long id : item.entityIds()) {
        put(Cf.CONFLICT_UNITS, Keys.u64AndString(id, unit), new byte[0]);
      }
    }
  }

  /**
   * Up to {@link #MAX_EVENT_KEYS} events: one per {@code events} key (layout 1). More (an ontology
   * switch changing more entities): packed, {@code ceil(n / MAX_EVENT_KEYS)} events per key in
   * order, the last key holding the rest ({@link ValueCodec#packedEvents(List)}), so the u16
   * ordinal of the specified key never overflows.
   */
  @Override
  public void appendEvents(List<EntityEvent> events) {
    if (events.isEmpty()) {
      return;
    }
    long tx = events.get(0).tx();
    for (EntityEvent e : events) {
      if (e.tx() != tx) {
        throw new IllegalArgumentException(
            "appendEvents: events of transactions " + tx + " and " + e.tx() + " in one call");
      }
    }
    // Appending twice for one tx replaces the earlier list, as the in-memory store does.
    for (byte[] key : prefix(Cf.EVENTS, Keys.u64(tx), (k, v) -> k).toList()) {
      delete(Cf.EVENTS, key);
    }
    int n = events.size();
    if (n <= MAX_EVENT_KEYS) {
      for (int i = 0; i < n; i++) {
        put(Cf.EVENTS, Keys.event(tx, i), ValueCodec.event(events.get(i)));
      }
      return;
    }
    int per = eventsPerKey(n);
    for (int from = 0, ordinal = 0; from < n; from += per, ordinal++) {
      List<EntityEvent> pack = events.subList(from, Math.min(n, from + per));
      put(Cf.EVENTS, Keys.event(tx, ordinal), ValueCodec.packedEvents(pack));
    }
  }

  /**
   * A piece of a transaction's events, in the layout {@link #appendEvents(List)} gives the whole
   * list of {@code total}: one event per key up to {@link #MAX_EVENT_KEYS}, else {@code
   * eventsPerKey(total)} per key. A piece that ends inside a key writes that key with the events so
   * far; the next piece reads it back (one point read, at most one key's events) and rewrites it
   * with the rest, so once all pieces are in, every key holds what one call would have written.
   */
  @Override
  public void appendEvents(long tx, long first, long total, List<EntityEvent> events) {
    StoreTxn.checkPiece(tx, first, total, events);
    if (first == 0) {
      for (byte[] key : prefix(Cf.EVENTS, Keys.u64(tx), (k, v) -> k).toList()) {
        delete(Cf.EVENTS, key);
      }
    }
    int per = total <= MAX_EVENT_KEYS ? 1 : eventsPerKey(total);
    List<EntityEvent> pack = new ArrayList<>();
    if (first > 0) {
      // The key holding position first - 1 must hold exactly the events up to it.
      int ordinal = (int) ((first - 1) / per);
      byte[] last = get(Cf.EVENTS, Keys.event(tx, ordinal));
      List<EntityEvent> held = last == null ? List.of() : ValueCodec.events(last);
      long expected = (first - 1) % per + 1;
      if (held.size() != expected || get(Cf.EVENTS, Keys.event(tx, ordinal + 1)) != null) {
        throw new IllegalStateException(
            "appendEvents: the stored events of transaction "
                + tx
                + " do not end at "
                + first
                + " (key "
                + ordinal
                + " holds "
                + held.size()
                + ", expected "
                + expected
                + ")");
      }
      if (expected < per) {
        pack.addAll(held);
      }
    }
    long at = first;
    for (EntityEvent e : events) {
      pack.add(e);
      at++;
      if (pack.size() == per || at == total) {
        putEventKey(tx, (int) ((at - 1) / per), per, pack);
        pack.clear();
      }
    }
    if (!pack.isEmpty()) {
      putEventKey(tx, (int) ((at - 1) / per), per, pack);
    }
  }

  private void putEventKey(long tx, int ordinal, int per, List<EntityEvent> pack) {
    put(
        Cf.EVENTS,
        Keys.event(tx, ordinal),
        per == 1 ? ValueCodec.event(pack.get(0)) : ValueCodec.packedEvents(pack));
  }

  /** Keys per transaction written with one event each; more events are packed. */
  static final int MAX_EVENT_KEYS = 0xFFFF;

  /** Events per key for a transaction of {@code n > MAX_EVENT_KEYS} events. */
  static int eventsPerKey(long n) {
    return (int) ((n + (long) MAX_EVENT_KEYS - 1) / MAX_EVENT_KEYS);
  }

  @Override
  public void putJobRow(byte[] key, byte[] value) {
    put(Cf.META, jobKey(key), value);
  }

  @Override
  public void deleteJobRow(byte[] key) {
    delete(Cf.META, jobKey(key));
  }

  /**
   * Writes the batch so far (with the counters as they stand) as one atomic write and goes on with
   * an empty one; see {@link RocksShardStore} for what views see meanwhile.
   */
  @Override
  public void spill() {
    checkWritable();
    if (historyPart >= 0) {
      throw new IllegalStateException(
          "spill: this transaction superseded record versions, which a spill cannot carry");
    }
    // The base counts are read before the first piece is written: later reads would include it.
    counts();
    writeCounts();
    pending.writeCounters(batch);
    spiller.accept(this);
    spilled = true;
  }

  /** True once a piece of this transaction was written by {@link #spill()}. */
  boolean hasSpilled() {
    return spilled;
  }

  @Override
  public Commit commit() {
    checkWritable();
    writeCounts();
    pending.writeCounters(batch);
    Commit c = committer.apply(this);
    committed = true;
    return c;
  }

  boolean isCommitted() {
    return committed;
  }
}
