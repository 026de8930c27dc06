package io.tempora.persistence.rocks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tempora.engine.Engine;
import io.tempora.engine.EngineConfig;
import io.tempora.engine.conformance.Workloads;
import io.tempora.engine.model.Identity;
import io.tempora.engine.model.RecordVersion;
import io.tempora.engine.oracle.Workload;
import io.tempora.engine.store.Cursor;
import io.tempora.engine.store.InMemoryStore;
import io.tempora.engine.store.Store;
import io.tempora.engine.store.StoreView;
import io.tempora.engine.temporal.Interval;
import io.tempora.persistence.VerifyReport;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rocksdb.RocksDBException;
import org.rocksdb.WriteBatch;

/**
 * The temporal, entity-type and perspective indexes of a RocksDB store after random engine
 * workloads agree with the records of an in-memory store that ran the same workload; their layouts
 * are as docs/storage.md documents; verify reports each seeded index fault.
 */
class RecordIndexesTest {
  private static final List<Interval> WINDOWS =
      List.of(
          Interval.ALL,
          Interval.of(Long.MIN_VALUE, 0),
          Interval.of(0, Long.MAX_VALUE),
          Interval.of(0, 1),
          Interval.of(5, 25),
          Interval.of(-100, 100),
          Interval.of(Long.MAX_VALUE - 1, Long.MAX_VALUE));

  @TempDir Path dir;

  private static Engine run(Store store, Workload w) {
    Engine e = new Engine(store, EngineConfig.defaults());
    e.setOntology(w.ontology(), null);
    Workloads.apply(e, w.ops());
    return e;
  }

  private static List<RecordVersion> liveRecords(StoreView v) {
    List<RecordVersion> out = new ArrayList<>();
    try (Cursor<Long> c = v.liveRecords(0)) {
      c.forEachRemaining(rid -> out.add(v.record(rid)));
    }
    return out;
  }

  @Test
  @DisplayName("STORAGE.md §3, §3.3: indexes after random workloads equal the in-memory records")
  void indexes_randomWorkloads_equalInMemoryRecords() {
    for (long seed = 1; seed <= 6; seed++) {
      Workload w = Workloads.generate(seed);
      InMemoryStore memory = new InMemoryStore();
      run(memory, w);
      List<RecordVersion> expected;
      try (StoreView v = memory.view()) {
        expected = liveRecords(v);
      }
      try (RocksShardStore rocks = RocksShardStore.open(dir.resolve("s" + seed), config())) {
        run(rocks, w);
        try (RocksView v = (RocksView) rocks.view()) {
          checkIdIndex(v, Cf.ENTITY_TYPE_IDX, expected, i -> i.entityType(), seed);
          checkIdIndex(v, Cf.PERSPECTIVE_IDX, expected, i -> i.perspective(), seed);
          for (Interval window : WINDOWS) {
            Set<Identity> want = new HashSet<>();
            for (RecordVersion r : expected) {
              if (r.descriptors().pieces().stream().anyMatch(d -> d.interval().overlaps(window))) {
                want.add(r.identity());
              }
            }
            Set<Identity> got = new HashSet<>();
            TemporalIndex.overlapping(
                v.source(),
                window.start(),
                window.end(),
                (rid, i) -> got.add(v.record(rid).identity()));
            assertThat(got).as("seed %d window %s", seed, window).isEqualTo(want);
          }
        }
        assertThat(TemporalIndexPropertyTest.problems(rocks)).as("seed %d", seed).isEmpty();
      }
    }
  }

  private static void checkIdIndex(
      RocksView v,
      Cf cf,
      List<RecordVersion> expected,
      Function<Identity, String> name,
      long seed) {
    Map<String, Set<Identity>> want = new HashMap<>();
    for (RecordVersion r : expected) {
      want.computeIfAbsent(name.apply(r.identity()), k -> new HashSet<>()).add(r.identity());
    }
    for (Map.Entry<String, Set<Identity>> e : want.entrySet()) {
      Set<Identity> got = new HashSet<>();
      long after = 0;
      // One id at a time: the paging contract (ids strictly after the given one, ascending).
      while (true) {
        try (Cursor<Long> c = RecordIndexes.recordsOf(v, cf, e.getKey(), after)) {
          if (!c.hasNext()) {
            break;
          }
          long rid = c.next();
          assertThat(Long.compareUnsigned(rid, after)).isPositive();
          got.add(v.record(rid).identity());
          after = rid;
        }
      }
      assertThat(got).as("seed %d %s %s", seed, cf.cfName(), e.getKey()).isEqualTo(e.getValue());
    }
    try (Cursor<Long> none = RecordIndexes.recordsOf(v, cf, "never-interned", 0)) {
      assertThat(none.hasNext()).isFalse();
    }
  }

