package io.tempora.persistence.rocks;

import static org.assertj.core.api.Assertions.assertThat;

import io.tempora.engine.Engine;
import io.tempora.engine.EngineConfig;
import io.tempora.engine.RecordInfo;
import io.tempora.engine.model.Descriptor;
import io.tempora.engine.model.Identity;
import io.tempora.engine.model.RecordInput;
import io.tempora.engine.model.RecordVersion;
import io.tempora.engine.ontology.Ontology;
import io.tempora.persistence.Durability;
import io.tempora.persistence.StorageConfig;
import io.tempora.persistence.VerifyReport;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rocksdb.WriteBatch;

/**
 * STORAGE.md §8 history partitions and retention on a real RocksDB with a test clock: versions are
 * keyed by the partition of the superseding transaction's time, partitions roll over with time and
 * never go back, retention by transactions and by age removes exactly the expired partitions, reads
 * afterwards return the kept versions and the first kept tx, a data dir in the layout before
 * partitions opens, reads, verifies and loses its legacy partition to retention, and verify reports
 * seeded faults.
 */
class HistoryRetentionTest {
  private static final Ontology ONTOLOGY =
      new Ontology(
          List.of(new Ontology.IdentityKey("email", List.of("email"), List.of("person"))),
          List.of(),
          List.of(),
          List.of());
  private static final long DAY = 86_400L;
  private static final long WEEK = 7 * DAY;

  /** The start of partition 2900 of 7-day partitions (2025-07-31T00:00:00Z). */
  private static final long P0 = 2900;

  private static final long T0 = P0 * WEEK;
  private static final StorageConfig CONFIG =
      StorageConfig.defaults(0).withSmallCaches().withDurability(Durability.IMMEDIATE);
  private static final Identity A = Identity.of("person", "crm", "a");
  private static final Identity B = Identity.of("person", "crm", "b");

  @TempDir Path dir;

  /** The wall clock (UTC seconds) the store and the retention read; tests move it. */
  private final AtomicLong now = new AtomicLong(T0);

  private Clock clock() {
    return TestClocks.seconds(now::get);
  }

  private Path data() {
    return dir.resolve("data");
  }

  private RocksShardStore open() {
    RocksShardStore s = RocksShardStore.open(data(), CONFIG);
    s.clock(() -> now.get() * 1000);
    return s;
  }

  private static Engine engine(RocksShardStore store) {
    return new Engine(store, EngineConfig.defaults());
  }

  /** One upsert of {@code id} (one transaction); its tx. */
  private static long upsert(Engine e, Identity id, String email) {
    e.upsert(List.of(new RecordInput(id, List.of(Descriptor.always("email", email)))));
    return e.reader().lastTx();
  }

  private static List<HistoryPartitions.Range> parts(RocksShardStore store) {
    return HistoryPartitions.list(new DataDirVerifier.LatestSource(store.rocks()));
  }

  private static List<Integer> versions(RecordInfo r) {
    return r.history().stream().map(RecordVersion::version).toList();
  }

  private Retention retention(RocksShardStore store, Duration age, long txs) {
    return new Retention(
        store, Retention.Config.defaults().withHistory(age, txs), () -> 0, clock());
  }

  /**
   * a: v1 day 0 (tx1), v2 day 1 (tx3), v3 day 8 (tx5), v4 day 16 (tx6); b: v1 day 0 (tx2), v2 day 2
   * (tx4), v3 with the clock back at day 3 (tx7). Partitions: 2900 = tx 3..4 (days 1..2), 2901 = tx
   * 5 (day 8), 2902 = tx 6..7 (days 3..16: the clock went back, the partition did not).
   */
  private void write(Engine e) {
    e.setOntology(ONTOLOGY, null);
    assertThat(upsert(e, A, "a1@x")).isEqualTo(1);
    assertThat(upsert(e, B, "b1@x")).isEqualTo(2);
    now.set(T0 + DAY);
    upsert(e, A, "a2@x");
    now.set(T0 + 2 * DAY);
    upsert(e, B, "b2@x");
    now.set(T0 + 8 * DAY);
    upsert(e, A, "a3@x");
    now.set(T0 + 16 * DAY);
    upsert(e, A, "a4@x");
    now.set(T0 + 3 * DAY);
    assertThat(upsert(e, B, "b3@x")).isEqualTo(7);
  }

