package io.tempora.engine.conformance;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tempora.engine.Engine;
import io.tempora.engine.EntityInfo;
import io.tempora.engine.Reader.EntitySummary;
import io.tempora.engine.RecordInfo;
import io.tempora.engine.model.Descriptor;
import io.tempora.engine.model.EntityEvent;
import io.tempora.engine.model.EntityRow.Status;
import io.tempora.engine.model.Identity;
import io.tempora.engine.model.RecordInput;
import io.tempora.engine.oracle.Oracle;
import io.tempora.engine.oracle.OracleState;
import io.tempora.engine.oracle.Workload;
import io.tempora.engine.oracle.WorkloadGenerator;
import io.tempora.engine.query.QueryRequest;
import io.tempora.engine.store.Store;
import io.tempora.engine.write.WriteResult;
import io.tempora.engine.write.WriteResult.Outcome;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.lifecycle.AfterContainer;

/**
 * The engine against the oracle and the conformance invariants of DOMAIN.md §12, on random
 * workloads. Subclasses choose the store, so the same properties run on every implementation.
 */
public abstract class ConformanceProperties {
  private static final Map<String, AtomicInteger> CHECKED = new ConcurrentSkipListMap<>();

  /** Prints how many random workloads each property checked, so the count shows in CI logs. */
  @AfterContainer
  static void printCounts() {
    CHECKED.forEach(
        (name, n) ->
            System.out.printf("conformance: %s checked %d random workloads%n", name, n.get()));
    CHECKED.clear();
  }

  /**
   * How many workloads of each property this store checks; tries beyond the budget return at once
   * (and are not counted), so a slower store can run a smaller share of the same properties.
   */
  protected int budget(int tries) {
    return tries;
  }

  /** Counts a try and tells whether it is within the budget. */
  private boolean check(String property, int tries) {
    AtomicInteger n = CHECKED.computeIfAbsent(property, k -> new AtomicInteger());
    if (n.get() >= budget(tries)) {
      return false;
    }
    n.incrementAndGet();
    return true;
  }

  /** The stores the engines run on. */
  protected abstract Supplier<Store> stores();

  private Workloads workloads() {
    return new Workloads(stores());
  }

  @Property(tries = 500)
  void engine_randomWorkload_equalsOracle(@ForAll long seed) {
    if (!check("engine_randomWorkload_equalsOracle", 500)) {
      return;
    }
    Workload w = Workloads.generate(seed);
    Engine e = workloads().run(w);
    OracleState oracle = Oracle.compute(w.ontology(), WorkloadGenerator.liveRecords(w.ops()));
    Canon canon = Canon.of(e);
    String ctx = "seed " + seed;
    assertThat(canon.partition()).as(ctx + " partition").isEqualTo(oracle.partition());
    assertThat(canon.conflicts()).as(ctx + " conflicts").isEqualTo(oracle.conflicts());
    for (int i = 0; i < canon.golden().size(); i++) {
      assertThat(canon.golden().get(i))
          .as(ctx + " golden of entity " + (i + 1))
          .isEqualTo(oracle.golden(i + 1, null));
    }
    for (QueryRequest q : new WorkloadGenerator().queries(w, seed)) {
      assertThat(Canon.query(e, q)).as(ctx + " query " + q).isEqualTo(oracle.query(q));
    }
  }

  @Property(tries = 100)
  void state_anyOrderAndBatching_equalsFromScratch(@ForAll long seed) {
    if (!check("state_anyOrderAndBatching_equalsFromScratch", 100)) {
      return;
    }
    Workload w = Workloads.generate(seed);
    Canon scratch = Canon.of(workloads().fromScratch(w));
    assertThat(Canon.of(workloads().run(w))).as("history vs scratch").isEqualTo(scratch);
    Engine shuffled = workloads().fresh(w.ontology());
    for (List<RecordInput> batch : Workloads.shuffledBatches(w, seed)) {
      shuffled.upsert(batch);
    }
    assertThat(Canon.of(shuffled)).as("shuffled batches").isEqualTo(scratch);
  }

  @Property(tries = 100)
  void reingest_sameNormalForm_isUnchangedAndConsumesNothing(@ForAll long seed) {
    if (!check("reingest_sameNormalForm_isUnchangedAndConsumesNothing", 100)) {
      return;
    }
    Workload w = Workloads.generate(seed);
    Engine e = workloads().run(w);
    Canon before = Canon.of(e);
    long tx = e.reader().lastTx();
    for (RecordInput r : WorkloadGenerator.liveRecords(w.ops())) {
      long entity = e.reader().getRecord(r.identity()).entityId();
      WriteResult res = e.upsert(List.of(new RecordInput(r.identity(), rechunk(r.descriptors()))));
      assertThat(res.tx()).isZero();
      assertThat(res.events()).isEmpty();
      assertThat(res.items().get(0).outcome()).isEqualTo(Outcome.UNCHANGED);
      assertThat(res.items().get(0).entityId()).isEqualTo(entity);
    }
    assertThat(e.reader().lastTx()).isEqualTo(tx);
    assertThat(Canon.of(e)).isEqualTo(before);
  }

