package io.tempora.deploy;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/** {@code tempora quickstart}: the single-process demo (OPERATIONS.md §8). */
@Command(
    name = "quickstart",
    mixinStandardHelpOptions = true,
    description = "Loads the bundled sample dataset and prints entities, conflicts and a query.")
public final class QuickstartCommand implements Callable<Integer> {
  @Override
  public Integer call() {
    Quickstart.run(System.out);
    return 0;
  }
}