  @Test
  void keys_knownInterval_areTheDocumentedBytes() {
    TemporalIndex.Span s = TemporalIndex.Span.of(0, 10);
    assertThat(s.level()).isEqualTo(4);
    byte[] start = TemporalIndex.byStart(s, 7);
    ByteBuffer b = ByteBuffer.wrap(start);
    assertThat(start).hasSize(26);
    assertThat(b.get()).isEqualTo((byte) 0x01);
    assertThat(b.get()).isEqualTo((byte) 4);
    assertThat(b.getLong()).isEqualTo(0x8000_0000_0000_0000L);
    assertThat(b.getLong()).isEqualTo(0x8000_0000_0000_0009L);
    assertThat(b.getLong()).isEqualTo(7L);
    ByteBuffer e = ByteBuffer.wrap(TemporalIndex.byEnd(s, 7));
    assertThat(e.get()).isEqualTo((byte) 0x02);
    assertThat(e.get()).isEqualTo((byte) 4);
    assertThat(e.getLong()).isEqualTo(0x8000_0000_0000_0009L);
    assertThat(e.getLong()).isEqualTo(0x8000_0000_0000_0000L);
    assertThat(RecordIndexes.idRow(3, 7)).containsExactly(0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0, 7);
  }

  @Test
  void level_edgeIntervals_matchTheSpec() {
    assertThat(TemporalIndex.Span.of(Interval.ALL).level()).isEqualTo(64);
    assertThat(TemporalIndex.Span.of(-1, 1).level())
        .as("straddles 0, the top midpoint")
        .isEqualTo(64);
    assertThat(TemporalIndex.Span.of(41, 42).level()).as("single position").isZero();
    assertThat(TemporalIndex.Span.of(Long.MIN_VALUE, Long.MIN_VALUE + 2).level()).isEqualTo(1);
    assertThat(TemporalIndex.Span.of(0, Long.MAX_VALUE).level()).isEqualTo(63);
    assertThat(TemporalIndex.Span.of(0, Long.MAX_VALUE).interval())
        .isEqualTo(Interval.of(0, Long.MAX_VALUE));
    TemporalIndex.Levels l = TemporalIndex.Levels.NONE.with(0).with(64);
    assertThat(l.encode()).containsExactly(1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1);
    assertThat(TemporalIndex.Levels.decode(l.encode())).isEqualTo(l);
    assertThat(l.count()).isEqualTo(2);
  }

  @Test
  void overlapping_emptyWindow_isRejected() {
    try (RocksShardStore s = RocksShardStore.open(dir, config());
        RocksView v = (RocksView) s.view()) {
      assertThatThrownBy(() -> TemporalIndex.overlapping(v.source(), 5, 5, (r, i) -> {}))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("[5,5)");
    }
  }

  @Test
  @DisplayName("ST-T8: verify reports each seeded fault of the record indexes")
  void verify_seededIndexFaults_reportsEachClass() throws RocksDBException {
    try (RocksShardStore store = RocksShardStore.open(dir, config())) {
      run(store, Workloads.generate(3));
      RocksStore rocks = store.rocks();
      byte[] temporal = firstKey(store, Cf.TEMPORAL);
      byte[] type = firstKey(store, Cf.ENTITY_TYPE_IDX);
      byte[] persp = firstKey(store, Cf.PERSPECTIVE_IDX);
      byte[] danglingPersp = persp.clone();
      danglingPersp[3] ^= 0x40;
      try (WriteBatch b = new WriteBatch()) {
        b.delete(rocks.handle(Cf.TEMPORAL), temporal);
        b.delete(rocks.handle(Cf.ENTITY_TYPE_IDX), type);
        b.put(rocks.handle(Cf.PERSPECTIVE_IDX), danglingPersp, new byte[0]);
        b.put(
            rocks.handle(Cf.META),
            TemporalIndex.LEVELS_KEY,
            TemporalIndex.Levels.NONE.with(0).encode());
        rocks.writeSync(b);
      }
    }
    VerifyReport report = DataDirVerifier.verify(dir);
    assertThat(report.problems())
        .containsKeys(
            "missing temporal row",
            "temporal row without its twin",
            "temporal level not marked",
            "missing entity_type_idx row",
            "dangling perspective_idx row");
    assertThat(report.exitCode()).isEqualTo(VerifyReport.EXIT_PROBLEMS);
  }

  private static byte[] firstKey(RocksShardStore store, Cf cf) {
    try (StoreView v = store.view()) {
      return ((RocksView) v).scan(cf, new byte[0], null, (k, val) -> k).toList().get(0);
    }
  }

  private static io.tempora.persistence.StorageConfig config() {
    return TestStores.fastConfig();
  }
}