  /** The same normal form, written differently: bounded intervals split in two, order reversed. */
  private static List<Descriptor> rechunk(List<Descriptor> ds) {
    List<Descriptor> out = new ArrayList<>();
    for (Descriptor d : ds) {
      if (d.start() != Long.MIN_VALUE && d.end() != Long.MAX_VALUE && d.end() - d.start() >= 2) {
        long mid = d.start() + (d.end() - d.start()) / 2;
        out.add(0, new Descriptor(d.attr(), d.value(), d.start(), mid));
        out.add(0, new Descriptor(d.attr(), d.value(), mid, d.end()));
      } else {
        out.add(0, d);
      }
    }
    return out;
  }

  @Property(tries = 100)
  void upsertThenRevert_andDeleteThenReingest_giveEquivalentState(@ForAll long seed) {
    if (!check("upsertThenRevert_andDeleteThenReingest_giveEquivalentState", 100)) {
      return;
    }
    Workload w = Workloads.generate(seed);
    Engine e = workloads().run(w);
    List<RecordInput> live = WorkloadGenerator.liveRecords(w.ops());
    if (live.isEmpty()) {
      return;
    }
    Canon before = Canon.of(e);
    RecordInput r = live.get(new Random(seed).nextInt(live.size()));
    RecordInfo info = e.reader().getRecord(r.identity());
    e.upsert(List.of(new RecordInput(r.identity(), List.of(Descriptor.always("zz", "other")))));
    e.upsert(List.of(r));
    assertThat(Canon.of(e)).as("upsert then revert").isEqualTo(before);
    assertThat(e.reader().getRecord(r.identity()).version()).isEqualTo(info.version() + 2);
    e.delete(List.of(r.identity()));
    WriteResult back = e.upsert(List.of(r));
    assertThat(back.items().get(0).recordId()).isEqualTo(info.recordId());
    assertThat(Canon.of(e)).as("delete then re-ingest").isEqualTo(before);
  }

  @Property(tries = 100)
  void rejectedRequest_leavesEverythingUnchanged(@ForAll long seed) {
    if (!check("rejectedRequest_leavesEverythingUnchanged", 100)) {
      return;
    }
    Workload w = Workloads.generate(seed);
    Engine e = workloads().run(w);
    List<RecordInput> live = WorkloadGenerator.liveRecords(w.ops());
    Object before = fullState(e, w);
    List<RecordInput> bad = new ArrayList<>(live.subList(0, Math.min(3, live.size())));
    bad.add(
        new RecordInput(
            Identity.of("person", "crm", "new-" + seed), List.of(new Descriptor("a", "v", 5, 5))));
    assertThatThrownBy(() -> e.upsert(bad)).isInstanceOf(IllegalArgumentException.class);
    List<Identity> dup = new ArrayList<>();
    live.stream().limit(2).forEach(r -> dup.add(r.identity()));
    dup.add(Identity.of("person", "crm", ""));
    assertThatThrownBy(() -> e.delete(dup)).isInstanceOf(IllegalArgumentException.class);
    assertThat(fullState(e, w)).isEqualTo(before);
  }

  private static Object fullState(Engine e, Workload w) {
    Map<Identity, Object> histories = new TreeMap<>();
    for (var op : w.ops()) {
      List<Identity> ids =
          switch (op) {
            case io.tempora.engine.oracle.Op.Upsert u ->
                u.records().stream().map(RecordInput::identity).toList();
            case io.tempora.engine.oracle.Op.Delete d -> d.identities();
          };
      for (Identity id : ids) {
        try {
          histories.put(id, e.reader().getRecord(id));
        } catch (io.tempora.engine.NotFoundException nf) {
          histories.put(id, "absent");
        }
      }
    }
    return List.of(
        Canon.of(e), e.reader().lastTx(), e.reader().events(0, Integer.MAX_VALUE), histories);
  }

