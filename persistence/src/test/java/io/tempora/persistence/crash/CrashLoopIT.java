package io.tempora.persistence.crash;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import io.tempora.engine.Engine;
import io.tempora.engine.EngineConfig;
import io.tempora.engine.Reader.EntitySummary;
import io.tempora.engine.model.Identity;
import io.tempora.engine.model.RecordInput;
import io.tempora.engine.store.InMemoryStore;
import io.tempora.persistence.Durability;
import io.tempora.persistence.StorageConfig;
import io.tempora.persistence.VerifyReport;
import io.tempora.persistence.crash.CrashWorkload.Rec;
import io.tempora.persistence.crash.CrashWorkload.Request;
import io.tempora.persistence.rocks.DataDirVerifier;
import io.tempora.persistence.rocks.RocksShardStore;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * STORAGE.md ST-T1: a child JVM ingests with several concurrent writer threads in {@code immediate}
 * mode and logs every request before submitting and after its acknowledgement; the parent SIGKILLs
 * it after a random number of acknowledgements, then (as the independent checker) reopens the data
 * dir and checks that every acknowledged request is fully present, the one in-flight request of
 * each thread is all there or not at all, earlier cycles are unchanged and {@code verify} is clean.
 * At the end the entity partition equals a fresh in-memory ingest of the final records. Cycles:
 * {@code -Dtempora.crash.cycles} (50; 200 with {@code -Pextended}); seed: {@code
 * -Dtempora.crash.seed}.
 */
class CrashLoopIT {
  private static final int CYCLES = Integer.getInteger("tempora.crash.cycles", 50);
  private static final int THREADS = 4;
  private static final StorageConfig CONFIG =
      StorageConfig.defaults(0).withSmallCaches().withDurability(Durability.IMMEDIATE);

  @TempDir Path dir;

  /** Per uid of every finished cycle, the live content (null: never created or deleted). */
  private final Map<String, Rec> expected = new HashMap<>();

  private int ackedTotal;
  private int inFlightPresent;
  private int inFlightAbsent;

  @Test
  @DisplayName("ST-T1: SIGKILL during concurrent immediate ingest loses no acknowledged request")
  void sigkill_duringConcurrentIngest_keepsEveryAckAndNoHalfRequest() {
    // 36 s per cycle at most (30 min for the default 50): the extended 200 cycles get 2 h, not 30
    // min.
    Duration limit = Duration.ofSeconds(Math.max(1800, 36L * CYCLES));
    assertTimeoutPreemptively(limit, this::cycles, () -> CYCLES + " cycles not done in " + limit);
  }

  private void cycles() throws Exception {
    long seed = Long.getLong("tempora.crash.seed", System.nanoTime());
    Random rnd = new Random(seed);
    Path data = dir.resolve("data");
    Path side = dir.resolve("side.log");
    long start = System.nanoTime();
    for (int cycle = 0; cycle < CYCLES; cycle++) {
      runAndKill(data, side, cycle, 1 + rnd.nextInt(30), rnd.nextLong());
      check(data, side, cycle, "seed " + seed + " cycle " + cycle);
      if ((cycle + 1) % 25 == 0) {
        System.out.printf(
            "ST-T1 seed %d: %d of %d cycles checked, %d acknowledged requests, %d s%n",
            seed, cycle + 1, CYCLES, ackedTotal, (System.nanoTime() - start) / 1_000_000_000L);
      }
    }
    assertPartitionEqualsFreshIngest(data, "seed " + seed);
    assertThat(ackedTotal).isGreaterThanOrEqualTo(CYCLES);
    System.out.printf(
        "ST-T1 seed %d: %d cycles, %d acknowledged requests, in-flight at the kill: %d present,"
            + " %d absent%n",
        seed, CYCLES, ackedTotal, inFlightPresent, inFlightAbsent);
  }

