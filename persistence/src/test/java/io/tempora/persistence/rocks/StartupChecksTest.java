package io.tempora.persistence.rocks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tempora.engine.Engine;
import io.tempora.engine.EngineConfig;
import io.tempora.engine.conformance.Workloads;
import io.tempora.engine.model.Ids;
import io.tempora.engine.oracle.Workload;
import io.tempora.engine.store.StoreException;
import io.tempora.engine.store.StoreMeta;
import io.tempora.engine.store.StoreView;
import io.tempora.persistence.StorageConfig;
import io.tempora.persistence.codec.ValueCodec;
import java.nio.file.Path;
import java.util.List;
import java.util.function.BiConsumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rocksdb.RocksDBException;
import org.rocksdb.WriteBatch;

/**
 * STORAGE.md §5 steps 4–5 at open: counters above the highest ids (one seekForPrev each) and a
 * random sample of records and index rows checked both ways; a mismatch refuses the open naming
 * {@code tempora verify}.
 */
class StartupChecksTest {
  @TempDir Path dir;

  private static final StorageConfig CONFIG = TestStores.fastConfig().withStartupSample(200);

  private void load(long seed) {
    try (RocksShardStore store = RocksShardStore.open(dir, CONFIG)) {
      Workload w = Workloads.generate(seed);
      Engine e = new Engine(store, EngineConfig.defaults());
      e.setOntology(w.ontology(), null);
      Workloads.apply(e, w.ops());
    }
  }

  /** Opens the store, lets {@code fault} write into a batch, writes it with an fsync, closes. */
  private void seed(BiConsumer<RocksShardStore, WriteBatch> fault) throws RocksDBException {
    try (RocksShardStore store = RocksShardStore.open(dir, CONFIG);
        WriteBatch b = new WriteBatch()) {
      fault.accept(store, b);
      store.rocks().writeSync(b);
    }
  }

  private static List<byte[]> keys(RocksShardStore store, Cf cf) {
    try (StoreView v = store.view()) {
      return ((RocksView) v).scan(cf, new byte[0], null, (k, val) -> k).toList();
    }
  }

  private static void deleteAll(RocksShardStore store, WriteBatch b, Cf cf) {
    try {
      for (byte[] k : keys(store, cf)) {
        b.delete(store.rocks().handle(cf), k);
      }
    } catch (RocksDBException e) {
      throw new IllegalStateException(e);
    }
  }

  @Test
  void open_afterRandomWorkloads_passesTheChecks() {
    for (long seed = 1; seed <= 4; seed++) {
      load(seed);
      try (RocksShardStore store = RocksShardStore.open(dir, CONFIG)) {
        assertThat(store.verify()).as("seed %d", seed).isEmpty();
      }
    }
  }

  @Test
  void open_recordCounterBelowHighestId_isRefusedNamingVerify() throws RocksDBException {
    load(3);
    seed(
        (store, b) -> {
          RocksStore rocks = store.rocks();
          StoreMeta meta = ValueCodec.storeMeta(rocks.get(Cf.META, RocksView.STORE_META));
          try {
            b.put(
                rocks.handle(Cf.META),
                RocksView.STORE_META,
                ValueCodec.storeMeta(meta.withCounters(1, meta.nextEntity(), meta.lastTx())));
          } catch (RocksDBException e) {
            throw new IllegalStateException(e);
          }
        });
    assertThatThrownBy(() -> RocksShardStore.open(dir, CONFIG))
        .isInstanceOf(StoreException.class)
        .hasMessageContaining("start-up check failed in " + dir)
        .hasMessageContaining("store_meta next record 1 <= highest id")
        .hasMessageContaining("run tempora verify --data-dir " + dir);
    // The open released everything: the directory opens again (and still fails the same way).
    assertThatThrownBy(() -> RocksShardStore.open(dir, CONFIG.withStartupSample(0)))
        .hasMessageContaining("counter not above the highest id");
  }

  @Test
  void open_recordsMissingTheirAttrValueRows_isRefusedBySample() throws RocksDBException {
    load(5);
    seed((store, b) -> deleteAll(store, b, Cf.ATTR_VALUE));
    assertThatThrownBy(() -> RocksShardStore.open(dir, CONFIG))
        .isInstanceOf(StoreException.class)
        .hasMessageContaining("start-up sample found")
        .hasMessageContaining("missing attr_value row")
        .hasMessageContaining("tempora verify");
    // With the sample off (storage.startup_sample 0) only the counters are checked.
    RocksShardStore.open(dir, CONFIG.withStartupSample(0)).close();
  }

  @Test
  void open_danglingIndexRows_areRefusedBySample() throws RocksDBException {
    load(3);
    long ghost = Ids.of(0, 77_777);
    seed(
        (store, b) -> {
          deleteAll(store, b, Cf.KEY_POSTINGS);
          byte[] posting = keys(store, Cf.KEY_POSTINGS).get(0).clone();
          System.arraycopy(Keys.u64(ghost), 0, posting, posting.length - 8, 8);
          try {
            b.put(store.rocks().handle(Cf.KEY_POSTINGS), posting, new byte[] {1, 0});
          } catch (RocksDBException e) {
            throw new IllegalStateException(e);
          }
        });
    assertThatThrownBy(() -> RocksShardStore.open(dir, CONFIG))
        .isInstanceOf(StoreException.class)
        .hasMessageContaining("dangling key_postings row")
        .hasMessageContaining("record " + Long.toUnsignedString(ghost));
  }

  @Test
  void config_startupSampleOutOfRange_isRejectedNamingTheKey() {
    assertThatThrownBy(() -> CONFIG.withStartupSample(-1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("storage.startup_sample");
    assertThat(StorageConfig.defaults(0).startupSample()).isEqualTo(64);
  }
}
