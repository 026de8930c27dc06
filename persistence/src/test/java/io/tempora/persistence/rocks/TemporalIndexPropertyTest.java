package io.tempora.persistence.rocks;

import static org.assertj.core.api.Assertions.assertThat;

import io.tempora.engine.model.Descriptor;
import io.tempora.engine.model.Descriptors;
import io.tempora.engine.model.Identity;
import io.tempora.engine.model.RecordVersion;
import io.tempora.engine.model.RecordVersion.ChangeKind;
import io.tempora.engine.store.StoreTxn;
import io.tempora.engine.temporal.Interval;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.lifecycle.AfterContainer;

/**
 * STORAGE.md ST-T7: the temporal index on a real RocksDB store answers every window exactly as a
 * brute-force scan of the records does, for bounded, unbounded, single-position, adjacent and
 * full-range intervals (stored and queried), through creates, updates and deletes, and reads at
 * most {@code matches + 2 × marked levels} keys.
 */
class TemporalIndexPropertyTest {
  private static final Path ROOT = createRoot();
  private static final List<String> TYPES = List.of("person", "company");
  private static final List<String> PERSPECTIVES = List.of("crm", "erp", "web");

  /** One store for the container: each try uses fresh record ids and deletes them at its end. */
  private static final TestStores STORES = new TestStores(ROOT);

  private static RocksShardStore store;
  private static long nextRid = 1;

