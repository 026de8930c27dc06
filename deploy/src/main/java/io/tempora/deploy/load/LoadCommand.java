package io.tempora.deploy.load;

import io.tempora.persistence.Durability;
import java.lang.reflect.Method;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code tempora load}: drives a seeded synthetic workload through gRPC and reports throughput,
 * per-request latency percentiles, errors, final counts and baseline ratios (docs/BENCHMARKS.md).
 */
@Command(
    name = "load",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
      "Load generator and benchmark: ingests a seeded synthetic workload through gRPC with",
      "--concurrency workers and --batch records per request, then runs --queries reads of",
      "each --reads mode, and optionally the same workload against raw baselines."
    })
public final class LoadCommand implements Callable<Integer> {
  static {
    // Before the first logger exists: the report owns stdout, so logs go to stderr at WARN.
    if (System.getProperty("logback.configurationFile") == null) {
      System.setProperty("logback.configurationFile", "tempora-load-logback.xml");
    }
  }

  @Spec picocli.CommandLine.Model.CommandSpec spec;

  @Option(
      names = {"--target", "--router"},
      defaultValue = "127.0.0.1:7400",
      description = "HOST:PORT of a router or shard (default: ${DEFAULT-VALUE})")
  String target;

  @Option(
      names = "--embedded",
      paramLabel = "DIR",
      description = "start a shard in this process on data directory DIR instead of --target")
  Path embedded;

  @Option(
      names = "--durability",
      defaultValue = "immediate",
      description =
          "embedded shard's durability, and the rocksdb baseline's sync: immediate, batched or"
              + " async (default: ${DEFAULT-VALUE})")
  String durability;

  @Option(names = "--records", defaultValue = "1000000", description = "operations to send")
  long records;

  @Option(names = "--batch", defaultValue = "1000", description = "records per request")
  int batch;

  @Option(names = "--concurrency", defaultValue = "16", description = "parallel workers")
  int concurrency;

  @Option(
      names = "--channels",
      description = "gRPC connections shared by the workers (default: min(concurrency, 4))")
  Integer channels;

  @Option(
      names = "--rate",
      defaultValue = "0",
      description = "requests per second for every phase; 0 = closed loop (default)")
  double rate;

  @Option(names = "--seed", defaultValue = "42", description = "workload seed")
  long seed;

  @Option(names = "--perspectives", defaultValue = "4", description = "source systems")
  int perspectives;

  @Option(names = "--overlap", defaultValue = "0.10", description = "P(record of a known entity)")
  double overlap;

  @Option(names = "--conflict", defaultValue = "0.0", description = "P(such a record disagrees)")
  double conflict;

  @Option(
      names = "--strong-conflict",
      defaultValue = "0.0",
      description = "P(such a record has another ssn in the entity's home perspective)")
  double strongConflict;

  @Option(
      names = {"--cross-key", "--cross-shard"},
      defaultValue = "0.0",
      description = "P(such a record links only through phone, a chain across keys)")
  double crossKey;

  @Option(names = "--upsert", defaultValue = "0.0", description = "P(update an earlier record)")
  double upsert;

  @Option(names = "--delete", defaultValue = "0.0", description = "P(delete an earlier record)")
  double delete;

  @Option(
      names = "--shapes",
      defaultValue = "0.6,0.3,0.1",
      description = "weights of bounded,unbounded,adjacent intervals (default: ${DEFAULT-VALUE})")
  String shapes;

  @Option(
      names = "--key-cardinality",
      defaultValue = "0",
      description = "distinct email/phone values; 0 = one per entity")
  long keyCardinality;

  @Option(names = "--hot-key-rate", defaultValue = "0.0", description = "P(entity has a hot email)")
  double hotKeyRate;

  @Option(names = "--hot-keys", defaultValue = "10", description = "number of hot email values")
  int hotKeys;

  @Option(
      names = "--pool",
      defaultValue = "100000",
      description = "recent entities and records that overlaps, upserts and deletes pick from")
  int pool;

  @Option(
      names = "--warmup-records",
      defaultValue = "10000",
      description = "records sent before measuring (own uids and values)")
  long warmupRecords;

  @Option(names = "--queries", defaultValue = "0", description = "reads per --reads mode")
  long queries;

  @Option(
      names = "--reads",
      split = ",",
      defaultValue = "point,window,entity,conflicts",
      description = "read modes: point, window, entity, conflicts (default: ${DEFAULT-VALUE})")
  List<String> reads;

  @Option(
      names = "--query-space",
      description = "entity numbers queried are below this (default: records, else GetStats)")
  Long querySpace;

  @Option(
      names = "--baseline",
      split = ",",
      description = "also run the workload against: rocksdb, grpc-echo")
  List<String> baselines = new ArrayList<>();

  @Option(
      names = "--baseline-dir",
      description = "rocksdb baseline directory (default: next to --embedded, else a temp dir)")
  Path baselineDir;

