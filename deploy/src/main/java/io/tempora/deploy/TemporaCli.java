package io.tempora.deploy;

import io.tempora.deploy.cluster.ClusterCommand;
import io.tempora.deploy.config.ConfigException;
import io.tempora.deploy.datadir.AdminCommand;
import io.tempora.deploy.datadir.VerifyCommand;
import io.tempora.deploy.load.LoadCommand;
import io.tempora.deploy.shard.ShardCommand;
import io.tempora.engine.store.StoreException;
import io.tempora.router.RouterMain;
import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code tempora} launcher (OPERATIONS.md §1): one picocli command whose subcommands are listed
 * in {@link #SUBCOMMANDS}; to add one, add its class there. Exit status: 0 success, 1 runtime
 * failure, 2 usage or configuration error, 3 data loss suspected or start-up validation failed, 4
 * data directory locked.
 */
@Command(
    name = "tempora",
    mixinStandardHelpOptions = true,
    versionProvider = TemporaCli.Version.class,
    description = "Tempora: temporal entity resolution. Run `tempora <command> --help`.")
public final class TemporaCli implements Runnable {
  /** Every subcommand of {@code tempora}, one line each. */
  static final Class<?>[] SUBCOMMANDS = {
    ShardCommand.class,
    RouterMain.class,
    ClusterCommand.class,
    QuickstartCommand.class,
    LoadCommand.class,
    VerifyCommand.class,
    AdminCommand.class,
    CommandLine.HelpCommand.class
  };

  /** Exit status for a usage or configuration error. */
  public static final int EXIT_USAGE = 2;

  /** Exit status when start-up validation fails or data loss is suspected. */
  public static final int EXIT_DATA = 3;

  /** Exit status when another process holds the data directory. */
  public static final int EXIT_LOCKED = 4;

  /**
   * The system property that turns the JFR events of grpc-netty-shaded's Netty (buffer and chunk
   * allocations) on or off.
   */
  static final String NETTY_JFR = "io.grpc.netty.shaded.io.netty.jfr.enabled";

  /** Runs a subcommand and exits with its status. */
  public static void main(String[] args) {
    startupDefaults();
    if (args.length > 0) {
      Preload.start(args[0]);
    }
    System.exit(commandLine(args).execute(args));
  }

  /**
   * System properties a launch sets unless the command line already did. Netty's JFR events are
   * off: with them on, the first buffer a server allocates initialises JFR's event framework, about
   * 150 ms of CPU on the way to a shard's first answer (docs/BENCHMARKS.md); {@code
   * -Dio.grpc.netty.shaded.io.netty.jfr.enabled=true} brings them back for a recording.
   */
  static void startupDefaults() {
    if (System.getProperty(NETTY_JFR) == null) {
      System.setProperty(NETTY_JFR, "false");
    }
  }

  /** The command line with every subcommand and the exit-status mapping, for main and tests. */
  public static CommandLine commandLine() {
    return commandLine(SUBCOMMANDS);
  }

  /**
   * The command line for running {@code args}: when the first argument names a subcommand, only
   * that subcommand's model is built. picocli reflects over every option of every command it is
   * given, and for {@code shard} and {@code router} building all of them was about a fifth of the
   * time from launch to the first answered query (docs/BENCHMARKS.md). Anything else (no arguments,
   * an option first, an unknown command) gets the whole command line, so help and errors read as
   * before.
   */
  static CommandLine commandLine(String[] args) {
    if (args.length > 0) {
      for (Class<?> sub : SUBCOMMANDS) {
        Command c = sub.getAnnotation(Command.class);
        if (c != null
            && (c.name().equals(args[0]) || java.util.List.of(c.aliases()).contains(args[0]))) {
          return commandLine(new Class<?>[] {sub});
        }
      }
    }
    return commandLine();
  }

  private static CommandLine commandLine(Class<?>[] subcommands) {
    CommandLine cl = new CommandLine(new TemporaCli());
    for (Class<?> sub : subcommands) {
      cl.addSubcommand(sub);
    }
    cl.setExecutionExceptionHandler(
        (e, line, parsed) -> {
          int code = exitCode(e);
          PrintWriter err = line.getErr();
          // One line naming the command; the stack trace only when asked for (TEMPORA_DEBUG=1).
          err.println("tempora " + line.getCommandName() + ": " + e.getMessage());
          if (code == 1 && System.getenv("TEMPORA_DEBUG") != null) {
            e.printStackTrace(err);
          }
          err.flush();
          return code;
        });
    return cl;
  }

  /** The exit status for a failure escaping a command. */
  static int exitCode(Exception e) {
    if (e instanceof ConfigException) {
      return EXIT_USAGE;
    }
    if (e instanceof StoreException s) {
      String m = String.valueOf(s.getMessage()) + " " + s.getCause();
      if (m.contains("lock")) {
        return EXIT_LOCKED;
      }
      if (m.contains("belongs to shard") || m.contains("format version")) {
        return EXIT_USAGE;
      }
      return EXIT_DATA;
    }
    return 1;
  }

  @Override
  public void run() {
    CommandLine.usage(this, System.out);
  }

  /** The build version from the jar manifest. */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      return new String[] {"tempora " + version()};
    }
  }

  /** This build's version, or {@code dev} outside a packaged jar. */
  public static String version() {
    String v = TemporaCli.class.getPackage().getImplementationVersion();
    return v == null ? "dev" : v;
  }
}
