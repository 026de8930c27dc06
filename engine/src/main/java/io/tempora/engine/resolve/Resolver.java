package io.tempora.engine.resolve;

import io.tempora.engine.conflict.BlockedMerges;
import io.tempora.engine.conflict.ConflictItem;
import io.tempora.engine.conflict.ConstraintConflicts;
import io.tempora.engine.conflict.ConstraintConflicts.Holder;
import io.tempora.engine.conflict.EntityConflicts;
import io.tempora.engine.link.LinkIndex;
import io.tempora.engine.link.LiveRecord;
import io.tempora.engine.link.Splitter;
import io.tempora.engine.link.Splitter.Group;
import io.tempora.engine.model.AttrValue;
import io.tempora.engine.model.EntityEvent;
import io.tempora.engine.model.EntityRow;
import io.tempora.engine.model.Identity;
import io.tempora.engine.model.RecordVersion;
import io.tempora.engine.ontology.Ontology;
import io.tempora.engine.ontology.Ontology.Constraint;
import io.tempora.engine.ontology.TupleKey;
import io.tempora.engine.store.Cursor;
import io.tempora.engine.store.Posting;
import io.tempora.engine.store.StoreTxn;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.LongSupplier;
import java.util.function.LongUnaryOperator;

/**
 * Applies one transaction's record changes (or an ontology switch) to the store and re-resolves
 * exactly the touched link components (DOMAIN.md §5.3): partition, ids, aliases, events (§6) and
 * the conflict units of everything touched (§7). Works in memory proportional to the touched
 * components only. One instance per transaction; not thread-safe.
 */
public final class Resolver {
  private final StoreTxn txn;
  private final Ontology before;
  private final Ontology after;
  private final LongSupplier freshEntityId;
  private final long tx;
  private LongUnaryOperator preferredEntity = rid -> 0;
  private Map<Long, Long> renames = Map.of();

  /** What the transaction changed in the resolution. */
  public record Outcome(List<EntityEvent> events, boolean conflictsChanged) {
    /** True iff the partition, ids, aliases or conflicts changed. */
    public boolean changedAnything() {
      return !events.isEmpty() || conflictsChanged;
    }
  }

  /**
   * @param txn the open transaction
   * @param before the ontology of the stored resolution
   * @param after the ontology to resolve under (equal to {@code before} except on a switch)
   * @param freshEntityId allocates entity ids
   * @param tx the transaction number to stamp on events
   */
  public Resolver(
      StoreTxn txn, Ontology before, Ontology after, LongSupplier freshEntityId, long tx) {
    this.txn = txn;
    this.before = before;
    this.after = after;
    this.freshEntityId = freshEntityId;
    this.tx = tx;
  }

  /**
   * Entity ids the new records of this transaction held elsewhere (a slot move re-creating them,
   * docs/decisions.md D3): a new entity whose members all name the same id {@code P} gets {@code P}
   * instead of a fresh id, if no entity row of {@code P} exists here and no other new entity of the
   * transaction took it. Old entities keep their ids by the usual rules.
   *
   * @param preferred record id to the entity id it held (0: none)
   * @return this resolver
   */
  public Resolver preferringIds(LongUnaryOperator preferred) {
    this.preferredEntity = preferred;
    return this;
  }

  /**
   * Gives each active entity {@code from} of {@code renames} the id {@code to} it maps to, which
   * has no row here (reconciliation moves' entities arriving here whole, once their former ids are
   * deleted on the shard they came from, docs/decisions.md D3): the entities' components are
   * re-resolved with no change, the group keeping {@code from} takes {@code to}, {@code from}
   * becomes an alias of it, conflict items follow, one event {@code MERGED to [from]} each. The
   * caller checks that every {@code from} is active, every {@code to} unknown here, the {@code to}
   * ids distinct.
   *
   * @throws IllegalStateException if re-resolving the unchanged components would change anything
   *     else (nothing is written then: the caller drops the transaction)
   */
  public Outcome renameEntities(Map<Long, Long> renames) {
    LinkIndex idx = new LinkIndex(txn, before);
    Set<Long> region = new LinkedHashSet<>();
    for (long from : renames.keySet()) {
      List<Long> members = txn.members(from).toList();
      if (members.isEmpty()) {
        throw new IllegalStateException(
            "entity " + Long.toUnsignedString(from) + " has no members");
      }
      if (!region.contains(members.get(0))) {
        region.addAll(idx.component(members.get(0)));
      }
    }
    this.renames = renames;
    return resolve(region, new ArrayList<>(region), Set.of(), Set.of(), List.of(), Map.of());
  }