  @Test
  void commit_clockMovesAndStepsBack_versionsGoToPartitionsThatNeverDecrease() {
    try (RocksShardStore store = open()) {
      Engine e = engine(store);
      write(e);
      assertThat(parts(store))
          .containsExactly(
              new HistoryPartitions.Range(P0, 3, 4, T0 + DAY, T0 + 2 * DAY),
              new HistoryPartitions.Range(P0 + 1, 5, 5, T0 + 8 * DAY, T0 + 8 * DAY),
              new HistoryPartitions.Range(P0 + 2, 6, 7, T0 + 3 * DAY, T0 + 16 * DAY));
      List<String> keys = new ArrayList<>();
      try (Scan s =
          new DataDirVerifier.LatestSource(store.rocks())
              .scan(Cf.RECORD_HISTORY, new byte[0], null)) {
        for (; s.valid(); s.next()) {
          byte[] k = s.key();
          assertThat(k).hasSize(16);
          keys.add(
              HistoryPartitions.partOf(k)
                  + "/"
                  + (HistoryPartitions.ridOf(k) == e.reader().getRecord(A).recordId() ? "a" : "b")
                  + HistoryPartitions.versionOf(k));
        }
      }
      assertThat(keys).containsExactly("2900/a1", "2900/b1", "2901/a2", "2902/a3", "2902/b2");
      RecordInfo a = e.reader().getRecord(A);
      assertThat(versions(a)).containsExactly(1, 2, 3, 4);
      assertThat(a.history().stream().map(RecordVersion::tx)).containsExactly(1L, 3L, 5L, 6L);
      assertThat(a.historyKeptFromTx()).isZero();
      assertThat(versions(e.reader().getRecord(B))).containsExactly(1, 2, 3);
      assertThat(store.verify()).isEmpty();
    }
    // Reopened with the clock still back: the last partition, not an older one.
    try (RocksShardStore store = open()) {
      Engine e = engine(store);
      now.set(T0 + 4 * DAY);
      upsert(e, B, "b4@x");
      assertThat(parts(store).getLast())
          .isEqualTo(new HistoryPartitions.Range(P0 + 2, 6, 8, T0 + 3 * DAY, T0 + 16 * DAY));
      now.set(T0 + 22 * DAY);
      upsert(e, B, "b5@x");
      assertThat(parts(store).getLast().part()).isEqualTo(P0 + 3);
      assertThat(versions(e.reader().getRecord(B))).containsExactly(1, 2, 3, 4, 5);
      assertThat(store.verify()).isEmpty();
    }
    assertThat(DataDirVerifier.verify(data()).exitCode()).isZero();
  }

  @Test
  void runOnce_historyRetentionOffByDefault_keepsEveryVersion() {
    try (RocksShardStore store = open()) {
      Engine e = engine(store);
      write(e);
      now.set(T0 + 400 * DAY);
      Retention.Result r =
          new Retention(store, Retention.Config.defaults(), () -> 0, clock()).runOnce();
      assertThat(r.historyPartitionsRemoved()).isZero();
      assertThat(r.historyFromTx()).isEqualTo(1);
      assertThat(parts(store)).hasSize(3);
      assertThat(versions(e.reader().getRecord(A))).containsExactly(1, 2, 3, 4);
      assertThat(e.reader().getRecord(A).historyKeptFromTx()).isZero();
      assertThat(store.historyPartitionsRemoved()).isZero();
    }
  }

  @Test
  void runOnce_retainTxs_removesOnlyPartitionsBelowTheCut() {
    try (RocksShardStore store = open()) {
      Engine e = engine(store);
      write(e);
      // last_tx 7, keep 2: partitions whose last tx is below 5 go, i.e. 2900 (3..4) only.
      Retention.Result r = retention(store, Duration.ZERO, 2).runOnce();
      assertThat(r.historyPartitionsRemoved()).isEqualTo(1);
      assertThat(r.historyFromTx()).isEqualTo(5);
      assertThat(parts(store))
          .extracting(HistoryPartitions.Range::part)
          .containsExactly(P0 + 1, P0 + 2);
      RecordInfo a = e.reader().getRecord(A);
      assertThat(versions(a)).containsExactly(2, 3, 4);
      assertThat(a.historyKeptFromTx()).isEqualTo(5);
      RecordInfo b = e.reader().getRecord(B);
      assertThat(versions(b)).containsExactly(2, 3);
      assertThat(b.historyKeptFromTx()).isEqualTo(5);
      assertThat(store.historyFromTx()).isEqualTo(5);
      assertThat(store.historyPartitionsRemoved()).isEqualTo(1);
      // The --history export reads the same kept versions.
      List<String> exported = new ArrayList<>();
      try (io.tempora.engine.store.StoreView v = store.view()) {
        io.tempora.persistence.export.ExportRows.versions(
            v, 0, row -> exported.add(row.uid() + " v" + row.version() + " " + row.supersededTx()));
      }
      assertThat(exported).containsExactly("a v2 5", "a v3 6", "a v4 null", "b v2 7", "b v3 null");
      assertThat(store.verify()).isEmpty();
      // The removed partition's keys and its range tombstone left the files.
      store.rocks().flushAll();
      RocksStore.SstCounts sst = store.rocks().sstCounts(Cf.RECORD_HISTORY);
      assertThat(sst.entries()).isEqualTo(3);
      assertThat(sst.deletions()).isZero();

      assertThat(retention(store, Duration.ZERO, 2).runOnce().historyPartitionsRemoved()).isZero();
      // Keep 1: the cut is 6, so 2901 (5) goes and 2902 (6..7) stays.
      assertThat(retention(store, Duration.ZERO, 1).runOnce().historyFromTx()).isEqualTo(6);
      assertThat(versions(e.reader().getRecord(A))).containsExactly(3, 4);
      assertThat(versions(e.reader().getRecord(B))).containsExactly(2, 3);
      assertThat(store.verify()).isEmpty();
    }
    VerifyReport report = DataDirVerifier.verify(data());
    assertThat(report.exitCode()).as(report.render()).isZero();
  }

