package io.tempora.deploy;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code tempora quickstart}: the single-process demo (OPERATIONS.md §8, README "Quick start"). */
@Command(
    name = "quickstart",
    mixinStandardHelpOptions = true,
    description =
        "Starts a shard on a local data directory, loads the bundled sample dataset and prints"
            + " entities, conflicts and a query answer.")
public final class QuickstartCommand implements Callable<Integer> {
  @Option(
      names = "--data-dir",
      defaultValue = "./tempora-quickstart",
      description = "data directory, reused when it exists (default: ${DEFAULT-VALUE})")
  private Path dataDir;

  @Override
  public Integer call() {
    Logging.configure("warn", "text", true);
    Quickstart.run(dataDir, System.out, System.err);
    return 0;
  }
}
