package io.tempora.persistence.rocks;

import io.tempora.engine.conflict.ConflictItem;
import io.tempora.engine.model.EntityEvent;
import io.tempora.engine.model.EntityRow;
import io.tempora.engine.model.Identity;
import io.tempora.engine.model.RecordVersion;
import io.tempora.engine.ontology.Ontology;
import io.tempora.engine.ontology.TupleKey;
import io.tempora.engine.store.ConflictEntry;
import io.tempora.engine.store.Cursor;
import io.tempora.engine.store.JobRow;
import io.tempora.engine.store.Posting;
import io.tempora.engine.store.StoreCounts;
import io.tempora.engine.store.StoreMeta;
import io.tempora.engine.store.StoreView;
import io.tempora.persistence.codec.Dictionary;
import io.tempora.persistence.codec.Dictionary.Kind;
import io.tempora.persistence.codec.ValueCodec;
import io.tempora.persistence.codec.WtfEight;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.OptionalLong;
import java.util.function.BiFunction;
import java.util.function.Predicate;

/**
 * A {@link StoreView} over a {@link Source}: a snapshot for read views, a transaction's batch for
 * {@link RocksTxn}. Cursors are lazy scans; those still open when the view closes are closed with
 * it. Used by one thread.
 */
class RocksView implements StoreView {
  static final byte[] STORE_META = Keys.meta("store_meta");
  static final byte[] COUNT_RECORDS = Keys.meta("count/records");
  static final byte[] COUNT_ENTITIES = Keys.meta("count/entities");
  static final byte[] COUNT_CONFLICTS = Keys.meta("count/conflicts");
  private static final byte[] EMPTY = new byte[0];

  private final Source source;
  private final Interner interner;
  private final Runnable onClose;
  private final List<Cursor<?>> open = new ArrayList<>();
  // Signatures are SHA-256: one request reads and writes the same tuples several times.
  private final Map<TupleKey, byte[]> postingPrefixes = new HashMap<>();

  /**
   * Tuples whose posting prefix a view remembers; beyond it the memo starts again, so a transaction
   * touching every tuple (an ontology switch) keeps a bounded heap.
   */
  static final int POSTING_PREFIX_MEMO = 4096;

  private List<HistoryPartitions.Range> historyRanges;
  private boolean closed;

  RocksView(Source source, Interner interner, Runnable onClose) {
    this.source = source;
    this.interner = interner;
    this.onClose = onClose;
  }

  final Source source() {
    return source;
  }

  final Interner interner() {
    return interner;
  }

  /** Decodes interned ids through this view; never interns. */
  Dictionary dictionary() {
    return new Dictionary() {
      @Override
      public long id(Kind kind, String s) {
        throw new IllegalStateException("a read view never interns");
      }

      @Override
      public String string(Kind kind, long id) {
        return interner.string(source, kind, id);
      }
    };
  }

  /**
   * {@link Keys#postingPrefix(TupleKey)}, remembered for the last up to {@link
   * #POSTING_PREFIX_MEMO} tuples of this view.
   */
  final byte[] postingPrefix(TupleKey key) {
    if (postingPrefixes.size() >= POSTING_PREFIX_MEMO && !postingPrefixes.containsKey(key)) {
      postingPrefixes.clear();
    }
    return postingPrefixes.computeIfAbsent(key, Keys::postingPrefix);
  }

  final void checkOpen() {
    if (closed) {
      throw new IllegalStateException("view is closed");
    }
  }

  final byte[] get(Cf cf, byte[] key) {
    checkOpen();
    return source.get(cf, key);
  }

  final OptionalLong find(Kind kind, String s) {
    checkOpen();
    return interner.find(source, kind, s);
  }

  @Override
  public StoreMeta meta() {
    byte[] v = get(Cf.META, STORE_META);
    return v == null ? StoreMeta.INITIAL : ValueCodec.storeMeta(v);
  }

  @Override
  public StoreCounts counts() {
    return new StoreCounts(
        count(get(Cf.META, COUNT_RECORDS)),
        count(get(Cf.META, COUNT_ENTITIES)),
        count(get(Cf.META, COUNT_CONFLICTS)));
  }

