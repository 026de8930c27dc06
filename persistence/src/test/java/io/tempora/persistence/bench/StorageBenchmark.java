package io.tempora.persistence.bench;

import io.tempora.engine.Engine;
import io.tempora.engine.EngineConfig;
import io.tempora.engine.model.RecordInput;
import io.tempora.persistence.Durability;
import io.tempora.persistence.StorageConfig;
import io.tempora.persistence.rocks.RocksShardStore;
import io.tempora.persistence.rocks.StorageBaseline;
import io.tempora.persistence.scale.ScaleChild;
import io.tempora.persistence.scale.ScaleWorkload;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * The storage benchmark of issue 3 (docs/BENCHMARKS.md): ingest records/s of the RocksDB store per
 * durability mode next to a raw RocksDB baseline measured in the same run, then start-up time to
 * the first answered query in a fresh {@code -Xmx256m} JVM.
 *
 * <p>Arguments ({@code key=value}): {@code cases} runs only the cases whose name starts with it
 * (e.g. {@code async}), {@code records} per case (default 40000), {@code request} records per
 * request (default 10), {@code startup} records of the start-up data dir (0 = skip; default
 * 1000000), {@code startupDir} where to keep (and reuse) that data dir, {@code work} a scratch
 * directory, {@code warmup} records written once through the store and the baseline (async, 16
 * writers, results discarded) before the first timed case, so that no case pays for the JIT's
 * warm-up (default 20000; 0 = none).
 */
public final class StorageBenchmark {
  private StorageBenchmark() {}

  /** One ingest case: a mode and a number of concurrent writers. */
  private record Case(String name, Durability mode, int writers) {}

  private static final List<Case> CASES =
      List.of(
          new Case("immediate, 1 writer", Durability.IMMEDIATE, 1),
          new Case("immediate, 16 writers", Durability.IMMEDIATE, 16),
          new Case("batched, 16 writers", Durability.BATCHED, 16),
          new Case("async, 16 writers", Durability.ASYNC, 16));

  public static void main(String[] args) throws Exception {
    long records = arg(args, "records", 40_000);
    int request = (int) arg(args, "request", 10);
    long startup = arg(args, "startup", 1_000_000);
    Path work = Path.of(argString(args, "work", "target/storage-bench"));
    Path startupDir = Path.of(argString(args, "startupDir", work + "/startup-" + startup));
    System.out.printf(
        Locale.ROOT,
        "storage benchmark: %d records per case, %d records per request, %d warm-up records,"
            + " %d cores%n",
        records,
        request,
        arg(args, "warmup", 20_000),
        Runtime.getRuntime().availableProcessors());
    System.out.println(
        "| case | store records/s | raw records/s | store / raw | store CPU µs/record: writer"
            + " threads, whole process |");
    System.out.println("|---|---|---|---|---|");
    long warmup = arg(args, "warmup", 20_000);
    if (warmup > 0) {
      Case w = new Case("warm-up", Durability.ASYNC, 16);
      rawRate(work.resolve("raw"), w, warmup, request);
      storeRate(work.resolve("store"), w, warmup, request);
    }
    String only = argString(args, "cases", "");
    for (Case c : CASES) {
      if (!only.isEmpty() && !c.name.startsWith(only)) {
        continue;
      }
      double raw = rawRate(work.resolve("raw"), c, records, request).perSecond();
      Rate store = storeRate(work.resolve("store"), c, records, request);
      System.out.printf(
          Locale.ROOT,
          "| %s | %,.0f | %,.0f | %.1f%% | %.0f, %.0f |%n",
          c.name,
          store.perSecond(),
          raw,
          100 * store.perSecond() / raw,
          store.writerCpuMicros() / records,
          store.processCpuMicros() / records);
    }
    if (startup > 0) {
      startup(startupDir, startup);
    }
  }

