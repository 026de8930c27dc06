package io.tempora.deploy.shard;

import static org.assertj.core.api.Assertions.assertThat;

import io.tempora.proto.v1.AttrValue;
import io.tempora.proto.v1.Descriptor;
import io.tempora.proto.v1.GetRecordRequest;
import io.tempora.proto.v1.Identity;
import io.tempora.proto.v1.IngestRequest;
import io.tempora.proto.v1.IngestResponse;
import io.tempora.proto.v1.Outcome;
import io.tempora.proto.v1.QueryEntitiesRequest;
import io.tempora.proto.v1.QueryEntitiesResponse;
import io.tempora.proto.v1.Record;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real shard process through bin/shard on loopback: becomes SERVING on its health port, answers
 * /readyz and /metrics on its HTTP port, serves ingest and query, and on SIGTERM drains and exits 0
 * with its data intact.
 */
class ShardProcessIT {

  @TempDir Path tmp;

  @Test
  void shard_startIngestQuerySigterm_servesAndExitsZero() throws Exception {
    Path data = tmp.resolve("data");
    ShardHandle shard = ShardHandle.start(data, tmp.resolve("shard.log"));
    try {
      var stub = shard.stub();
      IngestResponse ingested =
          stub.ingest(IngestRequest.newBuilder().addRecords(record("1")).build());
      QueryEntitiesResponse answer =
          stub.queryEntities(
              QueryEntitiesRequest.newBuilder()
                  .addDescriptors(AttrValue.newBuilder().setAttr("email").setValue("a@x"))
                  .build());

      assertThat(ingested.getItems(0).getOutcome()).isEqualTo(Outcome.OUTCOME_CREATED);
      assertThat(answer.getMatches().getMatchesList()).hasSize(1);
      HttpResponse<String> ready = shard.http("/readyz");
      assertThat(ready.statusCode()).isEqualTo(200);
      assertThat(shard.http("/healthz").statusCode()).isEqualTo(200);
      String metrics = shard.http("/metrics").body();
      assertThat(metrics)
          .contains("tempora_rpc_requests_total{code=\"OK\",method=\"Ingest\"} 1")
          .contains("tempora_ingest_records_total{outcome=\"created\"} 1")
          .contains("tempora_wal_syncs_total")
          .contains("tempora_recovery_duration_seconds");

      shard.process.destroy(); // SIGTERM
      assertThat(shard.process.waitFor(60, TimeUnit.SECONDS))
          .as("exited within the grace")
          .isTrue();
      assertThat(shard.process.exitValue()).as("exit status; log:\n%s", shard.log()).isZero();
      assertThat(shard.log()).contains("shard stopped");
    } finally {
      shard.close();
    }
    ShardHandle again = ShardHandle.start(data, tmp.resolve("shard2.log"));
    try {
      var record = again.stub().getRecord(getRecord("1"));
      assertThat(record.getVersion()).as("record survives a clean restart").isEqualTo(1);
    } finally {
      again.close();
    }
  }

  @Test
  void shard_sigkillAfterAcknowledgedIngest_keepsEveryAcknowledgedRecord() throws Exception {
    Path data = tmp.resolve("data");
    ShardHandle shard = ShardHandle.start(data, tmp.resolve("shard.log"));
    int acknowledged = 0;
    try {
      for (int i = 0; i < 20; i++) {
        shard.stub().ingest(IngestRequest.newBuilder().addRecords(record("k" + i)).build());
        acknowledged++;
      }
      shard.process.destroyForcibly(); // SIGKILL
      assertThat(shard.process.waitFor(30, TimeUnit.SECONDS)).isTrue();
    } finally {
      shard.close();
    }
    ShardHandle again = ShardHandle.start(data, tmp.resolve("shard2.log"));
    try {
      for (int i = 0; i < acknowledged; i++) {
        assertThat(again.stub().getRecord(getRecord("k" + i)).getVersion())
            .as("acknowledged record k%d after SIGKILL", i)
            .isEqualTo(1);
      }
    } finally {
      again.close();
    }
  }

  @Test
  void shard_badConfiguration_exitsTwoNamingTheProblem() throws Exception {
    Path toml = tmp.resolve("bad.toml");
    Files.writeString(toml, "[limits]\nmax_recs = 5\n");
    String data = tmp.resolve("data").toString();

    assertThat(run(Map.of(), "--listen", "127.0.0.1:0", "--shard-id", "0"))
        .startsWith("2:")
        .contains("shard.data_dir is required");
    assertThat(
            run(
                Map.of("TEMPORA_NO_SUCH_KEY", "1"),
                "--listen",
                "127.0.0.1:0",
                "--shard-id",
                "0",
                "--data-dir",
                data))
        .startsWith("2:")
        .contains("TEMPORA_NO_SUCH_KEY");
    assertThat(
            run(
                Map.of(),
                "--listen",
                "127.0.0.1:0",
                "--shard-id",
                "0",
                "--data-dir",
                data,
                "--config",
                toml.toString()))
        .startsWith("2:")
        .contains("limits.max_recs")
        .contains("line 2");
    assertThat(
            run(
                Map.of(),
                "--listen",
                "127.0.0.1:0",
                "--shard-id",
                "0",
                "--data-dir",
                data,
                "--set",
                "grpc.max_message_bytes=ten"))
        .startsWith("2:")
        .contains("grpc.max_message_bytes (flag --set)");
    assertThat(Files.exists(tmp.resolve("data"))).as("nothing created").isFalse();
  }

  /** Runs bin/shard to completion; returns "exit:output". */
  private String run(Map<String, String> env, String... args) throws Exception {
    List<String> cmd = new java.util.ArrayList<>(List.of(launcher().toString()));
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    pb.environment().putAll(env);
    Process p = pb.start();
    String out =
        new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    return p.exitValue() + ":" + out;
  }

  private static Path launcher() {
    return ShardHandle.launcher();
  }

  private static GetRecordRequest getRecord(String uid) {
    return GetRecordRequest.newBuilder()
        .setIdentity(
            Identity.newBuilder().setEntityType("person").setPerspective("crm").setUid(uid))
        .build();
  }

  private static Record record(String uid) {
    return Record.newBuilder()
        .setIdentity(
            Identity.newBuilder().setEntityType("person").setPerspective("crm").setUid(uid))
        .addDescriptors(Descriptor.newBuilder().setAttr("email").setValue("a@x"))
        .build();
  }
}