  @Test
  void runOnce_retainAge_removesOnlyPartitionsEndedBeforeTheCut_thenNumbersStayAbove() {
    try (RocksShardStore store = open()) {
      Engine e = engine(store);
      write(e);
      // Partitions ended on days 2, 8 and 16; 10 days kept on day 20: the first two go.
      now.set(T0 + 20 * DAY);
      Retention.Result r = retention(store, Duration.ofDays(10), 0).runOnce();
      assertThat(r.historyPartitionsRemoved()).isEqualTo(2);
      assertThat(r.historyFromTx()).isEqualTo(6);
      assertThat(parts(store)).extracting(HistoryPartitions.Range::part).containsExactly(P0 + 2);
      RecordInfo a = e.reader().getRecord(A);
      assertThat(versions(a)).containsExactly(3, 4);
      assertThat(a.historyKeptFromTx()).isEqualTo(6);
      assertThat(versions(e.reader().getRecord(B))).containsExactly(2, 3);
      assertThat(store.verify()).isEmpty();
      // A day later nothing else has expired.
      now.set(T0 + 21 * DAY);
      assertThat(retention(store, Duration.ofDays(10), 0).runOnce().historyPartitionsRemoved())
          .isZero();
      // Everything expires; histories hold the current versions only.
      now.set(T0 + 40 * DAY);
      assertThat(retention(store, Duration.ofDays(10), 0).runOnce().historyFromTx()).isEqualTo(8);
      assertThat(parts(store)).isEmpty();
      assertThat(versions(e.reader().getRecord(A))).containsExactly(4);
      assertThat(store.verify()).isEmpty();
    }
    // No partition row is left; reopened with the clock far back, numbers still do not decrease.
    try (RocksShardStore store = open()) {
      Engine e = engine(store);
      now.set(T0 + DAY);
      upsert(e, A, "a5@x");
      assertThat(parts(store)).extracting(HistoryPartitions.Range::part).containsExactly(P0 + 2);
      assertThat(versions(e.reader().getRecord(A))).containsExactly(4, 5);
      assertThat(store.verify()).isEmpty();
    }
  }

  /**
   * Rewrites the data dir into the layout before history partitions: every superseded version under
   * {@code rid u64, version u32} in {@code record_versions}, no history meta rows, and no {@code
   * record_history} family at all.
   */
  private void toLegacyLayout() throws Exception {
    try (RocksStore rocks = RocksStore.open(data(), CONFIG);
        WriteBatch b = new WriteBatch()) {
      DataDirVerifier.LatestSource src = new DataDirVerifier.LatestSource(rocks);
      try (Scan s = src.scan(Cf.RECORD_HISTORY, new byte[0], null)) {
        for (; s.valid(); s.next()) {
          byte[] k = s.key();
          b.put(
              rocks.handle(Cf.RECORD_VERSIONS),
              Keys.recordVersion(HistoryPartitions.ridOf(k), HistoryPartitions.versionOf(k)),
              s.value());
        }
      }
      for (HistoryPartitions.Range r : HistoryPartitions.list(src)) {
        b.delete(rocks.handle(Cf.META), HistoryPartitions.metaKey(r.part()));
      }
      b.delete(rocks.handle(Cf.META), HistoryPartitions.LEGACY);
      b.delete(rocks.handle(Cf.META), HistoryPartitions.FROM);
      rocks.writeSync(b);
      rocks.db().dropColumnFamily(rocks.handle(Cf.RECORD_HISTORY));
    }
  }