  /**
   * A case's outcome: records per second, the CPU time of its writer threads (the engine's work
   * including the serialised write path, not RocksDB's background threads, JIT or GC) and of the
   * whole process while it ran. CPU figures move far less than records/s when other processes share
   * the cores.
   */
  private record Rate(double perSecond, double writerCpuMicros, double processCpuMicros) {}

  private static Rate storeRate(Path dir, Case c, long records, int request) throws Exception {
    delete(dir);
    StorageConfig config = StorageConfig.defaults(0).withDurability(c.mode);
    try (RocksShardStore store = RocksShardStore.open(dir, config)) {
      Engine engine = new Engine(store, EngineConfig.defaults());
      engine.setOntology(ScaleWorkload.ONTOLOGY, null);
      return run(c.writers, records, request, engine::upsert);
    } finally {
      delete(dir);
    }
  }

  private static Rate rawRate(Path dir, Case c, long records, int request) throws Exception {
    delete(dir);
    StorageConfig config = StorageConfig.defaults(0).withDurability(c.mode);
    try (StorageBaseline raw = StorageBaseline.open(dir, config)) {
      return run(c.writers, records, request, raw::write);
    } finally {
      delete(dir);
    }
  }

  /** Runs {@code writers} threads taking request after request. */
  private static Rate run(int writers, long records, int request, Consumer<List<RecordInput>> write)
      throws Exception {
    AtomicLong next = new AtomicLong();
    LongAdder writerCpu = new LongAdder();
    ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    com.sun.management.OperatingSystemMXBean os =
        (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
    ExecutorService pool = Executors.newFixedThreadPool(writers);
    try {
      long cpu0 = os.getProcessCpuTime();
      long t0 = System.nanoTime();
      List<Future<?>> done = new ArrayList<>();
      for (int w = 0; w < writers; w++) {
        done.add(
            pool.submit(
                () -> {
                  long c0 = threads.getCurrentThreadCpuTime();
                  for (long i = next.getAndAdd(request); i < records; i = next.getAndAdd(request)) {
                    write.accept(ScaleWorkload.batch(i, (int) Math.min(request, records - i)));
                  }
                  writerCpu.add(threads.getCurrentThreadCpuTime() - c0);
                }));
      }
      for (Future<?> f : done) {
        f.get();
      }
      double seconds = (System.nanoTime() - t0) / 1e9;
      return new Rate(
          records / seconds, writerCpu.sum() / 1e3, (os.getProcessCpuTime() - cpu0) / 1e3);
    } finally {
      pool.shutdownNow();
    }
  }

  /** Builds (once) a data dir of {@code n} records, then times a fresh JVM to its first answer. */
  private static void startup(Path dir, long n) throws IOException, InterruptedException {
    if (!Files.exists(dir.resolve("db"))) {
      System.out.printf(Locale.ROOT, "building %,d records in %s ...%n", n, dir);
      System.out.println(child("build", dir, n, "5000"));
    }
    for (int run = 1; run <= 3; run++) {
      System.out.printf(
          Locale.ROOT, "start-up run %d at %,d records: %s%n", run, n, child("serve", dir, n));
    }
  }

  private static String child(String phase, Path dir, long n, String... more)
      throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add("--enable-native-access=ALL-UNNAMED");
    cmd.add("-Xmx256m");
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add(ScaleChild.class.getName());
    cmd.add(phase);
    cmd.add(dir.toString());
    cmd.add(Long.toString(n));
    cmd.addAll(List.of(more));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out =
        new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    if (p.waitFor() != 0) {
      throw new IllegalStateException(phase + " failed:\n" + out);
    }
    return String.join(" ", out.lines().filter(l -> l.matches("[a-z_]+=.*")).toList());
  }

  private static long arg(String[] args, String key, long def) {
    return Long.parseLong(argString(args, key, Long.toString(def)));
  }

  private static String argString(String[] args, String key, String def) {
    for (String a : args) {
      if (a.startsWith(key + "=")) {
        return a.substring(key.length() + 1);
      }
    }
    return def;
  }

  private static void delete(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> walk = Files.walk(dir)) {
      for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }
}
