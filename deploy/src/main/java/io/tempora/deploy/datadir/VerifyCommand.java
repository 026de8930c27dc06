package io.tempora.deploy.datadir;

import io.tempora.deploy.Logging;
import io.tempora.engine.store.StoreException;
import io.tempora.persistence.VerifyReport;
import io.tempora.persistence.rocks.DataDirVerifier;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code tempora verify --data-dir DIR} (OPERATIONS.md §1, STORAGE.md §5): the read-only full check
 * of a stopped shard's data directory or a checkpoint. Prints the report on stdout; exit 0 clean, 1
 * problems found, 2 the check could not run (message on stderr).
 */
@Command(
    name = "verify",
    mixinStandardHelpOptions = true,
    description = {
      "Checks a stopped shard's data directory (or a checkpoint) read-only: SST checksums, the"
          + " acknowledged watermark, counters, records against every index, entities, conflicts.",
      "Exit status: 0 clean, 1 problems found, 2 could not run."
    })
public final class VerifyCommand implements Callable<Integer> {
  @Option(
      names = "--data-dir",
      required = true,
      paramLabel = "DIR",
      description = "the data directory (holding db/) or a checkpoint directory")
  private Path dataDir;

  @Override
  public Integer call() {
    Logging.configure("warn", "text", true);
    return run(dataDir, System.out, System.err);
  }

  /**
   * Verifies {@code dataDir}, prints the report or the reason it could not run; the exit status.
   */
  static int run(Path dataDir, PrintStream out, PrintStream err) {
    VerifyReport report;
    try {
      report = DataDirVerifier.verify(dataDir);
    } catch (StoreException e) {
      err.println("tempora verify: could not run: " + e.getMessage());
      return VerifyReport.EXIT_COULD_NOT_RUN;
    }
    out.print(report.render());
    out.flush();
    return report.exitCode();
  }
}
