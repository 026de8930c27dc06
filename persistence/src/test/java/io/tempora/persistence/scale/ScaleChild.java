package io.tempora.persistence.scale;

import io.tempora.engine.Engine;
import io.tempora.engine.EngineConfig;
import io.tempora.engine.EntityInfo;
import io.tempora.engine.OntologyResult;
import io.tempora.engine.model.EntityEvent;
import io.tempora.engine.query.ConflictFilter;
import io.tempora.engine.query.ConflictPage;
import io.tempora.engine.query.QueryResult;
import io.tempora.engine.resolve.SwitchJob;
import io.tempora.engine.store.Cursor;
import io.tempora.engine.store.StoreTxn;
import io.tempora.engine.store.StoreView;
import io.tempora.engine.write.WriteResult;
import io.tempora.persistence.Durability;
import io.tempora.persistence.StorageConfig;
import io.tempora.persistence.rocks.RocksShardStore;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryUsage;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * Child JVM of the bounded-memory test and the start-up benchmark. Prints {@code key=value} lines
 * on stdout; any failure exits non-zero with the stack trace on stderr.
 *
 * <ul>
 *   <li>{@code build DIR N BATCH}: ingests records {@code [0, N)} of {@link ScaleWorkload} in
 *       batches (async durability, then a clean close) and prints {@code records} and {@code
 *       seconds}.
 *   <li>{@code serve DIR N}: opens the store holding {@code N} records, prints {@code
 *       first_query_ms} (from JVM start to the first answered query), then ingests, queries, gets
 *       an entity and lists conflicts, and prints {@code heap_after_start}, {@code heap_after_ops}
 *       (bytes used after a GC) and {@code ok=true}.
 *   <li>{@code switch-only DIR N}: {@link #switchOnly(Path)}.
 *   <li>{@code switch-in-events DIR N}: {@link #switchInEvents(Path)}.
 *   <li>{@code switch DIR N}: opens the store holding {@code N} records, sets {@link
 *       ScaleWorkload#SWITCHED} (strong {@code name} instead of {@code ssn}: every linked pair
 *       splits), checks one split entity and prints the event counts per kind ({@code
 *       events_split}, ...), {@code switch_seconds}, {@code heap_after_switch}, {@code max_heap}
 *       and {@code ok=true}.
 * </ul>
 */
public final class ScaleChild {
  private ScaleChild() {}

  public static void main(String[] args) {
    Path dir = Path.of(args[1]);
    long n = Long.parseLong(args[2]);
    switch (args[0]) {
      case "build" -> build(dir, n, Integer.parseInt(args[3]));
      case "serve" -> serve(dir, n);
      case "switch" -> switchOntology(dir, n);
      case "switch-only" -> switchOnly(dir);
      case "switch-in-events" -> switchInEvents(dir);
      default -> throw new IllegalArgumentException("unknown phase " + args[0]);
    }
  }

  /** Ingests records {@code [0, n)} in batches. */
  static void build(Path dir, long n, int batch) {
    long t0 = System.nanoTime();
    StorageConfig config = StorageConfig.defaults(0).withDurability(Durability.ASYNC);
    try (RocksShardStore store = RocksShardStore.open(dir, config)) {
      Engine engine = new Engine(store, EngineConfig.defaults());
      engine.setOntology(ScaleWorkload.ONTOLOGY, null);
      for (long i = 0; i < n; i += batch) {
        engine.upsert(ScaleWorkload.batch(i, (int) Math.min(batch, n - i)));
      }
    }
    System.out.println("records=" + n);
    System.out.println("seconds=" + (System.nanoTime() - t0) / 1e9);
  }

  /** Opens a built store and runs one of each operation the bounded-memory test names. */
  static void serve(Path dir, long n) {
    try (RocksShardStore store = RocksShardStore.open(dir, StorageConfig.defaults(0))) {
      Engine engine = new Engine(store, EngineConfig.defaults());
      long probe = n / 2 - n / 2 % 10 + 9;
      QueryResult first = engine.reader().query(ScaleWorkload.query(probe));
      long firstMs =
          System.currentTimeMillis() - ManagementFactory.getRuntimeMXBean().getStartTime();
      require(first.matches() != null && first.matches().size() == 1, "first query: " + first);
      System.out.println("first_query_ms=" + firstMs);
      System.out.println("heap_after_start=" + heapUsedAfterGc());
      WriteResult w = engine.upsert(ScaleWorkload.batch(n, 100));
      require(w.items().size() == 100, "ingest of 100 records: " + w);
      QueryResult q = engine.reader().query(ScaleWorkload.query(n + 19));
      require(q.matches() != null && q.matches().size() == 1, "query: " + q);
      EntityInfo e = engine.reader().getEntity(q.matches().get(0).entityId(), null);
      require(e.members().size() == 2, "entity of record " + (n + 19) + ": " + e);
      ConflictPage page = engine.reader().listConflicts(ConflictFilter.NONE, 100, null);
      require(page.items().size() == 100, "first conflict page: " + page.items().size());
      ConflictPage next =
          engine.reader().listConflicts(ConflictFilter.NONE, 100, page.nextPageToken());
      require(!next.items().isEmpty(), "second conflict page is empty");
      System.out.println("conflicts_page=" + page.items().size());
      System.out.println("heap_after_ops=" + heapUsedAfterGc());
      System.out.println("max_heap=" + Runtime.getRuntime().maxMemory());
    }
    System.out.println("ok=true");
  }

  /** Switches a built store to {@link ScaleWorkload#SWITCHED} and checks one split pair. */
  static void switchOntology(Path dir, long n) {
    try (RocksShardStore store = RocksShardStore.open(dir, StorageConfig.defaults(0))) {
      Engine engine = new Engine(store, switchConfig());
      long t0 = System.nanoTime();
      OntologyResult r = engine.setOntology(ScaleWorkload.SWITCHED, null);
      System.out.println("switch_seconds=" + (System.nanoTime() - t0) / 1e9);
      System.out.println("switch_batch_bytes=" + store.largestBatchBytes());
      require(r.version() == 2 && r.tx() != 0, "switch: version " + r.version() + ", tx " + r.tx());
      Map<EntityEvent.Kind, Long> kinds = new TreeMap<>();
      r.events().forEach(ev -> kinds.merge(ev.kind(), 1L, Long::sum));
      kinds.forEach(
          (k, c) -> System.out.println("events_" + k.name().toLowerCase(Locale.ROOT) + "=" + c));
      // The switch's events as stored (packed past 65,535 per tx, docs/storage.md), in order.
      long stored = 0;
      try (StoreView v = store.view();
          Cursor<EntityEvent> c = v.events(r.tx())) {
        while (c.hasNext()) {
          EntityEvent ev = c.next();
          require(
              ev.tx() == r.tx() && ev.equals(r.events().get((int) stored)),
              "stored event " + stored + " of the switch: " + ev);
          stored++;
        }
      }
      require(stored == r.events().size(), "stored events " + stored + " of " + r.events().size());
      System.out.println("events_stored=" + stored);
      long probe = n / 2 - n / 2 % 10 + 9;
      QueryResult q = engine.reader().query(ScaleWorkload.query(probe));
      require(q.matches() != null && q.matches().size() == 1, "query after switch: " + q);
      EntityInfo e = engine.reader().getEntity(q.matches().get(0).entityId(), null);
      require(e.members().size() == 1, "entity of record " + probe + " after switch: " + e);
      System.out.println("heap_after_switch=" + heapUsedAfterGc());
      System.out.println("max_heap=" + Runtime.getRuntime().maxMemory());
    }
    System.out.println("ok=true");
  }

  /**
   * Switches a built store to {@link ScaleWorkload#SWITCHED} in {@code immediate} mode, printing
   * {@code switching} (flushed) right before and {@code switch_ms}, {@code switch_tx} after; the
   * switch crash test kills it in between. The switch spills every {@code tempora.switch.batch}
   * records (default: {@code storage.reindex_batch_records}'s default).
   */
  static void switchOnly(Path dir) {
    try (RocksShardStore store = RocksShardStore.open(dir, StorageConfig.defaults(0))) {
      Engine engine = new Engine(store, switchConfig());
      System.out.println("switching");
      System.out.flush();
      long t0 = System.nanoTime();
      OntologyResult r = engine.setOntology(ScaleWorkload.SWITCHED, null);
      System.out.println("switch_ms=" + (System.nanoTime() - t0) / 1_000_000);
      System.out.println("switch_tx=" + r.tx());
      System.out.flush();
    }
    System.out.println("ok=true");
  }

  /**
   * As {@link #switchOnly(Path)}, but stops at the first spill after which some of the switch's
   * events are in the store (the events phase, docs/storage.md "Ontology switch"): prints {@code
   * in_events=N} (flushed) and waits on standard input, never returning; the switch crash test
   * SIGKILLs it there, between two pieces of events.
   */
  static void switchInEvents(Path dir) {
    try (RocksShardStore store = RocksShardStore.open(dir, StorageConfig.defaults(0));
        StoreTxn txn = store.begin()) {
      long tx = txn.meta().lastTx() + 1;
      SwitchJob.start(
          txn,
          ScaleWorkload.SWITCHED,
          0,
          switchConfig().switchBatchRecords(),
          job -> {
            long stored;
            try (Cursor<EntityEvent> c = txn.events(tx)) {
              stored = c.toList().size();
            }
            if (stored > 0) {
              System.out.println("in_events=" + stored);
              System.out.flush();
              try {
                while (System.in.read() >= 0) {
                  // Waits for the kill.
                }
              } catch (IOException e) {
                throw new UncheckedIOException(e);
              }
              throw new IllegalStateException("standard input closed before the kill");
            }
          });
      throw new IllegalStateException("the switch ended without a spill holding events");
    }
  }

  /** The engine configuration with the switch batch of {@code tempora.switch.batch}. */
  static EngineConfig switchConfig() {
    return EngineConfig.defaults()
        .withSwitchBatchRecords(
            Integer.getInteger("tempora.switch.batch", EngineConfig.DEFAULT_SWITCH_BATCH_RECORDS));
  }

  private static void require(boolean ok, String what) {
    if (!ok) {
      throw new IllegalStateException("unexpected answer: " + what);
    }
  }

  /** Heap in use after a full collection (best effort: {@code System.gc()} is a request). */
  static long heapUsedAfterGc() {
    System.gc();
    MemoryUsage u = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage();
    return u.getUsed();
  }
}
