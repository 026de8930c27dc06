package io.tempora.deploy.shard;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.tempora.proto.v1.Descriptor;
import io.tempora.proto.v1.Identity;
import io.tempora.proto.v1.IngestRequest;
import io.tempora.proto.v1.Record;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The operator's view of a real shard process: health on both protocols, a live /metrics that
 * passes {@code promtool check metrics}, and SIGHUP reloads (OP-T1, OP-T3, OP-T4, OP-T9).
 */
class ShardOpsIT {
  private static final Logger LOG = LoggerFactory.getLogger(ShardOpsIT.class);

  @TempDir Path tmp;

  @Test
  void health_everyServiceName_answersAsSpecified() throws Exception {
    try (ShardHandle shard = ShardHandle.start(tmp.resolve("data"), tmp.resolve("shard.log"))) {
      for (String name :
          new String[] {"", "tempora.v1.TemporaService", "tempora.internal.v1.Shard"}) {
        assertThat(shard.check(name)).as("readiness '%s'", name).isEqualTo(ServingStatus.SERVING);
      }
      assertThat(shard.check("liveness")).isEqualTo(ServingStatus.SERVING);
      assertThatThrownBy(() -> shard.check("no.such.Service"))
          .isInstanceOfSatisfying(
              StatusRuntimeException.class,
              e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND));
      assertThat(shard.http("/readyz").statusCode()).isEqualTo(200);
      assertThat(shard.http("/healthz").body()).isEqualTo("ok\n");
    }
  }

  @Test
  void metrics_liveScrapeAfterTraffic_passesPromtoolAndStaysSmall() throws Exception {
    try (ShardHandle shard = ShardHandle.start(tmp.resolve("data"), tmp.resolve("shard.log"))) {
      shard.stub().ingest(IngestRequest.newBuilder().addRecords(record("1")).build());
      assertThatThrownBy(
              () ->
                  shard
                      .stub()
                      .ingest(
                          IngestRequest.newBuilder()
                              .addRecords(Record.getDefaultInstance())
                              .build()))
          .isInstanceOf(StatusRuntimeException.class);
      String text = shard.http("/metrics").body();

      assertThat(text)
          .contains("tempora_rpc_requests_total{code=\"OK\",method=\"Ingest\"} 1")
          .contains("tempora_rpc_requests_total{code=\"INVALID_ARGUMENT\",method=\"Ingest\"} 1")
          .contains(
              "tempora_rpc_duration_seconds_bucket{code=\"OK\",method=\"Ingest\",le=\"0.001\"}")
          .contains("tempora_ingest_records_total{outcome=\"created\"} 1")
          .contains("tempora_wal_syncs_total")
          .contains("tempora_group_commit_batch_size_bucket")
          .contains("tempora_rocksdb_memtable_bytes")
          .contains("tempora_records ")
          .contains("tempora_recovery_duration_seconds")
          .contains("tempora_durability_mode_info{mode=\"immediate\"} 1")
          .containsPattern("(?m)^tempora_applied_wseq [1-9]")
          .containsPattern("(?m)^tempora_durable_wseq [1-9]")
          .contains("tempora_wal_bytes_total")
          .contains("tempora_rocksdb_compactions_total")
          .contains("tempora_rocksdb_compaction_seconds_total")
          .contains("tempora_rocksdb_background_errors_total 0")
          .contains("jvm_memory_used_bytes{area=\"heap\"}")
          .contains("jvm_threads_current");
      MetricsText.assertConventions(text);
      MetricsText.promtoolCheck(text);
    }
  }

  @Test
  void sighup_changedFile_appliesLogLevelWarnsOnRestartKeysAndIgnoresInvalidFile()
      throws Exception {
    Path toml = tmp.resolve("tempora.toml");
    Files.writeString(
        toml, "log.level = \"info\"\nstorage.block_cache_mb = 64\nstorage.write_buffer_mb = 16\n");
    try (ShardHandle shard =
        ShardHandle.start(
            tmp.resolve("data"), tmp.resolve("shard.log"), "--config", toml.toString())) {
      Files.writeString(
          toml,
          "log.level = \"debug\"\nstorage.block_cache_mb = 128\nstorage.write_buffer_mb = 16\n");
      shard.signal("HUP");
      String log = shard.awaitLog(l -> l.contains("configuration reloaded"), "the reload");
      assertThat(log)
          .contains("log.level is now debug")
          .containsPattern("WARN .*storage.block_cache_mb changed to 128");

      Files.writeString(toml, "log.level = \"loud\"\n");
      shard.signal("HUP");
      shard.awaitLog(l -> l.contains("configuration reload failed"), "the failed reload");

      assertThat(shard.http("/metrics").body())
          .contains("tempora_config_reloads_total{result=\"ok\"} 1")
          .contains("tempora_config_reloads_total{result=\"error\"} 1");
      assertThat(shard.check("")).isEqualTo(ServingStatus.SERVING);
    }
  }

  private static Record record(String uid) {
    return Record.newBuilder()
        .setIdentity(
            Identity.newBuilder().setEntityType("person").setPerspective("crm").setUid(uid))
        .addDescriptors(Descriptor.newBuilder().setAttr("email").setValue("a@x"))
        .build();
  }
}