  @Test
  void legacyLayout_opensReadsAndVerifies_thenRetentionRemovesItAsOnePartition() throws Exception {
    long legacyLastTx;
    try (RocksShardStore store = open()) {
      write(engine(store));
      legacyLastTx = store.lastTx();
    }
    toLegacyLayout();
    // Read-only verify of a dir no history-partition build opened yet (no record_history family).
    VerifyReport before = DataDirVerifier.verify(data());
    assertThat(before.exitCode()).as(before.render()).isZero();

    try (RocksShardStore store = open()) {
      Engine e = engine(store);
      assertThat(versions(e.reader().getRecord(A))).containsExactly(1, 2, 3, 4);
      assertThat(versions(e.reader().getRecord(B))).containsExactly(1, 2, 3);
      HistoryPartitions.Legacy legacy =
          HistoryPartitions.Legacy.decode(store.rocks().get(Cf.META, HistoryPartitions.LEGACY));
      assertThat(legacy.state()).isEqualTo(HistoryPartitions.LEGACY_KEPT);
      assertThat(legacy.lastTx()).isEqualTo(legacyLastTx);
      assertThat(store.verify()).isEmpty();

      // New versions go to partitions and are read after the legacy ones.
      now.set(T0 + 30 * DAY);
      upsert(e, A, "a5@x");
      upsert(e, A, "a6@x");
      RecordInfo a = e.reader().getRecord(A);
      assertThat(versions(a)).containsExactly(1, 2, 3, 4, 5, 6);
      assertThat(a.history().stream().map(RecordVersion::tx))
          .containsExactly(1L, 3L, 5L, 6L, 8L, 9L);
      assertThat(parts(store)).extracting(HistoryPartitions.Range::part).containsExactly(P0 + 4);
      assertThat(store.verify()).isEmpty();

      // Keep 1 transaction: the cut is 8; the legacy partition (up to tx 7) goes, 2904 (8..9)
      // stays.
      Retention.Result r = retention(store, Duration.ZERO, 1).runOnce();
      assertThat(r.historyPartitionsRemoved()).isEqualTo(1);
      assertThat(r.historyFromTx()).isEqualTo(legacyLastTx + 1);
      try (Scan s =
          new DataDirVerifier.LatestSource(store.rocks())
              .scan(Cf.RECORD_VERSIONS, new byte[0], null)) {
        assertThat(s.valid()).isFalse();
      }
      a = e.reader().getRecord(A);
      assertThat(versions(a)).containsExactly(4, 5, 6);
      assertThat(a.historyKeptFromTx()).isEqualTo(legacyLastTx + 1);
      assertThat(versions(e.reader().getRecord(B))).containsExactly(3);
      assertThat(
              HistoryPartitions.Legacy.decode(store.rocks().get(Cf.META, HistoryPartitions.LEGACY))
                  .state())
          .isEqualTo(HistoryPartitions.LEGACY_REMOVED);
      assertThat(store.verify()).isEmpty();
    }
    VerifyReport after = DataDirVerifier.verify(data());
    assertThat(after.exitCode()).as(after.render()).isZero();
  }

  @Test
  void verify_orphanPartitionAndVersionOutsideItsRange_areReported() throws Exception {
    try (RocksShardStore store = open()) {
      write(engine(store));
      try (WriteBatch b = new WriteBatch()) {
        // Partition 2900 loses its row; 2901's row claims tx 6..6 although its version was
        // superseded at tx 5.
        b.delete(store.rocks().handle(Cf.META), HistoryPartitions.metaKey(P0));
        b.put(
            store.rocks().handle(Cf.META),
            HistoryPartitions.metaKey(P0 + 1),
            new HistoryPartitions.Range(P0 + 1, 6, 6, T0 + 8 * DAY, T0 + 8 * DAY).encode());
        store.rocks().writeSync(b);
      }
    }
    try (RocksShardStore store = open()) {
      assertThat(store.verify())
          .containsKeys(
              "history partition without its meta row",
              "history version outside its partition's tx range",
              "history partitions out of tx order");
    }
    VerifyReport report = DataDirVerifier.verify(data());
    assertThat(report.exitCode()).isEqualTo(1);
    assertThat(report.render())
        .contains("history partition without its meta row")
        .contains("part 2900 (2 version rows)");
  }
}
