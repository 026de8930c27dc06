package io.tempora.persistence.rocks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tempora.engine.Engine;
import io.tempora.engine.EngineConfig;
import io.tempora.engine.Reader;
import io.tempora.engine.conformance.Canon;
import io.tempora.engine.model.Descriptor;
import io.tempora.engine.model.Identity;
import io.tempora.engine.model.RecordInput;
import io.tempora.engine.ontology.Ontology;
import io.tempora.engine.store.StoreView;
import io.tempora.persistence.CheckpointConfig;
import io.tempora.persistence.CheckpointInfo;
import io.tempora.persistence.Durability;
import io.tempora.persistence.StorageConfig;
import io.tempora.persistence.export.ExportOptions;
import io.tempora.persistence.export.ExportSummary;
import io.tempora.persistence.export.ShardExport;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** STORAGE.md §6.1 and ST-T9: checkpoints, retention, schedule and restore. */
class ShardCheckpointsTest {
  private static final StorageConfig CONFIG =
      StorageConfig.defaults(0).withSmallCaches().withDurability(Durability.IMMEDIATE);
  private static final Ontology ONTOLOGY =
      new Ontology(
          List.of(new Ontology.IdentityKey("email", List.of("email"), List.of("person"))),
          List.of(),
          List.of(),
          List.of());

  @TempDir Path dir;

  /** A clock that moves one second per reading, so checkpoint names never collide. */
  private static final class TickingClock extends Clock {
    private final AtomicLong seconds = new AtomicLong(1_800_000_000L);

    @Override
    public ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
      return this;
    }

