package io.tempora.deploy.cluster;

import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.tempora.proto.v1.GetStatsRequest;
import io.tempora.proto.v1.TemporaServiceGrpc;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code tempora cluster start|stop|status} (OPERATIONS.md §1): N shard processes and a router on
 * loopback, as {@link LocalCluster} describes. {@code start} records the shard count and base port
 * in {@code DIR/cluster.properties}; {@code stop} and {@code status} use them unless {@code
 * --shards}/{@code --base-port} are given.
 */
@Command(
    name = "cluster",
    mixinStandardHelpOptions = true,
    description = "A local multi-process cluster: shards and a router on loopback.",
    subcommands = {
      ClusterCommand.Start.class,
      ClusterCommand.Stop.class,
      ClusterCommand.Status.class
    })
public final class ClusterCommand implements Callable<Integer> {
  @Spec CommandLine.Model.CommandSpec spec;

  /** Entry point of {@code bin/tempora cluster ...}. */
  public static void main(String[] args) {
    System.exit(new CommandLine(new ClusterCommand()).execute(args));
  }

  @Override
  public Integer call() {
    spec.commandLine().usage(spec.commandLine().getOut());
    return 2;
  }

  static String records(int port) {
    ManagedChannel ch = NettyChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().build();
    try {
      return Long.toString(
          TemporaServiceGrpc.newBlockingStub(ch)
              .withDeadlineAfter(2, TimeUnit.SECONDS)
              .getStats(GetStatsRequest.getDefaultInstance())
              .getRecords());
    } catch (StatusRuntimeException e) {
      return "-";
    } finally {
      ch.shutdownNow();
    }
  }

  /** Options every subcommand shares. */
  static class Where {
    @Option(names = "--dir", defaultValue = "./cluster", description = "cluster directory")
    Path dir;

    @Option(
        names = "--shards",
        description = "number of shards (default: as recorded by start in DIR, else 3)")
    Integer shards;

    @Option(
        names = "--base-port",
        description = "router port (default: as recorded by start in DIR, else 7400)")
    Integer base;

    LocalCluster cluster(CommandLine cl) {
      try {
        Optional<LocalCluster> recorded = LocalCluster.recorded(dir);
        return new LocalCluster(
            dir,
            shards != null ? shards : recorded.map(LocalCluster::shards).orElse(3),
            base != null ? base : recorded.map(LocalCluster::base).orElse(7400),
            List.of());
      } catch (IllegalArgumentException e) {
        throw new CommandLine.ParameterException(cl, e.getMessage());
      }
    }
  }

  /** Prints the status table; 0 iff every member is ready. */
  public static int status(LocalCluster c, PrintWriter out) {
    out.printf(
        "%-10s %-8s %-6s %-16s %-6s %s%n", "member", "pid", "alive", "address", "ready", "records");
    int readyCount = 0;
    List<LocalCluster.Member> ms = c.members();
    for (LocalCluster.Member m : ms) {
      Optional<ProcessHandle> p = c.running(m);
      boolean ready = p.isPresent() && LocalCluster.ready(m.port());
      readyCount += ready ? 1 : 0;
      out.printf(
          "%-10s %-8s %-6s %-16s %-6s %s%n",
          m.name(),
          p.map(h -> Long.toString(h.pid())).orElse("-"),
          p.isPresent() ? "yes" : "no",
          m.address(),
          ready ? "yes" : "no",
          ready ? records(m.port()) : "-");
    }
    out.flush();
    return readyCount == ms.size() ? 0 : 1;
  }

  /** {@code cluster start}. */
  @Command(name = "start", mixinStandardHelpOptions = true, description = "Starts the cluster.")
  static final class Start implements Callable<Integer> {
    @CommandLine.Mixin Where where = new Where();

    @Option(names = "--clean", description = "delete the data directories first")
    boolean clean;

    @Spec CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws IOException, InterruptedException {
      PrintWriter out = spec.commandLine().getOut();
      LocalCluster c = where.cluster(spec.commandLine());
      List<String> late;
      try {
        late = c.start(clean);
      } catch (IllegalStateException e) {
        throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
      }
      for (String m : late) {
        out.println(
            m
                + " not ready within "
                + LocalCluster.READY.toSeconds()
                + " s; see its log "
                + c.log(m));
      }
      return status(c, out);
    }
  }

  /** {@code cluster stop}. */
  @Command(name = "stop", mixinStandardHelpOptions = true, description = "Stops the cluster.")
  static final class Stop implements Callable<Integer> {
    @CommandLine.Mixin Where where = new Where();

    @Spec CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws IOException {
      where.cluster(spec.commandLine()).stop(spec.commandLine().getOut());
      return 0;
    }
  }

  /** {@code cluster status}. */
  @Command(name = "status", mixinStandardHelpOptions = true, description = "Shows the members.")
  static final class Status implements Callable<Integer> {
    @CommandLine.Mixin Where where = new Where();

    @Spec CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
      return status(where.cluster(spec.commandLine()), spec.commandLine().getOut());
    }
  }
}