  @Option(names = "--metrics-url", description = "the target's /metrics URL for server figures")
  String metricsUrl;

  @Option(
      names = "--deadline-ms",
      defaultValue = "60000",
      description = "deadline of each request (default: ${DEFAULT-VALUE})")
  long deadlineMs;

  @Option(
      names = "--stats-deadline-ms",
      defaultValue = "600000",
      description = "deadline of the final GetStats, which scans (default: ${DEFAULT-VALUE})")
  long statsDeadlineMs;

  @Option(
      names = {"--json", "--report"},
      paramLabel = "FILE",
      description = "also write the report as JSON")
  Path json;

  @Option(names = "--no-progress", description = "no progress bar (off anyway without a terminal)")
  boolean noProgress;

  @Override
  public Integer call() throws Exception {
    LoadRun.Settings settings = settings();
    LoadReport report = new LoadRun(settings, System.err).run();
    report.print(spec.commandLine().getOut());
    if (json != null) {
      report.writeJson(json);
    }
    return 0;
  }

  LoadRun.Settings settings() {
    try {
      WorkloadSpec workload =
          new WorkloadSpec(
              seed,
              records,
              batch,
              perspectives,
              overlap,
              conflict,
              strongConflict,
              crossKey,
              upsert,
              delete,
              shapes(),
              keyCardinality,
              hotKeyRate,
              hotKeys,
              pool,
              "");
      return new LoadRun.Settings(
          workload,
          embedded == null ? target : null,
          embedded,
          durability(),
          concurrency,
          channels == null ? Math.min(concurrency, 4) : channels,
          rate,
          warmupRecords,
          queries,
          modes(),
          querySpace,
          List.copyOf(baselines),
          baselineDir,
          metricsUrl,
          deadlineMs,
          statsDeadlineMs,
          !noProgress && isTerminal(),
          config());
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), e.getMessage(), e);
    }
  }

  private WorkloadSpec.Shapes shapes() {
    String[] parts = shapes.split(",");
    if (parts.length != 3) {
      throw new IllegalArgumentException(
          "--shapes: expected three weights bounded,unbounded,adjacent, got " + shapes);
    }
    try {
      return new WorkloadSpec.Shapes(
          Double.parseDouble(parts[0]), Double.parseDouble(parts[1]), Double.parseDouble(parts[2]));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("--shapes: " + shapes + " is not three numbers", e);
    }
  }

  private Durability durability() {
    try {
      return Durability.valueOf(durability.toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "--durability: " + durability + " is not immediate, batched or async", e);
    }
  }

  private List<Reads.Mode> modes() {
    List<Reads.Mode> out = new ArrayList<>();
    for (String r : reads) {
      try {
        out.add(Reads.Mode.valueOf(r.strip().toUpperCase(Locale.ROOT)));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(
            "--reads: " + r + " is not point, window, entity or conflicts", e);
      }
    }
    for (String b : baselines) {
      if (!b.equals("rocksdb") && !b.equals("grpc-echo")) {
        throw new IllegalArgumentException("--baseline: " + b + " is not rocksdb or grpc-echo");
      }
    }
    if (concurrency < 1 || (channels != null && channels < 1)) {
      throw new IllegalArgumentException("--concurrency and --channels must be >= 1");
    }
    if (rate < 0 || deadlineMs < 1 || statsDeadlineMs < 1 || warmupRecords < 0 || queries < 0) {
      throw new IllegalArgumentException(
          "--rate, --warmup-records and --queries must be >= 0, the deadlines >= 1");
    }
    return out;
  }

  private Map<String, Object> config() {
    Map<String, Object> c = new LinkedHashMap<>();
    c.put("target", embedded == null ? target : "embedded:" + embedded);
    c.put("durability", embedded == null ? "server's" : durability);
    c.put("records", records);
    c.put("batch", batch);
    c.put("concurrency", concurrency);
    c.put("rate", rate);
    c.put("seed", seed);
    c.put("overlap", overlap);
    c.put("conflict", conflict);
    c.put("strong_conflict", strongConflict);
    c.put("cross_key", crossKey);
    c.put("upsert", upsert);
    c.put("delete", delete);
    c.put("shapes", shapes);
    c.put("key_cardinality", keyCardinality);
    c.put("hot_key_rate", hotKeyRate);
    c.put("warmup_records", warmupRecords);
    c.put("queries", queries);
    return c;
  }

  /** Whether the console is a terminal (JDK 22+ {@code Console.isTerminal}; else non-null). */
  private static boolean isTerminal() {
    java.io.Console console = System.console();
    if (console == null) {
      return false;
    }
    try {
      Method m = java.io.Console.class.getMethod("isTerminal");
      return (Boolean) m.invoke(console);
    } catch (ReflectiveOperationException e) {
      return true;
    }
  }
}
