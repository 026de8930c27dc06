package io.tempora.deploy.load;

import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.tempora.persistence.Durability;
import io.tempora.proto.v1.GetStatsRequest;
import io.tempora.proto.v1.GetStatsResponse;
import io.tempora.proto.v1.SetOntologyRequest;
import io.tempora.proto.v1.TemporaServiceGrpc;
import io.tempora.proto.v1.TemporaServiceGrpc.TemporaServiceBlockingStub;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

/**
 * One run of {@code load}: optional embedded shard, ontology, warm-up, ingest, reads, baselines,
 * final counts. Owns and closes every channel, server and directory it creates. Not thread-safe.
 */
final class LoadRun {
  /** Everything a run needs, validated by the command. */
  record Settings(
      WorkloadSpec workload,
      String target,
      Path embedded,
      Durability durability,
      int concurrency,
      int channels,
      double rate,
      long warmupRecords,
      long queries,
      List<Reads.Mode> reads,
      Long querySpace,
      List<String> baselines,
      Path baselineDir,
      String metricsUrl,
      long deadlineMs,
      long statsDeadlineMs,
      boolean progress,
      Map<String, Object> config) {}

  private final Settings s;
  private final PrintStream err;
  private final List<PhaseResult> phases = new ArrayList<>();
  private final Map<String, Object> server = new LinkedHashMap<>();
  private final Map<String, Object> process = new LinkedHashMap<>();
  private final Map<String, Object> ratios = new LinkedHashMap<>();
  private final List<String> notes = new ArrayList<>();

  LoadRun(Settings settings, PrintStream err) {
    this.s = settings;
    this.err = err;
  }

  LoadReport run() throws IOException {
    EmbeddedShard shard = null;
    Thread hook = null;
    try {
      if (s.embedded() != null) {
        shard = EmbeddedShard.start(s.embedded(), s.durability());
        process.put("startup_ms", shard.startup().toNanos() / 1e6);
        hook = closeOnSignal(shard);
      }
      String target = shard == null ? s.target() : shard.target();
      Map<String, Object> stats = runTempora(target, shard);
      if (shard != null) {
        memory();
      }
      runBaselines();
      return new LoadReport(
          s.config(), List.copyOf(phases), stats, server, process, ratios, List.copyOf(notes));
    } finally {
      if (shard != null) {
        shard.close();
        removeHook(hook);
      }
    }
  }

  private Map<String, Object> runTempora(String target, EmbeddedShard shard) {
    List<ManagedChannel> channels = channels(target);
    try {
      AtomicInteger next = new AtomicInteger();
      TemporaServiceBlockingStub first = TemporaServiceGrpc.newBlockingStub(channels.get(0));
      first
          .withDeadlineAfter(s.deadlineMs(), TimeUnit.MILLISECONDS)
          .setOntology(SetOntologyRequest.newBuilder().setOntology(Workload.ontology()).build());
      if (s.warmupRecords() > 0) {
        ingest("warmup", s.workload().withRecordsAndPrefix(s.warmupRecords(), "w"), channels, next);
      }
      MetricsScrape before = s.metricsUrl() == null ? null : MetricsScrape.fetch(s.metricsUrl());
      long syncsBefore = shard == null ? 0 : shard.walSyncs();
      if (s.workload().records() > 0) {
        ingest("ingest", s.workload(), channels, next);
      }
      serverFigures(before, shard, syncsBefore);
      Map<String, Object> stats = stats(channels.get(0));
      long space =
          s.querySpace() != null
              ? s.querySpace()
              : s.workload().records() > 0
                  ? s.workload().records()
                  : stats.get("records") instanceof Long n ? n : 0;
      for (Reads.Mode mode : s.reads()) {
        if (s.queries() > 0) {
          try {
            read(mode, space, channels, next);
          } catch (StatusRuntimeException e) {
            notes.add("reads " + mode + " skipped: " + e.getStatus());
            err.println("load: reads " + mode + " skipped: " + e.getStatus());
          }
        }
      }
      return stats;
    } finally {
      channels.forEach(LoadRun::shutdown);
    }
  }

