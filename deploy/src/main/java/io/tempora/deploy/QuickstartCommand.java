package io.tempora.deploy;

import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code tempora quickstart}: the local-cluster demo (OPERATIONS.md §8, README "Quick start"): 2
 * shard processes and a router, the sample dataset, entities, conflicts and a query answer.
 */
@Command(
    name = "quickstart",
    mixinStandardHelpOptions = true,
    description =
        "Starts 2 shard processes and a router on loopback (data under the quick-start directory),"
            + " loads the bundled sample dataset through the router and prints entities,"
            + " conflicts and a query answer; then stops the cluster unless --keep-running.")
public final class QuickstartCommand implements Callable<Integer> {
  @Option(
      names = {"--data-dir", "--dir"},
      defaultValue = "./tempora-quickstart",
      description =
          "quick-start directory (shard data, logs, PID files), reused when it exists"
              + " (default: ${DEFAULT-VALUE})")
  private Path dataDir;

  @Option(
      names = "--base-port",
      defaultValue = "7500",
      description =
          "router port; shards use base+10 and base+11, their health and HTTP ports +1000 and"
              + " +2000 (default: ${DEFAULT-VALUE})")
  private int basePort;

  @Option(
      names = "--keep-running",
      description = "leave the cluster running at the end (stop it with bin/tempora cluster stop)")
  private boolean keepRunning;

  @Override
  public Integer call() throws IOException, InterruptedException {
    Logging.configure("warn", "text", true);
    Quickstart.run(dataDir, basePort, keepRunning, System.out, System.err);
    return 0;
  }
}
