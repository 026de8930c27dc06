package io.tempora.engine.resolve;

import static org.assertj.core.api.Assertions.assertThat;

import io.tempora.engine.Engine;
import io.tempora.engine.EngineConfig;
import io.tempora.engine.conformance.Workloads;
import io.tempora.engine.model.EntityRow;
import io.tempora.engine.model.Ids;
import io.tempora.engine.ontology.Ontology;
import io.tempora.engine.oracle.Workload;
import io.tempora.engine.store.ConflictEntry;
import io.tempora.engine.store.Cursor;
import io.tempora.engine.store.InMemoryStore;
import io.tempora.engine.store.StoreMeta;
import io.tempora.engine.store.StoreTxn;
import io.tempora.engine.store.StoreView;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;

/**
 * The unit-by-unit ontology switch ({@link OntologySwitch}) against the one-step recomputation
 * ({@link Resolver#switchOntologyInOneStep()}): after the same workload and the same switch, both
 * stores hold the same memberships, entity rows (ids, aliases, deletions), conflict units, events
 * and counters, and both report the same events and the same "changed" flag. The conformance suite
 * compares the switched partition with an oracle up to renaming; this compares ids and events.
 */
class OntologySwitchDifferentialTest {
  private static final int SHARD = EngineConfig.defaults().shardId();

  @Property(tries = 150)
  void switchOntology_anyWorkloadAndOntologyPair_equalsOneStepSwitch(@ForAll long seed) {
    Workload w = Workloads.generate(seed);
    Ontology other = Workloads.generate(seed ^ 0x5DEECE66DL).ontology();
    InMemoryStore unitWise = storeAfter(w);
    InMemoryStore oneStep = storeAfter(w);

    for (Ontology target : List.of(other, w.ontology(), other)) {
      Resolver.Outcome a = switchTo(unitWise, target, false);
      Resolver.Outcome b = switchTo(oneStep, target, true);

      assertThat(a.events()).as("seed %d: events", seed).isEqualTo(b.events());
      assertThat(a.conflictsChanged())
          .as("seed %d: conflicts changed", seed)
          .isEqualTo(b.conflictsChanged());
      assertThat(dump(unitWise)).as("seed %d: stored state", seed).isEqualTo(dump(oneStep));
    }
  }

  private static InMemoryStore storeAfter(Workload w) {
    InMemoryStore store = new InMemoryStore();
    Engine e = new Engine(store, EngineConfig.defaults());
    e.setOntology(w.ontology(), null);
    Workloads.apply(e, w.ops());
    return store;
  }

  /** What {@code Engine.setOntology} does, with either switch. */
  private static Resolver.Outcome switchTo(InMemoryStore store, Ontology target, boolean oneStep) {
    try (StoreTxn txn = store.begin()) {
      StoreMeta meta = txn.meta();
      int next = meta.ontologyVersion() + 1;
      Ontology current = txn.ontology(meta.ontologyVersion());
      txn.putOntology(next, target);
      long tx = meta.lastTx() + 1;
      long[] nextEntity = {meta.nextEntity()};
      Resolver r = new Resolver(txn, current, target, () -> Ids.of(SHARD, nextEntity[0]++), tx);
      Resolver.Outcome out = oneStep ? r.switchOntologyInOneStep() : r.switchOntology();
      txn.putMeta(
          meta.withCounters(meta.nextRecord(), nextEntity[0], tx).withOntology(next, meta.job()));
      txn.commit();
      return out;
    }
  }

  private static List<String> dump(InMemoryStore store) {
    List<String> out = new ArrayList<>();
    try (StoreView v = store.view()) {
      StoreMeta meta = v.meta();
      out.add("meta " + meta);
      out.add("counts " + v.counts());
      try (Cursor<Long> live = v.liveRecords(0)) {
        while (live.hasNext()) {
          long rid = live.next();
          out.add("record " + rid + " in " + v.entityOf(rid));
        }
      }
      for (long c = 1; c < meta.nextEntity(); c++) {
        long id = Ids.of(SHARD, c);
        EntityRow row = v.entity(id);
        out.add(
            "entity "
                + row
                + " members "
                + v.members(id).toList()
                + " aliases "
                + v.aliases(id).toList());
        out.add("units " + v.conflictUnits(id).toList().stream().sorted().toList());
      }
      try (Cursor<ConflictEntry> all = v.conflictRange(null, null)) {
        while (all.hasNext()) {
          ConflictEntry e = all.next();
          out.add("conflict " + HexFormat.of().formatHex(e.sortKey()) + " " + e.item());
        }
      }
      v.events(0).toList().forEach(e -> out.add("event " + e));
    }
    return out;
  }
}
