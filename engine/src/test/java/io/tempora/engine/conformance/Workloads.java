package io.tempora.engine.conformance;

import io.tempora.engine.Engine;
import io.tempora.engine.EngineConfig;
import io.tempora.engine.model.RecordInput;
import io.tempora.engine.ontology.Ontology;
import io.tempora.engine.oracle.Op;
import io.tempora.engine.oracle.Workload;
import io.tempora.engine.oracle.WorkloadGenerator;
import io.tempora.engine.store.InMemoryStore;
import io.tempora.engine.store.Store;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.function.Supplier;

/** Runs generated workloads on engines over a chosen store. */
public final class Workloads {
  private static final WorkloadGenerator GENERATOR = new WorkloadGenerator();

  private final Supplier<Store> stores;

  public Workloads(Supplier<Store> stores) {
    this.stores = stores;
  }

  /** Workloads on in-memory stores. */
  public static Workloads inMemory() {
    return new Workloads(InMemoryStore::new);
  }

  /** The workload of a seed. */
  public static Workload generate(long seed) {
    return GENERATOR.generate(seed);
  }

  /** A fresh engine on a fresh store with the ontology applied. */
  public Engine fresh(Ontology ontology) {
    Engine e = new Engine(stores.get(), EngineConfig.defaults());
    e.setOntology(ontology, null);
    return e;
  }

  /** A fresh engine that has run every op of the workload. */
  public Engine run(Workload w) {
    Engine e = fresh(w.ontology());
    apply(e, w.ops());
    return e;
  }

  /** Applies ops in order. */
  public static void apply(Engine e, List<Op> ops) {
    for (Op op : ops) {
      switch (op) {
        case Op.Upsert u -> e.upsert(u.records());
        case Op.Delete d -> e.delete(d.identities());
      }
    }
  }

  /** A fresh engine holding exactly the live records, ingested in one request. */
  public Engine fromScratch(Workload w) {
    Engine e = fresh(w.ontology());
    List<RecordInput> live = WorkloadGenerator.liveRecords(w.ops());
    if (!live.isEmpty()) {
      e.upsert(live);
    }
    return e;
  }

  /** The live records shuffled and cut into random batches. */
  public static List<List<RecordInput>> shuffledBatches(Workload w, long seed) {
    Random r = new Random(seed);
    List<RecordInput> live = new ArrayList<>(WorkloadGenerator.liveRecords(w.ops()));
    Collections.shuffle(live, r);
    List<List<RecordInput>> out = new ArrayList<>();
    int i = 0;
    while (i < live.size()) {
      int n = 1 + r.nextInt(Math.min(8, live.size() - i));
      out.add(live.subList(i, i + n));
      i += n;
    }
    return out;
  }
}
