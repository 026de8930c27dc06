package io.tempora.deploy;

import io.tempora.deploy.cluster.ClusterCommand;
import io.tempora.router.RouterMain;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Spec;

/**
 * {@code bin/tempora <command>}: minimal launcher of the router branch with the {@code cluster} and
 * {@code router} commands (the ops branch has the full command list; merge there).
 */
@Command(
    name = "tempora",
    mixinStandardHelpOptions = true,
    description = "Tempora command line.",
    subcommands = {ClusterCommand.class, RouterMain.class})
public final class TemporaCli implements Callable<Integer> {
  @Spec CommandLine.Model.CommandSpec spec;

  /** Entry point. */
  public static void main(String[] args) {
    System.exit(new CommandLine(new TemporaCli()).execute(args));
  }

  @Override
  public Integer call() {
    spec.commandLine().usage(spec.commandLine().getOut());
    return 2;
  }
}
