package io.tempora.deploy.datadir;

import io.tempora.deploy.export.ExportCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * {@code tempora admin <subcommand>} (OPERATIONS.md §1). Implemented so far: {@code restore}
 * (offline) and {@code export} (through a router). Other online admin calls (checkpoint, stats,
 * ...) are RPCs any gRPC client can make.
 */
@Command(
    name = "admin",
    mixinStandardHelpOptions = true,
    description = "Administrative commands. Implemented so far: restore (offline), export.",
    subcommands = {RestoreCommand.class, ExportCommand.class})
public final class AdminCommand implements Runnable {
  @Spec private CommandSpec spec;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(
        spec.commandLine(), "missing subcommand: restore or export");
  }
}
