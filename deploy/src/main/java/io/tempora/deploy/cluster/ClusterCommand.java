package io.tempora.deploy.cluster;

import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.tempora.proto.v1.GetStatsRequest;
import io.tempora.proto.v1.TemporaServiceGrpc;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code tempora cluster start|stop|status} (OPERATIONS.md §1): N shard processes and a router on
 * loopback, each a detached process of bin/shard or bin/router with its PID file under {@code
 * DIR/run}, log under {@code DIR/logs} and data under {@code DIR/shard-<i>/data}. Shards listen on
 * {@code base+10+i} (health port +1000), the router on {@code base}. Stop signals only the PIDs in
 * its files, after checking that each process's command line contains the member's own {@code
 * --listen} address; it never kills by process name.
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
  static final Duration READY = Duration.ofSeconds(60);
  static final Duration STOP_WAIT = Duration.ofSeconds(50);

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

  /** One member: its name, listen port, launcher and arguments. */
  record Member(String name, int port, List<String> command) {
    String address() {
      return "127.0.0.1:" + port;
    }
  }

  static List<Member> members(Path dir, int shards, int base) {
    Path home = home();
    List<Member> out = new ArrayList<>();
    List<String> addresses = new ArrayList<>();
    for (int i = 0; i < shards; i++) {
      int port = base + 10 + i;
      addresses.add("127.0.0.1:" + port);
      out.add(
          new Member(
              "shard-" + i,
              port,
              List.of(
                  home.resolve("bin/shard").toString(),
                  "--listen",
                  "127.0.0.1:" + port,
                  "--shard-id",
                  Integer.toString(i),
                  "--data-dir",
                  dir.resolve("shard-" + i).resolve("data").toAbsolutePath().toString())));
    }
    out.add(
        new Member(
            "router",
            base,
            List.of(
                home.resolve("bin/router").toString(),
                "--listen",
                "127.0.0.1:" + base,
                "--shards",
                String.join(",", addresses))));
    return out;
  }

  /** The repository root: {@code -Dtempora.home} (set by bin/tempora), else the working dir. */
  static Path home() {
    return Path.of(System.getProperty("tempora.home", ".")).toAbsolutePath().normalize();
  }

  static Path pidFile(Path dir, String member) {
    return dir.resolve("run").resolve(member + ".pid");
  }

  /** The live process a PID file names, if its command line still carries the member's address. */
  static Optional<ProcessHandle> running(Path dir, Member m) {
    Path f = pidFile(dir, m.name());
    if (!Files.exists(f)) {
      return Optional.empty();
    }
    long pid;
    try {
      pid = Long.parseLong(Files.readString(f).trim());
    } catch (IOException | NumberFormatException e) {
      return Optional.empty();
    }
    return ProcessHandle.of(pid)
        .filter(ProcessHandle::isAlive)
        .filter(
            p ->
                p.info().commandLine().map(c -> c.contains("127.0.0.1:" + m.port())).orElse(false));
  }

  static boolean ready(int port) {
    ManagedChannel ch = NettyChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().build();
    try {
      return HealthGrpc.newBlockingStub(ch)
              .withDeadlineAfter(1, TimeUnit.SECONDS)
              .check(HealthCheckRequest.getDefaultInstance())
              .getStatus()
          == ServingStatus.SERVING;
    } catch (StatusRuntimeException e) {
      return false;
    } finally {
      ch.shutdownNow();
    }
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

    @Option(names = "--shards", defaultValue = "3", description = "number of shards")
    int shards;

    @Option(names = "--base-port", defaultValue = "7400", description = "router port")
    int base;
  }

  static int status(Where w, PrintWriter out) {
    out.printf(
        "%-10s %-8s %-6s %-16s %-6s %s%n", "member", "pid", "alive", "address", "ready", "records");
    int readyCount = 0;
    List<Member> ms = members(w.dir, w.shards, w.base);
    for (Member m : ms) {
      Optional<ProcessHandle> p = running(w.dir, m);
      boolean ready = p.isPresent() && ready(m.port());
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
      Path dir = where.dir;
      List<Member> ms = members(dir, where.shards, where.base);
      for (Member m : ms) {
        if (running(dir, m).isPresent()) {
          throw new CommandLine.ParameterException(
              spec.commandLine(),
              m.name() + " is already running (" + pidFile(dir, m.name()) + ")");
        }
      }
      if (clean) {
        for (int i = 0; i < where.shards; i++) {
          deleteTree(dir.resolve("shard-" + i));
        }
      }
      Files.createDirectories(dir.resolve("run"));
      Files.createDirectories(dir.resolve("logs"));
      for (int i = 0; i < where.shards; i++) {
        Files.createDirectories(dir.resolve("shard-" + i).resolve("data"));
      }
      for (Member m : ms) {
        if (m.name().equals("router")) {
          awaitReady(ms.subList(0, ms.size() - 1), out);
        }
        List<String> cmd = new ArrayList<>();
        cmd.add("setsid");
        cmd.addAll(m.command());
        Process p =
            new ProcessBuilder(cmd)
                .redirectErrorStream(true)
                .redirectOutput(
                    ProcessBuilder.Redirect.appendTo(
                        dir.resolve("logs").resolve(m.name() + ".log").toFile()))
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                .start();
        Files.writeString(pidFile(dir, m.name()), p.pid() + "\n");
      }
      awaitReady(ms, out);
      return status(where, out);
    }

    private static void awaitReady(List<Member> ms, PrintWriter out) throws InterruptedException {
      Instant deadline = Instant.now().plus(READY);
      for (Member m : ms) {
        while (!ready(m.port())) {
          if (Instant.now().isAfter(deadline)) {
            out.println(m.name() + " not ready within " + READY.toSeconds() + " s; see its log");
            return;
          }
          TimeUnit.MILLISECONDS.sleep(250);
        }
      }
    }
  }

  /** {@code cluster stop}. */
  @Command(name = "stop", mixinStandardHelpOptions = true, description = "Stops the cluster.")
  static final class Stop implements Callable<Integer> {
    @CommandLine.Mixin Where where = new Where();

    @Spec CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws IOException {
      PrintWriter out = spec.commandLine().getOut();
      List<Member> ms = new ArrayList<>(members(where.dir, where.shards, where.base));
      // The router first, so that it stops sending to shards.
      ms.sort(Comparator.comparing((Member m) -> !m.name().equals("router")));
      for (Member m : ms) {
        Optional<ProcessHandle> p = running(where.dir, m);
        if (p.isPresent()) {
          ProcessHandle h = p.get();
          h.destroy(); // SIGTERM
          try {
            h.onExit().get(STOP_WAIT.toSeconds(), TimeUnit.SECONDS);
          } catch (Exception e) {
            h.destroyForcibly(); // SIGKILL, this PID only
          }
          out.println(m.name() + " stopped (pid " + h.pid() + ")");
        }
        Files.deleteIfExists(pidFile(where.dir, m.name()));
      }
      out.flush();
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
      return status(where, spec.commandLine().getOut());
    }
  }

  private static void deleteTree(Path p) throws IOException {
    if (!Files.exists(p)) {
      return;
    }
    try (Stream<Path> all = Files.walk(p)) {
      all.sorted(Comparator.reverseOrder())
          .forEach(
              f -> {
                try {
                  Files.delete(f);
                } catch (IOException e) {
                  throw new UncheckedIOException(e);
                }
              });
    }
  }
}
