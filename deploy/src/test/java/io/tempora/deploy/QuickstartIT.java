package io.tempora.deploy;

import static org.assertj.core.api.Assertions.assertThat;

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
 * OP-T12 with real processes: {@code bin/quickstart} starts 2 shard processes and a router, prints
 * the golden output, and stops them (no PID file left, nothing listening); a second run reuses the
 * data directories, says so and prints the same output. With {@code --keep-running} the cluster
 * stays up, the output says how to stop it, and {@code bin/tempora cluster stop --dir} stops it.
 */
class QuickstartIT {
  @TempDir Path tmp;

  private record Run(int exit, String out, String err) {}

  private Run run(Path bin, List<String> args) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>();
    cmd.add(bin.toString());
    cmd.addAll(args);
    Path out = Files.createTempFile(tmp, "out", ".txt");
    Path err = Files.createTempFile(tmp, "err", ".txt");
    Process p =
        new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
    if (!p.waitFor(5, TimeUnit.MINUTES)) {
      p.destroyForcibly();
      return new Run(-1, Files.readString(out), Files.readString(err) + "\n(timed out)");
    }
    return new Run(p.exitValue(), Files.readString(out), Files.readString(err));
  }

  private static Path bin(String name) {
    return Path.of(System.getProperty("user.dir")).resolveSibling("bin").resolve(name);
  }

  @Test
  void quickstart_twiceThenKeepRunning_printsGoldenOutputReusesDataAndStopsCleanly()
      throws Exception {
    Path dir = tmp.resolve("tempora-quickstart");
    List<String> where =
        List.of("--data-dir", dir.toString(), "--base-port", Integer.toString(freeBase()));
    try {
      Run first = run(bin("quickstart"), where);
      assertThat(first.exit()).as("first run stderr:\n%s", first.err()).isZero();
      assertThat(first.out()).isEqualTo(QuickstartTest.expected());
      assertThat(first.err())
          .contains("created the data directories")
          .contains("(281 created, 0 already stored)")
          .contains("router stopped", "shard-0 stopped", "shard-1 stopped");
      assertThat(Files.list(dir.resolve("run")).toList()).as("PID files after the run").isEmpty();
      assertThat(dir.resolve("shard-0/data/db")).isDirectory();
      assertThat(dir.resolve("shard-1/data/db")).isDirectory();

      List<String> keep = new ArrayList<>(where);
      keep.add("--keep-running");
      Run second = run(bin("quickstart"), keep);
      assertThat(second.exit()).as("second run stderr:\n%s", second.err()).isZero();
      assertThat(second.out()).isEqualTo(first.out());
      assertThat(second.err())
          .contains("reusing the data directories")
          .contains("quickstart: ingested 281 records")
          .contains("stop it with: bin/tempora cluster stop --dir " + dir)
          .doesNotContain("stopped (pid");
      assertThat(Files.list(dir.resolve("run")).toList()).hasSize(3);

      Run stop = run(bin("tempora"), List.of("cluster", "stop", "--dir", dir.toString()));
      assertThat(stop.exit()).as(stop.err()).isZero();
      assertThat(stop.out()).contains("router stopped", "shard-0 stopped", "shard-1 stopped");
      assertThat(Files.list(dir.resolve("run")).toList()).isEmpty();
    } finally {
      run(bin("tempora"), List.of("cluster", "stop", "--dir", dir.toString()));
    }
  }

  /** A base port whose router, shard, health and HTTP ports are free now. */
  private static int freeBase() throws IOException {
    for (int attempt = 0; attempt < 50; attempt++) {
      int base;
      try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
        base = s.getLocalPort();
      }
      if (base + 2011 < 65535 && allFree(base)) {
        return base;
      }
    }
    throw new IllegalStateException("no free base port found");
  }

  private static boolean allFree(int base) {
    for (int p :
        new int[] {
          base, base + 10, base + 11, base + 1010, base + 1011, base + 2010, base + 2011
        }) {
      try (ServerSocket s = new ServerSocket(p, 1, InetAddress.getLoopbackAddress())) {
        // free
      } catch (IOException e) {
        return false;
      }
    }
    return true;
  }
}
