package io.tempora.engine.store;

import io.tempora.engine.conflict.ConflictItem;
import io.tempora.engine.conflict.ConflictOrder;
import io.tempora.engine.model.AttrValue;
import io.tempora.engine.model.EntityEvent;
import io.tempora.engine.model.EntityRow;
import io.tempora.engine.model.Identity;
import io.tempora.engine.model.RecordVersion;
import io.tempora.engine.ontology.Ontology;
import io.tempora.engine.ontology.TupleKey;
import io.tempora.engine.temporal.IntervalSet;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.OptionalLong;
import java.util.TreeMap;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * A heap-backed {@link Store} for tests and the embedded quick start. A transaction writes in place
 * under the write lock and keeps an undo log, so an aborted request leaves no trace; views hold the
 * read lock. Thread-safe.
 */
public final class InMemoryStore implements Store {
  private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
  private final Data data = new Data();

  @Override
  public StoreView view() {
    lock.readLock().lock();
    return new View(() -> lock.readLock().unlock());
  }

  @Override
  public StoreTxn begin() {
    lock.writeLock().lock();
    return new Txn();
  }

  @Override
  public void close() {}

  private static final class Data {
    StoreMeta meta = StoreMeta.INITIAL;
    long liveRecords;
    final Map<Integer, Ontology> ontologies = new HashMap<>();
    final Map<Identity, Long> identities = new HashMap<>();
    final NavigableMap<Long, RecordVersion> records = new TreeMap<>(Long::compareUnsigned);
    final Map<Long, List<RecordVersion>> history = new HashMap<>();
    final Map<TupleKey, NavigableMap<Long, IntervalSet>> postings = new HashMap<>();
    final Map<AttrValue, NavigableMap<Long, IntervalSet>> values = new HashMap<>();
    final NavigableMap<Long, Long> entityOf = new TreeMap<>(Long::compareUnsigned);
    final Map<Long, NavigableMap<Long, Boolean>> members = new HashMap<>();
    final Map<Long, EntityRow> entities = new HashMap<>();
    final NavigableMap<Long, Boolean> active = new TreeMap<>(Long::compareUnsigned);
    final Map<Long, NavigableMap<Long, Boolean>> aliases = new HashMap<>();
    final Map<String, List<ConflictItem>> units = new HashMap<>();
    final Map<Long, NavigableMap<String, Boolean>> entityUnits = new HashMap<>();
    final NavigableMap<byte[], ConflictItem> sorted = new TreeMap<>(ConflictOrder::compare);
    final NavigableMap<Long, List<EntityEvent>> events = new TreeMap<>();
    final NavigableMap<byte[], byte[]> jobRows = new TreeMap<>(Arrays::compareUnsigned);
  }

  private class View implements StoreView {
    private final Runnable onClose;
    private boolean closed;

    View(Runnable onClose) {
      this.onClose = onClose;
    }

    @Override
    public StoreMeta meta() {
      return data.meta;
    }

    @Override
    public StoreCounts counts() {
      return new StoreCounts(data.liveRecords, data.active.size(), data.sorted.size());
    }

    @Override
    public Ontology ontology(int version) {
      return version == 0 ? Ontology.EMPTY : data.ontologies.get(version);
    }

    @Override
    public OptionalLong recordId(Identity identity) {
      Long rid = data.identities.get(identity);
      return rid == null ? OptionalLong.empty() : OptionalLong.of(rid);
    }

    @Override
    public RecordVersion record(long recordId) {
      return data.records.get(recordId);
    }

    @Override
    public Cursor<RecordVersion> history(long recordId) {
      return copy(data.history.getOrDefault(recordId, List.of()));
    }

    @Override
    public Cursor<Posting> postings(TupleKey key) {
      return postingsOf(data.postings.get(key));
    }

    @Override
    public Cursor<Posting> valuePostings(String attr, String value) {
      return postingsOf(data.values.get(new AttrValue(attr, value)));
    }

    @Override
    public Cursor<Long> liveRecords(long afterId) {
      List<Long> out = new ArrayList<>();
      for (RecordVersion v : data.records.tailMap(afterId, false).values()) {
        if (!v.isDeleted()) {
          out.add(v.recordId());
        }
      }
      return copy(out);
    }

    @Override
    public long entityOf(long recordId) {
      return data.entityOf.getOrDefault(recordId, 0L);
    }

    @Override
    public Cursor<Long> members(long entityId) {
      NavigableMap<Long, Boolean> m = data.members.get(entityId);
      return copy(m == null ? List.of() : new ArrayList<>(m.keySet()));
    }

    @Override
    public EntityRow entity(long entityId) {
      return data.entities.get(entityId);
    }

