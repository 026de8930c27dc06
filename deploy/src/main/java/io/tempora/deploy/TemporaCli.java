package io.tempora.deploy;

import io.tempora.deploy.load.LoadCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code tempora} launcher (OPERATIONS.md §1): one picocli command with a subcommand per tool.
 * Exit status: 0 success, 1 runtime failure, 2 usage error.
 */
@Command(
    name = "tempora",
    mixinStandardHelpOptions = true,
    description = "Tempora: a temporal entity-resolution service.",
    subcommands = {LoadCommand.class, CommandLine.HelpCommand.class})
public final class TemporaCli implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  /** Entry point; exits with the subcommand's status. */
  public static void main(String[] args) {
    System.exit(commandLine().execute(args));
  }

  /** The configured command line, for callers that run it without exiting (tests). */
  public static CommandLine commandLine() {
    return new CommandLine(new TemporaCli())
        .setExecutionExceptionHandler(
            (e, cl, parsed) -> {
              // A runtime failure is one line naming the command and what went wrong, exit 1.
              cl.getErr().println("tempora " + cl.getCommandName() + ": " + e.getMessage());
              return 1;
            });
  }

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "a subcommand is required");
  }
}
