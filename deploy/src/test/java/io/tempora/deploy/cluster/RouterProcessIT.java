package io.tempora.deploy.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.tempora.deploy.shard.MetricsText;
import io.tempora.proto.internal.v1.ReconcileRequest;
import io.tempora.proto.internal.v1.RouterGrpc;
import io.tempora.proto.v1.AttrValue;
import io.tempora.proto.v1.GetStatsRequest;
import io.tempora.proto.v1.IngestResponse;
import io.tempora.proto.v1.Outcome;
import io.tempora.proto.v1.QueryEntitiesRequest;
import io.tempora.proto.v1.WriteItem;
import io.tempora.router.ShardMap;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real shard and router processes (bin/shard, bin/router) on loopback: ingest and reads through the
 * router, a shard killed with SIGKILL (DISTRIBUTED.md DS-T2, DS-T6), and the router's /metrics
 * (OPERATIONS.md §5).
 */
class RouterProcessIT {
  @TempDir Path tmp;

  @Test
  void router_oneShard_forwardsIngestAndQuery() throws Exception {
    try (Processes.Proc shard =
            Processes.shard(0, Processes.freePort(), tmp.resolve("s0"), tmp.resolve("s0.log"));
        Processes.Proc router =
            Processes.router(Processes.freePort(), List.of(shard), tmp.resolve("router.log"))) {
      IngestResponse r = router.stub().ingest(EmailRecords.request(List.of("a", "b")));
      var answer =
          router
              .stub()
              .queryEntities(
                  QueryEntitiesRequest.newBuilder()
                      .addDescriptors(AttrValue.newBuilder().setAttr("email").setValue("a@x"))
                      .build());

      assertThat(r.getItemsList())
          .extracting(WriteItem::getOutcome)
          .containsExactly(Outcome.OUTCOME_CREATED, Outcome.OUTCOME_CREATED);
      assertThat(answer.getMatches().getMatchesList()).hasSize(1);
    }
  }

  @Test
  void metrics_routerAfterReconcile_reportsLeaseAndRoundsWithAllowListedLabels() throws Exception {
    int http = Processes.freePort();
    try (Processes.Proc shard0 =
            Processes.shard(0, Processes.freePort(), tmp.resolve("s0"), tmp.resolve("s0.log"));
        Processes.Proc shard1 =
            Processes.shard(1, Processes.freePort(), tmp.resolve("s1"), tmp.resolve("s1.log"));
        Processes.Proc router =
            Processes.router(
                Processes.freePort(),
                List.of(shard0, shard1),
                tmp.resolve("router.log"),
                List.of("--http-listen", "127.0.0.1:" + http))) {
      router.stub().ingest(EmailRecords.request(List.of("a", "b", "c", "d")));
      RouterGrpc.newBlockingStub(router.channel())
          .withDeadlineAfter(60, TimeUnit.SECONDS)
          .reconcile(ReconcileRequest.getDefaultInstance());
      String text = MetricsText.scrape(http);

      assertThat(text)
          .containsPattern("(?m)^tempora_reconcile_lease_held 1(\\.0)?$")
          .containsPattern("(?m)^tempora_reconcile_rounds_total\\{result=\"ok\"\\} [1-9]")
          .containsPattern("(?m)^tempora_reconcile_lag_seconds [0-9]");
      MetricsText.assertConventions(text);
      MetricsText.promtoolCheck(text);
    }
  }

  @Test
  void ingest_shardKilledThenRestarted_failsExactlyItsPositionsThenRetrySucceeds()
      throws Exception {
    int port1 = Processes.freePort();
    Processes.Proc shard0 =
        Processes.shard(0, Processes.freePort(), tmp.resolve("s0"), tmp.resolve("s0.log"));
    Processes.Proc shard1 = Processes.shard(1, port1, tmp.resolve("s1"), tmp.resolve("s1.log"));
    Processes.Proc router =
        Processes.router(Processes.freePort(), List.of(shard0, shard1), tmp.resolve("router.log"));
    try {
      List<String> uids = new ArrayList<>();
      for (int i = 0; i < 40; i++) {
        uids.add("u" + i);
      }
      ShardMap map = new ShardMap(2);
      List<Integer> onShard1 = new ArrayList<>();
      for (int i = 0; i < uids.size(); i++) {
        if (map.shardOf(EmailRecords.identity(uids.get(i))) == 1) {
          onShard1.add(i);
        }
      }
      assertThat(onShard1).as("the sample spreads over both shards").isNotEmpty();
      assertThat(onShard1.size()).isLessThan(uids.size());
      router.stub().ingest(EmailRecords.request(List.of("warm-up")));

      shard1.kill();
      StatusRuntimeException failure =
          catchThrowableOfType(
              StatusRuntimeException.class, () -> router.stub().ingest(EmailRecords.request(uids)));
      StatusRuntimeException stats =
          catchThrowableOfType(
              StatusRuntimeException.class,
              () -> router.stub().getStats(GetStatsRequest.getDefaultInstance()));

      assertThat(failure.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
      assertThat(failure.getStatus().getDescription())
          .startsWith("failed positions " + onShard1 + " (shard 1 UNAVAILABLE)");
      assertThat(stats.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
      assertThat(stats.getStatus().getDescription()).contains("shard 1 (127.0.0.1:" + port1 + ")");

      shard1 = Processes.shard(1, port1, tmp.resolve("s1"), tmp.resolve("s1.log"));
      IngestResponse retry = router.stub().ingest(EmailRecords.request(uids));
      var total = router.stub().getStats(GetStatsRequest.getDefaultInstance());

      for (int i = 0; i < uids.size(); i++) {
        assertThat(retry.getItems(i).getOutcome())
            .as("position %d", i)
            .isEqualTo(onShard1.contains(i) ? Outcome.OUTCOME_CREATED : Outcome.OUTCOME_UNCHANGED);
      }
      assertThat(total.getRecords()).isEqualTo(uids.size() + 1);
    } finally {
      router.close();
      shard1.close();
      shard0.close();
    }
  }
}