    @Override
    public Cursor<Long> aliases(long entityId) {
      NavigableMap<Long, Boolean> m = data.aliases.get(entityId);
      return copy(m == null ? List.of() : new ArrayList<>(m.keySet()));
    }

    @Override
    public Cursor<Long> activeEntities(long afterId) {
      return copy(new ArrayList<>(data.active.tailMap(afterId, false).keySet()));
    }

    @Override
    public Cursor<String> conflictUnits(long entityId) {
      NavigableMap<String, Boolean> m = data.entityUnits.get(entityId);
      return copy(m == null ? List.of() : new ArrayList<>(m.keySet()));
    }

    @Override
    public List<ConflictItem> conflicts(String unit) {
      return data.units.getOrDefault(unit, List.of());
    }

    @Override
    public Cursor<ConflictEntry> conflictRange(byte[] after, byte[] before) {
      NavigableMap<byte[], ConflictItem> m = data.sorted;
      if (after != null) {
        m = m.tailMap(after, false);
      }
      if (before != null) {
        m = m.headMap(before, false);
      }
      List<ConflictEntry> out = new ArrayList<>();
      m.forEach((k, v) -> out.add(new ConflictEntry(k, v)));
      return copy(out);
    }

    @Override
    public Cursor<EntityEvent> events(long fromTx) {
      List<EntityEvent> out = new ArrayList<>();
      data.events.tailMap(fromTx, true).values().forEach(out::addAll);
      return copy(out);
    }

    @Override
    public void close() {
      if (!closed) {
        closed = true;
        onClose.run();
      }
    }

    private Cursor<Posting> postingsOf(NavigableMap<Long, IntervalSet> m) {
      List<Posting> out = new ArrayList<>();
      if (m != null) {
        m.forEach((rid, set) -> out.add(new Posting(rid, set)));
      }
      return copy(out);
    }

    @Override
    public Cursor<JobRow> jobRows(byte[] prefix, byte[] after) {
      List<JobRow> out = new ArrayList<>();
      NavigableMap<byte[], byte[]> tail =
          after == null ? data.jobRows.tailMap(prefix, true) : data.jobRows.tailMap(after, false);
      for (Map.Entry<byte[], byte[]> e : tail.entrySet()) {
        if (!startsWith(e.getKey(), prefix)) {
          break;
        }
        out.add(new JobRow(e.getKey().clone(), e.getValue().clone()));
      }
      return copy(out);
    }

    @Override
    public byte[] jobRow(byte[] key) {
      byte[] v = data.jobRows.get(key);
      return v == null ? null : v.clone();
    }
  }

  private static boolean startsWith(byte[] key, byte[] prefix) {
    return key.length >= prefix.length
        && Arrays.equals(key, 0, prefix.length, prefix, 0, prefix.length);
  }

  private static <T> Cursor<T> copy(List<T> list) {
    return Cursor.of(List.copyOf(list).iterator());
  }

  private final class Txn extends View implements StoreTxn {
    private final Deque<Runnable> undo = new ArrayDeque<>();
    private boolean committed;

    Txn() {
      super(() -> lock.writeLock().unlock());
    }

    @Override
    public void putMeta(StoreMeta meta) {
      StoreMeta old = data.meta;
      data.meta = meta;
      undo.push(() -> data.meta = old);
    }

    @Override
    public void putOntology(int version, Ontology ontology) {
      put(data.ontologies, version, ontology);
    }

    @Override
    public void putIdentity(Identity identity, long recordId) {
      put(data.identities, identity, recordId);
    }

    @Override
    public void putRecord(RecordVersion version) {
      RecordVersion prev = data.records.get(version.recordId());
      long delta = (version.isDeleted() ? 0 : 1) - (prev == null || prev.isDeleted() ? 0 : 1);
      if (delta != 0) {
        data.liveRecords += delta;
        undo.push(() -> data.liveRecords -= delta);
      }
      put(data.records, version.recordId(), version);
      List<RecordVersion> old = data.history.getOrDefault(version.recordId(), List.of());
      List<RecordVersion> next = new ArrayList<>(old);
      next.add(version);
      put(data.history, version.recordId(), List.copyOf(next));
    }

    @Override
    public void putPosting(TupleKey key, long recordId, IntervalSet intervals) {
      put(inner(data.postings, key), recordId, intervals);
    }

    @Override
    public void deletePosting(TupleKey key, long recordId) {
      removeInner(data.postings, key, recordId);
    }

    @Override
    public void putValuePosting(String attr, String value, long recordId, IntervalSet coverage) {
      put(inner(data.values, new AttrValue(attr, value)), recordId, coverage);
    }

    @Override
    public void deleteValuePosting(String attr, String value, long recordId) {
      removeInner(data.values, new AttrValue(attr, value), recordId);
    }