  private static long count(byte[] v) {
    return v == null ? 0 : Interner.Values.readId(v);
  }

  @Override
  public Ontology ontology(int version) {
    if (version == 0) {
      return Ontology.EMPTY;
    }
    byte[] v = get(Cf.META, Keys.ontology(version));
    return v == null ? null : ValueCodec.ontology(v);
  }

  @Override
  public OptionalLong recordId(Identity identity) {
    OptionalLong type = find(Kind.TYPE, identity.entityType());
    OptionalLong persp = find(Kind.PERSPECTIVE, identity.perspective());
    if (type.isEmpty() || persp.isEmpty()) {
      return OptionalLong.empty();
    }
    byte[] v = get(Cf.IDENTITY, Keys.identity(type.getAsLong(), persp.getAsLong(), identity.uid()));
    return v == null ? OptionalLong.empty() : OptionalLong.of(Interner.Values.readId(v));
  }

  @Override
  public RecordVersion record(long recordId) {
    byte[] v = get(Cf.RECORDS, Keys.u64(recordId));
    return v == null ? null : ValueCodec.recordVersion(recordId, v, dictionary());
  }

  /**
   * Every kept version, ascending (STORAGE.md §8): the superseded ones from the live history
   * partitions, newest partition first, one prefix seek ({@code part, rid}) each, stopping once
   * version 1 is found; a partition whose first superseding tx is after the current version's tx
   * cannot hold any and is skipped. Versions older than every partition come from the legacy layout
   * ({@code record_versions}, {@code rid, version}). Then the current version.
   */
  @Override
  public Cursor<RecordVersion> history(long recordId) {
    RecordVersion current = record(recordId);
    if (current == null) {
      return Cursor.of(List.<RecordVersion>of().iterator());
    }
    List<List<RecordVersion>> chunks = new ArrayList<>();
    int lowest = current.version();
    if (lowest > 1) {
      List<HistoryPartitions.Range> ranges = historyRanges();
      for (int i = ranges.size() - 1; i >= 0 && lowest > 1; i--) {
        HistoryPartitions.Range r = ranges.get(i);
        if (r.firstTx() > current.tx()) {
          continue;
        }
        List<RecordVersion> found =
            prefix(
                    Cf.RECORD_HISTORY,
                    HistoryPartitions.prefix(r.part(), recordId),
                    (k, v) -> ValueCodec.recordVersion(recordId, v, dictionary()))
                .toList();
        if (!found.isEmpty()) {
          chunks.add(found);
          lowest = found.get(0).version();
        }
      }
    }
    if (lowest > 1) {
      chunks.add(
          prefix(
                  Cf.RECORD_VERSIONS,
                  Keys.u64(recordId),
                  (k, v) -> ValueCodec.recordVersion(recordId, v, dictionary()))
              .toList());
    }
    List<RecordVersion> out = new ArrayList<>();
    for (int i = chunks.size() - 1; i >= 0; i--) {
      out.addAll(chunks.get(i));
    }
    out.add(current);
    return Cursor.of(List.copyOf(out).iterator());
  }

  /**
   * The live history partitions, ascending; read once per view (a snapshot never changes), every
   * time in a transaction.
   */
  List<HistoryPartitions.Range> historyRanges() {
    checkOpen();
    if (source.isTransactional()) {
      return HistoryPartitions.list(source);
    }
    if (historyRanges == null) {
      historyRanges = List.copyOf(HistoryPartitions.list(source));
    }
    return historyRanges;
  }

  /**
   * The first superseding tx whose versions are all kept: 1 unless history retention removed
   * partitions ({@code meta/history_from}).
   */
  @Override
  public long historyFromTx() {
    return HistoryPartitions.From.decode(get(Cf.META, HistoryPartitions.FROM)).firstKeptTx();
  }

  @Override
  public Cursor<Posting> postings(TupleKey key) {
    return prefix(
        Cf.KEY_POSTINGS,
        postingPrefix(key),
        (k, v) -> new Posting(Keys.lastU64(k), ValueCodec.intervals(v)));
  }

