package io.tempora.deploy.datadir;

import io.tempora.deploy.admin.OnlineAdmin;
import io.tempora.deploy.export.ExportCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * {@code tempora admin <subcommand>} (OPERATIONS.md §1): online calls against a running router or
 * shard ({@code stats}, {@code checkpoint}, {@code compact}, {@code reconcile}, {@code rebalance},
 * {@code export}) and the offline {@code restore}.
 */
@Command(
    name = "admin",
    mixinStandardHelpOptions = true,
    description =
        "Administrative commands: stats, checkpoint, compact, reconcile, rebalance, export"
            + " (online, against --router HOST:PORT) and restore (offline).",
    subcommands = {
      OnlineAdmin.Stats.class,
      OnlineAdmin.Checkpoint.class,
      OnlineAdmin.Compact.class,
      OnlineAdmin.Reconcile.class,
      RebalanceCommand.class,
      ExportCommand.class,
      RestoreCommand.class
    })
public final class AdminCommand implements Runnable {
  @Spec private CommandSpec spec;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(
        spec.commandLine(),
        "missing subcommand: stats, checkpoint, compact, reconcile, rebalance, export or restore");
  }
}
