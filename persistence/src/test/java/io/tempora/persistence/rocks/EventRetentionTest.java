package io.tempora.persistence.rocks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tempora.engine.Engine;
import io.tempora.engine.EngineConfig;
import io.tempora.engine.PreconditionFailedException;
import io.tempora.engine.model.Descriptor;
import io.tempora.engine.model.EntityEvent;
import io.tempora.engine.model.Identity;
import io.tempora.engine.model.RecordInput;
import io.tempora.engine.ontology.Ontology;
import io.tempora.persistence.Durability;
import io.tempora.persistence.StorageConfig;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * STORAGE.md §8 event retention on a real RocksDB: old events go by range deletion, newer ones
 * stay, readers asking for removed ones get a clear error, verify stays clean, a restart keeps the
 * state, a slot move's cursor holds the cut back, and a compaction drops the deleted keys.
 */
class EventRetentionTest {
  private static final Ontology ONTOLOGY =
      new Ontology(
          List.of(new Ontology.IdentityKey("email", List.of("email"), List.of("person"))),
          List.of(),
          List.of(),
          List.of());
  private static final long T0 = 1_700_000_000_000L;
  private static final long DAY = 86_400_000L;
  private static final StorageConfig CONFIG =
      StorageConfig.defaults(0).withSmallCaches().withDurability(Durability.IMMEDIATE);

  @TempDir Path dir;

  /** The wall clock the store and the retention read; tests move it. */
  private final AtomicLong now = new AtomicLong(T0);

  private Clock clock() {
    return TestClocks.millis(now::get);
  }

  private RocksShardStore open() {
    RocksShardStore s = RocksShardStore.open(dir.resolve("data"), CONFIG);
    s.clock(now::get);
    return s;
  }

  /** Three upserts (three transactions) of fresh records named {@code prefix}; the last tx. */
  private static long ingest(Engine e, String prefix) {
    for (int t = 0; t < 3; t++) {
      List<RecordInput> in = new ArrayList<>();
      for (int i = 0; i < 20; i++) {
        in.add(
            new RecordInput(
                Identity.of("person", "crm", prefix + t + "-" + i),
                List.of(Descriptor.always("email", prefix + i + "@x"))));
      }
      e.upsert(in);
    }
    return e.reader().lastTx();
  }

  private static List<EntityEvent> all(Engine e) {
    return e.reader().events(0, Integer.MAX_VALUE);
  }

  @Test
  void runOnce_eventsOlderThanRetainAge_areRemovedNewerStayAcrossRestart() {
    long oldLast;
    long newLast;
    try (RocksShardStore store = open()) {
      Engine e = new Engine(store, EngineConfig.defaults());
      e.setOntology(ONTOLOGY, null);
      oldLast = ingest(e, "old");
      now.addAndGet(2 * DAY);
      newLast = ingest(e, "new");
      List<EntityEvent> newEvents = all(e).stream().filter(ev -> ev.tx() > oldLast).toList();
      assertThat(all(e).stream().filter(ev -> ev.tx() <= oldLast)).isNotEmpty();

      now.addAndGet(6 * DAY); // the old batch is 8 days old, the new one 6
      Retention.Result r =
          new Retention(store, Retention.Config.defaults(), () -> 0, clock()).runOnce();

      assertThat(r.removed()).isTrue();
      assertThat(r.firstKeptTx()).isEqualTo(oldLast + 1);
      assertThat(store.firstEventTx()).isEqualTo(oldLast + 1);
      assertThat(all(e)).isEqualTo(newEvents).isNotEmpty();
      assertThat(e.reader().events(oldLast + 1, Integer.MAX_VALUE)).isEqualTo(newEvents);
      assertThatThrownBy(() -> e.reader().events(1, 10))
          .isInstanceOf(PreconditionFailedException.class)
          .hasMessageContaining("removed by retention")
          .hasMessageContaining("before tx " + (oldLast + 1));
      assertThat(store.verify()).isEmpty();
      assertThat(
              new Retention(store, Retention.Config.defaults(), () -> 0, clock())
                  .runOnce()
                  .removed())
          .as("a second run at the same time has nothing to do")
          .isFalse();
    }
    assertThat(DataDirVerifier.verify(dir.resolve("data")).isClean()).isTrue();
    try (RocksShardStore store = open()) {
      Engine e = new Engine(store, EngineConfig.defaults());
      assertThat(store.firstEventTx()).isEqualTo(oldLast + 1);
      assertThat(all(e)).allMatch(ev -> ev.tx() > oldLast && ev.tx() <= newLast).isNotEmpty();
      assertThatThrownBy(() -> e.reader().events(oldLast, 10))
          .isInstanceOf(PreconditionFailedException.class);
      // Writes go on after the restart, with their events.
      long later = ingest(e, "later");
      assertThat(e.reader().events(newLast + 1, Integer.MAX_VALUE))
          .isNotEmpty()
          .allMatch(ev -> ev.tx() > newLast && ev.tx() <= later);
    }
  }

