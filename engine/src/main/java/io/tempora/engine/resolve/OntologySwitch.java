package io.tempora.engine.resolve;

import io.tempora.engine.conflict.ConflictItem;
import io.tempora.engine.conflict.ConflictItem.ConstraintViolation;
import io.tempora.engine.link.LinkIndex;
import io.tempora.engine.link.LiveRecord;
import io.tempora.engine.link.Splitter;
import io.tempora.engine.link.Splitter.Group;
import io.tempora.engine.model.AttrValue;
import io.tempora.engine.model.EntityEvent;
import io.tempora.engine.model.Identity;
import io.tempora.engine.model.RecordVersion;
import io.tempora.engine.ontology.Ontology;
import io.tempora.engine.ontology.Ontology.Constraint;
import io.tempora.engine.ontology.TupleKey;
import io.tempora.engine.store.ConflictEntry;
import io.tempora.engine.store.Cursor;
import io.tempora.engine.store.Posting;
import io.tempora.engine.store.StoreTxn;
import io.tempora.engine.temporal.IntervalSet;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.function.LongSupplier;
import java.util.function.ToLongFunction;

/**
 * The re-resolution of every live record under a new ontology (DOMAIN.md §3.2, §5.3, §6), in heap
 * bounded by the largest resolution unit rather than by the number of records (docs/storage.md,
 * "Ontology switch"):
 *
 * <ol>
 *   <li>Key postings are re-indexed in chunks of {@link #CHUNK} live record ids.
 *   <li>Records are walked in record-id order; a <em>unit</em> (the closure of new link components
 *       and old entities) is resolved once, at its smallest record id. A unit whose partition is
 *       unchanged keeps its ids and emits no event; one that needs fresh ids is deferred.
 *   <li>Fresh ids are allocated in ascending anchor order over the whole switch, then the deferred
 *       units are resolved again and written.
 *   <li>Constraint units are recomputed once every id is final: each at its smallest holder of the
 *       entity type, and every stored constraint unit once more (to drop those the new ontology no
 *       longer produces).
 * </ol>
 *
 * The result (partition, ids, aliases, events sorted by entity id then kind, conflicts) equals the
 * one-transaction recomputation of every component. Heap: the largest unit, the fresh groups'
 * anchors, the events returned, and the not yet visited smallest records of units with several
 * entities that the walk has already resolved. Runs inside the caller's transaction.
 */
final class OntologySwitch {
  /** Live record ids read per cursor opening. */
  static final int CHUNK = 4096;

  private final Resolver resolver;
  private final StoreTxn txn;
  private final Ontology before;
  private final Ontology after;
  private final LongSupplier freshEntityId;
  private final long tx;
  private final List<EntityEvent> events = new ArrayList<>();
  private boolean conflictsChanged;

  OntologySwitch(
      Resolver resolver,
      StoreTxn txn,
      Ontology before,
      Ontology after,
      LongSupplier freshEntityId,
      long tx) {
    this.resolver = resolver;
    this.txn = txn;
    this.before = before;
    this.after = after;
    this.freshEntityId = freshEntityId;
    this.tx = tx;
  }

  /** A resolution unit: its link components, split, and the old entities of its records. */
  private record Unit(
      long min,
      List<List<Group>> split,
      List<Group> groups,
      Map<Long, List<Long>> oldMembers,
      LinkIndex idx) {}

  /** A growable array of record ids (no boxing). */
  private static final class LongList {
    private long[] values = new long[64];
    private int size;

    void add(long v) {
      if (size == values.length) {
        values = Arrays.copyOf(values, size * 2);
      }
      values[size++] = v;
    }

    long get(int i) {
      return values[i];
    }

    int size() {
      return size;
    }
  }

  Resolver.Outcome run() {
    reindex();
    List<Identity> anchors = new ArrayList<>();
    LongList deferred = new LongList();
    Set<Long> skip = new HashSet<>();
    long cursor = 0;
    for (List<Long> chunk = chunk(cursor); !chunk.isEmpty(); chunk = chunk(cursor)) {
      for (long rid : chunk) {
        if (skip.remove(rid) || !mayStartUnit(rid)) {
          continue;
        }
        Unit u = unit(rid);
        if (u.min() != rid) {
          continue;
        }
        rememberLaterStarts(u, skip);
        Map<Group, Long> fresh = new IdentityHashMap<>();
        IdAssignment ids =
            new IdAssignment(
                u.groups(),
                u.oldMembers(),
                Set.of(),
                Set.of(),
                g -> {
                  fresh.put(g, 0L);
                  return 0L;
                },
                tx);
        if (fresh.isEmpty()) {
          write(u, ids);
        } else {
          deferred.add(rid);
          fresh.keySet().forEach(g -> anchors.add(g.anchor().identity()));
        }
      }
      cursor = chunk.get(chunk.size() - 1);
    }
    // Fresh ids in ascending anchor order over the whole switch (DOMAIN.md §6.1).
    anchors.sort(null);
    long[] freshIds = new long[anchors.size()];
    for (int i = 0; i < freshIds.length; i++) {
      freshIds[i] = freshEntityId.getAsLong();
    }
    for (int d = 0; d < deferred.size(); d++) {
      Unit u = unit(deferred.get(d));
      ToLongFunction<Group> fresh =
          g -> freshIds[Collections.binarySearch(anchors, g.anchor().identity())];
      write(u, new IdAssignment(u.groups(), u.oldMembers(), Set.of(), Set.of(), fresh, tx));
    }
    constraints();
    events.sort(
        Comparator.comparing(EntityEvent::entityId, Long::compareUnsigned)
            .thenComparing(EntityEvent::kind));
    txn.appendEvents(events);
    return new Resolver.Outcome(List.copyOf(events), conflictsChanged);
  }