  /** Writes the record changes and re-resolves what they touch. */
  public Outcome applyChanges(List<Change> changes) {
    LinkIndex oldIdx = new LinkIndex(txn, before);
    Set<Long> oldRegion = new LinkedHashSet<>();
    for (Change c : changes) {
      if (c.before() != null && !oldRegion.contains(c.recordId())) {
        oldRegion.addAll(oldIdx.component(c.recordId()));
      }
    }
    Set<Long> deleted = new HashSet<>();
    Set<Long> changed = new HashSet<>();
    List<Long> seeds = new ArrayList<>(oldRegion);
    Map<Long, LiveRecord> written = new HashMap<>();
    for (Change c : changes) {
      if (c.before() != null) {
        unindex(oldIdx.record(c.recordId()), c.before());
      }
      txn.putRecord(c.after());
      written.put(c.recordId(), null);
      if (c.isLiveAfter()) {
        LiveRecord live = LinkIndex.live(c.after(), after);
        written.put(c.recordId(), live);
        index(live);
        changed.add(c.recordId());
        seeds.add(c.recordId());
      } else {
        deleted.add(c.recordId());
      }
    }
    List<RecordVersion> touchedVersions = new ArrayList<>();
    for (Change c : changes) {
      if (c.before() != null) {
        touchedVersions.add(c.before());
      }
    }
    return resolve(oldRegion, seeds, deleted, changed, touchedVersions, written);
  }

  /**
   * Re-indexes every live record under the new ontology and re-resolves everything, unit by unit in
   * heap bounded by the largest unit ({@link OntologySwitch}).
   */
  public Outcome switchOntology() {
    return switchOntology(Integer.MAX_VALUE, done -> {});
  }

  /**
   * As {@link #switchOntology()}, calling {@code spillPoint} after every {@code batchRecords} steps
   * (docs/storage.md, "Ontology switch"), having stored the switch's state in job rows. If the
   * transaction holds the state of an interrupted switch (of the same ontologies and tx), it
   * finishes that one.
   */
  public Outcome switchOntology(int batchRecords, SpillPoint spillPoint) {
    return new OntologySwitch(this, txn, before, after, freshEntityId, tx, batchRecords, spillPoint)
        .run();
  }

  /** Where a switch may spill its transaction: the job rows hold its state. */
  @FunctionalInterface
  public interface SpillPoint {
    /**
     * Called at a spill point.
     *
     * @param recordsDone progress, 0..live records
     */
    void spill(long recordsDone);
  }

  /**
   * The reference for {@link #switchOntology()}: the same result computed the direct way, every
   * record and component at once (heap grows with the live records). Kept for the differential test
   * of the unit-by-unit switch; production code does not call it.
   */
  Outcome switchOntologyInOneStep() {
    List<Long> all = new ArrayList<>();
    try (Cursor<Long> live = txn.liveRecords(0)) {
      while (live.hasNext()) {
        all.add(live.next());
      }
    }
    for (long rid : all) {
      RecordVersion v = txn.record(rid);
      for (TupleKey k : LinkIndex.live(v, before).tuples().keySet()) {
        txn.deletePosting(k, rid);
      }
      LiveRecord now = LinkIndex.live(v, after);
      now.tuples().forEach((k, set) -> txn.putPosting(k, rid, set));
    }
    return resolve(new LinkedHashSet<>(all), all, Set.of(), Set.of(), List.of(), Map.of());
  }

  private void unindex(LiveRecord old, RecordVersion v) {
    for (TupleKey k : old.tuples().keySet()) {
      txn.deletePosting(k, v.recordId());
    }
    for (AttrValue av : v.descriptors().coverage().keySet()) {
      txn.deleteValuePosting(av.attr(), av.value(), v.recordId());
    }
  }

  private void index(LiveRecord r) {
    r.tuples().forEach((k, set) -> txn.putPosting(k, r.recordId(), set));
    r.descriptors()
        .coverage()
        .forEach((av, set) -> txn.putValuePosting(av.attr(), av.value(), r.recordId(), set));
  }