  private static Path createRoot() {
    try {
      return Files.createTempDirectory("tempora-temporal-");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static synchronized RocksShardStore store() {
    if (store == null) {
      store = STORES.open();
    }
    return store;
  }

  /** One index entry: a record and one of its distinct intervals. */
  record Entry(long rid, Interval interval) {}

  private static final Comparator<Entry> ORDER =
      Comparator.comparingLong(Entry::rid).thenComparing(Entry::interval);

  /** A write: record index into the workload's records, and its intervals (empty = delete). */
  record Change(int record, List<Interval> intervals) {}

  @Property(tries = 300)
  void overlapping_randomIntervalsAndWindows_equalsBruteForceWithinVisitBound(
      @ForAll("records") List<List<Interval>> records,
      @ForAll("changes") List<Change> changes,
      @ForAll("windows") List<Interval> windows,
      @ForAll boolean oneTransaction) {
    RocksShardStore store = store();
    long base = nextRid;
    nextRid += records.size();
    Map<Long, Set<Interval>> live = new TreeMap<>();
    List<Change> all = new ArrayList<>();
    for (int i = 0; i < records.size(); i++) {
      all.add(new Change(i, records.get(i)));
    }
    for (Change c : changes) {
      all.add(new Change(c.record() % records.size(), c.intervals()));
    }
    write(store, base, all, live, oneTransaction);
    for (Interval w : windows) {
      List<Entry> expected = new ArrayList<>();
      live.forEach(
          (rid, set) ->
              set.stream()
                  .filter(i -> i.overlaps(w))
                  .forEach(i -> expected.add(new Entry(rid, i))));
      expected.sort(ORDER);
      List<Entry> reported = new ArrayList<>();
      TemporalIndex.Visit visit;
      try (RocksView view = (RocksView) store.view()) {
        visit =
            TemporalIndex.overlapping(
                view.source(), w.start(), w.end(), (rid, i) -> reported.add(new Entry(rid, i)));
      }
      // Only this try's records: a failed earlier try (while shrinking) may have left its own.
      List<Entry> actual =
          reported.stream()
              .filter(e -> e.rid() >= base && e.rid() < base + records.size())
              .sorted(ORDER)
              .toList();
      assertThat(actual).as("window %s", w).isEqualTo(expected);
      assertThat(visit.matched()).isEqualTo(reported.size());
      assertThat(visit.visited())
          .as("window %s: keys visited", w)
          .isLessThanOrEqualTo(visit.matched() + 2L * visit.levels());
    }
    assertThat(problems(store)).isEmpty();
    deleteAll(store, base, records.size(), live);
  }

  /** Tombstones every record of the try: no temporal, type or perspective row may remain. */
  private static void deleteAll(
      RocksShardStore store, long base, int n, Map<Long, Set<Interval>> live) {
    List<Change> deletes = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      deletes.add(new Change(i, List.of()));
    }
    write(store, base, deletes, live, true);
    try (RocksView view = (RocksView) store.view()) {
      for (Cf cf : List.of(Cf.TEMPORAL, Cf.ENTITY_TYPE_IDX, Cf.PERSPECTIVE_IDX)) {
        try (var rows = view.scan(cf, new byte[0], null, (k, v) -> k)) {
          assertThat(rows.hasNext()).as("%s rows left after deleting every record", cf).isFalse();
        }
      }
    }
  }

  /**
   * Many short intervals on few levels in a fresh store, so that a scan reading past its range
   * would exceed the bound: at most one key beyond the matches per scan.
   */
  @Property(tries = 8)
  void overlapping_denseLevels_visitsAtMostOneExtraKeyPerScan(
      @ForAll("dense") List<Interval> intervals, @ForAll("denseWindows") List<Interval> windows) {
    try (TestStores own = new TestStores(ROOT.resolve("dense-" + nextRid))) {
      RocksShardStore s = own.open();
      Map<Long, Set<Interval>> live = new TreeMap<>();
      List<Change> all = new ArrayList<>();
      for (int i = 0; i < intervals.size(); i++) {
        all.add(new Change(i, List.of(intervals.get(i))));
      }
      write(s, nextRid, all, live, true);
      long base = nextRid;
      nextRid += intervals.size();
      for (Interval w : windows) {
        long expected =
            live.values().stream().flatMap(Set::stream).filter(i -> i.overlaps(w)).count();
        TemporalIndex.Visit visit;
        try (RocksView view = (RocksView) s.view()) {
          visit = TemporalIndex.overlapping(view.source(), w.start(), w.end(), (rid, i) -> {});
        }
        assertThat(visit.matched()).as("window %s (records from %d)", w, base).isEqualTo(expected);
        assertThat(visit.visited() - visit.matched())
            .as("window %s: keys visited beyond the matches", w)
            .isLessThanOrEqualTo(2L * visit.levels());
      }
    }
  }

  @Provide
  Arbitrary<List<Interval>> dense() {
    Arbitrary<Long> t = Arbitraries.longs().between(0, 3000);
    return Combinators.combine(t, Arbitraries.integers().between(1, 6))
        .as((s, len) -> Interval.of(s, s + len))
        .list()
        .ofMinSize(200)
        .ofMaxSize(400);
  }

  @Provide
  Arbitrary<List<Interval>> denseWindows() {
    Arbitrary<Long> t = Arbitraries.longs().between(-10, 3010);
    return Combinators.combine(t, Arbitraries.integers().between(1, 400))
        .as((s, len) -> Interval.of(s, s + len))
        .list()
        .ofMinSize(5)
        .ofMaxSize(10);
  }

  private static final Map<Long, Integer> VERSIONS = new HashMap<>();

  private static void write(
      RocksShardStore store,
      long base,
      List<Change> all,
      Map<Long, Set<Interval>> live,
      boolean oneTxn) {
    Map<Long, Integer> versions = VERSIONS;
    StoreTxn txn = null;
    long tx = 1;
    for (Change c : all) {
      if (txn == null) {
        txn = store.begin();
      }
      long rid = base + c.record();
      int version = versions.merge(rid, 1, Integer::sum);
      txn.putRecord(version(rid, c.record(), version, tx++, c.intervals()));
      if (c.intervals().isEmpty()) {
        live.remove(rid);
      } else {
        live.put(rid, new TreeSet<>(c.intervals()));
      }
      if (!oneTxn) {
        txn.commit();
        txn.close();
        txn = null;
      }
    }
    if (txn != null) {
      txn.commit();
      txn.close();
    }
  }

  /** A version whose descriptors are one attribute per interval, so no two pieces merge. */
  static RecordVersion version(long rid, int index, int version, long tx, List<Interval> ints) {
    Identity id =
        new Identity(
            TYPES.get(index % TYPES.size()),
            PERSPECTIVES.get(index % PERSPECTIVES.size()),
            "u" + index);
    if (ints.isEmpty()) {
      return new RecordVersion(rid, id, version, tx, ChangeKind.DELETED, null);
    }
    List<Descriptor> ds = new ArrayList<>();
    for (int i = 0; i < ints.size(); i++) {
      ds.add(new Descriptor("a" + i, "v", ints.get(i).start(), ints.get(i).end()));
    }
    ChangeKind kind = version == 1 ? ChangeKind.CREATED : ChangeKind.UPDATED;
    return new RecordVersion(rid, id, version, tx, kind, Descriptors.of(ds));
  }

  static Map<String, String> problems(RocksShardStore store) {
    Map<String, String> out = new LinkedHashMap<>();
    try (RocksView view = (RocksView) store.view()) {
      IndexVerifier.verify(view, (k, e) -> out.merge(k, e, (a, b) -> a + "; " + b));
    }
    return out;
  }

  @Provide
  Arbitrary<List<List<Interval>>> records() {
    return recordIntervals().list().ofMinSize(1).ofMaxSize(25);
  }

  @Provide
  Arbitrary<List<Change>> changes() {
    Arbitrary<List<Interval>> ints =
        Arbitraries.frequencyOf(
            Tuple.of(3, recordIntervals()), Tuple.of(1, Arbitraries.just(List.of())));
    return Combinators.combine(Arbitraries.integers().between(0, 24), ints)
        .as(Change::new)
        .list()
        .ofMaxSize(20);
  }

  @Provide
  Arbitrary<List<Interval>> windows() {
    return Arbitraries.frequencyOf(
            Tuple.of(4, intervals()), Tuple.of(1, chains().map(List::getFirst)))
        .list()
        .ofMinSize(1)
        .ofMaxSize(12);
  }

  /** A record's intervals: up to four of any kind, sometimes followed by an adjacent chain. */
  static Arbitrary<List<Interval>> recordIntervals() {
    Arbitrary<List<Interval>> some = intervals().list().ofMinSize(1).ofMaxSize(4);
    return Arbitraries.frequencyOf(
        Tuple.of(3, some),
        Tuple.of(1, chains()),
        Tuple.of(1, Combinators.combine(some, chains()).as(TemporalIndexPropertyTest::concat)));
  }

  private static List<Interval> concat(List<Interval> a, List<Interval> b) {
    List<Interval> out = new ArrayList<>(a);
    out.addAll(b);
    return out;
  }

  /** Bounded, unbounded on either side, single-position and full-range intervals. */
  static Arbitrary<Interval> intervals() {
    Arbitrary<Long> t = instants();
    return Arbitraries.frequencyOf(
        Tuple.of(
            4,
            Combinators.combine(t, t)
                .filter((x, y) -> !x.equals(y))
                .as((x, y) -> Interval.of(Math.min(x, y), Math.max(x, y)))),
        Tuple.of(1, t.filter(e -> e != Long.MIN_VALUE).map(e -> Interval.of(Long.MIN_VALUE, e))),
        Tuple.of(1, t.filter(s -> s != Long.MAX_VALUE).map(s -> Interval.of(s, Long.MAX_VALUE))),
        Tuple.of(2, t.filter(s -> s != Long.MAX_VALUE).map(s -> Interval.of(s, s + 1))),
        Tuple.of(1, Arbitraries.just(Interval.ALL)));
  }

  /** Two to four adjacent intervals {@code [c0,c1), [c1,c2), ...}. */
  static Arbitrary<List<Interval>> chains() {
    return instants()
        .set()
        .ofMinSize(3)
        .ofMaxSize(5)
        .map(
            cuts -> {
              List<Long> c = new ArrayList<>(new TreeSet<>(cuts));
              List<Interval> out = new ArrayList<>();
              for (int i = 1; i < c.size(); i++) {
                out.add(Interval.of(c.get(i - 1), c.get(i)));
              }
              return out;
            });
  }

  /**
   * Instants that collide often and hit the level boundaries: small values around 0 (the top bin's
   * midpoint), the sentinels and their neighbours, powers of two, and any long.
   */
  static Arbitrary<Long> instants() {
    return Arbitraries.frequencyOf(
        Tuple.of(4, Arbitraries.longs().between(-40, 40)),
        Tuple.of(
            2,
            Arbitraries.of(
                Long.MIN_VALUE,
                Long.MIN_VALUE + 1,
                -(1L << 62),
                -1024L,
                -1L,
                0L,
                1L,
                1024L,
                1L << 32,
                1L << 62,
                Long.MAX_VALUE - 1,
                Long.MAX_VALUE)),
        Tuple.of(1, Arbitraries.integers().between(0, 62).map(k -> 1L << k)),
        Tuple.of(1, Arbitraries.longs()));
  }

  @AfterContainer
  static void deleteRoot() throws IOException {
    STORES.close();
    store = null;
    Files.deleteIfExists(ROOT);
  }
}
