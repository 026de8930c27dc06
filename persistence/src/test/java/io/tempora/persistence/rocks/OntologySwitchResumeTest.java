package io.tempora.persistence.rocks;

import static org.assertj.core.api.Assertions.assertThat;

import io.tempora.engine.Engine;
import io.tempora.engine.EngineConfig;
import io.tempora.engine.conformance.Workloads;
import io.tempora.engine.model.EntityRow;
import io.tempora.engine.model.Ids;
import io.tempora.engine.ontology.Ontology;
import io.tempora.engine.oracle.Workload;
import io.tempora.engine.resolve.SwitchJob;
import io.tempora.engine.store.ConflictEntry;
import io.tempora.engine.store.Cursor;
import io.tempora.engine.store.StoreMeta;
import io.tempora.engine.store.StoreTxn;
import io.tempora.engine.store.StoreView;
import io.tempora.persistence.Durability;
import io.tempora.persistence.StorageConfig;
import io.tempora.persistence.VerifyReport;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The ontology switch in pieces on RocksDB (docs/storage.md, "Ontology switch"): a switch stopped
 * right after its spill {@code k} (the store closed without the finishing commit, as a killed
 * process leaves it) verifies clean, and reopening the store with an engine finishes it to exactly
 * the state of a store switched in one go: partition, ids, aliases, events, conflicts, counters.
 * While the switch runs, views opened by readers show the resolution from before it.
 */
class OntologySwitchResumeTest {
  private static final int SHARD = 0;
  private static final int BATCH = 12;

  @TempDir Path dir;

  @Test
  void reopen_afterAnySpillImmediateMode_finishesSwitchAsOneGo() {
    assertResumes(Durability.IMMEDIATE, 11);
  }

  @Test
  void reopen_afterAnySpillAsyncMode_finishesSwitchAsOneGo() {
    assertResumes(Durability.ASYNC, 2024);
  }

  private void assertResumes(Durability mode, long... seeds) {
    StorageConfig config = StorageConfig.defaults(SHARD).withSmallCaches().withDurability(mode);
    int resumed = 0;
    for (long seed : seeds) {
      Workload w = Workloads.generate(seed);
      Ontology target = Workloads.generate(seed ^ 0x5DEECE66DL).ontology();
      Path built = dir.resolve("built-" + seed);
      List<String> before = build(built, config, w);

      Path reference = copy(built, dir.resolve("reference-" + seed));
      List<String> expected;
      try (RocksShardStore store = RocksShardStore.open(reference, config)) {
        new Engine(store, new EngineConfig(SHARD, io.tempora.engine.Limits.defaults()))
            .setOntology(target, null);
        expected = dump(store);
      }
      for (int k = 1; ; k++) {
        Path data = copy(built, dir.resolve("cycle-" + seed + "-" + k));
        String where = "seed " + seed + " spill " + k;
        boolean stopped;
        try (RocksShardStore store = RocksShardStore.open(data, config)) {
          stopped = stopAfterSpill(store, target, k, before, where);
          if (stopped) {
            // Still the old resolution for readers after the transaction was dropped.
            assertThat(dump(store)).as("%s: views after the stop", where).isEqualTo(before);
          }
        }
        if (!stopped) {
          delete(data);
          break;
        }
        VerifyReport report = DataDirVerifier.verify(data);
        assertThat(report.problems()).as("%s: %s", where, report.render()).isEmpty();
        try (RocksShardStore store = RocksShardStore.open(data, config)) {
          try (StoreView v = store.view()) {
            assertThat(SwitchJob.isRunning(v.meta())).as("%s: job running", where).isTrue();
          }
          Engine engine = new Engine(store, EngineConfig.defaults().withSwitchBatchRecords(BATCH));
          assertThat(engine.ontology().job().state())
              .as(where)
              .isEqualTo(StoreMeta.ResolutionJob.State.DONE);
          assertThat(dump(store)).as("%s: resumed switch", where).isEqualTo(expected);
        }
        resumed++;
        delete(data);
      }
    }
    System.out.printf("%s: %d switches stopped after a spill and resumed%n", mode, resumed);
    assertThat(resumed).as("switches stopped and resumed").isGreaterThan(seeds.length);
  }

  /** Builds a store holding the workload; returns its dump. */
  private static List<String> build(Path data, StorageConfig config, Workload w) {
    try (RocksShardStore store = RocksShardStore.open(data, config)) {
      Engine e = new Engine(store, EngineConfig.defaults());
      e.setOntology(w.ontology(), null);
      Workloads.apply(e, w.ops());
      return dump(store);
    }
  }

  /**
   * Runs the switch as {@code Engine.setOntology} does and drops its transaction right after spill
   * {@code k}, checking at every spill that a view shows {@code before}; false if it finished
   * first.
   */
  private static boolean stopAfterSpill(
      RocksShardStore store, Ontology target, int k, List<String> before, String where) {
    int[] spills = {0};
    try (StoreTxn txn = store.begin()) {
      SwitchJob.start(
          txn,
          target,
          SHARD,
          BATCH,
          job -> {
            assertThat(dump(store)).as("%s: a view during the switch", where).isEqualTo(before);
            if (++spills[0] == k) {
              throw new Stopped();
            }
          });
      return false;
    } catch (Stopped e) {
      return true;
    }
  }

  private static final class Stopped extends RuntimeException {
    Stopped() {
      super("stopped", null, false, false);
    }
  }

  private static List<String> dump(RocksShardStore store) {
    List<String> out = new ArrayList<>();
    try (StoreView v = store.view()) {
      StoreMeta meta = v.meta();
      out.add("meta " + meta);
      out.add("counts " + v.counts());
      try (Cursor<Long> live = v.liveRecords(0)) {
        while (live.hasNext()) {
          long rid = live.next();
          out.add("record " + rid + " in " + v.entityOf(rid));
        }
      }
      for (long c = 1; c < meta.nextEntity(); c++) {
        long id = Ids.of(SHARD, c);
        EntityRow row = v.entity(id);
        out.add(
            "entity "
                + row
                + " members "
                + v.members(id).toList()
                + " aliases "
                + v.aliases(id).toList()
                + " units "
                + v.conflictUnits(id).toList().stream().sorted().toList());
      }
      try (Cursor<ConflictEntry> all = v.conflictRange(null, null)) {
        while (all.hasNext()) {
          ConflictEntry e = all.next();
          out.add("conflict " + HexFormat.of().formatHex(e.sortKey()) + " " + e.item());
        }
      }
      v.events(0).toList().forEach(e -> out.add("event " + e));
      out.add("job rows " + v.jobRows(new byte[0], null).toList().size());
    }
    return out;
  }

  private static Path copy(Path from, Path to) {
    try (Stream<Path> walk = Files.walk(from)) {
      for (Path p : walk.toList()) {
        Path t = to.resolve(from.relativize(p).toString());
        if (Files.isDirectory(p)) {
          Files.createDirectories(t);
        } else {
          Files.copy(p, t);
        }
      }
      return to;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void delete(Path root) {
    try (Stream<Path> walk = Files.walk(root)) {
      for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
