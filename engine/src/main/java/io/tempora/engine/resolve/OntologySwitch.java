package io.tempora.engine.resolve;

import io.tempora.engine.conflict.ConflictItem;
import io.tempora.engine.conflict.ConflictItem.ConstraintViolation;
import io.tempora.engine.link.LinkIndex;
import io.tempora.engine.link.LiveRecord;
import io.tempora.engine.link.Splitter;
import io.tempora.engine.link.Splitter.Group;
import io.tempora.engine.model.AttrValue;
import io.tempora.engine.model.EntityEvent;
import io.tempora.engine.model.RecordVersion;
import io.tempora.engine.ontology.Ontology;
import io.tempora.engine.ontology.Ontology.Constraint;
import io.tempora.engine.ontology.TupleKey;
import io.tempora.engine.store.ConflictEntry;
import io.tempora.engine.store.Cursor;
import io.tempora.engine.store.JobRow;
import io.tempora.engine.store.Posting;
import io.tempora.engine.store.StoreTxn;
import io.tempora.engine.temporal.IntervalSet;
import java.util.ArrayDeque;
import java.util.ArrayList;
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
 * bounded by the largest resolution unit rather than by the number of records, and in bounded,
 * resumable pieces (docs/storage.md, "Ontology switch"):
 *
 * <ol>
 *   <li>{@link Phase#REINDEX}: key postings are re-indexed, record by record in id order.
 *   <li>{@link Phase#WALK}: records are walked in record-id order; a <em>unit</em> (the closure of
 *       new link components and old entities) is resolved once, at its smallest record id. A unit
 *       whose partition is unchanged keeps its ids and is written; one that needs fresh ids is
 *       deferred (a job row), with the anchors of its fresh groups (job rows, in key order).
 *   <li>{@link Phase#NUMBER}: fresh ids in ascending anchor order over the whole switch (the job
 *       rows' key order sorts the anchors); {@link Phase#DEFERRED}: the deferred units are resolved
 *       again and written; {@link Phase#DROP_ANCHORS}: the anchor rows go.
 *   <li>{@link Phase#CONSTRAINT_RECORDS}, {@link Phase#CONSTRAINT_UNITS}: constraint units are
 *       recomputed once every id is final: each at its smallest holder of the entity type, then
 *       every stored constraint unit once more (to drop those the new ontology no longer yields).
 *   <li>{@link Phase#EVENTS}: the events, kept as job rows keyed by (entity id, kind, sequence) so
 *       that the store sorts them, are appended in that order, in pieces, their rows removed with
 *       them; a spilled piece is hidden from readers like every other until the commit.
 * </ol>
 *
 * After every {@code batchRecords} steps (a record, an anchor, a deferred unit, a chunk of conflict
 * items, an event) the switch writes its state row and calls the spill point, which spills the
 * transaction: every spilled piece carries the job rows that describe it, so a switch interrupted
 * after any spill is finished by running it again on the stored state ({@link #run()} resumes from
 * the state row), with the result of an uninterrupted one. The result (partition, ids, aliases,
 * events sorted by entity id then kind, conflicts) equals the one-transaction recomputation of
 * every component. Heap: the largest unit, the skip set, one chunk of ids or rows, and the events
 * returned (read back at the end for the caller's answer).
 */
final class OntologySwitch {
  /** Live record ids (or job rows, or conflict items) read per cursor opening. */
  static final int CHUNK = 4096;

  /** The phases, in order; the ordinal is stored in the state row. */
  enum Phase {
    REINDEX,
    WALK,
    NUMBER,
    DEFERRED,
    DROP_ANCHORS,
    CONSTRAINT_RECORDS,
    CONSTRAINT_UNITS,
    EVENTS
  }

  private final Resolver resolver;
  private final StoreTxn txn;
  private final Ontology before;
  private final Ontology after;
  private final LongSupplier freshEntityId;
  private final long tx;
  private final int batchRecords;
  private final Resolver.SpillPoint spillPoint;
  private final long totalRecords;
  // The state a spill stores (SwitchRows.state): phase, cursors, flags, counters.
  private Phase phase = Phase.REINDEX;
  private long cursor;
  private byte[] keyCursor;
  private boolean conflictsChanged;
  private long eventSeq;
  private long passRecords;
  // Steps since the last spill; the walk's skip set (mirrored in job rows).
  private long sinceSpill;
  private final Set<Long> skip = new HashSet<>();

  OntologySwitch(
      Resolver resolver,
      StoreTxn txn,
      Ontology before,
      Ontology after,
      LongSupplier freshEntityId,
      long tx,
      int batchRecords,
      Resolver.SpillPoint spillPoint) {
    if (batchRecords < 1) {
      throw new IllegalArgumentException("batchRecords must be at least 1, got " + batchRecords);
    }
    this.resolver = resolver;
    this.txn = txn;
    this.before = before;
    this.after = after;
    this.freshEntityId = freshEntityId;
    this.tx = tx;
    this.batchRecords = batchRecords;
    this.spillPoint = spillPoint;
    this.totalRecords = txn.counts().records();
  }

  /** A resolution unit: its link components, split, and the old entities of its records. */
  private record Unit(
      long min,
      List<List<Group>> split,
      List<Group> groups,
      Map<Long, List<Long>> oldMembers,
      LinkIndex idx) {}

  /**
   * Runs the switch, or the rest of it if the transaction holds the state row of an interrupted
   * one, and removes its job rows.
   */
  Resolver.Outcome run() {
    load();
    if (phase == Phase.REINDEX) {
      reindex();
    }
    if (phase == Phase.WALK) {
      walk();
    }
    if (phase == Phase.NUMBER) {
      number();
    }
    if (phase == Phase.DEFERRED) {
      deferred();
    }
    if (phase == Phase.DROP_ANCHORS) {
      dropAnchors();
    }
    if (phase == Phase.CONSTRAINT_RECORDS) {
      constraintRecords();
    }
    if (phase == Phase.CONSTRAINT_UNITS) {
      constraintUnits();
    }
    if (phase == Phase.EVENTS) {
      events();
    }
    txn.deleteJobRow(SwitchRows.STATE);
    // For the caller's answer (SetOntology's response lists them): read back from the store.
    List<EntityEvent> events = new ArrayList<>();
    if (eventSeq > 0) {
      try (Cursor<EntityEvent> c = txn.events(tx)) {
        while (c.hasNext()) {
          EntityEvent e = c.next();
          if (e.tx() != tx) {
            break;
          }
          events.add(e);
        }
      }
    }
    return new Resolver.Outcome(List.copyOf(events), conflictsChanged);
  }

  /**
   * Moves the events from their job rows, read in key order (DOMAIN.md §6.2: entity id, then kind,
   * stable), into the events of {@code tx}, one step per event: each spilled piece carries the
   * events appended so far and the removal of their rows, and the state's {@code cursor} counts
   * them, so a resumed switch goes on at the first row left. {@code eventSeq} (one per event row
   * put) is the total, which fixes the layout of the keys before the first piece.
   */
  private void events() {
    byte[] after = null;
    while (true) {
      int room = (int) Math.min(CHUNK, batchRecords - sinceSpill);
      List<JobRow> rows = rows(SwitchRows.EVENTS, after, room);
      if (rows.isEmpty()) {
        break;
      }
      List<EntityEvent> piece = new ArrayList<>(rows.size());
      for (JobRow r : rows) {
        piece.add(SwitchRows.event(r.value()));
        txn.deleteJobRow(r.key());
      }
      txn.appendEvents(tx, cursor, eventSeq, piece);
      cursor += piece.size();
      after = rows.get(rows.size() - 1).key();
      for (int i = 0; i < rows.size(); i++) {
        step();
      }
    }
    if (cursor != eventSeq) {
      throw new IllegalStateException(
          "ontology switch: " + cursor + " events appended, " + eventSeq + " were recorded");
    }
  }

  /** The state of an interrupted switch, if the transaction holds one. */
  private void load() {
    byte[] state = txn.jobRow(SwitchRows.STATE);
    if (state == null) {
      return;
    }
    SwitchRows.State st = SwitchRows.state(state);
    phase = Phase.values()[st.phase()];
    cursor = st.cursor();
    keyCursor = st.keyCursor();
    conflictsChanged = st.conflictsChanged();
    eventSeq = st.eventSeq();
    passRecords = st.passRecords();
    try (Cursor<JobRow> rows = txn.jobRows(SwitchRows.SKIP, null)) {
      while (rows.hasNext()) {
        skip.add(SwitchRows.idOf(rows.next().key()));
      }
    }
  }

  /** One step done: spills once {@code batchRecords} steps were done since the last spill. */
  private void step() {
    if (++sinceSpill >= batchRecords) {
      sinceSpill = 0;
      txn.putJobRow(
          SwitchRows.STATE,
          SwitchRows.state(
              new SwitchRows.State(
                  phase.ordinal(), cursor, keyCursor, conflictsChanged, eventSeq, passRecords)));
      spillPoint.spill(recordsDone());
    }
  }

  /**
   * Progress as a number of records: the three passes over the live records (re-index, walk,
   * constraints) each count for a third.
   */
  long recordsDone() {
    int pass =
        switch (phase) {
          case REINDEX -> 0;
          case WALK, NUMBER, DEFERRED, DROP_ANCHORS -> 1;
          case CONSTRAINT_RECORDS, CONSTRAINT_UNITS -> 2;
          case EVENTS -> 3;
        };
    long records = Math.min(passRecords, totalRecords);
    return Math.min(totalRecords, (pass * totalRecords + records) / 3);
  }

  private void next(Phase p) {
    phase = p;
    cursor = 0;
    keyCursor = null;
    if (p == Phase.WALK || p == Phase.CONSTRAINT_RECORDS) {
      passRecords = 0;
    }
  }

  private void walk() {
    for (List<Long> chunk = chunk(cursor); !chunk.isEmpty(); chunk = chunk(cursor)) {
      for (long rid : chunk) {
        cursor = rid;
        passRecords++;
        visit(rid);
        step();
      }
    }
    next(Phase.NUMBER);
  }

  private void visit(long rid) {
    if (skip.remove(rid)) {
      txn.deleteJobRow(SwitchRows.skip(rid));
      return;
    }
    if (!mayStartUnit(rid)) {
      return;
    }
    Unit u = unit(rid);
    if (u.min() != rid) {
      return;
    }
    rememberLaterStarts(u);
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
      txn.putJobRow(SwitchRows.deferred(rid), SwitchRows.MARK);
      for (Group g : fresh.keySet()) {
        txn.putJobRow(SwitchRows.anchor(g.anchor().identity()), SwitchRows.freshId(0));
      }
    }
  }

  /** Fresh ids in ascending anchor order over the whole switch (DOMAIN.md §6.1). */
  private void number() {
    for (List<JobRow> rows = rows(SwitchRows.ANCHORS, keyCursor);
        !rows.isEmpty();
        rows = rows(SwitchRows.ANCHORS, keyCursor)) {
      for (JobRow r : rows) {
        txn.putJobRow(r.key(), SwitchRows.freshId(freshEntityId.getAsLong()));
        keyCursor = r.key();
        step();
      }
    }
    next(Phase.DEFERRED);
  }

  /** The deferred units, resolved again with their fresh ids, in record-id order. */
  private void deferred() {
    ToLongFunction<Group> fresh =
        g -> {
          byte[] v = txn.jobRow(SwitchRows.anchor(g.anchor().identity()));
          long id = v == null ? 0 : SwitchRows.freshId(v);
          if (id == 0) {
            throw new IllegalStateException(
                "ontology switch: no fresh id numbered for anchor " + g.anchor().identity());
          }
          return id;
        };
    for (List<JobRow> rows = rows(SwitchRows.DEFERRED, null);
        !rows.isEmpty();
        rows = rows(SwitchRows.DEFERRED, null)) {
      for (JobRow r : rows) {
        Unit u = unit(SwitchRows.idOf(r.key()));
        write(u, new IdAssignment(u.groups(), u.oldMembers(), Set.of(), Set.of(), fresh, tx));
        txn.deleteJobRow(r.key());
        step();
      }
    }
    next(Phase.DROP_ANCHORS);
  }

  private void dropAnchors() {
    for (List<JobRow> rows = rows(SwitchRows.ANCHORS, null);
        !rows.isEmpty();
        rows = rows(SwitchRows.ANCHORS, null)) {
      for (JobRow r : rows) {
        txn.deleteJobRow(r.key());
        step();
      }
    }
    next(Phase.CONSTRAINT_RECORDS);
  }

  /**
   * Up to {@link #CHUNK} job rows of a prefix after {@code afterKey}; the cursor is closed again.
   */
  private List<JobRow> rows(byte[] prefix, byte[] afterKey) {
    return rows(prefix, afterKey, CHUNK);
  }

  /** Up to {@code max} job rows of a prefix after {@code afterKey}; the cursor is closed again. */
  private List<JobRow> rows(byte[] prefix, byte[] afterKey, int max) {
    List<JobRow> out = new ArrayList<>();
    try (Cursor<JobRow> c = txn.jobRows(prefix, afterKey)) {
      while (out.size() < max && c.hasNext()) {
        out.add(c.next());
      }
    }
    return out;
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
    for (List<Long> chunk = chunk(cursor); !chunk.isEmpty(); chunk = chunk(cursor)) {
      for (long rid : chunk) {
        reindex(rid);
        cursor = rid;
        passRecords++;
        step();
      }
    }
    next(Phase.WALK);
  }

  private void reindex(long rid) {
    RecordVersion v = txn.record(rid);
    SortedMap<TupleKey, IntervalSet> old = LinkIndex.live(v, before).tuples();
    SortedMap<TupleKey, IntervalSet> now = LinkIndex.live(v, after).tuples();
    if (old.equals(now)) {
      return;
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
  private void rememberLaterStarts(Unit u) {
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
        skipLater(min);
      }
    }
    for (List<Long> members : u.oldMembers().values()) {
      if (!members.isEmpty() && members.get(0) != u.min()) {
        skipLater(members.get(0));
      }
    }
  }

  private void skipLater(long rid) {
    if (skip.add(rid)) {
      txn.putJobRow(SwitchRows.skip(rid), SwitchRows.MARK);
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
    for (EntityEvent e : ids.events) {
      txn.putJobRow(SwitchRows.event(e, eventSeq++), SwitchRows.event(e));
    }
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
   * Each constraint unit the new ontology yields, recomputed at its smallest holder of the type.
   */
  private void constraintRecords() {
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
        cursor = rid;
        passRecords++;
        step();
      }
    }
    next(Phase.CONSTRAINT_UNITS);
  }

  /**
   * Every stored constraint unit once more, so that units the new ontology no longer yields go: in
   * chunks of {@link #CHUNK} conflict items after {@code keyCursor}, one step per chunk.
   */
  private void constraintUnits() {
    while (true) {
      Map<String, ConstraintViolation> units = new TreeMap<>();
      byte[] last = null;
      try (Cursor<ConflictEntry> all = txn.conflictRange(keyCursor, null)) {
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
      keyCursor = last;
      step();
    }
    next(Phase.EVENTS);
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