  /** Up to {@link #CHUNK} live record ids after {@code afterId}; the cursor is closed again. */
  private List<Long> chunk(long afterId) {
    List<Long> out = new ArrayList<>(CHUNK);
    try (Cursor<Long> live = txn.liveRecords(afterId)) {
      while (out.size() < CHUNK && live.hasNext()) {
        out.add(live.next());
      }
    }
    return out;
  }

  /** Rewrites the key postings of every live record whose tuples differ under the new ontology. */
  private void reindex() {
    long cursor = 0;
    for (List<Long> chunk = chunk(cursor); !chunk.isEmpty(); chunk = chunk(cursor)) {
      for (long rid : chunk) {
        RecordVersion v = txn.record(rid);
        SortedMap<TupleKey, IntervalSet> old = LinkIndex.live(v, before).tuples();
        SortedMap<TupleKey, IntervalSet> now = LinkIndex.live(v, after).tuples();
        if (old.equals(now)) {
          continue;
        }
        for (TupleKey k : old.keySet()) {
          if (!now.containsKey(k)) {
            txn.deletePosting(k, rid);
          }
        }
        now.forEach(
            (k, set) -> {
              if (!set.equals(old.get(k))) {
                txn.putPosting(k, rid, set);
              }
            });
      }
      cursor = chunk.get(chunk.size() - 1);
    }
  }

  /**
   * False if the record's entity (old, or new once its unit is written) holds a smaller record: its
   * unit then starts earlier and was resolved when the walk passed there.
   */
  private boolean mayStartUnit(long rid) {
    long eid = txn.entityOf(rid);
    if (eid == 0) {
      return true;
    }
    try (Cursor<Long> m = txn.members(eid)) {
      return !m.hasNext() || Long.compareUnsigned(m.next(), rid) >= 0;
    }
  }

  /**
   * Records of {@code u} after its start that are the smallest of their old entity or new group:
   * {@link #mayStartUnit} would let them through, so the walk skips them explicitly.
   */
  private static void rememberLaterStarts(Unit u, Set<Long> skip) {
    if (u.groups().size() == 1 && u.oldMembers().size() <= 1) {
      return;
    }
    for (Group g : u.groups()) {
      long min = -1;
      for (LiveRecord r : g.members()) {
        if (min == -1 || Long.compareUnsigned(r.recordId(), min) < 0) {
          min = r.recordId();
        }
      }
      if (min != u.min()) {
        skip.add(min);
      }
    }
    for (List<Long> members : u.oldMembers().values()) {
      if (!members.isEmpty() && members.get(0) != u.min()) {
        skip.add(members.get(0));
      }
    }
  }

  /** The unit of a live record: closed under new link components and old entities. */
  private Unit unit(long seed) {
    LinkIndex idx = new LinkIndex(txn, after);
    Set<Long> records = new HashSet<>();
    List<Set<Long>> components = new ArrayList<>();
    Map<Long, List<Long>> oldMembers = new TreeMap<>(Long::compareUnsigned);
    Deque<Long> queue = new ArrayDeque<>();
    queue.add(seed);
    long min = seed;
    while (!queue.isEmpty()) {
      long x = queue.poll();
      if (records.contains(x)) {
        continue;
      }
      Set<Long> comp = idx.component(x);
      components.add(comp);
      records.addAll(comp);
      for (long y : comp) {
        if (Long.compareUnsigned(y, min) < 0) {
          min = y;
        }
        long e = txn.entityOf(y);
        if (e != 0 && !oldMembers.containsKey(e)) {
          List<Long> members = txn.members(e).toList();
          oldMembers.put(e, members);
          for (long m : members) {
            if (!records.contains(m)) {
              queue.add(m);
            }
          }
        }
      }
    }
    if (min != seed) {
      return new Unit(min, List.of(), List.of(), Map.of(), idx);
    }
    List<List<Group>> split = new ArrayList<>();
    List<Group> groups = new ArrayList<>();
    for (Set<Long> c : components) {
      List<Group> g = Splitter.split(c, idx);
      split.add(g);
      groups.addAll(g);
    }
    groups.sort(Comparator.comparing(g -> g.anchor().identity()));
    return new Unit(min, split, groups, oldMembers, idx);
  }