  private Outcome resolve(
      Set<Long> oldRegion,
      List<Long> seeds,
      Set<Long> deleted,
      Set<Long> changed,
      List<RecordVersion> oldVersions,
      Map<Long, LiveRecord> written) {
    LinkIndex idx = new LinkIndex(txn, after);
    written.forEach(idx::prime);
    List<Set<Long>> components = idx.components(seeds);
    Set<Long> region = new HashSet<>(oldRegion);
    components.forEach(region::addAll);
    Map<Long, List<Long>> oldMembers = new TreeMap<>(Long::compareUnsigned);
    for (long rid : region) {
      long eid = txn.entityOf(rid);
      if (eid != 0 && !oldMembers.containsKey(eid)) {
        oldMembers.put(eid, txn.members(eid).toList());
      }
    }
    List<List<Group>> split = new ArrayList<>();
    List<Group> groups = new ArrayList<>();
    for (Set<Long> c : components) {
      List<Group> g = Splitter.split(c, idx);
      split.add(g);
      groups.addAll(g);
    }
    groups.sort(Comparator.comparing(g -> g.anchor().identity()));
    Set<Long> adopted = new HashSet<>();
    IdAssignment ids =
        new IdAssignment(
            groups,
            oldMembers,
            deleted,
            changed,
            g -> {
              long preferred = adoptable(g, adopted);
              return preferred != 0 ? preferred : freshEntityId.getAsLong();
            },
            tx);
    if (!renames.isEmpty()) {
      rename(ids);
    }
    // Groups partition the region, so identity is equality here, without hashing every member.
    Map<Group, Long> idOf = new IdentityHashMap<>();
    for (int g = 0; g < groups.size(); g++) {
      idOf.put(groups.get(g), ids.ids.get(g));
    }
    writeEntities(groups, ids, idOf, oldMembers, deleted);
    boolean conflictsChanged =
        rewriteConflicts(split, idOf, oldMembers.keySet(), idx, region, oldVersions);
    txn.appendEvents(ids.events);
    return new Outcome(ids.events, conflictsChanged);
  }

  /** {@link #renameEntities}' change to the ids of an unchanged re-resolution. */
  private void rename(IdAssignment ids) {
    if (!ids.events.isEmpty() || !ids.aliases.isEmpty() || !ids.deleted.isEmpty()) {
      throw new IllegalStateException(
          "re-resolving entities "
              + renames.keySet()
              + " unchanged would change them: not renamed");
    }
    Map<Long, Integer> groupOf = new HashMap<>();
    for (int g = 0; g < ids.ids.size(); g++) {
      groupOf.put(ids.ids.get(g), g);
    }
    renames.forEach(
        (from, to) -> {
          Integer g = groupOf.get(from);
          if (g == null) {
            throw new IllegalStateException(
                "entity " + Long.toUnsignedString(from) + " not kept: not renamed");
          }
          ids.ids.set(g, to);
          ids.aliases.put(from, to);
          ids.events.add(new EntityEvent(tx, EntityEvent.Kind.MERGED, to, List.of(from)));
        });
    ids.events.sort(Comparator.comparing(EntityEvent::entityId, Long::compareUnsigned));
  }

  /** The id every member of {@code g} prefers, if still free here; else 0. */
  private long adoptable(Group g, Set<Long> adopted) {
    long preferred = 0;
    for (LiveRecord r : g.members()) {
      long p = preferredEntity.applyAsLong(r.recordId());
      if (p == 0 || preferred != 0 && p != preferred) {
        return 0;
      }
      preferred = p;
    }
    if (preferred == 0 || adopted.contains(preferred) || txn.entity(preferred) != null) {
      return 0;
    }
    adopted.add(preferred);
    return preferred;
  }

  void writeEntities(
      List<Group> groups,
      IdAssignment ids,
      Map<Group, Long> idOf,
      Map<Long, List<Long>> oldMembers,
      Set<Long> deleted) {
    for (long rid : deleted) {
      txn.setEntityOf(rid, 0);
    }
    for (Group g : groups) {
      long id = idOf.get(g);
      if (!oldMembers.containsKey(id)) {
        txn.putEntity(EntityRow.active(id, g.anchor().identity().entityType()));
      }
      for (LiveRecord r : g.members()) {
        if (txn.entityOf(r.recordId()) != id) {
          txn.setEntityOf(r.recordId(), id);
        }
      }
    }
    ids.aliases.forEach(
        (alias, target) -> {
          String type = txn.entity(alias).entityType();
          txn.putEntity(new EntityRow(alias, EntityRow.Status.MERGED, type, target, 0));
        });
    for (long d : ids.deleted) {
      String type = txn.entity(d).entityType();
      txn.putEntity(new EntityRow(d, EntityRow.Status.DELETED, type, 0, tx));
    }
  }