  @Override
  public Cursor<Posting> valuePostings(String attr, String value) {
    OptionalLong a = find(Kind.ATTRIBUTE, attr);
    OptionalLong v = find(Kind.VALUE, value);
    if (a.isEmpty() || v.isEmpty()) {
      return Cursor.of(List.<Posting>of().iterator());
    }
    return prefix(
        Cf.ATTR_VALUE,
        Keys.attrValuePrefix(a.getAsLong(), v.getAsLong()),
        (k, val) -> new Posting(Keys.lastU64(k), ValueCodec.intervals(val)));
  }

  @Override
  public Cursor<Long> liveRecords(long afterId) {
    if (afterId == -1L) {
      return Cursor.of(List.<Long>of().iterator());
    }
    return scan(
        Cf.RECORDS,
        Keys.u64(afterId + 1),
        null,
        (k, v) -> ValueCodec.isTombstone(v) ? null : Keys.u64(k, 0));
  }

  @Override
  public long entityOf(long recordId) {
    byte[] v = get(Cf.RECORD_ENTITY, Keys.u64(recordId));
    return v == null ? 0 : Interner.Values.readId(v);
  }

  @Override
  public Cursor<Long> members(long entityId) {
    return prefix(Cf.MEMBERSHIPS, Keys.u64(entityId), (k, v) -> Keys.lastU64(k));
  }

  @Override
  public EntityRow entity(long entityId) {
    byte[] v = get(Cf.ENTITY_IDS, Keys.u64(entityId));
    return v == null ? null : ValueCodec.entityRow(entityId, v);
  }

  @Override
  public Cursor<Long> aliases(long entityId) {
    return prefix(Cf.ALIASES, Keys.u64(entityId), (k, v) -> Keys.lastU64(k));
  }

  @Override
  public Cursor<Long> activeEntities(long afterId) {
    if (afterId == -1L) {
      return Cursor.of(List.<Long>of().iterator());
    }
    return scan(Cf.ACTIVE_ENTITIES, Keys.u64(afterId + 1), null, (k, v) -> Keys.u64(k, 0));
  }

  @Override
  public Cursor<String> conflictUnits(long entityId) {
    return prefix(
        Cf.CONFLICT_UNITS, Keys.u64(entityId), (k, v) -> WtfEight.decode(k, 8, k.length - 8));
  }

  @Override
  public List<ConflictItem> conflicts(String unit) {
    byte[] v = get(Cf.CONFLICTS, WtfEight.encode(unit));
    return v == null ? List.of() : ValueCodec.conflictItems(v);
  }

  @Override
  public Cursor<ConflictEntry> conflictRange(byte[] after, byte[] before) {
    byte[] from = after == null ? EMPTY : after;
    return scan(
        Cf.CONFLICT_ORDER,
        from,
        before,
        (k, v) ->
            after != null && Arrays.equals(k, after)
                ? null
                : new ConflictEntry(k, ValueCodec.conflictItem(v)));
  }

  /** The meta key prefix of job rows (docs/storage.md, "Ontology switch"). */
  static final byte[] JOB = Keys.meta("job/");

  /** The meta key of a job row. */
  static byte[] jobKey(byte[] key) {
    byte[] out = Arrays.copyOf(JOB, JOB.length + key.length);
    System.arraycopy(key, 0, out, JOB.length, key.length);
    return out;
  }

  @Override
  public Cursor<JobRow> jobRows(byte[] prefix, byte[] after) {
    byte[] from =
        after == null
            ? jobKey(prefix)
            : Arrays.copyOf(jobKey(after), JOB.length + after.length + 1);
    return scan(
        Cf.META,
        from,
        prefixEnd(jobKey(prefix)),
        (k, v) -> new JobRow(Arrays.copyOfRange(k, JOB.length, k.length), v));
  }