  private void runAndKill(Path data, Path side, int cycle, int acks, long seed)
      throws IOException, InterruptedException {
    Path err = dir.resolve("child-" + cycle + ".err");
    Process p =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED",
                "-Xmx128m",
                "-cp",
                System.getProperty("java.class.path"),
                CrashWriterMain.class.getName(),
                data.toString(),
                side.toString(),
                Integer.toString(cycle),
                Integer.toString(THREADS),
                Long.toString(seed))
            .redirectError(err.toFile())
            .start();
    try (BufferedReader out =
        new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
      int seen = -1; // READY first
      while (seen < acks) {
        String line = out.readLine();
        if (line == null) {
          p.waitFor();
          throw new AssertionError(
              "child exited with " + p.exitValue() + " in cycle " + cycle + ":\n" + read(err));
        }
        seen++;
      }
    } finally {
      p.destroyForcibly(); // SIGKILL on Linux
      p.waitFor();
    }
  }

  private void check(Path data, Path side, int cycle, String where) throws IOException {
    Map<Integer, List<Request>> begun = new TreeMap<>();
    Map<Integer, Integer> acked = new HashMap<>();
    parseCycle(side, cycle, begun, acked);
    // tempora verify on the killed shard's data dir first: read-only, WAL replayed in memory only.
    VerifyReport report = DataDirVerifier.verify(data);
    assertThat(report.problems()).as("%s: %s", where, report.render()).isEmpty();
    try (RocksShardStore store = RocksShardStore.open(data, CONFIG)) {
      Engine engine = new Engine(store, EngineConfig.defaults());
      for (int t = 0; t < THREADS; t++) {
        List<Request> reqs = begun.getOrDefault(t, List.of());
        int k = acked.getOrDefault(t, 0);
        assertThat(reqs.size())
            .as("%s thread %d: requests begun vs acked", where, t)
            .isIn(k, k + 1);
        resolveThread(engine, "c" + cycle + "t" + t + "u", reqs, k, where + " thread " + t);
      }
      expected.forEach(
          (uid, rec) ->
              assertThat(CrashWorkload.liveContent(engine, uid))
                  .as("%s: %s keeps its content", where, uid)
                  .isEqualTo(CrashWorkload.content(rec)));
      assertThat(store.verify()).as("%s: verify", where).isEmpty();
    }
  }

  /** The thread's uids must equal its first k requests, or k + 1 if one was in flight. */
  private void resolveThread(
      Engine engine, String prefix, List<Request> reqs, int k, String where) {
    Map<String, Rec> acked = replay(reqs, k);
    ackedTotal += k;
    Map<String, Rec> actual = new HashMap<>();
    for (int u = 0; u < CrashWorkload.UIDS_PER_THREAD; u++) {
      actual.put(prefix + u, null);
    }
    boolean matchesAcked = matches(engine, actual.keySet(), acked);
    if (!matchesAcked) {
      assertThat(reqs.size())
          .as(
              "%s: state differs from its %d acknowledged requests and none was in flight",
              where, k)
          .isEqualTo(k + 1);
      Map<String, Rec> withInFlight = replay(reqs, k + 1);
      assertThat(matches(engine, actual.keySet(), withInFlight))
          .as(
              "%s: state equals neither %d nor %d requests (half-present request?)",
              where, k, k + 1)
          .isTrue();
      acked = withInFlight;
      inFlightPresent++;
    } else if (reqs.size() == k + 1) {
      inFlightAbsent++;
    }
    for (String uid : actual.keySet()) {
      expected.put(uid, acked.get(uid));
    }
  }

  private static Map<String, Rec> replay(List<Request> reqs, int n) {
    Map<String, Rec> model = new HashMap<>();
    reqs.subList(0, n).forEach(r -> r.applyTo(model));
    return model;
  }

  private static boolean matches(Engine engine, Set<String> uids, Map<String, Rec> model) {
    for (String uid : uids) {
      if (!java.util.Objects.equals(
          CrashWorkload.liveContent(engine, uid), CrashWorkload.content(model.get(uid)))) {
        return false;
      }
    }
    return true;
  }

  /** Reads the cycle's lines; a torn last line (killed mid-write) is ignored. */
  private static void parseCycle(
      Path side, int cycle, Map<Integer, List<Request>> begun, Map<Integer, Integer> acked)
      throws IOException {
    if (!Files.exists(side)) {
      return;
    }
    List<String> lines = Files.readAllLines(side, StandardCharsets.UTF_8);
    for (int i = 0; i < lines.size(); i++) {
      if (lines.get(i).startsWith("S ")) {
        continue; // a cycle starts (CrashWriterMain)
      }
      String[] f = lines.get(i).split(" ", 5);
      try {
        if (Integer.parseInt(f[1]) != cycle) {
          continue;
        }
        int t = Integer.parseInt(f[2]);
        int n = Integer.parseInt(f[3]);
        if (f[0].equals("B")) {
          List<Request> list = begun.computeIfAbsent(t, x -> new ArrayList<>());
          assertThat(n).as("request number of thread %d", t).isEqualTo(list.size() + 1);
          list.add(Request.decode(f[4]));
        } else {
          assertThat(n).as("ack of thread %d", t).isEqualTo(acked.getOrDefault(t, 0) + 1);
          acked.put(t, n);
        }
      } catch (RuntimeException torn) {
        // A torn line is the last one a killed cycle wrote: at the end, or before the next start.
        boolean lastOfItsCycle = i == lines.size() - 1 || lines.get(i + 1).startsWith("S ");
        if (!lastOfItsCycle) {
          throw new AssertionError("side file line " + (i + 1) + ": " + lines.get(i), torn);
        }
      }
    }
  }

  private void assertPartitionEqualsFreshIngest(Path data, String where) {
    Engine fresh = new Engine(new InMemoryStore(), EngineConfig.defaults());
    fresh.setOntology(CrashWorkload.ONTOLOGY, null);
    List<RecordInput> live = new ArrayList<>();
    expected.forEach(
        (uid, rec) -> {
          if (rec != null) {
            live.add(new RecordInput(CrashWorkload.identity(uid), rec.descriptors()));
          }
        });
    for (int i = 0; i < live.size(); i += 100) {
      fresh.upsert(live.subList(i, Math.min(live.size(), i + 100)));
    }
    try (RocksShardStore store = RocksShardStore.open(data, CONFIG)) {
      Engine engine = new Engine(store, EngineConfig.defaults());
      Set<List<Identity>> actual = members(engine.reader().partition());
      assertThat(actual).as(where).isEqualTo(members(fresh.reader().partition()));
      assertThat(actual.stream().mapToInt(List::size).sum()).isEqualTo(live.size());
      assertThat(live).as("the workload left live records").isNotEmpty();
    }
  }

  private static Set<List<Identity>> members(List<EntitySummary> partition) {
    Set<List<Identity>> out = new HashSet<>();
    partition.forEach(e -> out.add(e.members()));
    return out;
  }

  private static String read(Path p) throws IOException {
    return Files.exists(p) ? Files.readString(p) : "";
  }
}
