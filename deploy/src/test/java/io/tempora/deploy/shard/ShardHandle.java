package io.tempora.deploy.shard;

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
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * A real shard process started through {@code bin/shard} on free loopback ports, with channels to
 * its main and health ports. {@link #close()} SIGKILLs whatever is still running.
 */
final class ShardHandle implements AutoCloseable {
  static final Duration STARTUP = Duration.ofSeconds(60);

  final Process process;
  final Path log;
  final ManagedChannel health;
  final ManagedChannel main;
  final int port;
  final int healthPort;
  final int httpPort;

  private ShardHandle(Process process, Path log, int port, int healthPort, int httpPort) {
    this.process = process;
    this.log = log;
    this.port = port;
    this.healthPort = healthPort;
    this.httpPort = httpPort;
    this.health = channel(healthPort);
    this.main = channel(port);
  }

  /** Starts a shard on {@code data} with extra arguments and waits until it is SERVING. */
  static ShardHandle start(Path data, Path log, String... extra)
      throws IOException, InterruptedException {
    int port = freePort();
    int healthPort = freePort();
    int httpPort = freePort();
    List<String> cmd =
        new ArrayList<>(
            List.of(
                launcher().toString(),
                "--listen",
                "127.0.0.1:" + port,
                "--shard-id",
                "0",
                "--data-dir",
                data.toString(),
                "--set",
                "ops.health_listen=" + healthPort,
                "--set",
                "ops.http_listen=" + httpPort,
                "--set",
                "shutdown.drain_delay=0s"));
    cmd.addAll(List.of(extra));
    Process p =
        new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    ShardHandle s = new ShardHandle(p, log, port, healthPort, httpPort);
    try {
      s.awaitServing();
    } catch (AssertionError | RuntimeException e) {
      s.close();
      throw e;
    }
    return s;
  }

  static Path root() {
    return Path.of(System.getProperty("user.dir")).toAbsolutePath().getParent();
  }

  static Path launcher() {
    return root().resolve("bin").resolve("shard");
  }

  TemporaServiceGrpc.TemporaServiceBlockingStub stub() {
    return TemporaServiceGrpc.newBlockingStub(main).withDeadlineAfter(10, TimeUnit.SECONDS);
  }

  ServingStatus check(String service) {
    return HealthGrpc.newBlockingStub(health)
        .withDeadlineAfter(5, TimeUnit.SECONDS)
        .check(HealthCheckRequest.newBuilder().setService(service).build())
        .getStatus();
  }

  HttpResponse<String> http(String path) throws IOException, InterruptedException {
    try (HttpClient client = HttpClient.newHttpClient()) {
      return client.send(
          HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort + path))
              .timeout(Duration.ofSeconds(10))
              .build(),
          HttpResponse.BodyHandlers.ofString());
    }
  }

  /**
   * Sends a signal (e.g. {@code HUP}) to the JVM: the launchers exec it, so it is our child. A
   * SIGHUP the shard reported as ignored (the build runs under {@code nohup}, whose ignore the JVM
   * keeps) aborts the test with that reason instead of waiting for a reload that cannot come.
   */
  void signal(String name) throws IOException, InterruptedException {
    String ignored = "SIG" + name + " is ignored by this process";
    org.junit.jupiter.api.Assumptions.assumeFalse(
        log().contains(ignored),
        ignored + " (the build runs under nohup or similar): the signal test cannot run here");
    Process kill =
        new ProcessBuilder("kill", "-" + name, Long.toString(process.pid())).inheritIO().start();
    if (kill.waitFor() != 0) {
      throw new AssertionError("kill -" + name + " failed");
    }
  }

  String log() throws IOException {
    return Files.exists(log) ? Files.readString(log) : "";
  }

  /** Polls the log until it satisfies {@code condition}, with a deadline. */
  String awaitLog(Predicate<String> condition, String what)
      throws IOException, InterruptedException {
    Instant deadline = Instant.now().plus(STARTUP);
    while (Instant.now().isBefore(deadline)) {
      String text = log();
      if (condition.test(text)) {
        return text;
      }
      TimeUnit.MILLISECONDS.sleep(100);
    }
    throw new AssertionError("log never showed " + what + ":\n" + log());
  }

  private void awaitServing() throws InterruptedException, IOException {
    Instant deadline = Instant.now().plus(STARTUP);
    while (Instant.now().isBefore(deadline)) {
      if (!process.isAlive()) {
        throw new AssertionError("shard exited with " + process.exitValue() + ":\n" + log());
      }
      try {
        if (check("") == ServingStatus.SERVING) {
          return;
        }
      } catch (StatusRuntimeException notYet) {
        // Not listening yet.
      }
      TimeUnit.MILLISECONDS.sleep(200);
    }
    throw new AssertionError("shard not SERVING within " + STARTUP + ":\n" + log());
  }

  @Override
  public void close() {
    health.shutdownNow();
    main.shutdownNow();
    process.destroyForcibly();
  }

  private static ManagedChannel channel(int port) {
    return NettyChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().build();
  }

  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }
}