  /** Writes a unit's memberships, entity rows, events and DIRECT / BLOCKED_MERGE units. */
  private void write(Unit u, IdAssignment ids) {
    Map<Group, Long> idOf = new IdentityHashMap<>();
    for (int g = 0; g < u.groups().size(); g++) {
      idOf.put(u.groups().get(g), ids.ids.get(g));
    }
    if (!ids.events.isEmpty() || !ids.aliases.isEmpty()) {
      resolver.writeEntities(u.groups(), ids, idOf, u.oldMembers(), Set.of());
    }
    events.addAll(ids.events);
    Map<String, List<ConflictItem>> old = new HashMap<>();
    for (long id : u.oldMembers().keySet()) {
      for (String unit : txn.conflictUnits(id).toList()) {
        if (!unit.startsWith("C:")) {
          old.computeIfAbsent(unit, txn::conflicts);
        }
      }
    }
    Map<String, List<ConflictItem>> fresh = Resolver.entityUnits(u.split(), idOf, u.idx());
    old.entrySet().removeIf(e -> e.getValue().isEmpty());
    for (Map.Entry<String, List<ConflictItem>> e : old.entrySet()) {
      if (!fresh.containsKey(e.getKey())) {
        conflictsChanged = true;
        txn.putConflicts(e.getKey(), List.of());
      }
    }
    fresh.forEach(
        (unit, items) -> {
          if (!items.equals(old.get(unit))) {
            conflictsChanged = true;
            txn.putConflicts(unit, items);
          }
        });
  }

  /**
   * Recomputes constraint units with final ids: first each unit the new ontology yields, at its
   * smallest holder of the type; then every stored constraint unit, so that units the new ontology
   * no longer yields go.
   */
  private void constraints() {
    long cursor = 0;
    for (List<Long> chunk = chunk(cursor); !chunk.isEmpty(); chunk = chunk(cursor)) {
      for (long rid : chunk) {
        RecordVersion v = txn.record(rid);
        String type = v.identity().entityType();
        for (Constraint c : after.constraintsFor(type)) {
          for (AttrValue av : v.descriptors().coverage().keySet()) {
            if (av.attr().equals(c.attribute())
                && !after.isIgnored(type, av.attr(), av.value())
                && firstHolder(type, av.attr(), av.value()) == rid) {
              recompute(Resolver.constraintUnit(type, c.name(), av.value()), type, c, av.value());
            }
          }
        }
      }
      cursor = chunk.get(chunk.size() - 1);
    }
    byte[] from = null;
    while (true) {
      Map<String, ConstraintViolation> units = new TreeMap<>();
      byte[] last = null;
      try (Cursor<ConflictEntry> all = txn.conflictRange(from, null)) {
        int n = 0;
        while (n < CHUNK && all.hasNext()) {
          ConflictEntry e = all.next();
          last = e.sortKey();
          n++;
          if (e.item() instanceof ConstraintViolation cv) {
            units.putIfAbsent(
                Resolver.constraintUnit(cv.entityType(), cv.constraint(), cv.value()), cv);
          }
        }
      }
      if (last == null) {
        break;
      }
      units.forEach(
          (unit, cv) -> {
            Constraint c = constraintNamed(cv.entityType(), cv.constraint());
            recompute(unit, cv.entityType(), c, cv.value());
          });
      from = last;
    }
  }

  private Constraint constraintNamed(String type, String name) {
    for (Constraint c : after.constraintsFor(type)) {
      if (c.name().equals(name)) {
        return c;
      }
    }
    return null;
  }

  /** Recomputes one constraint unit ({@code c} null: the constraint is gone) and writes changes. */
  private void recompute(String unit, String type, Constraint c, String value) {
    List<ConflictItem> items =
        c == null || after.isIgnored(type, c.attribute(), value)
            ? List.of()
            : resolver.constraintItems(new Resolver.ConstraintRef(type, c, value));
    if (!items.equals(txn.conflicts(unit))) {
      conflictsChanged = true;
      txn.putConflicts(unit, items);
    }
  }

  /** The smallest live record of {@code type} holding {@code (attr, value)}, or 0. */
  private long firstHolder(String type, String attr, String value) {
    try (Cursor<Posting> ps = txn.valuePostings(attr, value)) {
      while (ps.hasNext()) {
        Posting p = ps.next();
        if (txn.record(p.recordId()).identity().entityType().equals(type)) {
          return p.recordId();
        }
      }
    }
    return 0;
  }
}
