package io.tempora.deploy.shard;

import static org.assertj.core.api.Assertions.assertThat;

import io.tempora.proto.v1.DeleteRequest;
import io.tempora.proto.v1.Descriptor;
import io.tempora.proto.v1.Identity;
import io.tempora.proto.v1.IngestRequest;
import io.tempora.proto.v1.Interval;
import io.tempora.proto.v1.Record;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code tempora admin export} against a real shard process, read back by an independent reader:
 * DuckDB's Node API ({@code @duckdb/node-api}, installed pinned into the git-ignored {@code
 * .tools/node-duckdb} by {@code node-duckdb.sh}) queries the Parquet files as an analyst would
 * ({@code deploy/src/test/node/export-duckdb.js}): row counts, unsigned id types, nulls for
 * unbounded ends, golden rows joined to records, versions, {@code _SUCCESS}. Both modes: files
 * written by the command ({@code --out}) and by the shard ({@code --shard-local}).
 */
class ExportDuckDbIT {
  private static final Logger LOG = LoggerFactory.getLogger(ExportDuckDbIT.class);
  private static final int RECORDS = 50;
  private static final int UPDATED = 10;
  private static final int DELETED = 5;

  @TempDir Path tmp;

  @Test
  void adminExport_bothModes_duckDbReadsWhatWasWritten() throws Exception {
    Path root = ShardHandle.root();
    String nodePath = install(root);
    Path data = tmp.resolve("data");
    try (ShardHandle shard = ShardHandle.start(data, tmp.resolve("shard.log"))) {
      load(shard);
      String target = "127.0.0.1:" + shard.port;
      // Live: 45 records of 2 pieces, 10 of them with a third (role); every email and role is
      // unbounded at the end. One member per entity: one golden row per piece. Versions: 50
      // created (2 pieces), 10 updated (3 pieces), 5 tombstones.
      String expected =
          "{\"shard\":0,\"records\":100,\"openEnded\":55,\"golden\":100,\"versions\":135,"
              + "\"deleted\":5";

      Path out = tmp.resolve("out");
      Run streamed =
          tempora(
              "admin",
              "export",
              "--router",
              target,
              "--out",
              out.toString(),
              "--history",
              "--json");
      assertThat(streamed.exit).as(streamed.output).isZero();
      assertThat(streamed.output).contains("\"rows\":335");
      assertDuckDb(root, nodePath, out, expected + ",\"streamed\":true}");

      Run local =
          tempora(
              "admin",
              "export",
              "--router",
              target,
              "--shard-local",
              "--name",
              "nightly",
              "--history");
      assertThat(local.exit).as(local.output).isZero();
      assertThat(local.output).contains("exported 335 rows from 1 shard(s)");
      assertDuckDb(
          root, nodePath, data.resolve("exports/nightly"), expected + ",\"streamed\":false}");

      Run bad = tempora("admin", "export", "--router", target, "--shard-local", "--name", "../x");
      assertThat(bad.exit).as(bad.output).isEqualTo(2);
      assertThat(bad.output).contains("INVALID_ARGUMENT").contains("'../x'");
      assertThat(data.resolve("x")).doesNotExist();

      Run again = tempora("admin", "export", "--router", target, "--out", out.toString());
      assertThat(again.exit).as(again.output).isEqualTo(2);
      assertThat(again.output).contains("is not empty");
    }
  }

  private static void load(ShardHandle shard) {
    IngestRequest.Builder first = IngestRequest.newBuilder();
    for (int i = 0; i < RECORDS; i++) {
      first.addRecords(record(i, false));
    }
    shard.stub().ingest(first.build());
    IngestRequest.Builder second = IngestRequest.newBuilder();
    for (int i = 0; i < UPDATED; i++) {
      second.addRecords(record(i, true));
    }
    shard.stub().ingest(second.build());
    DeleteRequest.Builder del = DeleteRequest.newBuilder();
    for (int i = RECORDS - DELETED; i < RECORDS; i++) {
      del.addIdentities(identity(i));
    }
    shard.stub().delete(del.build());
  }

  private static Identity identity(int i) {
    return Identity.newBuilder()
        .setEntityType("person")
        .setPerspective("crm")
        .setUid("u" + i)
        .build();
  }

  private static Record record(int i, boolean withRole) {
    Record.Builder r =
        Record.newBuilder()
            .setIdentity(identity(i))
            .addDescriptors(Descriptor.newBuilder().setAttr("email").setValue("u" + i + "@x"))
            .addDescriptors(
                Descriptor.newBuilder()
                    .setAttr("name")
                    .setValue("N" + i)
                    .setInterval(Interval.newBuilder().setStart(i).setEnd(i + 10)));
    if (withRole) {
      r.addDescriptors(Descriptor.newBuilder().setAttr("role").setValue("admin"));
    }
    return r.build();
  }

  private record Run(int exit, String output) {}

  private Run tempora(String... args) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>();
    cmd.add(ShardHandle.root().resolve("bin/tempora").toString());
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
    return new Run(p.exitValue(), out);
  }

  private static void assertDuckDb(Path root, String nodePath, Path dir, String expected)
      throws IOException, InterruptedException {
    ProcessBuilder pb =
        new ProcessBuilder(
                "node",
                root.resolve("deploy/src/test/node/export-duckdb.js").toString(),
                dir.toString(),
                expected)
            .redirectErrorStream(true);
    pb.environment().put("NODE_PATH", nodePath);
    Process node = pb.start();
    String out = new String(node.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(node.waitFor(120, TimeUnit.SECONDS)).isTrue();
    assertThat(node.exitValue()).as("duckdb reader output:\n%s", out).isZero();
    assertThat(out).doesNotContain("FAIL").contains("ok records rows").contains("ok unsigned ids");
  }

  private static String install(Path root) throws Exception {
    Process p =
        new ProcessBuilder(root.resolve("deploy/src/test/scripts/node-duckdb.sh").toString())
            .start();
    String path = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
    String why = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8).strip();
    if (p.waitFor() != 0) {
      LOG.warn("skipping the DuckDB export test: {}", why);
      Assumptions.abort("DuckDB Node API unavailable: " + why);
    }
    return path;
  }
}
