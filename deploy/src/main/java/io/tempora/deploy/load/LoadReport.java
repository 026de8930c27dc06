package io.tempora.deploy.load;

import com.google.gson.GsonBuilder;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The final report of {@code load}: the configuration, each phase's figures, the target's final
 * counts, server-side and process figures, and Tempora / baseline ratios. Values that could not be
 * measured are null and print as {@code n/a}. Immutable once built.
 *
 * @param config the effective flags
 * @param phases every phase in the order it ran (warm-up, ingest, reads, baselines)
 * @param stats GetStats of the target after the writes: records, entities, conflicts, last_tx
 * @param server server-side figures of the ingest phase (scraped or, embedded, read directly)
 * @param process figures of the embedded shard: startup, RSS and heap (empty when remote)
 * @param ratios Tempora over baseline: records/s, p50 and p99
 * @param notes what could not be measured and why (e.g. GetStats failed)
 */
public record LoadReport(
    Map<String, Object> config,
    List<PhaseResult> phases,
    Map<String, Object> stats,
    Map<String, Object> server,
    Map<String, Object> process,
    Map<String, Object> ratios,
    List<String> notes) {

  /** The phase of that name, or null. */
  public PhaseResult phase(String name) {
    return phases.stream().filter(p -> p.name().equals(name)).findFirst().orElse(null);
  }

  /** The report as indented JSON. */
  public String toJson() {
    return new GsonBuilder().setPrettyPrinting().serializeNulls().create().toJson(this);
  }

  /** Writes {@link #toJson()} to a file, replacing it. */
  public void writeJson(Path file) throws IOException {
    Path parent = file.toAbsolutePath().getParent();
    if (parent != null) {
      Files.createDirectories(parent);
    }
    Files.writeString(file, toJson() + "\n");
  }

  /** Prints the human-readable report. */
  public void print(PrintWriter out) {
    out.println("tempora load report");
    out.println("config: " + config);
    out.printf(
        Locale.ROOT,
        "%-22s %10s %10s %8s %12s %10s %9s %9s %9s %9s %9s  %s%n",
        "phase",
        "sent",
        "acked",
        "failed",
        "items/s",
        "req/s",
        "p50 ms",
        "p90 ms",
        "p99 ms",
        "p999 ms",
        "max ms",
        "errors");
    for (PhaseResult p : phases) {
      PhaseResult.Latency l = p.latencyMs();
      out.printf(
          Locale.ROOT,
          "%-22s %10d %10d %8d %12.1f %10.1f %9.3f %9.3f %9.3f %9.3f %9.3f  %s%n",
          p.name(),
          p.sent(),
          p.acked(),
          p.failed(),
          p.itemsPerSecond(),
          p.requestsPerSecond(),
          l.p50(),
          l.p90(),
          l.p99(),
          l.p999(),
          l.max(),
          p.errors().isEmpty() ? "none" : p.errors());
    }
    line(out, "final counts", stats);
    line(out, "server", server);
    line(out, "process", process);
    line(out, "tempora/baseline", ratios);
    notes.forEach(n -> out.println("note: " + n));
    out.flush();
  }

  private static void line(PrintWriter out, String label, Map<String, Object> values) {
    if (values.isEmpty()) {
      return;
    }
    StringBuilder b = new StringBuilder(label).append(':');
    values.forEach((k, v) -> b.append(' ').append(k).append('=').append(format(v)));
    out.println(b);
  }

  private static String format(Object v) {
    if (v == null) {
      return "n/a";
    }
    if (v instanceof Double d) {
      return String.format(Locale.ROOT, "%.3f", d);
    }
    return v.toString();
  }
}
