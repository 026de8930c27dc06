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
import io.tempora.engine.store.StoreMeta.ResolutionJob;
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
    assertBatchedEqualsOneStep(seed, Integer.MAX_VALUE);
  }

  @Property(tries = 40)
  void switchOntology_tinyBatches_equalsOneStepSwitch(@ForAll long seed) {
    for (int batch : new int[] {1, 2, 7}) {
      assertBatchedEqualsOneStep(seed, batch);
    }
  }

  /**
   * Stops the switch right after spill {@code k} (what a killed process leaves in a disk store: the
   * spilled pieces), drops everything the switch held in heap, and finishes it from the stored job
   * state alone: for every {@code k}, the result equals the one-step switch.
   */
  @Property(tries = 20)
  void switchOntology_interruptedAfterAnySpill_resumesToOneStepSwitch(@ForAll long seed) {
    Workload w = Workloads.generate(seed);
    Ontology other = Workloads.generate(seed ^ 0x5DEECE66DL).ontology();
    InMemoryStore batched = storeAfter(w);
    InMemoryStore oneStep = storeAfter(w);
    int resumed = 0;
    for (Ontology target : List.of(other, w.ontology())) {
      Resolver.Outcome expected = oneStepSwitch(oneStep, target);
      List<String> expectedDump = dump(oneStep);
      for (int batch : new int[] {2, 7}) {
        for (int k = 1; ; k++) {
          try (StoreTxn txn = batched.begin()) {
            if (!interruptAfter(txn, target, batch, k)) {
              break;
            }
            Resolver.Outcome a = SwitchJob.resume(txn, SHARD, batch, job -> {}).outcome();
            resumed++;
            assertThat(a.events())
                .as("seed %d spill %d: events", seed, k)
                .isEqualTo(expected.events());
            assertThat(a.conflictsChanged())
                .as("seed %d spill %d: conflicts changed", seed, k)
                .isEqualTo(expected.conflictsChanged());
            assertThat(dump(txn))
                .as("seed %d batch %d spill %d: stored state", seed, batch, k)
                .isEqualTo(expectedDump);
            // Closed without commit: the in-memory store undoes the switch for the next k.
          }
        }
      }
      batchedSwitch(batched, target, Integer.MAX_VALUE);
      assertThat(dump(batched)).as("seed %d: stored state", seed).isEqualTo(expectedDump);
    }
    assertThat(resumed).as("seed %d: switches resumed", seed).isPositive();
  }

  private void assertBatchedEqualsOneStep(long seed, int batch) {
    Workload w = Workloads.generate(seed);
    Ontology other = Workloads.generate(seed ^ 0x5DEECE66DL).ontology();
    InMemoryStore batched = storeAfter(w);
    InMemoryStore oneStep = storeAfter(w);

    for (Ontology target : List.of(other, w.ontology(), other)) {
      Resolver.Outcome a = batchedSwitch(batched, target, batch);
      Resolver.Outcome b = oneStepSwitch(oneStep, target);

      assertThat(a.events()).as("seed %d batch %d: events", seed, batch).isEqualTo(b.events());
      assertThat(a.conflictsChanged())
          .as("seed %d batch %d: conflicts changed", seed, batch)
          .isEqualTo(b.conflictsChanged());
      assertThat(dump(batched))
          .as("seed %d batch %d: stored state", seed, batch)
          .isEqualTo(dump(oneStep));
    }
  }

  private static InMemoryStore storeAfter(Workload w) {
    InMemoryStore store = new InMemoryStore();
    Engine e = new Engine(store, EngineConfig.defaults());
    e.setOntology(w.ontology(), null);
    Workloads.apply(e, w.ops());
    return store;
  }

  /** What {@code Engine.setOntology} does. */
  private static Resolver.Outcome batchedSwitch(InMemoryStore store, Ontology target, int batch) {
    try (StoreTxn txn = store.begin()) {
      Resolver.Outcome out = SwitchJob.start(txn, target, SHARD, batch, job -> {}).outcome();
      txn.commit();
      return out;
    }
  }

  /** Starts a switch and stops it right after spill {@code k}; false if it finished before. */
  private static boolean interruptAfter(StoreTxn txn, Ontology target, int batch, int k) {
    int[] spills = {0};
    try {
      SwitchJob.start(
          txn,
          target,
          SHARD,
          batch,
          job -> {
            if (++spills[0] == k) {
              throw new Interrupted();
            }
          });
      return false;
    } catch (Interrupted e) {
      return true;
    }
  }

  private static final class Interrupted extends RuntimeException {
    Interrupted() {
      super("interrupted", null, false, false);
    }
  }

  /** The same switch with the one-step reference recomputation. */
  private static Resolver.Outcome oneStepSwitch(InMemoryStore store, Ontology target) {
    try (StoreTxn txn = store.begin()) {
      StoreMeta meta = txn.meta();
      int next = meta.ontologyVersion() + 1;
      Ontology current = txn.ontology(meta.ontologyVersion());
      txn.putOntology(next, target);
      long tx = meta.lastTx() + 1;
      long[] nextEntity = {meta.nextEntity()};
      long total = txn.counts().records();
      Resolver r = new Resolver(txn, current, target, () -> Ids.of(SHARD, nextEntity[0]++), tx);
      Resolver.Outcome out = r.switchOntologyInOneStep();
      long lastTx = out.changedAnything() ? tx : meta.lastTx();
      txn.putMeta(
          meta.withCounters(meta.nextRecord(), nextEntity[0], lastTx)
              .withOntology(next, new ResolutionJob(next, ResolutionJob.State.DONE, total, total)));
      txn.commit();
      return out;
    }
  }

  private static List<String> dump(InMemoryStore store) {
    try (StoreView v = store.view()) {
      return dump(v);
    }
  }

  private static List<String> dump(StoreView v) {
    List<String> out = new ArrayList<>();
    {
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
      out.add("job rows " + v.jobRows(new byte[0], null).toList().size());
    }
    return out;
  }
}