    @Override
    public Instant instant() {
      return Instant.ofEpochSecond(seconds.getAndIncrement());
    }
  }

  private static RecordInput record(String uid, int email) {
    return new RecordInput(
        Identity.of("person", "crm", uid),
        List.of(Descriptor.always("email", "e" + email), Descriptor.always("name", uid)));
  }

  @Test
  @DisplayName("ST-T9: a checkpoint during ingest holds every write acknowledged before it began")
  void checkpoint_duringIngest_restoreHoldsEveryEarlierAck() throws Exception {
    Path data = dir.resolve("data");
    Set<String> acked = ConcurrentHashMap.newKeySet();
    AtomicBoolean stop = new AtomicBoolean();
    ExecutorService writers = Executors.newFixedThreadPool(3);
    List<CheckpointInfo> taken = new ArrayList<>();
    List<Set<String>> ackedBefore = new ArrayList<>();
    Canon finalCanon;
    try (RocksShardStore store = RocksShardStore.open(data, CONFIG)) {
      Engine engine = new Engine(store, EngineConfig.defaults());
      engine.setOntology(ONTOLOGY, null);
      List<Future<?>> fs = new ArrayList<>();
      for (int t = 0; t < 3; t++) {
        int thread = t;
        fs.add(
            writers.submit(
                () -> {
                  for (int i = 0; !stop.get(); i++) {
                    String uid = "t" + thread + "-" + i;
                    engine.upsert(List.of(record(uid, i % 17)));
                    acked.add(uid);
                  }
                }));
      }
      TickingClock clock = new TickingClock();
      for (int c = 0; c < 3; c++) {
        awaitAtLeast(acked::size, 20 * (c + 1));
        ackedBefore.add(Set.copyOf(acked));
        taken.add(ShardCheckpoints.create(store, clock));
      }
      stop.set(true);
      for (Future<?> f : fs) {
        f.get();
      }
      taken.add(ShardCheckpoints.create(store, clock));
      finalCanon = Canon.of(engine);
    } finally {
      writers.shutdownNow();
    }
    assertThat(ShardCheckpoints.list(data)).hasSize(4);
    for (int c = 0; c < 3; c++) {
      Path restored = dir.resolve("restored-" + c);
      ShardCheckpoints.restore(taken.get(c).dir(), restored);
      try (RocksShardStore store = RocksShardStore.open(restored, CONFIG)) {
        Engine engine = new Engine(store, EngineConfig.defaults());
        for (String uid : ackedBefore.get(c)) {
          assertThat(engine.reader().getRecord(Identity.of("person", "crm", uid)).live())
              .as("checkpoint %d: %s", c, uid)
              .isTrue();
        }
        assertThat(engine.reader().lastTx()).isEqualTo(taken.get(c).tx());
        assertThat(store.verify()).isEmpty();
        assertExportMatchesLivePieces(store, engine, dir.resolve("export-" + c));
      }
      assertThat(DataDirVerifier.verify(restored).isClean()).isTrue();
    }
    Path last = dir.resolve("restored-last");
    ShardCheckpoints.restore(taken.get(3).dir(), last);
    assertThat(last.resolve(ShardCheckpoints.MARKER)).doesNotExist();
    try (RocksShardStore store = RocksShardStore.open(last, CONFIG)) {
      assertThat(Canon.of(new Engine(store, EngineConfig.defaults()))).isEqualTo(finalCanon);
    }
  }

  /**
   * ST-T9, second half: an export of the restored store has one records row per live descriptor
   * piece, counted here through the reader (entities, their members, each record's normal form),
   * not through the export's own cursors.
   */
  private static void assertExportMatchesLivePieces(
      RocksShardStore store, Engine engine, Path out) {
    long pieces = 0;
    for (Reader.EntitySummary e : engine.reader().partition()) {
      for (Identity member : e.members()) {
        pieces += engine.reader().getRecord(member).descriptors().pieceCount();
      }
    }
    ExportSummary exported;
    try (StoreView view = store.view()) {
      exported = ShardExport.write(view, OptionalLong.empty(), ExportOptions.of(0, false), out);
    }
    assertThat(pieces).isPositive();
    assertThat(exported.rows()).containsEntry("records-shard-0.parquet", pieces);
    assertThat(exported.tx()).isEqualTo(engine.reader().lastTx());
  }

  /** Polls with a deadline (no fixed sleeps as synchronisation). */
  private static void awaitAtLeast(java.util.function.IntSupplier value, int n)
      throws InterruptedException {
    Instant deadline = Instant.now().plusSeconds(60);
    while (value.getAsInt() < n) {
      assertThat(Instant.now()).as("waiting for %d", n).isBefore(deadline);
      java.util.concurrent.TimeUnit.MILLISECONDS.sleep(2);
    }
  }

  @Test
  void checkpoint_layout_hasDbAckedAndMarker() throws IOException {
    Path data = dir.resolve("data");
    try (RocksShardStore store = RocksShardStore.open(data, CONFIG)) {
      Engine engine = new Engine(store, EngineConfig.defaults());
      engine.upsert(List.of(record("a", 1)));
      CheckpointInfo info = ShardCheckpoints.create(store, new TickingClock());
      assertThat(info.dir().getFileName().toString())
          .isEqualTo("00000000000000000001-20270115T080000Z");
      assertThat(info.dir().resolve("db").resolve("CURRENT")).exists();
      assertThat(AckedFile.read(info.dir()))
          .isEqualTo(new AckedFile.Present(new AckedFile(0, info.wseq(), 1)));
      assertThat(Files.readString(info.dir().resolve(ShardCheckpoints.MARKER)))
          .contains("\"tx\": 1", "\"wseq\": " + info.wseq(), "\"shard\": 0", "\"format\": 1");
    }
  }

  @Test
  void scheduler_checkpointNow_keepsTheNewestRetained() {
    Path data = dir.resolve("data");
    ScheduledExecutorService executor = Executors.newSingleThreadScheduledExecutor();
    try (RocksShardStore store = RocksShardStore.open(data, CONFIG);
        CheckpointScheduler s =
            new CheckpointScheduler(
                store, new CheckpointConfig(Duration.ZERO, 2), executor, new TickingClock())) {
      s.start();
      Engine engine = new Engine(store, EngineConfig.defaults());
      List<CheckpointInfo> infos = new ArrayList<>();
      for (int i = 0; i < 4; i++) {
        engine.upsert(List.of(record("u" + i, i)));
        infos.add(s.checkpointNow());
      }
      assertThat(ShardCheckpoints.list(data))
          .containsExactly(infos.get(2).dir(), infos.get(3).dir());
    } finally {
      executor.shutdownNow();
    }
  }

  @Test
  void scheduler_interval_takesCheckpointsOnItsOwn() throws Exception {
    Path data = dir.resolve("data");
    ScheduledExecutorService executor = Executors.newSingleThreadScheduledExecutor();
    try (RocksShardStore store = RocksShardStore.open(data, CONFIG);
        CheckpointScheduler s =
            new CheckpointScheduler(
                store,
                new CheckpointConfig(Duration.ofMillis(20), 2),
                executor,
                new TickingClock())) {
      Files.createDirectories(data.resolve("checkpoints").resolve("00000000000000000000-x.tmp"));
      s.start();
      assertThat(data.resolve("checkpoints").resolve("00000000000000000000-x.tmp")).doesNotExist();
      awaitAtLeast(() -> ShardCheckpoints.list(data).size(), 2);
      s.close(); // waits for a running checkpoint and its pruning
      assertThat(ShardCheckpoints.list(data)).hasSize(2);
    } finally {
      executor.shutdownNow();
    }
  }

  @Test
  void restore_nonEmptyTargetOrNoCheckpoint_refusesNamingIt() throws IOException {
    Path data = dir.resolve("data");
    CheckpointInfo info;
    try (RocksShardStore store = RocksShardStore.open(data, CONFIG)) {
      info = ShardCheckpoints.create(store, new TickingClock());
    }
    Path target = dir.resolve("target");
    Files.createDirectories(target);
    Files.writeString(target.resolve("x"), "x");
    assertThatThrownBy(() -> ShardCheckpoints.restore(info.dir(), target))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(target.toString())
        .hasMessageContaining("not empty");
    assertThatThrownBy(() -> ShardCheckpoints.restore(data, dir.resolve("t2")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("not a finished checkpoint");
  }

  @Test
  void config_invalid_namesTheKey() {
    assertThatThrownBy(() -> new CheckpointConfig(Duration.ofSeconds(-1), 3))
        .hasMessageContaining("storage.checkpoint_interval");
    assertThatThrownBy(() -> new CheckpointConfig(Duration.ZERO, 0))
        .hasMessageContaining("storage.checkpoint_retain");
  }
}
