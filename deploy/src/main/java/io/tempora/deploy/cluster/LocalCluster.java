package io.tempora.deploy.cluster;

import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
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
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A local cluster's layout and lifecycle, shared by {@code tempora cluster} and {@code tempora
 * quickstart}: N shard processes and a router on loopback, each a detached process of bin/shard or
 * bin/router with its PID file under {@code DIR/run}, log under {@code DIR/logs} and data under
 * {@code DIR/shard-<i>/data}. Shards listen on {@code base+10+i} (health +1000, HTTP +2000), the
 * router on {@code base}. The layout (shard count, base port) is recorded in {@code
 * DIR/cluster.properties} at start so that stop and status need only the directory. Stop signals
 * only the PIDs in its files, after checking that each process's command line contains the member's
 * own {@code --listen} address; it never kills by process name.
 *
 * @param dir the cluster directory
 * @param shards number of shards
 * @param base the router's port
 * @param shardArgs extra arguments for every shard (e.g. {@code --set shutdown.drain_delay=0s})
 */
public record LocalCluster(Path dir, int shards, int base, List<String> shardArgs) {
  static final Duration READY = Duration.ofSeconds(60);
  static final Duration STOP_WAIT = Duration.ofSeconds(50);
  static final String LAYOUT = "cluster.properties";

  public LocalCluster {
    if (shards < 1) {
      throw new IllegalArgumentException("--shards " + shards + " must be at least 1");
    }
    if (base < 1 || base + 2010 + shards > 65535) {
      throw new IllegalArgumentException(
          "--base-port " + base + " must leave room for base+2010+shards below 65536");
    }
    shardArgs = List.copyOf(shardArgs);
  }

  /** One member: its name, listen port, launcher and arguments. */
  record Member(String name, int port, List<String> command) {
    String address() {
      return "127.0.0.1:" + port;
    }
  }

  /** The layout recorded in {@code dir} by an earlier start, if any. */
  public static Optional<LocalCluster> recorded(Path dir) {
    Path f = dir.resolve(LAYOUT);
    if (!Files.isRegularFile(f)) {
      return Optional.empty();
    }
    Properties p = new Properties();
    try (var in = Files.newBufferedReader(f)) {
      p.load(in);
      return Optional.of(
          new LocalCluster(
              dir,
              Integer.parseInt(p.getProperty("shards", "").trim()),
              Integer.parseInt(p.getProperty("base_port", "").trim()),
              List.of()));
    } catch (IOException e) {
      throw new UncheckedIOException("reading " + f, e);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(f + ": " + e.getMessage(), e);
    }
  }

  /** The router's address, {@code 127.0.0.1:base}. */
  public String routerAddress() {
    return "127.0.0.1:" + base;
  }