    @Override
    public void setEntityOf(long recordId, long entityId) {
      Long old = data.entityOf.get(recordId);
      if (old != null) {
        removeInner(data.members, old, recordId);
        remove(data.entityOf, recordId);
      }
      if (entityId != 0) {
        put(data.entityOf, recordId, entityId);
        put(inner(data.members, entityId), recordId, Boolean.TRUE);
      }
    }

    @Override
    public void putEntity(EntityRow row) {
      EntityRow old = data.entities.get(row.entityId());
      if (old != null && old.status() == EntityRow.Status.MERGED) {
        removeInner(data.aliases, old.mergedInto(), row.entityId());
      }
      put(data.entities, row.entityId(), row);
      if (row.status() == EntityRow.Status.ACTIVE) {
        put(data.active, row.entityId(), Boolean.TRUE);
      } else {
        remove(data.active, row.entityId());
      }
      if (row.status() == EntityRow.Status.MERGED) {
        put(inner(data.aliases, row.mergedInto()), row.entityId(), Boolean.TRUE);
      }
    }

    @Override
    public void putConflicts(String unit, List<ConflictItem> items) {
      for (ConflictItem old : data.units.getOrDefault(unit, List.of())) {
        remove(data.sorted, ConflictOrder.key(old));
        for (long id : old.entityIds()) {
          removeInner(data.entityUnits, id, unit);
        }
      }
      if (items.isEmpty()) {
        remove(data.units, unit);
        return;
      }
      put(data.units, unit, List.copyOf(items));
      for (ConflictItem item : items) {
        put(data.sorted, ConflictOrder.key(item), item);
        for (long id : item.entityIds()) {
          put(inner(data.entityUnits, id), unit, Boolean.TRUE);
        }
      }
    }

    @Override
    public void appendEvents(List<EntityEvent> events) {
      if (!events.isEmpty()) {
        put(data.events, events.get(0).tx(), List.copyOf(events));
      }
    }

    @Override
    public void appendEvents(long tx, long first, long total, List<EntityEvent> events) {
      StoreTxn.checkPiece(tx, first, total, events);
      List<EntityEvent> before = first == 0 ? List.of() : data.events.getOrDefault(tx, List.of());
      if (before.size() != first) {
        throw new IllegalStateException(
            "appendEvents: transaction "
                + tx
                + " holds "
                + before.size()
                + " events, the piece starts at "
                + first);
      }
      if (events.isEmpty()) {
        return;
      }
      List<EntityEvent> all = new ArrayList<>(before.size() + events.size());
      all.addAll(before);
      all.addAll(events);
      put(data.events, tx, List.copyOf(all));
    }

    @Override
    public void putJobRow(byte[] key, byte[] value) {
      put(data.jobRows, key.clone(), value.clone());
    }

    @Override
    public void deleteJobRow(byte[] key) {
      remove(data.jobRows, key);
    }

    /** Keeps everything in the one transaction: views wait on the store's lock meanwhile. */
    @Override
    public void spill() {}

    @Override
    public Commit commit() {
      committed = true;
      undo.clear();
      return Commit.DURABLE;
    }

    @Override
    public void close() {
      if (!committed) {
        while (!undo.isEmpty()) {
          undo.pop().run();
        }
      }
      super.close();
    }

    private <K, V> void put(Map<K, V> m, K k, V v) {
      boolean had = m.containsKey(k);
      V old = m.put(k, v);
      undo.push(() -> restore(m, k, had, old));
    }

    private <K, V> void remove(Map<K, V> m, K k) {
      if (m.containsKey(k)) {
        V old = m.remove(k);
        undo.push(() -> m.put(k, old));
      }
    }

    private <K, V> void restore(Map<K, V> m, K k, boolean had, V old) {
      if (had) {
        m.put(k, old);
      } else {
        m.remove(k);
      }
    }

    private <O, K, V> NavigableMap<K, V> inner(Map<O, NavigableMap<K, V>> outer, O key) {
      NavigableMap<K, V> m = outer.get(key);
      if (m == null) {
        m = new TreeMap<>(InMemoryStore::compareKeys);
        put(outer, key, m);
      }
      return m;
    }

    private <O, K, V> void removeInner(Map<O, NavigableMap<K, V>> outer, O key, K k) {
      NavigableMap<K, V> m = outer.get(key);
      if (m == null) {
        return;
      }
      remove(m, k);
      if (m.isEmpty()) {
        remove(outer, key);
      }
    }
  }

  @SuppressWarnings("unchecked")
  private static int compareKeys(Object a, Object b) {
    if (a instanceof Long x && b instanceof Long y) {
      return Long.compareUnsigned(x, y);
    }
    return ((Comparable<Object>) a).compareTo(b);
  }
}
