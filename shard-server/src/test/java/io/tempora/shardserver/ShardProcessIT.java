package io.tempora.shardserver;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.tempora.proto.v1.AttrValue;
import io.tempora.proto.v1.Descriptor;
import io.tempora.proto.v1.Identity;
import io.tempora.proto.v1.IngestRequest;
import io.tempora.proto.v1.IngestResponse;
import io.tempora.proto.v1.Outcome;
import io.tempora.proto.v1.QueryEntitiesRequest;
import io.tempora.proto.v1.QueryEntitiesResponse;
import io.tempora.proto.v1.Record;
import io.tempora.proto.v1.TemporaServiceGrpc;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real shard process through bin/shard on loopback: becomes SERVING on its health port, serves
 * ingest and query, and on SIGTERM drains and exits 0.
 */
class ShardProcessIT {
  private static final Duration STARTUP = Duration.ofSeconds(60);

  @TempDir Path tmp;

  @Test
  void shard_startIngestQuerySigterm_servesAndExitsZero() throws Exception {
    int port = freePort();
    int healthPort = freePort();
    Path launcher = Path.of(System.getProperty("user.dir")).resolveSibling("bin").resolve("shard");
    Path log = tmp.resolve("shard.log");
    Process shard =
        new ProcessBuilder(
                List.of(
                    launcher.toString(),
                    "--listen",
                    "127.0.0.1:" + port,
                    "--shard-id",
                    "0",
                    "--data-dir",
                    tmp.resolve("data").toString(),
                    "--health-port",
                    Integer.toString(healthPort),
                    "--drain-delay-ms",
                    "0"))
            .redirectErrorStream(true)
            .redirectOutput(log.toFile())
            .start();
    ManagedChannel health = channel(healthPort);
    ManagedChannel main = channel(port);
    try {
      awaitServing(health, shard, log);

      var stub = TemporaServiceGrpc.newBlockingStub(main).withDeadlineAfter(10, TimeUnit.SECONDS);
      IngestResponse ingested =
          stub.ingest(IngestRequest.newBuilder().addRecords(record()).build());
      QueryEntitiesResponse answer =
          stub.queryEntities(
              QueryEntitiesRequest.newBuilder()
                  .addDescriptors(AttrValue.newBuilder().setAttr("email").setValue("a@x"))
                  .build());

      assertThat(ingested.getItems(0).getOutcome()).isEqualTo(Outcome.OUTCOME_CREATED);
      assertThat(answer.getMatches().getMatchesList()).hasSize(1);

      shard.destroy(); // SIGTERM
      assertThat(shard.waitFor(60, TimeUnit.SECONDS)).as("exited within the grace").isTrue();
      assertThat(shard.exitValue()).as("exit status; log:\n%s", read(log)).isZero();
      assertThat(read(log)).contains("shard stopped");
    } finally {
      health.shutdownNow();
      main.shutdownNow();
      shard.destroyForcibly();
    }
  }

  private static Record record() {
    return Record.newBuilder()
        .setIdentity(
            Identity.newBuilder().setEntityType("person").setPerspective("crm").setUid("1"))
        .addDescriptors(Descriptor.newBuilder().setAttr("email").setValue("a@x"))
        .build();
  }

  private static ManagedChannel channel(int port) {
    return NettyChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().build();
  }

  /** Polls the health port until readiness is SERVING, with a deadline. */
  private static void awaitServing(ManagedChannel health, Process shard, Path log)
      throws InterruptedException, IOException {
    Instant deadline = Instant.now().plus(STARTUP);
    while (Instant.now().isBefore(deadline)) {
      if (!shard.isAlive()) {
        throw new AssertionError("shard exited with " + shard.exitValue() + ":\n" + read(log));
      }
      try {
        ServingStatus s =
            HealthGrpc.newBlockingStub(health)
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
    throw new AssertionError("shard not SERVING within " + STARTUP + ":\n" + read(log));
  }

  private static String read(Path log) throws IOException {
    return Files.exists(log) ? Files.readString(log) : "";
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }
}
