package io.tempora.persistence.rocks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tempora.engine.Engine;
import io.tempora.engine.EngineConfig;
import io.tempora.engine.conformance.Workloads;
import io.tempora.engine.model.EntityEvent;
import io.tempora.engine.model.Ids;
import io.tempora.engine.oracle.Workload;
import io.tempora.engine.store.StoreException;
import io.tempora.engine.store.StoreMeta;
import io.tempora.engine.store.StoreView;
import io.tempora.persistence.VerifyReport;
import io.tempora.persistence.codec.ValueCodec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rocksdb.RocksDBException;
import org.rocksdb.WriteBatch;

/** STORAGE.md ST-T8 and §5: the read-only {@code tempora verify} of a stopped data dir. */
class DataDirVerifierTest {
  @TempDir Path dir;

  private static void load(Path d, long seed) {
    try (RocksShardStore store = RocksShardStore.open(d, TestStores.fastConfig())) {
      Workload w = Workloads.generate(seed);
      Engine e = new Engine(store, EngineConfig.defaults());
      e.setOntology(w.ontology(), null);
      Workloads.apply(e, w.ops());
    }
  }

  @Test
  @DisplayName("ST-T8: verify is clean after random workloads and changes no file")
  void verify_randomWorkloads_isCleanAndReadOnly() throws IOException {
    for (long seed = 1; seed <= 8; seed++) {
      Path d = dir.resolve("s" + seed);
      load(d, seed);
      String before = listing(d);
      VerifyReport report = DataDirVerifier.verify(d);
      assertThat(report.problems()).as("seed %d", seed).isEmpty();
      assertThat(report.exitCode()).isZero();
      assertThat(report.render()).contains("clean");
      assertThat(listing(d)).as("files and sizes unchanged").isEqualTo(before);
    }
  }

  @Test
  @DisplayName("ST-T8: verify reports each seeded fault")
  void verify_seededFaults_reportsEachClass() throws RocksDBException {
    load(dir, 3);
    try (RocksShardStore store = RocksShardStore.open(dir, TestStores.fastConfig())) {
      RocksStore rocks = store.rocks();
      byte[] attrValue = firstKey(store, Cf.ATTR_VALUE);
      byte[] internString = firstKeyWithTag(store, (byte) 0x76);
      StoreMeta meta = ValueCodec.storeMeta(rocks.get(Cf.META, RocksView.STORE_META));
      try (WriteBatch b = new WriteBatch()) {
        b.delete(rocks.handle(Cf.ATTR_VALUE), attrValue);
        b.put(
            rocks.handle(Cf.KEY_POSTINGS),
            concat(firstKey(store, Cf.KEY_POSTINGS), Keys.u64(Ids.of(0, 99_999))),
            new byte[] {1, 0});
        b.delete(rocks.handle(Cf.INTERNER), internString);
        b.put(
            rocks.handle(Cf.META),
            RocksView.STORE_META,
            ValueCodec.storeMeta(meta.withCounters(1, meta.nextEntity(), meta.lastTx())));
        b.put(rocks.handle(Cf.ACTIVE_ENTITIES), Keys.u64(Ids.of(0, 88_888)), new byte[0]);
        rocks.writeSync(b);
      }
    }
    VerifyReport report = DataDirVerifier.verify(dir);
    assertThat(report.problems())
        .containsKeys(
            "missing attr_value row",
            "dangling key_postings row",
            "broken interner pair",
            "counter not above the highest id",
            "active_entities row naming no active entity",
            // The planted active_entities row also makes the maintained count differ from a
            // recount.
            "counters differ from a recount");
    assertThat(report.problems().get("counter not above the highest id").examples())
        .anySatisfy(e -> assertThat(e).contains("store_meta next record 1"));
    assertThat(report.exitCode()).isEqualTo(VerifyReport.EXIT_PROBLEMS);
    assertThat(report.render())
        .contains("missing attr_value row: ")
        .contains("problem(s) in 6 class(es)");
  }