  @Test
  void runOnce_retainTxs_keepsOnlyTheLastTransactionsEvents() {
    try (RocksShardStore store = open()) {
      Engine e = new Engine(store, EngineConfig.defaults());
      e.setOntology(ONTOLOGY, null);
      long last = ingest(e, "a");
      Retention.Config keep2 = new Retention.Config(Duration.ZERO, 2, Duration.ofMinutes(1));

      Retention.Result r = new Retention(store, keep2, () -> 0, clock()).runOnce();

      assertThat(r.firstKeptTx()).isEqualTo(last - 1);
      assertThat(all(e)).isNotEmpty().allMatch(ev -> ev.tx() >= last - 1);
      assertThat(store.verify()).isEmpty();
    }
  }

  @Test
  void runOnce_slotMoveCatchingUp_holdsTheCutAtItsCursor() {
    try (RocksShardStore store = open()) {
      Engine e = new Engine(store, EngineConfig.defaults());
      e.setOntology(ONTOLOGY, null);
      long oldLast = ingest(e, "old");
      now.addAndGet(8 * DAY);
      long moveCursor = oldLast - 1;

      Retention.Result r =
          new Retention(store, Retention.Config.defaults(), () -> moveCursor, clock()).runOnce();

      assertThat(r.heldBy()).isEqualTo(moveCursor);
      assertThat(r.firstKeptTx()).isEqualTo(moveCursor);
      assertThat(e.reader().events(moveCursor, Integer.MAX_VALUE))
          .extracting(EntityEvent::tx)
          .contains(moveCursor, oldLast);
    }
  }

  @Test
  void compact_afterRetention_dropsTheRemovedEventsFromTheSsts() {
    try (RocksShardStore store = open();
        ManualCompactions compactions =
            new ManualCompactions(
                store,
                new ManualCompactions.Listener() {
                  @Override
                  public void started(List<String> columnFamilies) {}

                  @Override
                  public void finished(boolean ok, long nanos) {}
                })) {
      Engine e = new Engine(store, EngineConfig.defaults());
      e.setOntology(ONTOLOGY, null);
      long oldLast = ingest(e, "old");
      store.rocks().flushAll();
      now.addAndGet(2 * DAY);
      ingest(e, "new");
      long kept = all(e).stream().filter(ev -> ev.tx() > oldLast).count();
      now.addAndGet(6 * DAY);
      new Retention(store, Retention.Config.defaults(), () -> 0, clock()).runOnce();
      store.rocks().flushAll();
      assertThat(store.rocks().sstCounts(Cf.EVENTS).entries()).isGreaterThan(kept);

      compactions.start("events").await();

      RocksStore.SstCounts after = store.rocks().sstCounts(Cf.EVENTS);
      assertThat(after.entries()).isEqualTo(kept);
      assertThat(after.deletions()).isZero();
      assertThat(all(e)).hasSize((int) kept);
    }
  }
}