  List<Member> members() {
    Path home = home();
    List<Member> out = new ArrayList<>();
    List<String> addresses = new ArrayList<>();
    for (int i = 0; i < shards; i++) {
      int port = base + 10 + i;
      addresses.add("127.0.0.1:" + port);
      List<String> cmd = new ArrayList<>();
      cmd.addAll(
          List.of(
              home.resolve("bin/shard").toString(),
              "--listen",
              "127.0.0.1:" + port,
              "--shard-id",
              Integer.toString(i),
              "--data-dir",
              dataDir(i).toAbsolutePath().toString()));
      cmd.addAll(shardArgs);
      out.add(new Member("shard-" + i, port, cmd));
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

  /** The data directory of shard {@code i}. */
  public Path dataDir(int i) {
    return dir.resolve("shard-" + i).resolve("data");
  }

  /** The repository root: {@code -Dtempora.home} (set by bin/tempora), else the working dir. */
  static Path home() {
    return Path.of(System.getProperty("tempora.home", ".")).toAbsolutePath().normalize();
  }

  Path pidFile(String member) {
    return dir.resolve("run").resolve(member + ".pid");
  }

  /** The live process a PID file names, if its command line still carries the member's address. */
  Optional<ProcessHandle> running(Member m) {
    Path f = pidFile(m.name());
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
                p.info()
                    .commandLine()
                    .map(c -> (" " + c + " ").contains(" " + m.address() + " "))
                    .orElse(false));
  }

  /** Names of the members whose PID file names a live process of theirs. */
  public List<String> runningMembers() {
    return members().stream().filter(m -> running(m).isPresent()).map(Member::name).toList();
  }

  /** Whether every member is running and ready. */
  public boolean allReady() {
    return members().stream().allMatch(m -> running(m).isPresent() && ready(m.port()));
  }

  /**
   * Whether the member on {@code port} answers SERVING. The deadline covers the connection and a
   * cold client JVM's first call, which take more than a second on a busy 2-core machine.
   */
  static boolean ready(int port) {
    ManagedChannel ch = NettyChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().build();
    try {
      return HealthGrpc.newBlockingStub(ch)
              .withDeadlineAfter(5, TimeUnit.SECONDS)
              .check(HealthCheckRequest.getDefaultInstance())
              .getStatus()
          == ServingStatus.SERVING;
    } catch (StatusRuntimeException e) {
      return false;
    } finally {
      ch.shutdownNow();
    }
  }

  /**
   * Starts every member as a detached process (shards first, the router once they are ready) and
   * waits for readiness. Refuses (IllegalStateException) if a member is already running.
   *
   * @param clean delete the shards' directories first
   * @return the names of members not ready within 60 s (empty when all are ready)
   */
  public List<String> start(boolean clean) throws IOException, InterruptedException {
    List<Member> ms = members();
    for (Member m : ms) {
      if (running(m).isPresent()) {
        throw new IllegalStateException(
            m.name() + " is already running (" + pidFile(m.name()) + ")");
      }
    }
    if (clean) {
      for (int i = 0; i < shards; i++) {
        deleteTree(dir.resolve("shard-" + i));
      }
    }
    Files.createDirectories(dir.resolve("run"));
    Files.createDirectories(dir.resolve("logs"));
    for (int i = 0; i < shards; i++) {
      Files.createDirectories(dataDir(i));
    }
    Files.writeString(
        dir.resolve(LAYOUT),
        "# written by tempora cluster start; stop and status read it\n"
            + "shards="
            + shards
            + "\nbase_port="
            + base
            + "\n");
    for (Member m : ms) {
      if (m.name().equals("router")) {
        List<String> late = awaitReady(ms.subList(0, ms.size() - 1));
        if (!late.isEmpty()) {
          return late;
        }
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
      Files.writeString(pidFile(m.name()), p.pid() + "\n");
    }
    return awaitReady(ms);
  }

  /** The log file of a member. */
  public Path log(String member) {
    return dir.resolve("logs").resolve(member + ".log");
  }

  private List<String> awaitReady(List<Member> ms) throws InterruptedException {
    Instant deadline = Instant.now().plus(READY);
    List<String> late = new ArrayList<>();
    for (Member m : ms) {
      while (!ready(m.port())) {
        if (Instant.now().isAfter(deadline)) {
          late.add(m.name());
          break;
        }
        TimeUnit.MILLISECONDS.sleep(250);
      }
    }
    return late;
  }

  /**
   * Stops the members: SIGTERM to the router, then to every shard at once; waits up to 50 s for
   * each, then SIGKILLs that PID only; removes the PID files. Reports each stop on {@code out}.
   */
  public void stop(PrintWriter out) throws IOException {
    List<Member> ms = new ArrayList<>(members());
    // The router first, so that it stops sending to shards; then the shards in parallel.
    ms.sort(Comparator.comparing((Member m) -> !m.name().equals("router")));
    Member router = ms.get(0);
    terminate(List.of(router), out);
    terminate(ms.subList(1, ms.size()), out);
    out.flush();
  }

  private void terminate(List<Member> ms, PrintWriter out) throws IOException {
    List<Member> signalled = new ArrayList<>();
    List<ProcessHandle> handles = new ArrayList<>();
    for (Member m : ms) {
      Optional<ProcessHandle> p = running(m);
      if (p.isPresent()) {
        p.get().destroy(); // SIGTERM
        signalled.add(m);
        handles.add(p.get());
      } else {
        Files.deleteIfExists(pidFile(m.name()));
      }
    }
    for (int i = 0; i < handles.size(); i++) {
      ProcessHandle h = handles.get(i);
      try {
        h.onExit().get(STOP_WAIT.toSeconds(), TimeUnit.SECONDS);
      } catch (Exception e) {
        h.destroyForcibly(); // SIGKILL, this PID only
      }
      out.println(signalled.get(i).name() + " stopped (pid " + h.pid() + ")");
      Files.deleteIfExists(pidFile(signalled.get(i).name()));
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
