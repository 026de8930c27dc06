package io.tempora.persistence.rocks;

import static org.assertj.core.api.Assertions.assertThat;

import io.tempora.engine.Engine;
import io.tempora.engine.EngineConfig;
import io.tempora.engine.conformance.Workloads;
import io.tempora.engine.oracle.Workload;
import io.tempora.engine.store.StoreCounts;
import io.tempora.engine.store.StoreView;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rocksdb.RocksDBException;
import org.rocksdb.WriteBatch;

/** verify: clean after random workloads; each seeded fault is reported in its class. */
class StoreVerifierTest {
  @TempDir Path dir;

  private static RocksShardStore loaded(Path d, long seed) {
    RocksShardStore store = RocksShardStore.open(d, TestStores.fastConfig());
    Workload w = Workloads.generate(seed);
    Engine e = new Engine(store, EngineConfig.defaults());
    e.setOntology(w.ontology(), null);
    Workloads.apply(e, w.ops());
    return store;
  }

  @Test
  void verify_randomWorkloads_isClean() {
    for (long seed = 1; seed <= 10; seed++) {
      try (RocksShardStore store = loaded(dir.resolve("s" + seed), seed)) {
        assertThat(store.verify()).as("seed %d", seed).isEmpty();
      }
    }
  }

  @Test
  void verify_seededFaults_areReported() throws RocksDBException {
    try (RocksShardStore store = loaded(dir, 3)) {
      byte[] attrValue = firstKey(store, Cf.ATTR_VALUE);
      byte[] posting = firstKey(store, Cf.KEY_POSTINGS);
      byte[] internString = firstKeyWithTag(store, (byte) 0x76);
      RocksStore rocks = store.rocks();
      try (WriteBatch b = new WriteBatch()) {
        b.delete(rocks.handle(Cf.ATTR_VALUE), attrValue);
        b.delete(rocks.handle(Cf.KEY_POSTINGS), posting);
        b.delete(rocks.handle(Cf.INTERNER), internString);
        b.put(rocks.handle(Cf.MEMBERSHIPS), Keys.pair(999, 12345), new byte[0]);
        b.put(rocks.handle(Cf.META), RocksView.COUNT_ENTITIES, RocksShardStore.longValue(10_000));
        rocks.writeSync(b);
      }
      assertThat(store.verify())
          .containsKeys(
              "missing attr_value row",
              "missing key_postings row",
              "broken interner pair",
              "dangling membership row",
              "counters differ from a recount");
    }
  }

  @Test
  void open_dataDirWithoutCounters_recountsOnceAndStaysConsistent() throws RocksDBException {
    StoreCounts before;
    try (RocksShardStore store = loaded(dir, 5)) {
      try (StoreView v = store.view()) {
        before = v.counts();
      }
      RocksStore rocks = store.rocks();
      try (WriteBatch b = new WriteBatch()) {
        b.delete(rocks.handle(Cf.META), RocksView.COUNT_RECORDS);
        b.delete(rocks.handle(Cf.META), RocksView.COUNT_ENTITIES);
        b.delete(rocks.handle(Cf.META), RocksView.COUNT_CONFLICTS);
        rocks.writeSync(b);
      }
    }
    assertThat(before.records()).isPositive();
    try (RocksShardStore store = RocksShardStore.open(dir, TestStores.fastConfig())) {
      try (StoreView v = store.view()) {
        assertThat(v.counts()).isEqualTo(before);
      }
      assertThat(store.verify()).isEmpty();
    }
  }

  private static byte[] firstKey(RocksShardStore store, Cf cf) {
    try (StoreView v = store.view()) {
      return ((RocksView) v).scan(cf, new byte[0], null, (k, val) -> k).toList().get(0);
    }
  }

  private static byte[] firstKeyWithTag(RocksShardStore store, byte tag) {
    try (StoreView v = store.view()) {
      return ((RocksView) v).prefix(Cf.INTERNER, new byte[] {tag}, (k, val) -> k).toList().get(0);
    }
  }
}