  /** The first key after every key starting with {@code prefix} ({@code prefix} not all 0xFF). */
  static byte[] prefixEnd(byte[] prefix) {
    for (int i = prefix.length - 1; i >= 0; i--) {
      if (prefix[i] != (byte) 0xFF) {
        byte[] out = Arrays.copyOf(prefix, i + 1);
        out[i]++;
        return out;
      }
    }
    throw new IllegalArgumentException("prefix of 0xFF bytes only");
  }

  @Override
  public byte[] jobRow(byte[] key) {
    return get(Cf.META, jobKey(key));
  }

  @Override
  public Cursor<EntityEvent> events(long fromTx) {
    return new FlatCursor<>(
        scan(Cf.EVENTS, Keys.u64(fromTx), null, (k, v) -> ValueCodec.events(v)));
  }

  /**
   * Seeks to the key holding position {@code skip} of {@code fromTx}: one event per key, or the
   * first key's count per key when the transaction's events are packed (docs/storage.md).
   */
  @Override
  public Cursor<EntityEvent> events(long fromTx, long skip) {
    if (skip <= 0) {
      return events(fromTx);
    }
    byte[] first = get(Cf.EVENTS, Keys.event(fromTx, 0));
    if (first == null) {
      return events(fromTx);
    }
    long perKey = ValueCodec.events(first).size();
    long ordinal = skip / perKey;
    if (ordinal > 0xFFFF) {
      return events(fromTx + 1);
    }
    Cursor<EntityEvent> from =
        new FlatCursor<>(
            scan(
                Cf.EVENTS,
                Keys.event(fromTx, (int) ordinal),
                null,
                (k, v) -> ValueCodec.events(v)));
    return StoreView.dropLeading(from, fromTx, skip - ordinal * perKey);
  }

  final <T> Cursor<T> prefix(Cf cf, byte[] prefix, BiFunction<byte[], byte[], T> map) {
    return scan(cf, prefix, Keys.prefixEnd(prefix), map);
  }

  /** A lazy cursor over {@code [from, to)}; {@code map} returning null skips the row. */
  final <T> Cursor<T> scan(Cf cf, byte[] from, byte[] to, BiFunction<byte[], byte[], T> map) {
    checkOpen();
    ScanCursor<T> c = new ScanCursor<>(source.scan(cf, from, to), map, open::remove);
    open.add(c);
    return c;
  }

  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    for (Cursor<?> c : List.copyOf(open)) {
      c.close();
    }
    onClose.run();
  }

  /** The elements of each list of {@code lists}, in order (a packed events value holds several). */
  private static final class FlatCursor<T> implements Cursor<T> {
    private final Cursor<List<T>> lists;
    private Iterator<T> current = Collections.emptyIterator();

    FlatCursor(Cursor<List<T>> lists) {
      this.lists = lists;
    }

    @Override
    public boolean hasNext() {
      while (!current.hasNext() && lists.hasNext()) {
        current = lists.next().iterator();
      }
      return current.hasNext();
    }

    @Override
    public T next() {
      if (!hasNext()) {
        throw new NoSuchElementException();
      }
      return current.next();
    }

    @Override
    public void close() {
      lists.close();
    }
  }

  /** A cursor over a scan, mapping rows and skipping those mapped to null. */
  private static final class ScanCursor<T> implements Cursor<T> {
    private final Scan scan;
    private final BiFunction<byte[], byte[], T> map;
    private final Predicate<Cursor<?>> onClose;
    private T next;
    private boolean done;

    ScanCursor(Scan scan, BiFunction<byte[], byte[], T> map, Predicate<Cursor<?>> onClose) {
      this.scan = scan;
      this.map = map;
      this.onClose = onClose;
    }

    @Override
    public boolean hasNext() {
      while (next == null && !done) {
        if (!scan.valid()) {
          done = true;
          break;
        }
        next = map.apply(scan.key(), scan.value());
        scan.next();
      }
      return next != null;
    }

    @Override
    public T next() {
      if (!hasNext()) {
        throw new NoSuchElementException();
      }
      T t = next;
      next = null;
      return t;
    }

    @Override
    public void close() {
      done = true;
      scan.close();
      onClose.test(this);
    }
  }
}