  private boolean rewriteConflicts(
      List<List<Group>> split,
      Map<Group, Long> idOf,
      Collection<Long> oldIds,
      LinkIndex idx,
      Set<Long> region,
      List<RecordVersion> oldVersions) {
    Map<String, List<ConflictItem>> old = new HashMap<>();
    for (long id : oldIds) {
      for (String unit : txn.conflictUnits(id).toList()) {
        old.computeIfAbsent(unit, txn::conflicts);
      }
    }
    Map<String, List<ConflictItem>> fresh = entityUnits(split, idOf, idx);
    Map<String, ConstraintRef> constraintUnits = new HashMap<>();
    for (long rid : region) {
      LiveRecord r = idx.record(rid);
      if (r != null) {
        collectConstraintUnits(r.identity(), r.descriptors().coverage().keySet(), constraintUnits);
      }
    }
    for (RecordVersion v : oldVersions) {
      collectConstraintUnits(v.identity(), v.descriptors().coverage().keySet(), constraintUnits);
    }
    for (Map.Entry<String, ConstraintRef> e : constraintUnits.entrySet()) {
      String unit = e.getKey();
      old.computeIfAbsent(unit, txn::conflicts);
      List<ConflictItem> items = constraintItems(e.getValue());
      if (!items.isEmpty()) {
        fresh.put(unit, items);
      }
    }
    old.entrySet().removeIf(e -> e.getValue().isEmpty());
    boolean changed = !old.equals(fresh);
    for (String unit : old.keySet()) {
      if (!fresh.containsKey(unit)) {
        txn.putConflicts(unit, List.of());
      }
    }
    fresh.forEach(txn::putConflicts);
    return changed;
  }

  /** The DIRECT and BLOCKED_MERGE units of split components, non-empty ones only. */
  static Map<String, List<ConflictItem>> entityUnits(
      List<List<Group>> split, Map<Group, Long> idOf, LinkIndex idx) {
    Map<String, List<ConflictItem>> fresh = new HashMap<>();
    for (List<Group> comp : split) {
      List<Long> ids = comp.stream().map(idOf::get).toList();
      for (int g = 0; g < comp.size(); g++) {
        Group grp = comp.get(g);
        List<ConflictItem> direct =
            List.copyOf(
                EntityConflicts.direct(
                    ids.get(g), grp.anchor().identity().entityType(), grp.members()));
        if (!direct.isEmpty()) {
          fresh.put("D:" + Long.toUnsignedString(ids.get(g)), direct);
        }
      }
      for (ConflictItem b : BlockedMerges.of(comp, ids, idx)) {
        fresh.put("B:" + b.entityIds().get(0) + ":" + b.entityIds().get(1), List.of(b));
      }
    }
    return fresh;
  }

  record ConstraintRef(String type, Constraint constraint, String value) {}

  private void collectConstraintUnits(
      Identity id, Set<AttrValue> values, Map<String, ConstraintRef> out) {
    String type = id.entityType();
    for (Constraint c : after.constraintsFor(type)) {
      for (AttrValue av : values) {
        if (av.attr().equals(c.attribute()) && !after.isIgnored(type, av.attr(), av.value())) {
          out.put(
              constraintUnit(type, c.name(), av.value()), new ConstraintRef(type, c, av.value()));
        }
      }
    }
  }

  static String constraintUnit(String type, String constraint, String value) {
    // Length prefixes keep the key unambiguous whatever characters the strings hold.
    return "C:" + type.length() + ":" + type + constraint.length() + ":" + constraint + value;
  }

  List<ConflictItem> constraintItems(ConstraintRef ref) {
    String type = ref.type();
    Constraint c = ref.constraint();
    List<Holder> holders = new ArrayList<>();
    try (Cursor<Posting> ps = txn.valuePostings(c.attribute(), ref.value())) {
      while (ps.hasNext()) {
        Posting p = ps.next();
        RecordVersion v = txn.record(p.recordId());
        if (v.identity().entityType().equals(type)) {
          holders.add(new Holder(v.identity(), txn.entityOf(p.recordId()), p.intervals()));
        }
      }
    }
    Map<Long, Identity> anchors = new HashMap<>();
    return List.copyOf(
        ConstraintConflicts.of(
            type, c, ref.value(), holders, id -> anchors.computeIfAbsent(id, this::anchorOf)));
  }

  private Identity anchorOf(long entityId) {
    Identity best = null;
    for (long rid : txn.members(entityId).toList()) {
      Identity i = txn.record(rid).identity();
      if (best == null || i.compareTo(best) < 0) {
        best = i;
      }
    }
    return best;
  }
}
