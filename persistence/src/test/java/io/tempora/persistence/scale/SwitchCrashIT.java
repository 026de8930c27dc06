package io.tempora.persistence.scale;

import static org.assertj.core.api.Assertions.assertThat;

import io.tempora.engine.Engine;
import io.tempora.engine.EngineConfig;
import io.tempora.engine.OntologyResult;
import io.tempora.engine.resolve.SwitchJob;
import io.tempora.engine.store.ConflictEntry;
import io.tempora.engine.store.Cursor;
import io.tempora.engine.store.StoreView;
import io.tempora.persistence.StorageConfig;
import io.tempora.persistence.VerifyReport;
import io.tempora.persistence.rocks.DataDirVerifier;
import io.tempora.persistence.rocks.RocksShardStore;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Crash safety of the ontology switch (docs/storage.md, "Ontology switch"): a child JVM switches a
 * store of {@link #RECORDS} records ({@link ScaleWorkload}: every linked pair splits) in {@code
 * immediate} mode, spilling every {@link #BATCH} records, and is SIGKILLed at a random moment of
 * the switch (within the first 60 % of a reference run). The data dir must then verify clean. If
 * its meta names the switch {@code RUNNING} (the kill came after a spill), reopening it with an
 * engine must finish the switch: the new resolution, exactly as a switch run to the end produces it
 * (a digest of ontology version, counters, every record's entity, active entities, aliases, events
 * and conflicts). Otherwise it holds exactly the old resolution (killed before the first spill) or
 * the new one (killed after the commit), never a mix; a store killed before the first spill
 * switches again to the same result. The last cycle kills the child after the switch returned,
 * before it closes the store. One more kill lands between two pieces of the switch's events (the
 * child stops there and waits): the data dir verifies clean and reopening finishes the switch.
 * {@code tempora.switchcrash.cycles} kills (4; 20 with {@code -Pextended}).
 */
class SwitchCrashIT {
  private static final long RECORDS = 10_000;
  private static final int BATCH = 1_000;
  private static final int CYCLES = Integer.getInteger("tempora.switchcrash.cycles", 4);

  @TempDir Path dir;

