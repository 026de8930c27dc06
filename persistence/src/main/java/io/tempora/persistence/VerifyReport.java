package io.tempora.persistence;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The result of a read-only verification of a data dir (STORAGE.md §5): per problem class a count
 * and up to ten example keys. Immutable.
 *
 * @param dataDir the data dir checked
 * @param shardId the shard id stored in it
 * @param lastWseq the last write sequence number recovered
 * @param problems problem class → occurrences; empty when consistent
 */
public record VerifyReport(
    Path dataDir, long shardId, long lastWseq, Map<String, Problem> problems) {
  /** Exit status of {@code tempora verify} when the data dir is consistent. */
  public static final int EXIT_CLEAN = 0;

  /** Exit status when problems were found. */
  public static final int EXIT_PROBLEMS = 1;

  /** Exit status when the check could not run (missing, foreign or unreadable data dir). */
  public static final int EXIT_COULD_NOT_RUN = 2;

  /**
   * One problem class.
   *
   * @param count occurrences
   * @param examples up to ten example keys
   */
  public record Problem(long count, List<String> examples) {
    public Problem {
      examples = List.copyOf(examples);
    }
  }

  public VerifyReport {
    problems = Map.copyOf(new TreeMap<>(problems));
  }

  /** True iff no problem was found. */
  public boolean isClean() {
    return problems.isEmpty();
  }

  /** {@link #EXIT_CLEAN} or {@link #EXIT_PROBLEMS}. */
  public int exitCode() {
    return isClean() ? EXIT_CLEAN : EXIT_PROBLEMS;
  }

  /** Human-readable lines: one per problem class with its examples, then a summary. */
  public String render() {
    StringBuilder out = new StringBuilder();
    new TreeMap<>(problems)
        .forEach(
            (k, p) ->
                out.append(k)
                    .append(": ")
                    .append(p.count())
                    .append(" (e.g. ")
                    .append(String.join("; ", p.examples()))
                    .append(")\n"));
    long total = problems.values().stream().mapToLong(Problem::count).sum();
    out.append(
        String.format(
            "verify %s: shard %d, last_wseq %d: %s%n",
            dataDir,
            shardId,
            lastWseq,
            total == 0 ? "clean" : total + " problem(s) in " + problems.size() + " class(es)"));
    return out.toString();
  }
}
