package io.tempora.deploy.load;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.tempora.deploy.TemporaCli;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The smoke test of {@code tempora load}: tiny settings, an embedded shard, every mode. */
class LoadCommandTest {
  @TempDir Path dir;

  @Test
  void load_tinyEmbeddedRunWithReadsAndBaselines_reportsConsistentCounts() throws Exception {
    Path json = dir.resolve("report.json");
    StringWriter out = new StringWriter();

    int status =
        run(
            out,
            "load",
            "--embedded",
            dir.resolve("data").toString(),
            "--durability",
            "batched",
            "--records",
            "300",
            "--batch",
            "25",
            "--concurrency",
            "2",
            "--warmup-records",
            "50",
            "--overlap",
            "0.4",
            "--conflict",
            "0.3",
            "--strong-conflict",
            "0.3",
            "--cross-key",
            "0.2",
            "--upsert",
            "0.1",
            "--delete",
            "0.05",
            "--queries",
            "20",
            "--baseline",
            "rocksdb,grpc-echo",
            "--no-progress",
            "--json",
            json.toString());

    assertThat(status).isZero();
    assertThat(out.toString()).contains("ingest", "baseline-rocksdb", "p99 ms");
    JsonObject report = JsonParser.parseString(Files.readString(json)).getAsJsonObject();
    for (var p : report.getAsJsonArray("phases")) {
      JsonObject phase = p.getAsJsonObject();
      long sent = phase.get("sent").getAsLong();
      assertThat(sent)
          .as(phase.get("name").getAsString())
          .isEqualTo(phase.get("acked").getAsLong() + phase.get("failed").getAsLong())
          .isPositive();
      assertThat(phase.get("requests").getAsLong()).isPositive();
      assertThat(phase.getAsJsonObject("latencyMs").get("max").getAsDouble()).isPositive();
    }
    JsonObject ingest = phase(report, "ingest");
    assertThat(ingest.get("sent").getAsLong()).isEqualTo(300);
    assertThat(ingest.get("failed").getAsLong()).isZero();
    assertThat(phase(report, "baseline-rocksdb").get("acked").getAsLong()).isEqualTo(300);
    assertThat(phase(report, "query-entity").get("acked").getAsLong()).isEqualTo(20);
    JsonObject stats = report.getAsJsonObject("stats");
    assertThat(stats.get("entities").getAsLong()).isPositive();
    assertThat(stats.get("conflicts").getAsLong()).isPositive();
    assertThat(report.getAsJsonObject("ratios").get("rocksdb_records_per_s").getAsDouble())
        .isPositive();
    assertThat(report.getAsJsonObject("process").get("startup_ms").getAsDouble()).isPositive();
    assertThat(dir.resolve("data.baseline-rocksdb")).doesNotExist();
  }

  @Test
  void load_badRate_exitsTwoNamingTheFlag() {
    StringWriter err = new StringWriter();
    CommandLine cli = TemporaCli.commandLine().setErr(new PrintWriter(err));

    int status = cli.execute("load", "--overlap", "1.5", "--embedded", dir.toString());

    assertThat(status).isEqualTo(2);
    assertThat(err.toString()).contains("--overlap must be in [0, 1], got 1.5");
  }

  @Test
  void load_unreachableTarget_exitsOneWithAOneLineMessage() {
    StringWriter err = new StringWriter();
    int status =
        TemporaCli.commandLine()
            .setErr(new PrintWriter(err))
            .execute(
                "load",
                "--target",
                "127.0.0.1:1",
                "--records",
                "10",
                "--deadline-ms",
                "2000",
                "--no-progress");

    assertThat(status).isEqualTo(1);
    assertThat(err.toString()).startsWith("tempora load: UNAVAILABLE");
  }

  @Test
  void load_batchOverTheServerLimit_countsItsRecordsAsFailedNotAcked() throws Exception {
    Path json = dir.resolve("r.json");

    int status =
        run(
            new StringWriter(),
            "load",
            "--embedded",
            dir.resolve("data").toString(),
            "--durability",
            "async",
            "--records",
            "10001",
            "--batch",
            "10001",
            "--warmup-records",
            "0",
            "--no-progress",
            "--json",
            json.toString());

    assertThat(status).isZero();
    JsonObject ingest =
        phase(JsonParser.parseString(Files.readString(json)).getAsJsonObject(), "ingest");
    assertThat(ingest.get("acked").getAsLong()).isZero();
    assertThat(ingest.get("failed").getAsLong()).isEqualTo(10001);
    assertThat(ingest.getAsJsonObject("errors").get("INVALID_ARGUMENT").getAsLong()).isEqualTo(1);
  }

  private static int run(StringWriter out, String... args) {
    return TemporaCli.commandLine().setOut(new PrintWriter(out)).execute(args);
  }

  private static JsonObject phase(JsonObject report, String name) {
    for (var p : report.getAsJsonArray("phases")) {
      if (p.getAsJsonObject().get("name").getAsString().equals(name)) {
        return p.getAsJsonObject();
      }
    }
    throw new AssertionError("no phase " + name + " in " + report);
  }
}