  @Test
  @Timeout(value = 30, unit = TimeUnit.MINUTES)
  @DisplayName(
      "SIGKILL during an ontology switch leaves the old or the new resolution, never a mix")
  void sigkill_duringOntologySwitch_leavesOldOrNewResolution() throws Exception {
    Path built = dir.resolve("built");
    ChildJvm.run(
        dir.resolve("build.log"),
        List.of("-Xmx256m"),
        ScaleChild.class,
        10,
        "build",
        built.toString(),
        Long.toString(RECORDS),
        "5000");
    String before = digest(built);

    Path reference = copy(built, dir.resolve("reference"));
    Map<String, String> ran =
        ChildJvm.run(
            dir.resolve("reference.log"),
            List.of("-Xmx128m", "-Dtempora.switch.batch=" + BATCH),
            ScaleChild.class,
            10,
            "switch-only",
            reference.toString(),
            Long.toString(RECORDS));
    long switchMs = Long.parseLong(ran.get("switch_ms"));
    String after = digest(reference);
    assertThat(after).as("the switch changes the resolution").isNotEqualTo(before);

    long seed = Long.getLong("tempora.crash.seed", System.nanoTime());
    Random rnd = new Random(seed);
    int old = 0;
    int switched = 0;
    int finished = 0;
    boolean resumed = false;
    for (int cycle = 0; cycle < CYCLES; cycle++) {
      boolean last = cycle == CYCLES - 1;
      Path data = copy(built, dir.resolve("cycle-" + cycle));
      // Within the first 60 % of the reference duration: most kills land inside the switch even
      // when the machine's load makes this child faster than the reference was.
      long delayMs = last ? -1 : (long) (rnd.nextDouble() * switchMs * 0.6);
      runAndKill(data, delayMs, cycle);
      String where = "seed " + seed + " cycle " + cycle + " (kill after " + delayMs + " ms)";
      VerifyReport report = DataDirVerifier.verify(data);
      assertThat(report.problems()).as("%s: %s", where, report.render()).isEmpty();
      boolean running = jobRunning(data);
      if (running) {
        finishInProcess(data);
        VerifyReport again = DataDirVerifier.verify(data);
        assertThat(again.problems()).as("%s: %s", where, again.render()).isEmpty();
      }
      String got = digest(data);
      if (running) {
        assertThat(got).as("%s: reopening finished the switch", where).isEqualTo(after);
        finished++;
      }
      assertThat(got).as("%s: old or new resolution", where).isIn(before, after);
      if (last) {
        assertThat(got).as("%s: killed after the switch returned", where).isEqualTo(after);
      }
      if (got.equals(before)) {
        old++;
        if (!resumed) {
          switchInProcess(data);
          assertThat(digest(data)).as("%s: switched again after the kill", where).isEqualTo(after);
          resumed = true;
        }
      } else if (!running) {
        switched++;
      }
      delete(data);
    }
    System.out.printf(
        "switch crash seed %d: %d records, switch %d ms, %d kills: %d old, %d finished at reopen,"
            + " %d new%n",
        seed, RECORDS, switchMs, CYCLES, old, finished, switched);
    assertThat(old + finished).as("kills that landed inside the switch").isPositive();

    // One more kill, between two pieces of the switch's events (batch EVENTS_BATCH: several).
    Path data = copy(built, dir.resolve("in-events"));
    long stored = killInEvents(data);
    String where = "killed with " + stored + " events of the switch stored";
    VerifyReport report = DataDirVerifier.verify(data);
    assertThat(report.problems()).as("%s: %s", where, report.render()).isEmpty();
    assertThat(jobRunning(data)).as("%s: job running", where).isTrue();
    finishInProcess(data);
    VerifyReport again = DataDirVerifier.verify(data);
    assertThat(again.problems()).as("%s: %s", where, again.render()).isEmpty();
    assertThat(digest(data)).as("%s: reopening finished the switch", where).isEqualTo(after);
    System.out.printf("switch crash in the events phase: %s, finished at reopen%n", where);
  }

  /** Spill batch of the kill in the events phase: the 900 events of the switch span 9 pieces. */
  private static final int EVENTS_BATCH = 100;

  /**
   * Runs the {@code switch-in-events} child (batch {@link #EVENTS_BATCH}), which stops after the
   * first spill holding some of the switch's events, and SIGKILLs it there; returns how many events
   * it had stored.
   */
  private long killInEvents(Path data) throws IOException, InterruptedException {
    Path err = dir.resolve("child-in-events.err");
    Process p = startChild("switch-in-events", EVENTS_BATCH, data, err);
    try (BufferedReader out =
        new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
      for (String line = out.readLine(); ; line = out.readLine()) {
        if (line == null) {
          p.waitFor();
          throw new AssertionError(
              "switch child exited with " + p.exitValue() + ":\n" + Files.readString(err));
        }
        if (line.startsWith("in_events=")) {
          return Long.parseLong(line.substring("in_events=".length()));
        }
      }
    } finally {
      p.destroyForcibly(); // SIGKILL on Linux
      p.waitFor();
    }
  }

  /** Whether the data dir's meta names an unfinished switch. */
  private static boolean jobRunning(Path data) {
    try (RocksShardStore store = RocksShardStore.open(data, StorageConfig.defaults(0));
        StoreView v = store.view()) {
      return SwitchJob.isRunning(v.meta());
    }
  }

  /** Opens the store with an engine, which finishes the unfinished switch. */
  private static void finishInProcess(Path data) {
    try (RocksShardStore store = RocksShardStore.open(data, StorageConfig.defaults(0))) {
      Engine engine = new Engine(store, EngineConfig.defaults().withSwitchBatchRecords(BATCH));
      assertThat(SwitchJob.isRunning(metaOf(store))).isFalse();
      assertThat(engine.ontology().version()).isEqualTo(2);
    }
  }

  private static io.tempora.engine.store.StoreMeta metaOf(RocksShardStore store) {
    try (StoreView v = store.view()) {
      return v.meta();
    }
  }