  /** GetStats with its own deadline; a failure is noted, not fatal. */
  private Map<String, Object> stats(ManagedChannel channel) {
    Map<String, Object> out = new LinkedHashMap<>();
    long begin = System.nanoTime();
    try {
      GetStatsResponse stats =
          TemporaServiceGrpc.newBlockingStub(channel)
              .withDeadlineAfter(s.statsDeadlineMs(), TimeUnit.MILLISECONDS)
              .getStats(GetStatsRequest.getDefaultInstance());
      out.put("records", stats.getRecords());
      out.put("entities", stats.getEntities());
      out.put("conflicts", stats.getConflicts());
      out.put("last_tx", stats.getLastTx());
    } catch (StatusRuntimeException e) {
      notes.add("GetStats failed: " + e.getStatus());
      err.println("load: GetStats failed: " + e.getStatus());
    }
    out.put("get_stats_ms", (System.nanoTime() - begin) / 1e6);
    return out;
  }

  /** SIGTERM or Ctrl-C during a run still closes the embedded shard's store cleanly. */
  private static Thread closeOnSignal(EmbeddedShard shard) {
    Thread hook = new Thread(shard::close, "tempora-load-shutdown-1");
    Runtime.getRuntime().addShutdownHook(hook);
    return hook;
  }

  private static void removeHook(Thread hook) {
    try {
      Runtime.getRuntime().removeShutdownHook(hook);
    } catch (IllegalStateException e) {
      // The JVM is already shutting down: the hook runs, and closing twice is harmless.
    }
  }

  private void ingest(
      String name, WorkloadSpec spec, List<ManagedChannel> channels, AtomicInteger next) {
    Workload workload = new Workload(spec);
    PhaseResult r =
        Driver.run(
            settings(name, spec.records()),
            workload::next,
            Workload.Op::items,
            op -> {
              TemporaServiceBlockingStub stub = stub(channels, next);
              switch (op) {
                case Workload.Upsert u -> stub.ingest(u.request());
                case Workload.Delete d -> stub.delete(d.request());
              }
            },
            err);
    phases.add(r);
  }

  private void read(
      Reads.Mode mode, long space, List<ManagedChannel> channels, AtomicInteger next) {
    Reads reads =
        Reads.of(mode, new Workload(s.workload()), space, s.queries(), () -> stub(channels, next));
    phases.add(
        Driver.run(
            settings("query-" + mode.name().toLowerCase(java.util.Locale.ROOT), s.queries()),
            reads::next,
            r -> 1,
            r -> Reads.execute(stub(channels, next), r),
            err));
  }

  private void runBaselines() throws IOException {
    PhaseResult tempora = phase("ingest");
    for (String b : s.baselines()) {
      PhaseResult base = b.equals("rocksdb") ? rocksBaseline() : echoBaseline();
      phases.add(base);
      if (tempora != null) {
        ratios.put(b + "_records_per_s", ratio(tempora.itemsPerSecond(), base.itemsPerSecond()));
        ratios.put(b + "_p50", ratio(tempora.latencyMs().p50(), base.latencyMs().p50()));
        ratios.put(b + "_p99", ratio(tempora.latencyMs().p99(), base.latencyMs().p99()));
      }
    }
  }

  private PhaseResult rocksBaseline() throws IOException {
    Path dir = baselineDir();
    boolean sync = s.durability() == Durability.IMMEDIATE;
    try (RocksBaseline db = RocksBaseline.open(dir, sync)) {
      Workload workload = new Workload(s.workload());
      return Driver.run(
          settings("baseline-rocksdb", s.workload().records()),
          workload::next,
          Workload.Op::items,
          db::write,
          err);
    } finally {
      deleteTree(dir);
    }
  }

