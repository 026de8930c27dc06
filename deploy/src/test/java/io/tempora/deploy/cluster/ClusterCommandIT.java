package io.tempora.deploy.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.tempora.proto.v1.Descriptor;
import io.tempora.proto.v1.GetStatsRequest;
import io.tempora.proto.v1.Identity;
import io.tempora.proto.v1.IngestRequest;
import io.tempora.proto.v1.Record;
import io.tempora.proto.v1.TemporaServiceGrpc;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * OPERATIONS.md OP-T10 through bin/tempora: {@code cluster start} with 2 shards and a router,
 * {@code status}, ingest through the router, {@code stop} (a decoy process whose command line names
 * bin/shard survives), and data surviving a restart.
 */
class ClusterCommandIT {
  @TempDir Path tmp;

  @Test
  void cluster_startIngestStopRestart_keepsDataAndSparesDecoy() throws Exception {
    int base = freePort();
    Path dir = tmp.resolve("cluster");
    List<String> where =
        List.of("--dir", dir.toString(), "--shards", "2", "--base-port", Integer.toString(base));
    Process decoy = new ProcessBuilder("bash", "-c", "sleep 600; : bin/shard decoy").start();
    try {
      Run start = tempora("start", where);
      assertThat(start.exit).as("start output:\n%s", start.output).isZero();
      assertThat(start.output).contains("shard-0", "shard-1", "router");

      ManagedChannel ch = NettyChannelBuilder.forAddress("127.0.0.1", base).usePlaintext().build();
      try {
        var stub = TemporaServiceGrpc.newBlockingStub(ch).withDeadlineAfter(30, TimeUnit.SECONDS);
        IngestRequest.Builder b = IngestRequest.newBuilder();
        for (int i = 0; i < 10; i++) {
          b.addRecords(
              Record.newBuilder()
                  .setIdentity(
                      Identity.newBuilder()
                          .setEntityType("person")
                          .setPerspective("crm")
                          .setUid("u" + i))
                  .addDescriptors(Descriptor.newBuilder().setAttr("email").setValue(i + "@x")));
        }
        stub.ingest(b.build());
      } finally {
        ch.shutdownNow();
      }
      Run status = tempora("status", where);
      Run stop = tempora("stop", where);
      Run after = tempora("status", where);

      assertThat(status.exit).as(status.output).isZero();
      assertThat(stop.exit).as(stop.output).isZero();
      assertThat(after.exit).as("status after stop:\n%s", after.output).isEqualTo(1);
      assertThat(after.output).doesNotContain(" yes ");
      assertThat(decoy.isAlive()).as("decoy survives stop").isTrue();
      assertThat(Files.list(dir.resolve("run")).toList()).isEmpty();

      Run again = tempora("start", where);
      assertThat(again.exit).as(again.output).isZero();
      ManagedChannel ch2 = NettyChannelBuilder.forAddress("127.0.0.1", base).usePlaintext().build();
      try {
        long records =
            TemporaServiceGrpc.newBlockingStub(ch2)
                .withDeadlineAfter(30, TimeUnit.SECONDS)
                .getStats(GetStatsRequest.getDefaultInstance())
                .getRecords();
        assertThat(records).as("records after a restart").isEqualTo(10);
      } finally {
        ch2.shutdownNow();
      }
      // The online admin commands against the same cluster (OPERATIONS.md §1).
      String router = "127.0.0.1:" + base;
      Run stats = run("admin", "stats", "--router", router, "--json");
      assertThat(stats.exit).as(stats.output).isZero();
      assertThat(stats.output).contains("\"records\": 10");
      Run reconcile = run("admin", "reconcile", "--router", router, "--full");
      assertThat(reconcile.exit).as(reconcile.output).isZero();
      assertThat(reconcile.output).containsPattern("full +true").containsPattern("records +10");
      Run checkpoint = run("admin", "checkpoint", "--target", "127.0.0.1:" + (base + 10));
      assertThat(checkpoint.exit).as(checkpoint.output).isZero();
      String path =
          checkpoint.output.lines().filter(l -> l.startsWith("path")).findFirst().orElseThrow();
      assertThat(Path.of(path.replaceFirst("^path +\"?", "").replaceFirst("\"$", "")))
          .isDirectory();
      Run down = run("admin", "stats", "--router", "127.0.0.1:" + freePort());
      assertThat(down.exit).as(down.output).isEqualTo(1);
      assertThat(down.output).contains("tempora admin stats:", "UNAVAILABLE");
    } finally {
      tempora("stop", where);
      decoy.destroyForcibly();
    }
  }

  private record Run(int exit, String output) {}

  private Run tempora(String sub, List<String> where) throws IOException, InterruptedException {
    List<String> args = new ArrayList<>(List.of("cluster", sub));
    args.addAll(where);
    return run(args.toArray(String[]::new));
  }

  private Run run(String... args) throws IOException, InterruptedException {
    Path bin = Path.of(System.getProperty("user.dir")).resolveSibling("bin").resolve("tempora");
    List<String> cmd = new ArrayList<>(List.of(bin.toString()));
    cmd.addAll(List.of(args));
    Path out = Files.createTempFile(tmp, args[0] + "-" + args[1], ".out");
    Process p =
        new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(out.toFile()).start();
    if (!p.waitFor(3, TimeUnit.MINUTES)) {
      p.destroyForcibly();
      return new Run(-1, Files.readString(out) + "\n(timed out)");
    }
    return new Run(p.exitValue(), Files.readString(out));
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }
}