  /**
   * Starts the switch child, waits for its {@code switching} line, then SIGKILLs it after {@code
   * delayMs} (or, for {@code -1}, once it printed the switch's tx).
   */
  private void runAndKill(Path data, long delayMs, int cycle)
      throws IOException, InterruptedException {
    Path err = dir.resolve("child-" + cycle + ".err");
    Process p = startChild("switch-only", BATCH, data, err);
    try (BufferedReader out =
        new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
      String wanted = delayMs < 0 ? "switch_tx=" : "switching";
      for (String line = out.readLine(); ; line = out.readLine()) {
        if (line == null) {
          p.waitFor();
          throw new AssertionError(
              "switch child exited with "
                  + p.exitValue()
                  + " in cycle "
                  + cycle
                  + ":\n"
                  + Files.readString(err));
        }
        if (line.startsWith(wanted)) {
          break;
        }
      }
      if (delayMs > 0) {
        // The kill moment, not a synchronisation: returns early if the child ends by itself.
        p.waitFor(delayMs, TimeUnit.MILLISECONDS);
      }
    } finally {
      p.destroyForcibly(); // SIGKILL on Linux
      p.waitFor();
    }
  }

  private static void switchInProcess(Path data) {
    try (RocksShardStore store = RocksShardStore.open(data, StorageConfig.defaults(0))) {
      OntologyResult r =
          new Engine(store, EngineConfig.defaults()).setOntology(ScaleWorkload.SWITCHED, null);
      assertThat(r.tx()).isNotZero();
    }
  }

  /**
   * SHA-256 over what a switch decides: meta (ontology version, counters, last tx), counts, every
   * live record's entity, every active entity with its row and aliases, every event and every
   * conflict entry in the store's order.
   */
  private static String digest(Path data) throws NoSuchAlgorithmException {
    MessageDigest md = MessageDigest.getInstance("SHA-256");
    try (RocksShardStore store = RocksShardStore.open(data, StorageConfig.defaults(0));
        StoreView v = store.view()) {
      feed(md, v.meta());
      feed(md, v.counts());
      try (Cursor<Long> live = v.liveRecords(0)) {
        while (live.hasNext()) {
          long rid = live.next();
          feed(md, rid + ">" + v.entityOf(rid));
        }
      }
      try (Cursor<Long> active = v.activeEntities(0)) {
        while (active.hasNext()) {
          long id = active.next();
          feed(md, v.entity(id));
          feed(md, v.aliases(id).toList());
        }
      }
      try (Cursor<io.tempora.engine.model.EntityEvent> events = v.events(0)) {
        events.forEachRemaining(e -> feed(md, e));
      }
      try (Cursor<ConflictEntry> conflicts = v.conflictRange(null, null)) {
        conflicts.forEachRemaining(c -> feed(md, c.item()));
      }
    }
    return HexFormat.of().formatHex(md.digest());
  }

  private static void feed(MessageDigest md, Object o) {
    md.update(String.valueOf(o).getBytes(StandardCharsets.UTF_8));
    md.update((byte) '\n');
  }

  private static Path copy(Path from, Path to) throws IOException {
    try (Stream<Path> files = Files.walk(from)) {
      for (Path f : files.toList()) {
        Files.copy(f, to.resolve(from.relativize(f).toString()));
      }
    }
    return to;
  }

  private static void delete(Path d) throws IOException {
    try (Stream<Path> files = Files.walk(d)) {
      for (Path f : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.delete(f);
      }
    }
  }

  /** Starts a {@link ScaleChild} in {@code mode} on {@code data}, its stderr to {@code err}. */
  private static Process startChild(String mode, int batch, Path data, Path err)
      throws IOException {
    return new ProcessBuilder(
            Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "--enable-native-access=ALL-UNNAMED",
            "-Xmx128m",
            "-Dtempora.switch.batch=" + batch,
            "-cp",
            System.getProperty("java.class.path"),
            ScaleChild.class.getName(),
            mode,
            data.toString(),
            Long.toString(RECORDS))
        .redirectError(err.toFile())
        .start();
  }
}
