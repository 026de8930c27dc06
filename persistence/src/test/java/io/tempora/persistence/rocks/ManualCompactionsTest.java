package io.tempora.persistence.rocks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tempora.engine.Engine;
import io.tempora.engine.EngineConfig;
import io.tempora.engine.PreconditionFailedException;
import io.tempora.engine.model.Descriptor;
import io.tempora.engine.model.Identity;
import io.tempora.engine.model.RecordInput;
import io.tempora.engine.ontology.Ontology;
import io.tempora.persistence.Durability;
import io.tempora.persistence.StorageConfig;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** STORAGE.md §8: {@code admin compact} drops deleted keys from the SST files, one at a time. */
class ManualCompactionsTest {
  private static final Ontology ONTOLOGY =
      new Ontology(
          List.of(new Ontology.IdentityKey("email", List.of("email"), List.of("person"))),
          List.of(),
          List.of(),
          List.of());

  @TempDir Path dir;

  /** Counts what the listener hears. */
  private static final class Counting implements ManualCompactions.Listener {
    final AtomicInteger started = new AtomicInteger();
    final AtomicInteger ok = new AtomicInteger();
    final AtomicInteger failed = new AtomicInteger();

    @Override
    public void started(List<String> columnFamilies) {
      started.incrementAndGet();
    }

    @Override
    public void finished(boolean success, long nanos) {
      (success ? ok : failed).incrementAndGet();
    }
  }

  private static RocksShardStore open(Path d) {
    return RocksShardStore.open(
        d, StorageConfig.defaults(0).withSmallCaches().withDurability(Durability.ASYNC));
  }

  /** Ingests 2,000 records, deletes them all, flushes: the SSTs hold the deletions. */
  private static void ingestAndDeleteAll(RocksShardStore store) {
    Engine e = new Engine(store, EngineConfig.defaults());
    e.setOntology(ONTOLOGY, null);
    List<Identity> ids = new ArrayList<>();
    for (int batch = 0; batch < 4; batch++) {
      List<RecordInput> in = new ArrayList<>();
      for (int i = 0; i < 500; i++) {
        Identity id = Identity.of("person", "crm", "u" + batch + "-" + i);
        ids.add(id);
        in.add(new RecordInput(id, List.of(Descriptor.always("email", "m" + i + "@x"))));
      }
      e.upsert(in);
      store.rocks().flushAll();
    }
    for (int i = 0; i < ids.size(); i += 500) {
      e.delete(ids.subList(i, i + 500));
    }
    store.rocks().flushAll();
  }

  @Test
  void compact_oneCfAfterDeletes_dropsDeletedKeysFromItsSsts() {
    try (RocksShardStore store = open(dir.resolve("d"));
        ManualCompactions compactions = new ManualCompactions(store, new Counting())) {
      ingestAndDeleteAll(store);
      RocksStore.SstCounts before = store.rocks().sstCounts(Cf.ATTR_VALUE);
      RocksStore.SstCounts otherBefore = store.rocks().sstCounts(Cf.IDENTITY);
      assertThat(before.deletions()).as("deletes of attr_value rows in SSTs").isPositive();

      ManualCompactions.Started s = compactions.start("attr_value");
      assertThat(s.columnFamilies()).containsExactly("attr_value");
      s.await();

      RocksStore.SstCounts after = store.rocks().sstCounts(Cf.ATTR_VALUE);
      assertThat(after.deletions()).isZero();
      assertThat(after.entries()).as("every attr_value row was deleted").isZero();
      assertThat(store.rocks().sstCounts(Cf.IDENTITY))
          .as("another column family is untouched")
          .isEqualTo(otherBefore);
      assertThat(store.verify()).isEmpty();
    }
  }

  @Test
  void compact_allCfs_leavesNoDeletionInAnySstAndCountsTheRun() {
    Counting heard = new Counting();
    try (RocksShardStore store = open(dir.resolve("d"));
        ManualCompactions compactions = new ManualCompactions(store, heard)) {
      ingestAndDeleteAll(store);

      ManualCompactions.Started s = compactions.start(null);
      assertThat(s.columnFamilies()).hasSize(Cf.values().length).contains("events", "records");
      s.await();

      for (Cf cf : Cf.values()) {
        assertThat(store.rocks().sstCounts(cf).deletions()).as(cf.cfName()).isZero();
      }
      assertThat(heard.started).hasValue(1);
      assertThat(heard.ok).hasValue(1);
      assertThat(compactions.isRunning()).isFalse();
      assertThat(store.verify()).isEmpty();
    }
  }

  @Test
  void start_unknownCf_isRejectedNamingIt() {
    try (RocksShardStore store = open(dir.resolve("d"));
        ManualCompactions compactions = new ManualCompactions(store, new Counting())) {
      assertThatThrownBy(() -> compactions.start("recordz"))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("'recordz'")
          .hasMessageContaining("records");
      assertThat(compactions.isRunning()).isFalse();
    }
  }

  @Test
  void start_whileOneRuns_isRefusedAndTheFirstFinishes() {
    Counting heard = new Counting();
    try (RocksShardStore store = open(dir.resolve("d"));
        ManualCompactions compactions = new ManualCompactions(store, heard)) {
      ingestAndDeleteAll(store);
      ManualCompactions.Started first;
      synchronized (compactions) {
        // The compaction thread needs this monitor before it compacts anything: holding it
        // keeps the first compaction running deterministically.
        first = compactions.start("records");
        assertThatThrownBy(() -> compactions.start("events"))
            .isInstanceOf(PreconditionFailedException.class)
            .hasMessageContaining("already running")
            .hasMessageContaining("records");
      }
      first.await();
      assertThat(compactions.start("events").columnFamilies()).containsExactly("events");
      assertThat(heard.started).hasValue(2);
    }
  }
}
