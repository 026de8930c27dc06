package io.tempora.persistence.rocks;

import static org.assertj.core.api.Assertions.assertThat;

import io.tempora.engine.Engine;
import io.tempora.engine.EngineConfig;
import io.tempora.persistence.Durability;
import io.tempora.persistence.StorageConfig;
import io.tempora.persistence.scale.ScaleWorkload;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The families' memtables fit the write-buffer budget together: writes far below the budget stay in
 * memtables instead of being flushed a few KiB at a time by the write buffer manager (each flush an
 * L0 file and, every few files, a compaction).
 */
class MemtableSizingTest {
  @TempDir Path dir;

  @Test
  void memtableBytes_default256MiBBudget_isASixteenthBetween1And64MiB() {
    long mib = 1024L * 1024;
    assertThat(RocksStore.memtableBytes(256 * mib)).isEqualTo(16 * mib);
    assertThat(RocksStore.memtableBytes(4 * mib)).isEqualTo(mib);
    assertThat(RocksStore.memtableBytes(4096 * mib)).isEqualTo(64 * mib);
  }

  @Test
  void ingest_farBelowTheWriteBudget_flushesNothing() {
    StorageConfig config = StorageConfig.defaults(0).withDurability(Durability.ASYNC);
    try (RocksShardStore store = RocksShardStore.open(dir.resolve("store"), config)) {
      Engine engine = new Engine(store, EngineConfig.defaults());
      engine.setOntology(ScaleWorkload.ONTOLOGY, null);
      // About 70,000 rows (7 MiB of memtables), against a budget of 64 MiB (StorageConfig.defaults:
      // 4 MiB per family).
      for (long i = 0; i < 3_000; i += 10) {
        engine.upsert(ScaleWorkload.batch(i, 10));
      }
      assertThat(store.stats().memtableBytes()).isPositive();
      assertThat(store.stats().liveSstBytes()).isZero();
    }
  }
}
