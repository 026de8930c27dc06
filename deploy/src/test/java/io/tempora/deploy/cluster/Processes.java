package io.tempora.deploy.cluster;

import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.tempora.proto.v1.TemporaServiceGrpc;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** Real shard and router processes on loopback through bin/shard and bin/router, for *IT tests. */
final class Processes {
  static final Duration STARTUP = Duration.ofSeconds(90);

  private Processes() {}

  /** A running process with a channel to its gRPC port. */
  record Proc(Process process, int port, Path log, ManagedChannel channel)
      implements AutoCloseable {

    TemporaServiceGrpc.TemporaServiceBlockingStub stub() {
      return TemporaServiceGrpc.newBlockingStub(channel).withDeadlineAfter(60, TimeUnit.SECONDS);
    }

    String address() {
      return "127.0.0.1:" + port;
    }

    /** Sends a signal by PID (e.g. {@code STOP}, {@code CONT}) and waits for kill(1). */
    void signal(String name) throws IOException, InterruptedException {
      Process k =
          new ProcessBuilder("kill", "-" + name, Long.toString(process.pid())).inheritIO().start();
      if (k.waitFor() != 0) {
        throw new IllegalStateException("kill -" + name + " " + process.pid() + " failed");
      }
    }

    /** SIGKILL and wait for the exit. */
    void kill() throws InterruptedException {
      process.destroyForcibly();
      process.waitFor(30, TimeUnit.SECONDS);
    }

    @Override
    public void close() {
      channel.shutdownNow();
      process.destroyForcibly();
    }
  }

  static Proc shard(int id, int port, Path data, Path log)
      throws IOException, InterruptedException {
    return start(
        "shard",
        List.of(
            "--listen",
            "127.0.0.1:" + port,
            "--shard-id",
            Integer.toString(id),
            "--data-dir",
            data.toString(),
            "--set",
            "ops.health_listen=" + freePort(),
            "--set",
            "ops.http_listen=" + freePort(),
            "--set",
            "shutdown.drain_delay=0s"),
        port,
        log);
  }

  static Proc router(int port, List<Proc> shards, Path log)
      throws IOException, InterruptedException {
    return router(port, shards, log, List.of());
  }

  /** A router with extra flags, e.g. {@code --fanout-margin-ms}. */
  static Proc router(int port, List<Proc> shards, Path log, List<String> flags)
      throws IOException, InterruptedException {
    return router(port, shards, log, flags, Map.of());
  }

  /** A router with extra flags and environment variables (e.g. {@code JAVA_OPTS}). */
  static Proc router(
      int port, List<Proc> shards, Path log, List<String> flags, Map<String, String> env)
      throws IOException, InterruptedException {
    List<String> addresses = new ArrayList<>();
    shards.forEach(s -> addresses.add(s.address()));
    List<String> args = new ArrayList<>();
    args.addAll(List.of("--listen", "127.0.0.1:" + port, "--shards", String.join(",", addresses)));
    args.addAll(flags);
    return start("router", args, port, log, env);
  }

  private static Proc start(String launcher, List<String> args, int port, Path log)
      throws IOException, InterruptedException {
    return start(launcher, args, port, log, Map.of());
  }

  private static Proc start(
      String launcher, List<String> args, int port, Path log, Map<String, String> env)
      throws IOException, InterruptedException {
    Path bin = Path.of(System.getProperty("user.dir")).resolveSibling("bin").resolve(launcher);
    List<String> command = new ArrayList<>();
    command.add(bin.toString());
    command.addAll(args);
    ProcessBuilder builder =
        new ProcessBuilder(command)
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
    builder.environment().putAll(env);
    Process p = builder.start();
    ManagedChannel channel =
        NettyChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().build();
    Proc proc = new Proc(p, port, log, channel);
    try {
      awaitServing(proc);
    } catch (AssertionError | RuntimeException e) {
      proc.close();
      throw e;
    }
    return proc;
  }

  /** Polls health on the main port until SERVING, with a deadline. */
  private static void awaitServing(Proc proc) throws InterruptedException, IOException {
    Instant deadline = Instant.now().plus(STARTUP);
    while (Instant.now().isBefore(deadline)) {
      if (!proc.process().isAlive()) {
        throw new AssertionError(
            "process exited with " + proc.process().exitValue() + ":\n" + read(proc.log()));
      }
      try {
        ServingStatus s =
            HealthGrpc.newBlockingStub(proc.channel())
                .withDeadlineAfter(1, TimeUnit.SECONDS)
                .check(HealthCheckRequest.newBuilder().setService("").build())
                .getStatus();
        if (s == ServingStatus.SERVING) {
          return;
        }
      } catch (StatusRuntimeException notYet) {
        // Not listening yet.
      }
      TimeUnit.MILLISECONDS.sleep(200);
    }
    throw new AssertionError("not SERVING within " + STARTUP + ":\n" + read(proc.log()));
  }

  static String read(Path log) throws IOException {
    return Files.exists(log) ? Files.readString(log) : "";
  }

  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }
}