  @Property(tries = 100)
  void idsAndEvents_replayYieldsActiveIdsAndAliases(@ForAll long seed) {
    if (!check("idsAndEvents_replayYieldsActiveIdsAndAliases", 100)) {
      return;
    }
    Workload w = Workloads.generate(seed);
    Engine e = workloads().run(w);
    List<EntityEvent> events = e.reader().events(0, Integer.MAX_VALUE);
    Set<Long> active = new HashSet<>();
    Map<Long, Long> aliasOf = new HashMap<>();
    Set<Long> deleted = new HashSet<>();
    long lastTx = 0;
    for (EntityEvent ev : events) {
      assertThat(ev.tx()).isGreaterThanOrEqualTo(lastTx);
      lastTx = ev.tx();
      switch (ev.kind()) {
        case CREATED -> assertThat(active.add(ev.entityId())).isTrue();
        // A split part either takes a fresh id or keeps the id of another old entity.
        case SPLIT -> active.addAll(ev.relatedIds());
        case MERGED ->
            ev.relatedIds()
                .forEach(
                    id -> {
                      assertThat(active.remove(id)).isTrue();
                      aliasOf.put(id, ev.entityId());
                    });
        case DELETED -> {
          assertThat(active.remove(ev.entityId())).isTrue();
          deleted.add(ev.entityId());
        }
        case UPDATED -> assertThat(active).contains(ev.entityId());
      }
    }
    Set<Long> expectedActive = new HashSet<>();
    for (EntitySummary s : e.reader().partition()) {
      expectedActive.add(s.entityId());
    }
    assertThat(active).isEqualTo(expectedActive);
    long issued = active.size() + aliasOf.size() + deleted.size();
    for (long id = 1; id <= issued; id++) {
      EntityInfo info = e.reader().getEntity(id, null);
      Status expected =
          active.contains(id)
              ? Status.ACTIVE
              : aliasOf.containsKey(id) ? Status.MERGED : Status.DELETED;
      assertThat(info.status()).as("entity %d", id).isEqualTo(expected);
      if (expected == Status.MERGED) {
        long target = aliasOf.get(id);
        while (aliasOf.containsKey(target)) {
          target = aliasOf.get(target);
        }
        assertThat(info.resolved()).isEqualTo(target);
      }
    }
  }

  @Property(tries = 50)
  void ontology_switchToOtherAndBack_givesEquivalentState(@ForAll long seed) {
    if (!check("ontology_switchToOtherAndBack_givesEquivalentState", 50)) {
      return;
    }
    Workload w = Workloads.generate(seed);
    Workload other = Workloads.generate(seed ^ 0x5DEECE66DL);
    Engine e = workloads().run(w);
    Canon before = Canon.of(e);
    e.setOntology(other.ontology(), null);
    Canon switched = Canon.of(e);
    Engine scratchOther = workloads().fresh(other.ontology());
    List<RecordInput> live = WorkloadGenerator.liveRecords(w.ops());
    if (!live.isEmpty()) {
      scratchOther.upsert(live);
    }
    assertThat(switched).as("switched equals scratch under B").isEqualTo(Canon.of(scratchOther));
    e.setOntology(w.ontology(), null);
    assertThat(Canon.of(e)).as("A -> B -> A").isEqualTo(before);
    long tx = e.reader().lastTx();
    e.setOntology(w.ontology(), null);
    assertThat(e.reader().lastTx()).as("same content again consumes nothing").isEqualTo(tx);
  }

  @Property(tries = 100)
  void golden_everyEntity_neverHoldsTwoValuesAtOnce(@ForAll long seed) {
    if (!check("golden_everyEntity_neverHoldsTwoValuesAtOnce", 100)) {
      return;
    }
    Canon c = Canon.of(workloads().run(Workloads.generate(seed)));
    for (int i = 0; i < c.partition().size(); i++) {
      List<Descriptor> golden = c.golden().get(i);
      List<Descriptor> held = new ArrayList<>();
      for (Identity m : c.partition().get(i)) {
        held.addAll(c.records().get(m).pieces());
      }
      for (int a = 0; a < golden.size(); a++) {
        Descriptor g = golden.get(a);
        for (int b = a + 1; b < golden.size(); b++) {
          Descriptor h = golden.get(b);
          if (g.attr().equals(h.attr())) {
            assertThat(g.end() <= h.start() || h.end() <= g.start())
                .as("seed %d: golden entries %s and %s overlap", seed, g, h)
                .isTrue();
          }
        }
        for (Descriptor d : held) {
          boolean overlaps = d.start() < g.end() && g.start() < d.end();
          if (d.attr().equals(g.attr()) && !d.value().equals(g.value())) {
            assertThat(overlaps).as("seed %d: %s competes with golden %s", seed, d, g).isFalse();
          }
        }
        assertThat(coveredThroughout(g, held)).as("seed %d: %s held throughout", seed, g).isTrue();
      }
    }
  }

  /** True iff pieces of the same attribute and value cover {@code g}'s interval with no gap. */
  private static boolean coveredThroughout(Descriptor g, List<Descriptor> held) {
    long reached = g.start();
    boolean progress = true;
    while (reached < g.end() && progress) {
      progress = false;
      for (Descriptor d : held) {
        if (d.attr().equals(g.attr())
            && d.value().equals(g.value())
            && d.start() <= reached
            && reached < d.end()) {
          reached = d.end();
          progress = true;
        }
      }
    }
    return reached >= g.end();
  }
}