  @Test
  @DisplayName("verify checks conflict_order against conflicts, and events")
  void verify_conflictOrderAndEventFaults_reportsEachClass() throws RocksDBException {
    Path d = null;
    for (long seed = 1; seed <= 20 && d == null; seed++) {
      Path candidate = dir.resolve("s" + seed);
      load(candidate, seed);
      try (RocksShardStore store = RocksShardStore.open(candidate, TestStores.fastConfig())) {
        if (keys(store, Cf.CONFLICT_ORDER).size() >= 2 && !keys(store, Cf.EVENTS).isEmpty()) {
          d = candidate;
        }
      }
    }
    assertThat(d).as("a workload with conflicts and events").isNotNull();
    try (RocksShardStore store = RocksShardStore.open(d, TestStores.fastConfig());
        WriteBatch b = new WriteBatch()) {
      RocksStore rocks = store.rocks();
      List<byte[]> order = keys(store, Cf.CONFLICT_ORDER);
      b.delete(rocks.handle(Cf.CONFLICT_ORDER), order.get(0));
      byte[] moved = java.util.Arrays.copyOf(order.get(1), order.get(1).length + 1);
      b.put(rocks.handle(Cf.CONFLICT_ORDER), moved, rocks.get(Cf.CONFLICT_ORDER, order.get(1)));
      long lastTx = ValueCodec.storeMeta(rocks.get(Cf.META, RocksView.STORE_META)).lastTx();
      long tx = Keys.u64(keys(store, Cf.EVENTS).get(0), 0);
      b.put(rocks.handle(Cf.EVENTS), Keys.event(tx, 700), event(tx));
      b.put(rocks.handle(Cf.EVENTS), Keys.event(lastTx + 5, 0), event(lastTx + 5));
      b.put(rocks.handle(Cf.EVENTS), Keys.event(lastTx + 6, 0), event(lastTx + 7));
      rocks.writeSync(b);
    }
    VerifyReport report = DataDirVerifier.verify(d);
    assertThat(report.problems())
        .containsKeys(
            "conflict without its conflict_order row",
            "conflict_order row under another item's key",
            "event ordinals not contiguous from 0",
            "event outside transactions 1..last_tx",
            "event tx disagrees with its key");
  }

  private static byte[] event(long tx) {
    return ValueCodec.event(new EntityEvent(tx, EntityEvent.Kind.CREATED, 1, List.of()));
  }

  private static List<byte[]> keys(RocksShardStore store, Cf cf) {
    try (StoreView v = store.view()) {
      return ((RocksView) v).scan(cf, new byte[0], null, (k, val) -> k).toList();
    }
  }

  @Test
  void verify_missingDataDir_failsNamingIt() {
    Path missing = dir.resolve("nope");
    assertThatThrownBy(() -> DataDirVerifier.verify(missing))
        .isInstanceOf(StoreException.class)
        .hasMessageContaining(missing.toString())
        .hasMessageContaining("does not exist");
  }

  @Test
  void verify_foreignDir_failsNamingIt() throws IOException {
    Files.createDirectories(dir.resolve("db"));
    Files.writeString(dir.resolve("db").resolve("notes.txt"), "not rocks");
    assertThatThrownBy(() -> DataDirVerifier.verify(dir))
        .isInstanceOf(StoreException.class)
        .hasMessageContaining(dir.toString());
  }

  private static byte[] concat(byte[] postingKey, byte[] rid) {
    byte[] out = postingKey.clone();
    System.arraycopy(rid, 0, out, out.length - 8, 8);
    return out;
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

  private static String listing(Path d) throws IOException {
    try (Stream<Path> walk = Files.walk(d)) {
      return walk.filter(Files::isRegularFile)
          .sorted()
          .map(
              p -> {
                try {
                  return d.relativize(p) + " " + Files.size(p) + " " + Files.getLastModifiedTime(p);
                } catch (IOException e) {
                  throw new java.io.UncheckedIOException(e);
                }
              })
          .toList()
          .toString();
    }
  }
}