  private PhaseResult echoBaseline() {
    try (EchoServer echo = EchoServer.start()) {
      List<ManagedChannel> channels = channels(echo.target());
      try {
        Workload workload = new Workload(s.workload());
        AtomicInteger next = new AtomicInteger();
        return Driver.run(
            settings("baseline-grpc-echo", s.workload().records()),
            () -> upsertsOnly(workload),
            Workload.Op::items,
            op ->
                EchoServer.echo(
                    channels.get(Math.floorMod(next.getAndIncrement(), channels.size())),
                    ((Workload.Upsert) op).request(),
                    s.deadlineMs()),
            err);
      } finally {
        channels.forEach(LoadRun::shutdown);
      }
    }
  }

  private static Workload.Op upsertsOnly(Workload w) {
    Workload.Op op;
    do {
      op = w.next();
    } while (op != null && !(op instanceof Workload.Upsert));
    return op;
  }

  private Path baselineDir() throws IOException {
    if (s.baselineDir() != null) {
      return s.baselineDir();
    }
    if (s.embedded() != null) {
      Path abs = s.embedded().toAbsolutePath();
      return abs.resolveSibling(abs.getFileName() + ".baseline-rocksdb");
    }
    return Files.createTempDirectory("tempora-baseline-rocksdb");
  }

  private void serverFigures(MetricsScrape before, EmbeddedShard shard, long syncsBefore) {
    PhaseResult ingest = phase("ingest");
    if (before != null) {
      server.putAll(MetricsScrape.fetch(s.metricsUrl()).since(before));
    } else if (shard != null) {
      long syncs = shard.walSyncs() - syncsBefore;
      server.put("wal_syncs", syncs);
      server.put("wal_sync_mean_ms", null);
      server.put(
          "requests_per_wal_sync",
          ingest == null || syncs == 0 ? null : (double) ingest.requests() / syncs);
    } else {
      server.put("wal_syncs", null);
      server.put("requests_per_wal_sync", null);
    }
  }

  private void memory() {
    System.gc();
    var heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage();
    process.put("heap_used_after_gc_bytes", heap.getUsed());
    process.put("heap_committed_bytes", heap.getCommitted());
    process.put("rss_bytes", rssBytes());
  }

  /** Resident set size of this process from /proc (null where there is none). */
  static Long rssBytes() {
    try (Stream<String> lines = Files.lines(Path.of("/proc/self/status"))) {
      return lines
          .filter(l -> l.startsWith("VmRSS:"))
          .map(l -> Long.parseLong(l.replaceAll("[^0-9]", "")) * 1024)
          .findFirst()
          .orElse(null);
    } catch (IOException | UncheckedIOException e) {
      return null;
    }
  }

  private PhaseResult phase(String name) {
    return phases.stream().filter(p -> p.name().equals(name)).findFirst().orElse(null);
  }

  private Driver.Settings settings(String name, long expected) {
    return new Driver.Settings(name, s.concurrency(), s.rate(), s.progress(), expected);
  }

  private TemporaServiceBlockingStub stub(List<ManagedChannel> channels, AtomicInteger next) {
    return TemporaServiceGrpc.newBlockingStub(
            channels.get(Math.floorMod(next.getAndIncrement(), channels.size())))
        .withDeadlineAfter(s.deadlineMs(), TimeUnit.MILLISECONDS);
  }

  private List<ManagedChannel> channels(String target) {
    List<ManagedChannel> out = new ArrayList<>();
    for (int i = 0; i < s.channels(); i++) {
      out.add(
          NettyChannelBuilder.forTarget(target)
              .usePlaintext()
              .maxInboundMessageSize(64 * 1024 * 1024)
              .build());
    }
    return out;
  }

  private static void shutdown(ManagedChannel c) {
    c.shutdown();
    try {
      if (!c.awaitTermination(5, TimeUnit.SECONDS)) {
        c.shutdownNow();
      }
    } catch (InterruptedException e) {
      c.shutdownNow();
      Thread.currentThread().interrupt();
    }
  }

  private static Double ratio(double a, double b) {
    return b == 0 ? null : Math.round(a / b * 1000) / 1000.0;
  }

  private static void deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(dir)) {
      for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }
}
